/* What deploy does on a node's session around its steps: the secrets before activation, a session after. */
#include "app/fleet/deploy_hooks.h"
#include "app/fleet/secrets_push.h"
#include "app/fleet/sessions.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* Before activation: every secret granted to the node, and none that is not. */
static int hook_secrets(struct deploy_node *n, struct executor *ex, struct exec_session *s, void *arg)
{
	struct deploy_hooks *h = arg;

	return secrets_push_node(&h->st, h->fleet, h->inv, ex, s, &n->target, n->name, n->deployment, &n->fail);
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
		      const char *state_dir, const struct cipher *cipher, const char *session, const char *command,
		      struct deploy_opts *o)
{
	int r;

	memset(h, 0, sizeof(*h));
	h->inv = inv;
	h->fleet = fleet;
	h->session = session;
	h->command = command;
	/* Secrets go out once the store has been used (so revoked ones are removed too). */
	if ((r = secrets_policy(&h->st, state_dir, cipher, &h->secrets)) < 0)
		return r;
	if (h->secrets)
		o->before = hook_secrets;
	if (session)
		o->after = hook_session;
	o->hook_arg = h;
	return 0;
}

void deploy_hooks_close(struct deploy_hooks *h)
{
	secrets_close(&h->st);
	h->secrets = false;
}
