/* Shared by the nix-cli adapter's files: the back end's state and its build. */
#ifndef CHIMERA_ADAPTERS_NIX_NIX_CLI_INTERNAL_H
#define CHIMERA_ADAPTERS_NIX_NIX_CLI_INTERNAL_H

#include <limits.h>
#include <stdbool.h>

#include "ports/nix.h"
#include "util/buf.h"

struct nix_cli {
	struct nix base;
	char nix_build[PATH_MAX];
	char nix_store[PATH_MAX];
	char nix[PATH_MAX];	/* "" when the new-style `nix` is missing */
	/*
	 * Builds pass --option build-users-group '': root, no nixbld group, no daemon, and no
	 * setting of build-users-group anywhere Nix reads one (nix_cli_single_user).
	 */
	bool no_build_users;
	_Atomic bool plain_log;		/* this Nix refused --log-format internal-json: read its plain output */
};

/* The port's build (nix_build.c). */
int nix_cli_build(struct nix *base, const struct nix_source *src, char out[STOREPATH_MAX], struct buf *log);

/* The port's evaluation and GC roots (nix_eval.c). */
int nix_cli_eval(struct nix *base, const struct nix_eval_req *req, struct buf *out);
int nix_cli_add_root(struct nix *base, const char *path, const char *link);

/* The port's flake operations and the git of a new flake (nix_flake.c). */
int nix_cli_flake(struct nix *base, enum nix_flake_verb verb, const char *ref, const char *input, struct buf *out);
int nix_cli_flake_track(struct nix *base, const char *dir, char *const *files, size_t n, int *git_init);

/* Set an ERR_IO message: "WHAT failed (exit STATUS)", then the last bytes of LOG. */
int nix_fail(const char *what, int status, const struct buf *log);

/*
 * True when Nix would build as root in a store of its own with build users from a group
 * that does not exist: effective uid 0, no group "nixbld", NIX_REMOTE unset, empty,
 * "local" or "auto", no daemon socket, and build-users-group set neither in NIX_CONFIG
 * nor in a nix.conf Nix reads ($NIX_CONF_DIR or /etc/nix, $NIX_USER_CONF_FILES or the
 * XDG configuration directories).
 */
bool nix_cli_single_user(void);

#endif
