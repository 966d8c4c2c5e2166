/* Use case: `chimera ledger append`: events appended by hand (drills, tests, benchmarks). */
#ifndef CHIMERA_APP_LEDGER_EVENTS_APPEND_H
#define CHIMERA_APP_LEDGER_EVENTS_APPEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ports/ledger.h"

/*
 * Append COUNT copies of EV to L: with BATCH in one transaction, else one transaction each.
 * *LAST_SEQ is the seq of the last one appended. Returns 0, or the first error (ERR_INVALID
 * for a topic outside the catalog or a bad payload, ERR_LIMIT, ERR_IO); with BATCH nothing
 * was appended then, without it the copies before the failing one were.
 */
int events_append(struct ledger *l, const struct ledger_new *ev, size_t count, bool batch, int64_t *last_seq);

/* The one compact line `chimera ledger append --json` prints (no newline): {"ok", "appended", "last_seq"}. */
char *events_append_json(size_t count, int64_t last_seq);

#endif
