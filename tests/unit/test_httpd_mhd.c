/*
 * The httpd port on libmicrohttpd, against a real server on 127.0.0.1 (port 0): decoding,
 * the body limit, slow-loris and idle timeouts, the connection cap, streams woken and
 * idle, a client hanging up on a stream, handlers that block, TLS (a certificate made by
 * the openssl command), quiesce, and a port in use. Clients: libcurl and raw sockets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "ports/httpd.h"
#include "runtime/world.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"

/* --- the handler under test --- */

/* A stream the test drives: it has nothing to say until PENDING is set, and ends when END is. */
struct tstream {
	struct httpd_stream base;
	char pending[64];
	bool end;
};

static struct {
	pthread_mutex_t lock;
	struct tstream *streams[16];
	unsigned nstreams;
	unsigned reads;		/* stream reads, all streams */
	unsigned closes;	/* stream closes */
	unsigned refused[600];	/* refusals by status */
} T = { .lock = PTHREAD_MUTEX_INITIALIZER };

static long tstream_read(struct httpd_stream *s, char *buf, size_t max)
{
	struct tstream *t = (struct tstream *)s;
	size_t n;

	pthread_mutex_lock(&T.lock);
	T.reads++;
	n = strlen(t->pending);
	if (n > max)
		n = max;
	memcpy(buf, t->pending, n);
	t->pending[0] = '\0';
	if (n == 0 && t->end) {
		pthread_mutex_unlock(&T.lock);
		return -1;
	}
	pthread_mutex_unlock(&T.lock);
	return (long)n;
}

static void tstream_close(struct httpd_stream *s)
{
	unsigned i;

	pthread_mutex_lock(&T.lock);
	T.closes++;
	for (i = 0; i < T.nstreams; i++)
		if (T.streams[i] == (struct tstream *)s)
			T.streams[i] = NULL;
	pthread_mutex_unlock(&T.lock);
	free(s);
}

static const struct httpd_stream_ops tstream_ops = { tstream_read, tstream_close };

/* /echo: what the server handed over, one line each; /slow: the same after 600 ms; /stream: a tstream; /plain: text with headers. */
static void handler(const struct httpd_request *rq, struct httpd_response *res, void *arg)
{
	struct buf b = BUF_INIT(0);
	unsigned long sum = 0;
	struct tstream *t;
	size_t i;

	(void)arg;
	if (strcmp(rq->path, "/stream") == 0) {
		t = calloc(1, sizeof(*t));
		t->base.ops = &tstream_ops;
		pthread_mutex_lock(&T.lock);
		T.streams[T.nstreams++ % 16] = t;
		pthread_mutex_unlock(&T.lock);
		res->status = 200;
		res->content_type = "text/event-stream";
		res->stream = &t->base;
		return;
	}
	if (strcmp(rq->path, "/slow") == 0)
		clock_sleep_ms(600);
	if (strcmp(rq->path, "/plain") == 0) {
		res->content_type = "text/plain";
		httpd_response_header(res, "X-Answer", "%d", 42);
		httpd_response_header(res, "Cache-Control", "no-store");
	}
	for (i = 0; i < rq->body_len; i++)
		sum += (unsigned char)rq->body[i];
	buf_printf(&b, "method=%s\npath=%s\n", rq->method, rq->path);
	for (i = 0; i < rq->nquery; i++)
		buf_printf(&b, "q:%s=%s\n", rq->query[i].name, rq->query[i].value);
	buf_printf(&b, "h:x-test=%s\n", httpd_request_header(rq, "x-test") ? httpd_request_header(rq, "X-TEST") : "(none)");
	buf_printf(&b, "body=%zu sum=%lu nul=%d\nclient=%s\ntls=%d\n", rq->body_len, sum, rq->body[rq->body_len] == '\0',
		   rq->client, rq->tls);
	res->status = strcmp(rq->method, "POST") == 0 ? 201 : 200;
	res->body = buf_detach(&b, &res->body_len);
}

