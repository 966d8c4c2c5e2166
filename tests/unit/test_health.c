/* Health checks: spec parsing and {host}, then http, tcp and cmd checks against loopback only. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters/curl/http_curl.h"
#include "adapters/local/exec_local.h"
#include "app/fleet/health.h"
#include "check.h"
#include "core/healthspec.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"

/* The HTTP port on libcurl, for the checks against the loopback server (main opens it). */
static struct http *real_http;

/* ---- parsing ---- */

struct good {
	const char *in;
	enum health_kind kind;
	const char *arg;	/* url, host or cmd */
	int status;		/* http */
	unsigned port;		/* tcp */
};

static const struct good goods[] = {
	{ "http:http://127.0.0.1:8080/health", HEALTH_HTTP, "http://127.0.0.1:8080/health", 0, 0 },
	{ "http:https://example.org/x=200", HEALTH_HTTP, "https://example.org/x", 200, 0 },
	{ "http:http://h/?a=b", HEALTH_HTTP, "http://h/?a=b", 0, 0 },
	{ "http:http://h/?x=1234", HEALTH_HTTP, "http://h/?x=1234", 0, 0 },
	{ "http:http://h/?x=12", HEALTH_HTTP, "http://h/?x=12", 0, 0 },
	{ "http:http://h/?x==503", HEALTH_HTTP, "http://h/?x=", 503, 0 },
	{ "http:http://h/?a=b=100", HEALTH_HTTP, "http://h/?a=b", 100, 0 },
	{ "http:http://h=599", HEALTH_HTTP, "http://h", 599, 0 },
	{ "http:http://{host}:8080/{host}", HEALTH_HTTP, "http://{host}:8080/{host}", 0, 0 },
	{ "tcp:127.0.0.1:22", HEALTH_TCP, "127.0.0.1", 0, 22 },
	{ "tcp:db-1.example_x:5432", HEALTH_TCP, "db-1.example_x", 0, 5432 },
	{ "tcp:[::1]:65535", HEALTH_TCP, "::1", 0, 65535 },
	{ "tcp:[fe80::1%eth0]:1", HEALTH_TCP, "fe80::1%eth0", 0, 1 },
	{ "tcp:{host}:00080", HEALTH_TCP, "{host}", 0, 80 },
	{ "tcp:[{host}]:80", HEALTH_TCP, "{host}", 0, 80 },
	{ "cmd:true", HEALTH_CMD, "true", 0, 0 },
	{ "cmd:systemctl is-active x && test \"${y}\" = '{z}'", HEALTH_CMD,
	  "systemctl is-active x && test \"${y}\" = '{z}'", 0, 0 },
	{ "cmd:printf 'a\\n'\nexit 0", HEALTH_CMD, "printf 'a\\n'\nexit 0", 0, 0 },
};

static void test_parse_good(void **state)
{
	struct health_spec sp;
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		if (health_spec_parse(g->in, &sp) != 0)
			fail_msg("'%s' rejected: %s", g->in, err_msg());
		assert_int_equal(sp.kind, g->kind);
		assert_string_equal(sp.text, g->in);
		assert_int_equal(sp.timeout_ms, HEALTH_TIMEOUT_MS);
		assert_int_equal(sp.retries, HEALTH_RETRIES);
		assert_int_equal(sp.retry_delay_ms, HEALTH_RETRY_DELAY_MS);
		switch (g->kind) {
		case HEALTH_HTTP:
			assert_string_equal(sp.url, g->arg);
			assert_int_equal(sp.want_status, g->status);
			break;
		case HEALTH_TCP:
			assert_string_equal(sp.host, g->arg);
			assert_int_equal(sp.port, g->port);
			break;
		case HEALTH_CMD:
			assert_string_equal(sp.cmd, g->arg);
			break;
		}
	}
}

struct bad {
	const char *in;
	const char *hint;	/* must appear in the message */
};

