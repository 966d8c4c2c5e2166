/*
 * Fuzz target for the YAML port alone: any UTF-8 bytes through the adapter's parse and
 * release, and the tree or the error it gives held to ports/yaml.h. YP names the adapter:
 * another one is tried by pointing YP (and the include) at it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/yaml/yaml_libyaml.h"
#include "fuzz.h"
#include "ports/yaml.h"
#include "util/err.h"

#define YP (&yaml_libyaml_parser)

const char *const fuzz_seeds[] = {
	"",
	"a: 1\n",
	"services:\n  - type: web\n    name: app\n    runtime: node\n    plan: starter\n    envVars:\n"
	    "      - key: DB\n        fromDatabase:\n          name: db\n          property: connectionString\n"
	    "databases:\n  - name: db\n",
	"a: &x 1\nb: *x\nc: *nope\nd: &y [*y, {k: v}]\n<<: *x\n",
	"&a !!str x: &b !t y\nk: &c # why\n  'q'\nl: !<tag:yaml.org,2002:str> \"w\"\n",
	"h: |  # c\n  lit\ni: !!str >-\n\n  fold\nj: |2-\n    kept\nk: >+\n  t\n\n",
	"\xef\xbb\xbf\"\xc3\xa9\xc3\xa9\": x\nb:\t\ty\r\nc: 'z''s'\r\n",
	"a:\nb: ''\nc: {x, y: }\nd:\n  - \n  - 1\n? e\n? [f, g]\n: h\n",
	"a: 1\n---\nb: 2\n...\n--- !!map\nc: 3\n",
	"%YAML 1.1\n%TAG !e! tag:example.com,2000:\n--- !e!foo\na: \"\\x41\\u00e9\\U0001F600\\n\"\n",
	"- [a, [b, [c, {d: [e]}]]]\n- {a: 1, b: [2, 3], c: {d: 4}}\n- \"multi\n  line\"\n- plain\n  folded\n",
	"services:\n  - type: cron\n    name: job\n    schedule: */5 * * * *\n",
	"services:\n\t- type: web\n",
	"a: [1, 2\nb: 3\n",
	"a: b: c\n",
	"a: \"x\\q\"\n",
	"key: 'unterminated\n",
	"? a\n? b\n: c\n",
	"a: 1\n---\nb: [\n",
	/* issue 16: libfyaml 0.7.12 dies with SIGSEGV on these 51 bytes; kept as a regression seed */
	"ses:\n?  e\n?  es:\n:\n?   name: \t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t:",
	NULL,
};

/* True when the N bytes at S are UTF-8 (no overlong forms, no surrogates): what the port takes. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0, len, k;
	unsigned long cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4, cp = s[i] & 0x07;
		else
			return false;
		if (len > n - i)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* A scalar: a style, text where the port says, and a mark that points at its own token. */
static void check_scalar(const struct yaml_node *n, const uint8_t *data, size_t size)
{
	FUZZ_CHECK(n->style != YAML_STYLE_ANY, "a scalar of style ANY");
	FUZZ_CHECK(!n->pairs && !n->npairs && !n->items && !n->nitems, "a scalar with children");
	FUZZ_CHECK(n->text || n->len == 0, "a scalar without text has length %zu", n->len);
	FUZZ_CHECK(!n->resolves || n->style == YAML_STYLE_ALIAS, "a scalar that is not an alias resolves");
	if (!n->has_mark) {
		/* only a node left out has no place: an empty plain scalar */
		FUZZ_CHECK(n->style == YAML_STYLE_PLAIN && n->len == 0, "a scalar of style %d, length %zu, without a mark",
			   (int)n->style, n->len);
		return;
	}
	FUZZ_CHECK(n->line >= 0 && n->col >= 0 && n->pos <= size, "a mark at %d:%d byte %zu of %zu", n->line, n->col,
		   n->pos, size);
	FUZZ_CHECK((size_t)n->line <= n->pos && (size_t)n->col <= n->pos, "a mark at %d:%d before byte %zu", n->line,
		   n->col, n->pos);
	switch (n->style) {
	case YAML_STYLE_PLAIN:
		/* a plain scalar's text starts with the bytes at its mark */
		FUZZ_CHECK(n->len > 0 && n->pos < size && data[n->pos] == (uint8_t)n->text[0],
			   "plain scalar of length %zu: byte %zu is not its first", n->len, n->pos);
		break;
	case YAML_STYLE_SINGLE_QUOTED:
	case YAML_STYLE_DOUBLE_QUOTED:
		FUZZ_CHECK(n->pos > 0 && data[n->pos - 1] == (n->style == YAML_STYLE_SINGLE_QUOTED ? '\'' : '"'),
			   "quoted scalar: byte %zu does not follow its quote", n->pos);
		break;
	case YAML_STYLE_ALIAS:
		FUZZ_CHECK(n->len > 0 && n->pos > 0 && data[n->pos - 1] == '*' && n->len <= size - n->pos &&
			   memcmp(data + n->pos, n->text, n->len) == 0, "alias: byte %zu does not follow a '*' and its name",
			   n->pos);
		break;
	default:
		/* a block scalar's mark is the start of the line after its header */
		FUZZ_CHECK(n->pos == size || (n->pos > 0 && (data[n->pos - 1] == '\n' || data[n->pos - 1] == '\r')),
			   "block scalar: byte %zu does not start a line", n->pos);
		break;
	}
}

