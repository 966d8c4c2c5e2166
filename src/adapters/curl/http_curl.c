/* The HTTP port on libcurl: one easy handle per request; TCP checks with a non-blocking connect. */
#include "adapters/curl/http_curl.h"
#include "util/clock.h"
#include "util/err.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "util/banned.h"

struct http_curl {
	struct http base;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_code;

static void curl_init(void)
{
	curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* libcurl's global set-up, once for the process. Returns 0, ERR_NOMEM or ERR_IO. */
static int global_init(void)
{
	pthread_once(&curl_once, curl_init);
	if (curl_init_code == CURLE_OUT_OF_MEMORY)
		return err_set(ERR_NOMEM, "out of memory");
	if (curl_init_code != CURLE_OK)
		return err_set(ERR_IO, "curl: %s", curl_easy_strerror(curl_init_code));
	return 0;
}

/* Keep the first request.keep bytes of the body; count all of it. Or hand it to a stream. */
struct sink {
	struct http_response *res;
	size_t keep;
	int nomem;
	const struct http_request *req;
	CURL *h;
	int stopped;			/* the request's stream asked to end */
	int64_t last_tick_ms;
};

/* With a stream, whether this answer's body goes to it (a 2xx status). */
static int streaming(struct sink *k)
{
	long status = 0;

	if (!k->req->stream)
		return 0;
	curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &status);
	return status >= 200 && status < 300;
}

static size_t take_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;
	struct http_response *res = k->res;
	size_t len = size * n, room = k->keep - res->body_kept, take = len < room ? len : room;

	if (streaming(k)) {
		res->body_len += len;
		if (k->req->stream(p, len, k->req->stream_arg) != 0) {
			k->stopped = 1;
			return 0;
		}
		return len;
	}

	if (take) {
		if (!res->body && !(res->body = malloc(k->keep + 1))) {
			k->nomem = 1;
			return 0;
		}
		memcpy(res->body + res->body_kept, p, take);
		res->body_kept += take;
		res->body[res->body_kept] = '\0';
	}
	res->body_len += len;
	return len;
}

/* The way chimera speaks HTTP, on H: no signals, no proxy, no redirects, http and https only. */
static CURLcode setup(CURL *h, const struct http_request *req, char *errbuf, struct sink *sink)
{
	CURLcode c;

	/* No signals: node threads run checks at once, and the resolver's alarm would hit any. */
	if ((c = curl_easy_setopt(h, CURLOPT_URL, req->url)) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf)) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L)) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_PROXY, "")) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_NOPROXY, "*")) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take_body)) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_WRITEDATA, sink)) != CURLE_OK ||
	    (c = curl_easy_setopt(h, CURLOPT_USERAGENT, "chimera/" CHIMERA_VERSION)) != CURLE_OK)
		return c;
#if LIBCURL_VERSION_NUM >= 0x075500
	if ((c = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https")) != CURLE_OK)
		return c;
#endif
	if (req->timeout_ms > 0 && (c = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms)) != CURLE_OK)
		return c;
	if (req->body && ((c = curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body)) != CURLE_OK ||
			  (c = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)req->body_len)) != CURLE_OK))
		return c;
	/* POST is what a body means to curl; any other method is named. */
	if (strcmp(req->method, req->body ? "POST" : "GET") != 0)
		return curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	return CURLE_OK;
}

/* Sort curl's code C into RES. Returns 0 or ERR_NOMEM. */
static int judge(CURL *h, CURLcode c, const char *errbuf, struct http_response *res)
{
	long oserr = 0;

	if (c == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->status);
		res->error = HTTP_ANSWERED;
		return 0;
	}
	if (c == CURLE_OUT_OF_MEMORY)
		return err_set(ERR_NOMEM, "out of memory");
	snprintf(res->message, sizeof(res->message), "%s", errbuf[0] ? errbuf : curl_easy_strerror(c));
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
		res->error = HTTP_TIMEOUT;
		break;
	case CURLE_COULDNT_CONNECT:
		res->error = HTTP_CONNECT;
		if (curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr) == CURLE_OK && oserr > 0)
			res->sys_errno = (int)oserr;
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		res->error = HTTP_BAD_URL;
		break;
	default:
		res->error = HTTP_OTHER;
		break;
	}
	return 0;
}

