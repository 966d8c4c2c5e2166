/*
 * API tokens: a random secret shown once at creation; only its SHA3-256 is kept, in
 * STATE_DIR/tokens.json (0600, replaced atomically), with the token's name, role, creation,
 * expiry and last use. Creation and revocation are ledger events (token.created,
 * token.revoked) that carry the name and role, never the token or its hash.
 */
#ifndef CHIMERA_APP_AUTH_TOKENS_H
#define CHIMERA_APP_AUTH_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "ports/ledger.h"

#define TOKEN_NAME_MAX 64	/* [A-Za-z0-9._-], 1..63 characters */
#define TOKEN_TEXT_MAX 80	/* "chm_" + 43 base64url characters + NUL, with room */

enum token_role {
	TOKEN_ROLE_NONE,	/* no token: public routes only */
	TOKEN_ROLE_VIEWER,	/* reads */
	TOKEN_ROLE_OPERATOR,	/* also deploys, rolls back, execs, releases, runs pipelines */
	TOKEN_ROLE_ADMIN,	/* also secrets and tokens */
};

const char *token_role_name(enum token_role r);

/* "viewer", "operator" or "admin" into *OUT. Returns 0, or ERR_INVALID naming S and the expected words. */
int token_role_parse(const char *s, enum token_role *out);

/* 0, or ERR_INVALID naming NAME and the expected form. */
int token_name_check(const char *name);

struct token_info {
	char name[TOKEN_NAME_MAX];
	enum token_role role;
	int64_t created_ms;	/* wall clock */
	int64_t expires_ms;	/* 0: never */
	int64_t last_used_ms;	/* 0: never used */
	int revoked;
	int64_t revoked_ms;
};

/*
 * Create token NAME with ROLE, expiring EXPIRES_MS from now (0: never): the secret into
 * TOKEN (TOKEN_TEXT_MAX bytes), its hash and INFO into STATE_DIR/tokens.json, token.created
 * into L (may be NULL). Returns 0, ERR_EXISTS when a live token has NAME, ERR_INVALID, or
 * ERR_IO naming the file.
 */
int tokens_create(const char *state_dir, struct ledger *l, const char *name, enum token_role role,
		  int64_t expires_ms, char *token, struct token_info *info);

/* Every token of the file, revoked ones included, in creation order (*OUT malloc'd). */
int tokens_list(const char *state_dir, struct token_info **out, size_t *n);

/* Revoke NAME (token.revoked into L, may be NULL). Returns 0, ERR_NOTFOUND, or ERR_IO. */
int tokens_revoke(const char *state_dir, struct ledger *l, const char *name);

/* tokens_list's answer as `chimera tokens list --json` prints it (a JSON array). Caller frees. */
char *tokens_list_json(const struct token_info *t, size_t n);

/*
 * A lifetime for WHAT (how messages open: "bad --expires"): a whole number with
 * s, m, h, d or w ("30d"), at most 100 years, into *MS; "never" is 0. Returns 0, or
 * ERR_INVALID naming WHAT, S and the expected form.
 */
int token_duration_parse(const char *what, const char *s, int64_t *ms);

/* What `chimera tokens create --json` prints: {"name", "role", "created", "expires", "token"}. Caller frees. */
char *tokens_created_json(const struct token_info *info, const char *token);

/* What `chimera tokens revoke --json` prints: {"name", "revoked": true}. Caller frees. */
char *tokens_revoked_json(const char *name);

/*
 * What a server checks bearer tokens against: the file, read again when it changes
 * (a `chimera tokens create` or `revoke` while the server runs takes effect at the next
 * request). Safe to use from many threads.
 */
struct token_store;

int token_store_open(const char *state_dir, struct token_store **out);
void token_store_close(struct token_store *s);	/* writes last uses first */

enum token_verdict {
	TOKEN_OK,
	TOKEN_UNKNOWN,		/* no such token (or malformed) */
	TOKEN_REVOKED,
	TOKEN_EXPIRED,
};

/*
 * Check TOKEN (as sent after "Bearer "): the verdict, and on TOKEN_OK the token's INFO
 * (its last use set to now; written to the file at most once a minute, and at close).
 * Compares hashes in constant time.
 */
enum token_verdict token_store_check(struct token_store *s, const char *token, struct token_info *info);

#endif
