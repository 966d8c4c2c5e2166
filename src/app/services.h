/* Use case: list, inspect and control systemd services on many nodes, each outcome in the ledger. */
#ifndef CHIMERA_APP_SERVICES_H
#define CHIMERA_APP_SERVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/fleet.h"
#include "core/target.h"
#include "formats/systemd_show.h"
#include "util/buf.h"

enum services_action {
	SERVICES_LIST,
	SERVICES_STATUS,
	SERVICES_START,
	SERVICES_STOP,
	SERVICES_RESTART,
	SERVICES_ENABLE,
	SERVICES_DISABLE,
};

/* "list", "status", "start", ... Never NULL. */
const char *services_action_name(enum services_action a);

/* Parse a subcommand name into *OUT. Returns 0, or ERR_INVALID quoting S and naming the choices. */
int services_action_parse(const char *s, enum services_action *out);

/* True when action A works on one named unit (all but list). */
bool services_action_takes_unit(enum services_action a);

/* True for the actions that change something (start, stop, restart, enable, disable). */
bool services_action_changes(enum services_action a);

/*
 * Check NAME as a unit name ([A-Za-z0-9:_.@-], at most SD_NAME_MAX bytes, not starting
 * with '-' or '.') and write it to OUT (LEN bytes) with ".service" appended unless it ends
 * in a unit type (.service, .socket, .timer, .target ...), as systemctl itself does.
 * Returns 0, or ERR_INVALID quoting NAME and the expected form.
 */
int services_unit_name(const char *name, char *out, size_t len);

/*
 * The shell commands run on a node; each appends to CMD and returns 0 or a buf error.
 * detect prints "systemd" when /run/systemd/system is a directory (sd_booted()'s test),
 * else "none", with shell builtins only. action runs `systemctl ACTION -- UNIT`. show runs
 * `systemctl show` of UNIT, or of every loaded service ('*.service') when UNIT is NULL,
 * for SYSTEMD_SHOW_PROPERTIES, with TZ=UTC0 and LC_ALL=C so timestamps parse.
 */
int services_remote_detect(struct buf *cmd);
int services_remote_action(struct buf *cmd, enum services_action a, const char *unit);
int services_remote_show(struct buf *cmd, const char *unit);

/* One node's outcome. */
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

#endif
