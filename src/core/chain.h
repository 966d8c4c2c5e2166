/* The ledger's chain rule: events as values, their canonical bytes and hash, and the walk that verifies a chain. */
#ifndef CHIMERA_CORE_CHAIN_H
#define CHIMERA_CORE_CHAIN_H

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

/* The prev_hash of the first event: 64 zeros. */
extern const char chain_genesis_hash[SHA3_256_HEX];

/* Whether T is shaped like a topic: lowercase words of [a-z0-9_-] joined by dots, at most LEDGER_TOPIC_MAX. */
int chain_topic_ok(const char *t);

/*
 * Check NEW's fields and write its canonical payload into PAYLOAD_OUT (appended; the
 * caller owns the buffer). Returns 0, or ERR_INVALID / ERR_LIMIT naming the bad field,
 * PAYLOAD_OUT then holding whatever was written before the failure.
 */
int chain_prepare(const struct ledger_new *ev, struct buf *payload_out);

/* Append the canonical bytes of EV (all fields but hash) to OUT. Returns 0 or ERR_NOMEM. */
int chain_canonical(const struct ledger_event *ev, struct buf *out);

/*
 * Compute EV's hash from its prev_hash and canonical bytes into HASH_OUT (lowercase hex).
 * Returns 0, ERR_CORRUPT when prev_hash is not hex, or ERR_NOMEM; HASH_OUT is "" then.
 */
int chain_event_hash(const struct ledger_event *ev, char hash_out[SHA3_256_HEX]);

struct ledger_verify_report {
	int64_t checked;	/* events found intact before the break (or in all) */
	int64_t broken_seq;	/* 0 when the chain is intact */
	char reason[256];
};

/* A verify walk in progress: feed it every event in seq order. */
struct chain_verify {
	struct ledger_verify_report *report;
	int64_t expect;
	char prev[SHA3_256_HEX];
};

/* Start a walk that fills REPORT (cleared here; the caller owns it). */
void chain_verify_begin(struct chain_verify *cv, struct ledger_verify_report *report);

/*
 * Check the next event of the walk. Returns 0 when it is intact, 1 when the chain breaks
 * there (the report then names the seq and the reason; stop feeding it).
 */
int chain_verify_next(struct chain_verify *cv, const struct ledger_event *ev);

#endif
