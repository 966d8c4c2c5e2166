/*
 * Requests on libmicrohttpd. MHD parses; this file only gathers what it parsed: the access
 * handler is called once the headers are whole (limits checked), once per piece of body
 * (kept up to HTTPD_BODY_MAX), and once at the end, when the connection is suspended and
 * the whole request goes to a worker thread. The worker runs the port's handler and
 * resumes the connection; MHD calls the access handler again and the answer is queued:
 * a body, or a stream that MHD pulls from (stream_read suspends the connection while the
 * stream has nothing to say; httpd_mhd.c resumes it).
 */
#include "adapters/mhd/httpd_mhd_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "util/banned.h"

/* A stream being pulled by MHD (the content reader's closure). */
struct mhd_stream {
	struct httpd_mhd *h;
	struct mhd_conn *conn;
	struct MHD_Connection *c;
	struct httpd_stream *s;
};

/* --- streams --- */

/*
 * MHD asks for more of a stream. Nothing now: suspend the connection unless a wake came
 * since the read began (then read again), so a wake is never lost and an idle stream costs
 * no CPU. The stream's -1 ends the response (the last chunk), then the connection
 * (mhd_on_completed); a client that hung up or a closing server cuts the connection.
 */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct mhd_stream *st = cls;
	struct httpd_mhd *h = st->h;
	unsigned gen;
	long n;

	(void)pos;
	for (;;) {
		pthread_mutex_lock(&h->lock);
		if (h->closing || st->conn->gone) {
			pthread_mutex_unlock(&h->lock);
			return MHD_CONTENT_READER_END_WITH_ERROR;
		}
		gen = h->wake_gen;
		pthread_mutex_unlock(&h->lock);
		n = st->s->ops->read(st->s, buf, max);
		if (n < 0) {
			pthread_mutex_lock(&h->lock);
			st->conn->ended = true;
			pthread_mutex_unlock(&h->lock);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (n > 0)
			return (ssize_t)((size_t)n < max ? (size_t)n : max);
		pthread_mutex_lock(&h->lock);
		if (gen == h->wake_gen && !h->closing) {
			st->conn->waiting = true;
			MHD_suspend_connection(st->c);
			pthread_mutex_unlock(&h->lock);
			return 0;
		}
		pthread_mutex_unlock(&h->lock);
	}
}

/* MHD is done with the response: the client went away, or the stream ended. */
static void stream_free(void *cls)
{
	struct mhd_stream *st = cls;

	st->s->ops->close(st->s);
	free(st);
}

/* --- answers --- */

static bool has_header(const struct httpd_response *res, const char *name)
{
	size_t i;

	for (i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return true;
	return false;
}

/* An MHD response for RQ's answer: the body (handed to MHD) or the stream (closed by stream_free from now on). */
static struct MHD_Response *make_response(struct mhd_req *rq)
{
	struct httpd_response *res = &rq->res;
	struct MHD_Response *r;
	struct mhd_stream *st;

	if (res->stream) {
		if (!(st = malloc(sizeof(*st))))
			return NULL;
		*st = (struct mhd_stream){ rq->h, rq->conn, rq->c, res->stream };
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, MHD_STREAM_BLOCK, stream_read, st, stream_free);
		if (!r)
			free(st);
		else
			res->stream = NULL;
		return r;
	}
	if (res->shared) {
		r = MHD_create_response_from_buffer_with_free_callback_cls(res->shared_len, (void *)res->shared,
									  res->shared_release, res->shared_arg);
		if (r)
			res->shared = NULL;	/* MHD releases it now */
		return r;
	}
	if (!res->body)
		return MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	r = MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_MUST_FREE);
	if (r)
		res->body = NULL;
	return r;
}

/* Queue RQ's answer (CLOSE: and end the connection after it). MHD_NO cuts the connection. */
static enum MHD_Result queue(struct mhd_req *rq, bool close)
{
	struct httpd_response *res = &rq->res;
	struct MHD_Response *r;
	enum MHD_Result ok;
	size_t i;

	rq->state = RQ_DONE;
	if (!(r = make_response(rq))) {
		log_error("httpd", "out of memory answering %s %s", rq->method, rq->path);
		return MHD_NO;
	}
	for (i = 0; i < res->nheaders; i++)
		if (MHD_add_response_header(r, res->headers[i].name, res->headers[i].value) != MHD_YES)
			log_warn("httpd", "%s %s: response header '%s' refused by libmicrohttpd", rq->method, rq->path,
				 res->headers[i].name);
	if (res->status != 204 && res->status != 304 && !has_header(res, MHD_HTTP_HEADER_CONTENT_TYPE))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					res->content_type ? res->content_type : "application/json");
	if (close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ok = MHD_queue_response(rq->c, (unsigned)res->status, r);
	MHD_destroy_response(r);
	return ok;
}

