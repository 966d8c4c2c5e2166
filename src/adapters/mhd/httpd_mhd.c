/*
 * The HTTP server port on libmicrohttpd 0.9.75: the daemon, its connections, the ticker.
 *
 * Threading, and why: MHD runs MHD_IO_THREADS internal epoll threads (its thread pool)
 * that only move bytes, and cfg->threads worker threads run the handlers. A whole request
 * suspends its connection (MHD_ALLOW_SUSPEND_RESUME) and waits in a queue for a worker;
 * the worker answers and resumes it (httpd_mhd_request.c). So a handler that blocks for
 * hundreds of milliseconds on SQLite stalls neither the streams nor other requests, and up
 * to cfg->threads handlers run at once, each worker keeping its own per-thread state (the
 * api's ledger handle) for its life. A stream with nothing to send suspends its connection
 * too: an idle SSE subscriber costs a suspended connection (no thread, no stack, no poll
 * wake-ups), which is how 1000 of them fit next to 50 busy clients on 2 cores and in the
 * memory budget. Thread-per-connection was not chosen: a thread (stack, scheduling) and a
 * ledger handle per subscriber, and a handler could not be told apart from a stream.
 *
 * The ticker thread, every MHD_TICK_MS: cuts (shutdown) connections whose request headers
 * are not whole header_timeout_s after the connection began or the last response ended
 * (slow-loris; MHD's own timeout is reset by every byte), and every MHD_RESUME_MS resumes
 * the waiting streams so each can send its keepalive, first marking those whose client
 * hung up (POLLRDHUP) so they end. Idle connections are MHD's (MHD_OPTION_CONNECTION_TIMEOUT).
 * The connection cap: MHD accepts a margin past max_connections; those connections are
 * answered 503 (the refusal hook's body) on their first request and closed.
 */
#include "adapters/mhd/httpd_mhd.h"
#include "adapters/mhd/httpd_mhd_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "util/banned.h"

/* --- connections --- */

struct mhd_conn *mhd_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static int64_t header_deadline(const struct httpd_mhd *h)
{
	return h->cfg.header_timeout_s ? clock_mono_ms() + 1000 * (int64_t)h->cfg.header_timeout_s : 0;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct httpd_mhd *h = cls;
	struct mhd_conn *conn;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		if (!(conn = calloc(1, sizeof(*conn))))
			return;	/* its first request is cut (mhd_on_request finds no entry) */
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		conn->c = c;
		conn->fd = ci ? ci->connect_fd : -1;
		pthread_mutex_lock(&h->lock);
		conn->deadline_ms = header_deadline(h);
		conn->next = h->conns;
		if (h->conns)
			h->conns->prev = conn;
		h->conns = conn;
		h->nconns++;
		conn->over_cap = h->cfg.max_connections && h->nconns > h->cfg.max_connections;
		pthread_mutex_unlock(&h->lock);
		*socket_context = conn;
		return;
	}
	if (!(conn = *socket_context))
		return;
	/* MHD closes the socket after this returns: the ticker, under the lock, never touches a closed fd. */
	pthread_mutex_lock(&h->lock);
	if (conn->prev)
		conn->prev->next = conn->next;
	else
		h->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	h->nconns--;
	pthread_mutex_unlock(&h->lock);
	*socket_context = NULL;
	free(conn);
}

void mhd_resume_waiting(struct httpd_mhd *h)
{
	struct mhd_conn *conn;

	h->wake_gen++;
	for (conn = h->conns; conn; conn = conn->next)
		if (conn->waiting) {
			conn->waiting = false;
			MHD_resume_connection(conn->c);
		}
}

/* --- the ticker --- */

/* Cut the connections still without whole request headers at their deadline (under h->lock). */
static void reap_slow(struct httpd_mhd *h, int64_t now)
{
	struct mhd_conn *conn;

	for (conn = h->conns; conn; conn = conn->next)
		if (conn->deadline_ms && now >= conn->deadline_ms && conn->fd >= 0) {
			log_debug("httpd", "a connection sent no whole request headers in %u s: closed",
				  h->cfg.header_timeout_s);
			shutdown(conn->fd, SHUT_RDWR);
			conn->deadline_ms = 0;
		}
}

/* Mark the waiting streams whose client hung up (under h->lock): their next read ends them. */
static void mark_gone(struct httpd_mhd *h)
{
	struct mhd_conn *conn;
	struct pollfd *p;
	size_t n = 0, i;

	for (conn = h->conns; conn; conn = conn->next)
		n += conn->waiting && conn->fd >= 0;
	if (n == 0)
		return;
	if (n > h->pfd_cap) {
		if (!(p = realloc(h->pfd, n * sizeof(*p))))
			return;
		h->pfd = p;
		h->pfd_cap = n;
	}
	for (i = 0, conn = h->conns; conn; conn = conn->next)
		if (conn->waiting && conn->fd >= 0)
			h->pfd[i++] = (struct pollfd){ .fd = conn->fd, .events = POLLRDHUP };
	if (poll(h->pfd, n, 0) <= 0)
		return;
	for (i = 0, conn = h->conns; conn; conn = conn->next)
		if (conn->waiting && conn->fd >= 0 && (h->pfd[i++].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)))
			conn->gone = true;
}

