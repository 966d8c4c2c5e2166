/* JSON helpers: string escaping and the canonical form of a document. */
#include "util/json.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

int json_add_string(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p;
	int r = 0;

	if ((r = buf_addc(b, '"')) < 0)
		return r;
	for (; *p; p++) {
		char esc[7];
		size_t n = 0;

		if (*p >= 0x20 && *p != '"' && *p != '\\')
			continue;
		if ((r = buf_add(b, run, (size_t)(p - run))) < 0)
			return r;
		run = p + 1;
		esc[n++] = '\\';
		switch (*p) {
		case '"': esc[n++] = '"'; break;
		case '\\': esc[n++] = '\\'; break;
		case '\n': esc[n++] = 'n'; break;
		case '\r': esc[n++] = 'r'; break;
		case '\t': esc[n++] = 't'; break;
		case '\b': esc[n++] = 'b'; break;
		case '\f': esc[n++] = 'f'; break;
		default:
			memcpy(esc + n, "u00", 3);
			n += 3;
			esc[n++] = hex[*p >> 4];
			esc[n++] = hex[*p & 15];
		}
		if ((r = buf_add(b, esc, n)) < 0)
			return r;
	}
	if ((r = buf_add(b, run, (size_t)(p - run))) < 0)
		return r;
	return buf_addc(b, '"');
}

static int real_digits(double x)
{
	char s[40];
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(s, sizeof(s), "%.*g", p, x);
		if (strtod(s, NULL) == x)
			return p;
	}
	return 17;
}

int json_real_digits(const json_t *doc)
{
	const char *key;
	json_t *v;
	size_t i;
	int d = 1, k;

	switch (json_typeof(doc)) {
	case JSON_REAL:
		return real_digits(json_real_value(doc));
	case JSON_OBJECT:
		json_object_foreach((json_t *)doc, key, v)
			if ((k = json_real_digits(v)) > d)
				d = k;
		return d;
	case JSON_ARRAY:
		json_array_foreach(doc, i, v)
			if ((k = json_real_digits(v)) > d)
				d = k;
		return d;
	default:
		return 1;
	}
}

int json_canonical(const char *text, struct buf *out)
{
	json_error_t jerr;
	json_t *doc;
	char *s = NULL;
	int r = 0;

	doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		char why[sizeof(jerr.text) * 4];

		/* jansson's text quotes the input, which may hold any byte. */
		err_quote(why, sizeof(why), jerr.text, strlen(jerr.text));
		return err_set(ERR_INVALID, "bad json at line %d column %d: %s", jerr.line, jerr.column, why);
	}
	if (!json_is_object(doc)) {
		r = err_set(ERR_INVALID, "bad json: expected an object");
		goto out;
	}
	s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(json_real_digits(doc)));
	if (!s) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	r = buf_adds(out, s);
out:
	free(s);
	json_decref(doc);
	return r;
}

/* Length of the well-formed UTF-8 sequence at P (at most N bytes), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int json_utf8_clean(const char *p, size_t n, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, run = 0;
	int r;

	while (i < n) {
		size_t len = s[i] ? utf8_seq(s + i, n - i) : 0;

		if (len) {
			i += len;
			continue;
		}
		if ((r = buf_add(out, p + run, i - run)) < 0 || (r = buf_adds(out, "\xef\xbf\xbd")) < 0)
			return r;
		i++;
		run = i;
	}
	return buf_add(out, p + run, n - run);
}

json_t *json_utf8_string(const char *p, size_t n)
{
	struct buf b = BUF_INIT(0);
	json_t *j = NULL;

	if (json_utf8_clean(p, n, &b) == 0)
		j = json_stringn(b.data ? b.data : "", b.len);
	buf_release(&b);
	return j;
}

char *json_render(json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(json_real_digits(doc))) : NULL;

	json_decref(doc);
	return text;
}