static void refusal(int status, const char *why, struct httpd_response *res, void *arg)
{
	struct buf b = BUF_INIT(0);

	(void)arg;
	pthread_mutex_lock(&T.lock);
	T.refused[status]++;
	pthread_mutex_unlock(&T.lock);
	buf_printf(&b, "{\"refused\": %d, \"why\": \"%s\"}", status, why);
	res->body = buf_detach(&b, &res->body_len);
}

/* --- the server and clients --- */

static struct httpd *start(unsigned max_conn, unsigned header_s, unsigned idle_s, const char *cert, const char *key)
{
	struct httpd_config cfg = {
		.host = "127.0.0.1", .port = 0, .tls_cert = cert, .tls_key = key,
		.max_connections = max_conn, .header_timeout_s = header_s, .idle_timeout_s = idle_s,
		.threads = 4, .handler = handler, .refusal = refusal,
	};
	struct httpd *h = NULL;

	if (world_open_httpd(&cfg, &h) < 0)
		fail_msg("world_open_httpd: %s", err_msg());
	assert_true(h->ops->port(h) > 0);
	return h;
}

static size_t to_buf(char *p, size_t size, size_t n, void *arg)
{
	return buf_add(arg, p, size * n) == 0 ? size * n : 0;
}

struct upload {
	const char *data;
	size_t len, at;
};

static size_t from_upload(char *p, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t take = size * n < u->len - u->at ? size * n : u->len - u->at;

	memcpy(p, u->data + u->at, take);
	u->at += take;
	return take;
}

/*
 * METHOD URL (BODY of LEN bytes, sent chunked when CHUNKED) with header X-Test: xtest;
 * the body into OUT, the content type into CTYPE. Returns the status (0: no answer).
 */
static long http(const char *method, const char *url, const char *body, size_t len, bool chunked, struct buf *out,
		 char *ctype, const char *cafile)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hs = curl_slist_append(NULL, "X-Test: xtest");
	struct upload u = { body, len, 0 };
	char *ct = NULL;
	long status = 0;

	buf_reset(out);
	if (chunked)
		hs = curl_slist_append(hs, "Transfer-Encoding: chunked");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
	if (body && chunked) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, from_upload);
		curl_easy_setopt(c, CURLOPT_READDATA, &u);
	} else if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		if (ctype)
			snprintf(ctype, 64, "%s", ct ? ct : "");
	}
	curl_slist_free_all(hs);
	curl_easy_cleanup(c);
	return status;
}

static void url_of(struct httpd *h, const char *scheme, const char *path, char *url, size_t len)
{
	snprintf(url, len, "%s://127.0.0.1:%d%s", scheme, h->ops->port(h), path);
}

