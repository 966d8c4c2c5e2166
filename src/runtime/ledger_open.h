/* Open the ledger a URL names: the registry of ledger back ends. */
#ifndef CHIMERA_RUNTIME_LEDGER_OPEN_H
#define CHIMERA_RUNTIME_LEDGER_OPEN_H

#include <stddef.h>

#include "ports/ledger.h"

/*
 * One back end: URLs "SCHEME:REST" go to OPEN(REST, STATE_DIR, OUT), which sets *OUT to
 * a ledger the caller closes with ledger_close, or returns an ERR_* code with *OUT NULL.
 * SCRATCH_URL writes into URL (LEN bytes) a URL for a new, empty ledger under the
 * existing directory DIR: what tests/contract/ledger runs the contract suite against.
 */
struct ledger_backend {
	const char *scheme;
	const char *form;	/* the URL's form, for messages and docs: "sqlite:PATH" */
	int (*open)(const char *rest, const char *state_dir, struct ledger **out);
	int (*scratch_url)(const char *dir, char *url, size_t len);
};

/* The registered back ends; *N is set to how many. Static; never NULL. */
const struct ledger_backend *ledger_backends(size_t *n);

/*
 * Open the ledger URL names, creating it if need be. NULL or "" means the SQLite
 * database STATE_DIR/chimera.db; "sqlite:PATH" a SQLite database at PATH (a relative
 * PATH is relative to the working directory). *OUT is set to a ledger the caller closes
 * with ledger_close. Returns 0; ERR_INVALID for an unknown scheme ("unknown ledger 'X':
 * expected sqlite:PATH"), an empty PATH, or a NULL STATE_DIR when URL names none; or the
 * back end's error (ERR_IO, ERR_CORRUPT ...). *OUT is NULL on failure.
 */
int ledger_open_url(const char *url, const char *state_dir, struct ledger **out);

/*
 * Where the checkpoint file (the sidecar, app/ledger/trusted.h) of the ledger URL names
 * lives, into BUF (LEN bytes): beside a SQLite database (PATH.checkpoint, so
 * STATE_DIR/chimera.db.checkpoint by default), else STATE_DIR/ledger.checkpoint.
 * Returns 0 or ERR_LIMIT / ERR_INVALID.
 */
int ledger_sidecar_path(const char *url, const char *state_dir, char *buf, size_t len);

#endif
