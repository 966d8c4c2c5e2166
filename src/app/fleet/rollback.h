/* Use case: take a set of nodes back to a generation, all of them or none. */
#ifndef CHIMERA_APP_ROLLBACK_H
#define CHIMERA_APP_ROLLBACK_H

#include <stddef.h>
#include <stdint.h>

#include "app/fleet/fleet.h"
#include "core/ids.h"

enum rollback_state {
	RB_PENDING,		/* checked, not switched (yet) */
	RB_MISSING,		/* lacks the generation: the reason nothing was switched */
	RB_UNREACHABLE,		/* the check could not reach it */
	RB_SWITCHED,		/* on the requested generation */
	RB_FAILED,		/* switching it failed */
	RB_REVERTED,		/* switched (or failed), then put back where it was */
	RB_REVERT_FAILED,	/* putting it back failed: needs a human */
	RB_SKIPPED,		/* not touched because another node failed first */
	RB_HELD,		/* another operation held it past the lock wait: the reason nothing was switched */
};

const char *rollback_state_name(enum rollback_state s);

struct rollback_node {
	size_t index;
	struct target target;
	char name[TARGET_FORMAT_MAX];
	enum rollback_state state;
	uint32_t from_gen;		/* where it was */
	char from_path[STOREPATH_MAX];
	uint32_t to_gen;		/* where it was asked to go */
	char to_path[STOREPATH_MAX];
	uint32_t end_gen;		/* where it ended */
	char end_path[STOREPATH_MAX];
	char activation[32];
	struct fleet_failure fail;
	int64_t ms;
};

struct rollback_report {
	char id[DEPLOYMENT_ID_LEN + 1];
	struct rollback_node *nodes;
	size_t n;
	int refused;		/* the check failed: nothing was switched */
	size_t switched;	/* nodes that ended on the requested generation */
	size_t reverted;
	int64_t ms;
	int ledger_err;
	char ledger_msg[256];
};

/*
 * Check every target has generation o->gen (0: the one before its current) of o->profile; if any
 * lacks it or cannot be reached, switch nothing (rep->refused). Else switch and activate
 * every node (o->activate as for deploy); when one fails, stop starting others and put every
 * node already touched back on the generation it was on. Sessions stay open from check to
 * revert. Records chimera.rollback.triggered, node.rollback.complete per node and
 * chimera.rollback.complete.
 */
struct rollback_opts {
	const char *profile;
	uint32_t gen;
	const uint32_t *gens;	/* per target, in target order, instead of GEN (a pipeline's "where each was"); may be NULL */
	const char *activate;
	enum goal goal;			/* GOAL_SWITCH (0) unless given */
	const char *id;		/* the deployment id to record under (a pipeline's); NULL: a new one */
	const char *reason;	/* why, for chimera.rollback.triggered; NULL: "requested" */
};

int rollback_run(const struct fleet *f, const struct target_list *targets, const struct rollback_opts *o,
		 struct rollback_report *rep);

void rollback_report_release(struct rollback_report *rep);

/*
 * REP as `chimera rollback --json` prints it, RESULT its one-word outcome. The caller frees
 * the text; NULL when out of memory.
 */
char *rollback_report_json(const struct rollback_report *rep, const char *result);

/*
 * The document rollback_report_json wrote (a server job's report) back into REP (released
 * with rollback_report_release) and *RESULT, so that it prints as the local command prints
 * it. REP and *RESULT borrow strings from DOC (the result, the failed steps): keep DOC until
 * REP is released. Nodes' targets and to_path are left cleared. Returns 0, ERR_INVALID
 * naming the bad field, or ERR_NOMEM.
 */
struct json_t;
int rollback_report_from_json(const struct json_t *doc, struct rollback_report *rep, const char **result);

#endif
