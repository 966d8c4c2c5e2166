/* Use cases that read the fleet: congruence status and generation lists. */
#ifndef CHIMERA_APP_INSPECT_H
#define CHIMERA_APP_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "app/fleet/fleet.h"
#include "remote/deadman.h"

enum congruence {
	NODE_CONGRUENT,
	NODE_DRIFTED,
	NODE_UNREACHABLE,	/* could not connect */
	NODE_UNKNOWN,		/* connected, but the probe failed; or nothing cached */
};

const char *congruence_name(enum congruence c);

struct status_node {
	size_t index;
	struct target target;
	char name[TARGET_FORMAT_MAX];
	enum congruence state;
	char actual[STOREPATH_MAX];	/* "" when the profile does not exist */
	uint32_t generation;
	char reason[512];		/* why unreachable or unknown; drifted on the path: its files are missing on disk */
	char last_deployed[STOREPATH_MAX];	/* --cached: what chimera last put there, "" if nothing */
	int64_t ms;
	int64_t seen_ms;		/* --cached: when it was observed (wall clock), 0 never */
	/* A dead-man switch found fired (and recorded) at this contact: who armed it, where it went. */
	char deadman_by[REMOTE_DEADMAN_OP_MAX + 1];	/* "" when none had fired */
	uint32_t deadman_gen;
	char deadman_result[REMOTE_DEADMAN_RESULT_MAX];
};

struct status_report {
	char expected[STOREPATH_MAX];	/* "" when none was given (cached only) */
	struct status_node *nodes;	/* in target order; owned */
	size_t n;
	size_t congruent;
	size_t unreachable;		/* not connected to (never from the ledger alone) */
	int64_t ms;
	int ledger_err;
	char ledger_msg[256];
};

/* Called as each node finishes (from worker threads, serialised). */
typedef void (*status_done_fn)(const struct status_node *n, size_t done, size_t total, void *arg);

/*
 * Read PROFILE on every target and compare it with EXPECTED. Records one node.observed
 * event per node and a status.complete event, in one batch at the end. Returns an error
 * only when nothing could be tried.
 */
int status_run(const struct fleet *f, const struct target_list *targets, const char *profile, const char *expected,
	       status_done_fn done, void *arg, struct status_report *rep);

/*
 * Answer from the ledger alone: each node's last known profile target (from deploys,
 * rollbacks and status observations). EXPECTED may be "" (then a node is congruent when
 * its last known path is what its last deploy put there).
 */
int status_cached(struct ledger *l, const struct target_list *targets, const char *expected, struct status_report *rep);

void status_report_release(struct status_report *rep);

struct gens_node {
	size_t index;
	struct target target;
	char name[TARGET_FORMAT_MAX];
	struct gen_list gens;
	int ok;
	struct fleet_failure fail;
};

struct gens_report {
	struct gens_node *nodes;
	size_t n;
	size_t ok;
	int64_t ms;
};

/* List PROFILE's generations on every target. */
int generations_run(const struct fleet *f, const struct target_list *targets, const char *profile,
		    struct gens_report *rep);

void gens_report_release(struct gens_report *rep);

/*
 * REP as `chimera status --json` prints it (CACHED: answered from the ledger, with seen and
 * last_deployed). The caller frees the text; NULL when out of memory.
 */
char *status_report_json(const struct status_report *rep, int cached);

/*
 * The document status_report_json wrote (a server's GET /status) back into REP (released
 * with status_report_release) and *CACHED, so that it prints as the local command prints
 * it. Each node's target is left cleared (its name is set). Returns 0, ERR_INVALID naming
 * the bad field, or ERR_NOMEM.
 */
struct json_t;
int status_report_from_json(const struct json_t *doc, struct status_report *rep, int *cached);

/* REP as `chimera generations --json` prints it. The caller frees the text; NULL when out of memory. */
char *gens_report_json(const struct gens_report *rep);

#endif
