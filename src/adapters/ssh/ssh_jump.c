/*
 * ProxyJump inside chimera's process: a session to the jump host opens a direct-tcpip
 * channel to the next host, and a thread copies that channel to and from one end of a
 * socket pair; the next session (another jump host, or the node) runs over the other end.
 * libssh 0.10 has no ProxyJump of its own (it would run `ssh -W` as a ProxyCommand).
 */
#include "adapters/ssh/ssh_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "util/banned.h"

#define CHUNK 32768

struct ssh_hop {
	ssh_session ssh;	/* to the jump host; only the thread touches it once started */
	ssh_channel ch;		/* direct-tcpip to the next host */
	int fd;			/* this side of the socket pair, non-blocking */
	int wake[2];		/* a byte on wake[1] stops the thread */
	pthread_t thread;
	bool started;
	long alive_s;		/* the jump host's ServerAliveInterval */
	char name[TARGET_FORMAT_MAX];
};

/* Bytes waiting to be written on one side. */
struct pending {
	char data[CHUNK];
	size_t len, off;
};

static int wake_up(socket_t fd, int revents, void *userdata)
{
	return 0;
}

/* Channel to socket: read what came when nothing waits, write what waits. Returns 1 moved, 0 not, -1 done. */
static int to_socket(struct ssh_hop *hop, struct pending *p, bool *eof)
{
	int moved = 0;

	if (p->off == p->len && !*eof) {
		int n = ssh_channel_read_nonblocking(hop->ch, p->data, sizeof(p->data), 0);

		if (n == SSH_ERROR)
			return -1;
		if (n > 0) {
			p->len = (size_t)n;
			p->off = 0;
			moved = 1;
		} else if (ssh_channel_is_eof(hop->ch)) {
			*eof = true;
			shutdown(hop->fd, SHUT_WR);
		}
	}
	if (p->off < p->len) {
		ssize_t w = send(hop->fd, p->data + p->off, p->len - p->off, MSG_NOSIGNAL);

		if (w > 0) {
			p->off += (size_t)w;
			moved = 1;
		} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		}
	}
	return moved;
}

