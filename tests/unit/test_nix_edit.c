/* Unit tests for formats/nix_edit: flake.nix's inputs read, and one added byte for byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "check.h"
#include "formats/nix_edit.h"
#include "util/err.h"

/* OUT must be IN with one insertion at AT (AT->len bytes) and nothing else changed. */
static void assert_one_insertion(const char *in, const struct buf *out, const struct nix_edit_at *at)
{
	size_t len = strlen(in);

	assert_int_equal(out->len, len + at->len);
	assert_memory_equal(out->data, in, at->offset);
	assert_memory_equal(out->data + at->offset + at->len, in + at->offset, len - at->offset);
}

/* Add NAME of URL to IN: the result must be WANT exactly. */
static void check_add(const char *in, const char *name, const char *url, const char *want)
{
	struct buf out = BUF_INIT(0);
	struct nix_edit_at at;
	int r = nix_edit_add_input(in, strlen(in), "flake.nix", name, url, &out, &at);

	if (r < 0)
		fail_msg("add '%s' failed: %s", name, err_msg());
	if (strcmp(out.data, want) != 0)
		fail_msg("got:\n%s\nwanted:\n%s", out.data, want);
	assert_one_insertion(in, &out, &at);
	buf_release(&out);
}

/* Add NAME of URL to IN: the result must be IN with INS put in right after the first ANCHOR. */
static void check_add_after(const char *in, const char *name, const char *url, const char *anchor, const char *ins)
{
	const char *at = strstr(in, anchor);
	char want[4096];

	assert_non_null(at);
	at += strlen(anchor);
	snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - in), in, ins, at);
	check_add(in, name, url, want);
}

static void test_add_to_set_keeps_comments(void **state)
{
	check_add_after("# my flake\n"
			"{\n"
			"  description = \"x\"; # short\n"
			"\n"
			"  inputs = {\n"
			"    # the packages\n"
			"    nixpkgs.url = \"github:NixOS/nixpkgs\";   /* pinned later */\n"
			"    # util.url = \"github:o/util\";\n"
			"  };\n"
			"\n"
			"  outputs = { self, nixpkgs }: { };\n"
			"}\n",
			"lib", "path:/srv/lib", "# util.url = \"github:o/util\";\n", "    lib.url = \"path:/srv/lib\";\n");
}

static void test_add_dotted(void **state)
{
	check_add_after("{\n"
			"  description = \"dotted\";\n"
			"  inputs.a.url = \"path:/a\";  # first\n"
			"  inputs.c = { url = \"path:/c\"; flake = false; };\n"
			"  outputs = { self, a, c }: { };\n"
			"}\n",
			"b", "github:o/b", "flake = false; };\n", "  inputs.b.url = \"github:o/b\";\n");
}

/* Input b of path:/b added to IN gives WANT. */
static const struct {
	const char *in, *want;
} adds[] = {
	/* One-line sets: just before the '}'. */
	{ "{ inputs = { a.url = \"path:/a\"; }; outputs = _: { }; }",
	  "{ inputs = { a.url = \"path:/a\"; b.url = \"path:/b\"; }; outputs = _: { }; }" },
	{ "{ inputs = {}; outputs = _: { }; }", "{ inputs = { b.url = \"path:/b\"; }; outputs = _: { }; }" },
	{ "{ inputs = { }; outputs = _: { }; }", "{ inputs = { b.url = \"path:/b\"; }; outputs = _: { }; }" },
	/* An empty set over lines: one step in from its '}', tabs as the file has them. */
	{ "{\n\tinputs = {\n\t\t# none yet\n\t};\n\toutputs = _: { };\n}\n",
	  "{\n\tinputs = {\n\t\t# none yet\n\t\tb.url = \"path:/b\";\n\t};\n\toutputs = _: { };\n}\n" },
	/* Dotted, with code after the ';' on its line: right after it. */
	{ "{ inputs.a.url = \"path:/a\"; outputs = _: { }; }",
	  "{ inputs.a.url = \"path:/a\"; inputs.b.url = \"path:/b\"; outputs = _: { }; }" },
	/* No inputs: before outputs, on its line or not; with no outputs, before the set's end. */
	{ "{\n  description = \"none\";\n  outputs = { self }: {\n    x = 1;\n  };\n}\n",
	  "{\n  description = \"none\";\n  inputs.b.url = \"path:/b\";\n  outputs = { self }: {\n    x = 1;\n  };\n}\n" },
	{ "{ outputs = { self }: { }; }", "{ inputs.b.url = \"path:/b\"; outputs = { self }: { }; }" },
	{ "{\n  description = \"x\";\n}\n", "{\n  description = \"x\";\n  inputs.b.url = \"path:/b\";\n}\n" },
	/* CRLF lines stay CRLF. */
	{ "{\r\n  inputs = {\r\n    a.url = \"path:/a\";\r\n  };\r\n  outputs = _: { };\r\n}\r\n",
	  "{\r\n  inputs = {\r\n    a.url = \"path:/a\";\r\n    b.url = \"path:/b\";\r\n  };\r\n  outputs = _: { };\r\n}\r\n" },
};

