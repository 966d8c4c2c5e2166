/*
 * The one wiring point: settings in (flags > CHIMERA_* > chimera.toml > defaults), the
 * opened world out (state dir, inventory, ledger by URL, executors by transport, Nix).
 * The CLI opens it; a server, a dashboard or an MCP endpoint opens the same.
 */
#ifndef CHIMERA_RUNTIME_WORLD_H
#define CHIMERA_RUNTIME_WORLD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "app/config/inventory.h"
#include "app/fleet/fleet.h"
#include "core/target.h"
#include "ports/ledger.h"
#include "ports/nix.h"

/* What a front end was told; NULL means "not given", and the next source in line decides. */
struct world_options {
	const char *state_dir;	/* --state-dir; else CHIMERA_STATE_DIR, XDG_STATE_HOME/chimera, ~/.local/state/chimera */
	const char *config;	/* --config; else CHIMERA_CONFIG, else ./chimera.toml when it exists */
	const char *ledger;	/* --ledger URL; else CHIMERA_LEDGER, else sqlite:STATE_DIR/chimera.db */
	const char *ssh_config;	/* --ssh-config FILE (or "none"); else CHIMERA_SSH_CONFIG, else ~/.ssh/config and /etc/ssh/ssh_config */
};

struct world_ssh;

/* The world: opened lazily, part by part, and closed once. */
struct world {
	struct world_options opt;
	char state_dir[PATH_MAX];	/* "" until world_state_dir */
	struct inventory inv;		/* loaded by world_inventory */
	bool inv_loaded;
	struct world_ssh *ssh;		/* the ssh config and what targets were resolved from (runtime/ssh_config.h) */
};

/* Take O (its strings are borrowed for W's life); nothing is opened yet. */
void world_init(struct world *w, const struct world_options *o);

/* Release what W opened. */
void world_close(struct world *w);

/*
 * The state dir, resolved and created (0700) on first use; *OUT points into W. Returns 0,
 * or ERR_IO / ERR_INVALID naming the directory.
 */
int world_state_dir(struct world *w, const char **out);

/*
 * The inventory: --config FILE, else $CHIMERA_CONFIG, else ./chimera.toml when it exists
 * (else an empty one), with CHIMERA_* variables over the file's [defaults]. Loaded once;
 * *OUT belongs to W. Returns 0, ERR_NOTFOUND for a named file that is missing, ERR_INVALID
 * with file:line:col.
 */
int world_inventory(struct world *w, const struct inventory **out);

/* Where the inventory came from: "flag", "env", "file" (./chimera.toml) or "default" (none). */
const char *world_inventory_source(const struct world *w);

/*
 * A new handle on the ledger the options name (see world_options.ledger), with its trust
 * checks (app/ledger/trusted.h: the head checked at open, a signed checkpoint recorded when
 * a handle that appended is closed, the sidecar beside it); the caller closes it. Returns 0,
 * or ERR_INVALID for a URL of no known back end, or the back end's error.
 */
int world_open_ledger(struct world *w, struct ledger **out);

/* The cipher secrets are sealed with (age's primitives); static, never NULL, nothing to close. */
struct cipher;
const struct cipher *world_cipher(struct world *w);

/* A new HTTP client (health checks, build hooks); the caller closes it with http_close. */
struct http;
int world_open_http(struct world *w, struct http **out);

/*
 * A new HTTP server (ports/httpd.h, on libmicrohttpd) listening on CFG's address, serving
 * until (*OUT)->ops->close. Returns 0, or an error naming the address ("cannot listen on
 * 127.0.0.1:8470: Address already in use") or the TLS file.
 */
struct httpd;
struct httpd_config;
int world_open_httpd(const struct httpd_config *cfg, struct httpd **out);

/* The controller's signer (its Ed25519 key in the state dir, made on first use); closed with signer_close. */
struct signer;
int world_open_signer(struct world *w, struct signer **out);

/* An executor of TRANSPORT (a registered one: "local", "ssh") with commands cut after TIMEOUT_S; closed by ops->close. */
int world_open_executor(struct world *w, const char *transport, long timeout_s, struct executor **out);

/* A new handle on Nix on the controller, for callbacks that take no world; the caller closes it. */
int world_nix_new(struct nix **out);

/* A new handle on Nix on the controller; the caller closes it. */
int world_open_nix(struct world *w, struct nix **out);

/* STATE_DIR/tmp (created 0700) into BUF (PATH_MAX bytes): where closure exports are spooled. */
int world_spool_dir(struct world *w, char *buf, size_t len);

/* The lab's ssh config file into BUF ("" when there is no lab). Returns 0 or an error. */
int world_lab_ssh_config(struct world *w, char *buf, size_t len);

/*
 * Fill L from SPEC (a comma-separated list) and/or FILE (one element a line, # comments),
 * less EXCLUDE (may be NULL). An element is a machine of the inventory (its name, @TAG, a
 * glob on names, all), "@lab" (every lab node), or a target written out ([user@]host[:port],
 * local, TRANSPORT:NAME). With machines in the inventory, a bare word that names none is an
 * error, not a host. Each ssh target is then resolved with the ssh config (HostName, User,
 * Port; runtime/ssh_config.h), machines of the inventory in place, so labels are the real
 * user@host:port. Returns 0 or ERR_INVALID naming the bad element (or the ssh config's file
 * and line); L is empty on failure.
 */
int world_targets(struct world *w, const char *spec, const char *exclude, const char *file, struct target_list *l);

/* How a fleet operation reaches nodes; each value with "set" when a flag gave it. */
struct world_reach {
	const char *profile;
	bool set_profile;
	long parallel;
	bool set_parallel;
	long connect_timeout;
	bool set_connect_timeout;
	long timeout;			/* one step on one node, seconds */
	long stall_timeout;		/* a node that sends nothing for this long, even to a keepalive, fails; 0: never */
	long activation_timeout;	/* activation's own limit, seconds */
	long lock_wait;			/* seconds to wait for a node another operation holds (--lock-wait) */
	int accept_new;			/* add unknown host keys to known_hosts */
	const char *activate;		/* NULL: the inventory's default (filled by world_open_fleet) */
	bool set_activate;		/* filled by world_open_fleet: --activate was given */
	const char *goal;		/* NULL: the inventory's default (filled by world_open_fleet) */
	bool set_goal;			/* filled by world_open_fleet: --goal was given */
	int sudo;			/* --sudo: every node through its sudo command */
};

/* world_reach's built-in defaults (below chimera.toml's [defaults]). */
void world_reach_init(struct world_reach *r);

/* An opened fleet: its executors, its ledger and each machine's settings. */
struct world_fleet {
	struct fleet fleet;
	struct world_reach *reach;	/* borrowed: the settings, completed from the inventory */
	const struct inventory *inv;
};

/*
 * Open what a fleet operation on TARGETS runs on: complete R from the inventory (flags
 * first, then CHIMERA_* and [defaults]), open one executor per registered transport (the
 * ssh one with the ssh config world_targets resolved TARGETS with) and the ledger. F is closed with world_fleet_close
 * (also after a failure). Returns 0 or an error with its message.
 */
int world_open_fleet(struct world *w, struct world_reach *r, const struct target_list *targets, struct world_fleet *f);

void world_fleet_close(struct world_fleet *f);

/* The transports this controller has, comma-separated ("ssh, local"), for messages. */
const char *world_transport_names(void);

#endif
