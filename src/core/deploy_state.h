/* The deployment state machine: which step a deployment is in and where it may go next. */
#ifndef CHIMERA_CORE_DEPLOY_STATE_H
#define CHIMERA_CORE_DEPLOY_STATE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * IDLE -> SIMULATING | FAILED
 * SIMULATING -> HEALING | CERTIFYING | REJECTED | FAILED
 * HEALING -> SIMULATING | REJECTED | FAILED
 * CERTIFYING -> DEPLOYING | REJECTED | FAILED
 * DEPLOYING -> VERIFYING | ROLLBACK | FAILED
 * VERIFYING -> SUCCESS | ROLLBACK | FAILED
 * ROLLBACK -> FAILED
 * SUCCESS, REJECTED and FAILED are terminal.
 */
enum deploy_state {
	DEPLOY_STATE_IDLE,
	DEPLOY_STATE_SIMULATING,
	DEPLOY_STATE_HEALING,
	DEPLOY_STATE_CERTIFYING,
	DEPLOY_STATE_DEPLOYING,
	DEPLOY_STATE_VERIFYING,
	DEPLOY_STATE_SUCCESS,
	DEPLOY_STATE_REJECTED,
	DEPLOY_STATE_ROLLBACK,
	DEPLOY_STATE_FAILED,
};

#define DEPLOY_STATE_COUNT 10

/* True when FROM may move to TO. False for values outside the enum. */
bool deploy_state_can(enum deploy_state from, enum deploy_state to);

/*
 * Move *S to TO when allowed. Returns 0, or ERR_INVALID with the message
 * "illegal transition 'FROM' -> 'TO'" and *S unchanged.
 */
int deploy_state_transition(enum deploy_state *s, enum deploy_state to);

/* True for SUCCESS, REJECTED and FAILED, which have no way out. */
bool deploy_state_is_terminal(enum deploy_state s);

/* Upper-case name of S ("IDLE"), static; "UNKNOWN" for values outside the enum. */
const char *deploy_state_name(enum deploy_state s);

/*
 * Parse LEN bytes of S as an exact, case-sensitive state name into *OUT (set to
 * DEPLOY_STATE_IDLE first). Returns 0, or ERR_INVALID with a message quoting S.
 */
int deploy_state_parse(enum deploy_state *out, const char *s, size_t len);

#endif