static void test_add_cases(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(adds) / sizeof(adds[0]); i++)
		check_add(adds[i].in, "b", "path:/b", adds[i].want);
}

static void test_add_escapes_url(void **state)
{
	static const char in[] = "{ outputs = _: { }; }";
	struct nix_inputs got;
	struct buf out = BUF_INIT(0);

	assert_int_equal(nix_edit_add_input(LIT(in), "f", "b", "path:/x\"${y}\\", &out, NULL), 0);
	assert_string_equal(out.data, "{ inputs.b.url = \"path:/x\\\"\\${y}\\\\\"; outputs = _: { }; }");
	assert_int_equal(nix_inputs_read(out.data, out.len, "f", &got), 0);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.v[0].url, "path:/x\"${y}\\");
	nix_inputs_release(&got);
	buf_release(&out);
}

/* The lexer's hard parts around a binding: none of it may be taken for a ';' or a '}' of the set. */
static const char tricky[] =
	"{\n"
	"  description = \"a } b ; # not a comment /* nor this\";\n"
	"  inputs.a.url = \"path:/a\";\n"
	"  x = ''\n"
	"    '''  ''${not} ''$ ''\\n } ; \"\n"
	"    ${ { y = \"}\"; }.y } $${z}\n"
	"  '';\n"
	"  y = let q = 1; r = with q; q; in assert true; r + 2;\n"
	"  z = github:o/r; # a bare URI\n"
	"  w = \"${ \"${ \"in\" }\" }\";\n"
	"  inputs.b = { url = \"github:o/b\"; inputs.nixpkgs.follows = \"a\"; };\n"
	"  inputs.c.follows = \"a\";\n"
	"  inputs.d = { url = git+https://example.com/d; flake = false; };\n"
	"  outputs = inputs@{ self, ... }: /* ; } */ { };\n"
	"}\n";

static void test_read_tricky(void **state)
{
	struct nix_inputs in;
	struct buf out = BUF_INIT(0);
	struct nix_edit_at at;

	assert_int_equal(nix_inputs_read(LIT(tricky), "flake.nix", &in), 0);
	assert_string_equal(in.description, "a } b ; # not a comment /* nor this");
	assert_int_equal(in.n, 4);
	assert_string_equal(in.v[0].name, "a");
	assert_string_equal(in.v[0].url, "path:/a");
	assert_int_equal(in.v[0].line, 3);
	assert_int_equal(in.v[0].col, 10);
	assert_string_equal(in.v[1].name, "b");
	assert_string_equal(in.v[1].url, "github:o/b");
	assert_null(in.v[1].follows);
	assert_string_equal(in.v[2].name, "c");
	assert_null(in.v[2].url);
	assert_string_equal(in.v[2].follows, "a");
	assert_string_equal(in.v[3].url, "git+https://example.com/d");
	assert_true(in.v[3].no_flake);
	assert_false(in.v[0].no_flake);
	nix_inputs_release(&in);

	assert_int_equal(nix_edit_add_input(LIT(tricky), "flake.nix", "e", "path:/e", &out, &at), 0);
	assert_one_insertion(tricky, &out, &at);
	assert_int_equal(at.line, 14);
	assert_int_equal(at.col, 3);
	assert_non_null(strstr(out.data, "flake = false; };\n  inputs.e.url = \"path:/e\";\n  outputs"));
	buf_release(&out);
}

