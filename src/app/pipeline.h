/*
 * Use case: the pipeline. Simulate a project's deploy configuration, heal what can be
 * healed, certify it, deploy only what is certified, verify, and roll back on failure, as
 * a state machine whose every step is in the ledger.
 */
#ifndef CHIMERA_APP_PIPELINE_H
#define CHIMERA_APP_PIPELINE_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/certify.h"
#include "app/deploy.h"
#include "platform/heal.h"
#include "app/hook.h"
#include "app/rollback.h"
#include "platform/sim.h"
#include "core/healthspec.h"
#include "core/ids.h"
#include "ports/ledger.h"

enum pl_state {
	PL_IDLE,
	PL_SIMULATING,
	PL_HEALING,
	PL_CERTIFYING,
	PL_DEPLOYING,
	PL_VERIFYING,
	PL_SUCCESS,
	PL_REJECTED,	/* stopped before anything was changed, or changed and not put back */
	PL_ROLLBACK,	/* deployed, failed, and put back (or tried to: see rollback_failed) */
	PL_STATES,
};

/* "IDLE", "SIMULATING", ... */
const char *pl_state_name(enum pl_state s);

/* What a state's work came to: the input of the transition function. */
enum pl_outcome {
	PL_OK,
	PL_FIXABLE,	/* SIMULATING: did not pass, and heal has a fix for something that blocks it */
	PL_FAILED,	/* nothing was changed */
	PL_CHANGED,	/* DEPLOYING: failed after changing something (some nodes were switched) */
};

struct pl_flags {
	bool no_heal;
	bool dry_run;
	bool can_rollback;	/* a rollback exists for what DEPLOYING changed (nix, or a rollback hook) */
};

/*
 * The transition function: where state CUR goes on OUTCOME. Final states stay where they
 * are. SIMULATING goes to HEALING only on PL_FIXABLE without no_heal; DEPLOYING goes to
 * VERIFYING unless dry_run; a failed VERIFYING, or a DEPLOYING that changed something
 * and failed, goes to ROLLBACK when can_rollback, else REJECTED.
 */
enum pl_state pl_next(enum pl_state cur, enum pl_outcome outcome, const struct pl_flags *f);

struct pipeline;

/*
 * What a platform brings: the work of each state. Each returns a pl_outcome (>= 0), with
 * p->reason set when it is not PL_OK, and may put its report in p->stage (a new reference,
 * recorded with the state's completion event and kept in the result). A negative return
 * is an error, taken as PL_FAILED with err_msg() as the reason (so a verify that cannot
 * run still leads to ROLLBACK where there is one). heal is
 * only called after simulate said PL_FIXABLE; rollback's outcome PL_OK means every change
 * was put back.
 */
struct pipeline_ops {
	const char *platform;
	int (*simulate)(struct pipeline *p);
	int (*heal)(struct pipeline *p);
	int (*certify)(struct pipeline *p);
	int (*deploy)(struct pipeline *p);
	int (*verify)(struct pipeline *p);
	int (*rollback)(struct pipeline *p);
};

struct pipeline {
	/* Set by the caller. */
	const struct pipeline_ops *ops;
	struct pl_flags flags;
	struct ledger *ledger;		/* may be NULL: nothing recorded (unit tests) */
	const char *dir;		/* the project directory, for the events */
	void (*on_state)(const struct pipeline *p, void *arg);	/* entered p->state; may be NULL */
	void *arg;
	void *platform;			/* the platform's own data, for ops */
	json_t *initiated;		/* more fields for deploy.initiated (nodes, source ...); taken; may be NULL */

	/* Filled as it runs. */
	char id[DEPLOYMENT_ID_LEN + 1];	/* the deployment id every event goes under */
	enum pl_state state;
	enum pl_state path[PL_STATES];	/* the states passed through, IDLE first, the final one last */
	size_t npath;
	int64_t state_ms[PL_STATES];	/* time spent in each (-1: not entered) */
	int64_t ms;
	char reason[1024];		/* why it is not SUCCESS, or why a state is not PL_OK */
	json_t *stage;			/* the report of the state just run (ops set it) */
	json_t *intent;			/* SIMULATING's PL_FIXABLE: what heal is to fix, for deploy.heal.intent */
	json_t *stages;			/* {"simulation": ..., "healing": ..., "certification": ..., "deploy": ...,
					    "verify": ..., "rollback": ...}: each state's report */
	bool rollback_failed;		/* ROLLBACK: something could not be put back */
	int ledger_err;
	char ledger_msg[256];
};

/*
 * Run P from IDLE to a final state, calling P's ops and recording: deploy.initiated;
 * chimera.simulate.start and chimera.simulate.complete; deploy.heal.intent and
 * deploy.heal.complete; deploy.certified (or deploy.certify.refused); the platform's own
 * chimera.deploy.* and chimera.rollback.triggered; pipeline.state at every transition and
 * pipeline.complete at the end. Returns 0 once a final state is reached (the state says
 * how it went), or ERR_NOMEM.
 */
int pipeline_run(struct pipeline *p);

/* Record an event under the pipeline's id; takes PAYLOAD. Ledger failures are kept in p->ledger_err. */
void pipeline_record(struct pipeline *p, const char *topic, const char *node, json_t *payload);

void pipeline_release(struct pipeline *p);

/* The pipeline as JSON: id, state, states, reason, ms, and each state's report. A new reference. */
json_t *pipeline_json(const struct pipeline *p);

/* ---- The platforms ---- */

/* What the platform stages need, set by the command. */
struct pl_config {
	const char *platform;		/* "netlify", "render" or "nix" */
	const char *dir;
	const char *state_dir;
	const char *cert_file;		/* where the certificate is written */
	bool dry_run;
	/* netlify, render */
	const char *hook_url;
	const char *rollback_hook_url;	/* NULL: none */
	struct hook_opts hook;
	long verify_wait_ms;		/* pause before the first check: the platform builds first */
	struct executor *local;		/* runs cmd: checks on the controller; NULL: they fail */
	/* nix */
	const struct deploy_ctx *deploy;
	const struct target_list *targets;
	struct deploy_opts deploy_opts;	/* source, profile, activate, confirm_s, tmp_dir; id is set here */
	const char *nix_name;		/* the Nix file as the report names it, relative to DIR */
	/* every platform */
	const struct health_spec *checks;
	size_t nchecks;
};

/* The platforms' state, behind pipeline.platform. */
struct pl_platform {
	const struct pl_config *cfg;
	struct sim_report sim;		/* the last simulation (after healing, when it ran) */
	struct heal_result heal;
	bool healed;			/* heal ran */
	json_t *cert;			/* the certificate made */
	char artifact[STOREPATH_MAX];	/* nix: the store path built */
	struct deploy_report dep;	/* nix */
	bool deployed;			/* nix: deploy_run filled dep */
	struct hook_result hook, rollback_hook;
};

/* The ops for CFG->platform, or NULL for an unknown one. */
const struct pipeline_ops *pl_platform_ops(const char *platform);

void pl_platform_init(struct pl_platform *pp, const struct pl_config *cfg);
void pl_platform_release(struct pl_platform *pp);

#endif
