/* Node leases for the operations that change nodes: take, wait, heartbeat, take over, release. */
#include "app/fleet/lease.h"
#include "app/fleet/deadman.h"
#include "app/ledger/witness.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/proc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "util/banned.h"

int fleet_op_new_id(char *buf, size_t len)
{
	struct deployment_id id;
	int r;

	if ((r = deployment_id_generate(&id, (uint64_t)clock_wall_ms())) < 0)
		return r;
	return deployment_id_format(&id, buf, len);
}

/* The heartbeat: every LEASE_HEARTBEAT_MS, the operation's leases expire LEASE_TTL_MS later. */
static void *heartbeat_main(void *arg)
{
	struct fleet_op *op = arg;
	struct timespec until;
	size_t n;

	pthread_mutex_lock(&op->hb_lock);
	while (!op->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += LEASE_HEARTBEAT_MS / 1000;
		until.tv_nsec += (long)(LEASE_HEARTBEAT_MS % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&op->cond, &op->hb_lock, &until);
		if (op->stopping)
			break;
		pthread_mutex_unlock(&op->hb_lock);
		if (lease_renew(op->ledger, op->me.op, clock_wall_ms() + LEASE_TTL_MS, &n) < 0)
			log_kv(LOG_WARN, "lease", "heartbeat failed", "op", op->me.op, "error", err_msg(), (const char *)NULL);
		pthread_mutex_lock(&op->hb_lock);
	}
	pthread_mutex_unlock(&op->hb_lock);
	return NULL;
}

int fleet_op_begin(struct fleet_op *op, const struct fleet *f, const char *kind, const char *id)
{
	pthread_condattr_t ca;
	int r;

	memset(op, 0, sizeof(*op));
	/* A ledger that would refuse the operation's events refuses the operation (ports/ledger.h). */
	if (f->ledger && (r = ledger_writable(f->ledger)) < 0)
		return r;
	op->fleet = f;
	op->ledger = f->ledger;
	op->on = f->ledger && f->ledger->lease;
	op->wait_ms = f->lock_wait_s > 0 ? f->lock_wait_s * 1000 : 0;
	snprintf(op->me.op, sizeof(op->me.op), "%s", id);
	snprintf(op->me.kind, sizeof(op->me.kind), "%s", kind);
	if (gethostname(op->me.host, sizeof(op->me.host) - 1) < 0)
		snprintf(op->me.host, sizeof(op->me.host), "localhost");
	op->me.pid = (int64_t)getpid();
	proc_start_time(getpid(), &op->me.pid_start);
	pthread_mutex_init(&op->lock, NULL);
	pthread_mutex_init(&op->hb_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&op->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (op->on && pthread_create(&op->heartbeat, NULL, heartbeat_main, op) == 0)
		op->beating = true;
	return 0;
}

void fleet_op_end(struct fleet_op *op)
{
	if (!op->fleet)
		return;	/* never begun */
	if (op->beating) {
		pthread_mutex_lock(&op->hb_lock);
		op->stopping = true;
		pthread_cond_broadcast(&op->cond);
		pthread_mutex_unlock(&op->hb_lock);
		pthread_join(op->heartbeat, NULL);
		op->beating = false;
	}
	if (op->on && lease_release(op->ledger, op->me.op, NULL) < 0)
		log_kv(LOG_WARN, "lease", "cannot release leases", "op", op->me.op, "error", err_msg(), (const char *)NULL);
	pthread_cond_destroy(&op->cond);
	pthread_mutex_destroy(&op->hb_lock);
	pthread_mutex_destroy(&op->lock);
	op->on = false;
	op->fleet = NULL;
}

/* Alive on this host: its pid is there and started when the lease says (lease_alive_fn). */
static int alive_here(const struct lease_holder *h, void *arg)
{
	const struct fleet_op *op = arg;
	int64_t start = 0;
	bool found = proc_start_time((pid_t)h->pid, &start) == 0;

	return lease_pid_alive(h->host, h->pid_start, op->me.host, found, start);
}

static void keep_ledger_error(struct fleet_op *op, int r)
{
	if (r < 0 && op->ledger_err == 0) {
		op->ledger_err = r;
		snprintf(op->ledger_msg, sizeof(op->ledger_msg), "%s", err_msg());
	}
}

/* A lease of NODE taken from the dead holder H: record it, and H's operation as interrupted. */
static void took_over(struct fleet_op *op, const char *node, const struct lease_holder *h, const char *moved)
{
	size_t nmoved = 0;
	const char *p;
	bool same_host = strcmp(h->host, op->me.host) == 0;
	json_t *pl;

	for (p = moved; p && *p; p++)
		nmoved += *p == '\n';
	op->taken_over++;
	pl = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:I}", "by", op->me.op, "kind", h->kind, "host", h->host,
		       "pid", (json_int_t)h->pid, "since_ms", (json_int_t)h->since_ms, "expires_ms",
		       (json_int_t)h->expires_ms, "reason",
		       h->expires_ms < clock_wall_ms() ? "expired" : same_host ? "holder gone" : "expired",
		       "other_nodes", (json_int_t)nmoved);
	keep_ledger_error(op, fleet_record(op->ledger, "lease.takeover", h->op, node, pl, NULL));
	log_kv(LOG_WARN, "lease", "took over a dead holder's lease", "node", node, "op", h->op, "host", h->host,
	       (const char *)NULL);
	keep_ledger_error(op, fleet_op_record_interrupted(op, h, node, moved));
	/* The dead operation's other nodes were held for the reading; they are free again. */
	for (p = moved; p && *p;) {
		const char *nl = strchr(p, '\n');
		char one[LEASE_NODE_MAX];

		snprintf(one, sizeof(one), "%.*s", (int)(nl ? nl - p : (ptrdiff_t)strlen(p)), p);
		lease_release(op->ledger, op->me.op, one);
		p = nl ? nl + 1 : p + strlen(p);
	}
}

