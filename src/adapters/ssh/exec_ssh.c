/* The executor on libssh: one in-process SSH session per node, no process per node. */
#include "adapters/ssh/exec_ssh.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "util/banned.h"

struct exec_ssh {
	struct executor base;
	char *config_file;
	long connect_timeout_s;
	long timeout_s;
	int accept_new_host_keys;
	const char *(*target_config)(const struct target *t, void *arg);
	void *target_config_arg;
};

/* known_hosts is one file for every thread: add to it one at a time. */
static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

struct exec_session {
	struct exec_ssh *ex;
	ssh_session ssh;
	char name[TARGET_FORMAT_MAX];
};

/* What the channel callbacks collect while a command runs. */
struct run_state {
	struct exec_result *res;
	int eof;
	int closed;
	int got_status;
};

static void ssh_log_to_ours(int priority, const char *function, const char *buffer, void *userdata)
{
	log_kv(LOG_DEBUG, "libssh", buffer, "function", function, (const char *)NULL);
}

/* libssh keeps its log level and callback per thread: set them on the thread that connects. */
static void ssh_quiet_thread(void)
{
	if (log_enabled(LOG_DEBUG)) {
		ssh_set_log_callback(ssh_log_to_ours);
		ssh_set_log_level(log_enabled(LOG_TRACE) ? SSH_LOG_PROTOCOL : SSH_LOG_WARN);
	} else {
		ssh_set_log_level(SSH_LOG_NOLOG);
	}
}

/*
 * Acknowledge the server's packets at once. sshd leaves Nagle on for sessions without a
 * tty, so each small reply waits for our ACK, which the kernel would otherwise delay by up
 * to 40 ms: that delay, not the work, was most of a short command's time. Linux resets the
 * flag now and then, so it is set before every wait.
 */
