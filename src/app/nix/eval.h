/*
 * Use case: `chimera nix eval`: an expression, or a file [-A ATTR], evaluated strictly by
 * the nix port; the value as Nix prints it or as JSON, Nix's error with its position, and
 * the event nix.expression.evaluated.
 */
#ifndef CHIMERA_APP_NIX_EVAL_H
#define CHIMERA_APP_NIX_EVAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ports/ledger.h"
#include "ports/nix.h"
#include "util/hash.h"

#define NIX_EVAL_VALUE_MAX (64u * 1024 * 1024)	/* the most of a value printed that is taken */

/* Where Nix said an error is: "at FILE:LINE:COLUMN:" in its message. */
struct nix_errpos {
	bool set;		/* Nix named a position */
	bool expr;		/* it is in the expression given (Nix's "«string»"); FILE is then "" */
	char file[PATH_MAX];
	unsigned line, column;	/* from 1 */
};

/*
 * The first position Nix's error message MSG names: a line that is, after blanks,
 * "at FILE:LINE:COLUMN:" (Nix 2.4 and later). Returns true with OUT set, else false with OUT
 * cleared. FILE holds no control character; LINE and COLUMN are from 1 to 999999999.
 */
bool nix_errpos_find(const char *msg, size_t len, struct nix_errpos *out);

struct nix_eval_opts {
	const char *expr;	/* EXPR, or NULL */
	const char *file;	/* -f FILE (a .nix file or a directory with default.nix), or NULL */
	const char *attr;	/* -A ATTR with FILE, or NULL */
	bool json;		/* the value as JSON */
};

struct nix_eval_ctx {
	struct nix *nix;
	struct ledger *ledger;	/* where the event goes; NULL: none */
};

struct nix_eval_report {
	bool ok;			/* evaluated: VALUE; else ERROR and POS */
	bool json;
	char *value;			/* as printed (JSON text with json); owned */
	char *error;			/* Nix's error (its text, then where); owned */
	struct nix_errpos pos;
	char *expr;			/* the expression, or NULL; owned */
	char file[PATH_MAX];		/* the file's real path, "" for an expression */
	char *attr;			/* or NULL; owned */
	char expression_sha256[SHA3_256_HEX];
	char result_sha256[SHA3_256_HEX];	/* "" when it failed */
	const char *result_form;	/* "json", or "text" for a value with no JSON */
	int64_t ms;
	int ledger_err;			/* the event was not taken: its error */
	char ledger_msg[256];
};

/*
 * Evaluate O with CTX's nix into REP (release it with nix_eval_report_release) and, when it
 * evaluated, record nix.expression.evaluated. Without json, the value is evaluated a second
 * time as JSON for the event's result_sha256 (as Nix prints it when it has no JSON: a
 * function). Returns 0 with REP filled, REP->ok saying whether Nix evaluated it (else its
 * error and position are in REP); ERR_INVALID for bad options (no expression nor file, both,
 * -A without a file, a bad attribute path, a file that does not exist); ERR_UNSUPPORTED when
 * the nix has no eval; or the port's error (Nix missing, a value too big).
 */
int nix_eval_run(const struct nix_eval_ctx *ctx, const struct nix_eval_opts *o, struct nix_eval_report *rep);

void nix_eval_report_release(struct nix_eval_report *rep);

/*
 * REP as `chimera nix eval --json` prints it: {"ok": true, "value": VALUE (the JSON value, or
 * Nix's text), "json", "expression", "file", "attr", "expression_sha256", "result_sha256",
 * "ms"}, or {"ok": false, "error", "position": {file, line, column} or null, ...}. The text
 * (the caller frees it), or NULL when out of memory.
 */
char *nix_eval_report_json(const struct nix_eval_report *rep);

#endif
