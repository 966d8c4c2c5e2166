/* The executor on libssh: one in-process SSH session per node, no process per node. */
#include "adapters/ssh/exec_ssh.h"
#include "adapters/ssh/ssh_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>	/* ssh_send_keepalive */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "util/banned.h"

/*
 * The session to one node: over TCP, or through the jump hosts of its ProxyJump (HOPS,
 * first to last), each carrying the next one's stream.
 */
struct exec_session {
	struct exec_ssh *ex;
	ssh_session ssh;
	char name[TARGET_FORMAT_MAX];
	struct ssh_hop *hops[SSHCFG_JUMPS_MAX];
	size_t nhops;
	long alive_s;		/* ServerAliveInterval: an SSH_MSG_IGNORE after this long without data */
	int64_t last_data;	/* when data last came (or a keepalive went) */
	/* The stall watch (exec_ssh_config's stall_timeout_s): bytes from the node, counted by libssh. */
	struct ssh_counter_struct rx;
	uint64_t rx_seen;	/* rx.in_bytes when last looked at */
	int64_t rx_at;		/* when it last moved (or the command began) */
	int64_t probe_at;	/* when the last keepalive that asks for an answer went; 0: none since */
	int stalled;		/* it stalled once: every later command fails at once */
};

/* What the channel callbacks collect while a command runs. */
struct run_state {
	struct exec_result *res;
	struct exec_session *s;
	int eof;
	int closed;
	int got_status;
};

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

/* A keepalive when the node has been silent for ServerAliveInterval. */
static void keepalive(struct exec_session *s)
{
	if (sshx_keepalive(s->ssh, s->alive_s, clock_mono_ms() - s->last_data)) {
		s->last_data = clock_mono_ms();
		log_kv(LOG_DEBUG, "ssh", "sent keepalive", "node", s->name, (const char *)NULL);
	}
}

/* How long a wait may last: at most WAIT ms, and no longer than the keepalive interval. */
static int wait_ms(const struct exec_session *s, int wait)
{
	return s->alive_s > 0 && s->alive_s * 1000 < wait ? (int)(s->alive_s * 1000) : wait;
}

/* The gap between the stall watch's questions: a quarter of the stall timeout, at least 1 s. */
static int64_t probe_every_ms(const struct exec_session *s)
{
	int64_t q = s->ex->stall_timeout_s * 250;

	return q < 1000 ? 1000 : q;
}

/*
 * A node that stops answering (its sshd or the machine frozen, the link black-holed) is cut
 * after the stall timeout instead of the command's whole one. Silence alone proves nothing
 * (an activation may print nothing for minutes), so after a quarter of the timeout without
 * a byte from the node, chimera sends "keepalive@openssh.com" with want-reply, which any
 * live sshd answers at once, and again each quarter; only when no byte at all came for the
 * whole timeout is the node stalled. Returns 0 or ERR_TIMEOUT.
 */
static int stall_check(struct exec_session *s)
{
	int64_t now = clock_mono_ms();

	if (s->ex->stall_timeout_s <= 0)
		return 0;
	if (s->rx.in_bytes != s->rx_seen) {
		s->rx_seen = s->rx.in_bytes;
		s->rx_at = now;
		s->probe_at = 0;
		return 0;
	}
	if (now - s->rx_at >= s->ex->stall_timeout_s * 1000) {
		s->stalled = 1;
		return err_set(ERR_TIMEOUT, "%s: stalled: not a byte from the node for %lds (--stall-timeout)", s->name,
			       s->ex->stall_timeout_s);
	}
	if (now - s->rx_at >= probe_every_ms(s) && (!s->probe_at || now - s->probe_at >= probe_every_ms(s))) {
		/* Sent without waiting for the answer: that comes in with the next poll. */
		ssh_set_blocking(s->ssh, 0);
		ssh_send_keepalive(s->ssh);
		ssh_set_blocking(s->ssh, 1);
		s->probe_at = now;
		log_kv(LOG_DEBUG, "ssh", "asked a silent node for an answer", "node", s->name, (const char *)NULL);
	}
	return 0;
}

