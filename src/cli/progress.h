/* Progress of a fleet operation on stderr: live lines on a terminal, plain lines otherwise. */
#ifndef CHIMERA_CLI_PROGRESS_H
#define CHIMERA_CLI_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "ports/nix.h"

enum progress_mode {
	PROGRESS_OFF,
	PROGRESS_LINES,	/* one plain line per node per step */
	PROGRESS_LIVE,	/* one redrawn line per node in flight and a fleet counter */
};

struct progress;

/*
 * Start showing progress of TOTAL nodes in MODE (0 nodes: only builds, no counter line).
 * Returns NULL for PROGRESS_OFF or no memory.
 */
struct progress *progress_start(enum progress_mode mode, size_t total);

/*
 * Node SLOT (its index, < total) named NAME entered STEP. SENT points at its byte counter
 * (may be NULL), read when the display is redrawn. Thread safe; P may be NULL.
 */
void progress_step(struct progress *p, size_t slot, const char *name, const char *step,
		   const _Atomic uint64_t *sent);

/* Node SLOT is finished: OK, with WHAT ("deployed in 1.2s") for the plain line. Thread safe. */
void progress_done(struct progress *p, size_t slot, const char *name, int ok, const char *what);

/*
 * A build event from the nix port (nix_watch(nx, progress_build, P)): on a terminal a
 * status line "building DONE/TOTAL: NAME — its last log line" over the node lines while
 * the build runs, otherwise one line per derivation started and finished, with its time.
 * Thread safe; P may be NULL.
 */
void progress_build(const struct nix_build_event *ev, void *p);

/* Stop: clear the live lines and free P. */
void progress_stop(struct progress *p);

/* The mode for a command: live on a terminal, lines otherwise, off with --json or -q. */
enum progress_mode progress_mode_for(int json, int quiet);

#endif
