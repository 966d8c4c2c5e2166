/* Use case: build once, then put every node on the result in parallel, with a per-node account. */
#ifndef CHIMERA_APP_DEPLOY_H
#define CHIMERA_APP_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/fleet/fleet.h"
#include "core/ids.h"
#include "core/healthspec.h"
#include "ports/nix.h"

struct closure_diff;

enum deploy_step {
	STEP_CONNECT,
	STEP_CHECK,	/* what the node has: its profile and which closure paths it lacks */
	STEP_COPY,
	STEP_SWITCH,
	STEP_ACTIVATE,
	STEP_CONFIRM,
	STEP_HEALTH,	/* the --check health checks, when there are any */
	STEP_COUNT,
};

const char *deploy_step_name(enum deploy_step s);

enum deploy_outcome {
	OUTCOME_PENDING,
	OUTCOME_DEPLOYED,
	OUTCOME_PLANNED,	/* --dry-run: checked, nothing changed */
	OUTCOME_FAILED,
};

struct deploy_node {
	size_t index;			/* position in the report */
	struct target target;
	char name[TARGET_FORMAT_MAX];
	/* Its settings: its own (fleet node_settings, deploy_node_opts), else deploy_opts'; borrowed. */
	const char *profile;
	const char *activate;
	enum goal goal;			/* set by deploy_run, with the above */
	const struct health_spec *checks;
	size_t nchecks;
	const char *path;		/* what it is deployed to, for the hooks (borrowed) */
	const char *deployment;		/* the deployment's id, for the hooks (borrowed) */
	enum deploy_outcome outcome;
	struct fleet_failure fail;
	int64_t step_ms[STEP_COUNT];	/* -1 for a step not run */
	int64_t ms;
	size_t copy_paths;		/* paths sent (or, dry run, that would be) */
	uint64_t copy_bytes;		/* bytes sent (dry run: NAR bytes that would be) */
	char previous[STOREPATH_MAX];	/* what the profile pointed at before, "" if nothing */
	uint32_t previous_gen;
	char activation[32];		/* what activation ran */
	char shown[4096];		/* goal dry-activate: what the activation printed (stdout, then stderr's end) */
	int restored;			/* after a failed activation: 1 back on the previous generation, -1 tried and failed */
	int rolled_back_by_node;	/* not confirmed over a new connection: the node's dead-man switch put it back */
	int repair;			/* check its closure's files first and restore what changed (app/fleet/repair.h) */
	char restore_error[512];	/* why putting it back failed */
	struct closure_diff *diff;	/* --dry-run --diff: what its closure would become (app/fleet/deploy_diff.c); owned */
	/* Live state for progress displays: written by the node's thread, read by any (atomics, no lock). */
	_Atomic enum deploy_step step;
	_Atomic uint64_t sent;
};

struct deploy_progress {
	void (*step)(const struct deploy_node *n, void *arg);		/* a node entered n->step */
	void (*sent)(const struct deploy_node *n, void *arg);		/* n->sent moved */
	void (*done)(const struct deploy_node *n, size_t done, size_t total, void *arg);
	void *arg;
};

/* One node's own checks (its profile and activation come through the fleet's node_settings). */
struct deploy_node_opts {
	const struct health_spec *checks;	/* with nchecks; NULL: deploy_opts' checks */
	size_t nchecks;
};