/* At most WAIT ms, and no longer than the stall watch's next question. */
static int stall_wait_ms(const struct exec_session *s, int wait)
{
	int64_t every = probe_every_ms(s);

	return s->ex->stall_timeout_s > 0 && every < wait ? (int)every : wait;
}

static int target_settings(struct exec_ssh *ex, const struct target *t, bool jump, struct sshcfg_host *h)
{
	if (ex->settings)
		return ex->settings(t, jump, h, ex->settings_arg);
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", t->host);
	snprintf(h->hostname, sizeof(h->hostname), "%s", t->host);
	snprintf(h->user, sizeof(h->user), "%s", t->user);
	h->port = t->port;
	h->compression = -1;
	h->alive_count_max = 3;
	return 0;
}

/*
 * Append to HOPS (at *N) the jump hosts on the way to a host whose settings are H, as ssh
 * does: the first host of its ProxyJump reached its own way (its ProxyJump first), the
 * others directly through the one before. DEPTH stops a loop of ProxyJump lines.
 */
static int jump_chain(struct exec_ssh *ex, const struct sshcfg_host *h, struct sshcfg_host *hops, size_t *n,
		      const char *name, int depth)
{
	char at[SSHCFG_PATH_MAX + 32], msg[1024];
	struct sshcfg_host *j;
	size_t k;
	int r = 0;

	sshcfg_origin_format(&h->proxy_at, at, sizeof(at));
	if (h->proxy_command)
		return err_set(ERR_UNSUPPORTED, "%s: ProxyCommand at %s is not supported: chimera runs no local command; "
			       "use ProxyJump [user@]host[:port], which it carries itself", name, at);
	if (depth > SSHCFG_JUMPS_MAX)
		return err_set(ERR_INVALID, "%s: ProxyJump at %s leads through more than %d jump hosts (a loop?)", name, at,
			       SSHCFG_JUMPS_MAX);
	if (!(j = malloc(sizeof(*j))))
		return err_set(ERR_NOMEM, "out of memory");
	for (k = 0; k < h->njump && r == 0; k++) {
		if ((r = target_settings(ex, &h->jump[k], true, j)) < 0) {
			snprintf(msg, sizeof(msg), "%s", err_msg());
			r = err_set(r, "%s: jump host %s (ProxyJump at %s): %s", name, h->jump[k].host, at, msg);
			break;
		}
		if (k == 0 && (j->njump || j->proxy_command))
			r = jump_chain(ex, j, hops, n, name, depth + 1);
		if (r == 0 && *n == SSHCFG_JUMPS_MAX)
			r = err_set(ERR_INVALID, "%s: ProxyJump at %s leads through more than %d jump hosts (a loop?)", name,
				    at, SSHCFG_JUMPS_MAX);
		if (r == 0)
			hops[(*n)++] = *j;
	}
	free(j);
	return r;
}

/* Connect the jump hosts HOPS[0..N-1] one through the other, then the node H over the last. */
static int connect_through(struct exec_ssh *ex, struct exec_session *s, const struct sshcfg_host *hops, size_t n,
			   const struct sshcfg_host *h)
{
	char at[SSHCFG_PATH_MAX + 32], hop_name[TARGET_FORMAT_MAX], msg[1024];
	int fd = -1, r = 0;
	size_t i;

	sshcfg_origin_format(&h->proxy_at, at, sizeof(at));
	for (i = 0; i < n; i++) {
		const struct sshcfg_host *next = i + 1 < n ? &hops[i + 1] : h;
		ssh_session js;

		sshx_name(&hops[i], hop_name, sizeof(hop_name));
		if ((r = sshx_session_open(ex, &hops[i], fd, hop_name, &js)) < 0 ||
		    (r = sshx_hop_start(js, &hops[i], hop_name, next->hostname, next->port, &s->hops[i], &fd)) < 0)
			break;
		s->nhops++;
	}
	if (r == 0)
		r = sshx_session_open(ex, h, fd, s->name, &s->ssh);
	if (r < 0 && i < n) {
		snprintf(msg, sizeof(msg), "%s", err_msg());
		r = err_set(r, "%s: through jump host %s (ProxyJump at %s): %s", s->name, hop_name, at, msg);
	}
	return r;
}

