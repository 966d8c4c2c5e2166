/* Shared by the flake use cases: the flake's directory and files, the walk of its inputs, events. */
#ifndef CHIMERA_APP_NIX_FLAKE_INTERNAL_H
#define CHIMERA_APP_NIX_FLAKE_INTERNAL_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>

#include "app/nix/flake.h"
#include "formats/nix_edit.h"
#include "util/buf.h"

#define FLAKE_LOCK_MAX (16u * 1024 * 1024)	/* the largest flake.lock read */

/* A flake's directory and what is in it. */
struct flake_dir {
	char dir[PATH_MAX];		/* its real path */
	char nix_file[PATH_MAX];	/* DIR/flake.nix */
	char lock_file[PATH_MAX];	/* DIR/flake.lock */
	char ref[PATH_MAX + 8];		/* what Nix is given: path:DIR */
};

/*
 * DIR (default ".") resolved. Returns 0, ERR_NOTFOUND naming a missing DIR, ERR_INVALID
 * for a file, or for a path Nix cannot take in a flake reference (a space, '#', '%', ...).
 */
int flake_dir_open(const char *dir, struct flake_dir *fd);

/*
 * DIR/flake.nix into TEXT (appended) and its inputs into IN (release it). Returns 0,
 * ERR_NOTFOUND "no flake.nix in DIR" (with what makes one), or nix_inputs_read's error.
 */
int flake_read_nix(const struct flake_dir *fd, struct buf *text, struct nix_inputs *in);

/*
 * DIR/flake.lock's direct inputs into *DIRECT (an empty object when there is none, then
 * *EXISTS false). Returns 0 or flake_lock_parse's error.
 */
int flake_read_lock(const struct flake_dir *fd, json_t **direct, bool *exists);

/*
 * Follow the path: inputs IN of the flake in DIR, and theirs: one that names no directory
 * or one without flake.nix is an error naming the input, its URL and the flake it is an
 * input of; so is a cycle, named input by input. Returns 0 or ERR_INVALID.
 */
int flake_walk_check(const char *dir, const struct nix_inputs *in);

/*
 * The error Nix gave (err_msg()), named: after the input whose URL it quotes ("input 'b'
 * (path:/x) of DIR: ..."), else after DIR. Returns ERR_IO.
 */
int flake_nix_error(const struct nix_inputs *in, const char *dir);

/* Append TOPIC with PAYLOAD (its reference taken; NULL: out of memory) to CTX's ledger; a failure kept in ERR, MSG. */
void flake_record(const struct flake_ctx *ctx, const char *topic, json_t *payload, int *err, char *msg, size_t len);

/* The nix's flake op, or ERR_UNSUPPORTED when the back end has none. */
int flake_run(const struct flake_ctx *ctx, enum nix_flake_verb verb, const char *ref, const char *input, struct buf *out);

#endif
