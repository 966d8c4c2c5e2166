/*
 * GET /api/v1/events/stream: the ledger's events as Server-Sent Events, from the hub
 * (hub.c). Filters ?topic= (exact, or a prefix ending ".*") and ?node=; it resumes after
 * the Last-Event-ID header's seq (or ?after=SEQ), else starts at the current head.
 */
#include "api/api.h"
#include "api/hub.h"
#include "core/chain.h"
#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* S as a seq (decimal digits, 0 or more): 0 and *OUT, or -1. */
static int parse_seq(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (!s || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* Whether T is a topic, or a topic followed by ".*". */
static bool topic_filter_ok(const char *t)
{
	size_t n = strlen(t);
	char word[LEDGER_TOPIC_MAX + 1];

	if (n >= 2 && strcmp(t + n - 2, ".*") == 0) {
		if (n - 2 > LEDGER_TOPIC_MAX)
			return false;
		memcpy(word, t, n - 2);
		word[n - 2] = '\0';
		return chain_topic_ok(word);
	}
	return chain_topic_ok(t);
}

/* Where the stream starts: after Last-Event-ID, else ?after=, else -1 (the head). -1 when answered 400. */
static int stream_start(struct api_call *c, int64_t *after)
{
	const char *id = httpd_request_header(c->rq, "Last-Event-ID");
	const char *q = httpd_request_query(c->rq, "after");
	char quoted[80];

	*after = -1;
	/* An empty Last-Event-ID is a client with no id yet (the SSE rule): as if absent. */
	if (id && id[0] != '\0') {
		if (parse_seq(id, after) == 0)
			return 0;
		api_error(c, 400, "bad_header", "bad Last-Event-ID '%s': expected the seq of the last event received "
			  "(decimal digits, as the stream's id: lines)", err_quote(quoted, sizeof(quoted), id, strlen(id)));
		return -1;
	}
	if (q && parse_seq(q, after) < 0) {
		api_error(c, 400, "bad_query", "bad after '%s': expected a seq (decimal digits, 0 or more)",
			  err_quote(quoted, sizeof(quoted), q, strlen(q)));
		return -1;
	}
	return 0;
}

static void events_stream(struct api_call *c)
{
	const char *topic = httpd_request_query(c->rq, "topic");
	const char *node = httpd_request_query(c->rq, "node");
	struct httpd_stream *s;
	char quoted[160];
	int64_t after;

	if (stream_start(c, &after) < 0)
		return;
	if (topic && topic[0] == '\0')
		topic = NULL;
	if (node && node[0] == '\0')
		node = NULL;
	if (topic && !topic_filter_ok(topic)) {
		api_error(c, 400, "bad_query", "bad topic '%s': expected a topic (lowercase words of [a-z0-9_-] "
			  "joined by dots, as node.exec) or a prefix ending in '.*' (node.*)",
			  err_quote(quoted, sizeof(quoted), topic, strlen(topic)));
		return;
	}
	if (!(s = hub_subscribe(api_hub_of(c->api), after, topic, node))) {
		api_error(c, 503, "out_of_memory", "cannot open an event stream now: out of memory");
		return;
	}
	c->res->status = 200;
	c->res->content_type = "text/event-stream";
	c->res->stream = s;
	httpd_response_header(c->res, "Cache-Control", "no-store");
	httpd_response_header(c->res, "X-Accel-Buffering", "no");
}

const struct api_route api_routes_events[] = {
	{ "GET", API_PREFIX "/events/stream", TOKEN_ROLE_VIEWER, events_stream, false },
	{ NULL, NULL, TOKEN_ROLE_NONE, NULL, false },
};