/* Answer STATUS for a request the server refuses itself: the refusal hook fills the body; the connection ends. */
static enum MHD_Result refuse(struct mhd_req *rq, int status, const char *why)
{
	struct httpd_mhd *h = rq->h;
	struct httpd_response *res = &rq->res;
	size_t len;

	free(res->body);
	if (res->shared && res->shared_release)
		res->shared_release(res->shared_arg);
	memset(res, 0, sizeof(*res));
	res->status = status;
	if (h->cfg.refusal)
		h->cfg.refusal(status, why, res, h->cfg.arg);
	res->status = status;
	if (res->stream) {
		res->stream->ops->close(res->stream);
		res->stream = NULL;
	}
	if (!res->body) {
		len = strlen(why) + 64;
		if (!(res->body = malloc(len)))
			return MHD_NO;
		res->body_len = (size_t)snprintf(res->body, len, "{\"error\": {\"code\": \"refused\", \"message\": \"%s\"}}", why);
	}
	return queue(rq, true);
}

/* --- the request --- */

static enum MHD_Result add_kv(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct mhd_req *rq = cls;
	struct httpd_kv *kv;
	size_t cap;

	(void)kind;
	if (rq->nkv == rq->kvcap) {
		cap = rq->kvcap ? 2 * rq->kvcap : 16;
		if (!(kv = realloc(rq->kv, cap * sizeof(*kv))))
			return MHD_NO;
		rq->kv = kv;
		rq->kvcap = cap;
	}
	rq->kv[rq->nkv].name = key ? key : "";
	rq->kv[rq->nkv].value = value ? value : "";
	rq->nkv++;
	return MHD_YES;
}

/* The query arguments and headers (MHD's decoded values, in order) and the peer's address. Returns 0 or -1. */
static int gather(struct mhd_req *rq)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	int n;

	n = MHD_get_connection_values(rq->c, MHD_GET_ARGUMENT_KIND, add_kv, rq);
	if (n < 0 || (size_t)n != rq->nkv)
		return -1;
	rq->nquery = rq->nkv;
	n = MHD_get_connection_values(rq->c, MHD_HEADER_KIND, add_kv, rq);
	if (n < 0 || (size_t)n != rq->nkv - rq->nquery)
		return -1;
	ci = MHD_get_connection_info(rq->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, rq->client, sizeof(rq->client));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, rq->client,
			  sizeof(rq->client));
	return 0;
}

/* A Content-Length past HTTPD_BODY_MAX (MHD has checked it is digits). */
static bool length_too_big(const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	return errno == ERANGE || v > HTTPD_BODY_MAX;
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	size_t *n = cls;

	(void)kind;
	*n += (key ? strlen(key) : 0) + (value ? strlen(value) : 0) + 4;	/* ": " and CRLF */
	return MHD_YES;
}

/* The request line's and the headers' bytes, as sent (near enough: names, values, separators). */
static size_t header_bytes(struct MHD_Connection *c, const char *method, const char *url)
{
	size_t n = strlen(method) + strlen(url) + 12;	/* " ", " HTTP/1.1", CRLF */

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &n);
	return n;
}

/* The headers are whole: the connection is no longer waiting for them; refuse what is over a limit up front. */
static enum MHD_Result request_start(struct httpd_mhd *h, struct MHD_Connection *c, const char *url,
				     const char *method, void **con_cls)
{
	struct mhd_conn *conn = mhd_conn_of(c);
	struct mhd_req *rq;
	const char *len;
	bool over;

	if (!conn || !(rq = calloc(1, sizeof(*rq))))
		return MHD_NO;
	rq->h = h;
	rq->c = c;
	rq->conn = conn;
	rq->method = method;
	rq->path = url;
	buf_init(&rq->body, HTTPD_BODY_MAX);
	*con_cls = rq;
	pthread_mutex_lock(&h->lock);
	conn->deadline_ms = 0;
	over = conn->over_cap;
	pthread_mutex_unlock(&h->lock);
	if (over)
		return refuse(rq, 503, "too many connections");
	/* Past MHD's own buffer (32 KiB) MHD answers 431 itself, with its own page. */
	if (header_bytes(c, method, url) > HTTPD_HEADERS_BYTES_MAX)
		return refuse(rq, 431, "request headers larger than 8192 bytes");
	len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (len && length_too_big(len))
		return refuse(rq, 413, "request body larger than 1048576 bytes");
	return MHD_YES;
}

/* A piece of body: kept while it fits; past the limit dropped (answered 413 at the end), and past MHD_DROP_MAX the connection is cut. */
static enum MHD_Result take_body(struct mhd_req *rq, const char *data, size_t *size)
{
	int r;

