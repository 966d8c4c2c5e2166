/*
 * Secrets for admins: list, grant, revoke, as `chimera secrets list|grant|revoke` do them
 * (cmd_secrets.c), answered at once (they only change the store). No route returns a
 * secret's value; a grant or revoke is recorded with "by": the token's name.
 */
#include "api/act_parse.h"
#include "api/api_internal.h"
#include "app/fleet/secrets.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* The store's failure as an answer: a missing secret 404, a bad key 400, the rest 500. */
static void store_error(struct api_call *c, int r)
{
	if (r == ERR_NOTFOUND)
		api_error(c, 404, "not_found", "%s (GET %s/secrets lists them)", err_msg(), API_PREFIX);
	else if (r == ERR_INVALID)
		api_error(c, 400, "bad_field", "%s", err_msg());
	else
		api_error(c, 500, "secrets", "%s", err_msg());
}

static void get_secrets(struct api_call *c)
{
	struct world *w = api_world_get(c->api);
	struct secrets_store st;
	struct secrets_entry *e = NULL;
	const char *dir;
	size_t n = 0;
	int r;

	memset(&st, 0, sizeof(st));
	st.lock_fd = -1;
	if ((r = world_state_dir(w, &dir)) < 0 || (r = secrets_open_read(&st, dir, world_cipher(w))) < 0 ||
	    (r = secrets_list(&st, &e, &n)) < 0)
		store_error(c, r);
	else
		api_json_text(c, 200, secrets_list_json(e, n));
	secrets_list_free(e, n);
	secrets_close(&st);
	api_world_put(c->api, w);
}

/* G's grant keys into *KEYS: its own, or its targets' (a machine's name, else user@host:port). */
static int grant_keys(struct api_call *c, struct world *w, const struct act_grant *g, char ***keys, size_t *n)
{
	const struct inventory *inv;
	struct target_list tl;
	size_t i;

	*n = 0;
	if (!g->targets) {
		if (!(*keys = calloc(g->nkeys, sizeof(**keys))))
			goto nomem;
		for (i = 0; i < g->nkeys; i++, (*n)++)
			if (!((*keys)[i] = strdup(g->keys[i])))
				goto nomem;
		return 0;
	}
	if (api_targets(c, w, g->targets, &tl) < 0)
		return -1;
	world_inventory(w, &inv);
	if (!(*keys = calloc(tl.n ? tl.n : 1, sizeof(**keys)))) {
		target_list_release(&tl);
		goto nomem;
	}
	for (i = 0; i < tl.n; i++, (*n)++) {
		if (!((*keys)[i] = malloc(SECRETS_KEY_MAX + 1))) {
			target_list_release(&tl);
			goto nomem;
		}
		secrets_target_key(inv, &tl.items[i], (*keys)[i], SECRETS_KEY_MAX + 1);
	}
	target_list_release(&tl);
	return 0;
nomem:
	api_error(c, 500, "internal", "out of memory");
	return -1;
}

/* Grant or revoke G's keys, recorded by the caller's name; the answer is the CLI's --json. */
static void change(struct api_call *c, struct world *w, const struct act_grant *g, char **keys, size_t n, bool grant)
{
	struct secrets_store st;
	struct ledger *l = api_ledger(c->api);
	const char *dir;
	size_t changed = 0;
	int r;

	memset(&st, 0, sizeof(st));
	st.lock_fd = -1;
	if (!l) {
		api_error(c, 503, "ledger_unavailable", "the ledger cannot be opened: %s", err_msg());
		return;
	}
	if ((r = world_state_dir(w, &dir)) < 0 || (r = secrets_open(&st, dir, world_cipher(w), l)) < 0) {
		store_error(c, r);
	} else {
		st.by = c->caller;
		r = grant ? secrets_grant(&st, g->name, (const char *const *)keys, n, &changed)
			  : secrets_revoke(&st, g->name, (const char *const *)keys, n, &changed);
		if (r < 0)
			store_error(c, r);
		else
			api_json_text(c, 200, secrets_grant_json(g->name, (const char *const *)keys, n, grant, changed));
	}
	secrets_close(&st);
}

static void grant_or_revoke(struct api_call *c, bool grant)
{
	struct act_grant g;
	struct world *w;
	char msg[1024], **keys = NULL;
	size_t n = 0;
	json_t *body;

	if (api_body(c, &body) < 0)
		return;
	if (act_parse_grant(c->param[0], body, &g, msg, sizeof(msg)) < 0) {
		api_error(c, 400, "bad_field", "%s", msg);
	} else {
		w = api_world_get(c->api);
		if (grant_keys(c, w, &g, &keys, &n) == 0)
			change(c, w, &g, keys, n, grant);
		api_world_put(c->api, w);
	}
	if (keys)
		secrets_strv_free(keys, n);
	act_grant_release(&g);
	json_decref(body);
}

static void post_grant(struct api_call *c)
{
	grant_or_revoke(c, true);
}

static void post_revoke(struct api_call *c)
{
	grant_or_revoke(c, false);
}

const struct api_route api_routes_secrets[] = {
	{ "GET", API_PREFIX "/secrets", TOKEN_ROLE_ADMIN, get_secrets, false },
	{ "POST", API_PREFIX "/secrets/{name}/grant", TOKEN_ROLE_ADMIN, post_grant, true },
	{ "POST", API_PREFIX "/secrets/{name}/revoke", TOKEN_ROLE_ADMIN, post_revoke, true },
	{ NULL, NULL, 0, NULL, false },
};
