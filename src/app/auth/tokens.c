/* API tokens: names, roles and lifetimes; create, list and revoke in STATE_DIR/tokens.json; their JSON. */
#include "app/auth/tokens_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "util/banned.h"

#define NAME_FORM "expected 1 to 63 characters of A-Z, a-z, 0-9, '.', '_' and '-'"
#define ROLE_FORM "expected viewer, operator or admin"
#define DURATION_FORM "expected a whole number with s, m, h, d or w (30d), or never"
#define DURATION_MAX_MS (100LL * 365 * 86400 * 1000)

static const char *const role_names[] = {
	[TOKEN_ROLE_NONE] = "none",
	[TOKEN_ROLE_VIEWER] = "viewer",
	[TOKEN_ROLE_OPERATOR] = "operator",
	[TOKEN_ROLE_ADMIN] = "admin",
};

const char *token_role_name(enum token_role r)
{
	if ((unsigned)r < sizeof(role_names) / sizeof(role_names[0]))
		return role_names[r];
	return "unknown";
}

int token_role_parse(const char *s, enum token_role *out)
{
	int r;

	for (r = TOKEN_ROLE_VIEWER; r <= TOKEN_ROLE_ADMIN; r++)
		if (s && strcmp(s, role_names[r]) == 0) {
			*out = (enum token_role)r;
			return 0;
		}
	return err_bad_input("bad role", s ? s : "", s ? strlen(s) : 0, NULL, ROLE_FORM);
}

int token_name_check(const char *name)
{
	size_t i, n = name ? strnlen(name, TOKEN_NAME_MAX) : 0;

	if (n == 0 || n >= TOKEN_NAME_MAX)
		return err_bad_input("bad token name", name ? name : "", name ? strlen(name) : 0,
				     n ? "too long" : "empty", NAME_FORM);
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return err_bad_input("bad token name", name, n, NULL, NAME_FORM);
	}
	return 0;
}

int token_duration_parse(const char *what, const char *s, int64_t *ms)
{
	static const struct { char c; int64_t ms; } units[] = {
		{ 's', 1000LL }, { 'm', 60000LL }, { 'h', 3600000LL }, { 'd', 86400000LL }, { 'w', 604800000LL },
	};
	int64_t v = 0;
	size_t i = 0, u;

	if (s && strcmp(s, "never") == 0) {
		*ms = 0;
		return 0;
	}
	for (; s && s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > DURATION_MAX_MS / 1000)
			return err_bad_input(what, s, strlen(s), "more than 100 years", DURATION_FORM);
	}
	for (u = 0; s && i > 0 && u < sizeof(units) / sizeof(units[0]); u++) {
		if (s[i] != units[u].c || s[i + 1] != '\0')
			continue;
		if (v == 0)
			return err_bad_input(what, s, strlen(s), "it must be more than 0", DURATION_FORM);
		if (v > DURATION_MAX_MS / units[u].ms)
			return err_bad_input(what, s, strlen(s), "more than 100 years", DURATION_FORM);
		*ms = v * units[u].ms;
		return 0;
	}
	return err_bad_input(what, s ? s : "", s ? strlen(s) : 0, NULL, DURATION_FORM);
}

/* N bytes at P as base64url without padding into OUT (4 * N / 3 + 2 bytes). */
static void base64url(const uint8_t *p, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			*out++ = abc[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		*out++ = abc[(acc << (6 - bits)) & 63];
	*out = '\0';
}

/* A new secret: "chm_" and 32 bytes of getrandom(2) in base64url, into TOKEN (TOKEN_TEXT_MAX bytes). */
static int token_make(char *token)
{
	uint8_t rnd[TOKEN_RANDOM_BYTES];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(rnd)) {
		n = getrandom(rnd + got, sizeof(rnd) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_set_errno(ERR_IO, errno, "cannot read random bytes for a token");
		got += (size_t)n;
	}
	memcpy(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX));
	base64url(rnd, sizeof(rnd), token + strlen(TOKEN_PREFIX));
	explicit_bzero(rnd, sizeof(rnd));
	return 0;
}

