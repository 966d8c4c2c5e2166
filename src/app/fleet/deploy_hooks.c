/* What deploy does on a node's session around its steps: the secrets before activation, a session after. */
#include "app/fleet/deploy_hooks.h"
#include "app/fleet/sessions.h"
#include "util/err.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* True once `chimera secrets` has made the store in STATE_DIR. */
static bool secrets_store_in_use(const char *state_dir)
{
	char dir[PATH_MAX + 16];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/secrets", state_dir);
	return stat(dir, &st) == 0;
}

/* Before activation: every secret granted to the node, and none that is not. */
static int hook_secrets(struct deploy_node *n, struct executor *ex, struct exec_session *s, void *arg)
{
	struct deploy_hooks *h = arg;
	struct secrets_push_report rep;
	char key[SECRETS_KEY_MAX + 1];
	int r;

	secrets_target_key(h->inv, &n->target, key, sizeof(key));
	r = secrets_push(&h->st, h->fleet, ex, s, key, secrets_owner_for(h->inv, &n->target), &rep, &n->fail);
	if (r < 0 && !n->fail.step)
		fleet_fail(&n->fail, "secrets", r);
	secrets_push_record(h->fleet->ledger, n->deployment, n->name, key, &rep, r < 0 ? &n->fail : NULL);
	secrets_push_report_release(&rep);
	return r;
}

/* After a node is deployed: -s SESSION -- CMD, in the new closure's PATH, replacing the last one. */
static int hook_session(struct deploy_node *n, struct executor *ex, struct exec_session *s, void *arg)
{
	struct deploy_hooks *h = arg;
	struct session_spec spec = { .name = h->session, .command = h->command, .path_dir = n->path, .replace = true };
	bool replaced = false;
	int r;

	r = sessions_start(ex, s, n->name, &spec, &replaced, &n->fail);
	if (r < 0 && !n->fail.step)
		fleet_fail(&n->fail, "session", r);
	if (h->fleet->ledger)
		fleet_record(h->fleet->ledger, "session.start", n->deployment, n->name,
			     json_pack("{s:s, s:s, s:s, s:b, s:b, s:s}", "session", h->session, "command", h->command,
				       "path", n->path, "ok", r == 0, "replaced", replaced, "error",
				       r == 0 ? "" : n->fail.message),
			     NULL);
	return r;
}

int deploy_hooks_open(struct deploy_hooks *h, const struct inventory *inv, const struct fleet *fleet,
		      const char *state_dir, const char *session, const char *command, struct deploy_opts *o)
{
	int r;

	memset(h, 0, sizeof(*h));
	h->inv = inv;
	h->fleet = fleet;
	h->session = session;
	h->command = command;
	/* Secrets go out once the store has been used (so revoked ones are removed too). */
	if (state_dir && secrets_store_in_use(state_dir)) {
		if ((r = secrets_open_read(&h->st, state_dir)) < 0)
			return r;
		h->secrets = true;
		o->before = hook_secrets;
	}
	if (session)
		o->after = hook_session;
	o->hook_arg = h;
	return 0;
}

void deploy_hooks_close(struct deploy_hooks *h)
{
	if (h->secrets)
		secrets_close(&h->st);
	h->secrets = false;
}
