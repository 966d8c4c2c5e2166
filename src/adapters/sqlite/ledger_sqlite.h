/* The ledger on SQLite: chimera.db in the state dir, WAL, numbered migrations, waits by inotify. */
#ifndef CHIMERA_ADAPTERS_SQLITE_LEDGER_SQLITE_H
#define CHIMERA_ADAPTERS_SQLITE_LEDGER_SQLITE_H

#include "ports/ledger.h"

/*
 * Open (creating and migrating as needed) the ledger database at PATH. *OUT is set to a
 * ledger the caller closes with ledger_close; it may be shared by threads, and its scan
 * callbacks may use it (see ledger_event_fn). Returns 0, ERR_NOMEM, ERR_IO, or
 * ERR_CORRUPT when the file is not a chimera database or SQLite finds it damaged
 * (SQLITE_CORRUPT, SQLITE_NOTADB: the message says so), ERR_UNSUPPORTED when it is from a
 * newer schema; *OUT is NULL on failure. Open it through ledger_open_url (runtime/ledger_open.h) unless a test
 * needs SQLite itself.
 */
int ledger_sqlite_open(const char *path, struct ledger **out);

#endif