/* Socket to channel, within the channel's window. Returns 1 moved, 0 not, -1 done. */
static int to_channel(struct ssh_hop *hop, struct pending *p, bool *eof)
{
	int moved = 0;

	if (p->off == p->len && !*eof) {
		uint32_t win = ssh_channel_window_size(hop->ch);

		if (win > 0) {
			ssize_t n = read(hop->fd, p->data, win < sizeof(p->data) ? win : sizeof(p->data));

			if (n > 0) {
				p->len = (size_t)n;
				p->off = 0;
				moved = 1;
			} else if (n == 0) {
				*eof = true;
				ssh_channel_send_eof(hop->ch);
				moved = 1;
			} else if (errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
	}
	if (p->off < p->len) {
		int w = ssh_channel_write(hop->ch, p->data + p->off, (uint32_t)(p->len - p->off));

		if (w == SSH_ERROR)
			return -1;
		if (w > 0) {
			p->off += (size_t)w;
			moved = 1;
		}
	}
	return moved;
}

/* Watch the socket for what the loop can use next: reading (room in the window), writing (bytes wait). */
static void watch(ssh_event ev, struct ssh_hop *hop, const struct pending *in, const struct pending *out, bool fd_eof,
		  short *watched)
{
	short want = 0;

	if (in->off == in->len && !fd_eof && ssh_channel_window_size(hop->ch) > 0)
		want |= POLLIN;
	if (out->off < out->len)
		want |= POLLOUT;
	if (want == *watched)
		return;
	if (*watched)
		ssh_event_remove_fd(ev, hop->fd);
	if (want)
		ssh_event_add_fd(ev, hop->fd, want, wake_up, NULL);
	*watched = want;
}

static void *pump(void *arg)
{
	struct ssh_hop *hop = arg;
	struct pending *in = calloc(1, sizeof(*in)), *out = calloc(1, sizeof(*out));
	bool fd_eof = false, ch_eof = false;
	int64_t last = clock_mono_ms();
	ssh_event ev = ssh_event_new();
	short watched = 0;

	sshx_quiet_thread();
	if (!in || !out || !ev || ssh_event_add_session(ev, hop->ssh) != SSH_OK ||
	    ssh_event_add_fd(ev, hop->wake[0], POLLIN, wake_up, NULL) != SSH_OK)
		goto out;
	for (;;) {
		int a, b;
		char c;

		if (read(hop->wake[0], &c, 1) == 1)
			break;
		if ((a = to_socket(hop, out, &ch_eof)) < 0 || (b = to_channel(hop, in, &fd_eof)) < 0)
			break;
		if ((ch_eof && fd_eof && out->off == out->len) || ssh_channel_is_closed(hop->ch))
			break;
		if (a || b) {
			last = clock_mono_ms();
			continue;
		}
		if (sshx_keepalive(hop->ssh, hop->alive_s, clock_mono_ms() - last))
			last = clock_mono_ms();
		watch(ev, hop, in, out, fd_eof, &watched);
		if (ssh_event_dopoll(ev, 1000) == SSH_ERROR)
			break;
	}
out:
	if (ev) {
		if (watched)
			ssh_event_remove_fd(ev, hop->fd);
		ssh_event_remove_fd(ev, hop->wake[0]);
		ssh_event_remove_session(ev, hop->ssh);
		ssh_event_free(ev);
	}
	/* the session on the other end sees the stream end */
	shutdown(hop->fd, SHUT_RDWR);
	log_kv(LOG_DEBUG, "ssh", "jump host channel closed", "jump", hop->name, (const char *)NULL);
	free(in);
	free(out);
	return NULL;
}

void sshx_hop_close(struct ssh_hop *hop)
{
	if (!hop)
		return;
	if (hop->started) {
		char c = 1;

		if (write(hop->wake[1], &c, 1) < 0)
			shutdown(hop->fd, SHUT_RDWR);
		pthread_join(hop->thread, NULL);
		ssh_set_blocking(hop->ssh, 1);
	}
	if (hop->ch) {
		if (ssh_channel_is_open(hop->ch))
			ssh_channel_close(hop->ch);
		ssh_channel_free(hop->ch);
	}
	ssh_disconnect(hop->ssh);
	ssh_free(hop->ssh);
	if (hop->fd >= 0)
		close(hop->fd);
	if (hop->wake[0] >= 0)
		close(hop->wake[0]);
	if (hop->wake[1] >= 0)
		close(hop->wake[1]);
	free(hop);
}

int sshx_hop_start(ssh_session jump, const struct sshcfg_host *h, const char *name, const char *host, unsigned port,
		   struct ssh_hop **out, int *fd)
{
	struct ssh_hop *hop = calloc(1, sizeof(*hop));
	pthread_attr_t attr;
	int sv[2], r;

	*out = NULL;
	*fd = -1;
	if (!hop) {
		ssh_disconnect(jump);
		ssh_free(jump);
		return err_set(ERR_NOMEM, "out of memory");
	}
	hop->ssh = jump;
	hop->fd = hop->wake[0] = hop->wake[1] = -1;
	hop->alive_s = h->alive_interval;
	snprintf(hop->name, sizeof(hop->name), "%s", name);
	if (!(hop->ch = ssh_channel_new(jump)) || ssh_channel_open_forward(hop->ch, host, (int)port, "127.0.0.1", 0) != SSH_OK) {
		r = err_set(ERR_IO, "%s: the jump host cannot open a channel to %s:%u: %s", name, host, port,
			    ssh_get_error(jump));
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = err_set_errno(ERR_IO, errno, "%s: socketpair", name);
		goto fail;
	}
	hop->fd = sv[0];
	if (pipe2(hop->wake, O_CLOEXEC | O_NONBLOCK) < 0 || fcntl(hop->fd, F_SETFL, O_NONBLOCK) < 0) {
		r = err_set_errno(ERR_IO, errno, "%s: pipe", name);
		close(sv[1]);
		goto fail;
	}
	ssh_set_blocking(jump, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	r = pthread_create(&hop->thread, &attr, pump, hop);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		r = err_set(ERR_IO, "%s: cannot start a thread: %s", name, strerror(r));
		close(sv[1]);
		goto fail;
	}
	hop->started = true;
	*out = hop;
	*fd = sv[1];
	return 0;
fail:
	sshx_hop_close(hop);
	return r;
}
