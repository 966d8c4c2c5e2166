/* Unit tests for formats/toml: values, the redefinition rules, positions, errors and the text edits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "formats/toml.h"
#include "util/buf.h"
#include "util/err.h"

/* Parse S or fail the test with the message. */
static struct toml_doc *parse_ok(const char *s, size_t len)
{
	struct toml_doc *doc = NULL;

	err_clear();
	if (toml_parse(s, len, &doc) != 0)
		fail_msg("rejected: %s\n---\n%.*s", err_msg(), (int)len, s);
	return doc;
}

#define PARSE(s) parse_ok(s, strlen(s))

/* The value at dotted path P ("a.b.c", plain keys only) from the root. */
static const struct toml_value *at(const struct toml_doc *doc, const char *path)
{
	const struct toml_value *v = toml_doc_root(doc);
	char part[128];

	while (v && *path) {
		size_t n = strcspn(path, ".");

		snprintf(part, sizeof(part), "%.*s", (int)n, path);
		v = toml_table_get(v, part);
		path += n + (path[n] == '.');
	}
	return v;
}

static int64_t get_int(const struct toml_doc *doc, const char *path)
{
	int64_t i;

	if (toml_get_int(at(doc, path), &i) != 0)
		fail_msg("%s: %s", path, err_msg());
	return i;
}

static double get_float(const struct toml_doc *doc, const char *path)
{
	double f;

	if (toml_get_float(at(doc, path), &f) != 0)
		fail_msg("%s: %s", path, err_msg());
	return f;
}

static const char *get_str(const struct toml_doc *doc, const char *path, size_t *len)
{
	const char *s;

	if (toml_get_string(at(doc, path), &s, len) != 0)
		fail_msg("%s: %s", path, err_msg());
	return s;
}

static void test_scalars(void **state)
{
	static const char src[] =
		"i1 = 9223372036854775807\n"
		"i2 = -9223372036854775808\n"
		"i3 = 0xDEAD_beef\n"
		"i4 = 0o777\n"
		"i5 = 0b1111_0000\n"
		"i6 = +1_000\n"
		"i7 = -0\n"
		"f1 = 6.626e-34\n"
		"f2 = -inf\n"
		"f3 = +nan\n"
		"f4 = 1_000.000_1\n"
		"f5 = -0.0\n"
		"f6 = 1E+2\n"
		"b1 = true\n"
		"b2 = false\n"
		"s1 = \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\U0001F600 \\b\\f\\r\\n\"\n"
		"s2 = 'C:\\path\\no\\escapes'\n"
		"s3 = \"\"\"\nline 1\n  line 2 \\\n      joined\"\"\"\n"
		"s4 = '''\n raw \\n ''ok'' '''\n"
		"s5 = \"\"\"two quotes: \"\"\"\"\"\n"
		"s6 = \"nul: \\u0000 end\"\n"
		"s7 = \"\"\n";
	struct toml_doc *doc = PARSE(src);
	const char *s;
	size_t len;
	bool b;

	assert_true(get_int(doc, "i1") == INT64_MAX);
	assert_true(get_int(doc, "i2") == INT64_MIN);
	assert_true(get_int(doc, "i3") == 0xdeadbeef);
	assert_int_equal(get_int(doc, "i4"), 0777);
	assert_int_equal(get_int(doc, "i5"), 0xf0);
	assert_int_equal(get_int(doc, "i6"), 1000);
	assert_int_equal(get_int(doc, "i7"), 0);
	assert_true(get_float(doc, "f1") == 6.626e-34);
	assert_true(isinf(get_float(doc, "f2")) && get_float(doc, "f2") < 0);
	assert_true(isnan(get_float(doc, "f3")));
	assert_true(get_float(doc, "f4") == 1000.0001);
	assert_true(get_float(doc, "f5") == 0 && signbit(get_float(doc, "f5")));
	assert_true(get_float(doc, "f6") == 100);
	assert_int_equal(toml_get_bool(at(doc, "b1"), &b), 0);
	assert_true(b);
	assert_int_equal(toml_get_bool(at(doc, "b2"), &b), 0);
	assert_false(b);
	assert_string_equal(get_str(doc, "s1", NULL), "tab\there \"q\" \\ \xc3\xa9 \xf0\x9f\x98\x80 \b\f\r\n");
	assert_string_equal(get_str(doc, "s2", NULL), "C:\\path\\no\\escapes");
	assert_string_equal(get_str(doc, "s3", NULL), "line 1\n  line 2 joined");
	assert_string_equal(get_str(doc, "s4", NULL), " raw \\n ''ok'' ");
	assert_string_equal(get_str(doc, "s5", NULL), "two quotes: \"\"");
	s = get_str(doc, "s6", &len);
	assert_int_equal(len, 10);
	assert_memory_equal(s, "nul: \0 end", 10);
	assert_string_equal(get_str(doc, "s7", &len), "");
	assert_int_equal(len, 0);
	toml_doc_free(doc);
}

