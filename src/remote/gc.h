/* Garbage collection on a node: the probe, deleting generations and collecting, the dry run, and their output read back. */
#ifndef CHIMERA_REMOTE_GC_H
#define CHIMERA_REMOTE_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/profile.h"
#include "remote/deadman.h"
#include "util/buf.h"

#define REMOTE_GC_NOW "chimera-gc-now"
#define REMOTE_GC_DEADMAN "chimera-gc-deadman"

/*
 * One command that reads what a collection decides on: "chimera-gc-now EPOCH" (the node's
 * clock), the generations of PROFILE as remote_probe_generations prints them, a line
 * "chimera-gc-deadman", then the node's dead-man switches as remote_deadman_list prints
 * them. PROFILE is validated by the caller.
 */
int remote_gc_probe(struct buf *cmd, const char *profile);

/*
 * Read remote_gc_probe's output OUT for the profile whose last component is BASE: the
 * node's clock into *NOW, its generations into GENS (gen_list_parse; release it), its
 * switches into SW (room for MAX, their number in *NSW). Returns 0, or ERR_INVALID naming
 * what is wrong (GENS empty, *NSW 0), ERR_NOMEM.
 */
int remote_gc_probe_parse(const struct buf *out, const char *base, int64_t *now, struct gen_list *gens,
			  struct remote_deadman *sw, size_t max, size_t *nsw);

/*
 * Delete the N generations GENS of PROFILE (nix-env --delete-generations; none when N is 0),
 * then list what is dead (nix-store --gc --print-dead) and measure it on the disk (du, in
 * bytes, each path's share), then collect (nix-store --gc; once more a second later when a
 * measured path is still there: it was in use at that moment). Prints "chimera-gc-deleted" once
 * the generations are gone, "chimera-gc-dead PATHS BYTES" before collecting, Nix's own
 * summary ("N store paths deleted, X MiB freed"), "chimera-gc-removed N" (the paths Nix said
 * it deleted), "chimera-gc-freed PATHS BYTES" (the measured paths that are gone after, and
 * their bytes: what was freed, even when the collector left some, a path in use, or failed
 * midway) and "chimera-gc-done" at the end; a failing step exits with its status, its last
 * lines on stderr.
 */
int remote_gc_collect(struct buf *cmd, const char *profile, const uint32_t *gens, size_t n);

/*
 * Change nothing: what deleting the N generations GENS of PROFILE and collecting would
 * remove. The paths that would be dead are those dead now and those in the closures of
 * the generations that would go, less the closure of every other garbage collector root;
 * printed as "chimera-gc-dead PATHS BYTES" (BYTES as du counts them), then "chimera-gc-done".
 */
int remote_gc_dry(struct buf *cmd, const char *profile, const uint32_t *gens, size_t n);

/* What remote_gc_collect or remote_gc_dry printed. */
struct remote_gc_result {
	bool deleted;		/* "chimera-gc-deleted": the generations are gone */
	bool measured;		/* "chimera-gc-dead" was read: */
	uint64_t dead_paths, dead_bytes;
	bool dead_bytes_known;	/* du printed a total */
	bool nix_summary;	/* Nix's "N store paths deleted, X UNIT freed" was read (each one added up): */
	uint64_t nix_paths, nix_bytes;
	bool counted;		/* "chimera-gc-removed N" was read: */
	uint64_t removed;
	bool freed;		/* "chimera-gc-freed PATHS BYTES": the measured paths gone after collecting, */
	uint64_t freed_paths, freed_bytes;	/* and their share of the dead bytes */
	bool done;		/* "chimera-gc-done": the command ran to its end */
};

/*
 * Read OUT, the output of remote_gc_collect or remote_gc_dry, into R (cleared first). Lines
 * of no known kind are skipped (a login banner); a line beginning "chimera-gc-" that is not
 * one of the four forms is ERR_INVALID naming it (R then cleared).
 */
int remote_gc_result_parse(const struct buf *out, struct remote_gc_result *r);

/*
 * Nix's summary line (LEN bytes at LINE, no newline): "N store paths deleted, X UNIT freed"
 * with X a decimal number and UNIT one of B, KiB, MiB, GiB, TiB ("1 store path deleted" too).
 * Returns 1 with *PATHS and *BYTES set (X in UNIT, rounded to a byte), 0 when LINE is not
 * such a line.
 */
int remote_gc_summary_parse(const char *line, size_t len, uint64_t *paths, uint64_t *bytes);

#endif
