/* The witness file on a node: the latest signed checkpoint of the ledger that changed it. */
#ifndef CHIMERA_REMOTE_WITNESS_H
#define CHIMERA_REMOTE_WITNESS_H

#include "util/buf.h"

#define WITNESS_DIR "/nix/var/chimera"
#define WITNESS_PATH WITNESS_DIR "/witness"
/* What witness_read's command prints on a node without a witness file. */
#define WITNESS_NONE "chimera-witness none"

/*
 * Append to CMD the shell text that writes TEXT (a checkpoint's text form) to WITNESS_PATH
 * atomically (a temporary file beside it, then mv), mode 0644. One process on the node
 * (mv); the rest are builtins. Returns 0, ERR_INVALID for TEXT with a NUL or over 4096
 * bytes, or ERR_NOMEM.
 */
int remote_witness_write(struct buf *cmd, const char *text);

/* The line that ends a witness sent on stdin (remote_witness_take). */
#define WITNESS_END "chimera-witness-end"
/* What remote_witness_take's text prints when the file could not be written. */
#define WITNESS_FAILED "chimera-witness-failed"

/*
 * Append to CMD the shell text that reads a witness from stdin, line by line up to a line
 * WITNESS_END (builtins only: the bytes after it stay unread), and, when it was not empty,
 * writes it as remote_witness_write does; prints WITNESS_FAILED if that failed, and goes on.
 * Input that ends before WITNESS_END ends the command with status 0, having written nothing.
 * What a command that is already talking to the controller uses (the deploy's).
 */
int remote_witness_take(struct buf *cmd);

/* Append the shell text that prints WITNESS_PATH, or WITNESS_NONE when there is none. */
int remote_witness_read(struct buf *cmd);

#endif