static void test_datetimes(void **state)
{
	static const char src[] =
		"odt1 = 1979-05-27T07:32:00Z\n"
		"odt2 = 1979-05-27 00:32:00.999999-07:30\n"
		"odt3 = 1979-05-27t07:32:00.1234567891z\n"
		"ldt = 2024-02-29T23:59:60\n"
		"ld = 2000-02-29\n"
		"lt = 00:32:00.5\n"
		"ld_then_comment = 1979-05-27 # a date, then a space\n";
	struct toml_doc *doc = PARSE(src);
	struct toml_datetime dt;

	assert_int_equal(toml_get_datetime(at(doc, "odt1"), &dt), 0);
	assert_int_equal(toml_type(at(doc, "odt1")), TOML_DATETIME);
	assert_int_equal(dt.year, 1979);
	assert_int_equal(dt.month, 5);
	assert_int_equal(dt.day, 27);
	assert_int_equal(dt.hour, 7);
	assert_int_equal(dt.minute, 32);
	assert_true(dt.offset_z);
	assert_int_equal(dt.offset_minutes, 0);

	assert_int_equal(toml_get_datetime(at(doc, "odt2"), &dt), 0);
	assert_int_equal(dt.nanosecond, 999999000);
	assert_int_equal(dt.frac_digits, 6);
	assert_int_equal(dt.offset_minutes, -(7 * 60 + 30));
	assert_false(dt.offset_z);

	assert_int_equal(toml_get_datetime(at(doc, "odt3"), &dt), 0);
	assert_int_equal(dt.nanosecond, 123456789);
	assert_int_equal(dt.frac_digits, 9);
	assert_true(dt.offset_z);

	assert_int_equal(toml_type(at(doc, "ldt")), TOML_DATETIME_LOCAL);
	assert_int_equal(toml_get_datetime(at(doc, "ldt"), &dt), 0);
	assert_int_equal(dt.second, 60);
	assert_int_equal(toml_type(at(doc, "ld")), TOML_DATE_LOCAL);
	assert_int_equal(toml_type(at(doc, "lt")), TOML_TIME_LOCAL);
	assert_int_equal(toml_get_datetime(at(doc, "lt"), &dt), 0);
	assert_int_equal(dt.year, 0);
	assert_int_equal(dt.nanosecond, 500000000);
	assert_int_equal(toml_type(at(doc, "ld_then_comment")), TOML_DATE_LOCAL);
	toml_doc_free(doc);
}

static void test_tables(void **state)
{
	static const char src[] =
		"title = \"x\"\n"
		"dotted.a.b = 1\n"
		"dotted.a.c = 2\n"
		"\"quoted.key\" = 3\n"
		"inline = { x = 1, y.z = [1, \"two\", 3.0, { w = true }] }\n"
		"[fruit]\n"
		"apple.color = \"red\"\n"
		"[fruit.apple.texture]\n"
		"smooth = true\n"
		"[x.y.z]\n"
		"[x]\n"
		"k = 1\n"
		"[[products]]\n"
		"name = \"hammer\"\n"
		"[[products]]\n"
		"[[products]]\n"
		"name = \"nail\"\n"
		"[products.spec]\n"
		"size = 2\n";
	struct toml_doc *doc = PARSE(src);
	const struct toml_value *root = toml_doc_root(doc), *p, *arr;
	const char *key;
	size_t keylen;

	assert_int_equal(get_int(doc, "dotted.a.b"), 1);
	assert_int_equal(get_int(doc, "dotted.a.c"), 2);
	assert_non_null(toml_table_get(root, "quoted.key"));
	assert_null(toml_table_get(root, "quoted"));
	assert_int_equal(get_int(doc, "inline.x"), 1);
	arr = at(doc, "inline.y.z");
	assert_int_equal(toml_type(arr), TOML_ARRAY);
	assert_int_equal(toml_array_len(arr), 4);
	assert_int_equal(toml_type(toml_array_get(arr, 1)), TOML_STRING);
	assert_int_equal(toml_type(toml_array_get(arr, 3)), TOML_TABLE);
	assert_null(toml_array_get(arr, 4));
	assert_true(toml_type(at(doc, "fruit.apple.texture.smooth")) == TOML_BOOL);
	assert_int_equal(get_int(doc, "x.k"), 1);
	assert_int_equal(toml_type(at(doc, "x.y.z")), TOML_TABLE);

	p = toml_table_get(root, "products");
	assert_int_equal(toml_array_len(p), 3);
	assert_int_equal(toml_table_len(toml_array_get(p, 1)), 0);
	assert_int_equal(toml_type(toml_table_get(toml_table_get(toml_array_get(p, 2), "spec"), "size")),
			 TOML_INTEGER);

	/* keys come in document order */
	assert_int_equal(toml_table_len(root), 7);
	assert_non_null(toml_table_at(root, 0, &key, &keylen));
	assert_string_equal(key, "title");
	toml_table_at(root, 2, &key, NULL);
	assert_string_equal(key, "quoted.key");
	toml_table_at(root, 6, &key, &keylen);
	assert_string_equal(key, "products");
	assert_int_equal(keylen, 8);
	assert_null(toml_table_at(root, 7, &key, NULL));

	/* lookups tolerate NULL and non-tables */
	assert_null(toml_table_get(NULL, "a"));
	assert_null(toml_table_get(at(doc, "title"), "a"));
	assert_int_equal(toml_table_len(NULL), 0);
	assert_int_equal(toml_array_len(root), 0);
	toml_doc_free(doc);
}

/* Many keys in one table go through the hash index. */
static void test_big_table(void **state)
{
	struct buf b = BUF_INIT(0);
	struct toml_doc *doc;
	char k[32];
	int i;

	for (i = 0; i < 5000; i++)
		assert_int_equal(buf_printf(&b, "k%d = %d\n", i, i), 0);
	assert_int_equal(buf_adds(&b, "k17 = 1\n"), 0);
	err_clear();
	assert_int_equal(toml_parse(b.data, b.len, &doc), ERR_INVALID);
	assert_contains(err_msg(), "5001:1: duplicate key 'k17' (first defined at 18:1)");
	b.len -= 8;
	doc = parse_ok(b.data, b.len);
	for (i = 0; i < 5000; i += 7) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_int_equal(get_int(doc, k), i);
	}
	assert_null(toml_table_get(toml_doc_root(doc), "k5000"));
	assert_int_equal(toml_table_len(toml_doc_root(doc)), 5000);
	toml_doc_free(doc);
	buf_release(&b);
}

