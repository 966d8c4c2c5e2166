/* The rules of node leases that need no I/O: liveness, the held message, the wait's backoff, a node's state. */
#ifndef CHIMERA_CORE_LEASE_H
#define CHIMERA_CORE_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEASE_TTL_MS 30000		/* a lease expires this long after its last heartbeat */
#define LEASE_HEARTBEAT_MS 10000	/* how often an operation renews its leases */
#define LEASE_WAIT_DEFAULT_S 10		/* --lock-wait's default */
#define LEASE_WAIT_MAX_S 86400

/*
 * Is the holder (on HOLDER_HOST, its pid started at HOLDER_START) alive, seen from
 * MY_HOST? On another host it cannot be told: alive (its expiry decides). On this host it
 * is alive when its pid was found (PID_FOUND) with the same start time (START_NOW).
 */
bool lease_pid_alive(const char *holder_host, int64_t holder_start, const char *my_host, bool pid_found,
		     int64_t start_now);

/* What a lease's KIND of operation is called in messages: "deployment" for deploy, else KIND. */
const char *lease_kind_noun(const char *kind);

/*
 * "node N is held by deployment OP (pid P on HOST since HH:MM:SS)" (UTC) into BUF.
 * Returns what snprintf returns.
 */
int lease_held_message(char *buf, size_t len, const char *node, const char *kind, const char *op, int64_t pid,
		       const char *host, int64_t since_ms);

/* How long to sleep before try ATTEMPT (0-based) of a held node: 50 ms doubling to 500 ms. */
int64_t lease_backoff_ms(unsigned attempt);

/*
 * Where an interrupted operation left a node whose profile points at CURRENT: "new" (its
 * NEW_PATH), "old" (OLD_PATH, may be NULL or ""), "none" (CURRENT is ""), else "other".
 */
const char *lease_node_state(const char *current, const char *new_path, const char *old_path);

#endif