/* MS as UTC text, or JSON null for 0 (never). */
static json_t *time_json(int64_t ms)
{
	char t[CLOCK_UTC_LEN];

	if (ms <= 0)
		return json_null();
	clock_format_utc(ms, t);
	return json_string(t);
}

/* Append TOPIC with PAYLOAD (the reference is taken) to L. */
static int record(struct ledger *l, const char *topic, json_t *payload)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int r;

	json_decref(payload);
	if (!text)
		return err_set(ERR_NOMEM, "out of memory");
	r = ledger_append1(l, topic, NULL, NULL, text, NULL);
	free(text);
	return r;
}

static bool live(const struct token_info *t, int64_t now)
{
	return !t->revoked && (t->expires_ms == 0 || t->expires_ms > now);
}

/* The checks of tokens_create's input. */
static int create_args(const char *name, enum token_role role, int64_t expires_ms, int64_t now)
{
	int r;

	if ((r = token_name_check(name)) < 0)
		return r;
	if (role < TOKEN_ROLE_VIEWER || role > TOKEN_ROLE_ADMIN)
		return err_set(ERR_INVALID, "bad role %d for token '%s': %s", (int)role, name, ROLE_FORM);
	if (expires_ms < 0 || expires_ms > INT64_MAX - now)
		return err_set(ERR_INVALID, "bad lifetime %lld ms for token '%s': expected 0 (never) or more",
			       (long long)expires_ms, name);
	return 0;
}

/* Under the lock: add ROW to the file PATH unless a live token has its name, then tell L. */
static int create_locked(const char *path, struct ledger *l, const struct token_row *row)
{
	struct token_file f = { 0 };
	char why[512];
	size_t i;
	int r;

	if ((r = tokens_file_read(path, &f, NULL)) < 0)
		return r;
	for (i = 0; i < f.n; i++)
		if (strcmp(f.rows[i].info.name, row->info.name) == 0 && live(&f.rows[i].info, row->info.created_ms)) {
			r = err_set(ERR_EXISTS, "a live token is named '%s' (role %s): revoke it first or pick another name",
				    row->info.name, token_role_name(f.rows[i].info.role));
			tokens_file_free(&f);
			return r;
		}
	if ((r = tokens_file_add(&f, row)) == 0 && (r = tokens_file_write(path, &f)) == 0 && l &&
	    (r = record(l, "token.created",
			json_pack("{s:s, s:s, s:o}", "name", row->info.name, "role", token_role_name(row->info.role),
				  "expires", time_json(row->info.expires_ms)))) < 0) {
		/* No token the ledger does not know of: take the row out again. */
		snprintf(why, sizeof(why), "%s", err_msg());
		f.n--;
		if (tokens_file_write(path, &f) < 0)
			r = err_set(r, "token '%s' was created, but the ledger did not take the token.created event (%s) "
				    "and taking it out failed: %s; revoke it", row->info.name, why, err_msg());
		else
			r = err_set(r, "token '%s' not created: the ledger did not take the token.created event: %s",
				    row->info.name, why);
	}
	tokens_file_free(&f);
	return r;
}

int tokens_create(const char *state_dir, struct ledger *l, const char *name, enum token_role role,
		  int64_t expires_ms, char *token, struct token_info *info)
{
	char path[PATH_MAX], secret[TOKEN_TEXT_MAX] = "";
	struct token_row row;
	int64_t now = clock_wall_ms();
	int fd = -1, r;

	token[0] = '\0';
	memset(&row, 0, sizeof(row));
	if (info)
		memset(info, 0, sizeof(*info));
	if ((r = create_args(name, role, expires_ms, now)) < 0 ||
	    (r = tokens_path(state_dir, TOKENS_FILE, path, sizeof(path))) < 0)
		return r;
	snprintf(row.info.name, sizeof(row.info.name), "%s", name);
	row.info.role = role;
	row.info.created_ms = now;
	row.info.expires_ms = expires_ms ? now + expires_ms : 0;
	if ((r = token_make(secret)) < 0 || (r = tokens_hash(secret, strlen(secret), row.hash)) < 0 ||
	    (r = tokens_lock(state_dir, &fd)) < 0) {
		explicit_bzero(secret, sizeof(secret));
		return r;
	}
	r = create_locked(path, l, &row);
	tokens_unlock(fd);
	if (r == 0) {
		memcpy(token, secret, sizeof(secret));
		if (info)
			*info = row.info;
	}
	explicit_bzero(secret, sizeof(secret));
	return r;
}