	if (rq->state == RQ_READING) {
		r = buf_add(&rq->body, data, *size);
		if (r == 0) {
			*size = 0;
			return MHD_YES;
		}
		if (r != ERR_LIMIT)
			return MHD_NO;
		rq->state = RQ_TOO_BIG;
		rq->dropped = rq->body.len;
		buf_release(&rq->body);
	}
	rq->dropped += *size;
	*size = 0;
	return rq->dropped > MHD_DROP_MAX ? MHD_NO : MHD_YES;
}

/* The request is whole: suspend the connection and queue it for a worker (503 when the server is closing). */
static enum MHD_Result request_run(struct mhd_req *rq)
{
	struct mhd_pool *p = &rq->h->pool;

	if (gather(rq) < 0)
		return MHD_NO;
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return refuse(rq, 503, "the server is closing");
	}
	rq->state = RQ_RUNNING;
	MHD_suspend_connection(rq->c);
	if (p->tail)
		p->tail->next = rq;
	else
		p->head = rq;
	p->tail = rq;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return MHD_YES;
}

enum MHD_Result mhd_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct mhd_req *rq = *con_cls;

	(void)version;
	if (!rq)
		return request_start(cls, c, url, method, con_cls);
	if (*data_size)
		return take_body(rq, data, data_size);
	switch (rq->state) {
	case RQ_READING:
		return request_run(rq);
	case RQ_TOO_BIG:
		return refuse(rq, 413, "request body larger than 1048576 bytes");
	case RQ_DONE:
		return queue(rq, false);
	case RQ_RUNNING:
		break;
	}
	return MHD_YES;
}

void mhd_on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct httpd_mhd *h = cls;
	struct mhd_req *rq = *con_cls;
	struct mhd_conn *conn = mhd_conn_of(c);

	(void)toe;
	if (conn) {
		pthread_mutex_lock(&h->lock);
		if (conn->ended && conn->fd >= 0)
			shutdown(conn->fd, SHUT_WR);	/* the stream's response is out: end the connection too */
		conn->ended = false;
		conn->waiting = false;
		conn->deadline_ms = h->cfg.header_timeout_s ? clock_mono_ms() + 1000 * (int64_t)h->cfg.header_timeout_s : 0;
		pthread_mutex_unlock(&h->lock);
	}
	if (!rq)
		return;
	*con_cls = NULL;
	free(rq->res.body);
	if (rq->res.shared && rq->res.shared_release)
		rq->res.shared_release(rq->res.shared_arg);
	if (rq->res.stream)
		rq->res.stream->ops->close(rq->res.stream);
	buf_release(&rq->body);
	free(rq->kv);
	free(rq);
}

/* --- the workers --- */

/* Run RQ's handler on this worker, then give the connection back to MHD, which queues the answer. */
static void run(struct mhd_req *rq)
{
	struct httpd_mhd *h = rq->h;
	struct MHD_Connection *c = rq->c;
	struct httpd_request q = {
		.method = rq->method,
		.path = rq->path,
		.query = rq->kv,
		.nquery = rq->nquery,
		.headers = rq->kv + rq->nquery,
		.nheaders = rq->nkv - rq->nquery,
		.body = rq->body.data,
		.body_len = rq->body.len,
		.client = rq->client,
		.tls = h->tls,
	};

	h->cfg.handler(&q, &rq->res, h->cfg.arg);
	if (rq->res.status < 100 || rq->res.status > 999) {
		log_error("httpd", "%s %s: the handler answered status %d; sending 500", rq->method, rq->path,
			  rq->res.status);
		rq->res.status = 500;
	}
	rq->state = RQ_DONE;
	MHD_resume_connection(c);
}

static void *worker(void *arg)
{
	struct mhd_pool *p = arg;
	struct mhd_req *rq;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->head && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		rq = p->head;
		if (rq) {
			p->head = rq->next;
			if (!p->head)
				p->tail = NULL;
			rq->next = NULL;
		}
		pthread_mutex_unlock(&p->lock);
		if (!rq)
			return NULL;
		run(rq);
	}
}

int mhd_pool_start(struct httpd_mhd *h, unsigned n)
{
	struct mhd_pool *p = &h->pool;
	int e;

	if (!(p->threads = calloc(n, sizeof(*p->threads))))
		return err_set(ERR_NOMEM, "out of memory");
	for (p->nthreads = 0; p->nthreads < n; p->nthreads++)
		if ((e = pthread_create(&p->threads[p->nthreads], NULL, worker, p)) != 0)
			return err_set_errno(ERR_IO, e, "cannot start the HTTP server's worker threads");
	return 0;
}

void mhd_pool_stop(struct httpd_mhd *h)
{
	struct mhd_pool *p = &h->pool;
	unsigned i;

	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
	free(p->threads);
	p->threads = NULL;
}
