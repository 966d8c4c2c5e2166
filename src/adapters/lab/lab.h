/* The lab: real sshd nodes on loopback addresses, each with private /nix, /root, /tmp and /run. */
#ifndef CHIMERA_ADAPTERS_LAB_LAB_H
#define CHIMERA_ADAPTERS_LAB_LAB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/target.h"

#define LAB_MAX_NODES 10000
/* The nodes' non-root login, with passwordless sudo (docs/lab.md). */
#define LAB_USER "chimera-lab"

struct lab {
	char dir[PATH_MAX];	/* STATE/lab: client key, known_hosts, ssh_config, lab.json */
	char root[PATH_MAX];	/* node directories and the host key; visible inside the nodes */
	int base;		/* second octet of every node address: 127.BASE.x.y */
	int nodes;		/* how many nodes lab.json records */
	bool exists;		/* lab.json was found */
};

struct lab_node {
	int index;		/* 0-based */
	char name[16];		/* "node-0000" */
	char addr[16];		/* "127.B.C.D" */
	pid_t pid;		/* sshd's pid, 0 if none recorded */
	bool alive;
};

/* Load the lab of STATE_DIR (it need not exist yet). Returns 0 or ERR_CORRUPT for a bad lab.json. */
int lab_open(struct lab *lab, const char *state_dir);

/*
 * Check that this machine can run a lab: root, unshare, sshd, nix and ssh-keygen.
 * Returns 0 or ERR_UNSUPPORTED naming the first thing missing and how to get it.
 */
int lab_preflight(void);

/*
 * Make the lab have exactly N running nodes: start missing or dead ones, stop and remove
 * those past N. BASE (0: keep the current one, or derive one from the state dir) picks
 * 127.BASE.x.y. On failure, nodes started by this call are stopped again and the error
 * names the node and the tail of its sshd log.
 */
int lab_up(struct lab *lab, int n, int base);

/* Stop every node (every process in its namespace) and remove the node directories. */
int lab_down(struct lab *lab);

/* The address of node I. */
void lab_node_addr(const struct lab *lab, int i, char out[16]);

/* Node I's directory under the lab's root into OUT: its own nix/, home/, tmp/ and run/. */
void lab_node_dir(const struct lab *lab, int i, char *out, size_t len);

/* Fill *OUT with one entry per node (caller frees). Returns 0 or ERR_NOMEM. */
int lab_status(const struct lab *lab, struct lab_node **out, size_t *n);

/* Append every node's target (root@addr:22) to L. */
int lab_targets(const struct lab *lab, struct target_list *l);

/* Path of the ssh config fragment that reaches the nodes ("" when there is no lab). */
const char *lab_ssh_config(const struct lab *lab, char *out, size_t len);

#endif
