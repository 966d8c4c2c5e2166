/* The selected machines' own settings from the inventory: configurations grouped, checks per node. */
#ifndef CHIMERA_APP_CONFIG_MACHINES_H
#define CHIMERA_APP_CONFIG_MACHINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/config/inventory.h"
#include "app/fleet/deploy.h"
#include "app/fleet/watch.h"
#include "core/nix_source.h"
#include "core/target.h"
#include "ports/ledger.h"
#include "util/clock.h"

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

/*
 * Machine M of INV as `machines show --json` starts it (its settings, [defaults] where it has
 * none, and from_defaults: which of profile, activation, goal and checks came from there). A
 * new reference.
 */
struct json_t *machines_machine_json(const struct inventory *inv, const struct inv_machine *m);

/* What `machines show` tells of a machine from the ledger, without connecting. */
struct machines_facts {
	struct json_t *facts;		/* its last node.facts payload, or NULL (never gathered) */
	int64_t seq;
	char time[CLOCK_UTC_LEN];
	struct json_t *failure;		/* the last failed gathering ({"step", "error"}) when newer; else NULL */
	int64_t failure_seq;
	char failure_time[CLOCK_UTC_LEN];
};

/* M's facts from L (NULL: there is no ledger yet, so none) into OUT. Returns 0 or the ledger's error. */
int machines_facts(struct ledger *l, const struct inv_machine *m, struct machines_facts *out);
void machines_facts_release(struct machines_facts *mf);

/*
 * `machines show NAME --json`: machines_machine_json with facts, facts_seq, facts_gathered
 * and facts_failed (the failure with its seq and time), null where there are none, and the
 * inventory file's path.
 */
char *machines_show_json(const struct inventory *inv, const struct inv_machine *m, const struct machines_facts *mf);

/*
 * `machines add`: the inventory file PATH (made when missing) with a [machines.NAME] table
 * for TARGET and TAGS appended, written atomically and only when the result still reads as
 * an inventory. ERR_INVALID for a bad or taken name, target or tag (as inventory_edit_add),
 * or a result that does not parse; else ERR_IO and the like.
 */
int machines_add(const char *path, const char *name, const char *target, const char *const *tags, size_t ntags);

/* `machines rm`: NAME's table taken out of PATH, as machines_add writes. ERR_NOTFOUND for no file or no such machine. */
int machines_rm(const char *path, const char *name);

/* The documents `machines add --json` and `machines rm --json` print. The caller frees them. */
char *machines_added_json(const char *name, const char *target, const char *path);
char *machines_removed_json(const char *name, const char *path);

/* INV's machines as `chimera machines --json` prints them. The caller frees the text; NULL when out of memory. */
char *machines_list_json(const struct inventory *inv);

#endif
