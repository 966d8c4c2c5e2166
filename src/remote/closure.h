/* The shell command that reads a store path's closure on a node, with each path's NAR size, and its answer. */
#ifndef CHIMERA_REMOTE_CLOSURE_H
#define CHIMERA_REMOTE_CLOSURE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define REMOTE_SIZES_MARK "chimera-sizes"

/*
 * PATH's closure on the node: `nix-store -q --requisites PATH` (one path a line), a line
 * REMOTE_SIZES_MARK, then `nix-store -q --size` of those paths in the same order (one whole
 * number a line). Two Nix processes whatever the closure's size. PATH must be a store path
 * (the caller checks); it fails, with Nix's error on stderr, when PATH is not valid there.
 */
int remote_closure_query(struct buf *cmd, const char *path);

/*
 * The answer (LEN bytes at OUT) of remote_closure_query: ADD(PATH, NAR_SIZE, ARG) once per
 * path, in order; an ADD error is returned as is. Returns 0, or ERR_INVALID naming the first
 * line that is not a store path or not a size, or the counts that differ.
 */
int remote_closure_parse(const char *out, size_t len, int (*add)(const char *path, uint64_t nar_size, void *arg),
			 void *arg);

#endif
