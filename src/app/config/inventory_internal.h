/* Private to inventory*.c: the checks every parse step shares (names, paths, typed values, messages). */
#ifndef CHIMERA_APP_CONFIG_INVENTORY_INTERNAL_H
#define CHIMERA_APP_CONFIG_INVENTORY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "app/config/inventory.h"
#include "formats/toml.h"

#define QUOTE_MAX 160
#define MSG_MAX 4096

#define NAME_FORM "[A-Za-z0-9] then up to 62 of [A-Za-z0-9._-]"
#define TAG_FORM "[A-Za-z0-9] then [A-Za-z0-9._-]"

/* C is in [A-Za-z0-9] (whatever the locale). */
bool inv_is_alnum(char c);
/* [A-Za-z0-9][A-Za-z0-9._-]*, at most MAX bytes (0: no limit). */
bool inv_word_valid(const char *s, size_t n, size_t max);
/* The same rule as target.c's user names, so a defaults user always makes a valid target. */
bool inv_user_valid(const char *u, size_t n);
/*
 * Make REL (LEN bytes) absolute against the directory of BASE (a file path; relative
 * ones against the working directory), resolving "." and ".." textually. *OUT is malloc'd
 * (the caller frees it); NULL on failure, with the error returned and its message set.
 */
int inv_abs_join(const char *base, const char *rel, size_t len, char **out);

/* Where parsing is: the file, and the table for messages. */
struct pctx {
	const char *path;
	char where[QUOTE_MAX + 32];	/* "[defaults]" or "[machines.NAME]", for messages */
};

/* Sets and returns ERR_INVALID "PATH:LINE:COL: ..." at SP. */
int __attribute__((format(printf, 3, 4))) inv_bad(const struct pctx *c, struct toml_span sp, const char *fmt, ...);
/* Where a key was written; its value's place when it has no key of its own. */
struct toml_span inv_key_pos(const struct toml_value *v);
/* inv_bad with another module's message (err_msg) as the tail of ours: "WHAT: MESSAGE". */
int inv_bad_from(const struct pctx *c, struct toml_span sp, const char *what);
/* "a string", "an integer": for "found ..." (static strings). */
const char *inv_a_type(const struct toml_value *v);
/* 0 when V is of type T, else inv_bad "WHAT must be EXPECT, found ...". */
int inv_want_type(const struct pctx *c, const struct toml_value *v, enum toml_type t, const char *what,
		  const char *expect);
/* A string without NUL bytes, at most MAX bytes (0: no limit), not empty; *S borrowed from V. Else inv_bad. */
int inv_want_str(const struct pctx *c, const struct toml_value *v, const char *what, const char *expect, size_t max,
		 const char **s);
/* An integer in [LO, HI] into *OUT; else inv_bad. */
int inv_want_int(const struct pctx *c, const struct toml_value *v, const char *what, long lo, long hi, long *out);
/* An array of at most MAX elements (each checked by the caller); else inv_bad. */
int inv_want_array(const struct pctx *c, const struct toml_value *v, const char *what, const char *expect,
		   size_t max);
/* strdup, with ERR_NOMEM's message set when it returns NULL; the caller frees it. */
char *inv_dup_str(const char *s);
/* "'KEY' in [TABLE]" into WHAT. */
void inv_what_key(const struct pctx *c, char *what, size_t len, const char *key);

/* The index inventory_find_target searches (inv->by_target, owned by INV); 0 or ERR_NOMEM. */
int inv_index_targets(struct inventory *inv);

#endif
