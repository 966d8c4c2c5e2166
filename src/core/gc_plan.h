/* Which profile generations a garbage collection deletes, and why each other one stays: pure rules, no I/O. */
#ifndef CHIMERA_CORE_GC_PLAN_H
#define CHIMERA_CORE_GC_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "core/profile.h"

#define GC_KEEP_DEFAULT 2	/* --keep: the current generation and the one a rollback goes back to */
#define GC_KEEP_MAX 1000
#define GC_AGE_MAX_S (36500LL * 86400)	/* --older-than: at most 100 years */

/* Why a generation stays; a generation kept for several reasons has several bits. */
enum gc_why {
	GC_WHY_CURRENT = 1u << 0,	/* the profile is on it */
	GC_WHY_NEWEST = 1u << 1,	/* among the newest --keep */
	GC_WHY_YOUNGER = 1u << 2,	/* not older than --older-than */
	GC_WHY_DEADMAN = 1u << 3,	/* an armed dead-man switch goes back to it */
	GC_WHY_WATCH = 1u << 4,		/* a running watch keeps the node on its path */
	GC_WHY_ROLLBACK = 1u << 5,	/* a rollback in progress goes (or may go) to it */
};
#define GC_WHY_COUNT 6

/* The name of the single bit WHY ("current", "newest", "younger", "deadman", "watch", "rollback"), or "unknown". */
const char *gc_why_name(unsigned why);

/*
 * Parse an age for option WHAT (used in the message, e.g. "--older-than"): a whole number
 * and one unit, s, m, h, d or w, with nothing else ("30d", "12h", "0d"), at most
 * GC_AGE_MAX_S. Returns 0 with *SECONDS set, or ERR_INVALID naming S and the expected form.
 */
int gc_age_parse(const char *what, const char *s, int64_t *seconds);

/* A generation something else needs, matched by number, as "the previous one", or by path. */
struct gc_protect {
	unsigned why;		/* one GC_WHY_* bit */
	uint32_t gen;		/* this generation (0: none by number) */
	bool previous;		/* the newest generation older than the current one (gen_list_previous) */
	const char *path;	/* every generation on this store path (NULL or "": none by path) */
	const char *by;		/* the operation that needs it (a deployment id), or NULL */
};

struct gc_plan_opts {
	int64_t now;		/* epoch seconds, on the node's clock */
	int64_t older_than_s;	/* a generation made before now minus this is old; negative: every one is */
	uint32_t keep;		/* the newest this many generations stay */
};

/* One generation and its verdict. */
struct gc_choice {
	uint32_t num;
	int64_t time;
	char path[STOREPATH_MAX];
	unsigned why;			/* 0: deleted */
	char by[DEPLOYMENT_ID_LEN + 1];	/* the first operation that needs it, "" when none */
};

struct gc_plan {
	struct gc_choice *items;	/* owned; ascending by number, as the generations */
	size_t n;
	size_t ndelete;			/* items whose why is 0 */
};

/*
 * Decide for each generation of GENS: it stays when it is the current one (the profile's
 * generation, or with none, one on the profile's path), among the newest O->keep (by
 * number), not older than O->older_than_s, or needed by one of the NP protections P; else
 * it is deleted. PLAN is cleared first and owns its items (gc_plan_release). Returns 0 or
 * ERR_NOMEM.
 */
int gc_plan_make(const struct gen_list *gens, const struct gc_plan_opts *o, const struct gc_protect *p, size_t np,
		 struct gc_plan *plan);

void gc_plan_release(struct gc_plan *plan);

#endif
