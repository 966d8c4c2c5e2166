/* The ledger port: an append-only, hash-chained event log behind a struct of function pointers. */
#ifndef CHIMERA_PORTS_LEDGER_H
#define CHIMERA_PORTS_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/chain.h"
#include "core/checkpoint.h"
#include "core/newest.h"
#include "core/topics.h"
#include "util/err.h"

struct ledger_filter {
	const char *topic;	/* NULL: any; a trailing ".*" matches a prefix */
	const char *deployment;
	const char *node;
	int64_t since;		/* only events with seq > since */
	int64_t limit;		/* 0: no limit */
};

/*
 * Called for each event in seq order; a nonzero return stops the scan and is returned by
 * it. EV and its strings live until the callback returns.
 *
 * What a callback may do: anything with the ledger, on this handle or another. A back end
 * runs callbacks with none of its locks held and none of its statements open, so a
 * callback may append (ledger_append), scan, ask for the latest events, verify, or wait.
 * A scan visits the events that existed when it started: events appended meanwhile,
 * by the callback or anyone else, are left to the next scan (so a callback that appends
 * for every event it sees ends). Proven by tests/contract/ledger.
 */
typedef int (*ledger_event_fn)(const struct ledger_event *ev, void *arg);

struct ledger;

struct ledger_ops {
	const char *name;
	/*
	 * Append N events in one transaction, chained after the current head. On success
	 * *LAST_SEQ (if not NULL) is the seq of the last one, and the events are durable.
	 * On failure nothing is appended. Call it through ledger_append, which checks the
	 * topics against the catalog first.
	 */
	int (*append)(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last_seq);
	/* Visit matching events in seq order (see ledger_event_fn for what callbacks may do). */
	int (*scan)(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg);
	/*
	 * Block until the ledger holds an event with seq > AFTER_SEQ, appended by this process
	 * or any other, then set *HEAD to the newest seq and return 0. A back end wakes on the
	 * append itself (SQLite: inotify on the database's files), not by reading the ledger
	 * every few milliseconds. After TIMEOUT_MS (0: do not block; negative: no limit), or
	 * when a signal interrupts the wait, it returns 0 with *HEAD the current head, which
	 * may be <= AFTER_SEQ. Returns an ERR_* code when the ledger cannot be read.
	 */
	int (*wait)(struct ledger *l, int64_t after_seq, int timeout_ms, int64_t *head);
	void (*close)(struct ledger *l);
};

/*
 * Reads a back end may answer from its projections (tables kept in the append's
 * transaction, rebuildable from the events). Optional: a NULL table or member means the
 * wrapper below computes the same answer with scans, so fakes and new back ends need
 * not name them.
 */
struct ledger_read_ops {
	/*
	 * Visit, in seq order, the newest event of TOPIC (an exact topic) for NODE, or for
	 * every node when NODE is NULL; events without a node are never visited. Projected
	 * topics come from the projection; any other topic as a scan would find it.
	 */
	int (*latest)(struct ledger *l, const char *topic, const char *node, ledger_event_fn fn, void *arg);
	/*
	 * Visit the newest event (of TOPIC, an exact topic, when not NULL), or nothing when
	 * there is none, reading a bounded number of pages: what the open-time head check
	 * (app/ledger/trusted.c) runs on. Returns FN's return, 0, or the read's error.
	 */
	int (*last)(struct ledger *l, const char *topic, ledger_event_fn fn, void *arg);
	/*
	 * Check the store's own structures, every page (SQLite: PRAGMA quick_check): what
	 * `ledger verify` adds to its walk, since a damaged index is not on the walk's path.
	 * Returns 0 when sound, ERR_CORRUPT with the store's first complaint, or an error.
	 */
	int (*integrity)(struct ledger *l);
};

/*
 * What a ledger opened with its trust checks (app/ledger/trusted.h) adds: the open-time
 * head check's finding, and checkpoints made and checked with the controller's key. Back
 * ends leave it NULL; the wrappers below then answer "nothing to say" or ERR_UNSUPPORTED.
 */
