/* Use case: list, inspect and control systemd services on many nodes, each outcome in the ledger. */
#ifndef CHIMERA_APP_SERVICES_H
#define CHIMERA_APP_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/fleet/fleet.h"
#include "remote/services.h"
#include "core/target.h"
#include "formats/systemd_show.h"
#include "util/buf.h"

struct services_node {
	struct target target;
	char name[TARGET_FORMAT_MAX];
	const char *manager;	/* "systemd", "none", or NULL when it was never asked */
	const char *step;	/* where it failed: "connect", "detect", the action, "show"; NULL when ok */
	int err;		/* 0, or the ERR_* of that step (ERR_UNSUPPORTED: no service manager) */
	char message[512];	/* the error message when err != 0 */
	int action_exit;	/* systemctl ACTION's exit status; -1 when it did not run */
	struct sd_unit_list units;	/* the states read after the action (sorted by id for list) */
	int64_t ms;
	int64_t seq;		/* the node.services event */
};

/* True when the node has systemd and every step went well. */
bool services_node_ok(const struct services_node *n);

/* True when the node has no service manager (systemd is not running there). */
bool services_node_no_manager(const struct services_node *n);

struct services_progress {
	void (*node_done)(const struct services_node *n, size_t done, size_t total, void *arg);
	void *arg;
};

/* The ports: executors, ledger, parallelism and step timeout from FLEET. */
struct services_ctx {
	struct fleet fleet;
	struct services_progress progress;	/* may be all NULL */
};

struct services_report {
	char run_id[32];	/* groups this run's events (their deployment column) */
	enum services_action action;
	char unit[SD_NAME_MAX + 1];	/* "" for list */
	struct services_node *nodes;	/* in target order; owned */
	size_t n;
	size_t ok;
	size_t failed;		/* includes no_manager */
	size_t no_manager;
	int64_t ms;
	int ledger_err;		/* 0, or the first error writing the ledger */
	char ledger_msg[256];
};

/*
 * Run action A (on UNIT, a name checked by services_unit_name; NULL for list) on every
 * target, at most ctx->fleet.parallel at once, one session per node: detect the service
 * manager, run the action, read the unit states. A node without systemd fails with "no
 * service manager on NODE (systemd is not running)"; nothing is ever run or reported
 * there in its place. status of a unit that does not exist fails with ERR_NOTFOUND.
 * Appends services.action, a node.services per node and services.complete. REP is
 * filled (release it with services_report_release) even when nodes fail; returns an
 * error only when nothing could be started.
 */
int services_run(const struct services_ctx *ctx, const struct target_list *targets, enum services_action a,
		 const char *unit, struct services_report *rep);

void services_report_release(struct services_report *rep);

/* REP as `chimera services --json` prints it. The caller frees the text; NULL when out of memory. */
char *services_report_json(const struct services_report *rep);

#endif
