/* TOML lexing: source positions and error messages, lines and comments, strings, keys. */
#include "formats/toml.h"
#include "formats/toml_internal.h"
#include "util/err.h"
#include "util/text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* The span of LEN bytes at OFF, with its line and column (in characters). */
struct toml_span toml_span_at(struct parser *p, size_t off, size_t len)
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

int toml_perr_code(struct parser *p, int code, size_t off, const char *fmt, ...)
{
	struct toml_span sp = toml_span_at(p, off, 0);
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(code, "%u:%u: %s", sp.line, sp.col, msg);
}

/* Quote N source bytes at OFF for a message. Returns DST. */
const char *toml_quote(struct parser *p, char *dst, size_t dstlen, size_t off, size_t n)
{
	if (off > p->len)
		off = p->len;
	if (n > p->len - off)
		n = p->len - off;
	return err_quote(dst, dstlen, p->s + off, n);
}

/* Describe the character at OFF for "found X": 'c', end of line or end of file. */
const char *toml_found(struct parser *p, char *dst, size_t dstlen, size_t off)
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
	snprintf(dst, dstlen, "'%s'", toml_quote(p, q, sizeof(q), off, n));
	return dst;
}

/* Quote the key path KP as written, up to and including part K. */
const char *toml_keyq(struct parser *p, char *dst, size_t dstlen, const struct keypath *kp, size_t k)
{
	return toml_quote(p, dst, dstlen, kp->seg[0].off, kp->seg[k].end - kp->seg[0].off);
}

/*
 * Check the whole text is UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF) and note where each line starts. Returns 0, ERR_INVALID or ERR_NOMEM.
 */
int toml_scan_lines(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;
	size_t i, n = 1;

	for (i = 0; i < p->len; i++)
		n += s[i] == '\n';
	if (!(p->lines = malloc(n * sizeof(*p->lines))))
		return toml_nomem();
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
			return toml_perr(p, i, "invalid utf-8 byte 0x%02x", c);
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
				return toml_perr(p, i, "invalid utf-8 sequence starting with byte 0x%02x", c);
		}
		i += need + 1;
	}
	return 0;
}

/* ---- whitespace, comments, line ends ---- */

/* The byte at the cursor, or -1 at the end. */
int toml_peek(const struct parser *p)
{
	return p->i < p->len ? (unsigned char)p->s[p->i] : -1;
}

/* The byte K past the cursor, or -1 past the end. */
int toml_peek_at(const struct parser *p, size_t k)
{
	return p->i + k < p->len ? (unsigned char)p->s[p->i + k] : -1;
}

/* Skip spaces and tabs. */
void toml_skip_ws(struct parser *p)
{
	while (p->i < p->len && (p->s[p->i] == ' ' || p->s[p->i] == '\t'))
		p->i++;
}

/* Control characters no string or comment may hold raw (tab is fine). */
bool toml_is_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* At '#': skip the comment up to (not past) its line end. Control characters are refused. */
static int skip_comment(struct parser *p)
{
	for (p->i++; p->i < p->len; p->i++) {
		unsigned char c = (unsigned char)p->s[p->i];

		if (c == '\n' || (c == '\r' && toml_peek_at(p, 1) == '\n'))
			return 0;
		if (c == '\r')
			return toml_perr(p, p->i, "bare carriage return in comment");
		if (toml_is_control(c))
			return toml_perr(p, p->i, "control character U+%04X in comment", c);
	}
	return 0;
}