struct bad {
	const char *src;
	size_t len;
	const char *want;	/* the message must contain this, position first */
};

static const struct bad bads[] = {
	/* numbers */
	{ LIT("a = 9223372036854775808"), "1:5: integer '9223372036854775808' is out of range" },
	{ LIT("a = -9223372036854775809"), "1:5: integer '-9223372036854775809' is out of range" },
	{ LIT("a = 0x8000000000000000"), "1:5: integer '0x8000000000000000' is out of range" },
	{ LIT("a = 0b1_"), "1:5: bad integer" },
	{ LIT("a = 1e400"), "1:5: float '1e400' is out of range" },
	{ LIT("a = 1__0"), "1:5: bad number '1__0'" },
	{ LIT("a = 01"), "1:5: bad number '01': leading zeros" },
	{ LIT("a = 1.e5"), "1:5: bad float '1.e5'" },
	{ LIT("a = +0x1"), "1:5: bad number" },
	{ LIT("a = nan_"), "1:5: bad value 'nan_'" },
	/* strings */
	{ LIT("a = \"\\e\""), "1:6: bad escape" },
	{ LIT("a = \"\\x41\""), "1:6: bad escape" },
	{ LIT("a = \"\\uD800\""), "1:6: escape '\\\\uD800' is not a unicode scalar value" },
	{ LIT("a = \"\\U00110000\""), "is not a unicode scalar value" },
	{ LIT("a = \"\\u12\""), "1:6: bad unicode escape" },
	{ LIT("a = \"tab\tok\x01\""), "1:12: control character U+0001 in string" },
	{ LIT("a = \"\x7f\""), "1:6: control character U+007F in string" },
	{ LIT("a = '''\r'''"), "1:8: bare carriage return in string" },
	{ LIT("a = \"\"\"\n\\  x\"\"\""), "2:1: bad escape" },
	{ LIT("a = \"\"\"x\"\"\"\"\"\""), "1:9: too many quotes" },
	{ LIT("a = \"abc"), "1:5: unterminated string" },
	{ LIT("a = '''\nabc\n"), "1:5: unterminated multi-line string" },
	{ LIT("\"\"\"k\"\"\" = 1"), "1:1: multi-line strings cannot be keys" },
	/* structure */
	{ LIT("a = 1 b = 2"), "1:7: expected end of line after the value, found 'b'" },
	{ LIT("a = 1\r\nb = 2\rc = 3"), "2:6: bare carriage return" },
	{ LIT("# comment \x7f\n"), "1:11: control character U+007F in comment" },
	{ LIT("a = 1 # \x00"), "1:9: control character U+0000 in comment" },
	{ LIT("\xc3\xa9 = 1"), "1:1: expected a key" },
	{ LIT("a = \"\xc3\xa9\xff\""), "1:7: invalid utf-8 byte 0xff" },
	{ LIT("a = \"\xed\xa0\x80\""), "1:6: invalid utf-8 sequence" },
	{ LIT("a = \"\xc0\xaf\""), "1:6: invalid utf-8 byte 0xc0" },
	{ LIT("a = \"\xf4\x90\x80\x80\""), "1:6: invalid utf-8 sequence" },
	{ LIT("a = \"\xe2\x82\""), "1:6: invalid utf-8 sequence" },
	{ LIT("a = { b = 1, }"), "1:14: trailing comma in an inline table" },
	{ LIT("a = { b = 1,\n c = 2 }"), "1:13: expected a key, found end of line" },
	{ LIT("a = { b = 1\n}"), "1:12: inline tables must be on one line" },
	{ LIT("a = [1 2]"), "1:8: expected ',' or ']' after an array element, found '2'" },
	{ LIT("a = [1,\n# c\n"), "1:5: unterminated array" },
	{ LIT("a ="), "1:4: expected a value, found end of file" },
	{ LIT("[a\nb = 1"), "1:3: expected ']' to close the table header" },
	{ LIT("[[a]\n"), "1:4: expected ']]' to close the table header, found ']'" },
	{ LIT("[a] b = 1"), "1:5: expected end of line after the table header, found 'b'" },
	/* dates and times */
	{ LIT("a = 2023-02-29"), "1:5: bad date '2023-02-29': day out of range" },
	{ LIT("a = 1900-02-29"), "1:5: bad date '1900-02-29': day out of range" },
	{ LIT("a = 2023-04-31"), "day out of range" },
	{ LIT("a = 2023-13-01"), "month out of range" },
	{ LIT("a = 12:00:61"), "1:5: bad time in '12:00:61': second out of range" },
	{ LIT("a = 12:00"), "1:5: bad time in '12:00': expected HH:MM:SS" },
	{ LIT("a = 2023-01-01T12:00:00+24:00"), "bad offset" },
	{ LIT("a = 2023-01-01T12:00:00+1:00"), "bad offset" },
	{ LIT("a = 12:00:00Z"), "1:13: unexpected 'Z' after the value '12:00:00'" },
	{ LIT("a = 2023-01-01X"), "1:15: unexpected 'X'" },
	/* redefinitions */
	{ LIT("a = 1\na = 2"), "2:1: duplicate key 'a' (first defined at 1:1)" },
	{ LIT("a = 1\n\"a\" = 2"), "2:1: duplicate key '\"a\"'" },
	{ LIT("[t]\n[t]"), "2:2: table 't' is already defined (at 1:1)" },
	{ LIT("[a.b]\n[a]\n[a]"), "3:2: table 'a' is already defined" },
	{ LIT("a.b = 1\n[a.b]"), "2:4: cannot define table 'a.b': it is already an integer" },
	{ LIT("a.b = 1\n[a]"), "2:2: table 'a' is already defined" },
	{ LIT("a = {b = 1}\na.c = 2"), "2:1: cannot add keys to 'a': it is an inline table" },
	{ LIT("a = {b = 1}\n[a.c]"), "2:2: cannot add a table under 'a': it is an inline table" },
	{ LIT("a = {b = {c = 1}, b.d = 2}"), "cannot add keys to 'b': it is an inline table" },
	{ LIT("a = [1]\n[[a]]"), "2:3: cannot make 'a' an array of tables: it is already an array" },
	{ LIT("a = [{}]\n[a.b]"), "2:2: cannot add a table under 'a': it is an array" },
	{ LIT("[[a]]\n[a]"), "2:2: cannot define table 'a': it is already an array of tables" },
	{ LIT("[a]\n[[a]]"), "2:3: cannot make 'a' an array of tables: it is already a table" },
	{ LIT("[a.b.c]\nz = 1\n[a]\nb.c.t = 2"), "4:3: cannot add keys to table 'b.c' with a dotted key" },
	{ LIT("[a.b]\n[a]\nb.x = 1"), "3:1: cannot add keys to table 'b' with a dotted key" },
	{ LIT("[a.b.c]\n[a]\nb.d = 1\n[a.b]"), "4:4: table 'a.b' is already defined" },
	{ LIT("a = true\na.b = 1"), "2:1: cannot add keys to 'a': it is a boolean (defined at 1:1)" },
	{ LIT("[[a.b]]\n[a]\nb.c = 1"), "3:1: cannot add keys to 'b': it is an array of tables" },
};

