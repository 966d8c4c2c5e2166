/* Use case: `chimera ledger verify`: recompute the hash chain and name the first broken seq. */
#ifndef CHIMERA_APP_LEDGER_VERIFY_H
#define CHIMERA_APP_LEDGER_VERIFY_H

#include <stdint.h>

#include "ports/ledger.h"

struct verify_report {
	struct ledger_verify_report chain;	/* checked, broken_seq (0 when intact), reason */
	int64_t ms;
};

/* Walk every event of L. Returns 0 with REP filled (a broken chain is a result, not an error) or the ledger's error. */
int verify_chain(struct ledger *l, struct verify_report *rep);

/*
 * REP as the one compact line `chimera ledger verify --json` prints (no newline):
 * {"ok", "checked", "ms"}, with "broken_seq" and "reason" before "ms" when broken. The
 * caller frees it; NULL when out of memory.
 */
char *verify_report_json(const struct verify_report *rep);

#endif
