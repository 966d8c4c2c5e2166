/*
 * Node leases, kept by the ledger's back end (struct ledger's LEASE ops): which operation
 * acts on a node now. See docs/internals/leases.md.
 */
#ifndef CHIMERA_PORTS_LEASE_H
#define CHIMERA_PORTS_LEASE_H

#include <stddef.h>
#include <stdint.h>

#include "ports/ledger.h"
#include "util/err.h"

#define LEASE_OP_MAX 64		/* an operation id (a deployment id is 26 characters) */
#define LEASE_KIND_MAX 16	/* deploy, rollback, watch, secrets, run, sessions, services */
#define LEASE_HOST_MAX 256	/* the controller's host name */
#define LEASE_NODE_MAX 320

/* Who holds a lease: the operation and the controller process acting for it. */
struct lease_holder {
	char op[LEASE_OP_MAX];
	char kind[LEASE_KIND_MAX];
	char host[LEASE_HOST_MAX];
	int64_t pid;
	int64_t pid_start;	/* the pid's start time (field 22 of /proc/PID/stat), so a reused pid is not taken for it */
	int64_t since_ms;	/* wall-clock ms when it took the lease */
	int64_t expires_ms;	/* wall-clock ms; a heartbeat moves it on */
};

enum lease_answer {
	LEASE_ACQUIRED,		/* the node was free (or already ours) and is ours now */
	LEASE_HELD,		/* a live holder has it: *HOLDER says who */
	LEASE_TAKEN_OVER,	/* a dead holder had it: *HOLDER says who; every lease of its operation is ours now */
};

/*
 * Is the holder H alive? Called inside acquire's transaction for a holder whose lease has
 * not expired. Returns 1 alive, 0 dead. The back end's default (NULL) is
 * lease_holder_alive_here (core/lease.h): same host and the pid gone or started at another time.
 */
typedef int (*lease_alive_fn)(const struct lease_holder *h, void *arg);

struct ledger;

struct ledger_lease_ops {
	/*
	 * Take NODE for ME (op, kind, host, pid, pid_start, since_ms and expires_ms filled),
	 * atomically across processes. *ANSWER: acquired (also when ME's op already holds it),
	 * held (*PREV the holder), or taken over (*PREV the dead holder; its operation's other
	 * leases move to ME's op in the same transaction, their nodes listed in *MOVED, one a
	 * line, malloc'd, NULL when none). A holder is dead when its expiry is before
	 * ME->since_ms, or ALIVE(holder) says 0. Returns 0 or an error.
	 */
	int (*acquire)(struct ledger *l, const char *node, const struct lease_holder *me, lease_alive_fn alive,
		       void *alive_arg, enum lease_answer *answer, struct lease_holder *prev, char **moved);
	/* The heartbeat: every lease of OP expires at EXPIRES_MS now; *N (may be NULL) how many there were. */
	int (*renew)(struct ledger *l, const char *op, int64_t expires_ms, size_t *n);
	/* Drop OP's lease on NODE, or every lease of OP when NODE is NULL. */
	int (*release)(struct ledger *l, const char *op, const char *node);
	/* Visit every lease (NODE's only, when not NULL), by node; FN's nonzero return stops and is returned. */
	int (*list)(struct ledger *l, const char *node, int (*fn)(const char *node, const struct lease_holder *h, void *arg),
		    void *arg);
};

/* The wrappers: ERR_UNSUPPORTED when the ledger's back end keeps no leases. */
static inline int lease_acquire(struct ledger *l, const char *node, const struct lease_holder *me,
				lease_alive_fn alive, void *alive_arg, enum lease_answer *answer,
				struct lease_holder *prev, char **moved)
{
	*moved = NULL;
	if (!l->lease)
		return err_set(ERR_UNSUPPORTED, "the %s ledger keeps no node leases", l->ops->name);
	return l->lease->acquire(l, node, me, alive, alive_arg, answer, prev, moved);
}

static inline int lease_renew(struct ledger *l, const char *op, int64_t expires_ms, size_t *n)
{
	if (n)
		*n = 0;
	if (!l->lease)
		return err_set(ERR_UNSUPPORTED, "the %s ledger keeps no node leases", l->ops->name);
	return l->lease->renew(l, op, expires_ms, n);
}

static inline int lease_release(struct ledger *l, const char *op, const char *node)
{
	if (!l->lease)
		return err_set(ERR_UNSUPPORTED, "the %s ledger keeps no node leases", l->ops->name);
	return l->lease->release(l, op, node);
}

static inline int lease_list(struct ledger *l, const char *node,
			     int (*fn)(const char *node, const struct lease_holder *h, void *arg), void *arg)
{
	if (!l->lease)
		return err_set(ERR_UNSUPPORTED, "the %s ledger keeps no node leases", l->ops->name);
	return l->lease->list(l, node, fn, arg);
}

#endif