static void test_rejects(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct toml_doc *doc = (struct toml_doc *)1;
		int r;

		err_clear();
		r = toml_parse(bads[i].src, bads[i].len, &doc);
		if (r != ERR_INVALID)
			fail_msg("case %zu (%s) returned %d, not ERR_INVALID", i, bads[i].src, r);
		assert_null(doc);
		if (strstr(err_msg(), bads[i].want) == NULL)
			fail_msg("case %zu (%s): message \"%s\" does not contain \"%s\"", i, bads[i].src, err_msg(),
				 bads[i].want);
	}
}

static void test_limits(void **state)
{
	struct buf b = BUF_INIT(0);
	struct toml_doc *doc = NULL;
	int i;

	assert_int_equal(buf_adds(&b, "a = "), 0);
	for (i = 0; i < TOML_MAX_DEPTH; i++)
		assert_int_equal(buf_addc(&b, '['), 0);
	for (i = 0; i < TOML_MAX_DEPTH; i++)
		assert_int_equal(buf_addc(&b, ']'), 0);
	doc = parse_ok(b.data, b.len);
	toml_doc_free(doc);

	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "a = "), 0);
	for (i = 0; i <= TOML_MAX_DEPTH; i++)
		assert_int_equal(buf_adds(&b, "{b="), 0);
	assert_int_equal(toml_parse(b.data, b.len, &doc), ERR_LIMIT);
	assert_null(doc);
	assert_contains(err_msg(), "1:389: values nested more than 128 deep");

	buf_reset(&b);
	for (i = 0; i <= TOML_MAX_DEPTH; i++)
		assert_int_equal(buf_adds(&b, "k."), 0);
	assert_int_equal(buf_adds(&b, "k = 1"), 0);
	assert_int_equal(toml_parse(b.data, b.len, &doc), ERR_LIMIT);
	assert_contains(err_msg(), "1:257: key has more than 128 parts");
	buf_release(&b);
}

/* Line endings, the byte order mark and text that is not NUL-terminated. */
static void test_encoding(void **state)
{
	static const char crlf[] = "a = \"\"\"x\r\ny\"\"\"\r\n# c\r\nb = [\r\n 1,\r\n]\r\n";
	static const char bom[] = "\xef\xbb\xbf" "a = 1\n";
	static const char cut[] = "a = 12";
	struct toml_doc *doc;

	doc = PARSE(crlf);
	assert_string_equal(get_str(doc, "a", NULL), "x\ny");
	assert_int_equal(toml_key_span(at(doc, "b")).line, 4);
	toml_doc_free(doc);

	doc = PARSE(bom);
	assert_int_equal(get_int(doc, "a"), 1);
	assert_int_equal(toml_key_span(at(doc, "a")).col, 1);
	assert_int_equal(toml_key_span(at(doc, "a")).off, 3);
	toml_doc_free(doc);

	doc = parse_ok(cut, 5);
	assert_int_equal(get_int(doc, "a"), 1);
	toml_doc_free(doc);

	doc = parse_ok("", 0);
	assert_int_equal(toml_table_len(toml_doc_root(doc)), 0);
	toml_doc_free(doc);
}

static void assert_span(struct toml_span sp, unsigned line, unsigned col, const char *src, const char *text)
{
	if (sp.line != line || sp.col != col)
		fail_msg("span at %u:%u, want %u:%u", sp.line, sp.col, line, col);
	if (sp.len != strlen(text) || memcmp(src + sp.off, text, sp.len) != 0)
		fail_msg("span holds '%.*s', want '%s'", (int)sp.len, src + sp.off, text);
}

