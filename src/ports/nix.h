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

/* What nix_ops.eval evaluates: an expression, a file [-A ATTR], or a flake installable. */
struct nix_eval_req {
	const char *expr;		/* a Nix expression, or NULL */
	const char *file;		/* a .nix file (its value, auto-called as nix-instantiate does), or NULL */
	const char *attr;		/* with FILE: the attribute path to select, or NULL */
	const char *installable;	/* a flake REF#ATTR, or NULL */
	const char *apply;		/* with INSTALLABLE: a function applied to its value, or NULL */
	int json;			/* the value as JSON, else as Nix prints it */
};

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

/* What nix_ops.flake runs: `nix flake VERB` on a flake reference. */
enum nix_flake_verb {
	NIX_FLAKE_LOCK,		/* lock the inputs not locked yet; with an input, lock that one again (--update-input) */
	NIX_FLAKE_UPDATE,	/* lock every input again */
	NIX_FLAKE_SHOW,		/* OUT: the outputs as `nix flake show --json` prints them */
	NIX_FLAKE_CHECK,	/* evaluate the outputs and build the checks */
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
	/*
	 * Evaluate REQ (exactly one of expr, file, installable) strictly, writing nothing (no
	 * lock file, no derivation); OUT gets the value as Nix prints it, or its JSON, without
	 * a final newline. A failed evaluation returns ERR_IO with Nix's own error as the
	 * message (its text, then "at FILE:LINE:COL:" and the lines there); OUT is then empty.
	 * ERR_LIMIT when the value printed passes OUT's max. May be NULL.
	 */
	int (*eval)(struct nix *nx, const struct nix_eval_req *req, struct buf *out);
	/*
	 * Make LINK a symlink to the store path PATH, registered as a garbage-collector root
	 * (an indirect root, as nix-build's out-links are): a symlink already there is replaced,
	 * any other file is an error naming it. May be NULL.
	 */
	int (*add_root)(struct nix *nx, const char *path, const char *link);
	/*
	 * Run `nix flake VERB REF` (see nix_flake_verb; INPUT, an input's name, only with LOCK,
	 * else NULL; SHOW and CHECK write no lock file); OUT (may be NULL) gets its stdout.
	 * Returns 0, ERR_NOTFOUND without the `nix` command, or ERR_IO with Nix's own error as
	 * the message. May be NULL.
	 */
	int (*flake)(struct nix *nx, enum nix_flake_verb verb, const char *ref, const char *input, struct buf *out);
	/*
	 * Make the N FILES (relative to the directory DIR) visible to Nix, which sees only a git
	 * repository's tracked files: when DIR is inside no git work tree, `git init` it and
	 * `git add` them (*GIT_INIT 1); else leave the repository alone (*GIT_INIT 0). Returns 0,
	 * ERR_NOTFOUND without git, or ERR_IO with git's error. May be NULL.
	 */
	int (*flake_track)(struct nix *nx, const char *dir, char *const *files, size_t n, int *git_init);
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
