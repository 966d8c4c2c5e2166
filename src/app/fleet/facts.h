/* Use case: gather facts about nodes in one command each, keep them in the ledger, read them back. */
#ifndef CHIMERA_APP_FACTS_H
#define CHIMERA_APP_FACTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/fleet/fleet.h"
#include "remote/facts.h"
#include "core/facts.h"
#include "core/target.h"
#include "util/buf.h"
#include "util/clock.h"

#define FACTS_TOPIC "node.facts"
#define FACTS_FAILED_TOPIC "node.facts.failed"	/* a node that could not be gathered: step, error */

/* One node to report on. */
struct facts_request {
	struct target target;
	const char *machine;	/* its inventory name, or NULL; borrowed */
	const char *profile;	/* the profile to look at; borrowed */
};

/*
 * One request per target (*OUT, free it): its machine's name in INV (may be NULL) and its
 * profile by the one precedence (F's node settings: a flag or CHIMERA_PROFILE, then the
 * machine's own, then [defaults]; PROFILE when nothing says more). Returns 0 or ERR_NOMEM.
 */
struct inventory;
int facts_requests(const struct fleet *f, const struct inventory *inv, const struct target_list *targets,
		   const char *profile, struct facts_request **out);

struct facts_node {
	struct target target;
	char name[TARGET_FORMAT_MAX];	/* fleet_node_name: the ledger's node column */
	const char *machine;	/* borrowed from the request */
	bool from_ledger;	/* shown from stored facts, not gathered now */
	struct fleet_failure fail;	/* fail.step is NULL when the node answered */
	json_t *facts;		/* the node.facts payload; owned; NULL when it failed */
	int64_t seq;		/* its node.facts event */
	char time[CLOCK_UTC_LEN];	/* that event's time: when they were gathered */
	int64_t ms;		/* connecting and gathering; 0 from the ledger */
};

struct facts_progress {
	void (*node_done)(const struct facts_node *n, size_t done, size_t total, void *arg);
	void *arg;
};

struct facts_ctx {
	const struct fleet *fleet;	/* executors, ledger, parallel, step timeout */
	bool refresh;		/* gather every node, even those with stored facts */
	struct facts_progress progress;	/* may be all NULL */
};

struct facts_report {
	struct facts_node *nodes;	/* in request order; owned */
	size_t n;
	size_t gathered;	/* answered now */
	size_t stored;		/* shown from the ledger */
	size_t failed;
	int64_t ms;
	int ledger_err;		/* 0, or the first error writing the ledger */
	char ledger_msg[256];
};

/*
 * For each of the N requests: its stored facts when it has some and CTX->refresh is off,
 * else gather them (one command over one session, at most fleet->parallel nodes at once)
 * and append a node.facts event. A node failing never stops the others. REP is filled
 * (release with facts_report_release) even when nodes fail; returns an error only when
 * the ledger cannot be read or nothing could be started.
 */
int facts_run(const struct facts_ctx *ctx, const struct facts_request *req, size_t n, struct facts_report *rep);

void facts_report_release(struct facts_report *rep);

/*
 * The newest node.facts event of NODE: returns 1 with *FACTS (a new reference to its
 * payload), *SEQ and TIME filled, 0 when there is none (*FACTS NULL), or an error.
 */
int facts_stored(struct ledger *l, const char *node, json_t **facts, int64_t *seq, char time[CLOCK_UTC_LEN]);

/*
 * The newest node.facts.failed event of NODE, as facts_stored: *FAILURE is its payload
 * ({"step", "error"}). Newer than the stored facts (a greater seq), it says they are stale.
 */
int facts_failure(struct ledger *l, const char *node, json_t **failure, int64_t *seq, char time[CLOCK_UTC_LEN]);

/* Called by facts_stored_all for each node with stored facts; PAYLOAD is borrowed. A nonzero return stops. */
typedef int (*facts_stored_fn)(const char *node, const json_t *payload, int64_t seq, const char *time, void *arg);

/* Visit the newest node.facts event of every node, in seq order. */
int facts_stored_all(struct ledger *l, facts_stored_fn fn, void *arg);

/*
 * Every node with stored facts, as a target list (comma-separated) appended to SPEC: what
 * `chimera facts` asks without -t and without an inventory. Returns 0, ERR_INVALID when no
 * node has any (the message says to give -t), ERR_NOMEM, or the ledger's error.
 */
int facts_stored_targets(struct ledger *l, struct buf *spec);


/*
 * F as the JSON facts document (version 1; see docs/facts.md), with "machine" when MACHINE
 * is not NULL. Returns a new reference, or NULL when out of memory.
 */
json_t *facts_json(const struct facts *f, const char *machine);

/*
 * Append a human-readable block of FACTS (a facts document) to OUT: one "INDENT label
 * value" line per fact. Missing members are shown as "-". Returns 0 or ERR_NOMEM.
 */
int facts_describe(const json_t *facts, const char *indent, struct buf *out);

/* Seconds from TIME ("YYYY-MM-DDTHH:MM:SS.mmmZ") to NOW_MS, or -1 when TIME does not parse. */
int64_t facts_age_s(const char *time, int64_t now_ms);

/* "45s", "12m", "3h 5m", "2d 4h" into OUT. */
void facts_duration(int64_t s, char *out, size_t len);

/* REP as `chimera facts --json` prints it. The caller frees the text; NULL when out of memory. */
char *facts_report_json(const struct facts_report *rep);

#endif