static const struct bad bads[] = {
	{ "", "expected http:URL[=STATUS], tcp:HOST:PORT or cmd:COMMAND" },
	{ "ftp://x", "expected http:URL[=STATUS], tcp:HOST:PORT or cmd:COMMAND" },
	{ "HTTP:http://x", "expected http:URL" },
	{ " cmd:true", "expected http:URL" },
	{ "cmdtrue", "expected http:URL" },
	{ "udp:h:53", "expected http:URL" },
	{ "http:", "must start with http:// or https://" },
	{ "http://x/ok", "no http: before the URL; expected http:URL[=STATUS]" },
	{ "https://x=200", "no http: before the URL" },
	{ "http:ftp://x", "must start with http:// or https://" },
	{ "http:HTTP://x", "must start with http:// or https://" },
	{ "http:http:/x", "must start with http:// or https://" },
	{ "http:http://", "no host" },
	{ "http:https:///path", "no host" },
	{ "http:http://?q", "no host" },
	{ "http:http://x/=600", "status 600 not in 100-599" },
	{ "http:http://x/=099", "status 099 not in 100-599" },
	{ "http:http://x/=000", "not in 100-599" },
	{ "http:http://x/a b", "control character or a space" },
	{ "http:http://x/\x01", "control character" },
	{ "http:http://x/\x1b[2J", "control character" },
	{ "http:http://x/\x7f", "control character" },
	{ "http:http://x/\n=200", "control character" },
	{ "http:http://{hostname}/", "unknown placeholder '{hostname}'" },
	{ "http:http://{HOST}/", "unknown placeholder '{HOST}'" },
	{ "http:http://{host}/{port}", "unknown placeholder '{port}'" },
	{ "http:http://{{host}}/", "unknown placeholder" },
	{ "http:http://{host/", "'{' without '}'" },
	{ "tcp:", "no :PORT" },
	{ "tcp:host", "no :PORT" },
	{ "tcp:[::1]", "no :PORT" },
	{ "tcp:host:", "PORT must be a number from 1 to 65535" },
	{ "tcp:host:0", "PORT must be" },
	{ "tcp:host:65536", "PORT must be" },
	{ "tcp:host:99999", "PORT must be" },
	{ "tcp:host:123456", "PORT must be" },
	{ "tcp:host:-1", "PORT must be" },
	{ "tcp:host:+80", "PORT must be" },
	{ "tcp:host:8a", "PORT must be" },
	{ "tcp:host: 80", "PORT must be" },
	{ "tcp::80", "HOST is empty" },
	{ "tcp:[]:80", "HOST is empty" },
	{ "tcp:::1:80", "an IPv6 HOST needs brackets" },
	{ "tcp:[::1:80", "'[' without ']'" },
	{ "tcp:[:80", "'[' without ']'" },
	{ "tcp:a b:80", "outside [A-Za-z0-9._-]" },
	{ "tcp:a/b:80", "outside [A-Za-z0-9._-]" },
	{ "tcp:a]:80", "outside" },
	{ "tcp:[a[b]:80", "outside [A-Za-z0-9._:%-]" },
	{ "tcp:user@h:22", "outside" },
	{ "tcp:a\tb:80", "control character" },
	{ "tcp:a\x7f:80", "control character" },
	{ "tcp:{port}:80", "unknown placeholder '{port}'" },
	{ "tcp:{host}x{:80", "'{' without '}'" },
	{ "cmd:", "COMMAND is empty" },
	{ "cmd: \t ", "COMMAND is empty" },
};

/* TEXT is refused with ERR_INVALID, a message that quotes it and says HINT, and OUT empty. */
static void expect_bad(const char *text, const char *hint)
{
	struct health_spec sp;
	int r;

	memset(&sp, 0x5a, sizeof(sp));
	err_clear();
	if ((r = health_spec_parse(text, &sp)) == 0)
		fail_msg("'%s' accepted", text);
	assert_int_equal(r, ERR_INVALID);
	assert_quotes("--check", text, strlen(text));
	assert_contains(err_msg(), hint);
	assert_int_equal(sp.kind, 0);
	assert_string_equal(sp.text, "");
	assert_string_equal(sp.url, "");
	assert_int_equal(sp.port, 0);
}

static void test_parse_bad(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		expect_bad(bads[i].in, bads[i].hint);
	/* The message in full, as the user sees it. */
	assert_int_equal(health_spec_parse("ftp://x", &(struct health_spec){ 0 }), ERR_INVALID);
	assert_string_equal(err_msg(),
			    "--check 'ftp://x': expected http:URL[=STATUS], tcp:HOST:PORT or cmd:COMMAND");
}

/* PREFIX, then N times C, then SUFFIX, in a new string the caller frees. */
static char *repeat(const char *prefix, char c, size_t n, const char *suffix)
{
	size_t p = strlen(prefix), s = strlen(suffix);
	char *t = malloc(p + n + s + 1);

	assert_non_null(t);
	memcpy(t, prefix, p);
	memset(t + p, c, n);
	memcpy(t + p + n, suffix, s + 1);
	return t;
}

