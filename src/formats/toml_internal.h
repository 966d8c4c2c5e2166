/* What the toml_*.c files share and no one else needs: the value tree, the parser, and their helpers. */
#ifndef CHIMERA_FORMATS_TOML_INTERNAL_H
#define CHIMERA_FORMATS_TOML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/toml.h"
#include "util/buf.h"

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

/* toml_value.c: the value tree */

/* Set and return ERR_NOMEM. */
int toml_nomem(void);

/* A new empty value of type T, or NULL when out of memory. */
struct toml_value *toml_value_new(enum toml_type t);

/* Free V and everything under it. NULL is fine. */
void toml_value_free(struct toml_value *v);

/* The value at key K in table T, or NULL. */
struct toml_value *toml_table_find(const struct toml_value *t, const char *k, size_t n);

/*
 * Add key K (N bytes, malloc'd and NUL-terminated) with value V to table T; the key must
 * be absent. Takes K and V on success; on ERR_NOMEM the caller still owns both.
 */
int toml_table_add(struct toml_value *t, char *k, size_t n, struct toml_value *v);

/* Append V to array A. Takes V on success; on ERR_NOMEM the caller still owns it. */
int toml_array_add(struct toml_value *a, struct toml_value *v);

/* toml_lex.c: positions, errors, lines, strings and keys */

/* The span of LEN bytes at OFF, with its line and column (in characters). */
struct toml_span toml_span_at(struct parser *p, size_t off, size_t len);

/* Set CODE with "LINE:COL: message" for the position OFF. Returns CODE. */
int toml_perr_code(struct parser *p, int code, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define toml_perr(p, off, ...) toml_perr_code((p), ERR_INVALID, (off), __VA_ARGS__)

/* Quote N source bytes at OFF for a message. Returns DST. */
const char *toml_quote(struct parser *p, char *dst, size_t dstlen, size_t off, size_t n);

/* Describe the character at OFF for "found X": 'c', end of line or end of file. */
const char *toml_found(struct parser *p, char *dst, size_t dstlen, size_t off);

/* Quote the key path KP as written, up to and including part K. */
const char *toml_keyq(struct parser *p, char *dst, size_t dstlen, const struct keypath *kp, size_t k);

/*
 * Check the whole text is UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF) and note where each line starts. Returns 0, ERR_INVALID or ERR_NOMEM.
 */
int toml_scan_lines(struct parser *p);

/* The byte at the cursor, or -1 at the end. */
int toml_peek(const struct parser *p);

/* The byte K past the cursor, or -1 past the end. */
int toml_peek_at(const struct parser *p, size_t k);

/* Skip spaces and tabs. */
void toml_skip_ws(struct parser *p);

/* Control characters no string or comment may hold raw (tab is fine). */
bool toml_is_control(unsigned char c);

/* Skip whitespace, newlines and comments (between array elements). */
int toml_skip_blank(struct parser *p);

/* After a statement: whitespace, an optional comment, then a line end or the end of the text. */
int toml_end_line(struct parser *p, const char *what);

/* Turn a buf error into a message: buf_add sets none of its own. */
int toml_bufr(int r);

/* At a quote: any kind of string, decoded into p->tmp (reset first). */
int toml_parse_string(struct parser *p);

/* A malloc'd NUL-terminated copy of N bytes at S, or NULL. */
char *toml_memdup0(const char *s, size_t n);

/* Characters of a bare key. */
bool toml_bare_char(int c);

/* Free the key parts not handed on, and empty KP. */
void toml_keypath_release(struct keypath *kp);

/* A key, dotted or not, into KP (released first by the caller). Stops after its last part. */
int toml_parse_key(struct parser *p, struct keypath *kp);

/* toml_scalar.c: numbers, dates and times */

/* ASCII digits only, whatever the locale. */
bool toml_is_digit(int c);

/* Characters a bare value (number, boolean, inf, nan) is made of. */
bool toml_word_char(int c);

/* W (N bytes at source offset OFF) as an integer or float into V. */
int toml_parse_number(struct parser *p, size_t off, size_t n, struct toml_value *v);

/* A date, a time, or a date and time with an optional offset, at p->i, into V. */
int toml_parse_datetime(struct parser *p, struct toml_value *v);

/* toml_parse.c: values, tables and the document */

/* Any value at p->i into *OUT (a new value the caller owns); p->i moves past it. */
int toml_parse_value(struct parser *p, struct toml_value **out);

/* Free what the parser holds (not the values it made). */
void toml_parser_release(struct parser *p);

#endif
