/* Nix store paths, /nix/store/<32-char hash>-<name>, and their hash part. */
#ifndef CHIMERA_CORE_STOREPATH_H
#define CHIMERA_CORE_STOREPATH_H

#include <stdbool.h>
#include <stddef.h>

#define STOREPATH_PREFIX "/nix/store/"
#define STOREPATH_PREFIX_LEN 11
#define NIXHASH_LEN 32		/* characters of Nix base-32 */
#define STOREPATH_NAME_MAX 211	/* longest name after the hash and '-' */
/* Bytes needed to hold any store path with its NUL (256). */
#define STOREPATH_MAX (STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1 + STOREPATH_NAME_MAX + 1)

/* The 32-character hash part, in Nix's base-32 alphabet 0-9 a-z without e o t u. */
struct nixhash {
	char s[NIXHASH_LEN + 1];
};

struct storepath {
	struct nixhash hash;
	char name[STOREPATH_NAME_MAX + 1];	/* [A-Za-z0-9+._?=-], not starting with '.' */
};

/*
 * Parse exactly LEN bytes of S as a 32-character Nix hash into OUT (cleared first).
 * Returns 0, or ERR_INVALID with a message quoting S; OUT is then left empty.
 */
int nixhash_parse(struct nixhash *out, const char *s, size_t len);

/*
 * Parse LEN bytes of S as /nix/store/<hash>-<name> into OUT (cleared first). Nothing may
 * follow the name (no "/bin/sh"). Returns 0, or ERR_INVALID with a message quoting S and
 * the expected form; OUT is then left empty.
 */
int storepath_parse(struct storepath *out, const char *s, size_t len);

/* True when LEN bytes of S form a valid store path. Leaves the error message alone. */
bool storepath_valid(const char *s, size_t len);

/*
 * Write "/nix/store/<hash>-<name>" into BUF (STOREPATH_MAX bytes always suffice).
 * Returns 0, or ERR_LIMIT with BUF set to "" when it does not fit.
 */
int storepath_format(const struct storepath *p, char *buf, size_t len);

/* True when A and B hold the same hash and name. */
bool storepath_equal(const struct storepath *a, const struct storepath *b);

#endif
