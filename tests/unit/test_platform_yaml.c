/*
 * Unit tests for the YAML port (ports/yaml.h) on each parser adapter in PARSERS: tree, marks,
 * empty nodes, aliases, documents, errors, depth; libyaml's own choices and issue 16's input;
 * render without a parser wired.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/yaml/yaml_libyaml.h"
#include "platform/platform.h"
#include "platform/render/render.h"
#include "ports/yaml.h"
#include "util/err.h"

#define LIT(s) s, sizeof(s) - 1

/*
 * Every port case runs once per adapter: the port's promises hold for each. libfyaml 0.7.12's
 * adapter passed them too (but for the nesting limit, which it lacked) until it was dropped
 * for crashing (issue 16, docs/internals/platform.md).
 */
static const struct yaml_parser *const parsers[] = { &yaml_libyaml_parser };

#define NPARSERS (sizeof(parsers) / sizeof(parsers[0]))

/* Issue 16: libfyaml 0.7.12 dies with SIGSEGV on these 51 bytes (base64 in the issue). */
static const char crash_51[] = "ses:\n?  e\n?  es:\n:\n?   name: "
	"\t\t\t\t\t\t\t\t\t\t" "\t\t\t\t\t\t\t\t\t\t" "\t:";	/* 21 tabs */

static const struct yaml_parser *yp_of(void **state)
{
	return *state;
}

static void parse_len(void **state, const char *text, size_t len, struct yaml_doc *doc)
{
	assert_int_equal(yp_of(state)->parse(text, len, doc), 0);
}

static void parse(void **state, const char *text, struct yaml_doc *doc)
{
	parse_len(state, text, strlen(text), doc);
}

static bool scalar_is(const struct yaml_node *n, const char *want)
{
	size_t len;
	const char *s = yaml_scalar(n, &len);

	return s && len == strlen(want) && memcmp(s, want, len) == 0;
}

/* The value of the I-th pair of the root. */
static struct yaml_node *root_value(const struct yaml_doc *doc, size_t i)
{
	return yaml_pair_value(yaml_mapping_at(doc->root, i));
}

/* Scalar N starts at 0-based LINE, COL and byte POS. */
static void assert_mark(const struct yaml_node *n, int line, int col, size_t pos)
{
	assert_non_null(n);
	assert_true(n->has_mark);
	assert_int_equal(n->line, line);
	assert_int_equal(n->col, col);
	assert_int_equal(n->pos, pos);
}

/* Mappings keep every pair in order, duplicates too; sequences their items; scalars their style and place. */
static void test_tree(void **state)
{
	struct yaml_doc doc;
	struct yaml_pair *p;
	struct yaml_node *seq, *e;
	void *it = NULL;
	size_t n = 0;

	parse(state, "a: 1\nb:\n  - 'x'\n  - \"y\"\n  - [z]\na: 2\nc:\n", &doc);
	assert_false(doc.failed);
	assert_false(doc.has_next);
	assert_true(yaml_is_mapping(doc.root));
	assert_int_equal(yaml_mapping_count(doc.root), 4);
	while ((p = yaml_mapping_iterate(doc.root, &it)))
		n++;
	assert_int_equal(n, 4);
	p = yaml_mapping_at(doc.root, 2);
	assert_true(scalar_is(yaml_pair_key(p), "a"));
	assert_true(scalar_is(yaml_pair_value(p), "2"));
	assert_int_equal(yaml_style(yaml_pair_value(p)), YAML_STYLE_PLAIN);
	assert_mark(yaml_pair_key(p), 5, 0, 32);	/* 0-based, as the parser counts */
	assert_true(scalar_is(yaml_pair_key(yaml_mapping_at(doc.root, 3)), "c"));
	seq = root_value(&doc, 1);
	assert_true(yaml_is_sequence(seq));
	assert_int_equal(seq->nitems, 3);
	e = yaml_sequence_at(seq, 0);
	assert_int_equal(yaml_style(e), YAML_STYLE_SINGLE_QUOTED);
	assert_true(scalar_is(e, "x"));
	assert_mark(e, 2, 5, 13);		/* past the quote */
	assert_int_equal(yaml_style(yaml_sequence_at(seq, 1)), YAML_STYLE_DOUBLE_QUOTED);
	assert_true(yaml_is_sequence(yaml_sequence_at(seq, 2)));
	assert_null(yaml_sequence_at(seq, 3));
	it = NULL;
	n = 0;
	while ((e = yaml_sequence_iterate(seq, &it)))
		n++;
	assert_int_equal(n, 3);
	assert_true(yaml_pair_key(yaml_mapping_at(doc.root, 0))->pos < yaml_pair_key(yaml_mapping_at(doc.root, 1))->pos);
	yp_of(state)->release(&doc);
}

