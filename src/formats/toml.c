/* TOML 1.0 parser that keeps source positions, with lookups and byte-preserving text edits. */
#include "formats/toml.h"
#include "util/err.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a value is and how it came to be; the redefinition rules turn on these. */
enum {
	VF_TEXT = 1 << 0,	/* written as a value: its span is its text, so it can be replaced */
	VF_IMPLICIT = 1 << 1,	/* table made as a parent by a [header]; a header may still define it */
	VF_EXPLICIT = 1 << 2,	/* table defined by [header], or an element made by [[header]] */
	VF_DOTTED = 1 << 3,	/* table made by a dotted key */
	VF_INLINE = 1 << 4,	/* inline table: closed for good */
	VF_AOT = 1 << 5,	/* array made by [[header]]: more elements may follow */
	VF_SECTION = 1 << 6,	/* root or a [header] table: has lines new keys can go after */
};

/* Tables this small are searched in a line; bigger ones get a hash index. */
#define INDEX_MIN 8

struct toml_kv {
	char *key;		/* NUL-terminated copy; may hold NUL bytes too */
	size_t keylen;
	struct toml_value *val;
};

struct toml_value {
	enum toml_type type;
	unsigned flags;
	struct toml_span span;	/* see toml_value_span */
	struct toml_span key;	/* see toml_key_span */
	struct toml_span stmt;	/* see toml_stmt_span */
	union {
		struct {
			char *s;
			size_t len;
		} str;
		int64_t i;
		double f;
		bool b;
		struct toml_datetime dt;
		struct {
			struct toml_value **v;
			size_t n, cap;
		} arr;
		struct {
			struct toml_kv *kv;
			size_t n, cap;
			uint32_t *idx;		/* open addressing: index into kv + 1; 0 is empty */
			size_t idx_cap;		/* a power of two, or 0 while there is no index */
			size_t sect_end;	/* VF_SECTION: just past its last line */
			size_t last_line;	/* VF_SECTION: start of its last key/value line, or SIZE_MAX */
		} tab;
	} u;
};

struct toml_doc {
	char *src;		/* own copy, NUL-terminated */
	size_t len;
	size_t start;		/* 3 after a byte order mark, else 0 */
	bool crlf;		/* the first line ends in CRLF: edits write CRLF too */
	struct toml_value *root;
};

/* One part of a key as written: decoded text (owned until handed to a table) and its source bytes. */
struct key_seg {
	char *s;
	size_t len;
	size_t off, end;
	struct toml_span sp;
};

struct keypath {
	struct key_seg *seg;
	size_t n, cap;
};

struct parser {
	const char *s;
	size_t len, i;
	size_t *lines;		/* offset where each line starts */
	size_t nlines;
	size_t cache_line, cache_off;	/* column of the last position asked for, to count on from */
	unsigned cache_col;
	struct toml_value *root;
	struct toml_value *cur;		/* table key/values go into */
	struct toml_value *section;	/* table whose lines we are in: root or a [header] table */
	int depth;
	struct buf tmp;			/* scratch for decoding strings and numbers */
};

/* Set and return ERR_NOMEM. */
static int nomem(void)
{
	return err_set(ERR_NOMEM, "out of memory");
}

/* ---- values and tables ---- */

/* A new empty value of type T, or NULL when out of memory. */
static struct toml_value *value_new(enum toml_type t)
{
	struct toml_value *v = calloc(1, sizeof(*v));

	if (v) {
		v->type = t;
		if (t == TOML_TABLE)
			v->u.tab.last_line = SIZE_MAX;
	}
	return v;
}

/* Free V and everything under it. NULL is fine. */
static void value_free(struct toml_value *v)
{
	size_t i;

	if (!v)
		return;
	switch (v->type) {
	case TOML_STRING:
		free(v->u.str.s);
		break;
	case TOML_ARRAY:
		for (i = 0; i < v->u.arr.n; i++)
			value_free(v->u.arr.v[i]);
		free(v->u.arr.v);
		break;
	case TOML_TABLE:
		for (i = 0; i < v->u.tab.n; i++) {
			free(v->u.tab.kv[i].key);
			value_free(v->u.tab.kv[i].val);
		}
		free(v->u.tab.kv);
		free(v->u.tab.idx);
		break;
	default:
		break;
	}
	free(v);
}

/* FNV-1a over the key's bytes. */
static uint32_t key_hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 16777619u;
	}
	return h;
}

/* Whether KV's key is the N bytes at K. */
static bool key_eq(const struct toml_kv *kv, const char *k, size_t n)
{
	return kv->keylen == n && memcmp(kv->key, k, n) == 0;
}

/* The value at key K in table T, or NULL. */
static struct toml_value *table_find(const struct toml_value *t, const char *k, size_t n)
{
	size_t i, mask;

	if (t->u.tab.idx_cap == 0) {
		for (i = 0; i < t->u.tab.n; i++) {
			if (key_eq(&t->u.tab.kv[i], k, n))
				return t->u.tab.kv[i].val;
		}
		return NULL;
	}
	mask = t->u.tab.idx_cap - 1;
	for (i = key_hash(k, n) & mask; t->u.tab.idx[i]; i = (i + 1) & mask) {
		const struct toml_kv *kv = &t->u.tab.kv[t->u.tab.idx[i] - 1];

		if (key_eq(kv, k, n))
			return kv->val;
	}
	return NULL;
}

/* Enter kv[AT] in T's index, which has a free slot. */
static void index_put(struct toml_value *t, size_t at)
{
	size_t mask = t->u.tab.idx_cap - 1;
	size_t i = key_hash(t->u.tab.kv[at].key, t->u.tab.kv[at].keylen) & mask;

	while (t->u.tab.idx[i])
		i = (i + 1) & mask;
	t->u.tab.idx[i] = (uint32_t)(at + 1);
}

/* Rebuild T's index with CAP slots. Returns 0 or ERR_NOMEM (the old index kept). */
static int index_rebuild(struct toml_value *t, size_t cap)
{
	uint32_t *idx = calloc(cap, sizeof(*idx));
	size_t i;

	if (!idx)
		return nomem();
	free(t->u.tab.idx);
	t->u.tab.idx = idx;
	t->u.tab.idx_cap = cap;
	for (i = 0; i < t->u.tab.n; i++)
		index_put(t, i);
	return 0;
}

/*
 * Add key K (N bytes, malloc'd and NUL-terminated) with value V to table T; the key must
 * be absent. Takes K and V on success; on ERR_NOMEM the caller still owns both.
 */
static int table_add(struct toml_value *t, char *k, size_t n, struct toml_value *v)
{
	size_t need = t->u.tab.n + 1;
	int r;

	if (need > UINT32_MAX - 1)
		return err_set(ERR_LIMIT, "too many keys in one table");
	if (t->u.tab.n == t->u.tab.cap) {
		size_t cap = t->u.tab.cap ? t->u.tab.cap * 2 : 4;
		struct toml_kv *kv = realloc(t->u.tab.kv, cap * sizeof(*kv));

		if (!kv)
			return nomem();
		t->u.tab.kv = kv;
		t->u.tab.cap = cap;
	}
	if (need > INDEX_MIN && need * 2 > t->u.tab.idx_cap) {
		if ((r = index_rebuild(t, t->u.tab.idx_cap ? t->u.tab.idx_cap * 2 : 32)) < 0)
			return r;
	}
	t->u.tab.kv[t->u.tab.n].key = k;
	t->u.tab.kv[t->u.tab.n].keylen = n;
	t->u.tab.kv[t->u.tab.n].val = v;
	if (t->u.tab.idx_cap)
		index_put(t, t->u.tab.n);
	t->u.tab.n++;
	return 0;
}

