/*
 * Logging in as a user and acting as root: an executor that wraps another, and runs each
 * command of a target that asks for it as `SUDO_COMMAND sh -c 'COMMAND'` (stdin, output and
 * exit status pass through). Profile writes, activation, secrets, services: all of a node's
 * commands go through it, so nothing in app/ knows about sudo.
 */
#ifndef CHIMERA_RUNTIME_EXEC_SUDO_H
#define CHIMERA_RUNTIME_EXEC_SUDO_H

#include "ports/executor.h"

/* The sudo command for T ("sudo -n"), or NULL to run T's commands as its login user. */
typedef const char *(*sudo_for_fn)(const struct target *t, void *arg);

/*
 * Wrap every executor of SET in place (each wrapper owns and closes the one it wraps). 0,
 * or ERR_NOMEM with the executors not yet wrapped left as they were.
 */
int exec_sudo_wrap_set(struct executor_set *set, sudo_for_fn sudo_for, void *arg);

#endif