static int ssh_connect_session(struct exec_ssh *ex, struct exec_session *s, const struct target *t)
{
	struct sshcfg_host *h = malloc(sizeof(*h)), *hops = NULL;
	size_t n = 0;
	int r;

	if (!h)
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = target_settings(ex, t, false, h)) < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", err_msg());
		r = err_set(r, "%s: %s", s->name, msg);
		goto out;
	}
	s->alive_s = h->alive_interval;
	if (h->njump || h->proxy_command) {
		if (!(hops = calloc(SSHCFG_JUMPS_MAX, sizeof(*hops)))) {
			r = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((r = jump_chain(ex, h, hops, &n, s->name, 0)) < 0)
			goto out;
	}
	if (n)
		r = connect_through(ex, s, hops, n, h);
	else
		r = sshx_session_open(ex, h, -1, s->name, &s->ssh);
	if (r == 0) {
		quick_ack(s);
		ssh_set_counters(s->ssh, NULL, &s->rx);
	}
out:
	free(hops);
	free(h);
	s->last_data = clock_mono_ms();
	return r;
}

static void session_free(struct exec_session *s)
{
	if (s->ssh) {
		ssh_disconnect(s->ssh);
		ssh_free(s->ssh);
	}
	while (s->nhops > 0)
		sshx_hop_close(s->hops[--s->nhops]);
	free(s);
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
		session_free(s);
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

	st->s->last_data = clock_mono_ms();
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
	if (stall_check(s) < 0)
		return ERR_TIMEOUT;
	keepalive(s);
	quick_ack(s);
	if (ssh_event_dopoll(ev, stall_wait_ms(s, wait_ms(s, wait))) == SSH_ERROR)
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
		if (stall_check(s) < 0) {
			ssh_channel_request_send_signal(ch, "KILL");
			return ERR_TIMEOUT;
		}
		keepalive(s);
		quick_ack(s);
		if (ssh_event_dopoll(ev, stall_wait_ms(s, wait_ms(s, wait))) == SSH_ERROR)
			return err_set(ERR_IO, "%s: connection lost: %s", s->name, ssh_get_error(s->ssh));
		if (o && o->watch && res->out.len + res->err.len != seen) {
			unsigned flags = o->watch(res, o->watch_arg);

			seen = res->out.len + res->err.len;
			if ((flags & EXEC_WATCH_RESTART) && o->restart_timeout_s && *o->restart_timeout_s > 0)
				timeout_s = *o->restart_timeout_s;
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
	struct run_state st = { .res = res, .s = s };
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
	if (s->stalled)
		return err_set(ERR_TIMEOUT, "%s: stalled earlier on this connection: not a byte from the node for %lds",
			       s->name, s->ex->stall_timeout_s);
	s->rx_seen = s->rx.in_bytes;
	s->rx_at = start;
	s->probe_at = 0;
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
	if (s)
		session_free(s);
}

static void ssh_ex_close(struct executor *base)
{
	free(base);
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
	ex->connect_timeout_set = cfg->connect_timeout_set;
	ex->timeout_s = cfg->timeout_s;
	ex->stall_timeout_s = cfg->stall_timeout_s;
	ex->accept_new_host_keys = cfg->accept_new_host_keys;
	ex->settings = cfg->settings;
	ex->settings_arg = cfg->settings_arg;
	ssh_init();
	*out = &ex->base;
	return 0;
}
