/*
 * Use case: `chimera ledger verify`: the whole chain walked and every checkpoint checked,
 * each problem named in its own words (core/checkpoint.h's kinds): a changed event, a
 * removed or reordered one, a truncated tail, a rewrite with a recomputed chain, a bad
 * checkpoint signature, a corrupt database file, a missing checkpoint file.
 */
#ifndef CHIMERA_APP_LEDGER_TRUST_VERIFY_H
#define CHIMERA_APP_LEDGER_TRUST_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/checkpoint.h"
#include "ports/ledger.h"

#define TRUST_VERIFY_FINDINGS 8

struct trust_verify_report {
	int64_t checked;	/* events whose chain was intact, from seq 1 */
	int64_t head;		/* the last seq read */
	int64_t checkpoints;	/* ledger.checkpoint events checked */
	int64_t sealed;		/* the checkpoint file's seq, -1 when there is none */
	size_t nfindings;	/* 0: the ledger is sound */
	size_t more;		/* findings past TRUST_VERIFY_FINDINGS, counted only */
	struct ledger_finding findings[TRUST_VERIFY_FINDINGS];
	int64_t ms;
};

/*
 * Walk L's chain, check every checkpoint event and the checkpoint file. Returns 0 with REP
 * filled either way (nfindings > 0: the first is the one to act on), or an error when the
 * ledger cannot be read for a reason other than a corrupt file (which is a finding).
 */
int trust_verify(struct ledger *l, struct trust_verify_report *rep);

/* REP for a ledger that could not even be opened because its file is corrupt (ERR_CORRUPT, message MSG). */
void trust_verify_unopened(struct trust_verify_report *rep, const char *msg);

/* REP as JSON: ok, kind (the first finding's, "ok" when none), checked, head, checkpoints, sealed, findings. */
char *trust_verify_json(const struct trust_verify_report *rep);

#endif
