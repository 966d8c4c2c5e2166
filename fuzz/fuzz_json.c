/* Fuzz target for util/json: json_canonical, the ledger payload canonicaliser, and friends. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

/* json_canonical takes a C string: it sees the input up to its first NUL byte. */
const char *const fuzz_seeds[] = {
	"{}",
	"{\"a\":1}",
	"{\"b\":1,\"a\":2}",
	"{ \"z\" : [1, 2.5, -3e2, true, false, null], \"a\" : {\"y\": {}, \"x\": []} }",
	"{\"event\":\"deploy.started\",\"v\":1,\"node\":\"root@web1:22\","
	    "\"gen\":42,\"paths\":[\"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-x\"]}",
	"{\"s\":\"tab\\there \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r \\u00e9 \\u20ac \\ud83d\\ude00\"}",
	"{\"\xc3\xa9\":\"\xe2\x82\xac\",\"e\":\"\xf0\x9f\x98\x80\"}",
	"{\"n\":-0,\"m\":-0.0,\"big\":9223372036854775807,\"small\":-9223372036854775808}",
	"{\"f\":0.1,\"g\":1e-7,\"h\":123456789012345678901234567890.5,\"i\":1E+2}",
	"{\"deep\":[[[[[[[[[[{\"k\":[[[]]]}]]]]]]]]]]}",
	"{\"B\":1,\"a\":2,\"A\":3,\"b\":4,\"\":5,\"aa\":6}",
	"\n\t {\"ws\" :\r\n1}\n",
	/* near misses */
	"",
	"[]",
	"[1,2]",
	"\"str\"",
	"42",
	"null",
	"{",
	"{\"a\"}",
	"{\"a\":}",
	"{\"a\":1,}",
	"{\"a\":1,\"a\":2}",
	"{\"a\":1,\"\\u0061\":2}",
	"{\"a\":\"\\u0000\"}",
	"{\"\\u0000\":1}",
	"{\"a\":\"\\ud800\"}",
	"{\"a\":\"\\udc00\\ud800\"}",
	"{\"a\":\"\\x41\"}",
	"{\"a\":01}",
	"{\"a\":1.}",
	"{\"a\":.5}",
	"{\"a\":1e999}",
	"{\"a\":99999999999999999999}",
	"{\"a\":NaN}",
	"{\"a\":tru}",
	"{\"a\":\"\xc3\"}",
	"{\"a\":\"\xed\xa0\x80\"}",
	"{\"a\":\"\xc0\xaf\"}",
	"{\"a\":\"x\x01y\"}",
	"{\"a\":1}x",
	"{\"a\":1}{}",
	"{'a':1}",
	"\xef\xbb\xbf{}",
	NULL,
};

/* Length of the well-formed UTF-8 sequence at P (N bytes left), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned long cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_len(p + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

/* No whitespace outside string literals. */
static void check_compact(const char *s, size_t n)
{
	bool in_str = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				in_str = false;
			continue;
		}
		if (s[i] == '"')
			in_str = true;
		FUZZ_CHECK(strchr(" \t\r\n", s[i]) == NULL || s[i] == '\0',
		    "canonical form has whitespace at %zu: %s", i, s);
	}
}

/* Keys of every object in V, in document order, strictly increase by byte value. */
static void check_sorted(json_t *v)
{
	const char *key, *prev = NULL;
	json_t *item;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, item) {
			FUZZ_CHECK(prev == NULL || strcmp(prev, key) < 0,
			    "keys '%s' and '%s' out of order", prev, key);
			prev = key;
			check_sorted(item);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			check_sorted(item);
	}
}

static void check_failure(int r, const struct buf *out)
{
	const char *msg = err_msg();
	size_t n = strlen(msg), bad;

	FUZZ_CHECK(r == ERR_INVALID || r == ERR_NOMEM, "json_canonical returned %d", r);
	FUZZ_CHECK(!fuzz_err_marked(), "json_canonical failed without setting a message");
	FUZZ_CHECK(n > 0, "json_canonical failed with an empty message");
	FUZZ_CHECK(strncmp(msg, "bad json", 8) == 0 || r == ERR_NOMEM,
	    "message \"%s\" does not say what was bad", msg);
	FUZZ_CHECK(out->len == 0 && out->data[0] == '\0', "failed json_canonical wrote '%s'",
	    out->data);
	bad = fuzz_unprintable(msg, n);
	if (bad < n)
		fuzz_fail("message has raw byte 0x%02x at %zu: \"%s\"", (unsigned char)msg[bad], bad, msg);
}

