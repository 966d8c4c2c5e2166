/* Attribute paths: dot-separated Nix attribute names, like packages.x86_64-linux.default. */
#ifndef CHIMERA_CORE_ATTRPATH_H
#define CHIMERA_CORE_ATTRPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATTRPATH_SEGMENTS_MAX 64	/* most names in one path */
#define ATTRPATH_TEXT_MAX 1024		/* longest accepted text, and longest formatted one */
#define ATTRPATH_FORMAT_MAX (ATTRPATH_TEXT_MAX + 1)	/* buffer for attrpath_format */

/*
 * Syntax. Names are separated by '.'. A bare name is one or more of [A-Za-z0-9_'-] that
 * starts with [A-Za-z0-9_]: Nix identifiers plus names such as "0", "host-1" and
 * "x86_64-linux", which `nix` accepts after '#'. Any other name is written in double
 * quotes, "a.b c", and may hold printable ASCII (space included) except '"', '\', '$'
 * and '`'. Empty names (a..b, .a, a., "") are rejected.
 *
 * The struct holds its names itself (no allocation, nothing to release) and may be
 * copied by value. Read names with attrpath_segment().
 */
struct attrpath {
	size_t n;				/* number of names */
	size_t used;				/* bytes of buf in use */
	uint16_t off[ATTRPATH_SEGMENTS_MAX];	/* where each name starts in buf */
	char buf[ATTRPATH_TEXT_MAX + 1];	/* the names, unquoted, each NUL-terminated */
};

/* Make P the empty path (no names). */
void attrpath_init(struct attrpath *p);

/*
 * Parse LEN bytes of S into OUT (cleared first); quoted names are stored without their
 * quotes. Returns 0, or ERR_INVALID with a message quoting S; OUT is then left empty.
 */
int attrpath_parse(struct attrpath *out, const char *s, size_t len);

/*
 * Append the name NAME (LEN bytes, raw: no quotes, may hold '.' or spaces) to P. Returns
 * 0; ERR_INVALID when NAME is empty or holds a byte a quoted name may not; ERR_LIMIT when
 * P would pass ATTRPATH_SEGMENTS_MAX names or ATTRPATH_TEXT_MAX formatted bytes. P is
 * unchanged on failure.
 */
int attrpath_append(struct attrpath *p, const char *name, size_t len);

/*
 * Write P into BUF, quoting the names that need it; parsing the result gives P back.
 * ATTRPATH_FORMAT_MAX bytes always suffice. Returns 0, or ERR_LIMIT with BUF set to "".
 */
int attrpath_format(const struct attrpath *p, char *buf, size_t buflen);

/* Number of names in P. */
size_t attrpath_count(const struct attrpath *p);

/* Name I of P, owned by P and valid while P is; NULL when I is out of range. */
const char *attrpath_segment(const struct attrpath *p, size_t i);

/* True when A and B hold the same names in the same order. */
bool attrpath_equal(const struct attrpath *a, const struct attrpath *b);

#endif