static void test_positions(void **state)
{
	static const char src[] =
		"# top\n"					/* 1 */
		"name = \"x\" # trailing\n"			/* 2 */
		"\"\xc3\xa9t\xc3\xa9\" = 'caf\xc3\xa9'\n"	/* 3: columns count characters */
		"arr = [\n"					/* 4 */
		"  1,\n"					/* 5 */
		"  { k = 2.5 },\n"				/* 6 */
		"]\n"						/* 7 */
		"\n"						/* 8 */
		"[server.main]\n"				/* 9 */
		"  port = 22\n"					/* 10 */
		"  a.b = 2000-01-01\n"				/* 11 */
		"[[nodes]]\n"					/* 12 */
		"host = \"n1\"\n";				/* 13 */
	struct toml_doc *doc = PARSE(src);
	const struct toml_value *root = toml_doc_root(doc), *arr, *v;
	struct toml_span sp;

	v = toml_table_get(root, "name");
	assert_span(toml_value_span(v), 2, 8, src, "\"x\"");
	assert_span(toml_key_span(v), 2, 1, src, "name");
	assert_span(toml_stmt_span(v), 2, 1, src, "name = \"x\" # trailing\n");

	v = toml_table_get(root, "\xc3\xa9t\xc3\xa9");
	assert_span(toml_key_span(v), 3, 1, src, "\"\xc3\xa9t\xc3\xa9\"");
	assert_span(toml_value_span(v), 3, 9, src, "'caf\xc3\xa9'");

	arr = toml_table_get(root, "arr");
	assert_span(toml_value_span(arr), 4, 7, src, "[\n  1,\n  { k = 2.5 },\n]");
	assert_span(toml_stmt_span(arr), 4, 1, src, "arr = [\n  1,\n  { k = 2.5 },\n]\n");
	assert_span(toml_value_span(toml_array_get(arr, 0)), 5, 3, src, "1");
	assert_int_equal(toml_key_span(toml_array_get(arr, 0)).len, 0);
	v = toml_array_get(arr, 1);
	assert_span(toml_value_span(v), 6, 3, src, "{ k = 2.5 }");
	assert_span(toml_value_span(toml_table_get(v, "k")), 6, 9, src, "2.5");
	assert_span(toml_key_span(toml_table_get(v, "k")), 6, 5, src, "k");
	assert_int_equal(toml_stmt_span(toml_table_get(v, "k")).len, 0);

	v = at(doc, "server");
	assert_span(toml_value_span(v), 9, 2, src, "server");	/* made implicitly */
	v = at(doc, "server.main");
	assert_span(toml_value_span(v), 9, 1, src, "[server.main]");
	assert_span(toml_key_span(v), 9, 9, src, "main");
	assert_span(toml_stmt_span(v), 9, 1, src, "[server.main]\n  port = 22\n  a.b = 2000-01-01\n");
	assert_span(toml_value_span(at(doc, "server.main.port")), 10, 10, src, "22");
	assert_span(toml_stmt_span(at(doc, "server.main.port")), 10, 1, src, "  port = 22\n");
	assert_span(toml_value_span(at(doc, "server.main.a")), 11, 3, src, "a");	/* made by a dotted key */
	assert_span(toml_key_span(at(doc, "server.main.a.b")), 11, 5, src, "b");
	assert_span(toml_value_span(at(doc, "server.main.a.b")), 11, 9, src, "2000-01-01");

	v = toml_array_get(toml_table_get(root, "nodes"), 0);
	assert_span(toml_value_span(v), 12, 1, src, "[[nodes]]");
	assert_span(toml_stmt_span(v), 12, 1, src, "[[nodes]]\nhost = \"n1\"\n");

	sp = toml_value_span(root);
	assert_int_equal(sp.line, 1);
	assert_int_equal(sp.len, strlen(src));
	toml_doc_free(doc);
}

/* Values nested on one line: every column counted from the right place. */
static void test_positions_one_line(void **state)
{
	static const char src[] = "x = [[1], { y = [2, \"\xc3\xa9\"], z.w = 3 }, 'z']  # \xc3\xa9\n";
	struct toml_doc *doc = PARSE(src);
	const struct toml_value *x = at(doc, "x"), *t = toml_array_get(x, 1);

	assert_span(toml_value_span(x), 1, 5, src, "[[1], { y = [2, \"\xc3\xa9\"], z.w = 3 }, 'z']");
	assert_span(toml_value_span(toml_array_get(toml_array_get(x, 0), 0)), 1, 7, src, "1");
	assert_span(toml_value_span(t), 1, 11, src, "{ y = [2, \"\xc3\xa9\"], z.w = 3 }");
	assert_span(toml_key_span(toml_table_get(t, "y")), 1, 13, src, "y");
	assert_span(toml_value_span(toml_array_get(toml_table_get(t, "y"), 1)), 1, 21, src, "\"\xc3\xa9\"");
	assert_span(toml_key_span(toml_table_get(t, "z")), 1, 27, src, "z");
	assert_span(toml_key_span(toml_table_get(toml_table_get(t, "z"), "w")), 1, 29, src, "w");
	assert_span(toml_value_span(toml_table_get(toml_table_get(t, "z"), "w")), 1, 33, src, "3");
	assert_span(toml_value_span(toml_array_get(x, 2)), 1, 38, src, "'z'");
	toml_doc_free(doc);
}

