/* The executor on libssh: one in-process SSH session per node, no process per node. */
#ifndef CHIMERA_ADAPTERS_SSH_EXEC_SSH_H
#define CHIMERA_ADAPTERS_SSH_EXEC_SSH_H

#include "ports/executor.h"

struct exec_ssh_config {
	const char *config_file;	/* an OpenSSH client config read before ~/.ssh/config; may be NULL */
	long connect_timeout_s;		/* TCP connect, key exchange and auth */
	long timeout_s;			/* one command; 0: none */
	int accept_new_host_keys;	/* add unknown host keys to known_hosts instead of refusing */
	/*
	 * A target's own OpenSSH client config, read before CONFIG_FILE (its options come
	 * first): returns a path, or NULL for none. May be NULL. Called from any thread.
	 */
	const char *(*target_config)(const struct target *t, void *arg);
	void *target_config_arg;
};

/* Make an SSH executor. *OUT is closed with its ops->close. Returns 0 or ERR_NOMEM. */
int exec_ssh_new(const struct exec_ssh_config *cfg, struct executor **out);

#endif
