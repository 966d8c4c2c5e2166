/* What a watch reads back from the ledger when it starts: each node's quarantine and its failed heals in a row. */
#ifndef CHIMERA_APP_FLEET_WATCH_FOLD_H
#define CHIMERA_APP_FLEET_WATCH_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "app/fleet/watch.h"

/*
 * Fold the ledger's events, in order, into the N nodes of BY_NAME (sorted by name), so
 * that what earlier runs saw carries over to this one (separate `--once` runs too):
 *   quarantined    set by watch.node.quarantined, cleared by watch.node.released or a
 *                  node.deploy.complete;
 *   heal_failures  the last watch.node.heal_failed's "failures" (one more than before
 *                  when it has none), back to 0 on watch.node.healed, watch.node.recovered,
 *                  watch.node.released or node.deploy.complete.
 * *SEEN gets the seq of the last event read. Returns 0 or the ledger's error.
 */
int watch_fold_ledger(struct ledger *l, struct watch_node **by_name, size_t n, int64_t *seen);

/* One event about W's node folded into W by the rules above (any other topic: nothing). */
void watch_fold_event(struct watch_node *w, const struct ledger_event *ev);

#endif