static void test_typed_access(void **state)
{
	struct toml_doc *doc = PARSE("a = 1\nb = \"s\"\n");
	const char *s;
	int64_t i;
	double f;
	bool b;
	struct toml_datetime dt;

	err_clear();
	assert_int_equal(toml_get_string(at(doc, "a"), &s, NULL), ERR_INVALID);
	assert_string_equal(s, "");
	assert_string_equal(err_msg(), "1:5: expected string, found integer");
	assert_int_equal(toml_get_int(at(doc, "b"), &i), ERR_INVALID);
	assert_string_equal(err_msg(), "2:5: expected integer, found string");
	assert_int_equal(i, 0);
	assert_int_equal(toml_get_float(at(doc, "a"), &f), ERR_INVALID);
	assert_int_equal(toml_get_bool(at(doc, "a"), &b), ERR_INVALID);
	assert_int_equal(toml_get_datetime(at(doc, "a"), &dt), ERR_INVALID);
	assert_contains(err_msg(), "1:5: expected date or time, found integer");
	assert_int_equal(toml_get_int(at(doc, "missing"), &i), ERR_NOTFOUND);
	assert_string_equal(toml_type_name(TOML_DATETIME_LOCAL), "local date-time");
	toml_doc_free(doc);
}

static void test_json(void **state)
{
	static const char src[] =
		"s = \"\\u0000\"\n"
		"f = [1.5, -inf, nan, 1e6, -0.0]\n"
		"d = 1987-07-05 17:45:56.6z\n"
		"t = 10:32:00.1234\n"
		"[[x]]\n"
		"y = { z = true }\n";
	static const char want[] =
		"{\n"
		"  \"s\": {\n    \"type\": \"string\",\n    \"value\": \"\\u0000\"\n  },\n"
		"  \"f\": [\n"
		"    {\n      \"type\": \"float\",\n      \"value\": \"1.5\"\n    },\n"
		"    {\n      \"type\": \"float\",\n      \"value\": \"-inf\"\n    },\n"
		"    {\n      \"type\": \"float\",\n      \"value\": \"nan\"\n    },\n"
		"    {\n      \"type\": \"float\",\n      \"value\": \"1e+06\"\n    },\n"
		"    {\n      \"type\": \"float\",\n      \"value\": \"-0\"\n    }\n"
		"  ],\n"
		"  \"d\": {\n    \"type\": \"datetime\",\n    \"value\": \"1987-07-05T17:45:56.600Z\"\n  },\n"
		"  \"t\": {\n    \"type\": \"time-local\",\n    \"value\": \"10:32:00.1234\"\n  },\n"
		"  \"x\": [\n"
		"    {\n      \"y\": {\n        \"z\": {\n          \"type\": \"bool\",\n"
		"          \"value\": \"true\"\n        }\n      }\n    }\n"
		"  ]\n"
		"}\n";
	struct toml_doc *doc = PARSE(src);
	struct buf out = BUF_INIT(0);

	assert_int_equal(toml_to_json(doc, &out), 0);
	assert_string_equal(out.data, want);
	buf_release(&out);
	toml_doc_free(doc);
}

/* ---- edits ---- */

static const char conf[] =
	"# chimera fleet\n"
	"name = \"prod\"   # the fleet's name\n"
	"\n"
	"[ssh]\n"
	"    user = 'deploy'\n"
	"    port = 22 # default\n"
	"\n"
	"# the nodes\n"
	"[[node]]\n"
	"host = \"web1\"\n"
	"tags = [\n"
	"  \"a\", # first\n"
	"  \"b\",\n"
	"]\n"
	"[[node]]\n"
	"host = \"web2\"\n"
	"opts = { retries = 3, quiet = true }\n";

/* OUT must equal the source with exactly one change: FROM (at its first place) became TO. */
static void assert_edit(const struct buf *out, const char *src, const char *from, const char *to)
{
	const char *at = strstr(src, from);
	size_t pre, post;

	assert_non_null(at);
	pre = (size_t)(at - src);
	post = strlen(src) - pre - strlen(from);
	if (out->len != pre + strlen(to) + post || memcmp(out->data, src, pre) != 0 ||
	    memcmp(out->data + pre, to, strlen(to)) != 0 ||
	    memcmp(out->data + pre + strlen(to), at + strlen(from), post) != 0)
		fail_msg("edit of '%s' into '%s' gave:\n%s", from, to, out->data);
}

static void test_edit_replace(void **state)
{
	struct toml_doc *doc = PARSE(conf), *again;
	struct buf out = BUF_INIT(0);
	const struct toml_value *node1 = toml_array_get(at(doc, "node"), 1);

	assert_int_equal(toml_edit_replace(doc, at(doc, "ssh.port"), LIT("2222"), &out), 0);
	assert_edit(&out, conf, "port = 22 #", "port = 2222 #");
	again = parse_ok(out.data, out.len);
	assert_int_equal(get_int(again, "ssh.port"), 2222);
	toml_doc_free(again);

	assert_int_equal(toml_edit_replace(doc, at(doc, "name"), LIT("'staging'"), &out), 0);
	assert_edit(&out, conf, "\"prod\"", "'staging'");

	assert_int_equal(toml_edit_replace(doc, toml_table_get(toml_table_get(node1, "opts"), "retries"), LIT("5"),
					   &out), 0);
	assert_edit(&out, conf, "retries = 3", "retries = 5");

	/* a value may change type and span lines */
	assert_int_equal(toml_edit_replace(doc, toml_table_get(toml_array_get(at(doc, "node"), 0), "tags"),
					   LIT("[\n  \"c\",\n]"), &out), 0);
	assert_edit(&out, conf, "[\n  \"a\", # first\n  \"b\",\n]", "[\n  \"c\",\n]");

	/* not a value, two values, not TOML, a result that would not parse */
	err_clear();
	assert_int_equal(toml_edit_replace(doc, at(doc, "ssh"), LIT("{}"), &out), ERR_UNSUPPORTED);
	assert_contains(err_msg(), "4:1: ");
	assert_int_equal(out.len, 0);
	assert_int_equal(toml_edit_replace(doc, at(doc, "name"), LIT("1\nb = 2"), &out), ERR_INVALID);
	assert_contains(err_msg(), "bad value text '1\\x0ab = 2': 1:2: unexpected end of line after the value");
	assert_int_equal(toml_edit_replace(doc, at(doc, "name"), LIT("prod"), &out), ERR_INVALID);
	assert_contains(err_msg(), "bad value text 'prod': 1:1: bad value 'prod'");
	assert_int_equal(toml_edit_replace(doc, at(doc, "name"), LIT(""), &out), ERR_INVALID);
	assert_int_equal(toml_edit_replace(doc, at(doc, "name"), LIT("'''a\nb'''"), &out), 0);
	assert_int_equal(out.len, strlen(conf) + 3);
	/* an array element */
	assert_int_equal(toml_edit_replace(doc, toml_array_get(toml_table_get(toml_array_get(at(doc, "node"), 0), "tags"), 1),
					   LIT("2"), &out), 0);
	assert_edit(&out, conf, "\"b\"", "2");
	buf_release(&out);
	toml_doc_free(doc);
}

