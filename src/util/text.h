/* Small text helpers shared by the parsers and the CLI. */
#ifndef CHIMERA_UTIL_TEXT_H
#define CHIMERA_UTIL_TEXT_H

#include <stddef.h>

#define TEXT_DISTANCE_MAX 64	/* longer words are never compared: they are not typos */

/*
 * Edit distance (insertions, deletions, substitutions) between the AN bytes of A and the
 * BN bytes of B, ASCII case ignored; SIZE_MAX when either is over TEXT_DISTANCE_MAX.
 */
size_t text_distance(const char *a, size_t an, const char *b, size_t bn);

#endif
