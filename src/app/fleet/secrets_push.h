/*
 * The push of granted secrets to nodes: to one node over an open session (what deploy does
 * before activation), and to a list of targets in parallel (`chimera secrets push`), with
 * a report as data and the JSON `--json` prints. Nothing here prints.
 */
#ifndef CHIMERA_APP_FLEET_SECRETS_PUSH_H
#define CHIMERA_APP_FLEET_SECRETS_PUSH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/ids.h"
#include "app/fleet/fleet.h"
#include "app/fleet/secrets.h"
#include "app/config/inventory.h"
#include "core/target.h"
#include "ports/cipher.h"
#include "ports/executor.h"
#include "ports/ledger.h"

/* What one push did on one node. */
struct secrets_push_report {
	char **written;		/* names written, in name order; owned */
	size_t nwritten;
	char **removed;		/* names removed (no longer granted); owned */
	size_t nremoved;
};

void secrets_push_report_release(struct secrets_push_report *rep);

/*
 * Put every secret granted to KEY (a machine name or user@host:port, see
 * secrets_target_key) on the node of session S (executor EX, run with F's step timeout)
 * under ST->remote_dir: the directory is made 0700, each file mode 0400, both chowned to
 * OWNER ("user[:group]"; NULL: left to the login user). The plaintext is decrypted in
 * memory and sent on the command's stdin only, written to a temporary name in the same
 * directory, its size checked, then renamed. Every other file in the directory (revoked
 * secrets, leftovers) is removed first. REP (cleared first; release it) names what was
 * written and removed. Returns 0, or an error with FAIL filled (step "secrets"; a secret
 * that cannot be decrypted fails before anything is sent to the node).
 */
int secrets_push(const struct secrets_store *st, const struct fleet *f, struct executor *ex,
		 struct exec_session *s, const char *key, const char *owner, struct secrets_push_report *rep,
		 struct fleet_failure *fail);

/*
 * Record a secret.push event for NODE (deployment may be NULL): the names written and
 * removed, and the failure when FAIL->step is set. Never a value.
 */
int secrets_push_record(struct ledger *l, const char *deployment, const char *node, const char *key,
			const struct secrets_push_report *rep, const struct fleet_failure *fail);

/*
 * Whether a deploy from STATE_DIR takes the secrets along: once the store has been used
 * (STATE/secrets exists) every deploy pushes what is granted to each node and removes what
 * is not, so a revoked secret leaves the nodes; before that it pushes nothing.
 */
bool secrets_in_use(const char *state_dir);	/* false for a NULL STATE_DIR */

/*
 * The deploy's secrets policy in one call: when secrets_in_use(STATE_DIR), open the store
 * in ST to read (secrets_open_read with C) and set *PUSH; else leave ST closed (safe to
 * secrets_close) and clear *PUSH. Returns 0, or secrets_open_read's error (close ST).
 */
int secrets_policy(struct secrets_store *st, const char *state_dir, const struct cipher *c, bool *push);

/*
 * Deploy's hook for one node: push what is granted to T (its grant key and owner from INV,
 * which may be NULL) over session S of EX, then record secret.push for NODE in F's ledger
 * (DEPLOYMENT may be NULL). Returns secrets_push's result with FAIL filled (step
 * "secrets") on failure; a ledger failure is not reported here, as deploy did before.
 */
int secrets_push_node(const struct secrets_store *st, const struct fleet *f, const struct inventory *inv,
		      struct executor *ex, struct exec_session *s, const struct target *t, const char *node,
		      const char *deployment, struct fleet_failure *fail);

/* One node of a fleet push. */
struct secrets_fleet_node {
	char name[TARGET_FORMAT_MAX];		/* as fleet_node_name prints it */
	char key[SECRETS_KEY_MAX + 1];		/* its grant key */
	struct secrets_push_report rep;
	struct fleet_failure fail;
	int err;				/* 0, or the push's error (FAIL says where) */
};

/* What a fleet push did: every node in target order, then the ledger's part. */
struct secrets_fleet_report {
	char id[DEPLOYMENT_ID_LEN + 1];		/* the push's operation id: its node leases and its events */
	struct secrets_fleet_node *nodes;	/* owned; N of them */
	size_t n;
	size_t ok;				/* nodes with err == 0 */
	char dir[PATH_MAX];			/* the directory on the nodes */
	size_t ledger_failed;			/* secret.push events the ledger did not take */
	char ledger_msg[256];			/* the last such error */
};

/*
 * Push to every target of TARGETS at once (F's parallelism): each node connects, gets
 * what is granted to it under ST->remote_dir owned by OWNER (NULL: its machine's
 * secrets_owner, see secrets_owner_for; INV may be NULL), and a secret.push event goes to
 * F's ledger for each. REP (cleared first; release it either way) holds the outcome of
 * every node; a node's failure is in its entry, not the return. Returns 0, or ERR_NOMEM
 * or the thread pool's error when the push could not run at all.
 */
int secrets_push_fleet(const struct secrets_store *st, const struct fleet *f, const struct inventory *inv,
		       const struct target_list *targets, const char *owner, struct secrets_fleet_report *rep);

void secrets_fleet_report_release(struct secrets_fleet_report *rep);

/*
 * REP as `chimera secrets push --json` prints it: {"nodes": [{"target", "key", "ok",
 * "written", "removed", "step", "error"}], "dir", "summary": {"nodes", "ok", "failed"}}.
 * A new reference (the caller owns it), or NULL when out of memory.
 */
json_t *secrets_fleet_report_json(const struct secrets_fleet_report *rep);

#endif
