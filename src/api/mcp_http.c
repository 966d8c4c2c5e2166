/*
 * /mcp: the Streamable HTTP transport of MCP inside `chimera serve`. POST carries one
 * JSON-RPC message: a notification or a response is answered 202; a request is answered
 * with its response as JSON, or, for tools/call when the client takes text/event-stream,
 * as an SSE stream of the call's progress ending with its response. initialize makes a
 * session (Mcp-Session-Id), bound to the token that made it and acting with its role;
 * DELETE ends one. GET (a stream the server would open by itself) is 405: this server
 * sends nothing unasked.
 */
#include "api/api_internal.h"
#include "api/mcp_api.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include "util/banned.h"

#define SESSIONS_MAX 64
#define SESSION_ID_LEN 32
#define STREAM_MAX (4 * 1024 * 1024)	/* an SSE stream's unsent bytes at most: past it, progress is dropped */

struct http_session {
	char id[SESSION_ID_LEN + 1];
	struct mcp_session *s;
	struct mcp_api m;
	struct mcp_backend be;
	int64_t used_ms;
	unsigned refs;			/* requests using it now */
	bool gone;			/* DELETE came: freed by its last user */
};

static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct http_session *sessions[SESSIONS_MAX];
static pthread_cond_t streams_ended = PTHREAD_COND_INITIALIZER;
static unsigned streams;		/* SSE threads running (under sessions_lock) */

static void session_free(struct http_session *h)
{
	mcp_session_free(h->s);
	free(h);
}

/* A new session for C's token, in a free slot or the one idle longest. NULL when every one is busy. */
static struct http_session *session_new(struct api_call *c)
{
	struct http_session *h = calloc(1, sizeof(*h));
	unsigned char raw[SESSION_ID_LEN / 2];
	size_t i, slot = SESSIONS_MAX;
	int64_t oldest = INT64_MAX;

	if (!h || getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		free(h);
		return NULL;
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(h->id + 2 * i, 3, "%02x", raw[i]);
	h->m = (struct mcp_api){ .api = c->api, .role = c->role };
	snprintf(h->m.caller, sizeof(h->m.caller), "%s", c->caller);
	mcp_api_backend(&h->m, &h->be);
	if (!(h->s = mcp_session_new(c->role, &h->be))) {
		free(h);
		return NULL;
	}
	h->used_ms = clock_mono_ms();
	h->refs = 1;
	pthread_mutex_lock(&sessions_lock);
	for (i = 0; i < SESSIONS_MAX && slot == SESSIONS_MAX; i++)
		if (!sessions[i])
			slot = i;
	for (i = 0; i < SESSIONS_MAX && slot == SESSIONS_MAX; i++)
		if (sessions[i]->refs == 0 && sessions[i]->used_ms < oldest)
			oldest = sessions[i]->used_ms;
	for (i = 0; i < SESSIONS_MAX && slot == SESSIONS_MAX; i++)
		if (sessions[i]->refs == 0 && sessions[i]->used_ms == oldest) {
			session_free(sessions[i]);
			sessions[i] = NULL;
			slot = i;
		}
	if (slot < SESSIONS_MAX)
		sessions[slot] = h;
	pthread_mutex_unlock(&sessions_lock);
	if (slot == SESSIONS_MAX) {
		session_free(h);
		return NULL;
	}
	return h;
}

/* The session ID names, held (session_put), when C's token made it: else NULL and *STATUS says why. */
static struct http_session *session_get(struct api_call *c, const char *id, int *status)
{
	struct http_session *h = NULL;
	size_t i;

