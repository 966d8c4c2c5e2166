/* The shell commands that look after a node's Nix store itself: presence of the profile's path, damaged paths, repair in place. */
#ifndef CHIMERA_REMOTE_STORE_H
#define CHIMERA_REMOTE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/storepath.h"
#include "util/buf.h"

/*
 * PROFILE resolved, as remote_probe_resolved prints it (builtins when it leads to a
 * directory), preceded by a line REMOTE_ABSENT when what it resolves to is not on the
 * node's disk (a store path removed behind Nix's back, or no profile at all).
 */
#define REMOTE_ABSENT "chimera-absent"
int remote_probe_present(struct buf *cmd, const char *profile);
/* Remove remote_probe_present's REMOTE_ABSENT line from OUT, if there is one; true when there was. */
bool remote_absent_take(struct buf *out);

/*
 * Read store paths on stdin, one a line, and print "modified P" for each that is on the
 * disk, registered, and fails `nix-store --verify-path` (its files differ from the NAR
 * hash Nix registered). One Nix process checks them all; only when that fails is each
 * path checked alone. Paths absent from the disk are left out (the deploy's copy sees them).
 */
int remote_store_scan(struct buf *cmd);
/*
 * The "modified P" lines of OUT: *PATHS (malloc'd, each malloc'd; free with
 * fleet_free_paths or free each) and *N. ERR_INVALID naming any other line.
 */
int remote_store_scan_parse(const struct buf *out, char ***paths, size_t *n);

/*
 * Restore PATH (registered on the node) in place from the NAR on stdin: `nix-store
 * --restore` into a new directory in the store's own filesystem, its NAR hash compared with
 * the one the node registered, files made read-only with mtime 1 as Nix leaves them, then
 * renamed over PATH (the old files, if any, moved aside and deleted); the registration is
 * kept. `nix-store --verify-path PATH` must pass after it. When /nix/store is read-only, the
 * command runs in a mount namespace of its own where it is remounted writable, as Nix does.
 * Prints one of the REMOTE_REPAIR_* lines last.
 */
#define REMOTE_REPAIR_DONE "chimera-repaired"
#define REMOTE_REPAIR_MISMATCH "chimera-repair-mismatch"	/* REGISTERED GOT: the NAR is not what the node registered */
#define REMOTE_REPAIR_UNREGISTERED "chimera-repair-unregistered"
#define REMOTE_REPAIR_READONLY "chimera-repair-readonly"
int remote_store_restore(struct buf *cmd, const char *path);

enum remote_repair_result {
	REPAIR_DONE,
	REPAIR_MISMATCH,
	REPAIR_UNREGISTERED,
	REPAIR_READONLY,
	REPAIR_UNKNOWN,		/* none of the markers: the command failed before its end */
};

#define REMOTE_HASH_MAX 80
/* What remote_store_restore's OUT says; with REPAIR_MISMATCH, the two hashes (else ""). */
enum remote_repair_result remote_store_restore_parse(const struct buf *out, char registered[REMOTE_HASH_MAX],
						     char got[REMOTE_HASH_MAX]);

#endif
