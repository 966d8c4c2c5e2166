/* Growing arrays by doubling. */
#ifndef CHIMERA_UTIL_GROW_H
#define CHIMERA_UTIL_GROW_H

#include <stddef.h>

/*
 * Room for element N of the array V (*CAP elements of SIZE bytes; NULL with 0 to start):
 * when N has reached *CAP, V is reallocated to twice as many (FIRST the first time) and *CAP
 * updated. Returns the array to use from now on (the caller owns it, V itself when it had
 * room), or NULL with ERR_NOMEM set and V and *CAP untouched.
 */
void *grow_array(void *v, size_t *cap, size_t n, size_t size, size_t first);

#endif
