/* Fuzz target for formats/toml: the parser, its JSON form and a targeted edit. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/toml.h"
#include "fuzz.h"
#include "util/buf.h"
#include "util/err.h"

const char *const fuzz_seeds[] = {
	"",
	"a = 1\n",
	"title = \"TOML\" # comment\n[owner]\nname = \"Tom\"\ndob = 1979-05-27T07:32:00-08:00\n",
	"[build]\n  command = \"npm run build\"\n  publish = \"dist\"\n[build.environment]\n  NODE_VERSION = \"18\"\n",
	"[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\nforce = false\n",
	"[[headers]]\n  for = \"/*\"\n  [headers.values]\n    X-Frame-Options = \"DENY\"\n",
	"a.b.c = 1\na.d = 2\n[x.y]\nz = [1, 2, 3]\nw = { p = 1, q = \"r\" }\n",
	"s = '''\nmulti\nline'''\nt = \"\"\"\\\n  folded \\\n  text\"\"\"\n",
	"i = 0x_ff\nj = 0o777\nk = 0b1010\nf = 6.626e-34\ng = inf\nh = -nan\nn = +1_000\n",
	"d1 = 1979-05-27\nt1 = 07:32:00.999\nl1 = 1979-05-27T07:32:00\n",
	"arr = [ [1, 2], [\"a\", 'b'], [ {x = 1} ] ]\n",
	"\"quoted key\" = 1\n'literal key' = 2\nbare-key_1 = 3\n",
	"u = \"\\u00e9\\U0001F600 \\t\\n\\\\\"\n",
	/* near misses: what Netlify users write */
	"a = null\n",
	"a = $VAR\n",
	"a = \"^/a\\.b\"\n",
	"[a]\nb = 1\n[a]\nc = 2\n",
	"a = 1\na = 2\n",
	"[[build]]\ncommand = \"x\"\n",
	"a = { b = 1 }\n[a.c]\n",
	"a = [1, 2\n",
	"a = \"unterminated\n",
	"a = 1979-13-27\n",
	"a = 0x\n",
	"= 1\n",
	"[a.]\n",
	"a = 1 b = 2\n",
	"a = '\x01'\n",
	"a = \"\xc3\"\n",
	NULL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct toml_doc *doc = NULL;
	struct buf json = BUF_INIT(0), edit = BUF_INIT(0);
	const struct toml_value *root;
	const char *src;
	size_t src_len;
	int r;

	fuzz_begin(data, size);
	fuzz_err_mark();
	r = toml_parse((const char *)data, size, &doc);
	if (r < 0) {
		FUZZ_CHECK(!doc, "toml_parse failed but returned a document");
		fuzz_check_failure("toml_parse", r, true);
		/* Every rejection names where: "LINE:COL: message". */
		FUZZ_CHECK(r != ERR_INVALID || strchr(err_msg(), ':') != NULL, "no position in '%s'", err_msg());
		return 0;
	}
	FUZZ_CHECK(doc != NULL, "toml_parse succeeded without a document");
	src = toml_doc_source(doc, &src_len);
	FUZZ_CHECK(src_len == size && memcmp(src, data, size) == 0, "the document does not keep its source");
	root = toml_doc_root(doc);
	FUZZ_CHECK(root && toml_type(root) == TOML_TABLE, "the root is not a table");
	/* The typed JSON form is JSON. */
	if (toml_to_json(doc, &json) == 0) {
		json_error_t jerr;
		json_t *j = json_loadb(json.data, json.len, JSON_ALLOW_NUL, &jerr);

		FUZZ_CHECK(j != NULL, "toml_to_json gave invalid JSON: %s", jerr.text);
		FUZZ_CHECK(json_is_object(j), "toml_to_json did not give an object");
		json_decref(j);
	}
	/* Removing the first top-level value gives a document that parses again. */
	if (toml_table_len(root) > 0) {
		const char *key;
		size_t keylen;
		const struct toml_value *v = toml_table_at(root, 0, &key, &keylen);
		struct toml_doc *again = NULL;

		if (v && toml_type(v) != TOML_TABLE && toml_type(v) != TOML_ARRAY && toml_edit_remove(doc, v, &edit) == 0) {
			FUZZ_CHECK(toml_parse(edit.data, edit.len, &again) == 0, "the document without '%.*s' no longer parses: %s",
				   (int)keylen, key, err_msg());
			FUZZ_CHECK(toml_table_getn(toml_doc_root(again), key, keylen) == NULL,
				   "'%.*s' is still there after its removal", (int)keylen, key);
			toml_doc_free(again);
		}
	}
	buf_release(&json);
	buf_release(&edit);
	toml_doc_free(doc);
	return 0;
}