static void *ticker(void *arg)
{
	struct httpd_mhd *h = arg;
	struct timespec ts;
	int64_t now;

	pthread_mutex_lock(&h->lock);
	while (!h->ticker_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += MHD_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->tick_cond, &h->lock, &ts);
		if (h->ticker_stop)
			break;
		now = clock_mono_ms();
		reap_slow(h, now);
		if (now - h->last_resume_ms >= MHD_RESUME_MS) {
			mark_gone(h);
			mhd_resume_waiting(h);
			h->last_resume_ms = now;
		}
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* --- the port's operations --- */

static struct httpd_mhd *of(struct httpd *base)
{
	return (struct httpd_mhd *)base;
}

static int op_port(struct httpd *base)
{
	return of(base)->port;
}

static void op_wake(struct httpd *base)
{
	struct httpd_mhd *h = of(base);

	pthread_mutex_lock(&h->lock);
	mhd_resume_waiting(h);
	pthread_mutex_unlock(&h->lock);
}

static void op_quiesce(struct httpd *base)
{
	struct httpd_mhd *h = of(base);

	if (h->d && h->quiesced_fd < 0)
		h->quiesced_fd = MHD_quiesce_daemon(h->d);
}

static unsigned op_connections(struct httpd *base)
{
	struct httpd_mhd *h = of(base);
	unsigned n;

	pthread_mutex_lock(&h->lock);
	n = h->nconns;
	pthread_mutex_unlock(&h->lock);
	return n;
}

/*
 * Close: the ticker stops; the workers finish what is queued (new requests are answered
 * 503) and resume their connections; the waiting streams are resumed to end; then MHD
 * stops, closing every connection (no connection may stay suspended past this).
 */
static void destroy(struct httpd_mhd *h)
{
	pthread_mutex_lock(&h->lock);
	h->ticker_stop = true;
	pthread_cond_broadcast(&h->tick_cond);
	pthread_mutex_unlock(&h->lock);
	if (h->ticker_started)
		pthread_join(h->ticker, NULL);
	mhd_pool_stop(h);
	pthread_mutex_lock(&h->lock);
	h->closing = true;
	mhd_resume_waiting(h);
	pthread_mutex_unlock(&h->lock);
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->quiesced_fd >= 0)
		close(h->quiesced_fd);
	pthread_mutex_destroy(&h->pool.lock);
	pthread_cond_destroy(&h->pool.cond);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->tick_cond);
	free(h->pfd);
	free(h->cert);
	free(h->key);
	free(h);
}

static void op_close(struct httpd *base)
{
	if (base)
		destroy(of(base));
}

static const struct httpd_ops mhd_ops = {
	.port = op_port,
	.wake = op_wake,
	.quiesce = op_quiesce,
	.connections = op_connections,
	.close = op_close,
};

/* --- starting --- */

/* MHD's messages: debug records; while starting, the first one is kept as the reason a start failed. */
__attribute__((format(printf, 2, 0))) static void on_log(void *cls, const char *fmt, va_list ap)
{
	struct httpd_mhd *h = cls;
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	if (h->starting && !h->start_log[0])
		snprintf(h->start_log, sizeof(h->start_log), "%s", msg);
	log_debug("httpd", "libmicrohttpd: %s", msg);
}

/* HOST:PORT for messages, brackets around an IPv6 address. */
static void where(const struct httpd_config *cfg, char *buf, size_t len)
{
	bool v6 = strchr(cfg->host, ':') != NULL;

	snprintf(buf, len, "%s%s%s:%d", v6 ? "[" : "", cfg->host, v6 ? "]" : "", cfg->port);
}

/* A listening socket on CFG's address; *PORT the port it got. Returns the fd, or an error naming the address. */
static int listen_socket(const struct httpd_config *cfg, bool *v6, int *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char at[300];
	int fd, one = 1, e;

	memset(&ss, 0, sizeof(ss));
	where(cfg, at, sizeof(at));
	if (inet_pton(AF_INET, cfg->host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)cfg->port);
		len = sizeof(*in4);
		*v6 = false;
	} else if (inet_pton(AF_INET6, cfg->host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)cfg->port);
		len = sizeof(*in6);
		*v6 = true;
	} else {
		return err_set(ERR_INVALID, "listen address '%s': expected a numeric IPv4 or IPv6 address (127.0.0.1, ::1, 0.0.0.0)",
			       cfg->host);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot listen on %s", at);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (*v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		e = errno;
		close(fd);
		return err_set_errno(ERR_IO, e, "cannot listen on %s", at);
	}
	*port = ntohs(*v6 ? in6->sin6_port : in4->sin_port);
	return fd;
}

