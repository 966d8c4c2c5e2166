/* Fuzz target for formats/nix_edit: flake.nix's inputs read, and an input added as one insertion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/nix_edit.h"
#include "fuzz.h"
#include "util/buf.h"
#include "util/err.h"

const char *const fuzz_seeds[] = {
	"{ outputs = { self }: { }; }",
	"{\n  description = \"d\";\n  inputs = {\n    # c\n    a.url = \"path:/a\";\n  };\n  outputs = { self, a }: { };\n}\n",
	"{ inputs = { }; outputs = _: { }; }",
	"{ inputs = {}; }",
	"{\n  inputs.a.url = \"github:o/a\"; # c\n  inputs.b = { url = \"path:/b\"; flake = false; };\n  inputs.c.follows = \"a\";\n"
	"  outputs = inputs@{ self, ... }: /* ; } */ { };\n}\n",
	"{\r\n  inputs = {\r\n    a.url = \"path:/a\";\r\n  };\r\n}\r\n",
	"{\n  x = ''\n    '''  ''${n} ''$ ''\\n } ; \"\n    ${ { y = \"}\"; }.y } $${z}\n  '';\n  inputs.a.url = \"p\";\n}\n",
	"{ y = let q = 1; r = with q; q; in assert true; r + 2; z = github:o/r; w = \"${ \"${ \"in\" }\" }\"; }",
	"{ inputs = import ./inputs.nix; }",
	"{ inputs.\"fz\".url = \"x\"; }",
	"{ inputs.${x}.url = \"x\"; outputs = _: 1; }",
	"{ a = 1 == 2; b = 1 != 2; c = 1 <= 2; d = x: x; e = .5e3; f = ./a/${b}/c; }",
	"{\n  description = \"x\"\n  outputs = _: { };\n}\n",
	"{ x = (1; }",
	"{ /* open",
	"{ x = \"open",
	"{ x = ''open",
	"",
	"let x = 1; in { }",
	FUZZ_X64("{ a = ") "1" FUZZ_X64(";}"),
	FUZZ_X256("("),
	NULL,
};

/* OUT is TEXT (LEN bytes) with AT->len bytes put in at AT->offset, and nothing else changed. */
static void check_insertion(const char *text, size_t len, const struct buf *out, const struct nix_edit_at *at,
			    const char *name)
{
	char want[128];

	FUZZ_CHECK(at->offset <= len && out->len == len + at->len, "insertion at %zu of %zu bytes into %zu gave %zu",
		   at->offset, at->len, len, out->len);
	FUZZ_CHECK(memcmp(out->data, text, at->offset) == 0, "the bytes before the insertion changed");
	FUZZ_CHECK(memcmp(out->data + at->offset + at->len, text + at->offset, len - at->offset) == 0,
		   "the bytes after the insertion changed");
	snprintf(want, sizeof(want), "%s.url = \"", name);
	FUZZ_CHECK(memmem(out->data + at->offset, at->len, want, strlen(want)) != NULL, "the insertion lacks '%s'", want);
	FUZZ_CHECK(at->line >= 1 && at->col >= 1, "no position for the insertion");
}

/* The result reads back as BEFORE and NAME of URL. */
static void check_reads_back(const struct buf *out, const struct nix_inputs *before, const char *name, const char *url)
{
	struct nix_inputs after;
	const struct nix_input *m;
	size_t i;

	FUZZ_CHECK(nix_inputs_read(out->data, out->len, "f.nix", &after) == 0, "the result does not read: %s", err_msg());
	FUZZ_CHECK(after.n == before->n + 1, "%zu inputs before, %zu after", before->n, after.n);
	m = nix_inputs_find(&after, name);
	FUZZ_CHECK(m && m->url && strcmp(m->url, url) == 0, "the new input does not read back");
	for (i = 0; i < before->n; i++)
		FUZZ_CHECK(nix_inputs_find(&after, before->v[i].name), "input '%s' went away", before->v[i].name);
	nix_inputs_release(&after);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "fz", "a", "_x-'", "nixpkgs" };
	static const char *const urls[] = { "path:/fz", "github:o/r", "a\"${b}\\c\n" };
	const char *text = (const char *)data, *name = names[size % 4], *url = urls[size % 3];
	struct nix_inputs in;
	struct nix_edit_at at;
	struct buf out = BUF_INIT(0);
	size_t i;
	int r, r2;

	fuzz_begin(data, size);
	fuzz_err_mark();
	r = nix_inputs_read(text, size, "f.nix", &in);
	if (r < 0) {
		fuzz_check_failure("nix_inputs_read", r, true);
		FUZZ_CHECK(r == ERR_NOMEM || strncmp(err_msg(), "f.nix:", 6) == 0, "message does not name the file: %s",
			   err_msg());
		r2 = nix_edit_add_input(text, size, "f.nix", name, url, &out, &at);
		FUZZ_CHECK(r2 == r && out.len == 0, "add_input gave %d on a text that reads with %d", r2, r);
		buf_release(&out);
		return 0;
	}
	for (i = 0; i < in.n; i++)
		FUZZ_CHECK(in.v[i].name[0] && in.v[i].line >= 1 && in.v[i].col >= 1, "input %zu has no name or place", i);
	fuzz_err_mark();
	r2 = nix_edit_add_input(text, size, "f.nix", name, url, &out, &at);
	if (nix_inputs_find(&in, name)) {
		FUZZ_CHECK(r2 == ERR_EXISTS && strstr(err_msg(), "is there already"), "a duplicate gave %d: %s", r2, err_msg());
	} else if (r2 == 0) {
		check_insertion(text, size, &out, &at, name);
		check_reads_back(&out, &in, name, url);
	} else {
		FUZZ_CHECK(r2 == ERR_NOMEM || (r2 == ERR_UNSUPPORTED && strstr(err_msg(), "is not written as a plain attribute set")),
			   "add_input failed on a text that reads: %d %s", r2, err_msg());
	}
	nix_inputs_release(&in);
	buf_release(&out);
	return 0;
}
