/*
 * Use cases: `chimera nix flake`: a flake made from a template shipped in the binary, an
 * input written into flake.nix and locked, the lock made or updated, its metadata read from
 * flake.lock, its outputs shown and checked; each change recorded as an nix.flake.* event.
 * A flake is named by its directory; Nix is given it as path:DIR (offline, every file seen).
 */
#ifndef CHIMERA_APP_NIX_FLAKE_H
#define CHIMERA_APP_NIX_FLAKE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "ports/ledger.h"
#include "ports/nix.h"

struct json_t;

/* What the flake use cases run on. */
struct flake_ctx {
	struct nix *nix;	/* the nix port: its flake and flake_track */
	struct ledger *ledger;	/* where the events go; NULL: none */
};

/* A template's file, as shipped. */
struct flake_template_file {
	const char *path;		/* relative to the flake's directory */
	const char *data;
	const unsigned long *len;
};

struct flake_template {
	const char *name;
	const char *summary;
	const struct flake_template_file *files;
	size_t n;
};

/* Every template (static); *N gets how many. */
const struct flake_template *flake_templates(size_t *n);

/* The template NAME, or NULL. */
const struct flake_template *flake_template_find(const char *name);

#define FLAKE_TEMPLATE_DEFAULT "fleet"

/* What `flake init` did. */
struct flake_init_report {
	char dir[PATH_MAX];		/* the flake's real path */
	const char *template;		/* its name (static) */
	const struct flake_template *tpl;
	bool git_init;			/* a git repository was made there (and the files added) */
	char *git_note;			/* NULL, or why git was not run / the repository it is in; owned */
	int ledger_err;
	char ledger_msg[256];
};

/*
 * Write TEMPLATE's files (NULL: FLAKE_TEMPLATE_DEFAULT) into DIR (made when missing), none
 * of them over a file there; then, when DIR is in no git work tree, `git init` it and add
 * them; record nix.flake.created. Returns 0 with REP filled (release it); ERR_INVALID for an
 * unknown template (naming the ones there are); ERR_EXISTS naming the files already there
 * (nothing written); ERR_IO naming a file that could not be written.
 */
int flake_init(const struct flake_ctx *ctx, const char *dir, const char *template, struct flake_init_report *rep);

void flake_init_report_release(struct flake_init_report *rep);

/* {"dir", "template", "files": [...], "git_init", "git_note"} (the caller frees it; NULL when out of memory). */
char *flake_init_json(const struct flake_init_report *rep);

/* What `flake add-input`, `flake lock` and `flake update` did. */
struct flake_lock_report {
	char dir[PATH_MAX];
	const char *verb;		/* "add-input", "lock" or "update" */
	char *input;			/* add-input's NAME, or update's INPUT; else NULL; owned */
	char *url;			/* add-input's URL; owned */
	unsigned line, col;		/* add-input: where flake.nix now names it */
	struct json_t *inputs;		/* every direct input -> its `locked` object from flake.lock (null: none) */
	struct json_t *updated;		/* the direct inputs whose `locked` changed (or that are new), in order */
	int ledger_err;
	char ledger_msg[256];
};

/*
 * Add the input NAME (nix_input_name_check) of URL (a flake reference, core/flakeref.h, no
 * '#ATTR') to DIR/flake.nix as one insertion (formats/nix_edit.h), then lock that input;
 * record nix.flake.input_added. A path: input must be a directory with a flake.nix, and
 * must not lead back to DIR through its own inputs. On any failure flake.nix is left as
 * it was. Returns 0 with REP filled; ERR_INVALID (bad name or URL, a flake.nix that does not
 * read, naming FILE:LINE:COL), ERR_EXISTS (an input of that name), ERR_NOTFOUND (no
 * flake.nix), ERR_UNSUPPORTED, or ERR_IO with Nix's error after the input and URL.
 */
int flake_add_input(const struct flake_ctx *ctx, const char *dir, const char *name, const char *url,
		    struct flake_lock_report *rep);

/*
 * Whether URL may be input NAME's: a flake reference chimera reads (core/flakeref.h) that
 * names a whole flake (no '#ATTR'). Returns 0, or ERR_INVALID naming the input and the URL.
 */
int flake_url_check(const char *name, const char *url);

/*
 * `nix flake lock` DIR (UPDATE false: what is not locked yet) or update it (UPDATE true:
 * every input, or only INPUT when not NULL, which must be one of flake.nix's inputs);
 * record nix.flake.locked or nix.flake.updated. Before Nix runs, every path: input is
 * followed: one that is missing or has no flake.nix, and a cycle of inputs, are errors that
 * name each input and URL. Returns 0 with REP filled, or the error.
 */
int flake_lock(const struct flake_ctx *ctx, const char *dir, bool update, const char *input,
	       struct flake_lock_report *rep);

void flake_lock_report_release(struct flake_lock_report *rep);

/* {"dir", "verb", "input", "url", "inputs", "updated", "lock_file"}: the caller frees it. */
char *flake_lock_json(const struct flake_lock_report *rep);

/* What `flake metadata` read. */
struct flake_metadata_report {
	char dir[PATH_MAX];
	char *description;		/* flake.nix's, or NULL; owned */
	bool lock_file;			/* DIR/flake.lock exists */
	struct json_t *inputs;		/* the tree of inputs: [{name, path, node, follows, url, rev, narHash, lastModified, locked, original, inputs}] */
	struct json_t *unlocked;	/* flake.nix's inputs flake.lock lacks */
};

/*
 * Read DIR/flake.nix's inputs and DIR/flake.lock: every input, nested ones too, with its
 * locked revision, narHash and lastModified, `follows` resolved to the node it names.
 * Nix is not run. Returns 0 with REP filled (release it); ERR_NOTFOUND without flake.nix,
 * or with inputs and no flake.lock; ERR_INVALID for a flake.lock that does not read.
 */
int flake_metadata(const char *dir, struct flake_metadata_report *rep);

void flake_metadata_report_release(struct flake_metadata_report *rep);

char *flake_metadata_json(const struct flake_metadata_report *rep);

/* What `flake show` and `flake check` found. */
struct flake_show_report {
	char dir[PATH_MAX];
	struct json_t *outputs;		/* show: `nix flake show --json`'s tree */
	bool ok;			/* check: it passed; else ERROR */
	char *error;			/* check: Nix's error, after the flake's directory; owned */
};

/* `nix flake show --json` of DIR into REP. Returns 0, or the error (ERR_IO: Nix's). */
int flake_show(const struct flake_ctx *ctx, const char *dir, struct flake_show_report *rep);

/* `nix flake check` of DIR: 0 with REP->ok, or with REP->error naming DIR; else an error before Nix ran. */
int flake_check(const struct flake_ctx *ctx, const char *dir, struct flake_show_report *rep);

void flake_show_report_release(struct flake_show_report *rep);

/* show: {"dir", "outputs"}; check: {"dir", "ok", "error"}. */
char *flake_show_json(const struct flake_show_report *rep);
char *flake_check_json(const struct flake_show_report *rep);

/*
 * flake.lock's TEXT (LEN bytes; FILE names it in messages) read: *DIRECT (an object: each
 * root input -> its `locked` object, follows resolved; null for one without) and, when TREE
 * is not NULL, *TREE as flake_metadata_report.inputs. Returns 0, or ERR_INVALID naming FILE
 * and what is wrong (not JSON, no root node, an input naming no node, follows that lead
 * nowhere or round in a loop); both NULL then.
 */
int flake_lock_parse(const char *text, size_t len, const char *file, struct json_t **direct, struct json_t **tree);

#endif
