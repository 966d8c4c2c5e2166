/* Inside the render.yaml simulator: the state every check shares and the helpers the check files call. */
#ifndef CHIMERA_PLATFORM_RENDER_CHECK_H
#define CHIMERA_PLATFORM_RENDER_CHECK_H

#include "platform/render/render.h"
#include "platform/render/rules.h"
#include "ports/yaml.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/text.h"
#include "util/fs.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>


#define FILE_MAX (4u << 20)	/* past this a file is not a Blueprint, and not worth the memory */

#define Q 72			/* room for a quoted scalar in a message */

#define DEPTH_MAX 256		/* nesting the generic walks follow (the YAML adapter refuses past 1024) */

#define FIX_MAX 256

#define NEAR_MAX 256		/* names looked at for a "did you mean" */

#define RUNTIME_LIST "node, python, ruby, go, rust, elixir, docker, image or static"

enum kind {
	K_WEB = 1,
	K_WORKER = 2,
	K_PSERV = 4,
	K_CRON = 8,
	K_KV = 16,
	K_STATIC = 32,
	K_WORKFLOW = 64,
};

#define K_SERVER (K_WEB | K_WORKER | K_PSERV)

#define K_GIT (K_SERVER | K_CRON | K_STATIC)

#define K_ALL (K_GIT | K_KV)

enum ftype { T_STR, T_INT, T_BOOL, T_SEQ, T_MAP, T_ANY };

/* A key a mapping may hold: its type, the service kinds that take it, the rule that owns it. */
struct field {
	const char *key;
	enum ftype type;
	unsigned kinds;
	enum rnd_rule rule;
};

/* A text with the node it came from, to sort and look up by name. */
struct ent {
	const char *s;
	size_t len;
	size_t order;		/* where it starts in the file: of equal texts the first sorts first */
	struct yaml_node *at;	/* the text's node, to point at */
	struct yaml_node *owner;	/* what it names */
};

/* A growable array of them; sorted once filled, then searched by halves. */
struct ents {
	struct ent *v;
	size_t n, cap;
};

/* Where references resolve: the root (with ungrouped) or one project environment. */
struct scope {
	struct yaml_node *svcs[2], *dbs[2], *groups[2];	/* sequences, NULL when absent */
	struct ents names[3];	/* names of the services, databases and groups */
	struct ents group_refs;	/* the fromGroup values of the services */
};

struct ctx {
	struct sim_report *rep;
	const char *file;
	const char *text;	/* the file, to look at the line of a syntax error */
	size_t len;
	int err;		/* ERR_NOMEM once an issue could not be kept */
	struct scope *scopes;
	size_t nscopes, capscopes;
	struct ents tmp;	/* scratch for one duplicate check at a time */
	bool previews_on;	/* root previews make a fixed branch a mistake */
};

/* One service being checked. */
struct svc {
	struct yaml_node *map;
	struct yaml_node *name;	/* the name's value, NULL when missing */
	unsigned kind;		/* one K_ bit; 0 when the type is unknown */
	const char *rt;		/* runtime, or its old name env; NULL when neither */
	size_t rtlen;
	bool merged;		/* a << merge key may bring keys we cannot see */
	bool free;
};

enum sclass { SC_STR, SC_NULL, SC_BOOL, SC_BOOL11, SC_INT, SC_FLOAT };

/* A misspelling and what it stands for. */
struct spelling {
	const char *from, *to;
};

struct cron_field {
	const char *name;
	int lo, hi;
	const char *const *names;	/* names for lo, lo+1, ... */
};

struct place {
	int line, col;
	size_t idx;
};

extern const char *const rnd_plans[];
extern const char *const rnd_generations[];
extern const char *const rnd_on_off[];


/* The text of scalar N, or NULL for an alias, a collection or no node. Never NULL for a scalar. */
const char *rnd_text(struct yaml_node *n, size_t *len);
bool rnd_eqn(const char *s, size_t len, const char *lit);
bool rnd_is(struct yaml_node *n, const char *lit);
bool rnd_in_list(const char *s, size_t len, const char *const *list);
bool rnd_plain(struct yaml_node *n);