/* TEXT must be refused with CODE and a message holding WANT. */
static void check_refused(const char *text, const char *name, int code, const char *want)
{
	struct buf out = BUF_INIT(0);
	int r = nix_edit_add_input(text, strlen(text), "/src/flake.nix", name, "path:/x", &out, NULL);

	if (r != code)
		fail_msg("%s: got %d (%s), expected %d", text, r, err_msg(), code);
	assert_contains(err_msg(), want);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

static void test_refuses_duplicates(void **state)
{
	check_refused("{\n  inputs.a.url = \"path:/a\";\n  outputs = _: { };\n}\n", "a", ERR_EXISTS,
		      "/src/flake.nix:2:10: input 'a' is there already");
	check_refused("{\n  inputs = {\n    a = { url = \"path:/a\"; };\n  };\n}\n", "a", ERR_EXISTS,
		      "/src/flake.nix:3:5: input 'a' is there already");
	check_refused("{ inputs.\"a\".follows = \"b\"; }", "a", ERR_EXISTS, "/src/flake.nix:1:10:");
}

/* Texts that are not a flake's attribute set, and where and why each is refused. */
static const struct {
	const char *text, *want;
} malformed[] = {
	{ "{\n  description = \"open;\n}\n", "/src/flake.nix:2:17: the string opened here is never closed" },
	{ "{\n  x = ''\n    text\n}\n", "/src/flake.nix:2:7: the string opened here is never closed" },
	{ "{\n  /* note\n  outputs = _: { };\n}\n", "/src/flake.nix:2:3: the comment opened here is never closed" },
	{ "{\n  outputs = _: { x = (1; };\n}\n", "/src/flake.nix:2:26: found '}' where the '(' opened at 2:22 needs ')'" },
	{ "{\n  outputs = _: { };\n", "/src/flake.nix:1:1: the '{' opened here is never closed (expected '}')" },
	{ "{ outputs = _: { }; }\n}\n", "/src/flake.nix:2:1: '}' closes nothing" },
	{ "{\n  description = \"x\"\n  outputs = _: { };\n}\n",
	  "/src/flake.nix:2:17: the value given here has no ';' before 'outputs' at 3:3" },
	{ "{\n  description = \"x\"\n}\n",
	  "/src/flake.nix:2:17: the value given here has no ';' before the end of its set (at 3:1)" },
	{ "{\n  description \"x\";\n}\n", "/src/flake.nix:2:15: expected '=' after the attribute name at 2:3" },
	{ "let x = 1; in { }", "/src/flake.nix:1:1: expected the flake's attribute set '{ ... }', found 'let'" },
	{ "{ } { }", "/src/flake.nix:1:5: unexpected '{' after the flake's attribute set" },
	{ "", "/src/flake.nix:1:1: empty" },
	{ "{ x = 1 ` 2; }", "/src/flake.nix:1:9: unexpected character '`'" },
	{ "{ ; }", "/src/flake.nix:1:3: expected an attribute name, found ';'" },
};

static void test_refuses_malformed(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		check_refused(malformed[i].text, "b", ERR_INVALID, malformed[i].want);
	check_refused("{\n  inputs = import ./inputs.nix;\n}\n", "b", ERR_UNSUPPORTED,
		      "/src/flake.nix:2:12: `inputs` is not written as a plain attribute set");
}

static void test_refuses_bad_names(void **state)
{
	static const char ok[] = "{ outputs = _: { }; }";
	static const char *const bad[] = { "", "self", "let", "in", "or", "1x", "a.b", "a b", "-a", "a\"", "a$", NULL };
	const char *const *b;
	struct buf out = BUF_INIT(0);

	for (b = bad; *b; b++) {
		assert_int_equal(nix_edit_add_input(LIT(ok), "f", *b, "path:/x", &out, NULL), ERR_INVALID);
		assert_contains(err_msg(), "bad input name '");
	}
	assert_int_equal(nix_input_name_check("_a-b'c9"), 0);
	assert_int_equal(nix_input_name_check(
				 "a1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"),
			 ERR_INVALID);
	buf_release(&out);
}

static void test_deep_nesting(void **state)
{
	char text[1200];
	size_t i, n = 0;
	struct nix_inputs in;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "{ x = ");
	for (i = 0; i < 300; i++)
		text[n++] = '(';
	text[n] = 0;
	assert_int_equal(nix_inputs_read(text, n, "f", &in), ERR_LIMIT);
	assert_contains(err_msg(), "nested more than 200 deep");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_to_set_keeps_comments),
		cmocka_unit_test(test_add_dotted),
		cmocka_unit_test(test_add_cases),
		cmocka_unit_test(test_add_escapes_url),
		cmocka_unit_test(test_read_tricky),
		cmocka_unit_test(test_refuses_duplicates),
		cmocka_unit_test(test_refuses_malformed),
		cmocka_unit_test(test_refuses_bad_names),
		cmocka_unit_test(test_deep_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
