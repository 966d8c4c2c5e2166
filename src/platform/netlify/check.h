/* Inside the netlify.toml simulator: the state every check shares and the helpers the check files call. */
#ifndef CHIMERA_PLATFORM_NETLIFY_CHECK_H
#define CHIMERA_PLATFORM_NETLIFY_CHECK_H

#include "platform/netlify/netlify.h"
#include "platform/netlify/rules.h"
#include "formats/toml.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/text.h"
#include "util/fs.h"
#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define TOML_FILE_MAX (16u << 20)	/* the most of a netlify.toml we read */

#define WALK_DEPTH 64			/* deeper than any real config nests; fuzzed ones stop here */

#define QUOTE_MAX 96

#define NAME_MAX_LEN 40			/* longer names are never taken for typos */

#define FIX_MAX SIM_MSG_MAX

/* Quote N bytes at S for a message; the text lives until the end of the enclosing block. */
#define Q(s, n) err_quote((char[QUOTE_MAX]){ 0 }, QUOTE_MAX, (s), (n))

struct ntl {
	struct sim_report *rep;
	const char *file;
	const char *dir;		/* the project, or NULL when only the text is known */
	const char *src;		/* the document's source */
	size_t len;
	const struct toml_value *root;
	int base_depth;			/* how deep [build] base is in the repository; -1 when it leaves it */
	int err;			/* the first failure of sim_add */
};

/* How a [build]-like table is read: top-level [build], [context.NAME], or [context.NAME.build]. */
enum build_kind { KIND_BUILD, KIND_CONTEXT, KIND_NESTED };

#define WORDS_MAX 24

struct words {
	const char *w[WORDS_MAX];
	size_t n[WORDS_MAX];
	size_t count;
};

/* ---- [[redirects]] ---- */

/* What the shadowing check needs to know of one rule. */
struct rule {
	const struct toml_value *tab;
	const struct toml_value *from;	/* NULL when missing or bad */
	const char *host, *path;
	size_t hostlen, pathlen;
	bool plain;			/* no query and no conditions: it takes every request to its path */
	const struct toml_value *to;
	int64_t code;
	bool forced;
};

/* ---- [[headers]] ---- */

/* One header set by one block, for the duplicate check. */
struct header_use {
	const char *path, *name;
	size_t pathlen, namelen, order;
	const struct toml_value *v;
};


void ntl_add(struct ntl *c, enum ntl_rule rule, enum sim_severity sev, struct toml_span at, enum sim_fix fix,
		const char *fix_text, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Where an issue about V itself goes: its key when it has one, else its text. */
struct toml_span ntl_at_key(const struct toml_value *v);
struct toml_span ntl_at_val(const struct toml_value *v);

/* The source text of V's span, quoted for a message or a fix. */
const char *ntl_val_text(const struct ntl *c, const struct toml_value *v, char *dst, size_t n);
bool ntl_is_type(const struct toml_value *v, enum toml_type t);
bool ntl_str_of(const struct toml_value *v, const char **s, size_t *n);
bool ntl_is_scalar(const struct toml_value *v);
const char *ntl_a_type(const struct toml_value *v);

/* An array made by [[header]] lines: its span is the first header, which comes before its key. */
bool ntl_is_aot(const struct toml_value *v);

/* True when table T was made by a [header] line of its own. */
bool ntl_has_header(const struct ntl *c, const struct toml_value *t);
bool ntl_all_strings(const struct toml_value *a);

/* A float that holds a whole number small enough to be a status or a port (NaN is not). */
bool ntl_whole(double f);
bool ntl_key_is(const char *k, size_t n, const char *name);
bool ntl_key_is_ci(const char *k, size_t n, const char *name);
bool ntl_in_list(const char *k, size_t n, const char *const *list, bool ci);

/* The value at the first of the NULL-terminated NAMES present in T (a key and its legacy aliases). */
const struct toml_value *ntl_get_any(const struct toml_value *t, const char *const *names);

/* The value of NAME in T, matched without case (Netlify normalises Command, Publish, ...). */
const struct toml_value *ntl_get_ci(const struct toml_value *t, const char *name);

/* The name in LIST that K is a typo of (one edit for short names, two for longer), or NULL. */
const char *ntl_nearest(const char *k, size_t n, const char *const *list);

/* How many names in LIST K is a typo of (by nearest's measure): 1 means the rename cannot pick wrong. */
size_t ntl_typos_of(const char *k, size_t n, const char *const *list);

/* UPPER_CASE: what an environment variable put in the wrong table looks like. */
bool ntl_env_like(const char *k, size_t n);

/*
 * How deep P ends up when read from DEPTH levels below the repository root, the way Netlify
 * resolves it (leading slashes stripped, "." and ".." followed), or -1 when it leaves the root.
 */
int ntl_path_depth(const char *p, size_t n, int depth);

/* P without leading "/" and "./" or trailing "/": the form two spellings of a path share. */
void ntl_path_trim(const char **p, size_t *n);

/* True when DIR/A[/B] is a directory. Paths with NUL bytes or too long never are. */
bool ntl_dir_exists(const char *dir, const char *a, size_t an, const char *b, size_t bn);

/* A path property (publish, functions directory, ...) read BASE_DEPTH levels down: it must stay in the repository. */
void ntl_check_path(struct ntl *c, const struct toml_value *v, const char *what, int base_depth);

/* A property that must be a string path; returns true when it is one. */
bool ntl_check_path_type(struct ntl *c, const struct toml_value *v, const char *what, int base_depth);

/* Report the parser's error as NTL-TOML-1, then name the Netlify trap it is, when it is one we know. */
void ntl_syntax_error(struct ntl *c, const char *s, size_t n);

/*
 * Netlify's post-processing reads netlify.toml again with a stricter parser that refuses a
 * [table] written after one of its sub-tables; reports T when it is one. Returns the first
 * header under T.
 */
struct toml_span ntl_order_walk(struct ntl *c, const struct toml_value *t, int depth);

/* [build] (or its alias [Build]) must be one table. Returns it, or the one element of a [[build]]. */
const struct toml_value *ntl_build_table(const struct toml_value *root);
void ntl_check_build(struct ntl *c, const struct toml_value *v);
void ntl_check_contexts(struct ntl *c, const struct toml_value *v, const struct toml_value *build);

/* No publish: Netlify deploys the base directory (or what the UI says), rarely what a build meant. */
void ntl_check_missing_publish(struct ntl *c, const struct toml_value *root);

/* redirects / headers / plugins written as one [table] instead of [[table]]s. */
void ntl_not_an_array(struct ntl *c, const struct toml_value *v, const char *name);
void ntl_check_redirects(struct ntl *c, const struct toml_value *v);
void ntl_check_headers(struct ntl *c, const struct toml_value *v);
void ntl_check_plugins(struct ntl *c, const struct toml_value *v, const char *where, bool top);
void ntl_check_functions(struct ntl *c, const struct toml_value *v, const char *where);
void ntl_check_edge_functions(struct ntl *c, const struct toml_value *v, const char *where);
void ntl_check_dev(struct ntl *c, const struct toml_value *v);
void ntl_check_database(struct ntl *c, const struct toml_value *v);

#endif
