/* The ledger port: an append-only, hash-chained event log behind a struct of function pointers. */
#ifndef CHIMERA_PORTS_LEDGER_H
#define CHIMERA_PORTS_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/hash.h"

#define LEDGER_TOPIC_MAX 128
#define LEDGER_NODE_MAX 512
#define LEDGER_DEPLOYMENT_MAX 128
#define LEDGER_PAYLOAD_MAX (1024 * 1024)

/* An event as stored. Strings belong to whoever filled the struct; they live until the callback returns. */
struct ledger_event {
	int64_t seq;
	char time[CLOCK_UTC_LEN];	/* UTC with milliseconds */
	const char *topic;
	const char *deployment;	/* NULL when none */
	const char *node;	/* NULL when none */
	const char *payload;	/* canonical JSON object */
	char prev_hash[SHA3_256_HEX];
	char hash[SHA3_256_HEX];
};

/* An event to append; the ledger assigns seq, time and hashes. */
struct ledger_new {
	const char *topic;
	const char *deployment;	/* may be NULL */
	const char *node;	/* may be NULL */
	const char *payload;	/* a JSON object; NULL means {} */
};

struct ledger_filter {
	const char *topic;	/* NULL: any; a trailing ".*" matches a prefix */
	const char *deployment;
	const char *node;
	int64_t since;		/* only events with seq > since */
	int64_t limit;		/* 0: no limit */
};

/* Called for each event in seq order; a nonzero return stops the scan and is returned by it. */
typedef int (*ledger_event_fn)(const struct ledger_event *ev, void *arg);

struct ledger;

struct ledger_ops {
	const char *name;
	/*
	 * Append N events in one transaction, chained after the current head. On success
	 * *LAST_SEQ (if not NULL) is the seq of the last one, and the events are durable.
	 * On failure nothing is appended.
	 */
	int (*append)(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last_seq);
	/* Visit matching events in seq order. */
	int (*scan)(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg);
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
};

/* A back end's handle starts with this; zero it before setting OPS (READ then is NULL). */
struct ledger {
	const struct ledger_ops *ops;
	const struct ledger_read_ops *read;	/* may be NULL */
};

static inline int ledger_append(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last)
{
	return l->ops->append(l, evs, n, last);
}

static inline int ledger_scan(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg)
{
	return l->ops->scan(l, f, fn, arg);
}

/*
 * The newest event of TOPIC for NODE (NULL: for every node), by a full scan of TOPIC's
 * events. What ledger_latest falls back to; stops and returns FN's nonzero return.
 */
int ledger_latest_scan(struct ledger *l, const char *topic, const char *node, ledger_event_fn fn, void *arg);

/* The newest event of TOPIC per node (see ledger_read_ops.latest), from the back end's projection when it has one. */
static inline int ledger_latest(struct ledger *l, const char *topic, const char *node, ledger_event_fn fn, void *arg)
{
	if (l->read && l->read->latest)
		return l->read->latest(l, topic, node, fn, arg);
	return ledger_latest_scan(l, topic, node, fn, arg);
}

static inline void ledger_close(struct ledger *l)
{
	if (l)
		l->ops->close(l);
}

/* Append one event. */
int ledger_append1(struct ledger *l, const char *topic, const char *deployment, const char *node,
		   const char *payload, int64_t *seq);

/* The prev_hash of the first event: 64 zeros. */
extern const char ledger_genesis_hash[SHA3_256_HEX];

/*
 * Check NEW's fields and write its canonical payload into PAYLOAD_OUT.
 * Returns 0 or ERR_INVALID naming the bad field.
 */
int ledger_prepare(const struct ledger_new *ev, struct buf *payload_out);

/* Append the canonical bytes of EV (all fields but hash) to OUT. */
int ledger_canonical(const struct ledger_event *ev, struct buf *out);

/* Compute EV's hash from its prev_hash and canonical bytes into HASH_OUT (hex). */
int ledger_event_hash(const struct ledger_event *ev, char hash_out[SHA3_256_HEX]);

struct ledger_verify_report {
	int64_t checked;	/* events found intact before the break (or in all) */
	int64_t broken_seq;	/* 0 when the chain is intact */
	char reason[256];
};

/*
 * Walk the whole chain, recomputing every hash. Returns 0 with REPORT filled either way
 * (broken_seq names the first bad event), or an error when the ledger cannot be read.
 */
int ledger_verify(struct ledger *l, struct ledger_verify_report *report);

#endif