/* Each part's limit holds exactly: at the limit it parses, one byte over it is refused. */
static void test_parse_limits(void **state)
{
	struct health_spec sp;
	char *t;

	/* "http://" and 2041 bytes make a 2048-byte URL; a status does not count. */
	t = repeat("http:http://", 'a', HEALTH_URL_MAX - 7, "=200");
	assert_int_equal(health_spec_parse(t, &sp), 0);
	assert_int_equal(strlen(sp.url), HEALTH_URL_MAX);
	assert_int_equal(sp.want_status, 200);
	free(t);
	t = repeat("http:http://", 'a', HEALTH_URL_MAX - 6, "");
	expect_bad(t, "URL longer than 2048 bytes");
	free(t);

	t = repeat("tcp:", 'h', HEALTH_HOST_MAX, ":1");
	assert_int_equal(health_spec_parse(t, &sp), 0);
	assert_int_equal(strlen(sp.host), HEALTH_HOST_MAX);
	free(t);
	t = repeat("tcp:[", 'a', HEALTH_HOST_MAX, "]:1");
	assert_int_equal(health_spec_parse(t, &sp), 0);
	assert_int_equal(strlen(sp.host), HEALTH_HOST_MAX);
	free(t);
	t = repeat("tcp:", 'h', HEALTH_HOST_MAX + 1, ":1");
	expect_bad(t, "HOST longer than 255 bytes");
	free(t);

	t = repeat("cmd:", ':', HEALTH_CMD_MAX, "");
	assert_int_equal(health_spec_parse(t, &sp), 0);
	assert_int_equal(strlen(sp.cmd), HEALTH_CMD_MAX);
	assert_int_equal(strlen(sp.text), HEALTH_TEXT_MAX);
	free(t);
	t = repeat("cmd:", ':', HEALTH_CMD_MAX + 1, "");
	expect_bad(t, "COMMAND longer than 4096 bytes");
	free(t);
}

static void test_expand(void **state)
{
	char out[64];

	assert_int_equal(health_expand("http://{host}:1/{host}", "10.0.0.1", out, sizeof(out)), 0);
	assert_string_equal(out, "http://10.0.0.1:1/10.0.0.1");
	assert_int_equal(health_expand("{host}", "h", out, sizeof(out)), 0);
	assert_string_equal(out, "h");
	assert_int_equal(health_expand("no placeholder", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "no placeholder");
	assert_int_equal(health_expand("", NULL, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* The host is put in as it is, never expanded again. */
	assert_int_equal(health_expand("a{host}b", "{host}", out, sizeof(out)), 0);
	assert_string_equal(out, "a{host}b");

	assert_int_equal(health_expand("x{host}", NULL, out, sizeof(out)), ERR_INVALID);
	assert_string_equal(out, "");
	assert_contains(err_msg(), "'x{host}' has {host} but no host");

	/* "a-bb-a" needs 7 bytes with its NUL. */
	assert_int_equal(health_expand("a-{host}-a", "bb", out, 7), 0);
	assert_string_equal(out, "a-bb-a");
	memset(out, 'z', sizeof(out));
	assert_int_equal(health_expand("a-{host}-a", "bb", out, 6), ERR_LIMIT);
	assert_string_equal(out, "");
	assert_contains(err_msg(), "does not fit in 6 bytes");
	memset(out, 'z', sizeof(out));
	assert_int_equal(health_expand("abcdef", NULL, out, 6), ERR_LIMIT);
	assert_string_equal(out, "");
	out[0] = 'z';
	assert_int_equal(health_expand("", NULL, out, 0), ERR_LIMIT);
	assert_int_equal(out[0], 'z');
}

/* ---- a tiny HTTP server on 127.0.0.1 ---- */

enum route { ROUTE_OK, ROUTE_BAD, ROUTE_SLOW, ROUTE_FLAKY, ROUTE_REDIRECT, ROUTE_OTHER, ROUTE_COUNT };

struct server {
	int fd;			/* listening on 127.0.0.1 */
	int stop[2];		/* a byte on stop[1] ends the thread */
	unsigned port;
	pthread_t th;
	atomic_int hits[ROUTE_COUNT];
};

static struct server srv;

/* A socket bound to 127.0.0.1 on an ephemeral port; its port in *PORT. */
static int loopback_socket(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Read the request head from C (at most 2 s); returns its route. */
static enum route read_request(int c)
{
	char req[4096];
	size_t n = 0;
	ssize_t k;
	struct pollfd p = { .fd = c, .events = POLLIN };

	while (n < sizeof(req) - 1 && !memmem(req, n, "\r\n\r\n", 4)) {
		if (poll(&p, 1, 2000) <= 0 || (k = recv(c, req + n, sizeof(req) - 1 - n, 0)) <= 0)
			return ROUTE_OTHER;
		n += (size_t)k;
	}
	req[n] = '\0';
	if (strncmp(req, "GET /ok ", 8) == 0)
		return ROUTE_OK;
	if (strncmp(req, "GET /bad ", 9) == 0)
		return ROUTE_BAD;
	if (strncmp(req, "GET /slow ", 10) == 0)
		return ROUTE_SLOW;
	if (strncmp(req, "GET /flaky ", 11) == 0)
		return ROUTE_FLAKY;
	if (strncmp(req, "GET /redirect ", 14) == 0)
		return ROUTE_REDIRECT;
	return ROUTE_OTHER;
}

static void respond(int c, int status, const char *extra)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg),
			 "HTTP/1.1 %d X\r\nContent-Length: 5\r\nConnection: close\r\n%s\r\nhello", status, extra);

	/* The client may be gone (a timeout): no SIGPIPE, and no care. */
	(void)!send(c, msg, (size_t)n, MSG_NOSIGNAL);
}

static void serve(int c)
{
	struct pollfd p = { .fd = c, .events = POLLIN };
	enum route r = read_request(c);
	int hit = atomic_fetch_add(&srv.hits[r], 1);

	switch (r) {
	case ROUTE_OK:
		respond(c, 200, "");
		break;
	case ROUTE_BAD:
		respond(c, 503, "");
		break;
	case ROUTE_SLOW:
		/* Slower than any timeout the tests use: wait for the client to give up. */
		poll(&p, 1, 3000);
		respond(c, 200, "");
		break;
	case ROUTE_FLAKY:
		respond(c, hit == 0 ? 503 : 200, "");
		break;
	case ROUTE_REDIRECT:
		respond(c, 302, "Location: /ok\r\n");
		break;
	default:
		respond(c, 404, "");
		break;
	}
}

static void *server_main(void *arg)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = srv.fd, .events = POLLIN }, { .fd = srv.stop[0], .events = POLLIN } };
		int c;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN) || (c = accept4(srv.fd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		serve(c);
		close(c);
	}
	return NULL;
}