struct ledger_finding;
struct ledger_trust_ops {
	/* The open-time check's finding into OUT (kind LEDGER_OK when the head is sound). */
	void (*health)(struct ledger *l, struct ledger_finding *out);
	/* A checkpoint of the current head, signed now (nothing is appended). */
	int (*checkpoint)(struct ledger *l, struct checkpoint *out);
	/* 0 when CP is signed by this controller's key; ERR_CORRUPT (message says why) when not. */
	int (*check)(struct ledger *l, const struct checkpoint *cp);
	/* The checkpoint kept outside the ledger (the sidecar): 0 and *PRESENT, or ERR_INVALID when unreadable. */
	int (*sealed)(struct ledger *l, struct checkpoint *out, int *present);
};

/* Node leases (ports/lease.h), kept in the ledger's database; optional. */
struct ledger_lease_ops;

/* A back end's handle starts with this; zero it before setting OPS (READ and LEASE then are NULL). */
struct ledger {
	const struct ledger_ops *ops;
	const struct ledger_read_ops *read;	/* may be NULL */
	const struct ledger_trust_ops *trust;	/* NULL for a back end */
	const struct ledger_lease_ops *lease;	/* may be NULL: the back end keeps no leases */
};

/*
 * Append N events (see ledger_ops.append). Every topic must be in the catalog
 * (core/topics.h): otherwise nothing is appended and it returns ERR_INVALID naming the
 * topic. *LAST (if not NULL) is 0 on any failure.
 */
static inline int ledger_append(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last)
{
	size_t i;
	int r;

	if (last)
		*last = 0;
	for (i = 0; i < n; i++)
		if ((r = topics_check(evs[i].topic)) < 0)
			return r;
	return l->ops->append(l, evs, n, last);
}

/* Append one event, as ledger_append. */
static inline int ledger_append1(struct ledger *l, const char *topic, const char *deployment, const char *node,
				 const char *payload, int64_t *seq)
{
	struct ledger_new ev = { topic, deployment, node, payload };

	return ledger_append(l, &ev, 1, seq);
}

static inline int ledger_scan(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg)
{
	return l->ops->scan(l, f, fn, arg);
}

/* See ledger_ops.wait. A back end without one returns ERR_UNSUPPORTED, *HEAD 0. */
static inline int ledger_wait(struct ledger *l, int64_t after_seq, int timeout_ms, int64_t *head)
{
	*head = 0;
	if (!l->ops->wait)
		return err_set(ERR_UNSUPPORTED, "the %s ledger cannot wait for events", l->ops->name);
	return l->ops->wait(l, after_seq, timeout_ms, head);
}

/* The two passes of ledger_latest_scan. */
struct ledger_latest_pass {
	struct newest nw;
	ledger_event_fn fn;
	void *arg;
	int err;
};

static inline int ledger_latest_note_(const struct ledger_event *ev, void *arg)
{
	struct ledger_latest_pass *p = arg;

	if (ev->node && (p->err = newest_add(&p->nw, ev->node, ev->seq)) < 0)
		return p->err;
	return 0;
}

static inline int ledger_latest_emit_(const struct ledger_event *ev, void *arg)
{
	struct ledger_latest_pass *p = arg;

	return newest_keeps(&p->nw, ev->seq) ? p->fn(ev, p->arg) : 0;
}

/*
 * The newest event of TOPIC for NODE (NULL: for every node), by two scans of TOPIC's
 * events: what ledger_latest falls back to. Stops and returns FN's nonzero return;
 * ERR_INVALID when TOPIC is not one exact topic; ERR_NOMEM, or the scan's error.
 */
static inline int ledger_latest_scan(struct ledger *l, const char *topic, const char *node, ledger_event_fn fn,
				     void *arg)
{
	struct ledger_filter f = { .topic = topic, .node = node };
	struct ledger_latest_pass p = { .fn = fn, .arg = arg };
	size_t tn = topic ? strlen(topic) : 0;
	int r;

	if (tn == 0 || (tn >= 2 && strcmp(topic + tn - 2, ".*") == 0))
		return err_set(ERR_INVALID, "latest needs one exact topic, not '%s'", topic ? topic : "");
	r = ledger_scan(l, &f, ledger_latest_note_, &p);
	if (p.err)
		r = p.err;
	if (r == 0 && (r = newest_finish(&p.nw)) == 0 && newest_first(&p.nw) > 0) {
		f.since = newest_first(&p.nw) - 1;
		r = ledger_scan(l, &f, ledger_latest_emit_, &p);
	}
	newest_release(&p.nw);
	return r;
}