/* Append V to array A. Takes V on success; on ERR_NOMEM the caller still owns it. */
static int array_add(struct toml_value *a, struct toml_value *v)
{
	if (a->u.arr.n == a->u.arr.cap) {
		size_t cap = a->u.arr.cap ? a->u.arr.cap * 2 : 4;
		struct toml_value **p = realloc(a->u.arr.v, cap * sizeof(*p));

		if (!p)
			return nomem();
		a->u.arr.v = p;
		a->u.arr.cap = cap;
	}
	a->u.arr.v[a->u.arr.n++] = v;
	return 0;
}

/* ---- positions and errors ---- */

/* The span of LEN bytes at OFF, with its line and column (in characters). */
static struct toml_span span_at(struct parser *p, size_t off, size_t len)
{
	struct toml_span sp = { 0, 0, off, len };
	size_t lo = 0, hi = p->nlines, from, k;
	unsigned col;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->lines[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	if (p->cache_line == lo && p->cache_off <= off && p->cache_col) {
		from = p->cache_off;
		col = p->cache_col;
	} else {
		from = p->lines[lo];
		col = 1;
	}
	for (k = from; k < off && k < p->len; k++) {
		if (((unsigned char)p->s[k] & 0xc0) != 0x80)
			col++;
	}
	if (from <= off) {
		p->cache_line = lo;
		p->cache_off = off;
		p->cache_col = col;
	}
	sp.line = (unsigned)lo + 1;
	sp.col = col;
	return sp;
}

/* Set CODE with "LINE:COL: message" for the position OFF. Returns CODE. */
static int perr_code(struct parser *p, int code, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int perr_code(struct parser *p, int code, size_t off, const char *fmt, ...)
{
	struct toml_span sp = span_at(p, off, 0);
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(code, "%u:%u: %s", sp.line, sp.col, msg);
}

#define perr(p, off, ...) perr_code((p), ERR_INVALID, (off), __VA_ARGS__)

/* Quote N source bytes at OFF for a message. Returns DST. */
static const char *quote(struct parser *p, char *dst, size_t dstlen, size_t off, size_t n)
{
	if (off > p->len)
		off = p->len;
	if (n > p->len - off)
		n = p->len - off;
	return err_quote(dst, dstlen, p->s + off, n);
}

/* Describe the character at OFF for "found X": 'c', end of line or end of file. */
static const char *found(struct parser *p, char *dst, size_t dstlen, size_t off)
{
	unsigned char c;
	size_t n = 1;
	char q[40];

	if (off >= p->len)
		return "end of file";
	c = (unsigned char)p->s[off];
	if (c == '\n' || (c == '\r' && off + 1 < p->len && p->s[off + 1] == '\n'))
		return "end of line";
	if (c >= 0xf0)
		n = 4;
	else if (c >= 0xe0)
		n = 3;
	else if (c >= 0xc0)
		n = 2;
	snprintf(dst, dstlen, "'%s'", quote(p, q, sizeof(q), off, n));
	return dst;
}

/* Quote the key path KP as written, up to and including part K. */
static const char *keyq(struct parser *p, char *dst, size_t dstlen, const struct keypath *kp, size_t k)
{
	return quote(p, dst, dstlen, kp->seg[0].off, kp->seg[k].end - kp->seg[0].off);
}

/*
 * Check the whole text is UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF) and note where each line starts. Returns 0, ERR_INVALID or ERR_NOMEM.
 */
static int scan_lines(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i, n = 1;

	for (i = 0; i < p->len; i++)
		n += s[i] == '\n';
	if (!(p->lines = malloc(n * sizeof(*p->lines))))
		return nomem();
	p->lines[0] = 0;
	p->nlines = 1;
	i = 0;
	while (i < p->len) {
		unsigned char c = s[i], lo = 0x80, hi = 0xbf;
		size_t k, need;

		if (c < 0x80) {
			if (c == '\n')
				p->lines[p->nlines++] = i + 1;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3;
		else
			return perr(p, i, "invalid utf-8 byte 0x%02x", c);
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		else if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		for (k = 1; k <= need; k++) {
			unsigned char d = i + k < p->len ? s[i + k] : 0;

			if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xbf))
				return perr(p, i, "invalid utf-8 sequence starting with byte 0x%02x", c);
		}
		i += need + 1;
	}
	return 0;
}

/* ---- whitespace, comments, line ends ---- */

/* The byte at the cursor, or -1 at the end. */
static int peek(const struct parser *p)
{
	return p->i < p->len ? (unsigned char)p->s[p->i] : -1;
}

/* The byte K past the cursor, or -1 past the end. */
static int peek_at(const struct parser *p, size_t k)
{
	return p->i + k < p->len ? (unsigned char)p->s[p->i + k] : -1;
}

/* Skip spaces and tabs. */
static void skip_ws(struct parser *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
		p->i++;
}

/* Control characters no string or comment may hold raw (tab is fine). */
static bool is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* At '#': skip the comment up to (not past) its line end. Control characters are refused. */
static int skip_comment(struct parser *p)
{
	for (p->i++; p->i < p->len; p->i++) {
		unsigned char c = (unsigned char)p->s[p->i];

		if (c == '\n' || (c == '\r' && peek_at(p, 1) == '\n'))
			return 0;
		if (c == '\r')
			return perr(p, p->i, "bare carriage return in comment");
		if (is_control(c))
			return perr(p, p->i, "control character U+%04X in comment", c);
	}
	return 0;
}

/* Skip whitespace, newlines and comments (between array elements). */
static int skip_blank(struct parser *p)
{
	int r;

	for (;;) {
		skip_ws(p);
		switch (peek(p)) {
		case '\n':
			p->i++;
			break;
		case '\r':
			if (peek_at(p, 1) != '\n')
				return perr(p, p->i, "bare carriage return");
			p->i += 2;
			break;
		case '#':
			if ((r = skip_comment(p)) < 0)
				return r;
			break;
		default:
			return 0;
		}
	}
}

/* After a statement: whitespace, an optional comment, then a line end or the end of the text. */
static int end_line(struct parser *p, const char *what)
{
	char f[48];
	int r;

	skip_ws(p);
	if (peek(p) == '#' && (r = skip_comment(p)) < 0)
		return r;
	switch (peek(p)) {
	case -1:
		return 0;
	case '\n':
		p->i++;
		return 0;
	case '\r':
		if (peek_at(p, 1) != '\n')
			return perr(p, p->i, "bare carriage return");
		p->i += 2;
		return 0;
	}
	return perr(p, p->i, "expected end of line after %s, found %s", what, found(p, f, sizeof(f), p->i));
}

/* ---- strings ---- */

/* The value of hex digit C, or -1. */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append code point CP (a Unicode scalar value) to B as UTF-8. */
static int utf8_put(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_add(b, u, n);
}

/* Turn a buf error into a message: buf_add sets none of its own. */
static int bufr(int r)
{
	if (r == ERR_NOMEM)
		return nomem();
	if (r < 0)
		return err_set(r, "value too big");
	return r;
}

/* At a backslash in a basic string: decode one escape into OUT. */
static int parse_escape(struct parser *p, struct buf *out)
{
	size_t at = p->i;
	int c = peek_at(p, 1), n, k;
	uint32_t cp = 0;
	char q[64];
	char e;

	switch (c) {
	case 'b': e = '\b'; break;
	case 't': e = '\t'; break;
	case 'n': e = '\n'; break;
	case 'f': e = '\f'; break;
	case 'r': e = '\r'; break;
	case '"': e = '"'; break;
	case '\\': e = '\\'; break;
	case 'u':
	case 'U':
		n = c == 'u' ? 4 : 8;
		for (k = 0; k < n; k++) {
			int h = hexval(peek_at(p, 2 + (size_t)k));

			if (h < 0)
				return perr(p, at, "bad unicode escape '%s': expected %d hex digits",
					    quote(p, q, sizeof(q), at, 2 + (size_t)k + 1), n);
			cp = cp << 4 | (uint32_t)h;
		}
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return perr(p, at, "escape '%s' is not a unicode scalar value",
				    quote(p, q, sizeof(q), at, 2 + (size_t)n));
		p->i += 2 + (size_t)n;
		return bufr(utf8_put(out, cp));
	case -1:
		return perr(p, at, "unterminated string");
	default:
		if (c == '\n' || c == '\r')
			return perr(p, at, "backslash at end of line in a single-line string");
		return perr(p, at, "bad escape '%s'", quote(p, q, sizeof(q), at, c >= 0x80 ? 1 : 2));
	}
	p->i += 2;
	return bufr(buf_addc(out, e));
}

/* Bytes a string may hold as they are, up to the next one needing a look (quote, backslash, control). */
static size_t plain_run(struct parser *p, size_t i, char quote_char)
{
	while (i < p->len) {
		unsigned char c = (unsigned char)p->s[i];

		if (c == (unsigned char)quote_char || c == '\\' || is_control(c))
			break;
		i++;
	}
	return i;
}

/* At '"' or '\'': a single-line basic or literal string, decoded into OUT. */
static int parse_line_string(struct parser *p, struct buf *out)
{
	size_t start = p->i;
	char qc = p->s[p->i];
	int r;

	p->i++;
	for (;;) {
		size_t j = plain_run(p, p->i, qc);
		unsigned char c;

		if (qc == '\'') {
			/* backslashes are plain in literal strings */
			while (j < p->len && p->s[j] == '\\')
				j = plain_run(p, j + 1, qc);
		}
		if ((r = bufr(buf_add(out, p->s + p->i, j - p->i))) < 0)
			return r;
		p->i = j;
		if (p->i >= p->len)
			return perr(p, start, "unterminated string");
		c = (unsigned char)p->s[p->i];
		if (c == (unsigned char)qc) {
			p->i++;
			return 0;
		}
		if (c == '\\') {
			if ((r = parse_escape(p, out)) < 0)
				return r;
			continue;
		}
		if (c == '\n' || c == '\r')
			return perr(p, start, "unterminated string: it reaches the end of the line");
		return perr(p, p->i, "control character U+%04X in string", c);
	}
}

/* At '"""' or "'''": a multi-line string, decoded into OUT; CRLF becomes LF. */
static int parse_ml_string(struct parser *p, struct buf *out)
{
	size_t start = p->i;
	char qc = p->s[p->i];
	int r;

	p->i += 3;
	if (peek(p) == '\n')
		p->i++;
	else if (peek(p) == '\r' && peek_at(p, 1) == '\n')
		p->i += 2;
	for (;;) {
		size_t j = plain_run(p, p->i, qc), q;
		unsigned char c;

		if (qc == '\'') {
			while (j < p->len && p->s[j] == '\\')
				j = plain_run(p, j + 1, qc);
		}
		if ((r = bufr(buf_add(out, p->s + p->i, j - p->i))) < 0)
			return r;
		p->i = j;
		if (p->i >= p->len)
			return perr(p, start, "unterminated multi-line string");
		c = (unsigned char)p->s[p->i];
		if (c == (unsigned char)qc) {
			for (q = 0; p->i + q < p->len && p->s[p->i + q] == qc; q++)
				;
			if (q >= 3) {
				if (q > 5)
					return perr(p, p->i, "too many quotes at the end of a multi-line string");
				if ((r = bufr(buf_add(out, p->s + p->i, q - 3))) < 0)
					return r;
				p->i += q;
				return 0;
			}
			if ((r = bufr(buf_add(out, p->s + p->i, q))) < 0)
				return r;
			p->i += q;
		} else if (c == '\\') {
			size_t k = p->i + 1;

			while (k < p->len && (p->s[k] == ' ' || p->s[k] == '\t'))
				k++;
			if (k < p->len && (p->s[k] == '\n' || (p->s[k] == '\r' && k + 1 < p->len && p->s[k + 1] == '\n'))) {
				/* line-ending backslash: drop it and all whitespace and newlines after */
				p->i = k;
				while (p->i < p->len) {
					if (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n')
						p->i++;
					else if (p->s[p->i] == '\r' && peek_at(p, 1) == '\n')
						p->i += 2;
					else
						break;
				}
			} else if ((r = parse_escape(p, out)) < 0) {
				return r;
			}
		} else if (c == '\n') {
			if ((r = bufr(buf_addc(out, '\n'))) < 0)
				return r;
			p->i++;
		} else if (c == '\r' && peek_at(p, 1) == '\n') {
			if ((r = bufr(buf_addc(out, '\n'))) < 0)
				return r;
			p->i += 2;
		} else if (c == '\r') {
			return perr(p, p->i, "bare carriage return in string");
		} else {
			return perr(p, p->i, "control character U+%04X in string", c);
		}
	}
}

/* Whether the cursor is at ''' or """. */
static bool starts_ml(const struct parser *p)
{
	int c = peek(p);

	return (c == '"' || c == '\'') && peek_at(p, 1) == c && peek_at(p, 2) == c;
}

/* At a quote: any kind of string, decoded into p->tmp (reset first). */
static int parse_string(struct parser *p)
{
	buf_reset(&p->tmp);
	return starts_ml(p) ? parse_ml_string(p, &p->tmp) : parse_line_string(p, &p->tmp);
}

/* A malloc'd NUL-terminated copy of N bytes at S, or NULL. */
static char *memdup0(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		if (n)
			memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ---- keys ---- */

/* Characters of a bare key. */
static bool bare_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Free the key parts not handed on, and empty KP. */
static void keypath_release(struct keypath *kp)
{
	size_t i;

	for (i = 0; i < kp->n; i++)
		free(kp->seg[i].s);
	free(kp->seg);
	kp->seg = NULL;
	kp->n = kp->cap = 0;
}

/* One key part: bare, "basic" or 'literal'. Fills K (K->s malloc'd). */
static int parse_simple_key(struct parser *p, struct key_seg *k)
{
	int c = peek(p), r;
	const char *from;
	size_t n;
	char f[48];

	k->off = p->i;
	if (c == '"' || c == '\'') {
		if (starts_ml(p))
			return perr(p, p->i, "multi-line strings cannot be keys");
		buf_reset(&p->tmp);
		if ((r = parse_line_string(p, &p->tmp)) < 0)
			return r;
		from = p->tmp.data;
		n = p->tmp.len;
	} else if (bare_char(c)) {
		while (bare_char(peek(p)))
			p->i++;
		from = p->s + k->off;
		n = p->i - k->off;
	} else {
		return perr(p, p->i, "expected a key, found %s", found(p, f, sizeof(f), p->i));
	}
	k->end = p->i;
	k->sp = span_at(p, k->off, k->end - k->off);
	k->len = n;
	if (!(k->s = memdup0(from, n)))
		return nomem();
	return 0;
}

/* A key, dotted or not, into KP (released first by the caller). Stops after its last part. */
static int parse_key(struct parser *p, struct keypath *kp)
{
	int r;

	for (;;) {
		if (kp->n == kp->cap) {
			size_t cap = kp->cap ? kp->cap * 2 : 4;
			struct key_seg *s = realloc(kp->seg, cap * sizeof(*s));

			if (!s)
				return nomem();
			kp->seg = s;
			kp->cap = cap;
		}
		if (kp->n == TOML_MAX_DEPTH)
			return perr_code(p, ERR_LIMIT, p->i, "key has more than %d parts", TOML_MAX_DEPTH);
		kp->seg[kp->n].s = NULL;
		if ((r = parse_simple_key(p, &kp->seg[kp->n])) < 0) {
			free(kp->seg[kp->n].s);
			return r;
		}
		kp->n++;
		skip_ws(p);
		if (peek(p) != '.')
			return 0;
		p->i++;
		skip_ws(p);
	}
}

/* ---- numbers, booleans, dates and times ---- */

/* ASCII digits only, whatever the locale. */
static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Whether C is a digit of BASE (2, 8, 10 or 16). */
static bool digit_of(int c, int base)
{
	if (base == 16)
		return hexval(c) >= 0;
	return c >= '0' && c < '0' + base;
}

/* Digits of BASE at W[*K] with single underscores between digits; at least one. Advances *K. */
static bool scan_digits(const char *w, size_t n, size_t *k, int base)
{
	size_t j = *k;

	if (j >= n || !digit_of((unsigned char)w[j], base))
		return false;
	while (j < n) {
		if (digit_of((unsigned char)w[j], base))
			j++;
		else if (w[j] == '_' && j + 1 < n && digit_of((unsigned char)w[j + 1], base))
			j++;
		else
			break;
	}
	*k = j;
	return true;
}

/* Characters a bare value (number, boolean, inf, nan) is made of. */
static bool word_char(int c)
{
	return bare_char(c) || c == '+' || c == '.';
}

/* W (N bytes at source offset OFF) as an integer or float into V. */
static int parse_number(struct parser *p, size_t off, size_t n, struct toml_value *v)
{
	const char *w = p->s + off;
	size_t k = 0, j;
	bool neg = false, is_float = false;
	int base = 10, r;
	char q[64];

	if (w[0] == '+' || w[0] == '-') {
		neg = w[0] == '-';
		k = 1;
	}
	if (n - k == 3 && (memcmp(w + k, "inf", 3) == 0 || memcmp(w + k, "nan", 3) == 0)) {
		v->type = TOML_FLOAT;
		v->u.f = w[k] == 'i' ? (neg ? -INFINITY : INFINITY) : NAN;
		return 0;
	}
	if (k < n && !is_digit((unsigned char)w[k]))
		return perr(p, off, "bad value '%s'", quote(p, q, sizeof(q), off, n));
	if (k == 0 && n > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'o' || w[1] == 'b')) {
		base = w[1] == 'x' ? 16 : w[1] == 'o' ? 8 : 2;
		k = 2;
		if (!scan_digits(w, n, &k, base) || k != n)
			return perr(p, off, "bad integer '%s'", quote(p, q, sizeof(q), off, n));
	} else {
		size_t int_start = k;

		if (!scan_digits(w, n, &k, 10))
			return perr(p, off, "bad number '%s'", quote(p, q, sizeof(q), off, n));
		if (w[int_start] == '0' && k - int_start > 1)
			return perr(p, off, "bad number '%s': leading zeros are not allowed", quote(p, q, sizeof(q), off, n));
		if (k < n && w[k] == '.') {
			k++;
			is_float = true;
			if (!scan_digits(w, n, &k, 10))
				return perr(p, off, "bad float '%s': expected digits after '.'", quote(p, q, sizeof(q), off, n));
		}
		if (k < n && (w[k] == 'e' || w[k] == 'E')) {
			k++;
			is_float = true;
			if (k < n && (w[k] == '+' || w[k] == '-'))
				k++;
			if (!scan_digits(w, n, &k, 10))
				return perr(p, off, "bad float '%s': expected digits in the exponent",
					    quote(p, q, sizeof(q), off, n));
		}
		if (k != n)
			return perr(p, off, "bad number '%s'", quote(p, q, sizeof(q), off, n));
	}
	/* the text is well formed; convert it without underscores and prefix */
	buf_reset(&p->tmp);
	for (j = base == 10 ? 0 : 2; j < n; j++) {
		if (w[j] != '_' && (r = bufr(buf_addc(&p->tmp, w[j]))) < 0)
			return r;
	}
	if (is_float) {
		double f;

		errno = 0;
		f = strtod(p->tmp.data, NULL);
		if (errno == ERANGE && isinf(f))
			return perr(p, off, "float '%s' is out of range", quote(p, q, sizeof(q), off, n));
		v->type = TOML_FLOAT;
		v->u.f = f;
	} else {
		uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		const char *d = p->tmp.data;

		if (*d == '+' || *d == '-')
			d++;
		for (; *d; d++) {
			uint64_t dv = (uint64_t)hexval((unsigned char)*d);

			if (acc > (lim - dv) / (uint64_t)base)
				return perr(p, off, "integer '%s' is out of range", quote(p, q, sizeof(q), off, n));
			acc = acc * (uint64_t)base + dv;
		}
		v->type = TOML_INTEGER;
		if (neg)
			v->u.i = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
		else
			v->u.i = (int64_t)acc;
	}
	return 0;
}

/* Exactly N digits at source offset AT into *OUT. */
static bool fixed_digits(const struct parser *p, size_t at, int n, int *out)
{
	int k, x = 0;

	if (at + (size_t)n > p->len)
		return false;
	for (k = 0; k < n; k++) {
		if (!is_digit((unsigned char)p->s[at + (size_t)k]))
			return false;
		x = x * 10 + (p->s[at + (size_t)k] - '0');
	}
	*out = x;
	return true;
}

/* Days in month M (1-12) of year Y, leap years counted. */
static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Whether the source has C at AT. */
static bool at_char(const struct parser *p, size_t at, char c)
{
	return at < p->len && p->s[at] == c;
}

/* Where a date/time token ends, to quote it in a message. */
static size_t token_end(const struct parser *p, size_t at)
{
	while (at < p->len && (word_char((unsigned char)p->s[at]) || p->s[at] == ':'))
		at++;
	return at;
}

/* HH:MM:SS[.frac] at *K into DT. */
static int parse_time(struct parser *p, size_t start, size_t *k, struct toml_datetime *dt)
{
	size_t at = *k;
	char q[64];

	if (!fixed_digits(p, at, 2, &dt->hour) || !at_char(p, at + 2, ':') ||
	    !fixed_digits(p, at + 3, 2, &dt->minute) || !at_char(p, at + 5, ':') ||
	    !fixed_digits(p, at + 6, 2, &dt->second))
		return perr(p, start, "bad time in '%s': expected HH:MM:SS",
			    quote(p, q, sizeof(q), start, token_end(p, at) - start));
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return perr(p, start, "bad time in '%s': %s out of range", quote(p, q, sizeof(q), start, token_end(p, at) - start),
			    dt->hour > 23 ? "hour" : dt->minute > 59 ? "minute" : "second");
	at += 8;
	if (at_char(p, at, '.')) {
		at++;
		if (at >= p->len || !is_digit((unsigned char)p->s[at]))
			return perr(p, start, "bad time in '%s': expected digits after '.'",
				    quote(p, q, sizeof(q), start, token_end(p, at) - start));
		for (; at < p->len && is_digit((unsigned char)p->s[at]); at++) {
			if (dt->frac_digits < 9) {
				dt->nanosecond = dt->nanosecond * 10 + (uint32_t)(p->s[at] - '0');
				dt->frac_digits++;
			}
		}
		for (int d = dt->frac_digits; d < 9; d++)
			dt->nanosecond *= 10;
	}
	*k = at;
	return 0;
}

/* A date, a time, or a date and time with an optional offset, at p->i, into V. */
static int parse_datetime(struct parser *p, struct toml_value *v)
{
	struct toml_datetime dt = { 0 };
	size_t start = p->i, k = p->i;
	bool has_date = false, has_time = true;
	char q[64];
	int r;

	if (fixed_digits(p, k, 4, &dt.year) && at_char(p, k + 4, '-')) {
		has_date = true;
		if (!fixed_digits(p, k + 5, 2, &dt.month) || !at_char(p, k + 7, '-') ||
		    !fixed_digits(p, k + 8, 2, &dt.day))
			return perr(p, start, "bad date '%s': expected YYYY-MM-DD",
				    quote(p, q, sizeof(q), start, token_end(p, k) - start));
		if (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > days_in_month(dt.year, dt.month))
			return perr(p, start, "bad date '%s': %s out of range", quote(p, q, sizeof(q), start, 10),
				    dt.month < 1 || dt.month > 12 ? "month" : "day");
		k += 10;
		if (at_char(p, k, 'T') || at_char(p, k, 't'))
			k++;
		else if (at_char(p, k, ' ') && k + 3 < p->len && is_digit((unsigned char)p->s[k + 1]) &&
			 is_digit((unsigned char)p->s[k + 2]) && p->s[k + 3] == ':')
			k++;
		else
			has_time = false;
	}
	if (has_time && (r = parse_time(p, start, &k, &dt)) < 0)
		return r;
	if (has_date && has_time) {
		if (at_char(p, k, 'Z') || at_char(p, k, 'z')) {
			dt.offset_z = true;
			k++;
			v->type = TOML_DATETIME;
		} else if (at_char(p, k, '+') || at_char(p, k, '-')) {
			int oh, om;

			if (!fixed_digits(p, k + 1, 2, &oh) || !at_char(p, k + 3, ':') || !fixed_digits(p, k + 4, 2, &om))
				return perr(p, start, "bad offset in '%s': expected +HH:MM or -HH:MM",
					    quote(p, q, sizeof(q), start, token_end(p, k + 1) - start));
			if (oh > 23 || om > 59)
				return perr(p, start, "bad offset in '%s': out of range",
					    quote(p, q, sizeof(q), start, token_end(p, k + 1) - start));
			dt.offset_minutes = (oh * 60 + om) * (p->s[k] == '-' ? -1 : 1);
			k += 6;
			v->type = TOML_DATETIME;
		} else {
			v->type = TOML_DATETIME_LOCAL;
		}
	} else {
		v->type = has_date ? TOML_DATE_LOCAL : TOML_TIME_LOCAL;
	}
	v->u.dt = dt;
	p->i = k;
	return 0;
}

/* ---- values ---- */

static int parse_value(struct parser *p, struct toml_value **out);
static int set_dotted(struct parser *p, struct toml_value *t, struct keypath *kp, struct toml_value *e);

/* At '[': an array of values. */
static int parse_array(struct parser *p, struct toml_value *v)
{
	size_t start = p->i;
	char f[48];
	int r;

	v->type = TOML_ARRAY;
	p->i++;
	for (;;) {
		struct toml_value *e;

		if ((r = skip_blank(p)) < 0)
			return r;
		if (peek(p) == ']')
			break;
		if (peek(p) == -1)
			return perr(p, start, "unterminated array");
		if ((r = parse_value(p, &e)) < 0)
			return r;
		if ((r = array_add(v, e)) < 0) {
			value_free(e);
			return r;
		}
		if ((r = skip_blank(p)) < 0)
			return r;
		if (peek(p) == ',') {
			p->i++;
			continue;
		}
		if (peek(p) == ']')
			break;
		if (peek(p) == -1)
			return perr(p, start, "unterminated array");
		return perr(p, p->i, "expected ',' or ']' after an array element, found %s", found(p, f, sizeof(f), p->i));
	}
	p->i++;
	return 0;
}

/* At '{': an inline table, all on one line, closed for good once read. */
static int parse_inline(struct parser *p, struct toml_value *v)
{
	struct keypath kp = { 0 };
	char f[48];
	int r = 0;

	v->type = TOML_TABLE;
	v->u.tab.last_line = SIZE_MAX;
	p->i++;
	skip_ws(p);
	if (peek(p) == '}') {
		p->i++;
		goto out;
	}
	for (;;) {
		struct toml_value *e;

		skip_ws(p);
		keypath_release(&kp);
		if ((r = parse_key(p, &kp)) < 0)
			goto out;
		if (peek(p) != '=') {
			r = perr(p, p->i, "expected '=' after a key, found %s", found(p, f, sizeof(f), p->i));
			goto out;
		}
		p->i++;
		skip_ws(p);
		if ((r = parse_value(p, &e)) < 0 || (r = set_dotted(p, v, &kp, e)) < 0)
			goto out;
		skip_ws(p);
		if (peek(p) == ',') {
			p->i++;
			skip_ws(p);
			if (peek(p) == '}') {
				r = perr(p, p->i, "trailing comma in an inline table");
				goto out;
			}
			continue;
		}
		if (peek(p) == '}') {
			p->i++;
			break;
		}
		if (peek(p) == '\n' || peek(p) == '\r')
			r = perr(p, p->i, "inline tables must be on one line: expected ',' or '}'");
		else
			r = perr(p, p->i, "expected ',' or '}' in an inline table, found %s", found(p, f, sizeof(f), p->i));
		goto out;
	}
out:
	keypath_release(&kp);
	v->flags |= VF_INLINE;
	return r;
}

/* Any value at p->i into *OUT (a new value the caller owns); p->i moves past it. */
static int parse_value(struct parser *p, struct toml_value **out)
{
	struct toml_value *v;
	size_t start = p->i;
	int c = peek(p), r = 0;
	char f[48], q[64];
	/* before the values inside, so columns are counted once per line */
	struct toml_span sp = span_at(p, start, 0);

	*out = NULL;
	if (!(v = value_new(TOML_STRING)))
		return nomem();
	if (c == '"' || c == '\'') {
		if ((r = parse_string(p)) < 0)
			goto fail;
		if (!(v->u.str.s = memdup0(p->tmp.data, p->tmp.len))) {
			r = nomem();
			goto fail;
		}
		v->u.str.len = p->tmp.len;
	} else if (c == '[' || c == '{') {
		if (p->depth >= TOML_MAX_DEPTH) {
			r = perr_code(p, ERR_LIMIT, p->i, "values nested more than %d deep", TOML_MAX_DEPTH);
			goto fail;
		}
		p->depth++;
		r = c == '[' ? parse_array(p, v) : parse_inline(p, v);
		p->depth--;
		if (r < 0)
			goto fail;
	} else if (is_digit(c) && ((is_digit(peek_at(p, 1)) && peek_at(p, 2) == ':') ||
				   (is_digit(peek_at(p, 1)) && is_digit(peek_at(p, 2)) && is_digit(peek_at(p, 3)) &&
				    peek_at(p, 4) == '-'))) {
		if ((r = parse_datetime(p, v)) < 0)
			goto fail;
	} else {
		size_t end = start;

		while (end < p->len && word_char((unsigned char)p->s[end]))
			end++;
		if (end == start) {
			r = perr(p, start, "expected a value, found %s", found(p, f, sizeof(f), start));
			goto fail;
		}
		if (end - start == 4 && memcmp(p->s + start, "true", 4) == 0) {
			v->type = TOML_BOOL;
			v->u.b = true;
		} else if (end - start == 5 && memcmp(p->s + start, "false", 5) == 0) {
			v->type = TOML_BOOL;
		} else if ((r = parse_number(p, start, end - start, v)) < 0) {
			goto fail;
		}
		p->i = end;
	}
	/* what follows a value must end it */
	switch (peek(p)) {
	case -1: case ' ': case '\t': case '\n': case '\r': case '#': case ',': case ']': case '}':
		break;
	default:
		r = perr(p, p->i, "unexpected %s after the value '%s'", found(p, f, sizeof(f), p->i),
			 quote(p, q, sizeof(q), start, p->i - start));
		goto fail;
	}
	v->flags |= VF_TEXT;
	v->span = sp;
	v->span.len = p->i - start;
	*out = v;
	return 0;
fail:
	value_free(v);
	return r;
}

/* ---- putting values into tables ---- */

/* A new table made at key part SEG with FLAGS, added under T. Takes SEG->s. */
static int add_table(struct parser *p, struct toml_value *t, struct key_seg *seg, unsigned flags,
		     struct toml_value **out)
{
	struct toml_value *x = value_new(TOML_TABLE);
	int r;

	*out = NULL;
	if (!x)
		return nomem();
	x->flags = flags;
	x->key = x->span = seg->sp;
	if ((r = table_add(t, seg->s, seg->len, x)) < 0) {
		value_free(x);
		return r;
	}
	seg->s = NULL;
	*out = x;
	return 0;
}

/* "a table", "an integer", ... for messages. */
static const char *a_type(const struct toml_value *v)
{
	switch (v->type) {
	case TOML_STRING: return "a string";
	case TOML_INTEGER: return "an integer";
	case TOML_FLOAT: return "a float";
	case TOML_BOOL: return "a boolean";
	case TOML_DATETIME: return "an offset date-time";
	case TOML_DATETIME_LOCAL: return "a local date-time";
	case TOML_DATE_LOCAL: return "a local date";
	case TOML_TIME_LOCAL: return "a local time";
	case TOML_ARRAY: return v->flags & VF_AOT ? "an array of tables" : "an array";
	case TOML_TABLE: return v->flags & VF_INLINE ? "an inline table" : "a table";
	}
	return "a value";
}

/*
 * Key/value semantics: put E at dotted key KP under table T, making the parent tables it
 * needs. Takes E (frees it on failure) and the key parts it uses.
 */
static int set_dotted(struct parser *p, struct toml_value *t, struct keypath *kp, struct toml_value *e)
{
	struct key_seg *seg;
	struct toml_value *x;
	size_t k;
	char q[100];
	int r = 0;

	for (k = 0; k + 1 < kp->n; k++) {
		seg = &kp->seg[k];
		x = table_find(t, seg->s, seg->len);
		if (!x) {
			if ((r = add_table(p, t, seg, VF_DOTTED, &x)) < 0)
				goto fail;
		} else if (x->type != TOML_TABLE || (x->flags & VF_INLINE)) {
			r = perr(p, seg->off, "cannot add keys to '%s': it is %s (defined at %u:%u)", keyq(p, q, sizeof(q), kp, k),
				 a_type(x), x->key.line, x->key.col);
			goto fail;
		} else if (x->flags & VF_EXPLICIT) {
			r = perr(p, seg->off, "cannot add keys to table '%s' with a dotted key: it has a [header] at %u:%u",
				 keyq(p, q, sizeof(q), kp, k), x->span.line, x->span.col);
			goto fail;
		} else if (x->flags & VF_IMPLICIT) {
			/* defined now, by dotted keys: no [header] may define it later */
			x->flags = (x->flags & ~(unsigned)VF_IMPLICIT) | VF_DOTTED;
		}
		t = x;
	}
	seg = &kp->seg[kp->n - 1];
	if ((x = table_find(t, seg->s, seg->len))) {
		r = perr(p, seg->off, "duplicate key '%s' (first defined at %u:%u)", keyq(p, q, sizeof(q), kp, kp->n - 1),
			 x->key.line, x->key.col);
		goto fail;
	}
	e->key = seg->sp;
	if ((r = table_add(t, seg->s, seg->len, e)) < 0)
		goto fail;
	seg->s = NULL;
	return 0;
fail:
	value_free(e);
	return r;
}

/* At '[': a [table] or [[array of tables]] header line starting at LINE_OFF. */
static int parse_header(struct parser *p, size_t line_off)
{
	struct keypath kp = { 0 };
	struct toml_value *t = p->root, *x, *tab = NULL;
	struct key_seg *seg;
	size_t start = p->i, k;
	bool aot = peek_at(p, 1) == '[';
	struct toml_span hdr;
	char f[48], q[100];
	int r;

	/* spans are asked for in source order, so columns are counted once per line */
	hdr = span_at(p, start, 0);
	p->i += aot ? 2 : 1;
	skip_ws(p);
	if ((r = parse_key(p, &kp)) < 0)
		goto out;
	if (peek(p) != ']' || (aot && peek_at(p, 1) != ']')) {
		r = perr(p, p->i, "expected '%s' to close the table header, found %s", aot ? "]]" : "]",
			 found(p, f, sizeof(f), p->i));
		goto out;
	}
	p->i += aot ? 2 : 1;
	hdr.len = p->i - start;
	for (k = 0; k + 1 < kp.n; k++) {
		seg = &kp.seg[k];
		x = table_find(t, seg->s, seg->len);
		if (!x) {
			if ((r = add_table(p, t, seg, VF_IMPLICIT, &x)) < 0)
				goto out;
		} else if (x->type == TOML_ARRAY && (x->flags & VF_AOT)) {
			x = x->u.arr.v[x->u.arr.n - 1];
		} else if (x->type != TOML_TABLE || (x->flags & VF_INLINE)) {
			r = perr(p, seg->off, "cannot add a table under '%s': it is %s (defined at %u:%u)",
				 keyq(p, q, sizeof(q), &kp, k), a_type(x), x->key.line, x->key.col);
			goto out;
		}
		t = x;
	}
	seg = &kp.seg[kp.n - 1];
	x = table_find(t, seg->s, seg->len);
	if (aot) {
		struct toml_value *arr = x;

		if (!arr) {
			if (!(arr = value_new(TOML_ARRAY))) {
				r = nomem();
				goto out;
			}
			arr->flags = VF_AOT;
			arr->span = hdr;
			arr->key = seg->sp;
			if ((r = table_add(t, seg->s, seg->len, arr)) < 0) {
				value_free(arr);
				goto out;
			}
			seg->s = NULL;
		} else if (arr->type != TOML_ARRAY || !(arr->flags & VF_AOT)) {
			r = perr(p, seg->off, "cannot make '%s' an array of tables: it is already %s (defined at %u:%u)",
				 keyq(p, q, sizeof(q), &kp, kp.n - 1), a_type(arr), arr->key.line, arr->key.col);
			goto out;
		}
		if (!(tab = value_new(TOML_TABLE))) {
			r = nomem();
			goto out;
		}
		if ((r = array_add(arr, tab)) < 0) {
			value_free(tab);
			goto out;
		}
		tab->key = seg->sp;
	} else if (!x) {
		if ((r = add_table(p, t, seg, 0, &tab)) < 0)
			goto out;
	} else if (x->type == TOML_TABLE && !(x->flags & (VF_EXPLICIT | VF_DOTTED | VF_INLINE))) {
		tab = x;
		tab->key = seg->sp;
	} else {
		if (x->type == TOML_TABLE)
			r = perr(p, seg->off, "table '%s' is already defined (at %u:%u)", keyq(p, q, sizeof(q), &kp, kp.n - 1),
				 x->span.line, x->span.col);
		else
			r = perr(p, seg->off, "cannot define table '%s': it is already %s (defined at %u:%u)",
				 keyq(p, q, sizeof(q), &kp, kp.n - 1), a_type(x), x->key.line, x->key.col);
		goto out;
	}
	tab->flags = (tab->flags & ~(unsigned)VF_IMPLICIT) | VF_EXPLICIT | VF_SECTION;
	tab->span = hdr;
	p->cur = p->section = tab;
	if ((r = end_line(p, "the table header")) < 0)
		goto out;
	tab->stmt = span_at(p, line_off, p->i - line_off);
	tab->u.tab.sect_end = p->i;
out:
	keypath_release(&kp);
	return r;
}

/* A key = value line starting at LINE_OFF, into the current table. */
static int parse_keyval(struct parser *p, size_t line_off)
{
	struct keypath kp = { 0 };
	struct toml_value *e = NULL;
	struct toml_value *sec = p->section;
	char f[48], q[100];
	int r;

	if ((r = parse_key(p, &kp)) < 0)
		goto out;
	if (peek(p) != '=') {
		r = perr(p, p->i, "expected '=' after the key '%s', found %s", keyq(p, q, sizeof(q), &kp, kp.n - 1),
			 found(p, f, sizeof(f), p->i));
		goto out;
	}
	p->i++;
	skip_ws(p);
	if ((r = parse_value(p, &e)) < 0 || (r = set_dotted(p, p->cur, &kp, e)) < 0)
		goto out;
	if ((r = end_line(p, "the value")) < 0)
		goto out;
	e->stmt = span_at(p, line_off, p->i - line_off);
	sec->u.tab.sect_end = p->i;
	sec->u.tab.last_line = line_off;
	if (sec != p->root)
		sec->stmt.len = p->i - sec->stmt.off;
out:
	keypath_release(&kp);
	return r;
}

/* The whole document, line by line. */
static int parse_doc(struct parser *p)
{
	int r;

	while (p->i < p->len) {
		size_t line_off = p->i;
		int c;

		skip_ws(p);
		c = peek(p);
		if (c == '[')
			r = parse_header(p, line_off);
		else if (c == '#' || c == '\n' || c == '\r' || c == -1)
			r = end_line(p, "a comment");
		else
			r = parse_keyval(p, line_off);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Free what the parser holds (not the values it made). */
static void parser_release(struct parser *p)
{
	free(p->lines);
	buf_release(&p->tmp);
}

int toml_parse(const char *src, size_t len, struct toml_doc **out)
{
	struct parser p = { 0 };
	struct toml_doc *doc;
	const char *nl;
	int r;

	*out = NULL;
	if (!(doc = calloc(1, sizeof(*doc))) || !(doc->src = memdup0(src, len)) ||
	    !(doc->root = value_new(TOML_TABLE))) {
		toml_doc_free(doc);
		return nomem();
	}
	doc->len = len;
	if (len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
		doc->start = 3;
	nl = memchr(doc->src, '\n', len);
	doc->crlf = nl && nl > doc->src && nl[-1] == '\r';
	p.s = doc->src;
	p.len = len;
	p.i = doc->start;
	p.root = p.cur = p.section = doc->root;
	buf_init(&p.tmp, 0);
	if ((r = scan_lines(&p)) < 0)
		goto out;
	p.lines[0] = doc->start;
	doc->root->flags = VF_SECTION;
	doc->root->u.tab.sect_end = doc->start;
	r = parse_doc(&p);
	doc->root->span = span_at(&p, doc->start, len - doc->start);
out:
	parser_release(&p);
	if (r < 0) {
		toml_doc_free(doc);
		return r;
	}
	*out = doc;
	return 0;
}

void toml_doc_free(struct toml_doc *doc)
{
	if (!doc)
		return;
	value_free(doc->root);
	free(doc->src);
	free(doc);
}

/* ---- lookups ---- */

const struct toml_value *toml_doc_root(const struct toml_doc *doc)
{
	return doc->root;
}

const char *toml_doc_source(const struct toml_doc *doc, size_t *len)
{
	if (len)
		*len = doc->len;
	return doc->src;
}

enum toml_type toml_type(const struct toml_value *v)
{
	return v->type;
}

const char *toml_type_name(enum toml_type t)
{
	switch (t) {
	case TOML_STRING: return "string";
	case TOML_INTEGER: return "integer";
	case TOML_FLOAT: return "float";
	case TOML_BOOL: return "boolean";
	case TOML_DATETIME: return "offset date-time";
	case TOML_DATETIME_LOCAL: return "local date-time";
	case TOML_DATE_LOCAL: return "local date";
	case TOML_TIME_LOCAL: return "local time";
	case TOML_ARRAY: return "array";
	case TOML_TABLE: return "table";
	}
	return "unknown";
}

struct toml_span toml_value_span(const struct toml_value *v)
{
	return v->span;
}

struct toml_span toml_key_span(const struct toml_value *v)
{
	return v->key;
}

struct toml_span toml_stmt_span(const struct toml_value *v)
{
	return v->stmt;
}

const struct toml_value *toml_table_getn(const struct toml_value *table, const char *key, size_t keylen)
{
	if (!table || table->type != TOML_TABLE)
		return NULL;
	return table_find(table, key, keylen);
}

const struct toml_value *toml_table_get(const struct toml_value *table, const char *key)
{
	return toml_table_getn(table, key, strlen(key));
}

size_t toml_table_len(const struct toml_value *table)
{
	return table && table->type == TOML_TABLE ? table->u.tab.n : 0;
}

const struct toml_value *toml_table_at(const struct toml_value *table, size_t i, const char **key, size_t *keylen)
{
	if (i >= toml_table_len(table))
		return NULL;
	if (key)
		*key = table->u.tab.kv[i].key;
	if (keylen)
		*keylen = table->u.tab.kv[i].keylen;
	return table->u.tab.kv[i].val;
}

size_t toml_array_len(const struct toml_value *a)
{
	return a && a->type == TOML_ARRAY ? a->u.arr.n : 0;
}

const struct toml_value *toml_array_get(const struct toml_value *a, size_t i)
{
	return i < toml_array_len(a) ? a->u.arr.v[i] : NULL;
}

/* ERR_NOTFOUND for NULL, ERR_INVALID naming both types when V is not of type WANT (or a date/time kind when WANT is 0), else 0. */
static int want_type(const struct toml_value *v, enum toml_type want)
{
	const char *name = want ? toml_type_name(want) : "date or time";

	if (!v)
		return err_set(ERR_NOTFOUND, "no value: expected %s", name);
	if (want ? v->type == want : (v->type >= TOML_DATETIME && v->type <= TOML_TIME_LOCAL))
		return 0;
	return err_set(ERR_INVALID, "%u:%u: expected %s, found %s", v->span.line, v->span.col, name,
		       toml_type_name(v->type));
}

int toml_get_string(const struct toml_value *v, const char **s, size_t *len)
{
	int r = want_type(v, TOML_STRING);

	*s = r < 0 ? "" : v->u.str.s;
	if (len)
		*len = r < 0 ? 0 : v->u.str.len;
	return r;
}

int toml_get_int(const struct toml_value *v, int64_t *out)
{
	int r = want_type(v, TOML_INTEGER);

	*out = r < 0 ? 0 : v->u.i;
	return r;
}

int toml_get_float(const struct toml_value *v, double *out)
{
	int r = want_type(v, TOML_FLOAT);

	*out = r < 0 ? 0 : v->u.f;
	return r;
}

int toml_get_bool(const struct toml_value *v, bool *out)
{
	int r = want_type(v, TOML_BOOL);

	*out = r < 0 ? false : v->u.b;
	return r;
}

int toml_get_datetime(const struct toml_value *v, struct toml_datetime *out)
{
	int r = want_type(v, 0);

	memset(out, 0, sizeof(*out));
	if (r == 0)
		*out = v->u.dt;
	return r;
}

/* ---- writing ---- */

int toml_format_string(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run = 0;
	int r;

	if ((r = buf_addc(b, '"')) < 0)
		return r;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = "\\u00";
		size_t n = 2;

		if (!is_control(c) && c != '"' && c != '\\')
			continue;
		if ((r = buf_add(b, s + run, i - run)) < 0)
			return r;
		run = i + 1;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\n': esc[1] = 'n'; break;
		case '\f': esc[1] = 'f'; break;
		case '\r': esc[1] = 'r'; break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		if ((r = buf_add(b, esc, n)) < 0)
			return r;
	}
	if ((r = buf_add(b, s + run, len - run)) < 0)
		return r;
	return buf_addc(b, '"');
}

int toml_format_key(struct buf *b, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && bare_char((unsigned char)s[i]); i++)
		;
	if (len > 0 && i == len)
		return buf_add(b, s, len);
	return toml_format_string(b, s, len);
}

/* TEXT must be exactly one TOML value. Returns 0 or ERR_INVALID quoting it. */
static int check_value_text(const char *text, size_t len)
{
	struct parser p = { 0 };
	struct toml_value *v = NULL;
	char q[64], f[48];
	int r;

	p.s = text;
	p.len = len;
	buf_init(&p.tmp, 0);
	if ((r = scan_lines(&p)) == 0 && (r = parse_value(&p, &v)) == 0 && p.i != len)
		r = perr(&p, p.i, "unexpected %s after the value", found(&p, f, sizeof(f), p.i));
	value_free(v);
	parser_release(&p);
	if (r == ERR_INVALID || r == ERR_LIMIT) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s", err_msg());
		r = err_set(r, "bad value text '%s': %s", err_quote(q, sizeof(q), text, len), msg);
	}
	return r;
}

/* Parse the edited text in OUT to check it; on failure empty OUT and say why. */
static int finish_edit(int r, struct buf *out)
{
	struct toml_doc *d;

	if (r < 0) {
		buf_reset(out);
		return bufr(r);
	}
	if ((r = toml_parse(out->data, out->len, &d)) < 0) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s", err_msg());
		buf_reset(out);
		return r == ERR_NOMEM ? r : err_set(ERR_INVALID, "edit makes bad toml: %s", msg);
	}
	toml_doc_free(d);
	return 0;
}

/* Append SRC with the LEN bytes at OFF replaced by REP (RLEN bytes). */
static int splice(struct buf *out, const struct toml_doc *doc, size_t off, size_t len, const char *rep, size_t rlen)
{
	int r;

	if ((r = buf_add(out, doc->src, off)) < 0 || (r = buf_add(out, rep, rlen)) < 0)
		return r;
	return buf_add(out, doc->src + off + len, doc->len - off - len);
}

int toml_edit_replace(const struct toml_doc *doc, const struct toml_value *v, const char *text, size_t len,
		      struct buf *out)
{
	int r;