/*
 * Where a scalar's mark is: its own token, past anchors, tags and the comments between; past
 * the quote or the '*'; the line after a block scalar's header; columns in characters, POS in
 * bytes (a byte order mark and multi-byte characters count their bytes there).
 */
static void test_marks(void **state)
{
	struct yaml_doc doc;

	parse(state, "&a !!str x: &b !t y\nk: &c # why\n  'q'\nl: *a\n", &doc);
	assert_false(doc.failed);
	assert_mark(yaml_pair_key(yaml_mapping_at(doc.root, 0)), 0, 9, 9);
	assert_mark(root_value(&doc, 0), 0, 18, 18);
	assert_mark(root_value(&doc, 1), 2, 3, 35);
	assert_true(scalar_is(root_value(&doc, 1), "q"));
	assert_mark(root_value(&doc, 2), 3, 4, 42);
	yp_of(state)->release(&doc);

	parse(state, "h: |  # c\n  lit\ni: !!str >-\n\n  fold\n", &doc);
	assert_int_equal(yaml_style(root_value(&doc, 0)), YAML_STYLE_LITERAL);
	assert_true(scalar_is(root_value(&doc, 0), "lit\n"));
	assert_mark(root_value(&doc, 0), 1, 0, 10);
	assert_int_equal(yaml_style(root_value(&doc, 1)), YAML_STYLE_FOLDED);
	assert_true(scalar_is(root_value(&doc, 1), "\nfold"));
	assert_mark(root_value(&doc, 1), 3, 0, 28);
	yp_of(state)->release(&doc);

	parse(state, "\xef\xbb\xbf\"\xc3\xa9\xc3\xa9\": x\nb:\t\ty\r\nc: 'z'\r\n", &doc);
	assert_mark(yaml_pair_key(yaml_mapping_at(doc.root, 0)), 0, 1, 4);
	assert_mark(root_value(&doc, 0), 0, 6, 11);
	assert_mark(root_value(&doc, 1), 1, 4, 17);
	assert_mark(root_value(&doc, 2), 2, 4, 24);
	yp_of(state)->release(&doc);
}

/* A node left out (a key without a value, an empty item) is an empty plain scalar without a mark. */
static void test_empty_nodes(void **state)
{
	struct yaml_doc doc;
	struct yaml_node *v;
	size_t len = 99;

	parse(state, "a:\nb: ''\nc: {x, y: }\nd:\n  - \n  - 1\n? e\n", &doc);
	assert_false(doc.failed);
	v = root_value(&doc, 0);
	assert_true(yaml_is_scalar(v) && yaml_style(v) == YAML_STYLE_PLAIN && !v->has_mark);
	assert_non_null(yaml_scalar(v, &len));
	assert_int_equal(len, 0);
	v = root_value(&doc, 1);
	assert_true(yaml_style(v) == YAML_STYLE_SINGLE_QUOTED && v->has_mark && scalar_is(v, ""));
	v = root_value(&doc, 2);
	assert_int_equal(yaml_mapping_count(v), 2);
	assert_false(yaml_pair_value(yaml_mapping_at(v, 0))->has_mark);
	assert_false(yaml_pair_value(yaml_mapping_at(v, 1))->has_mark);
	v = root_value(&doc, 3);
	assert_false(yaml_sequence_at(v, 0)->has_mark);
	assert_true(scalar_is(yaml_sequence_at(v, 1), "1"));
	assert_true(scalar_is(yaml_pair_key(yaml_mapping_at(doc.root, 4)), "e"));
	assert_false(root_value(&doc, 4)->has_mark);
	yp_of(state)->release(&doc);
}