/* The newest event of TOPIC per node (see ledger_read_ops.latest), from the back end's projection when it has one. */
static inline int ledger_latest(struct ledger *l, const char *topic, const char *node, ledger_event_fn fn, void *arg)
{
	if (l->read && l->read->latest)
		return l->read->latest(l, topic, node, fn, arg);
	return ledger_latest_scan(l, topic, node, fn, arg);
}

/* The last event's seq seen by ledger_last_note_, then the event itself. */
struct ledger_last_pass {
	int64_t seq;
	ledger_event_fn fn;
	void *arg;
};

static inline int ledger_last_note_(const struct ledger_event *ev, void *arg)
{
	((struct ledger_last_pass *)arg)->seq = ev->seq;
	return 0;
}

static inline int ledger_last_emit_(const struct ledger_event *ev, void *arg)
{
	struct ledger_last_pass *p = arg;

	return ev->seq == p->seq ? p->fn(ev, p->arg) : 0;
}

/* The newest event (of TOPIC when not NULL) by two scans: what ledger_last falls back to. */
static inline int ledger_last_scan(struct ledger *l, const char *topic, ledger_event_fn fn, void *arg)
{
	struct ledger_filter f = { .topic = topic };
	struct ledger_last_pass p = { 0, fn, arg };
	int r;

	if ((r = ledger_scan(l, &f, ledger_last_note_, &p)) != 0 || p.seq == 0)
		return r;
	f.since = p.seq - 1;
	f.limit = 1;
	return ledger_scan(l, &f, ledger_last_emit_, &p);
}

/* The newest event (of TOPIC when not NULL); see ledger_read_ops.last. */
static inline int ledger_last(struct ledger *l, const char *topic, ledger_event_fn fn, void *arg)
{
	if (l->read && l->read->last)
		return l->read->last(l, topic, fn, arg);
	return ledger_last_scan(l, topic, fn, arg);
}

/* Visit the event at SEQ, or nothing when there is none: one event read by seq. */
static inline int ledger_at(struct ledger *l, int64_t seq, ledger_event_fn fn, void *arg)
{
	struct ledger_filter f = { .since = seq - 1, .limit = 1 };
	struct ledger_last_pass p = { seq, fn, arg };

	if (seq <= 0)
		return 0;
	return ledger_scan(l, &f, ledger_last_emit_, &p);
}

/* The open-time head check's finding (kind LEDGER_OK for a ledger without trust checks). */
static inline void ledger_health(struct ledger *l, struct ledger_finding *out)
{
	memset(out, 0, sizeof(*out));
	if (l->trust && l->trust->health)
		l->trust->health(l, out);
}

/*
 * 0 when L takes appends, else ERR_CORRUPT saying why and what to do: what a use case
 * that changes nodes asks before it changes any (an append would be refused the same way).
 */
static inline int ledger_writable(struct ledger *l)
{
	struct ledger_finding f;

	ledger_health(l, &f);
	if (f.kind == LEDGER_OK)
		return 0;
	return err_set(ERR_CORRUPT, "the ledger fails its head check (%s): %s; refusing to append: %s",
		       ledger_kind_name(f.kind), f.message, f.todo);
}

static inline void ledger_close(struct ledger *l)
{
	if (l)
		l->ops->close(l);
}

static inline int ledger_verify_one_(const struct ledger_event *ev, void *arg)
{
	return chain_verify_next(arg, ev);
}

/*
 * Walk the whole chain, recomputing every hash. Returns 0 with REPORT filled either way
 * (broken_seq names the first bad event), or an error when the ledger cannot be read.
 */
static inline int ledger_verify(struct ledger *l, struct ledger_verify_report *report)
{
	struct ledger_filter all = { 0 };
	struct chain_verify cv;
	int r;

	chain_verify_begin(&cv, report);
	r = ledger_scan(l, &all, ledger_verify_one_, &cv);
	return r < 0 ? r : 0;
}

#endif
