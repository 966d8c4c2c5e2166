/* The pipeline's state machine: its states, what a state's work came to, and where that leads. */
#ifndef CHIMERA_CORE_PIPELINE_STATE_H
#define CHIMERA_CORE_PIPELINE_STATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * IDLE -> SIMULATING
 * SIMULATING -> CERTIFYING | HEALING | REJECTED
 * HEALING -> CERTIFYING | REJECTED
 * CERTIFYING -> DEPLOYING | REJECTED
 * DEPLOYING -> VERIFYING | SUCCESS (dry run) | ROLLBACK | REJECTED
 * VERIFYING -> SUCCESS | ROLLBACK | REJECTED
 * SUCCESS, REJECTED and ROLLBACK are final (ROLLBACK's own work runs on entering it).
 */
enum pipeline_state {
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

/* What a state's work came to: the input of the transition function. */
enum pipeline_outcome {
	PL_OK,
	PL_FIXABLE,	/* SIMULATING: did not pass, and heal has a fix for something that blocks it */
	PL_FAILED,	/* nothing was changed */
	PL_CHANGED,	/* DEPLOYING: failed after changing something (some nodes were switched) */
	PL_OUTCOMES,
};

/* What the run was asked for, which the transitions depend on. */
struct pipeline_flags {
	bool no_heal;
	bool dry_run;
	bool can_rollback;	/* a rollback exists for what DEPLOYING changed (nix, or a rollback hook) */
};

/*
 * The transition function: where state CUR goes on OUTCOME under flags F. Final states
 * (and values outside the enum) stay where they are. SIMULATING goes to HEALING only on
 * PL_FIXABLE without no_heal; DEPLOYING goes to VERIFYING unless dry_run; a failed
 * VERIFYING, or a DEPLOYING that changed something and failed, goes to ROLLBACK when
 * can_rollback, else REJECTED.
 */
enum pipeline_state pipeline_state_next(enum pipeline_state cur, enum pipeline_outcome outcome,
					const struct pipeline_flags *f);

/* True when some outcome under some flags moves FROM to TO (FROM != TO). False outside the enum. */
bool pipeline_state_can(enum pipeline_state from, enum pipeline_state to);

/*
 * Move *S to TO when pipeline_state_can allows it. Returns 0, or ERR_INVALID with the
 * message "illegal transition 'FROM' -> 'TO'" and *S unchanged.
 */
int pipeline_state_transition(enum pipeline_state *s, enum pipeline_state to);

/* True for SUCCESS, REJECTED and ROLLBACK, which the transition function never leaves. */
bool pipeline_state_is_final(enum pipeline_state s);

/* Upper-case name of S ("IDLE"), static; "UNKNOWN" for values outside the enum. */
const char *pipeline_state_name(enum pipeline_state s);

/*
 * Parse LEN bytes of S as an exact, case-sensitive state name into *OUT (set to PL_IDLE
 * first). Returns 0, or ERR_INVALID with a message quoting S.
 */
int pipeline_state_parse(enum pipeline_state *out, const char *s, size_t len);

/* "ok", "fixable", "failed", "failed after changes"; "error" for anything else (a negative code). */
const char *pipeline_outcome_name(int outcome);

#endif