static int dial(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void say(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Read into OUT until it holds WANT (1) or the peer closed (0) or MS passed (-1). */
static int hear(int fd, struct buf *out, const char *want, int64_t ms)
{
	int64_t end = clock_mono_ms() + ms;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char chunk[4096];
	ssize_t n;

	while (!want || !strstr(out->data, want)) {
		if (clock_mono_ms() >= end || poll(&p, 1, (int)(end - clock_mono_ms())) <= 0)
			return -1;
		if ((n = recv(fd, chunk, sizeof(chunk), 0)) <= 0)
			return 0;
		buf_add(out, chunk, (size_t)n);
	}
	return 1;
}

/* Wait up to MS for the server's open connections to be N. */
static void await_connections(struct httpd *h, unsigned n, int64_t ms)
{
	int64_t end = clock_mono_ms() + ms;

	while (h->ops->connections(h) != n && clock_mono_ms() < end)
		clock_sleep_ms(10);
	assert_int_equal(h->ops->connections(h), n);
}

static unsigned counter(unsigned *p)
{
	unsigned v;

	pthread_mutex_lock(&T.lock);
	v = *p;
	pthread_mutex_unlock(&T.lock);
	return v;
}

/* --- tests --- */

static void test_decoding(void **state)
{
	struct httpd *h = start(64, 10, 30, NULL, NULL);
	struct buf out = BUF_INIT(0);
	char url[256], ctype[64];

	(void)state;
	url_of(h, "http", "/echo/a%20b%2Fc?x=1&empty=&flag&sp=a+b%26c&x=2", url, sizeof(url));
	assert_int_equal(http("GET", url, NULL, 0, false, &out, ctype, NULL), 200);
	assert_string_equal(ctype, "application/json");
	assert_contains(out.data, "method=GET\npath=/echo/a b/c\n");
	assert_contains(out.data, "q:x=1\nq:empty=\nq:flag=\nq:sp=a b&c\nq:x=2\n");
	assert_contains(out.data, "h:x-test=xtest\n");
	assert_contains(out.data, "body=0 sum=0 nul=1\nclient=127.0.0.1\ntls=0\n");

	url_of(h, "http", "/echo", url, sizeof(url));
	assert_int_equal(http("POST", url, LIT("hello\0world"), false, &out, NULL, NULL), 201);
	assert_contains(out.data, "method=POST\n");
	assert_contains(out.data, "body=11 sum=1084 nul=1\n");
	assert_int_equal(http("DELETE", url, NULL, 0, false, &out, NULL, NULL), 200);
	assert_contains(out.data, "method=DELETE\n");

	url_of(h, "http", "/plain", url, sizeof(url));
	assert_int_equal(http("GET", url, NULL, 0, false, &out, ctype, NULL), 200);
	assert_string_equal(ctype, "text/plain");
	buf_release(&out);
	h->ops->close(h);
}

/* Raw: the response's headers carry the handler's, and nothing chimera made up besides. */
static void test_response_headers(void **state)
{
	struct httpd *h = start(64, 10, 30, NULL, NULL);
	struct buf out = BUF_INIT(0);
	int fd = dial(h->ops->port(h));

	(void)state;
	say(fd, "GET /plain HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(hear(fd, &out, "tls=0\n", 3000), 1);
	assert_contains(out.data, "HTTP/1.1 200");
	assert_contains(out.data, "X-Answer: 42\r\n");
	assert_contains(out.data, "Cache-Control: no-store\r\n");
	assert_contains(out.data, "Content-Type: text/plain\r\n");
	assert_null(strstr(out.data, "Connection: close"));
	close(fd);
	buf_release(&out);
	h->ops->close(h);
}

/* Headers past MHD's connection memory: MHD's own 431 (it gives no hook for the body), and the connection ends. */
static void test_headers_too_large(void **state)
{
	struct httpd *h = start(64, 10, 30, NULL, NULL);
	struct buf got = BUF_INIT(0), req = BUF_INIT(0);
	int fd = dial(h->ops->port(h)), i;

	(void)state;
	buf_adds(&req, "GET /echo HTTP/1.1\r\nHost: t\r\n");
	for (i = 0; i < 400; i++)
		buf_printf(&req, "X-Filler-%d: %0100d\r\n", i, i);
	buf_adds(&req, "\r\n");
	send(fd, req.data, req.len, MSG_NOSIGNAL);
	assert_int_equal(hear(fd, &got, "\r\n\r\n", 3000), 1);
	assert_contains(got.data, "HTTP/1.1 431");
	assert_int_equal(hear(fd, &got, NULL, 3000), 0);
	close(fd);
	buf_release(&got);
	buf_release(&req);
	h->ops->close(h);
}

static void test_body_limit(void **state)
{
	struct httpd *h = start(64, 10, 30, NULL, NULL);
	struct buf out = BUF_INIT(0);
	char *big = malloc(HTTPD_BODY_MAX + 1), url[128], want[64];
	unsigned before;
	int fd;

	(void)state;
	memset(big, 'a', HTTPD_BODY_MAX + 1);
	url_of(h, "http", "/echo", url, sizeof(url));
	assert_int_equal(http("POST", url, big, HTTPD_BODY_MAX, false, &out, NULL, NULL), 201);
	snprintf(want, sizeof(want), "body=%d sum=%lu nul=1\n", HTTPD_BODY_MAX, 97ul * HTTPD_BODY_MAX);
	assert_contains(out.data, want);
	assert_int_equal(http("POST", url, big, HTTPD_BODY_MAX, true, &out, NULL, NULL), 201);
	assert_contains(out.data, want);

	before = counter(&T.refused[413]);
	assert_int_equal(http("POST", url, big, HTTPD_BODY_MAX + 1, false, &out, NULL, NULL), 413);
	assert_contains(out.data, "{\"refused\": 413, \"why\": \"request body larger than 1048576 bytes\"}");
	/* chunked: no Content-Length, so the count is what trips it */
	assert_int_equal(http("POST", url, big, HTTPD_BODY_MAX + 1, true, &out, NULL, NULL), 413);
	assert_contains(out.data, "\"refused\": 413");
	/* a Content-Length past the limit is answered before any of the body is sent */
	fd = dial(h->ops->port(h));
	say(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n");
	buf_reset(&out);
	assert_int_equal(hear(fd, &out, "\"why\": \"request body larger than 1048576 bytes\"}", 3000), 1);
	assert_contains(out.data, "HTTP/1.1 413");
	assert_contains(out.data, "Connection: close");
	assert_int_equal(hear(fd, &out, NULL, 3000), 0);
	close(fd);
	assert_int_equal(counter(&T.refused[413]), before + 3);
	free(big);
	buf_release(&out);
	h->ops->close(h);
}

/* Headers dribbled a byte a second are cut within header_timeout + 2 s; a normal client is served meanwhile. */
static void test_slow_loris(void **state)
{
	struct httpd *h = start(64, 2, 30, NULL, NULL);
	const char *req = "GET /echo HTTP/1.1\r\nHost: t\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
	struct buf out = BUF_INIT(0), got = BUF_INIT(0);
	int fd = dial(h->ops->port(h)), cut = 0;
	int64_t t0 = clock_mono_ms(), took;
	char url[128];
	size_t i;

	(void)state;
	url_of(h, "http", "/echo", url, sizeof(url));
	for (i = 0; req[i] && !cut; i++) {
		if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1)
			break;
		if (i == 1)
			assert_int_equal(http("GET", url, NULL, 0, false, &out, NULL, NULL), 200);
		cut = hear(fd, &got, NULL, 1000) == 0;
	}
	took = clock_mono_ms() - t0;
	assert_true(cut || req[i]);
	assert_true(took >= 1500);
	assert_true(took <= 4000);
	assert_int_equal(got.len, 0);
	close(fd);
	buf_release(&out);
	buf_release(&got);
	h->ops->close(h);
}

/* A keep-alive connection that says nothing after its answer is closed after idle_timeout. */
static void test_idle_timeout(void **state)
{
	struct httpd *h = start(64, 30, 1, NULL, NULL);
	struct buf got = BUF_INIT(0);
	int fd = dial(h->ops->port(h));
	int64_t t0;

	(void)state;
	say(fd, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(hear(fd, &got, "tls=0\n", 3000), 1);
	t0 = clock_mono_ms();
	assert_int_equal(hear(fd, &got, NULL, 4000), 0);
	assert_true(clock_mono_ms() - t0 <= 3000);
	await_connections(h, 0, 1000);
	close(fd);
	buf_release(&got);
	h->ops->close(h);
}

/* Past max_connections a connection's request is answered 503 with the refusal body, and it is closed. */
static void test_connection_cap(void **state)
{
	struct httpd *h = start(3, 10, 30, NULL, NULL);
	struct buf got = BUF_INIT(0);
	int fd[3], extra, i;
	unsigned before = counter(&T.refused[503]);

	(void)state;
	for (i = 0; i < 3; i++)
		fd[i] = dial(h->ops->port(h));
	await_connections(h, 3, 2000);
	extra = dial(h->ops->port(h));
	await_connections(h, 4, 2000);
	say(extra, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(hear(extra, &got, "\"why\": \"too many connections\"}", 3000), 1);
	assert_contains(got.data, "HTTP/1.1 503");
	assert_contains(got.data, "{\"refused\": 503");
	assert_int_equal(hear(extra, &got, NULL, 3000), 0);
	assert_int_equal(counter(&T.refused[503]), before + 1);
	close(extra);
	/* those under the cap are served */
	buf_reset(&got);
	say(fd[0], "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(hear(fd[0], &got, "tls=0\n", 3000), 1);
	assert_contains(got.data, "HTTP/1.1 200");
	for (i = 0; i < 3; i++)
		close(fd[i]);
	await_connections(h, 0, 3000);
	buf_release(&got);
	h->ops->close(h);
}

/* Open a stream over a raw socket; returns the fd once the response's headers came. */
static int open_stream(struct httpd *h, struct buf *got)
{
	int fd = dial(h->ops->port(h));

	say(fd, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(hear(fd, got, "\r\n\r\n", 3000), 1);
	assert_contains(got->data, "HTTP/1.1 200");
	assert_contains(got->data, "Content-Type: text/event-stream");
	return fd;
}

static struct tstream *last_stream(void)
{
	struct tstream *t;

	pthread_mutex_lock(&T.lock);
	t = T.streams[(T.nstreams - 1) % 16];
	pthread_mutex_unlock(&T.lock);
	assert_non_null(t);
	return t;
}

static void stream_say(struct tstream *t, const char *s, bool end)
{
	pthread_mutex_lock(&T.lock);
	snprintf(t->pending, sizeof(t->pending), "%s", s);
	t->end = end;
	pthread_mutex_unlock(&T.lock);
}

/* A stream with nothing to say waits; after wake() its data reaches the client at once; -1 ends the response. */
static void test_stream_wake(void **state)
{
	struct httpd *h = start(64, 10, 30, NULL, NULL);
	struct buf got = BUF_INIT(0);
	int fd = open_stream(h, &got);
	struct tstream *t = last_stream();
	unsigned closes;
	char line[32];
	int64_t t0;
	int i;

	(void)state;
	/* three rounds, so the once-a-second resume cannot pass for wake() by luck */
	for (i = 0; i < 3; i++) {
		buf_reset(&got);
		assert_int_equal(hear(fd, &got, NULL, 300), -1);
		snprintf(line, sizeof(line), "data: %d\n\n", i);
		stream_say(t, line, false);
		t0 = clock_mono_ms();
		h->ops->wake(h);
		assert_int_equal(hear(fd, &got, line, 2000), 1);
		assert_true(clock_mono_ms() - t0 < 250);
	}
	t0 = clock_mono_ms();
	stream_say(t, "data: two\n\n", true);
	h->ops->wake(h);
	assert_int_equal(hear(fd, &got, "data: two\n\n", 2000), 1);
	assert_int_equal(hear(fd, &got, "\r\n0\r\n\r\n", 2000), 1);
	assert_int_equal(hear(fd, &got, NULL, 2000), 0);
	assert_true(clock_mono_ms() - t0 < 1000);
	close(fd);
	/* a stream still open when the server closes: ended, closed, its client told */
	buf_reset(&got);
	fd = open_stream(h, &got);
	closes = counter(&T.closes);
	h->ops->close(h);
	assert_int_equal(counter(&T.closes), closes + 1);
	assert_int_equal(hear(fd, &got, NULL, 2000), 0);
	close(fd);
	buf_release(&got);
}

/* Ten idle streams cost (almost) no CPU; a client that hangs up gets its stream closed. */
static void test_stream_idle_and_hangup(void **state)
{
	struct httpd *h = start(64, 10, 30, NULL, NULL);
	struct buf got = BUF_INIT(0);
	struct rusage r0, r1;
	unsigned closes, reads0;
	int fd[10], i;
	double cpu;
	int64_t end;

	(void)state;
	for (i = 0; i < 10; i++) {
		fd[i] = open_stream(h, &got);
		buf_reset(&got);
	}
	reads0 = counter(&T.reads);
	getrusage(RUSAGE_SELF, &r0);
	clock_sleep_ms(2000);
	getrusage(RUSAGE_SELF, &r1);
	cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec + r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
	      (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec + r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
	print_message("10 idle streams: %.3f s CPU over 2 s, %u reads\n", cpu, counter(&T.reads) - reads0);
	assert_true(cpu < 0.2);
	/* asked again about once a second each (keepalives), not spun */
	assert_true(counter(&T.reads) - reads0 >= 10);
	assert_true(counter(&T.reads) - reads0 <= 80);

	closes = counter(&T.closes);
	close(fd[0]);
	end = clock_mono_ms() + 3000;
	while (counter(&T.closes) == closes && clock_mono_ms() < end)
		clock_sleep_ms(20);
	assert_int_equal(counter(&T.closes), closes + 1);
	await_connections(h, 9, 2000);
	for (i = 1; i < 10; i++)
		close(fd[i]);
	buf_release(&got);
	h->ops->close(h);
	/* close ended every stream */
	assert_int_equal(counter(&T.closes), closes + 10);
}

struct slow_call {
	char url[128];
	long status;
};

static void *slow_main(void *arg)
{
	struct slow_call *s = arg;
	struct buf out = BUF_INIT(0);

	s->status = http("GET", s->url, NULL, 0, false, &out, NULL, NULL);
	buf_release(&out);
	return NULL;
}

/* Three handlers blocked 600 ms each stall neither a fourth request nor a stream. */
static void test_blocking_handlers(void **state)
{
	struct httpd *h = start(64, 10, 30, NULL, NULL);
	struct buf got = BUF_INIT(0), out = BUF_INIT(0);
	int fd = open_stream(h, &got);
	struct tstream *t = last_stream();
	struct slow_call s[3];
	pthread_t th[3];
	char url[128];
	int64_t t0;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		url_of(h, "http", "/slow", s[i].url, sizeof(s[i].url));
		assert_int_equal(pthread_create(&th[i], NULL, slow_main, &s[i]), 0);
	}
	clock_sleep_ms(150);
	t0 = clock_mono_ms();
	url_of(h, "http", "/echo", url, sizeof(url));
	assert_int_equal(http("GET", url, NULL, 0, false, &out, NULL, NULL), 200);
	stream_say(t, "data: x\n\n", false);
	h->ops->wake(h);
	assert_int_equal(hear(fd, &got, "data: x\n\n", 2000), 1);
	assert_true(clock_mono_ms() - t0 < 400);
	for (i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(s[i].status, 200);
	}
	close(fd);
	/* closing while a handler runs: close waits for it, then ends its connection */
	assert_int_equal(pthread_create(&th[0], NULL, slow_main, &s[0]), 0);
	clock_sleep_ms(150);
	t0 = clock_mono_ms();
	h->ops->close(h);
	assert_true(clock_mono_ms() - t0 >= 300);
	pthread_join(th[0], NULL);
	buf_release(&got);
	buf_release(&out);
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("failed: %s", cmd);
}

static void test_tls(void **state)
{
	char dir[512], cmd[2048], cert[600], key[600], other[600], url[128];
	struct buf out = BUF_INIT(0);
	struct httpd_config cfg = { .host = "127.0.0.1", .handler = handler, .refusal = refusal };
	struct httpd *h;

	(void)state;
	assert_int_equal(scratch_make(dir, sizeof(dir), "httpd-tls"), 0);
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(other, sizeof(other), "%s/other.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1"
		 " -addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s 2>/dev/null &&"
		 " openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:prime256v1 -out %s 2>/dev/null", key, cert, other);
	sh(cmd);

	h = start(64, 10, 30, cert, key);
	url_of(h, "https", "/echo?a=b", url, sizeof(url));
	assert_int_equal(http("GET", url, NULL, 0, false, &out, NULL, cert), 200);
	assert_contains(out.data, "q:a=b\n");
	assert_contains(out.data, "tls=1\n");
	h->ops->close(h);

	cfg.tls_cert = cert;
	cfg.tls_key = other;
	assert_true(world_open_httpd(&cfg, &h) < 0);
	assert_null(h);
	assert_contains(err_msg(), other);
	assert_contains(err_msg(), cert);
	assert_contains(err_msg(), "do not match");
	cfg.tls_key = "/nonexistent/key.pem";
	assert_true(world_open_httpd(&cfg, &h) < 0);
	assert_contains(err_msg(), "TLS key: no such file '/nonexistent/key.pem'");
	cfg.tls_key = NULL;
	assert_true(world_open_httpd(&cfg, &h) < 0);
	assert_contains(err_msg(), "both a certificate and a key");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh(cmd);
	buf_release(&out);
}

static void test_port_in_use(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct httpd_config cfg = { .host = "127.0.0.1", .handler = handler };
	struct httpd *h;
	char want[128];

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	cfg.port = ntohs(a.sin_port);
	assert_int_equal(world_open_httpd(&cfg, &h), ERR_IO);
	assert_null(h);
	snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%d: Address already in use", cfg.port);
	assert_string_equal(err_msg(), want);
	cfg.host = "localhost";
	assert_int_equal(world_open_httpd(&cfg, &h), ERR_INVALID);
	assert_contains(err_msg(), "listen address 'localhost': expected a numeric IPv4 or IPv6 address");
	close(fd);
}

static void test_ipv6(void **state)
{
	struct httpd_config cfg = { .host = "::1", .threads = 1, .handler = handler, .refusal = refusal };
	struct buf out = BUF_INIT(0);
	struct httpd *h;
	char url[128];

	(void)state;
	if (world_open_httpd(&cfg, &h) < 0)
		fail_msg("world_open_httpd: %s", err_msg());
	snprintf(url, sizeof(url), "http://[::1]:%d/echo", h->ops->port(h));
	assert_int_equal(http("GET", url, NULL, 0, false, &out, NULL, NULL), 200);
	assert_contains(out.data, "client=::1\n");
	h->ops->close(h);
	buf_release(&out);
}

/* After quiesce a kept-alive connection is still served; a new one is not. */
static void test_quiesce(void **state)
{
	struct httpd *h = start(64, 10, 30, NULL, NULL);
	struct buf got = BUF_INIT(0);
	int fd = dial(h->ops->port(h)), late;

	(void)state;
	say(fd, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(hear(fd, &got, "tls=0\n", 3000), 1);
	h->ops->quiesce(h);
	h->ops->quiesce(h);
	buf_reset(&got);
	say(fd, "GET /echo?again=1 HTTP/1.1\r\nHost: t\r\n\r\n");
	assert_int_equal(hear(fd, &got, "tls=0\n", 3000), 1);
	assert_contains(got.data, "q:again=1\n");
	late = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)h->ops->port(h)) };

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(late, (struct sockaddr *)&a, sizeof(a)) == 0) {
			buf_reset(&got);
			send(late, "GET /echo HTTP/1.1\r\nHost: t\r\n\r\n", 31, MSG_NOSIGNAL);
			assert_int_not_equal(hear(late, &got, "HTTP/1.1", 500), 1);
		}
	}
	close(late);
	close(fd);
	buf_release(&got);
	h->ops->close(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoding),
		cmocka_unit_test(test_response_headers),
		cmocka_unit_test(test_headers_too_large),
		cmocka_unit_test(test_body_limit),
		cmocka_unit_test(test_slow_loris),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_connection_cap),
		cmocka_unit_test(test_stream_wake),
		cmocka_unit_test(test_stream_idle_and_hangup),
		cmocka_unit_test(test_blocking_handlers),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_quiesce),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
