/*
 * The HTTP server port: an outside library (libmicrohttpd, adapters/mhd) reads requests off
 * the wire and hands each whole request to one handler; the handler answers with a status,
 * headers and a body, or with a stream (Server-Sent Events) that the server pulls from.
 * Nothing here parses HTTP: the adapter does, and api/ only sees these values.
 */
#ifndef CHIMERA_PORTS_HTTPD_H
#define CHIMERA_PORTS_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTPD_BODY_MAX (1024 * 1024)	/* a request body past this is answered 413 */
#define HTTPD_HEADERS_BYTES_MAX 8192	/* request line and headers past this are answered 431 */
#define HTTPD_HEADERS_MAX 16		/* response headers a handler may set */

struct httpd_kv {
	const char *name;
	const char *value;
};

/* One request, whole; every string lives until the handler returns. */
struct httpd_request {
	const char *method;		/* "GET", "POST", "DELETE", ... */
	const char *path;		/* percent-decoded, without the query: "/api/v1/machines/web-1" */
	const struct httpd_kv *query;	/* decoded query arguments, in order; a value may be "" */
	size_t nquery;
	const struct httpd_kv *headers;	/* request headers, names as sent (compare case-insensitively) */
	size_t nheaders;
	const char *body;		/* NUL-terminated (the NUL not counted); "" when none */
	size_t body_len;
	const char *client;		/* the peer's address, "127.0.0.1" */
	bool tls;			/* came over TLS */
};

/*
 * A stream the server pulls from (SSE). READ copies up to MAX bytes into BUF and returns the
 * count, 0 when it has nothing now (the server waits for httpd_ops.wake, or a second, and
 * asks again), or -1 when the stream is over (the connection then ends). CLOSE is called
 * once, when the client went away or after -1; then the stream is freed by its owner.
 */
struct httpd_stream;
struct httpd_stream_ops {
	long (*read)(struct httpd_stream *s, char *buf, size_t max);
	void (*close)(struct httpd_stream *s);
};
struct httpd_stream {
	const struct httpd_stream_ops *ops;
};

/* The answer: BODY (malloc'd, handed to the server) or STREAM, with its headers. */
struct httpd_response {
	int status;
	const char *content_type;	/* static; NULL: application/json */
	char *body;			/* malloc'd, freed by the server; NULL: empty */
	size_t body_len;
	struct httpd_stream *stream;	/* instead of BODY: the server pulls from it */
	/*
	 * Instead of BODY: SHARED_LEN bytes at SHARED, not copied; the server calls
	 * SHARED_RELEASE(SHARED_ARG) once it has sent them (or will not). For a body many
	 * answers share (a cached document), so that none is copied per request.
	 */
	const char *shared;
	size_t shared_len;
	void (*shared_release)(void *arg);
	void *shared_arg;
	struct httpd_kv headers[HTTPD_HEADERS_MAX];	/* values copied by the server */
	size_t nheaders;
	char header_store[1024];	/* room for header values a handler formats (httpd_response_header) */
	size_t header_used;
};

/* Called by the server for each whole request, from one of its threads, several at a time. */
typedef void (*httpd_handler_fn)(const struct httpd_request *rq, struct httpd_response *res, void *arg);

/*
 * Called by the server, without a handler, for a request it refused itself (a body past
 * HTTPD_BODY_MAX: 413; headers past HTTPD_HEADERS_BYTES_MAX: 431; over the connection cap:
 * 503): fill RES's
 * body (the status is set). Also how the server counts what it refused.
 */
typedef void (*httpd_refusal_fn)(int status, const char *why, struct httpd_response *res, void *arg);

struct httpd_config {
	const char *host;		/* a numeric address: "127.0.0.1", "::1", "0.0.0.0" */
	int port;			/* 0: any free port (httpd_ops.port says which) */
	const char *tls_cert;		/* PEM files; both or neither */
	const char *tls_key;
	unsigned max_connections;	/* past it, new connections are answered 503 and closed */
	unsigned header_timeout_s;	/* a request's headers must be whole within this, from the
					   connection's start or the previous response's end */
	unsigned idle_timeout_s;	/* a connection that sends and receives nothing this long is closed */
	unsigned threads;		/* worker threads for ordinary requests */
	httpd_handler_fn handler;
	httpd_refusal_fn refusal;
	void *arg;
};

struct httpd;
struct httpd_ops {
	/* The port it listens on (useful after port 0). */
	int (*port)(struct httpd *h);
	/* Ask every stream with nothing to send to READ again now (new events came). */
	void (*wake)(struct httpd *h);
	/* Take no new connections; requests in flight finish. */
	void (*quiesce)(struct httpd *h);
	/* Connections now open (streams included). */
	unsigned (*connections)(struct httpd *h);
	/* Close every connection and free H. */
	void (*close)(struct httpd *h);
};
struct httpd {
	const struct httpd_ops *ops;
};

/* Set response header NAME to the formatted value (kept in RES). Returns 0, or -1 when full. */
int httpd_response_header(struct httpd_response *res, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The value of request header NAME (case-insensitive), or NULL. */
const char *httpd_request_header(const struct httpd_request *rq, const char *name);

/* The value of query argument NAME (the first), or NULL. */
const char *httpd_request_query(const struct httpd_request *rq, const char *name);

#endif