static int server_up(void **state)
{
	int i;

	memset(&srv, 0, sizeof(srv));
	for (i = 0; i < ROUTE_COUNT; i++)
		atomic_init(&srv.hits[i], 0);
	srv.fd = loopback_socket(&srv.port);
	assert_int_equal(listen(srv.fd, 64), 0);
	assert_int_equal(pipe2(srv.stop, O_CLOEXEC), 0);
	assert_int_equal(pthread_create(&srv.th, NULL, server_main, NULL), 0);
	return 0;
}

static int server_down(void **state)
{
	assert_int_equal(write(srv.stop[1], "x", 1), 1);
	assert_int_equal(pthread_join(srv.th, NULL), 0);
	close(srv.fd);
	close(srv.stop[0]);
	close(srv.stop[1]);
	return 0;
}

/* Parse "http:http://127.0.0.1:PORT" PATH_AND_STATUS with TIMEOUT_MS, RETRIES and a short delay. */
static void http_spec(struct health_spec *sp, const char *path, long timeout_ms, int retries)
{
	char text[256];

	snprintf(text, sizeof(text), "http:http://127.0.0.1:%u%s", srv.port, path);
	assert_int_equal(health_spec_parse(text, sp), 0);
	sp->timeout_ms = timeout_ms;
	sp->retries = retries;
	sp->retry_delay_ms = 50;
}

static void expect_result(const struct health_result *res, int ok, int attempts, const char *detail)
{
	if (res->ok != ok || res->attempts != attempts || !strstr(res->detail, detail))
		fail_msg("got ok %d, %d attempts, \"%s\"; want ok %d, %d attempts, \"%s\"", res->ok, res->attempts,
			 res->detail, ok, attempts, detail);
}

/* ---- a fake HTTP port: what health asks of it, and the answers it is given ---- */

struct fake_http {
	struct http base;
	struct http_response answer;	/* returned by every request (status, error, errno, message) */
	struct http_tcp_result tcp;	/* returned by every tcp_connect */
	int requests, connects;
	char method[16], url[512], host[256];
	unsigned port;
	long timeout_ms;
};

static int fake_request(struct http *h, const struct http_request *req, struct http_response *res)
{
	struct fake_http *f = (struct fake_http *)h;

	f->requests++;
	snprintf(f->method, sizeof(f->method), "%s", req->method);
	snprintf(f->url, sizeof(f->url), "%s", req->url);
	f->timeout_ms = req->timeout_ms;
	*res = f->answer;
	return 0;
}

static int fake_tcp(struct http *h, const char *host, unsigned port, long timeout_ms, struct http_tcp_result *res)
{
	struct fake_http *f = (struct fake_http *)h;

	f->connects++;
	snprintf(f->host, sizeof(f->host), "%s", host);
	f->port = port;
	f->timeout_ms = timeout_ms;
	*res = f->tcp;
	return 0;
}