static void check_canonical(const char *text)
{
	struct buf out, again;
	json_error_t jerr;
	json_t *in, *back;
	int r;

	buf_init(&out, 0);
	fuzz_err_mark();
	r = json_canonical(text, &out);
	if (r != 0) {
		check_failure(r, &out);
		buf_release(&out);
		return;
	}
	FUZZ_CHECK(strlen(out.data) == out.len, "canonical form holds a NUL byte");
	FUZZ_CHECK(utf8_valid(out.data, out.len), "canonical form is not UTF-8: %s", out.data);
	FUZZ_CHECK(out.len >= 2 && out.data[0] == '{' && out.data[out.len - 1] == '}',
	    "canonical form is not an object: %s", out.data);
	check_compact(out.data, out.len);

	in = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_CHECK(in != NULL, "accepted input does not parse: %s", jerr.text);
	back = json_loads(out.data, JSON_REJECT_DUPLICATES, &jerr);
	FUZZ_CHECK(back != NULL, "canonical form does not parse: %s: %s", jerr.text, out.data);
	FUZZ_CHECK(json_equal(in, back), "canonical form has another value: %s", out.data);
	check_sorted(back);

	buf_init(&again, 0);
	r = json_canonical(out.data, &again);
	FUZZ_CHECK(r == 0, "canonical form is rejected: %s", err_msg());
	FUZZ_CHECK(again.len == out.len && memcmp(again.data, out.data, out.len) == 0,
	    "not idempotent: %s then %s", out.data, again.data);

	json_decref(in);
	json_decref(back);
	buf_release(&again);
	buf_release(&out);
}

/* Cleaning makes valid UTF-8, keeps valid input as it is, and survives a JSON string. */
static void check_utf8_clean(const char *s, size_t n)
{
	struct buf clean, twice, lit;
	json_error_t jerr;
	json_t *doc;
	int r;

	buf_init(&clean, 0);
	buf_init(&twice, 0);
	buf_init(&lit, 0);
	r = json_utf8_clean(s, n, &clean);
	FUZZ_CHECK(r == 0, "json_utf8_clean failed: %s", err_msg());
	FUZZ_CHECK(utf8_valid(clean.data, clean.len) &&
	    memchr(clean.data, '\0', clean.len) == NULL, "cleaned text is not NUL-free UTF-8");
	if (utf8_valid(s, n) && memchr(s, '\0', n) == NULL)
		FUZZ_CHECK(clean.len == n && memcmp(clean.data, s, n) == 0,
		    "valid UTF-8 was changed by cleaning");
	FUZZ_CHECK(json_utf8_clean(clean.data, clean.len, &twice) == 0 &&
	    twice.len == clean.len && memcmp(twice.data, clean.data, clean.len) == 0,
	    "cleaning is not idempotent");

	FUZZ_CHECK(buf_addc(&lit, '[') == 0 && json_add_string(&lit, clean.data) == 0 &&
	    buf_addc(&lit, ']') == 0, "json_add_string failed: %s", err_msg());
	doc = json_loads(lit.data, 0, &jerr);
	FUZZ_CHECK(doc != NULL, "string literal does not parse: %s: %s", jerr.text, lit.data);
	FUZZ_CHECK(json_array_size(doc) == 1 && json_is_string(json_array_get(doc, 0)) &&
	    strcmp(json_string_value(json_array_get(doc, 0)), clean.data) == 0,
	    "string literal %s has another value", lit.data);
	json_decref(doc);
	buf_release(&lit);
	buf_release(&twice);
	buf_release(&clean);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	fuzz_begin(data, size);
	text = fuzz_strndup(data, size);
	check_canonical(text);
	check_utf8_clean((const char *)data, size);
	free(text);
	return 0;
}
