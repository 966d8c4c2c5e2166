/* Node leases on SQLite: the leases table of chimera.db (migration 3), behind ports/lease.h. */
#ifndef CHIMERA_ADAPTERS_SQLITE_LEASE_SQLITE_H
#define CHIMERA_ADAPTERS_SQLITE_LEASE_SQLITE_H

#include <pthread.h>
#include <sqlite3.h>

#include "ports/lease.h"

extern const struct ledger_lease_ops sqlite_lease_ops;

/* The database of a ledger opened by ledger_sqlite_open, and the lock its statements take (ledger_sqlite.c). */
sqlite3 *ledger_sqlite_db(struct ledger *l, pthread_mutex_t **lock);

#endif
