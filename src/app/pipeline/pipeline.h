/*
 * The pipeline's run: simulate a project's deploy configuration, heal what can be healed,
 * certify it, deploy only what is certified, verify, and roll back on failure, moving as
 * core/pipeline_state says, every step in the ledger. The use case is pipeline_project.h.
 *
 * The states' reports stay json_t: they are the payloads of the states' events too
 * (docs/internals/pipeline.md).
 */
#ifndef CHIMERA_APP_PIPELINE_PIPELINE_H
#define CHIMERA_APP_PIPELINE_PIPELINE_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ids.h"
#include "core/pipeline_state.h"
#include "ports/ledger.h"

struct pipeline;

/*
 * What a platform brings: the work of each state. Each returns a pipeline_outcome (>= 0), with
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
	struct pipeline_flags flags;
	struct ledger *ledger;		/* may be NULL: nothing recorded (unit tests) */
	const char *dir;		/* the project directory, for the events */
	void (*on_state)(const struct pipeline *p, void *arg);	/* entered p->state; may be NULL */
	void *arg;
	void *platform;			/* the platform's own data, for ops */
	json_t *initiated;		/* more fields for deploy.initiated (nodes, source ...); taken; may be NULL */

	/* Filled as it runs. */
	char id[DEPLOYMENT_ID_LEN + 1];	/* the deployment id every event goes under */
	enum pipeline_state state;
	enum pipeline_state path[PL_STATES];	/* the states passed through, IDLE first, the final one last */
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

/* Drop the reports P holds (stage, stages, intent, initiated); P may then be run again. */
void pipeline_release(struct pipeline *p);

/* The pipeline as JSON: id, state, states, reason, ms, and each state's report. A new reference. */
json_t *pipeline_json(const struct pipeline *p);

#endif
