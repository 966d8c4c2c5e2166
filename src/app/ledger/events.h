/* Use case: `chimera events`: the ledger's events in seq order, once or followed as they come. */
#ifndef CHIMERA_APP_LEDGER_EVENTS_H
#define CHIMERA_APP_LEDGER_EVENTS_H

#include <signal.h>

#include "ports/ledger.h"
#include "util/buf.h"

/* How long one wait of events_follow lasts before it looks again (a safety net: appends wake it). */
#define EVENTS_FOLLOW_WAIT_MS 5000

/* Give FN each event of L that F selects, in seq order. Returns 0, FN's nonzero return, or the ledger's error. */
int events_query(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg);

/*
 * events_query, then every event appended after (by any process, which wakes the wait) as
 * it comes, until *STOP is set (from a signal handler) or F's limit of events was given.
 * Returns 0 when stopped, FN's nonzero return, or the ledger's error (ERR_UNSUPPORTED for
 * a ledger that cannot wait).
 */
int events_follow(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg,
		  volatile sig_atomic_t *stop);

/*
 * EV as the line `chimera events --json` prints, newline included, appended to OUT: one
 * compact object of seq, time, topic, deployment, node, payload (as stored), prev_hash and
 * hash. Returns 0 or a buf error.
 */
int events_event_json(const struct ledger_event *ev, struct buf *out);

/* EV as events_event_json's object, parsed: a new reference, or NULL (out of memory). */
struct json_t;
struct json_t *events_event_object(const struct ledger_event *ev);

/* A ledger_event_fn: EV's object (events_event_object) appended to ARG, a JSON array. */
int events_append_object(const struct ledger_event *ev, void *arg);

/*
 * An object as events_event_json writes it (one of a server's GET /events) back into EV:
 * its strings borrowed from OBJ, its payload in the stored (canonical) form in *PAYLOAD,
 * which EV points at and the caller frees. Returns 0, ERR_INVALID naming the bad field, or
 * ERR_NOMEM.
 */
int events_event_from_json(const struct json_t *obj, struct ledger_event *ev, char **payload);

#endif
