/* flake.nix's inputs: read them, and add one in place, keeping every other byte of the file. */
#ifndef CHIMERA_FORMATS_NIX_EDIT_H
#define CHIMERA_FORMATS_NIX_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define NIX_EDIT_TEXT_MAX (4u * 1024 * 1024)	/* the longest flake.nix read */
#define NIX_INPUT_NAME_MAX 100			/* the longest input name added */

/* One input of a flake, as flake.nix writes it. */
struct nix_input {
	char *name;
	char *url;		/* its url as written (a string or a bare URI), or NULL: none, or not a plain string */
	char *follows;		/* `follows = "A/B"`, or NULL */
	bool no_flake;		/* `flake = false` */
	unsigned line, col;	/* where flake.nix first names it (1-based) */
};

/* What nix_inputs_read found. */
struct nix_inputs {
	struct nix_input *v;	/* in the order flake.nix first names them */
	size_t n;
	char *description;	/* the top-level `description` when a plain string, else NULL */
};

/*
 * Read the inputs of the flake.nix TEXT (LEN bytes; FILE names it in messages): the
 * top-level `inputs = { NAME.url = "..."; ... };` and `inputs.NAME.url = "...";` bindings,
 * each input's url, follows and flake = false. Inputs whose name is computed (${...}) are
 * left out. OUT is cleared first and released by nix_inputs_release, also after a failure.
 * Returns 0; ERR_INVALID "FILE:LINE:COL: WHAT" when TEXT is not a Nix attribute set
 * (an unclosed string, comment or bracket, a binding without '=' or ';', ...); ERR_LIMIT
 * past NIX_EDIT_TEXT_MAX bytes or deep nesting; ERR_NOMEM.
 */
int nix_inputs_read(const char *text, size_t len, const char *file, struct nix_inputs *out);

void nix_inputs_release(struct nix_inputs *in);

/* The input named NAME in IN, or NULL. */
const struct nix_input *nix_inputs_find(const struct nix_inputs *in, const char *name);

/*
 * Whether NAME may name an input: a Nix identifier ([A-Za-z_][A-Za-z0-9_'-]*, at most
 * NIX_INPUT_NAME_MAX bytes) that is no keyword and not "self". Returns 0, or ERR_INVALID
 * "bad input name 'NAME': ..." saying what is expected.
 */
int nix_input_name_check(const char *name);

/* Where nix_edit_add_input put the new input. */
struct nix_edit_at {
	size_t offset;		/* the byte of TEXT before which the insertion went */
	size_t len;		/* how many bytes were inserted */
	unsigned line, col;	/* where the new binding starts in the result */
};

/*
 * Write into OUT (reset first) the flake.nix TEXT with the input NAME (checked by
 * nix_input_name_check) of URL (any text: written as a Nix string, escaped) added, as one
 * insertion and nothing else changed: `NAME.url = "URL";` into an `inputs = { ... };` set
 * (on a line of its own, indented as its other inputs, when the set spans lines), else
 * `inputs.NAME.url = "URL";` after the last `inputs.X...` binding, else before `outputs`.
 * AT (may be NULL) gets where. Returns 0; ERR_INVALID for a bad NAME or a TEXT
 * nix_inputs_read refuses (with FILE:LINE:COL); ERR_EXISTS when NAME is an input already
 * (with its FILE:LINE:COL); ERR_UNSUPPORTED when `inputs` is not written as a plain
 * attribute set (`inputs = import ./inputs.nix;`), naming where; ERR_NOMEM.
 */
int nix_edit_add_input(const char *text, size_t len, const char *file, const char *name, const char *url,
		       struct buf *out, struct nix_edit_at *at);

#endif