/* What a YAML loader makes of N: only plain scalars can be anything but a string. */
enum sclass rnd_classify(struct yaml_node *n);
bool rnd_is_null(struct yaml_node *n);

/* True when a number keeps its text through a loader: 3.9 and 42 do, 3.10, 1.0 and 007 do not. */
bool rnd_number_keeps_text(const char *s, size_t n);
int rnd_bool_value(struct yaml_node *n);

/* The decimal integer N holds, into OUT; false when it holds none. */
bool rnd_int_value(struct yaml_node *n, long *out);

/* N quoted for a message: printable, cut when long. */
const char *rnd_q(char out[Q], struct yaml_node *n);

/* The next item of SEQ, or NULL at the end or when SEQ is not a sequence. */
struct yaml_node *rnd_next_item(struct yaml_node *seq, void **it);

/* N in single quotes for a message, when it is a scalar. */
const char *rnd_qq(char out[Q], struct yaml_node *n);

/* The 1-based line and column where N starts; false when N has no place (an empty value). */
bool rnd_where(struct yaml_node *n, int *line, int *col);
void rnd_issue(struct ctx *c, struct yaml_node *at, enum rnd_rule rule, enum sim_severity sev, enum sim_fix fix,
		  const char *fix_text, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
struct yaml_node *rnd_key_of(struct yaml_pair *p);
struct yaml_node *rnd_val_of(struct yaml_pair *p);

/* What to point at for pair P: its value when that has a place in the text, else its key. */
struct yaml_node *rnd_at_val(struct yaml_pair *p);

/* The last pair of MAP with KEY (YAML tools keep the last of duplicates), or NULL. */
struct yaml_pair *rnd_pair_get(struct yaml_node *map, const char *key);
struct yaml_node *rnd_get(struct yaml_node *map, const char *key);

/* True when MAP has KEY with a value that is not null. */
bool rnd_has(struct yaml_node *map, const char *key);
const struct field *rnd_field_find(const struct field *tab, const char *s, size_t len);

/* True when S is close enough to WORD to be a slip of the fingers. */
bool rnd_close_to(const char *s, size_t len, const char *word);
const char *rnd_nearest(const char *s, size_t len, const char *const *list);
const char *rnd_nearest_field(const char *s, size_t len, const struct field *tab);

/* True when S is a typo of exactly one name in LIST (or of TAB's keys): a rename that cannot pick wrong. */
bool rnd_sure_of(const char *s, size_t len, const char *const *list, const struct field *tab);

/*
 * Report an unknown key K of pair P under RULE, suggesting NEAR when there is one. SURE: NEAR
 * is the only known key K is a typo of, so the rename heals (when the issue is one heal takes).
 */
void rnd_unknown_key(struct ctx *c, struct yaml_pair *p, enum rnd_rule rule, enum sim_severity sev,
			const char *where_, const char *near, bool sure);

/* Report every key of MAP not in LIST (a << merge key is let through). */
void rnd_check_keys(struct ctx *c, struct yaml_node *map, const char *const *list, enum rnd_rule rule,
		       enum sim_severity sev, const char *where_);
void rnd_quote_fix(char fx[FIX_MAX], struct yaml_pair *p);
const char *rnd_shape_name(struct yaml_node *n);

/*
 * Check that pair P holds type T; RULE owns a wrong shape. False when the value is null, an
 * alias or of the wrong shape: the caller then has nothing to look into.
 */
bool rnd_value_ok(struct ctx *c, struct yaml_pair *p, enum ftype t, enum rnd_rule rule);

/* Check KEY of MAP as type T under RULE; returns the pair when its value is usable. */
struct yaml_pair *rnd_typed(struct ctx *c, struct yaml_node *map, const char *key, enum ftype t,
				  enum rnd_rule rule);

/* Check string KEY of MAP against LIST; returns its index or -1. */
int rnd_check_enum(struct ctx *c, struct yaml_node *map, const char *key, const char *const *list,
		      enum rnd_rule rule, const char *what);

/* Add the text of scalar AT (skipped when it has none) naming OWNER. */
void rnd_ents_push(struct ctx *c, struct ents *e, struct yaml_node *at, struct yaml_node *owner);
bool rnd_ent_same(const struct ent *x, const struct ent *y);
void rnd_ents_sort(struct ents *e);
void rnd_ents_free(struct ents *e);

/*
 * Step through the repeats of sorted E: start with *I = 0 and *FIRST = NULL; each call returns
 * the next entry whose text an earlier one has, with *FIRST the first entry of that text and
 * *FIRST_LINE its line (0 when unknown); NULL after the last. Points into E.
 */
const struct ent *rnd_ents_next_repeat(const struct ents *e, size_t *i, const struct ent **first, int *first_line);

/* The first entry of sorted E with text S, and in COUNT (if not NULL) how many have it; NULL if none. */
const struct ent *rnd_ents_find(const struct ents *e, const char *s, size_t len, int *count);
void rnd_syntax_issue(struct ctx *c, const struct yaml_doc *doc);

/*
 * Walk the tree for what the YAML parser lets through: aliases without an anchor (RND-YAML-1) and
 * duplicate keys (RND-YAML-2).
 */
void rnd_walk(struct ctx *c, struct yaml_node *n, int depth);
void rnd_scope_add(struct ctx *c, const struct scope *sc);

/* The mapping of SC's list WHICH (0 services, 1 databases, 2 groups) named S; COUNT as ents_find. */
struct yaml_node *rnd_scope_find(const struct scope *sc, int which, const char *s, size_t len, int *count);

/* A name of SC's list WHICH close to S, for "did you mean". */
const char *rnd_near_name(const struct scope *sc, int which, const char *s, size_t len, char out[Q]);

/* The lists of SC chosen by WHICH: 0 services, 1 databases, 2 environment groups. */
struct yaml_node *const *rnd_scope_lists(const struct scope *sc, int which);

/* True when some scope other than SC has a resource named S in the list chosen by WHICH. */
bool rnd_elsewhere(const struct ctx *c, const struct scope *sc, int which, const char *s, size_t len);

/* Check a cron expression; on failure say why in WHY. */
bool rnd_cron_ok(const char *s, size_t n, char *why, size_t whylen);
const char *rnd_kind_name(unsigned kind);
const char *rnd_svc_name(const struct svc *s, char out[Q]);
void rnd_svc_init(struct svc *s, struct yaml_node *map);

/* RND-SVC-5: the plan of pair P. Returns true when it reads as the free plan. */
bool rnd_check_plan(struct ctx *c, struct yaml_pair *p);

/* RND-SVC-6: the region of MAP, if any, is one of Render's. */
void rnd_check_region(struct ctx *c, struct yaml_node *map);

/* The region MAP runs in: its own, or Render's default. */
const char *rnd_region_of(struct yaml_node *map, size_t *len);
void rnd_check_domains(struct ctx *c, struct yaml_node *map);

/* RND-SVC-11: ipAllowList entries are {source: CIDR, description}. */
void rnd_check_ip_allow(struct ctx *c, struct yaml_node *map);

/* RND-SVC-11: a range on integer KEY of MAP. Returns the value, or DEF when absent or unusable. */
long rnd_int_range(struct ctx *c, struct yaml_node *map, const char *key, long lo, long hi, long def,
		      enum rnd_rule rule);
void rnd_check_svc_previews(struct ctx *c, struct svc *s);
void rnd_check_server(struct ctx *c, struct svc *s);
void rnd_check_cron(struct ctx *c, struct svc *s);
void rnd_check_kv(struct ctx *c, struct svc *s);
void rnd_check_static(struct ctx *c, struct svc *s);

/* An item of a group may only be key/value or key/generateValue (RND-GRP-2). */
bool rnd_group_refs(struct ctx *c, struct yaml_node *item, const char *kq);
void rnd_check_envvars(struct ctx *c, const struct scope *sc, const struct svc *s, struct yaml_pair *lp,
			  bool group);
void rnd_check_service(struct ctx *c, const struct scope *sc, struct yaml_node *map);

/* The root: known keys, the root scope (root plus ungrouped), projects, and something to deploy. */
void rnd_check_root(struct ctx *c, struct yaml_node *root);

#endif