static const struct http_ops fake_http_ops = { .name = "fake", .request = fake_request, .tcp_connect = fake_tcp };

static void fake_http_init(struct fake_http *f)
{
	memset(f, 0, sizeof(*f));
	f->base.ops = &fake_http_ops;
}

/* The request health makes, and how each kind of answer reads. */
static void test_fake_http(void **state)
{
	struct fake_http f;
	struct health_spec sp;
	struct health_result res;

	fake_http_init(&f);
	assert_int_equal(health_spec_parse("http:http://{host}:8080/health", &sp), 0);
	sp.timeout_ms = 1234;
	sp.retries = 2;
	sp.retry_delay_ms = 1;
	f.answer.status = 204;
	assert_int_equal(health_run(&sp, "fd00::1", &f.base, NULL, NULL, &res), 0);
	expect_result(&res, 1, 1, "HTTP 204");
	assert_string_equal(f.method, "GET");
	assert_string_equal(f.url, "http://[fd00::1]:8080/health");
	assert_int_equal(f.timeout_ms, 1234);

	f.answer = (struct http_response){ .error = HTTP_CONNECT, .sys_errno = ECONNREFUSED };
	f.requests = 0;
	assert_int_equal(health_run(&sp, "10.0.0.1", &f.base, NULL, NULL, &res), 0);
	expect_result(&res, 0, 3, "connection refused");
	assert_int_equal(f.requests, 3);
	assert_string_equal(f.url, "http://10.0.0.1:8080/health");

	f.answer = (struct http_response){ .error = HTTP_CONNECT };
	assert_int_equal(health_run(&sp, "10.0.0.1", &f.base, NULL, NULL, &res), 0);
	assert_string_equal(res.detail, "cannot connect");

	f.answer = (struct http_response){ .error = HTTP_TIMEOUT, .message = "Operation timed out" };
	assert_int_equal(health_run(&sp, "10.0.0.1", &f.base, NULL, NULL, &res), 0);
	assert_string_equal(res.detail, "timed out after 1234 ms");

	/* A URL the client refuses is not asked again; the client names itself. */
	f.answer = (struct http_response){ .error = HTTP_BAD_URL, .message = "bad URL" };
	f.requests = 0;
	assert_int_equal(health_run(&sp, "10.0.0.1", &f.base, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "fake: bad URL");
	assert_int_equal(f.requests, 1);
	f.answer = (struct http_response){ .error = HTTP_OTHER, .message = "SSL handshake failed" };
	assert_int_equal(health_run(&sp, "10.0.0.1", &f.base, NULL, NULL, &res), 0);
	expect_result(&res, 0, 3, "fake: SSL handshake failed");
}

static void test_fake_tcp(void **state)
{
	struct fake_http f;
	struct health_spec sp;
	struct health_result res;

	fake_http_init(&f);
	assert_int_equal(health_spec_parse("tcp:{host}:5432", &sp), 0);
	sp.timeout_ms = 700;
	sp.retries = 0;
	f.tcp.connected = 1;
	assert_int_equal(health_run(&sp, "db-1", &f.base, NULL, NULL, &res), 0);
	expect_result(&res, 1, 1, "connected");
	assert_string_equal(f.host, "db-1");
	assert_int_equal(f.port, 5432);
	assert_int_equal(f.timeout_ms, 700);
	assert_int_equal(f.requests, 0);

	f.tcp = (struct http_tcp_result){ .sys_errno = ETIMEDOUT };
	assert_int_equal(health_run(&sp, "db-1", &f.base, NULL, NULL, &res), 0);
	assert_string_equal(res.detail, "timed out after 700 ms");
	f.tcp = (struct http_tcp_result){ .sys_errno = EHOSTUNREACH };
	assert_int_equal(health_run(&sp, "db-1", &f.base, NULL, NULL, &res), 0);
	assert_string_equal(res.detail, "no route to host");
	f.tcp = (struct http_tcp_result){ .message = "cannot resolve 'db-1': Name or service not known" };
	assert_int_equal(health_run(&sp, "db-1", &f.base, NULL, NULL, &res), 0);
	assert_string_equal(res.detail, "cannot resolve 'db-1': Name or service not known");
}

/* Without an HTTP client, http and tcp checks fail at once, never retried. */
static void test_no_http_client(void **state)
{
	struct health_spec sp;
	struct health_result res;

	assert_int_equal(health_spec_parse("http:http://h/", &sp), 0);
	sp.retries = 3;
	assert_int_equal(health_run(&sp, NULL, NULL, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "no http client");
	assert_int_equal(health_spec_parse("tcp:h:1", &sp), 0);
	sp.retries = 3;
	assert_int_equal(health_run(&sp, NULL, NULL, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "no http client");
}

/* ---- http ---- */

struct http_worker {
	const struct health_spec *spec;
	int ok;
};

static void *http_worker_main(void *arg)
{
	struct http_worker *w = arg;
	struct health_result res;
	int i;

	w->ok = 1;
	for (i = 0; i < 5; i++) {
		if (health_run(w->spec, NULL, real_http, NULL, NULL, &res) != 0 || !res.ok || strcmp(res.detail, "HTTP 200") != 0)
			w->ok = 0;
	}
	return NULL;
}

/* First of the http tests, so libcurl is first set up by many threads at once. */
static void test_http_threads(void **state)
{
	struct health_spec sp;
	struct http_worker w[8];
	pthread_t th[8];
	int i;

	http_spec(&sp, "/ok", 5000, 0);
	for (i = 0; i < 8; i++) {
		w[i] = (struct http_worker){ &sp, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, http_worker_main, &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_true(w[i].ok);
	}
	assert_int_equal(atomic_load(&srv.hits[ROUTE_OK]), 40);
}

static void test_http_pass_and_fail(void **state)
{
	struct health_spec sp;
	struct health_result res;

	http_spec(&sp, "/ok", 5000, 2);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 1, 1, "HTTP 200");
	assert_string_equal(res.detail, "HTTP 200");
	assert_true(res.ms >= 0 && res.ms < 5000);

	http_spec(&sp, "/bad", 5000, 0);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "HTTP 503");
	assert_string_equal(res.detail, "HTTP 503 (expected 2xx)");
	assert_int_equal(atomic_load(&srv.hits[ROUTE_BAD]), 1);

	http_spec(&sp, "/nowhere", 5000, 0);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	assert_string_equal(res.detail, "HTTP 404 (expected 2xx)");
}

static void test_http_expected_status(void **state)
{
	struct health_spec sp;
	struct health_result res;

	http_spec(&sp, "/bad=503", 5000, 0);
	assert_int_equal(sp.want_status, 503);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 1, 1, "HTTP 503");
	assert_string_equal(res.detail, "HTTP 503");

	/* With a status named, a 200 is a failure too. */
	http_spec(&sp, "/ok=503", 5000, 0);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "HTTP 200 (expected 503)");
}