static void quick_ack(struct exec_session *s)
{
	int fd = ssh_get_fd(s->ssh), one = 1;

	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

static int ssh_connect_session(struct exec_ssh *ex, struct exec_session *s, const struct target *t)
{
	unsigned int port = t->port;
	long timeout = ex->connect_timeout_s > 0 ? ex->connect_timeout_s : 10;
	enum ssh_known_hosts_e known;
	const char *own;
	int rc, verbosity;

	ssh_quiet_thread();
	if (!(s->ssh = ssh_new()))
		return err_set(ERR_NOMEM, "out of memory");
	verbosity = ssh_get_log_level();
	ssh_options_set(s->ssh, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	ssh_options_set(s->ssh, SSH_OPTIONS_HOST, t->host);
	ssh_options_set(s->ssh, SSH_OPTIONS_PORT, &port);
	ssh_options_set(s->ssh, SSH_OPTIONS_USER, t->user);
	ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &timeout);
	{
		int nodelay = 1;

		ssh_options_set(s->ssh, SSH_OPTIONS_NODELAY, &nodelay);
	}
	/*
	 * Key exchange is most of a cold connection's cost on the node. OpenSSH's sshd (9.2)
	 * computes nistp256 with OpenSSL but curve25519 with a portable reference implementation,
	 * and the post-quantum hybrids cost several times more: measured 23 ms of sshd CPU per
	 * connection against 25 and 34. A KexAlgorithms line in the ssh config overrides this.
	 */
	ssh_options_set(s->ssh, SSH_OPTIONS_KEY_EXCHANGE,
			"ecdh-sha2-nistp256,curve25519-sha256,curve25519-sha256@libssh.org");
	/* Any config may hold a LogLevel line: put ours back after each, so libssh stays quiet. */
	if (ex->target_config && (own = ex->target_config(t, ex->target_config_arg)) != NULL) {
		if (ssh_options_parse_config(s->ssh, own) < 0)
			return err_set(ERR_INVALID, "%s: cannot read ssh config '%s'", s->name, own);
		ssh_options_set(s->ssh, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	}
	if (ex->config_file && ssh_options_parse_config(s->ssh, ex->config_file) < 0)
		return err_set(ERR_INVALID, "%s: cannot read ssh config '%s'", s->name, ex->config_file);
	ssh_options_set(s->ssh, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	ssh_options_parse_config(s->ssh, NULL);
	ssh_options_set(s->ssh, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);

	if ((rc = ssh_connect(s->ssh)) != SSH_OK) {
		const char *why = ssh_get_error(s->ssh);

		if (strstr(why, "imeout") || strstr(why, "timed out"))
			return err_set(ERR_TIMEOUT, "%s: connect timed out after %lds", s->name, timeout);
		return err_set(ERR_IO, "%s: cannot connect: %s", s->name, why);
	}
	known = ssh_session_is_known_server(s->ssh);
	switch (known) {
	case SSH_KNOWN_HOSTS_OK:
		break;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		return err_set(ERR_AUTH, "%s: host key does not match known_hosts (possible impostor)", s->name);
	case SSH_KNOWN_HOSTS_UNKNOWN:
	case SSH_KNOWN_HOSTS_NOT_FOUND:
		if (!ex->accept_new_host_keys)
			return err_set(ERR_AUTH, "%s: host key is not in known_hosts (add it, or pass --accept-new-host-keys)",
				       s->name);
		pthread_mutex_lock(&known_hosts_lock);
		rc = ssh_session_update_known_hosts(s->ssh);
		pthread_mutex_unlock(&known_hosts_lock);
		if (rc != SSH_OK)
			return err_set(ERR_IO, "%s: cannot add the host key to known_hosts: %s", s->name,
				       ssh_get_error(s->ssh));
		log_kv(LOG_INFO, "ssh", "accepted a new host key", "node", s->name, (const char *)NULL);
		break;
	default:
		return err_set(ERR_AUTH, "%s: cannot check host key: %s", s->name, ssh_get_error(s->ssh));
	}
	quick_ack(s);
	rc = ssh_userauth_publickey_auto(s->ssh, NULL, NULL);
	if (rc != SSH_AUTH_SUCCESS)
		return err_set(ERR_AUTH, "%s: public key authentication refused%s%s", s->name,
			       rc == SSH_AUTH_ERROR ? ": " : "", rc == SSH_AUTH_ERROR ? ssh_get_error(s->ssh) : "");
	return 0;
}

static int ssh_ex_connect(struct executor *base, const struct target *t, struct exec_session **out)
{
	struct exec_ssh *ex = (struct exec_ssh *)base;
	struct exec_session *s;
	int r;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return err_set(ERR_NOMEM, "out of memory");
	s->ex = ex;
	target_format(t, s->name, sizeof(s->name));
	if ((r = ssh_connect_session(ex, s, t)) < 0) {
		if (s->ssh) {
			ssh_disconnect(s->ssh);
			ssh_free(s->ssh);
		}
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

static int on_data(ssh_session session, ssh_channel channel, void *data, uint32_t len, int is_stderr,
		   void *userdata)
{
	struct run_state *st = userdata;
	struct buf *b = is_stderr ? &st->res->err : &st->res->out;
	size_t room = b->max - b->len;

	if (len > room) {
		st->res->truncated = 1;
		buf_add(b, data, room);
	} else {
		buf_add(b, data, len);
	}
	return (int)len;
}

static void on_eof(ssh_session session, ssh_channel channel, void *userdata)
{
	((struct run_state *)userdata)->eof = 1;
}

static void on_close(ssh_session session, ssh_channel channel, void *userdata)
{
	((struct run_state *)userdata)->closed = 1;
}

static void on_exit_status(ssh_session session, ssh_channel channel, int status, void *userdata)
{
	struct run_state *st = userdata;

	st->res->status = status;
	st->got_status = 1;
}

static void on_exit_signal(ssh_session session, ssh_channel channel, const char *signal, int core,
			   const char *errmsg, const char *lang, void *userdata)
{
	struct run_state *st = userdata;

	snprintf(st->res->signal, sizeof(st->res->signal), "%s", signal ? signal : "?");
	st->got_status = 1;
}

/* Wait for the next packets of a non-blocking call, until DEADLINE (0: none). */
static int ssh_wait(struct exec_session *s, ssh_event ev, int64_t deadline, long timeout_s)
{
	int wait = 1000;

	if (deadline) {
		int64_t left = deadline - clock_mono_ms();

		if (left <= 0)
			return err_set(ERR_TIMEOUT, "%s: command timed out after %lds", s->name, timeout_s);
		if (left < wait)
			wait = (int)left;
	}
	quick_ack(s);
	if (ssh_event_dopoll(ev, wait) == SSH_ERROR)
		return err_set(ERR_IO, "%s: connection lost: %s", s->name, ssh_get_error(s->ssh));
	quick_ack(s);
	return 0;
}

/* Send what the channel window allows of IN (head, then file) from *OFF; sets *DONE after the last byte and EOF. */
static int ssh_feed(struct exec_session *s, ssh_channel ch, const struct exec_input *in, uint64_t *off, int *done)
{
	char chunk[65536];
	const char *from = chunk;
	uint64_t total = in ? in->head_len + in->len : 0;
	uint32_t window = ssh_channel_window_size(ch);
	size_t want;
	ssize_t got;
	int w;

	if (*off >= total) {
		if (ssh_channel_send_eof(ch) != SSH_OK)
			return err_set(ERR_IO, "%s: cannot close the command's input: %s", s->name, ssh_get_error(s->ssh));
		*done = 1;
		return 0;
	}
	if (window == 0)
		return 0;
	want = sizeof(chunk);
	if (want > window)
		want = window;
	if (*off < in->head_len) {
		if (want > in->head_len - *off)
			want = (size_t)(in->head_len - *off);
		from = in->head + *off;
		got = (ssize_t)want;
	} else {
		uint64_t at = *off - in->head_len;

		if (want > in->len - at)
			want = (size_t)(in->len - at);
		do
			got = pread(in->fd, chunk, want, (off_t)at);
		while (got < 0 && errno == EINTR);
		if (got <= 0)
			return err_set(ERR_IO, "%s: cannot read the input to send: %s", s->name,
				       got < 0 ? strerror(errno) : "file shorter than expected");
	}
	w = ssh_channel_write(ch, from, (uint32_t)got);
	if (w < 0)
		return err_set(ERR_IO, "%s: connection lost while sending: %s", s->name, ssh_get_error(s->ssh));
	*off += (uint64_t)w;
	if (in->sent)
		in->sent(*off, in->arg);
	return 0;
}

/*
 * Open a session channel on CH and start CMD on it without blocking, so our loop
 * acknowledges each reply at once; CB goes on the channel once it is open.
 */
static int ssh_start(struct exec_session *s, ssh_channel ch, ssh_event ev, const char *cmd,
		     struct ssh_channel_callbacks_struct *cb, int64_t deadline, long timeout_s)
{
	int rc, r;

	ssh_set_blocking(s->ssh, 0);
	while ((rc = ssh_channel_open_session(ch)) == SSH_AGAIN)
		if ((r = ssh_wait(s, ev, deadline, timeout_s)) < 0)
			return r;
	if (rc != SSH_OK)
		return err_set(ERR_IO, "%s: cannot open a session channel: %s", s->name, ssh_get_error(s->ssh));
	ssh_callbacks_init(cb);
	ssh_set_channel_callbacks(ch, cb);
	while ((rc = ssh_channel_request_exec(ch, cmd)) == SSH_AGAIN)
		if ((r = ssh_wait(s, ev, deadline, timeout_s)) < 0)
			return r;
	ssh_set_blocking(s->ssh, 1);
	if (rc != SSH_OK)
		return err_set(ERR_IO, "%s: cannot start command: %s", s->name, ssh_get_error(s->ssh));
	return 0;
}

/*
 * The command runs: feed its input (once the watch releases it, when held), read its
 * output through the callbacks into ST, show the watch what came, until the channel closes
 * or both EOF and the exit status came. The deadline (0: none) restarts when the watch says.
 */
static int ssh_pump(struct exec_session *s, ssh_channel ch, ssh_event ev, const struct exec_opts *o,
		    struct run_state *st, int64_t deadline, long timeout_s)
{
	const struct exec_input *in = o ? o->input : NULL;
	struct exec_result *res = st->res;
	uint64_t off = 0;
	size_t seen = 0;
	int fed = 0, held = o && o->hold_input, r;

	while (!st->closed && !(st->eof && st->got_status)) {
		int wait = 1000;

		if (deadline) {
			int64_t left = deadline - clock_mono_ms();

			if (left <= 0) {
				/* Ask sshd to kill the command (OpenSSH 7.9+ honours it without a tty). */
				ssh_channel_request_send_signal(ch, "KILL");
				return err_set(ERR_TIMEOUT, "%s: command timed out after %lds", s->name, timeout_s);
			}
			if (left < wait)
				wait = (int)left;
		}
		if (!fed && !held) {
			if ((r = ssh_feed(s, ch, in, &off, &fed)) < 0)
				return r;
			if (!fed && ssh_channel_window_size(ch) > 0)
				wait = 0;
		}
		quick_ack(s);
		if (ssh_event_dopoll(ev, wait) == SSH_ERROR)
			return err_set(ERR_IO, "%s: connection lost: %s", s->name, ssh_get_error(s->ssh));
		if (o && o->watch && res->out.len + res->err.len != seen) {
			unsigned flags = o->watch(res, o->watch_arg);

			seen = res->out.len + res->err.len;
			if ((flags & EXEC_WATCH_RESTART) && timeout_s > 0)
				deadline = clock_mono_ms() + timeout_s * 1000;
			if (flags & EXEC_WATCH_RELEASE)
				held = 0;
		}
	}
	if (!st->got_status)
		return err_set(ERR_IO, "%s: channel closed without an exit status", s->name);
	return 0;
}

static int ssh_ex_run(struct exec_session *s, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	struct run_state st = { .res = res };
	struct ssh_channel_callbacks_struct cb = {
		.userdata = &st,
		.channel_data_function = on_data,
		.channel_eof_function = on_eof,
		.channel_close_function = on_close,
		.channel_exit_status_function = on_exit_status,
		.channel_exit_signal_function = on_exit_signal,
	};
	long timeout_s = o && o->timeout_s > 0 ? o->timeout_s : s->ex->timeout_s;
	int64_t start = clock_mono_ms(), deadline;
	ssh_channel ch = NULL;
	ssh_event ev = NULL;
	int r = 0;

	deadline = timeout_s > 0 ? start + timeout_s * 1000 : 0;
	if (!(ch = ssh_channel_new(s->ssh))) {
		r = err_set(ERR_IO, "%s: cannot open a channel: %s", s->name, ssh_get_error(s->ssh));
		goto out;
	}
	if (!(ev = ssh_event_new()) || ssh_event_add_session(ev, s->ssh) != SSH_OK) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = ssh_start(s, ch, ev, cmd, &cb, deadline, timeout_s)) == 0)
		r = ssh_pump(s, ch, ev, o, &st, deadline, timeout_s);
out:
	ssh_set_blocking(s->ssh, 1);
	res->ms = clock_mono_ms() - start;
	if (ev) {
		ssh_event_remove_session(ev, s->ssh);
		ssh_event_free(ev);
	}
	if (ch) {
		ssh_remove_channel_callbacks(ch, &cb);
		if (ssh_channel_is_open(ch))
			ssh_channel_close(ch);
		ssh_channel_free(ch);
	}
	return r;
}

static void ssh_ex_disconnect(struct exec_session *s)
{
	if (!s)
		return;
	ssh_disconnect(s->ssh);
	ssh_free(s->ssh);
	free(s);
}

static void ssh_ex_close(struct executor *base)
{
	struct exec_ssh *ex = (struct exec_ssh *)base;

	if (!ex)
		return;
	free(ex->config_file);
	free(ex);
}

static const struct executor_ops ssh_ops = {
	.name = "ssh",
	.connect = ssh_ex_connect,
	.run = ssh_ex_run,
	.disconnect = ssh_ex_disconnect,
	.close = ssh_ex_close,
};

int exec_ssh_new(const struct exec_ssh_config *cfg, struct executor **out)
{
	struct exec_ssh *ex;

	*out = NULL;
	if (!(ex = calloc(1, sizeof(*ex))))
		return err_set(ERR_NOMEM, "out of memory");
	ex->base.ops = &ssh_ops;
	ex->connect_timeout_s = cfg->connect_timeout_s;
	ex->timeout_s = cfg->timeout_s;
	ex->accept_new_host_keys = cfg->accept_new_host_keys;
	ex->target_config = cfg->target_config;
	ex->target_config_arg = cfg->target_config_arg;
	if (cfg->config_file && !(ex->config_file = strdup(cfg->config_file))) {
		free(ex);
		return err_set(ERR_NOMEM, "out of memory");
	}
	ssh_init();
	*out = &ex->base;
	return 0;
}