static void test_edit_remove(void **state)
{
	struct toml_doc *doc = PARSE(conf), *again;
	struct buf out = BUF_INIT(0);
	const struct toml_value *nodes = at(doc, "node");

	assert_int_equal(toml_edit_remove(doc, at(doc, "ssh.port"), &out), 0);
	assert_edit(&out, conf, "    port = 22 # default\n", "");

	assert_int_equal(toml_edit_remove(doc, at(doc, "name"), &out), 0);
	assert_edit(&out, conf, "name = \"prod\"   # the fleet's name\n", "");

	/* a statement over several lines goes whole, comments inside it too */
	assert_int_equal(toml_edit_remove(doc, toml_table_get(toml_array_get(nodes, 0), "tags"), &out), 0);
	assert_edit(&out, conf, "tags = [\n  \"a\", # first\n  \"b\",\n]\n", "");

	/* a section: header through its last key/value line; the comment after it stays */
	assert_int_equal(toml_edit_remove(doc, at(doc, "ssh"), &out), 0);
	assert_edit(&out, conf, "[ssh]\n    user = 'deploy'\n    port = 22 # default\n", "");

	/* one element of an array of tables */
	assert_int_equal(toml_edit_remove(doc, toml_array_get(nodes, 1), &out), 0);
	assert_edit(&out, conf, "[[node]]\nhost = \"web2\"\nopts = { retries = 3, quiet = true }\n", "");
	again = parse_ok(out.data, out.len);
	assert_int_equal(toml_array_len(at(again, "node")), 1);
	toml_doc_free(again);

	/* no lines of their own: inside an inline table, an array element, the root, the array of tables */
	err_clear();
	assert_int_equal(toml_edit_remove(doc, toml_table_get(toml_table_get(toml_array_get(nodes, 1), "opts"), "quiet"),
					  &out), ERR_UNSUPPORTED);
	assert_contains(err_msg(), "17:31: this boolean has no lines of its own");
	assert_int_equal(toml_edit_remove(doc, toml_doc_root(doc), &out), ERR_UNSUPPORTED);
	assert_int_equal(toml_edit_remove(doc, nodes, &out), ERR_UNSUPPORTED);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	toml_doc_free(doc);
}

static void test_edit_remove_last_line(void **state)
{
	static const char src[] = "a = 1\nb = 2";
	struct toml_doc *doc = PARSE(src);
	struct buf out = BUF_INIT(0);

	assert_int_equal(toml_edit_remove(doc, at(doc, "b"), &out), 0);
	assert_string_equal(out.data, "a = 1\n");
	assert_int_equal(toml_edit_remove(doc, at(doc, "a"), &out), 0);
	assert_string_equal(out.data, "b = 2");
	buf_release(&out);
	toml_doc_free(doc);
}

static void test_edit_insert(void **state)
{
	struct toml_doc *doc = PARSE(conf), *again;
	struct buf out = BUF_INIT(0);
	const struct toml_value *nodes = at(doc, "node");

	/* root: after its last key/value line, before the blank line and the first header */
	assert_int_equal(toml_edit_insert(doc, toml_doc_root(doc), LIT("version"), LIT("2"), &out), 0);
	assert_edit(&out, conf, "fleet's name\n", "fleet's name\nversion = 2\n");

	/* a section: indented like its last line */
	assert_int_equal(toml_edit_insert(doc, at(doc, "ssh"), LIT("key file"), LIT("\"~/.ssh/id\""), &out), 0);
	assert_edit(&out, conf, "22 # default\n", "22 # default\n    \"key file\" = \"~/.ssh/id\"\n");
	again = parse_ok(out.data, out.len);
	assert_string_equal(get_str(again, "ssh.key file", NULL), "~/.ssh/id");
	toml_doc_free(again);

	/* an element of an array of tables; the last section of a document */
	assert_int_equal(toml_edit_insert(doc, toml_array_get(nodes, 0), LIT("port"), LIT("2022"), &out), 0);
	assert_edit(&out, conf, "  \"b\",\n]\n", "  \"b\",\n]\nport = 2022\n");
	assert_int_equal(toml_edit_insert(doc, toml_array_get(nodes, 1), LIT("port"), LIT("{ a = 1 }"), &out), 0);
	assert_edit(&out, conf, "quiet = true }\n", "quiet = true }\nport = { a = 1 }\n");

	/* refused: the key exists, bad text, a table without lines of its own */
	err_clear();
	assert_int_equal(toml_edit_insert(doc, at(doc, "ssh"), LIT("port"), LIT("1"), &out), ERR_INVALID);
	assert_contains(err_msg(), "key 'port' already exists");
	assert_int_equal(toml_edit_insert(doc, at(doc, "ssh"), LIT("x"), LIT("1 2"), &out), ERR_INVALID);
	assert_int_equal(toml_edit_insert(doc, toml_table_get(toml_array_get(nodes, 1), "opts"), LIT("x"), LIT("1"),
					  &out), ERR_UNSUPPORTED);
	assert_int_equal(toml_edit_insert(doc, at(doc, "name"), LIT("x"), LIT("1"), &out), ERR_UNSUPPORTED);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	toml_doc_free(doc);
}

