/* The registry of target transports: one row per executor adapter. */
#ifndef CHIMERA_RUNTIME_TRANSPORTS_H
#define CHIMERA_RUNTIME_TRANSPORTS_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/ssh_config.h"
#include "ports/executor.h"

/* What an executor is opened with; each adapter takes the parts it understands. */
struct transport_params {
	long connect_timeout_s;
	bool connect_timeout_set;	/* chimera's own setting (flag, CHIMERA_*, chimera.toml): beats ConnectTimeout */
	long timeout_s;			/* one command; 0: none */
	long stall_timeout_s;		/* a node silent this long, even to a keepalive, is cut; 0: never */
	int accept_new_host_keys;
	/*
	 * A host's settings from the ssh config (runtime/ssh_config.h: world_ssh_settings), for
	 * a target (JUMP false) or a ProxyJump host (JUMP true); NULL: OpenSSH's defaults.
	 * Called from any thread.
	 */
	int (*ssh_settings)(const struct target *t, bool jump, struct sshcfg_host *out, void *arg);
	void *ssh_settings_arg;
};

struct transport {
	const char *name;	/* what a target's transport says: "ssh", "local", ... */
	const char *summary;	/* one line for docs and messages */
	/* Open the executor; *OUT is closed with its ops->close. Returns 0 or an error. */
	int (*open)(const struct transport_params *p, struct executor **out);
};

/* Every registered transport, ended by a row with a NULL name. */
extern const struct transport transports[];

/* The row named NAME, or NULL. */
const struct transport *transport_find(const char *name);

/*
 * Open one executor per registered transport into SET (emptied first). On failure SET
 * holds those opened so far (close them with transport_close_all). Returns 0 or an error.
 */
int transport_open_all(const struct transport_params *p, struct executor_set *set);

/* Close every executor in SET and empty it. */
void transport_close_all(struct executor_set *set);

#endif