	buf_reset(out);
	if (!v || !(v->flags & VF_TEXT))
		return err_set(ERR_UNSUPPORTED, "%u:%u: this %s is not written as a value, so its text cannot be replaced",
			       v ? v->span.line : 0, v ? v->span.col : 0, v ? toml_type_name(v->type) : "value");
	if ((r = check_value_text(text, len)) < 0)
		return r;
	return finish_edit(splice(out, doc, v->span.off, v->span.len, text, len), out);
}

int toml_edit_remove(const struct toml_doc *doc, const struct toml_value *v, struct buf *out)
{
	buf_reset(out);
	if (!v || v->stmt.len == 0)
		return err_set(ERR_UNSUPPORTED, "%u:%u: this %s has no lines of its own to remove",
			       v ? v->span.line : 0, v ? v->span.col : 0, v ? toml_type_name(v->type) : "value");
	return finish_edit(splice(out, doc, v->stmt.off, v->stmt.len, "", 0), out);
}

int toml_edit_insert(const struct toml_doc *doc, const struct toml_value *table, const char *key, size_t keylen,
		     const char *text, size_t len, struct buf *out)
{
	const char *nl = doc->crlf ? "\r\n" : "\n";
	size_t at, indent = 0;
	char q[64];
	int r;

	buf_reset(out);
	if (!table || table->type != TOML_TABLE || !(table->flags & VF_SECTION))
		return err_set(ERR_UNSUPPORTED, "%u:%u: keys can only be added to the root or to a table with a [header]",
			       table ? table->span.line : 0, table ? table->span.col : 0);
	if (table_find(table, key, keylen))
		return err_set(ERR_INVALID, "key '%s' already exists", err_quote(q, sizeof(q), key, keylen));
	if ((r = check_value_text(text, len)) < 0)
		return r;
	at = table->u.tab.sect_end;
	if (table->u.tab.last_line != SIZE_MAX) {
		while (doc->src[table->u.tab.last_line + indent] == ' ' || doc->src[table->u.tab.last_line + indent] == '\t')
			indent++;
	}
	if ((r = buf_add(out, doc->src, at)) < 0)
		goto out;
	if (at > doc->start && doc->src[at - 1] != '\n' && (r = buf_adds(out, nl)) < 0)
		goto out;
	if ((r = buf_add(out, doc->src + (indent ? table->u.tab.last_line : 0), indent)) < 0 ||
	    (r = toml_format_key(out, key, keylen)) < 0 || (r = buf_adds(out, " = ")) < 0 ||
	    (r = buf_add(out, text, len)) < 0 || (r = buf_adds(out, nl)) < 0)
		goto out;
	r = buf_add(out, doc->src + at, doc->len - at);
out:
	return finish_edit(r, out);
}

int toml_edit_add_table(const struct toml_doc *doc, const char *const *keys, size_t nkeys, bool array,
			struct buf *out)
{
	const char *nl = doc->crlf ? "\r\n" : "\n";
	size_t i;
	int r;

	buf_reset(out);
	if (nkeys == 0)
		return err_set(ERR_INVALID, "a table needs a key");
	if ((r = buf_add(out, doc->src, doc->len)) < 0)
		goto out;
	if (doc->len > doc->start) {
		if (doc->src[doc->len - 1] != '\n' && (r = buf_adds(out, nl)) < 0)
			goto out;
		if ((r = buf_adds(out, nl)) < 0)
			goto out;
	}
	if ((r = buf_adds(out, array ? "[[" : "[")) < 0)
		goto out;
	for (i = 0; i < nkeys; i++) {
		if ((i && (r = buf_addc(out, '.')) < 0) || (r = toml_format_key(out, keys[i], strlen(keys[i]))) < 0)
			goto out;
	}
	if ((r = buf_adds(out, array ? "]]" : "]")) < 0)
		goto out;
	r = buf_adds(out, nl);
out:
	return finish_edit(r, out);
}
