/*
 * Who may touch a node: every operation that changes nodes opens a fleet_op, and wraps what
 * it does to each node in fleet_node_begin / fleet_node_end. Begin takes the node's lease
 * (waiting up to the fleet's lock_wait_s), end gives it back; a heartbeat thread renews the
 * operation's leases while it runs. See docs/internals/leases.md.
 */
#ifndef CHIMERA_APP_FLEET_LEASE_H
#define CHIMERA_APP_FLEET_LEASE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "app/fleet/fleet.h"
#include "core/ids.h"
#include "core/lease.h"
#include "ports/lease.h"

struct fleet_op {
	const struct fleet *fleet;
	struct ledger *ledger;
	bool on;			/* the ledger keeps leases: they are taken; else begin and end do nothing */
	bool own_settle;		/* the operation's own node command settles dead-man switches and leaves
					 * the witness (the deploy's: app/fleet/deploy_conv.c); set after begin */
	struct lease_holder me;		/* this operation: its id, kind, and this process */
	long wait_ms;			/* how long a held node is waited for */
	pthread_mutex_t lock;		/* one acquire (with any take-over it makes) at a time */
	pthread_mutex_t hb_lock;	/* the heartbeat's own, so a long take-over never delays it */
	pthread_cond_t cond;
	pthread_t heartbeat;
	bool beating, stopping;
	size_t held;			/* nodes reported held */
	size_t taken_over;		/* leases taken from dead holders */
	int ledger_err;			/* the first error recording a take-over */
	char ledger_msg[256];
};

/*
 * Open OP, an operation of KIND ("deploy", "rollback", "watch", "secrets", "run",
 * "sessions", "services") with the id ID (a deployment id: core/ids.h), on F's ledger,
 * waiting F->lock_wait_s for held nodes. Starts the heartbeat (LEASE_HEARTBEAT_MS, expiry
 * LEASE_TTL_MS) when the ledger keeps leases. Returns 0, or an error: ERR_CORRUPT when the
 * ledger fails its head check (ledger_writable), so that no operation changes a node it
 * could not record. Close with fleet_op_end (harmless after a failed begin).
 */
int fleet_op_begin(struct fleet_op *op, const struct fleet *f, const char *kind, const char *id);

/* Stop the heartbeat and release every lease OP still holds. */
void fleet_op_end(struct fleet_op *op);

/* A new operation id into BUF (DEPLOYMENT_ID_LEN + 1 bytes): what deploys and rollbacks use. */
int fleet_op_new_id(char *buf, size_t len);

/*
 * Begin acting on node NODE (target T) to put it on PATH (the store path the operation
 * wants there; NULL when it wants none in particular: rollback, secrets, sessions,
 * services), connected as EX/S (may be NULL when the caller has not connected): take its
 * lease, waiting up to the lock wait. When another live operation
 * keeps it, FAIL is filled (step "lease": "node N is held by deployment ID (pid P on HOST
 * since T)") and ERR_BUSY returned: do nothing to the node. A lease taken from a dead
 * holder is recorded (lease.takeover), and its operation as interrupted (deploy.interrupted)
 * with the state read from each of its unfinished nodes. Then fleet_node_after_lease.
 */
int fleet_node_begin(struct fleet_op *op, const struct target *t, const char *node, const char *path,
		     struct executor *ex, struct exec_session *s, struct fleet_failure *fail);

/* End acting on NODE: fleet_node_before_release, then the lease is released. */
void fleet_node_end(struct fleet_op *op, const struct target *t, const char *node, struct executor *ex,
		    struct exec_session *s);

/*
 * The seams (lease.c), called only with the lease held: right after it is taken, the node's
 * dead-man switches are settled (deadman_settle, with PATH; an error fills FAIL, the lease
 * is given back and the node left alone); right before it is released, the node is given
 * the ledger's signed head (witness_write). Both need the open session: without one (EX or
 * S NULL) they do nothing; nor for an operation whose own node command does both
 * (OP->own_settle).
 */
int fleet_node_after_lease(struct fleet_op *op, const struct target *t, const char *node, const char *path,
			   struct executor *ex, struct exec_session *s, struct fleet_failure *fail);
void fleet_node_before_release(struct fleet_op *op, const struct target *t, const char *node, struct executor *ex,
			       struct exec_session *s);

/*
 * The operation DEAD (its holder H gone) was interrupted: read each of its unfinished nodes
 * (a deploy's: those with no outcome in the ledger; else TAKEN and the MOVED ones, one a
 * line) and record deploy.interrupted (lease_sweep.c).
 */
int fleet_op_record_interrupted(struct fleet_op *op, const struct lease_holder *h, const char *taken,
				const char *moved);

#endif
