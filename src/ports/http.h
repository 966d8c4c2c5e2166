/* The HTTP port: requests to web servers and TCP connect checks, behind one opaque handle. */
#ifndef CHIMERA_PORTS_HTTP_H
#define CHIMERA_PORTS_HTTP_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>


struct http_request {
	const char *method;		/* "GET", "POST", ... */
	const char *url;		/* http:// or https:// only */
	const char *const *headers;	/* "Name: value" lines, NULL-terminated; may be NULL */
	const char *body;		/* sent as it is; NULL: none */
	size_t body_len;
	long timeout_ms;		/* the whole exchange; <= 0: no limit */
	size_t keep;			/* bytes of the response body kept in the response; 0: none */
	/*
	 * A long answer read as it comes (an event stream): with STREAM set, a 2xx answer's body
	 * is not kept but handed to STREAM(DATA, LEN, STREAM_ARG) piece by piece as it arrives,
	 * and STREAM(NULL, 0, STREAM_ARG) is called about once a second meanwhile. A nonzero
	 * return ends the exchange: the response then says HTTP_ANSWERED with its status, as if
	 * the server had ended it. Any other status's body is kept as without STREAM.
	 */
	int (*stream)(const char *data, size_t len, void *arg);
	void *stream_arg;
};

/* Why no status came. */
enum http_error {
	HTTP_ANSWERED,	/* a status came */
	HTTP_TIMEOUT,	/* past the request's timeout */
	HTTP_CONNECT,	/* could not connect; sys_errno says why when known */
	HTTP_BAD_URL,	/* a malformed URL or an unsupported scheme: asking again cannot help */
	HTTP_OTHER,	/* anything else (TLS, a broken answer, ...) */
};

struct http_response {
	long status;		/* the HTTP status; 0 when none came */
	enum http_error error;
	int sys_errno;		/* with HTTP_CONNECT: the system's error, 0 when unknown */
	char message[256];	/* the client's own words for ERROR; "" when answered */
	char *body;		/* the first request.keep bytes of the body, NUL-terminated; owned */
	size_t body_kept;	/* bytes in BODY */
	size_t body_len;	/* the body's whole length, as received */
};

/* Why a TCP connect did not succeed. */
struct http_tcp_result {
	int connected;
	int sys_errno;		/* why not: ETIMEDOUT past the deadline; 0 when MESSAGE says it */
	char message[256];	/* why not in words, when sys_errno is 0 ("cannot resolve 'h': ...") */
};

/* Clear RES for a request: no status, no body. */
static inline void http_response_init(struct http_response *res)
{
	memset(res, 0, sizeof(*res));
}

/* Free RES's body and clear it. */
static inline void http_response_release(struct http_response *res)
{
	free(res->body);
	memset(res, 0, sizeof(*res));
}

struct http;

struct http_ops {
	const char *name;	/* the client, for messages: "curl" */
	/*
	 * Send REQ and read the answer into RES (http_response_init'ed by the caller, released
	 * with http_response_release). Redirects are not followed and no proxy is used. Safe to
	 * call from many threads at once. Returns 0 when the exchange ran, answered or not (RES
	 * says which and why), ERR_NOMEM, or ERR_INVALID for a request without method or URL.
	 */
	int (*request)(struct http *h, const struct http_request *req, struct http_response *res);
	/*
	 * Open a TCP connection to HOST (a name or an address) at PORT, each address in turn,
	 * within TIMEOUT_MS (<= 0: no limit), and close it again. Safe from many threads.
	 * Returns 0 with the outcome in RES, or ERR_NOMEM.
	 */
	int (*tcp_connect)(struct http *h, const char *host, unsigned port, long timeout_ms, struct http_tcp_result *res);
	void (*close)(struct http *h);
};

struct http {
	const struct http_ops *ops;
};

/* Close H when it is not NULL. */
static inline void http_close(struct http *h)
{
	if (h)
		h->ops->close(h);
}

#endif
