/* Small text helpers shared by the parsers and the CLI. */
#ifndef CHIMERA_UTIL_TEXT_H
#define CHIMERA_UTIL_TEXT_H

#include <stddef.h>

/* ASCII classes, whatever the locale (C's isdigit and friends depend on it). */
static inline int text_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int text_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int text_is_alnum(int c)
{
	return text_is_alpha(c) || text_is_digit(c);
}

/* The value of the hex digit C (either case), or -1. */
static inline int text_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#define TEXT_DISTANCE_MAX 64	/* longer words are never compared: they are not typos */

/*
 * Edit distance (insertions, deletions, substitutions) between the AN bytes of A and the
 * BN bytes of B, ASCII case ignored; SIZE_MAX when either is over TEXT_DISTANCE_MAX.
 */
size_t text_distance(const char *a, size_t an, const char *b, size_t bn);

/*
 * The lines of TEXT (NUL-terminated, cut in place) as a list file reads them: '#' starts a
 * comment, blanks and a CR around a line are dropped, empty lines are skipped. FN(LINE,
 * LINENO (1-based), ARG) for each other line; its nonzero return stops the walk and is
 * returned. A targets file (-t's elements, one a line) is read this way, here and by a server's client.
 */
int text_list_lines(char *text, int (*fn)(char *line, int lineno, void *arg), void *arg);

#endif
