/*
 * Use case: `chimera nix build`: a file [-A ATTR] or a flake REF#ATTR built by the nix
 * port (its build events to the nix's watch), a GC root only when asked, and the event
 * nix.package.built.
 */
#ifndef CHIMERA_APP_NIX_BUILD_H
#define CHIMERA_APP_NIX_BUILD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/attrpath.h"
#include "core/flakeref.h"
#include "core/storepath.h"
#include "ports/ledger.h"
#include "ports/nix.h"

struct nix_build_opts {
	/*
	 * A .nix file or a directory with default.nix (relative to the working directory), or a
	 * flake reference with its attribute, REF#ATTR, where a REF that is a directory ("." or
	 * a path) means the path: flake there.
	 */
	const char *installable;
	const char *attr;	/* -A ATTR with a file, or NULL */
	const char *out_link;	/* a GC root to make (relative to the working directory), or NULL: none */
};

struct nix_build_ctx {
	struct nix *nix;	/* its watch (nix_watch) gets the build's events */
	struct ledger *ledger;	/* where the event goes; NULL: none */
};

/*
 * A flake reference without its attribute (LEN bytes of REF) into OUT (OUTLEN bytes): a
 * directory (a path starting with '/' or '.', or a word without ':' that names a directory
 * here) as path:REALDIR, anything else as given (checked later, by flakeref_parse). Returns
 * 0, ERR_INVALID naming a directory that is not one, or ERR_LIMIT.
 */
int nix_flake_resolve(const char *ref, size_t len, char *out, size_t outlen);

#define NIX_INSTALLABLE_MAX (PATH_MAX + FLAKEREF_TEXT_MAX)

struct nix_build_report {
	char installable[NIX_INSTALLABLE_MAX];	/* normalised: a file's real path, or path:DIR#ATTR */
	bool flake;
	char attr[ATTRPATH_TEXT_MAX + 1];	/* -A ATTR, "" when none */
	char path[STOREPATH_MAX];		/* what was built */
	char out_link[PATH_MAX];		/* the GC root made, "" when none */
	int64_t ms;				/* the build's time */
	int ledger_err;
	char ledger_msg[256];
};

/*
 * Build O with CTX's nix into REP, make O's out-link, record nix.package.built. Returns 0;
 * ERR_INVALID for a bad installable (a file that does not exist, a flake reference without
 * its attribute, -A with a flake, a bad out-link); ERR_EXISTS for an out-link over a file
 * that is not a symlink; the build's error (ERR_IO with Nix's message); ERR_UNSUPPORTED when
 * the nix cannot make roots.
 */
int nix_build_run(const struct nix_build_ctx *ctx, const struct nix_build_opts *o, struct nix_build_report *rep);

/*
 * REP as `chimera nix build --json` prints it: {"installable", "flake", "attr" (or null),
 * "path", "out_link" (or null), "ms"}. The text (the caller frees it), or NULL.
 */
char *nix_build_report_json(const struct nix_build_report *rep);

#endif