/* The tree at N: counts and iterators agree, every scalar holds. Returns the nodes seen. */
static size_t check_node(const struct yaml_node *n, const uint8_t *data, size_t size, int depth)
{
	const struct yaml_pair *p;
	const struct yaml_node *e;
	size_t count = 1, i = 0;
	void *it = NULL;

	if (!n)
		return 0;
	FUZZ_CHECK(depth <= 1100, "the tree is %d levels deep", depth);
	if (n->kind == YAML_SCALAR) {
		check_scalar(n, data, size);
		return count;
	}
	FUZZ_CHECK(n->style == YAML_STYLE_ANY && !n->has_mark && !n->resolves && !n->text,
		   "a collection with a style, a mark or text");
	if (n->kind == YAML_MAPPING) {
		FUZZ_CHECK(!n->items && !n->nitems && (n->pairs || !n->npairs), "a mapping's arrays");
		while ((p = yaml_mapping_iterate(n, &it))) {
			FUZZ_CHECK(p == yaml_mapping_at(n, i), "pair %zu: the iterator and the index part", i);
			count += check_node(yaml_pair_key(p), data, size, depth + 1);
			count += check_node(yaml_pair_value(p), data, size, depth + 1);
			i++;
		}
		FUZZ_CHECK(i == yaml_mapping_count(n), "%zu pairs iterated of %zu", i, yaml_mapping_count(n));
		return count;
	}
	FUZZ_CHECK(n->kind == YAML_SEQUENCE, "a node of kind %d", (int)n->kind);
	FUZZ_CHECK(!n->pairs && !n->npairs && (n->items || !n->nitems), "a sequence's arrays");
	while ((e = yaml_sequence_iterate(n, &it))) {
		FUZZ_CHECK(e == yaml_sequence_at(n, i), "item %zu: the iterator and the index part", i);
		count += check_node(e, data, size, depth + 1);
		i++;
	}
	FUZZ_CHECK(i == n->nitems && yaml_sequence_is_empty(n) == (i == 0), "%zu items iterated of %zu", i, n->nitems);
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_doc doc;
	int r;

	fuzz_begin(data, size);
	if (!utf8_ok(data, size))
		return 0;	/* the port's callers check UTF-8 first (sim_render.c) */
	r = YP->parse((const char *)data, size, &doc);
	FUZZ_CHECK(r == 0 || r == ERR_NOMEM, "%s: parse returned %d", YP->name, r);
	if (r == 0 && doc.failed) {
		FUZZ_CHECK(!doc.root && !doc.has_next && !doc.next_root, "a failed parse with a tree");
		FUZZ_CHECK((doc.err_line >= 1 && doc.err_col >= 1) || (doc.err_line == 0 && doc.err_col == 0),
			   "an error at %d:%d", doc.err_line, doc.err_col);
		FUZZ_CHECK(memchr(doc.err_msg, '\0', sizeof(doc.err_msg)) != NULL, "an error message without its end");
	} else if (r == 0) {
		FUZZ_CHECK(!doc.err_line && !doc.err_col && !doc.err_msg[0], "an error place or message without a failure");
		FUZZ_CHECK(doc.has_next || !doc.next_root, "a second root without a second document");
		check_node(doc.root, data, size, 0);
		check_node(doc.next_root, data, size, 0);
	}
	YP->release(&doc);
	YP->release(&doc);	/* twice is harmless */
	return 0;
}