/* Skip whitespace, newlines and comments (between array elements). */
int toml_skip_blank(struct parser *p)
{
	int r;

	for (;;) {
		toml_skip_ws(p);
		switch (toml_peek(p)) {
		case '\n':
			p->i++;
			break;
		case '\r':
			if (toml_peek_at(p, 1) != '\n')
				return toml_perr(p, p->i, "bare carriage return");
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
int toml_end_line(struct parser *p, const char *what)
{
	char f[48];
	int r;

	toml_skip_ws(p);
	if (toml_peek(p) == '#' && (r = skip_comment(p)) < 0)
		return r;
	switch (toml_peek(p)) {
	case -1:
		return 0;
	case '\n':
		p->i++;
		return 0;
	case '\r':
		if (toml_peek_at(p, 1) != '\n')
			return toml_perr(p, p->i, "bare carriage return");
		p->i += 2;
		return 0;
	}
	return toml_perr(p, p->i, "expected end of line after %s, found %s", what, toml_found(p, f, sizeof(f), p->i));
}

/* ---- strings ---- */

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
int toml_bufr(int r)
{
	if (r == ERR_NOMEM)
		return toml_nomem();
	if (r < 0)
		return err_set(r, "value too big");
	return r;
}

/* At a backslash in a basic string: decode one escape into OUT. */
static int parse_escape(struct parser *p, struct buf *out)
{
	size_t at = p->i;
	int c = toml_peek_at(p, 1), n, k;
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
			int h = text_hex_value(toml_peek_at(p, 2 + (size_t)k));

			if (h < 0)
				return toml_perr(p, at, "bad unicode escape '%s': expected %d hex digits",
						 toml_quote(p, q, sizeof(q), at, 2 + (size_t)k + 1), n);
			cp = cp << 4 | (uint32_t)h;
		}
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return toml_perr(p, at, "escape '%s' is not a unicode scalar value",
					 toml_quote(p, q, sizeof(q), at, 2 + (size_t)n));
		p->i += 2 + (size_t)n;
		return toml_bufr(utf8_put(out, cp));
	case -1:
		return toml_perr(p, at, "unterminated string");
	default:
		if (c == '\n' || c == '\r')
			return toml_perr(p, at, "backslash at end of line in a single-line string");
		return toml_perr(p, at, "bad escape '%s'", toml_quote(p, q, sizeof(q), at, c >= 0x80 ? 1 : 2));
	}
	p->i += 2;
	return toml_bufr(buf_addc(out, e));
}

/* Bytes a string may hold as they are, up to the next one needing a look (quote, backslash, control). */
static size_t plain_run(struct parser *p, size_t i, char quote_char)
{
	while (i < p->len) {
		unsigned char c = (unsigned char)p->s[i];

		if (c == (unsigned char)quote_char || c == '\\' || toml_is_control(c))
			break;
		i++;
	}
	return i;
}

/*
 * Copy into OUT the bytes at p->i that a string quoted with QC holds as they are (in a
 * literal string, backslashes too) and move p->i to the next byte needing a look, or to the
 * end of the text. Returns 0 or the buffer's error.
 */
static int take_plain(struct parser *p, char qc, struct buf *out)
{
	size_t j = plain_run(p, p->i, qc);
	int r;

	if (qc == '\'') {
		/* backslashes are plain in literal strings */
		while (j < p->len && p->s[j] == '\\')
			j = plain_run(p, j + 1, qc);
	}
	if ((r = toml_bufr(buf_add(out, p->s + p->i, j - p->i))) < 0)
		return r;
	p->i = j;
	return 0;
}

/* At '"' or '\'': a single-line basic or literal string, decoded into OUT. */
static int parse_line_string(struct parser *p, struct buf *out)
{
	size_t start = p->i;
	char qc = p->s[p->i];
	int r;

	p->i++;
	for (;;) {
		unsigned char c;

		if ((r = take_plain(p, qc, out)) < 0)
			return r;
		if (p->i >= p->len)
			return toml_perr(p, start, "unterminated string");
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
			return toml_perr(p, start, "unterminated string: it reaches the end of the line");
		return toml_perr(p, p->i, "control character U+%04X in string", c);
	}
}

/* At '"""' or "'''": a multi-line string, decoded into OUT; CRLF becomes LF. */
static int parse_ml_string(struct parser *p, struct buf *out)
{
	size_t start = p->i;
	char qc = p->s[p->i];
	int r;

	p->i += 3;
	if (toml_peek(p) == '\n')
		p->i++;
	else if (toml_peek(p) == '\r' && toml_peek_at(p, 1) == '\n')
		p->i += 2;
	for (;;) {
		size_t q;
		unsigned char c;

		if ((r = take_plain(p, qc, out)) < 0)
			return r;
		if (p->i >= p->len)
			return toml_perr(p, start, "unterminated multi-line string");
		c = (unsigned char)p->s[p->i];
		if (c == (unsigned char)qc) {
			for (q = 0; p->i + q < p->len && p->s[p->i + q] == qc; q++)
				;
			if (q >= 3) {
				if (q > 5)
					return toml_perr(p, p->i, "too many quotes at the end of a multi-line string");
				if ((r = toml_bufr(buf_add(out, p->s + p->i, q - 3))) < 0)
					return r;
				p->i += q;
				return 0;
			}
			if ((r = toml_bufr(buf_add(out, p->s + p->i, q))) < 0)
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
					else if (p->s[p->i] == '\r' && toml_peek_at(p, 1) == '\n')
						p->i += 2;
					else
						break;
				}
			} else if ((r = parse_escape(p, out)) < 0) {
				return r;
			}
		} else if (c == '\n') {
			if ((r = toml_bufr(buf_addc(out, '\n'))) < 0)
				return r;
			p->i++;
		} else if (c == '\r' && toml_peek_at(p, 1) == '\n') {
			if ((r = toml_bufr(buf_addc(out, '\n'))) < 0)
				return r;
			p->i += 2;
		} else if (c == '\r') {
			return toml_perr(p, p->i, "bare carriage return in string");
		} else {
			return toml_perr(p, p->i, "control character U+%04X in string", c);
		}
	}
}

