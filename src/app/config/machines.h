/* The selected machines' own settings from the inventory: configurations grouped, checks per node. */
#ifndef CHIMERA_APP_CONFIG_MACHINES_H
#define CHIMERA_APP_CONFIG_MACHINES_H

#include <stdbool.h>
#include <stddef.h>

#include "app/config/inventory.h"
#include "app/fleet/deploy.h"
#include "app/fleet/watch.h"
#include "core/nix_source.h"
#include "core/target.h"

/*
 * The machines of TARGETS' own configurations (config + attr, or flake; several machines
 * may share one), in order of first use, into *SRCS (*NSRCS of them; free it; the strings
 * are INV's) and, per target, its index there into *OF (free it). A target that is no
 * machine of INV, or a machine without a configuration, is ERR_INVALID naming up to five of
 * them; VERB ("deploy to", "watch") says what the configuration was wanted for.
 */
int machines_configs(const struct inventory *inv, const struct target_list *targets, const char *verb,
		     struct nix_source **srcs, size_t *nsrcs, size_t **of);

/*
 * Each target's own checks from its machine in INV, unless FLAG_CHECKS (--check given).
 * *OUT is an array in target order (free it), or NULL when no target has checks of its own.
 * Returns 0 or ERR_NOMEM.
 */
int machines_node_opts(const struct inventory *inv, const struct target_list *targets, bool flag_checks,
		       struct deploy_node_opts **out);

/*
 * The sessions each target's machine in INV declares (sessions = { NAME = "COMMAND" }), run
 * with its profile (FLEET's for it, else PROFILE) first on PATH: *OUT in target order and
 * *SPECS (free both; the strings are INV's), or both NULL when none declares any. Returns 0
 * or ERR_NOMEM.
 */
int machines_sessions(const struct inventory *inv, const struct fleet *fleet, const struct target_list *targets,
		      const char *profile, struct watch_sessions **out, struct session_spec **specs);

/* Machine M of INV as `machines show --json` starts it (its settings, [defaults] where it has none). A new reference. */
struct json_t *machines_machine_json(const struct inventory *inv, const struct inv_machine *m);

/* INV's machines as `chimera machines --json` prints them. The caller frees the text; NULL when out of memory. */
char *machines_list_json(const struct inventory *inv);

#endif