int tokens_list(const char *state_dir, struct token_info **out, size_t *n)
{
	struct token_file f = { 0 };
	char path[PATH_MAX];
	size_t i;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = tokens_path(state_dir, TOKENS_FILE, path, sizeof(path))) < 0 ||
	    (r = tokens_file_read(path, &f, NULL)) < 0)
		return r;
	if (f.n && !(*out = malloc(f.n * sizeof(**out)))) {
		tokens_file_free(&f);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < f.n; i++)
		(*out)[i] = f.rows[i].info;
	*n = f.n;
	tokens_file_free(&f);
	return 0;
}

/* Under the lock: mark every token named NAME that is not revoked yet as revoked at NOW. */
static int revoke_locked(const char *path, const char *name, int64_t now)
{
	struct token_file f = { 0 };
	size_t i, hit = 0;
	int r;

	if ((r = tokens_file_read(path, &f, NULL)) < 0)
		return r;
	for (i = 0; i < f.n; i++)
		if (strcmp(f.rows[i].info.name, name) == 0 && !f.rows[i].info.revoked) {
			f.rows[i].info.revoked = 1;
			f.rows[i].info.revoked_ms = now;
			hit++;
		}
	if (hit == 0)
		r = err_set(ERR_NOTFOUND, "no token named '%s' to revoke ('chimera tokens list' shows them)", name);
	else
		r = tokens_file_write(path, &f);
	tokens_file_free(&f);
	return r;
}

int tokens_revoke(const char *state_dir, struct ledger *l, const char *name)
{
	char path[PATH_MAX];
	int fd = -1, r;

	if ((r = token_name_check(name)) < 0 || (r = tokens_path(state_dir, TOKENS_FILE, path, sizeof(path))) < 0 ||
	    (r = tokens_lock(state_dir, &fd)) < 0)
		return r;
	r = revoke_locked(path, name, clock_wall_ms());
	tokens_unlock(fd);
	if (r == 0 && l && (r = record(l, "token.revoked", json_pack("{s:s}", "name", name))) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err_msg());
		r = err_set(r, "token '%s' was revoked, but the ledger did not take the token.revoked event: %s", name, why);
	}
	return r;
}

/* Where token T stands at NOW: "active", "expired" or "revoked". */
static const char *state_name(const struct token_info *t, int64_t now)
{
	if (t->revoked)
		return "revoked";
	return live(t, now) ? "active" : "expired";
}

char *tokens_list_json(const struct token_info *t, size_t n)
{
	json_t *list = json_array();
	int64_t now = clock_wall_ms();
	size_t i;

	for (i = 0; list && i < n; i++) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "name", t[i].name, "role",
				      token_role_name(t[i].role), "state", state_name(&t[i], now), "created",
				      time_json(t[i].created_ms), "expires", time_json(t[i].expires_ms), "last_used",
				      time_json(t[i].last_used_ms), "revoked", time_json(t[i].revoked ? t[i].revoked_ms : 0));

		if (json_array_append_new(list, o) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return json_render(list);
}

char *tokens_created_json(const struct token_info *info, const char *token)
{
	return json_render(json_pack("{s:s, s:s, s:o, s:o, s:s}", "name", info->name, "role",
				     token_role_name(info->role), "created", time_json(info->created_ms), "expires",
				     time_json(info->expires_ms), "token", token));
}

char *tokens_revoked_json(const char *name)
{
	return json_render(json_pack("{s:s, s:b}", "name", name, "revoked", 1));
}