/* Whether the cursor is at ''' or """. */
static bool starts_ml(const struct parser *p)
{
	int c = toml_peek(p);

	return (c == '"' || c == '\'') && toml_peek_at(p, 1) == c && toml_peek_at(p, 2) == c;
}

/* At a quote: any kind of string, decoded into p->tmp (reset first). */
int toml_parse_string(struct parser *p)
{
	buf_reset(&p->tmp);
	return starts_ml(p) ? parse_ml_string(p, &p->tmp) : parse_line_string(p, &p->tmp);
}

/* A malloc'd NUL-terminated copy of N bytes at S, or NULL. */
char *toml_memdup0(const char *s, size_t n)
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
bool toml_bare_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Free the key parts not handed on, and empty KP. */
void toml_keypath_release(struct keypath *kp)
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
	int c = toml_peek(p), r;
	const char *from;
	size_t n;
	char f[48];

	k->off = p->i;
	if (c == '"' || c == '\'') {
		if (starts_ml(p))
			return toml_perr(p, p->i, "multi-line strings cannot be keys");
		buf_reset(&p->tmp);
		if ((r = parse_line_string(p, &p->tmp)) < 0)
			return r;
		from = p->tmp.data;
		n = p->tmp.len;
	} else if (toml_bare_char(c)) {
		while (toml_bare_char(toml_peek(p)))
			p->i++;
		from = p->s + k->off;
		n = p->i - k->off;
	} else {
		return toml_perr(p, p->i, "expected a key, found %s", toml_found(p, f, sizeof(f), p->i));
	}
	k->end = p->i;
	k->sp = toml_span_at(p, k->off, k->end - k->off);
	k->len = n;
	if (!(k->s = toml_memdup0(from, n)))
		return toml_nomem();
	return 0;
}

/* A key, dotted or not, into KP (released first by the caller). Stops after its last part. */
int toml_parse_key(struct parser *p, struct keypath *kp)
{
	int r;

	for (;;) {
		if (kp->n == kp->cap) {
			size_t cap = kp->cap ? kp->cap * 2 : 4;
			struct key_seg *s = realloc(kp->seg, cap * sizeof(*s));

			if (!s)
				return toml_nomem();
			kp->seg = s;
			kp->cap = cap;
		}
		if (kp->n == TOML_MAX_DEPTH)
			return toml_perr_code(p, ERR_LIMIT, p->i, "key has more than %d parts", TOML_MAX_DEPTH);
		kp->seg[kp->n].s = NULL;
		if ((r = parse_simple_key(p, &kp->seg[kp->n])) < 0) {
			free(kp->seg[kp->n].s);
			return r;
		}
		kp->n++;
		toml_skip_ws(p);
		if (toml_peek(p) != '.')
			return 0;
		p->i++;
		toml_skip_ws(p);
	}
}
