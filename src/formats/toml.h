/* TOML 1.0: parse a document keeping every value's source position, look values up, edit the text in place. */
#ifndef CHIMERA_FORMATS_TOML_H
#define CHIMERA_FORMATS_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/*
 * Ownership: toml_parse returns a document the caller frees with toml_doc_free. Every
 * value, key and string reached from it belongs to the document and lives until then;
 * callers never free them. The document keeps its own copy of the source text, which the
 * edit functions below work on.
 *
 * Errors: functions return 0 or a negative ERR_* from util/err.h and set the message with
 * err_set(). Messages about the text start with "LINE:COL: " (1-based; the column counts
 * characters, not bytes) and are lowercase without a final period.
 */

/* Nesting deeper than this (arrays, inline tables, key segments) is refused with ERR_LIMIT. */
#define TOML_MAX_DEPTH 128

enum toml_type {
	TOML_STRING = 1,
	TOML_INTEGER,
	TOML_FLOAT,
	TOML_BOOL,
	TOML_DATETIME,		/* offset date-time: 1979-05-27T07:32:00Z */
	TOML_DATETIME_LOCAL,	/* 1979-05-27T07:32:00 */
	TOML_DATE_LOCAL,	/* 1979-05-27 */
	TOML_TIME_LOCAL,	/* 07:32:00 */
	TOML_ARRAY,
	TOML_TABLE,
};

/* A stretch of the source: where it starts (1-based line and column) and its bytes. */
struct toml_span {
	unsigned line;
	unsigned col;
	size_t off;		/* byte offset in the source */
	size_t len;		/* bytes; 0 when there is no such text */
};

/* The fields a date/time kind has; the others are 0. */
struct toml_datetime {
	int year, month, day;
	int hour, minute, second;	/* second may be 60 (a leap second) */
	uint32_t nanosecond;
	int frac_digits;		/* fraction digits written, at most 9 (more are cut) */
	int offset_minutes;		/* TOML_DATETIME only: minutes east of UTC */
	bool offset_z;			/* TOML_DATETIME only: written as Z rather than +00:00 */
};

struct toml_doc;
struct toml_value;

/*
 * Parse LEN bytes at SRC (need not be NUL-terminated; a UTF-8 byte order mark at the
 * start is skipped). On success *OUT is a new document; on failure *OUT is NULL and the
 * return is ERR_INVALID ("LINE:COL: what is wrong"), ERR_LIMIT (nesting too deep) or
 * ERR_NOMEM.
 */
int toml_parse(const char *src, size_t len, struct toml_doc **out);

/* Free DOC and everything in it. NULL is fine. */
void toml_doc_free(struct toml_doc *doc);

/* The root table. Never NULL for a parsed document. */
const struct toml_value *toml_doc_root(const struct toml_doc *doc);

/* The source the document was parsed from (its own copy, NUL-terminated) and its length. */
const char *toml_doc_source(const struct toml_doc *doc, size_t *len);

enum toml_type toml_type(const struct toml_value *v);

/* "string", "integer", "float", "boolean", "offset date-time", ..., "array", "table". */
const char *toml_type_name(enum toml_type t);

/*
 * The value's own text. Scalars, arrays and inline tables: exactly the characters that
 * wrote the value (quotes and brackets included). Tables made by a [header] or [[header]]:
 * the header, brackets included (for an array of tables, its first header). Tables made
 * implicitly by a header or a dotted key: the key segment that made them. The root: the
 * whole document.
 */
struct toml_span toml_value_span(const struct toml_value *v);

/* The key segment that named V where it was defined (for a.b.c = 1, the 'c'); len 0 for array elements and the root. */
struct toml_span toml_key_span(const struct toml_value *v);

/*
 * The lines V owns, from the start of its first line to just past the newline of its last:
 * for a key/value, the whole statement; for a table made by [header] or [[header]], the
 * header line through its last key/value line. len 0 when V owns no lines of its own.
 */
struct toml_span toml_stmt_span(const struct toml_value *v);

