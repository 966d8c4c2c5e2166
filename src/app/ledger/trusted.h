/*
 * The ledger with its trust checks: a decorator over any back end that the world opens
 * (runtime/world.c world_open_ledger), so that no use case has to remember any of it.
 *
 *  - At open, the head is checked in constant time: the last event's hash recomputes, the
 *    last ledger.checkpoint event's signature verifies and its hash is the event's at its
 *    seq, and the sidecar's checkpoint verifies and is accounted for (its seq is not past
 *    the head, its hash is the event's at its seq). Reads that SQLite finds corrupt count.
 *    A ledger that fails this takes no appends (ERR_CORRUPT saying what to do); reads go on.
 *  - A handle that appended records a signed checkpoint (ledger.checkpoint) of the head
 *    when it is closed, and every CHECKPOINT_EVERY events meanwhile, and writes it to the
 *    sidecar (atomically, never over a later one) where a truncation of the events cannot
 *    reach it.
 */
#ifndef CHIMERA_APP_LEDGER_TRUSTED_H
#define CHIMERA_APP_LEDGER_TRUSTED_H

#include "ports/ledger.h"
#include "ports/signer.h"

/*
 * Wrap INNER (taken: closed with the result, or on failure) with SIGNER (taken too; the
 * controller's key), the sidecar file SIDECAR and the controller's name HOST (in every
 * checkpoint). Runs the head check. Returns 0 with *OUT, or ERR_NOMEM / ERR_INVALID;
 * a head that fails its check is not an error here (see ledger_writable).
 */
int trusted_ledger_open(struct ledger *inner, struct signer *signer, const char *sidecar, const char *host,
			struct ledger **out);

/*
 * Record a checkpoint of L's head now (a ledger.checkpoint event and the sidecar), whether
 * or not this handle appended: what `chimera ledger seal` does once verify passes.
 * ERR_UNSUPPORTED for a ledger without trust checks.
 */
int trusted_ledger_seal(struct ledger *l, struct checkpoint *out);

/* Parse a ledger.checkpoint event's PAYLOAD (JSON) into CP. Returns 0 or ERR_INVALID. */
int checkpoint_from_json(const char *payload, struct checkpoint *cp);

/*
 * Whether L holds the event CP names: 1 when the event at CP's seq has CP's hash, 0 when
 * it has another or there is none (HAVE: its hash, or "none"), or the read's error.
 */
int checkpoint_accounted(struct ledger *l, const struct checkpoint *cp, char have[SHA3_256_HEX]);

#endif
