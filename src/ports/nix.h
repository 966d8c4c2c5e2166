/* The nix port: build a configuration on the controller, read its closure, export paths. */
#ifndef CHIMERA_PORTS_NIX_H
#define CHIMERA_PORTS_NIX_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix_source.h"
#include "core/storepath.h"
#include "util/buf.h"

struct nix_path_info {
	char path[STOREPATH_MAX];
	uint64_t nar_size;
};

struct nix_closure {
	struct nix_path_info *items;	/* owned; every path of the closure, once */
	size_t n;
	uint64_t bytes;			/* sum of nar_size */
};

/* Free C's items and empty it. */
static inline void nix_closure_release(struct nix_closure *c)
{
	free(c->items);
	memset(c, 0, sizeof(*c));
}

struct nix;

struct nix_ops {
	const char *name;
	/*
	 * Build SRC; OUT gets the single store path it produced. On a failed build returns
	 * ERR_IO with a message that ends with the tail of Nix's own output; LOG (may be
	 * NULL) gets all of it.
	 */
	int (*build)(struct nix *nx, const struct nix_source *src, char out[STOREPATH_MAX], struct buf *log);
	/* Fill OUT (released by the caller) with PATH's closure and the NAR size of each path. */
	int (*closure)(struct nix *nx, const char *path, struct nix_closure *out);
	/* Write `nix-store --export` of the N PATHS (any order) to the file descriptor FD. */
	int (*export_paths)(struct nix *nx, char *const *paths, size_t n, int fd);
	void (*close)(struct nix *nx);
};

struct nix {
	const struct nix_ops *ops;
};

#endif