/* One try: 0 acquired (or taken over), ERR_BUSY held (*H its holder), or an error. */
static int try_acquire(struct fleet_op *op, const char *node, struct lease_holder *h)
{
	enum lease_answer a;
	char *moved = NULL;
	int r;

	pthread_mutex_lock(&op->lock);
	op->me.since_ms = clock_wall_ms();
	op->me.expires_ms = op->me.since_ms + LEASE_TTL_MS;
	r = lease_acquire(op->ledger, node, &op->me, alive_here, op, &a, h, &moved);
	if (r == 0 && a == LEASE_TAKEN_OVER)
		took_over(op, node, h, moved);
	pthread_mutex_unlock(&op->lock);
	free(moved);
	if (r < 0)
		return r;
	return a == LEASE_HELD ? ERR_BUSY : 0;
}

int fleet_node_begin(struct fleet_op *op, const struct target *t, const char *node, const char *path,
		     struct executor *ex, struct exec_session *s, struct fleet_failure *fail)
{
	struct lease_holder h;
	int64_t until;
	unsigned attempt = 0;
	char msg[600];
	int r;

	if (!op || !op->on)
		return 0;
	until = clock_mono_ms() + op->wait_ms;
	while ((r = try_acquire(op, node, &h)) == ERR_BUSY && clock_mono_ms() < until) {
		int64_t left = until - clock_mono_ms(), nap = lease_backoff_ms(attempt++);

		clock_sleep_ms(nap < left ? nap : left > 0 ? left : 1);
	}
	if (r == ERR_BUSY) {
		lease_held_message(msg, sizeof(msg), node, h.kind, h.op, h.pid, h.host, h.since_ms);
		pthread_mutex_lock(&op->lock);
		op->held++;
		pthread_mutex_unlock(&op->lock);
		fleet_fail(fail, "lease", err_set(ERR_BUSY, "%s", msg));
		return ERR_BUSY;
	}
	if (r < 0) {
		fleet_fail(fail, "lease", r);
		return r;
	}
	if ((r = fleet_node_after_lease(op, t, node, path, ex, s, fail)) < 0) {
		if (lease_release(op->ledger, op->me.op, node) < 0)
			log_kv(LOG_WARN, "lease", "cannot release a lease", "node", node, "error", err_msg(),
			       (const char *)NULL);
		return r;
	}
	return 0;
}

void fleet_node_end(struct fleet_op *op, const struct target *t, const char *node, struct executor *ex,
		    struct exec_session *s)
{
	if (!op || !op->on)
		return;
	fleet_node_before_release(op, t, node, ex, s);
	if (lease_release(op->ledger, op->me.op, node) < 0)
		log_kv(LOG_WARN, "lease", "cannot release a lease", "node", node, "error", err_msg(), (const char *)NULL);
}

int fleet_node_after_lease(struct fleet_op *op, const struct target *t, const char *node, const char *path,
			   struct executor *ex, struct exec_session *s, struct fleet_failure *fail)
{
	(void)t;
	/*
	 * Switches armed by earlier operations, before anything else: confirmed when they
	 * protect PATH (the path this operation wants), else disarmed; fired ones recorded.
	 */
	if (!ex || !s || op->own_settle)
		return 0;
	return deadman_settle(op->fleet, ex, s, node, op->me.op, path, NULL, fail);
}

void fleet_node_before_release(struct fleet_op *op, const struct target *t, const char *node, struct executor *ex,
			       struct exec_session *s)
{
	(void)t;
	/* The node keeps the ledger's signed head: the fleet witnesses the ledger (app/ledger/witness.h). */
	if (ex && s && !op->own_settle)
		witness_write(op->ledger, ex, s, node);
}