	*status = 404;
	pthread_mutex_lock(&sessions_lock);
	for (i = 0; id && i < SESSIONS_MAX; i++)
		if (sessions[i] && !sessions[i]->gone && strcmp(sessions[i]->id, id) == 0)
			h = sessions[i];
	if (h && strcmp(h->m.caller, c->caller) != 0) {
		h = NULL;
		*status = 403;
	}
	if (h) {
		h->refs++;
		h->used_ms = clock_mono_ms();
	}
	pthread_mutex_unlock(&sessions_lock);
	return h;
}

static void session_put(struct http_session *h)
{
	size_t i;
	bool last;

	pthread_mutex_lock(&sessions_lock);
	last = --h->refs == 0 && h->gone;
	if (last)
		for (i = 0; i < SESSIONS_MAX; i++)
			if (sessions[i] == h)
				sessions[i] = NULL;
	pthread_mutex_unlock(&sessions_lock);
	if (last)
		session_free(h);
}

void api_mcp_stop(void)
{
	size_t i;

	pthread_mutex_lock(&sessions_lock);
	for (i = 0; i < SESSIONS_MAX; i++)
		if (sessions[i])
			mcp_session_cancel_all(sessions[i]->s);
	while (streams)
		pthread_cond_wait(&streams_ended, &sessions_lock);
	pthread_mutex_unlock(&sessions_lock);
}

void api_mcp_sessions_free(void)
{
	size_t i;

	pthread_mutex_lock(&sessions_lock);
	for (i = 0; i < SESSIONS_MAX; i++)
		if (sessions[i] && sessions[i]->refs == 0) {
			session_free(sessions[i]);
			sessions[i] = NULL;
		}
	pthread_mutex_unlock(&sessions_lock);
}

/*
 * Into OUT: TEXT, the response to request ID, when it fits in ROOM bytes; else the
 * JSON-RPC error that says so for the same ID (a client is never left without an answer).
 */
static void response_or_too_big(struct buf *out, const char *text, json_t *id, size_t room)
{
	json_t *e;
	char *s;

	if (strlen(text) <= room && buf_add(out, text, strlen(text)) == 0)
		return;
	e = json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id, "error", "code", -32603, "message",
		      "the answer is over 4 MiB: ask for less (a limit, fewer targets)");
	if (e && (s = json_dumps(e, JSON_COMPACT))) {
		buf_add(out, s, strlen(s));
		free(s);
	}
	json_decref(e);
}

/* --- a response as JSON: the one message with an id --- */

static void collect(void *arg, const char *text)
{
	struct buf *b = arg;
	json_t *m = json_loads(text, 0, NULL);

	if (json_object_get(m, "id")) {
		buf_reset(b);
		response_or_too_big(b, text, json_object_get(m, "id"), STREAM_MAX - 1024);
	}
	json_decref(m);
}

/* --- a response as an SSE stream, written by the call's thread --- */

struct sse {
	struct httpd_stream base;	/* first */
	pthread_mutex_t lock;
	struct buf out;			/* events not yet read */
	size_t off;
	bool done;			/* the call has ended */
	unsigned refs;			/* the server's and the thread's */
	struct api *api;
	struct http_session *h;
	char *msg;
	size_t len;
};

static void sse_unref(struct sse *s)
{
	bool last;

	pthread_mutex_lock(&s->lock);
	last = --s->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (!last)
		return;
	buf_release(&s->out);
	pthread_mutex_destroy(&s->lock);
	free(s->msg);
	free(s);
}

static long sse_read(struct httpd_stream *st, char *buf, size_t max)
{
	struct sse *s = (struct sse *)st;
	size_t n;
	long r;

	pthread_mutex_lock(&s->lock);
	n = s->out.len - s->off;
	if (n > max)
		n = max;
	memcpy(buf, s->out.data + s->off, n);
	s->off += n;
	if (s->off == s->out.len) {
		buf_reset(&s->out);
		s->off = 0;
	}
	r = n ? (long)n : s->done ? -1 : 0;
	pthread_mutex_unlock(&s->lock);
	return r;
}

static void sse_close(struct httpd_stream *st)
{
	sse_unref((struct sse *)st);
}

static const struct httpd_stream_ops sse_ops = { sse_read, sse_close };