struct deploy_opts {
	const struct nix_source *source;	/* what to build; NULL when EXPECT is given */
	const char *expect;			/* a store path already built; NULL to build */
	const char *profile;
	const char *activate;			/* "auto", "none" or a command */
	enum goal goal;				/* what the activation does (core/goal.h); GOAL_SWITCH is 0 */
	/*
	 * PROFILE and ACTIVATE are the operation's own (chimera run's session profile, no
	 * activation): a machine's profile and activation (the fleet's node_settings) never
	 * replace them.
	 */
	bool own_settings;
	int dry_run;
	bool diff;				/* with dry_run: each node's closure against the one it would get */
	int repair;				/* --repair: on each node, restore closure paths whose files changed first */
	long confirm_s;				/* magic rollback: seconds the node waits for confirmation; 0: off */
	const struct health_spec *checks;	/* run on each node after activation */
	size_t nchecks;
	int keep_on_failure;			/* a failed check leaves the node on the new path */
	const char *tmp_dir;			/* where closure exports are spooled */
	/* Per-target settings, in target order (deploy_run only); NULL: every node takes the above. */
	const struct deploy_node_opts *nodes;
	/*
	 * Called on a node's session after connect and before its steps, so before activation
	 * (not in a dry run): the secrets push. Returns 0, or an error with N->fail filled
	 * (its step named); the node then fails there, unchanged. May be NULL.
	 */
	int (*before)(struct deploy_node *n, struct executor *ex, struct exec_session *s, void *arg);
	/*
	 * Called on the session of a node just deployed (activated, confirmed, checked): the
	 * session to start. An error (N->fail filled) fails the node at that step. May be NULL.
	 */
	int (*after)(struct deploy_node *n, struct executor *ex, struct exec_session *s, void *arg);
	void *hook_arg;
	/*
	 * A pipeline's deployment id: the events go under it, and deploy.initiated is left to
	 * the caller, who recorded it. NULL: a new id and deploy.initiated.
	 */
	const char *id;
	/* deploy --resume: the deployment this run finishes (deploy.initiated's "resumes"); NULL: none. */
	const char *resumes;
};

struct deploy_ctx {
	struct fleet fleet;
	struct nix *nix;
	struct deploy_progress progress;	/* may be all NULL */
};

struct deploy_report {
	char id[DEPLOYMENT_ID_LEN + 1];
	char path[STOREPATH_MAX];
	int64_t build_ms;
	size_t closure_paths;
	uint64_t closure_bytes;
	struct deploy_node *nodes;	/* in target order; owned */
	size_t n;
	size_t ok;
	size_t failed;
	int64_t ms;
	int ledger_err;
	char ledger_msg[256];
};

/*
 * Build (unless opts->expect), then per node in parallel: connect, check, copy the missing
 * paths, set the profile, activate, confirm. Records deploy.initiated,
 * chimera.deploy.start, node.copy.complete, node.activate.complete, node.deploy.complete
 * or node.failed, and chimera.deploy.complete. REP is filled (release with
 * deploy_report_release) whenever nodes were tried; returns an error only when the build
 * or the set-up failed, before any node.
 */
int deploy_run(const struct deploy_ctx *ctx, const struct target_list *targets, const struct deploy_opts *opts,
	       struct deploy_report *rep);

void deploy_report_release(struct deploy_report *rep);

/*
 * A built PATH made ready for deploying node by node on sessions the caller holds (watch's
 * heals): its closure, the export spool, OPTS copied (dry_run ignored). Events are recorded
 * with ID as their deployment.
 */
struct deploy_plan;
int deploy_plan_new(const struct deploy_ctx *ctx, const struct deploy_opts *opts, const char *path, const char *id,
		    struct deploy_plan **out);
/* The closure's paths, sorted. */
char *const *deploy_plan_paths(const struct deploy_plan *p, size_t *n);
/*
 * Deploy to N (target and name set by the caller, and its profile, activation and checks
 * where they differ from the plan's; the rest is reset) over S: the steps
 * after connect, and node.deploy.complete or node.failed. 0 when deployed.
 */
int deploy_plan_node(struct deploy_plan *p, struct deploy_node *n, struct executor *ex, struct exec_session *s);
void deploy_plan_free(struct deploy_plan *p);

/* How reports and events name SRC: {"flake": REF} or {"file": FILE, "attr": ATTR or null}. */
struct json_t *deploy_source_json(const struct nix_source *src);

#endif
