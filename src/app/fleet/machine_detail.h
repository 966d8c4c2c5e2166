/* One machine as GET /machines/{name} and `chimera dash`'s detail show it. */
#ifndef CHIMERA_APP_FLEET_MACHINE_DETAIL_H
#define CHIMERA_APP_FLEET_MACHINE_DETAIL_H

#include <jansson.h>
#include <stdint.h>

#include "app/config/inventory.h"
#include "ports/ledger.h"

#define MACHINE_DETAIL_EVENTS 20	/* its newest events shown */
#define MACHINE_DETAIL_SCAN 2000	/* looked for among the ledger's last events before the head */

/*
 * M's document: machines_show_json's (its settings, the defaults it takes, its last facts),
 * with "status" (its last known state from the ledger: a node of status_cached's report, or
 * null) and "events" (its newest MACHINE_DETAIL_EVENTS among the ledger's last
 * MACHINE_DETAIL_SCAN before HEAD, oldest first). A new reference, or NULL with the error set.
 */
json_t *machine_detail_json(struct ledger *l, const struct inventory *inv, const struct inv_machine *m, int64_t head);

#endif
