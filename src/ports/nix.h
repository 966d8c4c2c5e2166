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

/* What a build reports while it runs, to the nix's watch (nix_watch). */
enum nix_build_what {
	NIX_BUILD_STARTED,	/* a derivation started building */
	NIX_BUILD_LOG,		/* a line of its builder's output: TEXT */
	NIX_BUILD_PHASE,	/* it entered the phase TEXT */
	NIX_BUILD_FINISHED,	/* it finished: OK, after MS */
	NIX_BUILD_COUNTS,	/* DONE or TOTAL moved */
	NIX_BUILD_END,		/* the build is over: OK (the store path was built) */
};

/* One build event; the strings are valid during the call only. */
struct nix_build_event {
	enum nix_build_what what;
	const struct nix_source *src;	/* the build it belongs to (builds may run at once) */
	const char *drv;		/* the derivation's .drv path (not for COUNTS and END) */
	const char *name;		/* its name, without the hash and ".drv" */
	const char *text;		/* LOG: the line, no control characters; PHASE: the phase */
	int ok;				/* FINISHED: 1 built, 0 failed, -1 stopped unfinished; END: 1 or 0 */
	int64_t ms;			/* FINISHED: how long it took */
	size_t done, total;		/* derivations of this build built so far and to build */
};

/* Where a nix sends build events: FN(EV, ARG), on the thread running the build. */
struct nix_watch {
	void (*fn)(const struct nix_build_event *ev, void *arg);
	void *arg;
};

struct nix_ops {
	const char *name;
	/*
	 * Build SRC; OUT gets the single store path it produced, and the nix's watch (if any)
	 * the build's events as they happen. On a failed build returns ERR_IO with a message
	 * that ends with Nix's own error and, when a derivation failed, its name and the last
	 * lines of its log; LOG (may be NULL) gets Nix's output as nix-build prints it.
	 */
	int (*build)(struct nix *nx, const struct nix_source *src, char out[STOREPATH_MAX], struct buf *log);
	/* Fill OUT (released by the caller) with PATH's closure and the NAR size of each path. */
	int (*closure)(struct nix *nx, const char *path, struct nix_closure *out);
	/* Write `nix-store --export` of the N PATHS (any order) to the file descriptor FD. */
	int (*export_paths)(struct nix *nx, char *const *paths, size_t n, int fd);
	/*
	 * Write `nix-store --dump` of PATH (its NAR, the files as the controller has them) to
	 * the file descriptor FD: what a node's damaged copy is restored from. May be NULL.
	 */
	int (*dump_path)(struct nix *nx, const char *path, int fd);
	void (*close)(struct nix *nx);
};

struct nix {
	const struct nix_ops *ops;
	struct nix_watch watch;		/* all NULL: no events */
};

/* Send NX's build events to FN with ARG (FN NULL: none); set before building. */
static inline void nix_watch(struct nix *nx, void (*fn)(const struct nix_build_event *ev, void *arg), void *arg)
{
	nx->watch = (struct nix_watch){ fn, arg };
}

#endif