/* A stream's idle call, about once a second (curl's progress callback); nonzero ends the exchange. */
static int stream_tick(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct sink *k = arg;
	int64_t now = clock_mono_ms();

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (now - k->last_tick_ms < 1000)
		return 0;
	k->last_tick_ms = now;
	if (k->req->stream(NULL, 0, k->req->stream_arg) != 0) {
		k->stopped = 1;
		return 1;
	}
	return 0;
}

static int curl_request(struct http *hc, const struct http_request *req, struct http_response *res)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink sink = { .res = res, .keep = req->keep, .req = req };
	struct curl_slist *headers = NULL, *more;
	CURL *h = NULL;
	CURLcode c;
	size_t i;
	int r;

	http_response_release(res);
	if (!req->method || !req->url)
		return err_set(ERR_INVALID, "an http request needs a method and a URL");
	if ((r = global_init()) < 0)
		return r;
	for (i = 0; req->headers && req->headers[i]; i++) {
		if (!(more = curl_slist_append(headers, req->headers[i]))) {
			r = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		headers = more;
	}
	/* A fresh handle per request: no connection or state kept from a failed one. */
	if (!(h = curl_easy_init())) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	sink.h = h;
	sink.last_tick_ms = clock_mono_ms();
	if ((c = setup(h, req, errbuf, &sink)) == CURLE_OK &&
	    (!headers || (c = curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers)) == CURLE_OK) &&
	    (!req->stream || ((c = curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, stream_tick)) == CURLE_OK &&
			      (c = curl_easy_setopt(h, CURLOPT_XFERINFODATA, &sink)) == CURLE_OK &&
			      (c = curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L)) == CURLE_OK)))
		c = curl_easy_perform(h);
	if (sink.nomem)
		c = CURLE_OUT_OF_MEMORY;
	/* Ended by the stream's owner: an answer that ended, not a failure. */
	if (sink.stopped && (c == CURLE_WRITE_ERROR || c == CURLE_ABORTED_BY_CALLBACK))
		c = CURLE_OK;
	r = judge(h, c, errbuf, res);
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	return r;
}

/* Milliseconds left before DEADLINE (-1: none) for poll, never negative. */
static int ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - clock_mono_ms();
	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* Connect to A before DEADLINE (-1: none). Returns 0 or an errno value, ETIMEDOUT past it. */
static int connect_one(const struct addrinfo *a, int64_t deadline)
{
	struct pollfd p;
	socklen_t len = sizeof(int);
	int fd, n, e = 0;

	if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol)) < 0)
		return errno;
	if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
		goto out;
	if (errno != EINPROGRESS) {
		e = errno;
		goto out;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	while ((n = poll(&p, 1, ms_left(deadline))) < 0 && errno == EINTR)
		;
	if (n < 0)
		e = errno;
	else if (n == 0)
		e = ETIMEDOUT;
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
out:
	close(fd);
	return e;
}

static int curl_tcp_connect(struct http *hc, const char *host, unsigned port, long timeout_ms,
			    struct http_tcp_result *res)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL, *a;
	int64_t deadline = timeout_ms > 0 ? clock_mono_ms() + timeout_ms : -1;
	char num[8], tmp[128];
	int g, e = EHOSTUNREACH;

	memset(res, 0, sizeof(*res));
	snprintf(num, sizeof(num), "%u", port);
	if ((g = getaddrinfo(host, num, &hints, &ai)) != 0) {
		if (g == EAI_MEMORY)
			return err_set(ERR_NOMEM, "out of memory");
		snprintf(res->message, sizeof(res->message), "cannot resolve '%s': %s", host,
			 g == EAI_SYSTEM ? strerror_r(errno, tmp, sizeof(tmp)) : gai_strerror(g));
		return 0;
	}
	for (a = ai; a; a = a->ai_next) {
		if ((e = connect_one(a, deadline)) == 0 || e == ETIMEDOUT)
			break;
	}
	freeaddrinfo(ai);
	res->connected = e == 0;
	res->sys_errno = e;
	return 0;
}

static void curl_close(struct http *hc)
{
	free(hc);
}

static const struct http_ops curl_ops = {
	.name = "curl",
	.request = curl_request,
	.tcp_connect = curl_tcp_connect,
	.close = curl_close,
};

int http_curl_new(struct http **out)
{
	struct http_curl *c;
	int r;

	*out = NULL;
	if ((r = global_init()) < 0)
		return r;
	if (!(c = calloc(1, sizeof(*c))))
		return err_set(ERR_NOMEM, "out of memory");
	c->base.ops = &curl_ops;
	*out = &c->base;
	return 0;
}
