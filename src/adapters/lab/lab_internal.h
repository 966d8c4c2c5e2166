/* Private to lab*.c: the node directories, pid files, namespaces and client files both lab.c and lab_up.c use. */
#ifndef CHIMERA_ADAPTERS_LAB_INTERNAL_H
#define CHIMERA_ADAPTERS_LAB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "adapters/lab/lab.h"

/* Write the lab's state file (lab.json); 0 or an error with its message set. */
int lab_save(const struct lab *lab);
/* The sshd pid in DIR/run/sshd.pid into *PID (0 when it holds none); 0, or the read's error (ERR_NOTFOUND: no file). */
int lab_read_pid(const char *dir, pid_t *pid);
/* True when PID is alive and is an sshd. */
bool lab_sshd_alive(pid_t pid);
/* True when PID is inside node DIR: the /nix it sees is DIR/nix itself. */
bool lab_pid_in_node(pid_t pid, const char *dir);
/* Remember node I's namespace, so its processes can be found even after its sshd is gone. */
void lab_node_record_mntns(const struct lab *lab, int i);
/* Kill every process in the namespaces of the COUNT nodes numbered in IDX, and wait for them; 0 or an error. */
int lab_stop_nodes(const struct lab *lab, const int *idx, size_t count);
/* Write the ssh client config and known_hosts for the lab's nodes (after its host key); 0 or an error. */
int lab_write_client_files(const struct lab *lab);

#endif
