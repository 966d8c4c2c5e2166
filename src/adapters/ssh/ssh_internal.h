/* What the SSH executor's files share: the executor, opening one session, host keys, jump hosts. */
#ifndef CHIMERA_ADAPTERS_SSH_SSH_INTERNAL_H
#define CHIMERA_ADAPTERS_SSH_SSH_INTERNAL_H

#include <libssh/libssh.h>
#include <stdbool.h>
#include <stdint.h>

#include "adapters/ssh/exec_ssh.h"

struct exec_ssh {
	struct executor base;
	long connect_timeout_s;
	bool connect_timeout_set;
	long timeout_s;
	long stall_timeout_s;
	int accept_new_host_keys;
	exec_ssh_settings_fn settings;
	void *settings_arg;
};

/* libssh keeps its log level and callback per thread: set them on the thread that connects. */
void sshx_quiet_thread(void);

/* "user@host:port" ("user@[v6]:port") of H's effective values into BUF. */
void sshx_name(const struct sshcfg_host *h, char *buf, size_t len);

/*
 * Open a session to H, named NAME in messages: over FD (a socket that carries the stream,
 * from a jump host; consumed in every case) or, with FD -1, a TCP connection of its own;
 * then check the host key and authenticate. *OUT is closed with ssh_disconnect and
 * ssh_free. Returns 0, ERR_IO, ERR_TIMEOUT, ERR_AUTH or ERR_INVALID (a setting libssh
 * refuses, naming its config line), with a message starting with NAME.
 */
int sshx_session_open(const struct exec_ssh *ex, const struct sshcfg_host *h, int fd, const char *name,
		      ssh_session *out);

/*
 * Check the server's key of the connected session S against H's known_hosts files, adding
 * it to the first one when it is unknown and ACCEPT_NEW. Returns 0, or ERR_AUTH naming the
 * key's type and SHA256 fingerprint and the file (and line, for a changed key), or ERR_IO.
 */
int sshx_hostkey_check(ssh_session s, const struct sshcfg_host *h, bool accept_new, const char *name);

/* A session to a jump host, the channel it opened to the next host, and the thread moving bytes. */
struct ssh_hop;

/*
 * On the open session JUMP (to the jump host NAME, whose settings are H), open a channel
 * to HOST:PORT and start a thread that copies it to and from one end of a socket pair;
 * *FD is the other end, for the next session (sshx_session_open consumes it). The hop
 * owns JUMP from then on, also on failure. Returns 0, ERR_IO or ERR_NOMEM.
 */
int sshx_hop_start(ssh_session jump, const struct sshcfg_host *h, const char *name, const char *host, unsigned port,
		   struct ssh_hop **out, int *fd);

/* Stop the hop's thread and close its channel and session. NULL is fine. */
void sshx_hop_close(struct ssh_hop *hop);

/* Send an SSH_MSG_IGNORE on S when IDLE_MS reached ALIVE_S seconds; returns 1 when one went out. */
int sshx_keepalive(ssh_session s, long alive_s, int64_t idle_ms);

/* Make the kernel drop S's TCP connection when what it sent stays unacknowledged for ALIVE_S * COUNT seconds. */
void sshx_user_timeout(ssh_session s, long alive_s, long count);

#endif