static void test_edit_insert_shapes(void **state)
{
	struct buf out = BUF_INIT(0);
	struct toml_doc *doc;

	/* no newline at the end; CRLF documents get CRLF */
	doc = PARSE("[t]\r\na = 1");
	assert_int_equal(toml_edit_insert(doc, at(doc, "t"), LIT("b"), LIT("2"), &out), 0);
	assert_string_equal(out.data, "[t]\r\na = 1\r\nb = 2\r\n");
	toml_doc_free(doc);

	/* an empty section; an empty root with a header after it */
	doc = PARSE("# c\n[t]\n\n[u]\n");
	assert_int_equal(toml_edit_insert(doc, at(doc, "t"), LIT("b"), LIT("true"), &out), 0);
	assert_string_equal(out.data, "# c\n[t]\nb = true\n\n[u]\n");
	assert_int_equal(toml_edit_insert(doc, toml_doc_root(doc), LIT("top"), LIT("1"), &out), 0);
	assert_string_equal(out.data, "top = 1\n# c\n[t]\n\n[u]\n");
	toml_doc_free(doc);

	/* an empty document, and one with only a byte order mark */
	doc = PARSE("");
	assert_int_equal(toml_edit_insert(doc, toml_doc_root(doc), LIT(""), LIT("1"), &out), 0);
	assert_string_equal(out.data, "\"\" = 1\n");
	toml_doc_free(doc);
	doc = PARSE("\xef\xbb\xbf");
	assert_int_equal(toml_edit_insert(doc, toml_doc_root(doc), LIT("a"), LIT("1"), &out), 0);
	assert_string_equal(out.data, "\xef\xbb\xbf" "a = 1\n");
	toml_doc_free(doc);
	buf_release(&out);
}

static void test_edit_add_table(void **state)
{
	static const char *const path[] = { "servers", "web 1" };
	static const char *const existing[] = { "a" };
	struct buf out = BUF_INIT(0);
	struct toml_doc *doc = PARSE("a = 1 # one"), *again;

	assert_int_equal(toml_edit_add_table(doc, path, 2, false, &out), 0);
	assert_string_equal(out.data, "a = 1 # one\n\n[servers.\"web 1\"]\n");
	assert_int_equal(toml_edit_add_table(doc, path, 1, true, &out), 0);
	assert_string_equal(out.data, "a = 1 # one\n\n[[servers]]\n");
	again = parse_ok(out.data, out.len);
	assert_int_equal(toml_edit_insert(again, toml_array_get(at(again, "servers"), 0), LIT("h"), LIT("'x'"), &out), 0);
	assert_string_equal(out.data, "a = 1 # one\n\n[[servers]]\nh = 'x'\n");
	toml_doc_free(again);

	err_clear();
	assert_int_equal(toml_edit_add_table(doc, existing, 1, false, &out), ERR_INVALID);
	assert_contains(err_msg(), "edit makes bad toml: 3:2: cannot define table 'a'");
	assert_int_equal(out.len, 0);
	assert_int_equal(toml_edit_add_table(doc, existing, 0, false, &out), ERR_INVALID);
	toml_doc_free(doc);

	doc = PARSE("");
	assert_int_equal(toml_edit_add_table(doc, path, 1, false, &out), 0);
	assert_string_equal(out.data, "[servers]\n");
	toml_doc_free(doc);
	buf_release(&out);
}

static void test_format(void **state)
{
	static const char s[] = "q\" b\\ \t\n\r\b\f \x01\x1f\x7f \xc3\xa9 \0end";
	struct buf b = BUF_INIT(0);
	struct toml_doc *doc;
	const char *got;
	size_t len;

	assert_int_equal(buf_adds(&b, "k = "), 0);
	assert_int_equal(toml_format_string(&b, s, sizeof(s) - 1), 0);
	assert_string_equal(b.data, "k = \"q\\\" b\\\\ \t\\n\\r\\b\\f \\u0001\\u001F\\u007F \xc3\xa9 \\u0000end\"");
	doc = parse_ok(b.data, b.len);
	got = get_str(doc, "k", &len);
	assert_int_equal(len, sizeof(s) - 1);
	assert_memory_equal(got, s, len);
	toml_doc_free(doc);

	buf_reset(&b);
	assert_int_equal(toml_format_key(&b, LIT("bare-Key_1")), 0);
	assert_int_equal(toml_format_key(&b, LIT("a.b")), 0);
	assert_int_equal(toml_format_key(&b, LIT("")), 0);
	assert_string_equal(b.data, "bare-Key_1\"a.b\"\"\"");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_datetimes),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_big_table),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_positions_one_line),
		cmocka_unit_test(test_typed_access),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_edit_replace),
		cmocka_unit_test(test_edit_remove),
		cmocka_unit_test(test_edit_remove_last_line),
		cmocka_unit_test(test_edit_insert),
		cmocka_unit_test(test_edit_insert_shapes),
		cmocka_unit_test(test_edit_add_table),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
