/* The Nix simulator: build a configuration with nix-build and say why it failed, where. */
#ifndef CHIMERA_PLATFORM_NIX_H
#define CHIMERA_PLATFORM_NIX_H

#include <stddef.h>

#include "platform/platform.h"
#include "platform/sim.h"
#include "ports/nix.h"

/*
 * Issues from the stderr of a failed nix-build (LOG, LEN bytes; Nix 2.8 format, ANSI colour
 * codes possible) building the file NAME (as the report names it, relative to the project
 * directory) whose absolute path is ABS. Adds exactly one critical issue to REP:
 *   NIX-SYNTAX  the file does not parse ("error: syntax error, ...")
 *   NIX-EVAL    evaluation failed: undefined variable, attribute missing, type errors,
 *               assert/throw/abort, infinite recursion, missing imported file, ...
 *   NIX-BUILD   a builder failed ("builder for '/nix/store/...drv' failed ...", or "build of
 *               ... failed")
 *   NIX-OUTPUT  it built, but not exactly one store path (several outputs / not a derivation)
 * The message is Nix's own error line, trimmed, ANSI codes removed, at most SIM_MSG_MAX
 * bytes; line and col come from Nix's "at ABS:LINE:COL:" when the position is in ABS (else in
 * a file under ABS's directory: that file's path relative to that directory, behind NAME's
 * own directory, as the file; else line 0, col 0 and NAME). fix is SIM_FIX_NONE.
 * Returns 0 or ERR_NOMEM.
 */
int sim_nix_log(const char *name, const char *abs, const char *log, size_t len, struct sim_report *rep);

/*
 * Simulate SRC (src->file set; a flake is refused with ERR_INVALID) with NX: build it.
 * REP (initialised by the caller with platform "nix") gets NAME in its files and the issues
 * (none when it built). OUT gets the store path when it built, else "". rep->us is set.
 * Returns 0 whether or not it built (the report says), or an error when Nix could not be run
 * at all (ERR_NOTFOUND/ERR_IO from proc) or out of memory.
 */
int sim_nix(struct nix *nx, const struct nix_source *src, const char *name, char out[STOREPATH_MAX],
	    struct sim_report *rep);

/* The registry row (platform/platform.c lists it). */
extern const struct platform platform_nix;

#endif
