/* Dead-man switches left on a node by earlier operations: settled before acting on it, noticed at every contact. */
#ifndef CHIMERA_APP_FLEET_DEADMAN_H
#define CHIMERA_APP_FLEET_DEADMAN_H

#include <stddef.h>
#include <stdint.h>

#include "app/fleet/fleet.h"
#include "remote/deadman.h"

/* What was found on one node and done about it. */
struct deadman_report {
	size_t confirmed;	/* armed, protecting what the node is on and the new operation wants: kept */
	size_t disarmed;	/* armed otherwise: stopped for good */
	size_t fired;		/* had fired: recorded as the node's own rollback */
	size_t cleared;		/* claimed, not running, no result (its claimer died): removed */
	/* The last switch found fired: the operation that armed it, where it went, how it ended. */
	char fired_by[REMOTE_DEADMAN_OP_MAX + 1];
	uint32_t fired_gen;
	char fired_result[REMOTE_DEADMAN_RESULT_MAX];
};

/*
 * Before operation OP changes node NODE over its open session S (of EX): list its switches
 * (one command) and settle each. An armed one is confirmed when the node's profile is on
 * the path it protects and WANT (the path OP deploys; NULL when it deploys none, a rollback
 * say) is that path, else disarmed; either way it is claimed so it never fires and its
 * directory removed. A switch that fires meanwhile is waited for. A fired one is recorded
 * (node.rollback.complete by the node, under the operation that armed it) and removed.
 * Every switch gets a node.deadman.settled event under OP (armed_by names the other),
 * recorded before this returns. Returns 0 (REP filled, may be NULL), or an error with
 * FAIL filled (step "deadman"): the caller should then leave the node alone.
 */
int deadman_settle(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *node,
		   const char *op, const char *want, struct deadman_report *rep, struct fleet_failure *fail);

/*
 * At a contact that changes nothing (BY: "status", "watch", "facts"): record each switch
 * of NODE that has fired as its own rollback under the operation that armed it, once (the
 * directory is removed after), and leave armed ones alone. Returns 0 (REP filled, may be
 * NULL) or an error.
 */
int deadman_notice(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *node,
		   const char *by, struct deadman_report *rep);

/* True when OUT (a probe's output) has a remote_deadman_fired line. */
int deadman_fired_seen(const struct buf *out);

#endif
