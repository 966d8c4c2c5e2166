/* JSON helpers: string escaping and the canonical form of a document. */
#ifndef CHIMERA_UTIL_JSON_H
#define CHIMERA_UTIL_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "util/buf.h"

/* Append S as a JSON string literal (quotes included). Returns 0 or a buf error. */
int json_add_string(struct buf *b, const char *s);

/*
 * Parse TEXT as a JSON object and write its canonical form into OUT: keys sorted,
 * no insignificant whitespace, UTF-8 kept, numbers with a fraction in the fewest digits
 * that read back the same (json_real_digits). Returns 0, or ERR_INVALID naming the parse
 * error (OUT untouched).
 */
int json_canonical(const char *text, struct buf *out);

struct json_t;

/*
 * The fewest significant digits, 1 to 17, that print every real in DOC (%.Ng) so that it
 * reads back as the same double: 0.15 is 2, where jansson's default of 17 prints
 * 0.14999999999999999. For json_dumps' JSON_REAL_PRECISION; 1 when DOC has no real.
 */
int json_real_digits(const struct json_t *doc);

/*
 * DOC as the text front ends print and serve: indented by 2, reals in the fewest digits.
 * Takes the reference to DOC (may be NULL). Returns the text (the caller frees it) or NULL.
 */
char *json_render(struct json_t *doc);


/*
 * Append N bytes at P to OUT as valid UTF-8: each byte that is not part of a well-formed
 * sequence becomes U+FFFD. Returns 0 or a buf error.
 */
int json_utf8_clean(const char *p, size_t n, struct buf *out);

/* The N bytes at P as a JSON string, cleaned as json_utf8_clean does; NULL when out of memory. */
json_t *json_utf8_string(const char *p, size_t n);
#endif