/* PATH's text into *OUT (malloc'd, NUL-terminated). WHAT names it in errors. */
static int read_pem(const char *what, const char *path, char **out)
{
	struct buf b = BUF_INIT(1 << 20);
	char msg[512];
	size_t len;
	int r;

	if ((r = fs_read_file(path, &b)) < 0) {
		snprintf(msg, sizeof(msg), "%s", err_msg());
		buf_release(&b);
		return err_set(r == ERR_NOTFOUND ? ERR_IO : r, "TLS %s: %s", what, msg);
	}
	if (b.len == 0 || !strstr(b.data, "-----BEGIN ")) {
		buf_release(&b);
		return err_set(ERR_INVALID, "TLS %s '%s': expected a PEM file (-----BEGIN ...)", what, path);
	}
	if (!(*out = buf_detach(&b, &len)))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int check_config(const struct httpd_config *cfg)
{
	if (!cfg->handler)
		return err_set(ERR_INVALID, "HTTP server: no request handler");
	if (!cfg->host || !*cfg->host)
		return err_set(ERR_INVALID, "listen address '': expected a numeric IPv4 or IPv6 address (127.0.0.1, ::1, 0.0.0.0)");
	if (cfg->port < 0 || cfg->port > 65535)
		return err_set(ERR_INVALID, "listen port '%d': expected 0 to 65535", cfg->port);
	if (!cfg->tls_cert != !cfg->tls_key)
		return err_set(ERR_INVALID, "TLS needs both a certificate and a key (--tls-cert FILE --tls-key FILE)");
	if (cfg->tls_cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return err_set(ERR_UNSUPPORTED, "TLS: this libmicrohttpd was built without it");
	return 0;
}

/* Start MHD on listening socket FD (MHD owns it from here, even when it fails). */
static int start_daemon(struct httpd_mhd *h, int fd, bool v6)
{
	const struct httpd_config *cfg = &h->cfg;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	/* MHD's own cap (its default is FD_SETSIZE - 4, split among its threads): a margin past ours, so those are answered 503 */
	unsigned cap = cfg->max_connections && cfg->max_connections < 1u << 20 ?
			       cfg->max_connections + cfg->max_connections / 4 + 16 : 1u << 20;
	struct MHD_OptionItem tls[] = {
		{ h->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, h->cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, h->key },
		{ MHD_OPTION_END, 0, NULL },
	};
	char at[300];

	if (h->tls)
		flags |= MHD_USE_TLS;
	if (v6)
		flags |= MHD_USE_IPv6;
	h->starting = true;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, mhd_on_request, h,
				MHD_OPTION_EXTERNAL_LOGGER, on_log, h,
				MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)MHD_IO_THREADS,
				MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s,
				MHD_OPTION_NOTIFY_COMPLETED, mhd_on_completed, h,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
				MHD_OPTION_CONNECTION_LIMIT, cap,
				MHD_OPTION_ARRAY, tls,
				MHD_OPTION_END);
	h->starting = false;
	if (h->d)
		return 0;
	if (h->tls)
		return err_set(ERR_IO, "cannot use TLS certificate '%s' with key '%s': %s", cfg->tls_cert, cfg->tls_key,
			       h->start_log[0] ? h->start_log : "libmicrohttpd refused them");
	where(cfg, at, sizeof(at));
	return err_set(ERR_IO, "cannot start the HTTP server on %s: %s", at,
		       h->start_log[0] ? h->start_log : "libmicrohttpd failed");
}

static int init(struct httpd_mhd *h, const struct httpd_config *cfg)
{
	bool v6;
	int fd, r;

	if ((r = check_config(cfg)) < 0)
		return r;
	if (cfg->tls_cert && ((r = read_pem("certificate", cfg->tls_cert, &h->cert)) < 0 ||
			      (r = read_pem("key", cfg->tls_key, &h->key)) < 0))
		return r;
	h->tls = cfg->tls_cert != NULL;
	if ((fd = listen_socket(cfg, &v6, &h->port)) < 0)
		return fd;
	h->cfg.port = h->port;
	if ((r = mhd_pool_start(h, cfg->threads ? cfg->threads : MHD_WORKERS_DEFAULT)) < 0) {
		close(fd);
		return r;
	}
	if ((r = start_daemon(h, fd, v6)) < 0)
		return r;
	h->last_resume_ms = clock_mono_ms();
	if ((r = pthread_create(&h->ticker, NULL, ticker, h)) != 0)
		return err_set_errno(ERR_IO, r, "cannot start the HTTP server's ticker thread");
	h->ticker_started = true;
	return 0;
}

int httpd_mhd_new(const struct httpd_config *cfg, struct httpd **out)
{
	struct httpd_mhd *h;
	pthread_condattr_t ca;
	int r;

	*out = NULL;
	if (!(h = calloc(1, sizeof(*h))))
		return err_set(ERR_NOMEM, "out of memory");
	h->base.ops = &mhd_ops;
	h->cfg = *cfg;
	h->quiesced_fd = -1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->tick_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&h->pool.lock, NULL);
	pthread_cond_init(&h->pool.cond, NULL);
	if ((r = init(h, cfg)) < 0) {
		destroy(h);
		return r;
	}
	*out = &h->base;
	return 0;
}
