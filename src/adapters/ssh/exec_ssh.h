/* The executor on libssh: one in-process SSH session per node, no process per node. */
#ifndef CHIMERA_ADAPTERS_SSH_EXEC_SSH_H
#define CHIMERA_ADAPTERS_SSH_EXEC_SSH_H

#include <stdbool.h>

#include "formats/ssh_config.h"
#include "ports/executor.h"

/*
 * A host's settings from the ssh config: for T, a target of the operation (JUMP false), or
 * a host named on a ProxyJump line (JUMP true; T's given flags say what was written).
 * Returns 0, or an error whose message names the config file and line. Called from any thread.
 */
typedef int (*exec_ssh_settings_fn)(const struct target *t, bool jump, struct sshcfg_host *out, void *arg);

struct exec_ssh_config {
	long connect_timeout_s;		/* TCP connect, key exchange and auth, per host */
	bool connect_timeout_set;	/* chimera's own setting: it beats the config's ConnectTimeout */
	long timeout_s;			/* one command; 0: none */
	long stall_timeout_s;		/* cut a command when not a byte came from the node for this long; 0: never */
	int accept_new_host_keys;	/* add unknown host keys, whatever StrictHostKeyChecking says */
	exec_ssh_settings_fn settings;	/* NULL: OpenSSH's defaults for every host */
	void *settings_arg;
};

/* Make an SSH executor. *OUT is closed with its ops->close. Returns 0 or ERR_NOMEM. */
int exec_ssh_new(const struct exec_ssh_config *cfg, struct executor **out);

#endif