/* A redirect is the answer, not followed: 302 fails a 2xx check, passes =302. */
static void test_http_redirect_not_followed(void **state)
{
	struct health_spec sp;
	struct health_result res;
	int before = atomic_load(&srv.hits[ROUTE_OK]);

	http_spec(&sp, "/redirect", 5000, 0);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "HTTP 302 (expected 2xx)");
	http_spec(&sp, "/redirect=302", 5000, 0);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 1, 1, "HTTP 302");
	assert_int_equal(atomic_load(&srv.hits[ROUTE_OK]), before);
}

static void test_http_timeout(void **state)
{
	struct health_spec sp;
	struct health_result res;
	int64_t t0 = clock_mono_ms(), took;

	http_spec(&sp, "/slow", 300, 0);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	took = clock_mono_ms() - t0;
	expect_result(&res, 0, 1, "timed out after 300 ms");
	assert_string_equal(res.detail, "timed out after 300 ms");
	assert_true(res.ms >= 250 && res.ms < 2000);
	assert_true(took >= 250 && took < 2000);
}

static void test_http_retries(void **state)
{
	struct health_spec sp;
	struct health_result res;

	/* Fails once, then passes: two attempts with the pause between them. */
	http_spec(&sp, "/flaky", 5000, 2);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 1, 2, "HTTP 200");
	assert_true(res.ms >= 50);
	assert_int_equal(atomic_load(&srv.hits[ROUTE_FLAKY]), 2);

	/* Always failing: 1 + retries attempts, the last one reported. */
	atomic_store(&srv.hits[ROUTE_BAD], 0);
	http_spec(&sp, "/bad", 5000, 2);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 0, 3, "HTTP 503 (expected 2xx)");
	assert_true(res.ms >= 100);
	assert_int_equal(atomic_load(&srv.hits[ROUTE_BAD]), 3);

	/* Negative retries count as none. */
	http_spec(&sp, "/bad", 5000, -4);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "HTTP 503");
}

