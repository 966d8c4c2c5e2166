/* The registry of target transports: one row per executor adapter. */
#ifndef CHIMERA_RUNTIME_TRANSPORTS_H
#define CHIMERA_RUNTIME_TRANSPORTS_H

#include <stddef.h>

#include "ports/executor.h"

/* What an executor is opened with; each adapter takes the parts it understands. */
struct transport_params {
	const char *ssh_config;		/* an OpenSSH client config (the lab's); may be NULL */
	long connect_timeout_s;
	long timeout_s;			/* one command; 0: none */
	int accept_new_host_keys;
	/* A target's own OpenSSH client config, or NULL; may be NULL. Called from any thread. */
	const char *(*target_config)(const struct target *t, void *arg);
	void *target_config_arg;
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
