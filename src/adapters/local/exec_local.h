/* The executor on the controller itself: commands run under /bin/sh here, no SSH (target "local"). */
#ifndef CHIMERA_ADAPTERS_LOCAL_EXEC_LOCAL_H
#define CHIMERA_ADAPTERS_LOCAL_EXEC_LOCAL_H

#include "ports/executor.h"

struct exec_local_config {
	long timeout_s;		/* default per-command timeout; 0: none */
};

/*
 * Make a local executor. *OUT is closed with its ops->close. Returns 0 or ERR_NOMEM
 * (*OUT then NULL).
 *
 * Its sessions are named "local" and connect whatever the target. Each run spawns
 * `/bin/sh -c CMD` as the leader of a new session and process group, with only
 * stdin, stdout and stderr open; on timeout the whole group is killed with SIGKILL
 * and reaped. Sessions may run commands from different threads at once.
 */
int exec_local_new(const struct exec_local_config *cfg, struct executor **out);

#endif