static void test_http_host_placeholder(void **state)
{
	struct health_spec sp;
	struct health_result res;
	char text[128];
	int before = atomic_load(&srv.hits[ROUTE_OK]);

	snprintf(text, sizeof(text), "http:http://{host}:%u/ok", srv.port);
	assert_int_equal(health_spec_parse(text, &sp), 0);
	sp.retries = 0;
	assert_int_equal(health_run(&sp, "127.0.0.1", real_http, NULL, NULL, &res), 0);
	expect_result(&res, 1, 1, "HTTP 200");
	assert_int_equal(atomic_load(&srv.hits[ROUTE_OK]), before + 1);

	/* No host for {host}: failed at once, never retried. */
	sp.retries = 3;
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "has {host} but no host was given");
	assert_int_equal(atomic_load(&srv.hits[ROUTE_OK]), before + 1);
}

/* Proxies in the environment are ignored: a health check asks the node itself. */
static void test_http_no_proxy(void **state)
{
	struct health_spec sp;
	struct health_result res;
	unsigned dead;
	int fd = loopback_socket(&dead);
	char proxy[64];

	close(fd);
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%u", dead);
	setenv("http_proxy", proxy, 1);
	setenv("HTTP_PROXY", proxy, 1);
	setenv("ALL_PROXY", proxy, 1);
	http_spec(&sp, "/ok", 5000, 0);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("ALL_PROXY");
	expect_result(&res, 1, 1, "HTTP 200");
}

static void test_http_refused(void **state)
{
	struct health_spec sp;
	struct health_result res;
	char text[128];
	unsigned dead;
	int fd = loopback_socket(&dead);

	close(fd);
	snprintf(text, sizeof(text), "http:http://127.0.0.1:%u/ok", dead);
	assert_int_equal(health_spec_parse(text, &sp), 0);
	sp.retries = 0;
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "connection refused");
}

/* ---- tcp ---- */

static void tcp_spec(struct health_spec *sp, const char *host, unsigned port)
{
	char text[128];

	snprintf(text, sizeof(text), "tcp:%s:%u", host, port);
	assert_int_equal(health_spec_parse(text, sp), 0);
	sp->retries = 0;
	sp->timeout_ms = 2000;
}

static void test_tcp(void **state)
{
	struct health_spec sp;
	struct health_result res;
	unsigned port;
	int fd = loopback_socket(&port);

	assert_int_equal(listen(fd, 4), 0);
	tcp_spec(&sp, "127.0.0.1", port);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 1, 1, "connected");

	tcp_spec(&sp, "{host}", port);
	assert_int_equal(health_run(&sp, "127.0.0.1", real_http, NULL, NULL, &res), 0);
	expect_result(&res, 1, 1, "connected");

	/* Closed: nothing listens there any more. */
	close(fd);
	tcp_spec(&sp, "127.0.0.1", port);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "refused");
	assert_string_equal(res.detail, "connection refused");

	sp.retries = 1;
	sp.retry_delay_ms = 10;
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 0, 2, "connection refused");
}

/* ---- cmd ---- */

struct local {
	struct executor *ex;
	struct exec_session *s;
};

static void local_open(struct local *l)
{
	struct exec_local_config cfg = { 0 };
	struct target t;

	assert_int_equal(exec_local_new(&cfg, &l->ex), 0);
	assert_int_equal(target_parse(&t, "local", 5), 0);
	assert_int_equal(l->ex->ops->connect(l->ex, &t, &l->s), 0);
}

static void local_done(struct local *l)
{
	l->ex->ops->disconnect(l->s);
	l->ex->ops->close(l->ex);
}

static void cmd_spec(struct health_spec *sp, const char *cmd, int retries)
{
	char text[HEALTH_TEXT_MAX + 1];

	snprintf(text, sizeof(text), "cmd:%s", cmd);
	assert_int_equal(health_spec_parse(text, sp), 0);
	sp->retries = retries;
	sp->retry_delay_ms = 10;
}