static void sse_send(void *arg, const char *text)
{
	struct sse *s = arg;

	json_t *m = json_loads(text, 0, NULL), *id = json_object_get(m, "id");
	size_t room;

	pthread_mutex_lock(&s->lock);
	/* Progress past the stream's bound is dropped; the response always gets its frame (65536 bytes are kept for it). */
	room = s->out.len < STREAM_MAX ? STREAM_MAX - s->out.len : 0;
	if (id || strlen(text) + 32 <= room) {
		buf_add(&s->out, "event: message\ndata: ", 21);
		if (id)
			response_or_too_big(&s->out, text, id, room);
		else
			buf_add(&s->out, text, strlen(text));
		buf_add(&s->out, "\n\n", 2);
	}
	pthread_mutex_unlock(&s->lock);
	json_decref(m);
	if (s->api->httpd)
		s->api->httpd->ops->wake(s->api->httpd);
}

static void *sse_thread(void *arg)
{
	struct sse *s = arg;

	api_work_nice();
	mcp_session_handle(s->h->s, s->msg, s->len, sse_send, s);
	session_put(s->h);
	pthread_mutex_lock(&s->lock);
	s->done = true;
	pthread_mutex_unlock(&s->lock);
	if (s->api->httpd)
		s->api->httpd->ops->wake(s->api->httpd);
	sse_unref(s);
	pthread_mutex_lock(&sessions_lock);
	streams--;
	pthread_cond_broadcast(&streams_ended);
	pthread_mutex_unlock(&sessions_lock);
	return NULL;
}

/* Answer C's request on H as an SSE stream, the call running on a thread of its own. 0, or -1 (not started). */
static int answer_stream(struct api_call *c, struct http_session *h)
{
	struct sse *s = calloc(1, sizeof(*s));
	pthread_attr_t attr;
	pthread_t t;
	int r;

	if (!s || !(s->msg = malloc(c->rq->body_len + 1))) {
		free(s);
		return -1;
	}
	memcpy(s->msg, c->rq->body, c->rq->body_len + 1);
	s->len = c->rq->body_len;
	s->base.ops = &sse_ops;
	s->api = c->api;
	s->h = h;
	s->refs = 2;
	buf_init(&s->out, STREAM_MAX + 65536);
	pthread_mutex_init(&s->lock, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&sessions_lock);
	streams++;
	pthread_mutex_unlock(&sessions_lock);
	r = pthread_create(&t, &attr, sse_thread, s);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		pthread_mutex_lock(&sessions_lock);
		streams--;
		pthread_mutex_unlock(&sessions_lock);
		s->refs = 1;
		sse_unref(s);
		return -1;
	}
	c->res->status = 200;
	c->res->content_type = "text/event-stream";
	c->res->stream = &s->base;
	httpd_response_header(c->res, "Mcp-Session-Id", "%s", h->id);
	return 0;
}

static void answer_json(struct api_call *c, struct http_session *h)
{
	struct buf b = BUF_INIT(STREAM_MAX);
	size_t len;
	char *text;

	mcp_session_handle(h->s, c->rq->body, c->rq->body_len, collect, &b);
	httpd_response_header(c->res, "Mcp-Session-Id", "%s", h->id);
	if (!b.len) {
		c->res->status = 202;	/* a cancelled call: nothing to say */
		buf_release(&b);
		return;
	}
	text = buf_detach(&b, &len);
	c->res->status = strstr(text, "\"code\":-32700") ? 400 : 200;
	c->res->body = text;
	c->res->body_len = len;
}

/*
 * A browser's page must not reach the fleet through a user's loopback server (DNS
 * rebinding): a request with an Origin is taken only from a loopback origin or the
 * server's own (the Host it was asked by). Without one (not a browser), as with the API.
 */
static bool origin_ok(const struct httpd_request *rq)
{
	const char *origin = httpd_request_header(rq, "Origin"), *host = httpd_request_header(rq, "Host"), *h;
	size_t n;

	if (!origin)
		return true;
	if (!(h = strstr(origin, "://")))
		return false;
	h += 3;
	n = strlen(h);
	if (host && strcmp(h, host) == 0)
		return true;
	if ((strncmp(h, "localhost", 9) == 0 && (n == 9 || h[9] == ':')) ||
	    (strncmp(h, "[::1]", 5) == 0 && (n == 5 || h[5] == ':')))
		return true;
	/* 127.A.B.C[:PORT], and not 127.example.com */
	return strncmp(h, "127.", 4) == 0 && strspn(h, "0123456789.") == strcspn(h, ":");
}