static void test_aliases(void **state)
{
	struct yaml_doc doc;
	struct yaml_node *v;

	parse(state, "a: &x 1\nb: *x\nc: *nope\nd: &y [*y]\n", &doc);
	assert_false(doc.failed);
	v = root_value(&doc, 1);
	assert_true(yaml_is_alias(v) && v->resolves);
	assert_true(scalar_is(v, "x"));
	assert_mark(v, 1, 4, 12);			/* past the '*' */
	v = root_value(&doc, 2);
	assert_true(yaml_is_alias(v) && !v->resolves);
	v = yaml_sequence_at(root_value(&doc, 3), 0);	/* a collection may name its own anchor */
	assert_true(yaml_is_alias(v) && v->resolves);
	yp_of(state)->release(&doc);

	/* an anchor belongs to its document */
	parse(state, "a: &x 1\n---\nb: *x\n", &doc);
	assert_true(doc.has_next);
	v = yaml_pair_value(yaml_mapping_at(doc.next_root, 0));
	assert_true(yaml_is_alias(v) && !v->resolves);
	yp_of(state)->release(&doc);
}

static void test_documents(void **state)
{
	struct yaml_doc doc;

	parse(state, "a: 1\n---\nb: 2\n", &doc);
	assert_false(doc.failed);
	assert_true(doc.has_next);
	assert_true(yaml_is_mapping(doc.next_root));
	assert_mark(yaml_pair_key(yaml_mapping_at(doc.next_root, 0)), 2, 0, 9);
	yp_of(state)->release(&doc);

	parse(state, "a: 1\n...\n", &doc);
	assert_false(doc.has_next);
	yp_of(state)->release(&doc);

	/* the second document is read to its end: its error counts, a third's does not */
	parse(state, "a: 1\n---\nb: [\n", &doc);
	assert_true(doc.failed);
	assert_int_equal(doc.err_line, 4);
	assert_null(doc.root);
	yp_of(state)->release(&doc);
	parse(state, "a: 1\n---\nb: 2\n---\nc: [\n", &doc);
	assert_false(doc.failed);
	yp_of(state)->release(&doc);

	parse(state, "# nothing\n", &doc);
	assert_false(doc.failed);
	assert_null(doc.root);
	yp_of(state)->release(&doc);
	parse(state, "", &doc);
	assert_false(doc.failed);
	assert_null(doc.root);
	yp_of(state)->release(&doc);
	yp_of(state)->release(&doc);	/* twice is harmless */
}

/* The first syntax error: failed, no tree, a 1-based place and a message. */
static void test_errors(void **state)
{
	static const struct {
		const char *text;
		int line, col;
	} cases[] = {
		{ "services:\n\t- type: web\n", 2, 1 },
		{ "services: [\n", 2, 1 },
		{ "a: b: c\n", 1, 5 },
		{ "a: \"x\\q\"\n", 1, 6 },
		{ "a: 1\n---\nb: [\n", 4, 1 },
	};
	struct yaml_doc doc;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse(state, cases[i].text, &doc);
		if (!doc.failed || doc.err_line != cases[i].line || doc.err_col != cases[i].col || !doc.err_msg[0])
			fail_msg("%s on '%s': failed %d at %d:%d '%s', want %d:%d", yp_of(state)->name, cases[i].text,
				 doc.failed, doc.err_line, doc.err_col, doc.err_msg, cases[i].line, cases[i].col);
		assert_null(doc.root);
		assert_false(doc.has_next);
		yp_of(state)->release(&doc);
	}
}

/*
 * 1024 nested collections make a tree that deep; one more fails the parse at that collection,
 * and at once: 2 million '[' (4 MiB, the simulator's limit) took libyaml hours, as it rescans
 * one possible key per open bracket for every token.
 */
static void test_depth(void **state)
{
	enum { DEEP = 1024, DEEPER = 2000000 };
	char *text = malloc(DEEPER);
	struct yaml_doc doc;
	struct yaml_node *n;
	int depth = 0;

	assert_non_null(text);
	memset(text, '[', DEEP);
	memset(text + DEEP, ']', DEEP);
	parse_len(state, text, 2 * DEEP, &doc);
	assert_false(doc.failed);
	for (n = doc.root; yaml_is_sequence(n); n = yaml_sequence_at(n, 0))
		depth++;
	assert_int_equal(depth, DEEP);
	yp_of(state)->release(&doc);

	memset(text, '[', DEEPER);
	parse_len(state, text, DEEPER, &doc);
	assert_true(doc.failed);
	assert_null(doc.root);
	assert_int_equal(doc.err_line, 1);
	assert_int_equal(doc.err_col, DEEP + 1);
	assert_string_equal(doc.err_msg, "collections nested more than 1024 deep");
	yp_of(state)->release(&doc);
	free(text);
}