static void test_cmd(void **state)
{
	struct health_spec sp;
	struct health_result res;
	struct local l;

	local_open(&l);
	cmd_spec(&sp, "true", 2);
	assert_int_equal(health_run(&sp, "ignored", real_http, l.ex, l.s, &res), 0);
	expect_result(&res, 1, 1, "exit 0");

	cmd_spec(&sp, "echo out; echo oops >&2; exit 3", 0);
	assert_int_equal(health_run(&sp, NULL, real_http, l.ex, l.s, &res), 0);
	expect_result(&res, 0, 1, "exit 3");
	assert_string_equal(res.detail, "exit 3: oops");

	/* The last line counts; stdout when stderr is silent; control bytes are not passed on. */
	cmd_spec(&sp, "printf 'one\\ntwo\\n\\n' >&2; exit 4", 0);
	assert_int_equal(health_run(&sp, NULL, real_http, l.ex, l.s, &res), 0);
	assert_string_equal(res.detail, "exit 4: two");
	cmd_spec(&sp, "printf 'down\\033[2J\\n'; exit 1", 0);
	assert_int_equal(health_run(&sp, NULL, real_http, l.ex, l.s, &res), 0);
	assert_string_equal(res.detail, "exit 1: down?[2J");
	cmd_spec(&sp, "exit 5", 0);
	assert_int_equal(health_run(&sp, NULL, real_http, l.ex, l.s, &res), 0);
	assert_string_equal(res.detail, "exit 5");
	cmd_spec(&sp, "kill -TERM $$", 0);
	assert_int_equal(health_run(&sp, NULL, real_http, l.ex, l.s, &res), 0);
	expect_result(&res, 0, 1, "killed by signal TERM");
	local_done(&l);
}

static void test_cmd_retries(void **state)
{
	const char *base = getenv("CHIMERA_TEST_TMP");
	struct health_spec sp;
	struct health_result res;
	struct local l;
	char dir[4096], cmd[8400], path[4200];

	base = base && *base ? base : "/tmp";
	assert_int_equal(fs_mkdir_p(base, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/health-XXXXXX", base);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/count", dir);
	/* Fails the first time (and leaves a mark), passes after. */
	snprintf(cmd, sizeof(cmd), "if [ -e '%s' ]; then exit 0; fi; : > '%s'; echo first >&2; exit 1", path, path);
	local_open(&l);
	cmd_spec(&sp, cmd, 2);
	assert_int_equal(health_run(&sp, NULL, real_http, l.ex, l.s, &res), 0);
	expect_result(&res, 1, 2, "exit 0");
	assert_true(res.ms >= 10);
	local_done(&l);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The executor's timeout is whole seconds: 300 ms becomes 1 s. */
static void test_cmd_timeout(void **state)
{
	struct health_spec sp;
	struct health_result res;
	struct local l;

	local_open(&l);
	cmd_spec(&sp, "sleep 5", 0);
	sp.timeout_ms = 300;
	assert_int_equal(health_run(&sp, NULL, real_http, l.ex, l.s, &res), 0);
	expect_result(&res, 0, 1, "timed out after 1000 ms");
	assert_true(res.ms >= 900 && res.ms < 3000);
	local_done(&l);
}

static void test_cmd_no_session(void **state)
{
	struct health_spec sp;
	struct health_result res;
	struct local l;

	cmd_spec(&sp, "true", 3);
	assert_int_equal(health_run(&sp, NULL, real_http, NULL, NULL, &res), 0);
	expect_result(&res, 0, 1, "no session");
	assert_string_equal(res.detail, "no session");
	local_open(&l);
	assert_int_equal(health_run(&sp, NULL, real_http, l.ex, NULL, &res), 0);
	expect_result(&res, 0, 1, "no session");
	local_done(&l);
}

/* ---- json ---- */

static void test_result_json(void **state)
{
	struct health_spec sp;
	struct health_result res = { .ok = 0, .attempts = 3, .ms = 1234 };
	json_t *j;

	assert_int_equal(health_spec_parse("cmd:grep -q \xff /etc/x", &sp), 0);
	snprintf(res.detail, sizeof(res.detail), "exit 1: caf\xc3\xa9 \xfe");
	j = health_result_json(&sp, &res);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 5);
	assert_string_equal(json_string_value(json_object_get(j, "check")), "cmd:grep -q \xef\xbf\xbd /etc/x");
	assert_true(json_is_false(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(j, "attempts")), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "ms")), 1234);
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "exit 1: caf\xc3\xa9 \xef\xbf\xbd");
	json_decref(j);

	res.ok = 1;
	j = health_result_json(&sp, &res);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_fake_http),
		cmocka_unit_test(test_fake_tcp),
		cmocka_unit_test(test_no_http_client),
		cmocka_unit_test_setup_teardown(test_http_threads, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_http_pass_and_fail, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_http_expected_status, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_http_redirect_not_followed, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_http_timeout, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_http_retries, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_http_host_placeholder, server_up, server_down),
		cmocka_unit_test_setup_teardown(test_http_no_proxy, server_up, server_down),
		cmocka_unit_test(test_http_refused),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_cmd),
		cmocka_unit_test(test_cmd_retries),
		cmocka_unit_test(test_cmd_timeout),
		cmocka_unit_test(test_cmd_no_session),
		cmocka_unit_test(test_result_json),
	};

	int failed;

	if (http_curl_new(&real_http) < 0)
		return 1;
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	http_close(real_http);
	return failed;
}
