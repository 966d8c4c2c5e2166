/*
 * `chimera lab`'s reports as the JSON `--json` prints. The lab itself is an adapter
 * (adapters/lab), which app/ may not include: the command fills these from it.
 */
#ifndef CHIMERA_APP_LAB_LAB_REPORT_H
#define CHIMERA_APP_LAB_LAB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/target.h"

struct lab_report_node {
	const char *name;	/* "node-0000" */
	const char *addr;	/* "127.B.C.D", also its target */
	long pid;		/* sshd's, 0 if none recorded */
	bool alive;
	const char *dir;	/* its directory on this machine: what it sees as /nix is DIR/nix, ... */
};

struct lab_status_report {
	const struct lab_report_node *nodes;	/* borrowed */
	size_t n;
	size_t alive;
	const char *root;	/* the lab's directory */
	int base;		/* the second octet of every address: 127.BASE.x.y */
};

/* `lab status --json`: {"nodes", "alive", "root", "base", "list": [{"name", "address", "pid", "alive", "target", "dir"}]}. */
char *lab_status_json(const struct lab_status_report *rep);

/* `lab targets --json`: the targets as an array of strings. */
char *lab_targets_json(const struct target_list *l);

/* `lab up N --json` once the lab has NODES nodes: {"ok", "nodes", "ssh_config", "root", "ms"}. */
char *lab_up_json(int nodes, const char *ssh_config, const char *root, int64_t ms);

/* `lab down --json` after STOPPED nodes were stopped: {"ok", "stopped"}. */
char *lab_down_json(int stopped);

#endif