/* Tables. Lookups return NULL when TABLE is NULL or not a table, or when the key is absent. */
const struct toml_value *toml_table_get(const struct toml_value *table, const char *key);
const struct toml_value *toml_table_getn(const struct toml_value *table, const char *key, size_t keylen);

/* Number of keys in TABLE (0 if it is NULL or not a table). */
size_t toml_table_len(const struct toml_value *table);

/*
 * The I-th key of TABLE in document order (the order keys were first defined) and its
 * value; NULL past the end. KEY (may hold NUL bytes; NUL-terminated too) and KEYLEN may
 * be NULL when not wanted.
 */
const struct toml_value *toml_table_at(const struct toml_value *table, size_t i,
				       const char **key, size_t *keylen);

/* Arrays. toml_array_len is 0 and toml_array_get NULL when A is NULL, not an array, or I is out of range. */
size_t toml_array_len(const struct toml_value *a);
const struct toml_value *toml_array_get(const struct toml_value *a, size_t i);

/*
 * Typed access. Each returns 0 and fills its output, or ERR_INVALID
 * ("LINE:COL: expected a string, found an integer") when V is of another type, or
 * ERR_NOTFOUND when V is NULL. Strings may hold NUL bytes; they are also NUL-terminated
 * and belong to the document.
 */
int toml_get_string(const struct toml_value *v, const char **s, size_t *len);
int toml_get_int(const struct toml_value *v, int64_t *out);
int toml_get_float(const struct toml_value *v, double *out);
int toml_get_bool(const struct toml_value *v, bool *out);
/* Any of the four date/time kinds; toml_type() tells which. */
int toml_get_datetime(const struct toml_value *v, struct toml_datetime *out);

/*
 * Targeted edits. Each writes a whole new document text into OUT (reset first) in which
 * every byte it does not touch is the same as in DOC's source, then parses that text to
 * check it. They return 0; ERR_INVALID when the text given is not one TOML value, the
 * key exists, or the result would not parse ("edit makes bad toml: LINE:COL: ...");
 * ERR_UNSUPPORTED when the value has no text or lines of its own to edit; or ERR_NOMEM.
 * On failure OUT is left empty. DOC is not changed: parse OUT again to see the result.
 */

/* Replace the text of V (a scalar, array or inline table written as a value) with TEXT. */
int toml_edit_replace(const struct toml_doc *doc, const struct toml_value *v,
		      const char *text, size_t len, struct buf *out);

/* Remove the lines V owns (see toml_stmt_span): one key/value statement, or one [table] or [[table]] section. */
int toml_edit_remove(const struct toml_doc *doc, const struct toml_value *v, struct buf *out);

/*
 * Add the line `KEY = TEXT` at the end of TABLE, which must be the root or a table with a
 * [header] of its own (an element of an array of tables counts): after its last key/value
 * line, or after its header (a root without key/values: at the start of the document),
 * indented like its last key/value line. KEY is one key (quoted if it needs to be); TEXT
 * is the value's TOML text.
 */
int toml_edit_insert(const struct toml_doc *doc, const struct toml_value *table,
		     const char *key, size_t keylen, const char *text, size_t len, struct buf *out);

/* Append a new `[k1.k2...]` section (`[[...]]` when ARRAY) at the end of the document. */
int toml_edit_add_table(const struct toml_doc *doc, const char *const *keys, size_t nkeys,
			bool array, struct buf *out);

/* Append S (LEN bytes, UTF-8) to B as a TOML basic string, quotes included. Returns 0 or a buf error. */
int toml_format_string(struct buf *b, const char *s, size_t len);

/* Append a key to B: bare when it can be, else a basic string. Returns 0 or a buf error. */
int toml_format_key(struct buf *b, const char *s, size_t len);

/*
 * Write DOC as toml-test's typed JSON into OUT (appended): every scalar becomes
 * {"type": "string|integer|float|bool|datetime|datetime-local|date-local|time-local",
 * "value": "..."}, tables objects (keys in document order) and arrays arrays.
 * Returns 0 or ERR_NOMEM / a buf error.
 */
int toml_to_json(const struct toml_doc *doc, struct buf *out);

#endif
