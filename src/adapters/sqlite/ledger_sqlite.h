/* The ledger on SQLite: chimera.db in the state dir, WAL, numbered migrations. */
#ifndef CHIMERA_ADAPTERS_SQLITE_LEDGER_SQLITE_H
#define CHIMERA_ADAPTERS_SQLITE_LEDGER_SQLITE_H

#include "ports/ledger.h"

#define LEDGER_SQLITE_SCHEMA_VERSION 1

/*
 * Open (creating and migrating as needed) the ledger database at PATH. *OUT is set to a
 * ledger the caller closes with ledger_close. Returns 0, ERR_IO, or ERR_CORRUPT when the
 * file is not a chimera database or is from a newer schema.
 */
int ledger_sqlite_open(const char *path, struct ledger **out);

#endif
