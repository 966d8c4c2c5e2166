/* What deploy does on a node's session around its steps: the secrets before activation, a session after. */
#ifndef CHIMERA_APP_FLEET_DEPLOY_HOOKS_H
#define CHIMERA_APP_FLEET_DEPLOY_HOOKS_H

#include <stdbool.h>

#include "app/config/inventory.h"
#include "app/fleet/deploy.h"
#include "app/fleet/secrets.h"

struct deploy_hooks {
	const struct inventory *inv;
	const struct fleet *fleet;
	struct secrets_store st;
	bool secrets;		/* the store is in use: push (and remove revoked ones) */
	const char *session;	/* -s SESSION, or NULL */
	const char *command;	/* its command */
};

/*
 * Set H up and hook it into O (before: the secrets, once the store in STATE_DIR has been
 * used (secrets_policy), read with CIPHER; after: SESSION with COMMAND, when SESSION is not NULL). H is closed with
 * deploy_hooks_close, also after a failure. Returns 0 or the store's error.
 */
int deploy_hooks_open(struct deploy_hooks *h, const struct inventory *inv, const struct fleet *fleet,
		      const char *state_dir, const struct cipher *cipher, const char *session, const char *command,
		      struct deploy_opts *o);

void deploy_hooks_close(struct deploy_hooks *h);

#endif