/*
 * Where libyaml's adapter chose, and libfyaml's had differed: an alias resolves only to an
 * anchor before it (as the port says; libfyaml looked ahead too), control characters are a
 * syntax error (libfyaml kept them); and the 51 bytes of issue 16 are one syntax error, at
 * their last ':' (libfyaml 0.7.12 died on them with SIGSEGV).
 */
static void test_libyaml_choices(void **state)
{
	const struct yaml_parser *yp = &yaml_libyaml_parser;
	struct yaml_doc doc;
	struct yaml_node *v;

	(void)state;
	assert_int_equal(yp->parse(LIT("a: *x\nb: &x 1\n"), &doc), 0);
	v = yaml_pair_value(yaml_mapping_at(doc.root, 0));
	assert_true(yaml_is_alias(v) && !v->resolves);
	yp->release(&doc);

	assert_int_equal(yp->parse(LIT("a: 1\nb: \x01\n"), &doc), 0);
	assert_true(doc.failed);
	assert_int_equal(doc.err_line, 2);
	assert_int_equal(doc.err_col, 4);
	assert_string_equal(doc.err_msg, "control characters are not allowed");
	yp->release(&doc);

	assert_int_equal(sizeof(crash_51) - 1, 51);
	assert_int_equal(yp->parse(LIT(crash_51), &doc), 0);
	assert_true(doc.failed);
	assert_int_equal(doc.err_line, 5);
	assert_int_equal(doc.err_col, 32);
	assert_null(doc.root);
	yp->release(&doc);
}

/* render.yaml without a parser wired: an error that says so, not a crash. */
static void test_render_needs_a_parser(void **state)
{
	struct sim_report rep;

	(void)state;
	platform_use_yaml(NULL);
	sim_report_init(&rep, "render");
	assert_int_equal(sim_render_text("render.yaml", "services: []\n", 13, NULL, &rep), ERR_UNSUPPORTED);
	assert_non_null(strstr(err_msg(), "no YAML parser"));
	sim_report_release(&rep);
	platform_use_yaml(&yaml_libyaml_parser);
	sim_report_init(&rep, "render");
	assert_int_equal(sim_render_text("render.yaml", "services: []\n", 13, NULL, &rep), 0);
	assert_ptr_equal(platform_yaml(), &yaml_libyaml_parser);
	sim_report_release(&rep);
}

/* The 51 bytes through the simulator: one RND-YAML-1 at the error's place, no crash. */
static void test_render_issue16(void **state)
{
	struct sim_report rep;

	(void)state;
	platform_use_yaml(&yaml_libyaml_parser);
	sim_report_init(&rep, "render");
	assert_int_equal(sim_render_text("render.yaml", LIT(crash_51), NULL, &rep), 0);
	assert_int_equal(rep.n, 1);
	assert_string_equal(rep.issues[0].rule, "RND-YAML-1");
	assert_int_equal(rep.issues[0].line, 5);
	assert_int_equal(rep.issues[0].col, 32);
	assert_non_null(strstr(rep.issues[0].message, "YAML syntax error: "));
	sim_report_release(&rep);
}

typedef void (*case_fn)(void **state);

static const struct {
	const char *name;
	case_fn fn;
} port_cases[] = {
	{ "tree", test_tree },
	{ "marks", test_marks },
	{ "empty_nodes", test_empty_nodes },
	{ "aliases", test_aliases },
	{ "documents", test_documents },
	{ "errors", test_errors },
	{ "depth", test_depth },
};

#define NCASES (sizeof(port_cases) / sizeof(port_cases[0]))

int main(void)
{
	static char names[NPARSERS * NCASES][64];
	struct CMUnitTest tests[NPARSERS * NCASES + 3];
	size_t i, k, n = 0;

	for (i = 0; i < NPARSERS; i++)
		for (k = 0; k < NCASES; k++) {
			snprintf(names[n], sizeof(names[n]), "%s_%s", port_cases[k].name, parsers[i]->name);
			tests[n] = (struct CMUnitTest){ names[n], port_cases[k].fn, NULL, NULL, (void *)parsers[i] };
			n++;
		}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_libyaml_choices);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_render_needs_a_parser);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_render_issue16);
	assert_int_equal(n, sizeof(tests) / sizeof(tests[0]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