/* What every /mcp request must pass first: its Origin, its MCP-Protocol-Version. 0, or answered and -1. */
static int mcp_request_ok(struct api_call *c, bool initialize)
{
	const char *v = httpd_request_header(c->rq, "MCP-Protocol-Version");

	if (!origin_ok(c->rq)) {
		api_error(c, 403, "forbidden", "Origin %.200s may not use /mcp (only loopback or this server's own)",
			  httpd_request_header(c->rq, "Origin"));
		return -1;
	}
	if (!initialize && v && !mcp_version_supported(v)) {
		api_error(c, 400, "bad_protocol_version", "MCP-Protocol-Version %.40s: this server speaks %s, "
			  "2025-03-26 and 2024-11-05", v, MCP_PROTOCOL_LATEST);
		return -1;
	}
	return 0;
}

void api_mcp_post(struct api_call *c)
{
	const char *id = httpd_request_header(c->rq, "Mcp-Session-Id");
	const char *accept = httpd_request_header(c->rq, "Accept");
	bool init = mcp_message_is(c->rq->body, c->rq->body_len, "initialize");
	struct buf none = BUF_INIT(1);	/* what a notification is answered: nothing */
	struct http_session *h;
	int status;

	if (mcp_request_ok(c, init) < 0)
		return;
	if (init) {
		if (!(h = session_new(c))) {
			api_error(c, 503, "busy", "no room for another MCP session: every one is in use");
			return;
		}
	} else if (!id) {
		api_error(c, 400, "no_session", "no Mcp-Session-Id header: initialize first");
		return;
	} else if (!(h = session_get(c, id, &status))) {
		api_error(c, status, status == 403 ? "forbidden" : "no_session",
			  status == 403 ? "MCP session %s belongs to another token" : "no MCP session %s (it ended, or the "
			  "server restarted): initialize again", id);
		return;
	}
	if (!mcp_message_has_request(c->rq->body, c->rq->body_len)) {
		mcp_session_handle(h->s, c->rq->body, c->rq->body_len, collect, &none);
		buf_release(&none);
		c->res->status = 202;
		session_put(h);
		return;
	}
	if (accept && strstr(accept, "text/event-stream") &&
	    mcp_message_is(c->rq->body, c->rq->body_len, "tools/call") && answer_stream(c, h) == 0)
		return;		/* the stream's thread lets go of H */
	answer_json(c, h);
	session_put(h);
}

void api_mcp_delete(struct api_call *c)
{
	const char *id = httpd_request_header(c->rq, "Mcp-Session-Id");
	struct http_session *h;
	int status;

	if (mcp_request_ok(c, false) < 0)
		return;
	if (!(h = session_get(c, id, &status))) {
		api_error(c, status, "no_session", "no MCP session %s", id ? id : "(no Mcp-Session-Id header)");
		return;
	}
	mcp_session_cancel_all(h->s);
	pthread_mutex_lock(&sessions_lock);
	h->gone = true;
	pthread_mutex_unlock(&sessions_lock);
	session_put(h);
	c->res->status = 204;
}

void api_mcp_get(struct api_call *c)
{
	httpd_response_header(c->res, "Allow", "POST, DELETE");
	api_error(c, 405, "method_not_allowed", "GET /mcp: this server opens no stream by itself; POST messages");
}

const struct api_route api_routes_mcp[] = {
	{ "POST", "/mcp", TOKEN_ROLE_VIEWER, api_mcp_post, false },
	{ "DELETE", "/mcp", TOKEN_ROLE_VIEWER, api_mcp_delete, false },
	{ "GET", "/mcp", TOKEN_ROLE_VIEWER, api_mcp_get, false },
	{ NULL, NULL, 0, NULL, false },
};
