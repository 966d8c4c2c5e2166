/*
 * Use case: `chimera deploy` as a whole: one configuration to every target, or each machine
 * its own configuration (grouped, each group built once); the secrets pushed before
 * activation and a session started after it; one report and its JSON.
 */
#ifndef CHIMERA_APP_FLEET_DEPLOY_FLEET_H
#define CHIMERA_APP_FLEET_DEPLOY_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include "app/config/inventory.h"
#include "app/fleet/deploy.h"

struct fleet_deploy_request {
	struct deploy_opts opts;	/* source (or expect), profile, activation, checks, ...; nodes and hooks
					   are the use case's */
	bool own_configs;		/* no source given: each machine of INV its own configuration */
	bool flag_checks;		/* --check was given: no machine's own checks */
	const struct inventory *inv;	/* the machines' settings (checks, configurations, secrets_owner) */
	const char *state_dir;		/* the secrets store lives here */
	const struct cipher *cipher;	/* what it is read with */
	const char *session;		/* -s SESSION: started on each node once deployed; NULL: none */
	const char *command;		/* its command */
};

/* One configuration's share of the nodes. */
struct fleet_deploy_group {
	struct nix_source src;
	struct target_list targets;
	size_t *slot;			/* each node's position in the whole selection */
	struct deploy_node_opts *nodes;	/* in the group's target order */
	struct deploy_report rep;
	int err;			/* deploy_run's error (the build or the set-up), 0 if none */
	char msg[8192];			/* its message (a failed build's quotes its log) */
};

struct fleet_deploy_report {
	bool grouped;				/* own configurations: GROUPS; else SINGLE */
	int dry_run;
	struct deploy_report single;
	struct fleet_deploy_group *groups;	/* owned */
	size_t ngroups;
	size_t total;				/* nodes */
	size_t ok;				/* deployed (or checked) */
	int ledger_err;				/* the first ledger error of any deployment */
	char ledger_msg[256];
};

/* Progress by the node's position in the whole selection (safe from any thread). */
struct fleet_deploy_progress {
	void (*step)(size_t slot, const struct deploy_node *n, void *arg);	/* n->step entered */
	void (*done)(size_t slot, const struct deploy_node *n, void *arg);	/* the node is finished */
	void *arg;
};

/*
 * Deploy REQ to TARGETS on CTX (its progress is replaced by PROG's; PROG may be NULL).
 * With own_configs, up to FLEET_DEPLOY_GROUPS_AT_ONCE groups run at a time, the fleet's
 * parallelism shared between them. REP (release it) is filled whenever nodes were tried.
 * Returns 0, ERR_INVALID when a machine has no configuration of its own (naming up to five),
 * or the error that stopped it before any node (the build of a single configuration, the
 * secrets store).
 */
#define FLEET_DEPLOY_GROUPS_AT_ONCE 4
int fleet_deploy_run(const struct deploy_ctx *ctx, const struct target_list *targets,
		     const struct fleet_deploy_request *req, const struct fleet_deploy_progress *prog,
		     struct fleet_deploy_report *rep);

void fleet_deploy_report_release(struct fleet_deploy_report *rep);

/* "deployed", "planned", "failed", "pending". */
const char *deploy_outcome_name(enum deploy_outcome o);

/*
 * The report as `chimera deploy --json` prints it (and the API serves it): one deployment's
 * document, or {"configurations": [...], "summary": {...}} for own configurations. Returns
 * the text (indented by 2; the caller frees it), or NULL when out of memory.
 */
char *fleet_deploy_report_json(const struct fleet_deploy_report *rep);

/*
 * The document fleet_deploy_report_json wrote (a server job's report) back into REP
 * (released with fleet_deploy_report_release), so that it prints as the local command
 * prints it. REP borrows strings from DOC (the failed steps, the configurations' sources):
 * keep DOC until REP is released. A node's target is left cleared (its name is set); a
 * configuration's nodes are parsed back into targets. Returns 0, ERR_INVALID naming the
 * bad field, or ERR_NOMEM.
 */
struct json_t;
int fleet_deploy_report_from_json(const struct json_t *doc, struct fleet_deploy_report *rep);

#endif
