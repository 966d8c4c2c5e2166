/* A server's events, a page at a time and then its event stream: `chimera events --server` and `chimera dash --server`. */
#include "app/ledger/events.h"
#include "cli/remote.h"
#include "formats/sse.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define PAGE 1000		/* events asked for at once */
#define PAUSE_MS 1000		/* after the server ended the stream (a restart, a reload), before following again */

/* The reading's state, for the pages and the stream alike. */
struct reading {
	struct cli *cli;
	const struct ledger_filter *f;
	int64_t *after;		/* the last seq given */
	int64_t n;		/* how many given */
	ledger_event_fn fn;
	void *arg;
	volatile sig_atomic_t *stop;
	struct sse_parser sse;
	enum cmd_status st;
	bool ended;		/* FN asked to end, or F's limit was reached */
};

/* EV to FN unless seen, or of another deployment (the stream does not take that filter). */
static void give(struct reading *rd, const struct ledger_event *ev)
{
	if (ev->seq <= *rd->after)
		return;
	*rd->after = ev->seq;
	if (rd->f->deployment && (!ev->deployment || strcmp(ev->deployment, rd->f->deployment) != 0))
		return;
	rd->n++;
	if (rd->fn(ev, rd->arg) != 0 || (rd->f->limit && rd->n >= rd->f->limit))
		rd->ended = true;
}

/* F's --topic, --node (and --deployment when WITH_DEPLOYMENT) onto the query Q, which is then ended. 0 or a buf error. */
static int filters_query(struct buf *q, const struct ledger_filter *f, bool with_deployment)
{
	int r = 0;

	if (f->topic)
		r = remote_query(q, "topic", f->topic);
	if (r == 0 && f->node)
		r = remote_query(q, "node", f->node);
	if (r == 0 && with_deployment && f->deployment)
		r = remote_query(q, "deployment", f->deployment);
	return r < 0 ? r : buf_addc(q, '\0');
}

/* GET /events after *AFTER, page after page, until a short page (the end of what there is). */
static void read_pages(struct reading *rd)
{
	struct buf q = BUF_INIT(64 * 1024);
	char num[2][32], *payload;
	struct ledger_event ev;
	const json_t *o;
	json_t *doc;
	int64_t want;
	size_t i, got;

	do {
		want = rd->f->limit && rd->f->limit - rd->n < PAGE ? rd->f->limit - rd->n : PAGE;
		snprintf(num[0], sizeof(num[0]), "%lld", (long long)*rd->after);
		snprintf(num[1], sizeof(num[1]), "%lld", (long long)want);
		buf_reset(&q);
		if (buf_adds(&q, "/api/v1/events") < 0 || remote_query(&q, "after", num[0]) < 0 ||
		    remote_query(&q, "limit", num[1]) < 0 || filters_query(&q, rd->f, true) < 0) {
			rd->st = cli_usage(rd->cli, "--topic, --node or --deployment is too long for a request");
			break;
		}
		doc = NULL;
		if ((rd->st = remote_get(rd->cli, q.data, CMD_ERROR, REMOTE_TIMEOUT_MS, &doc)) != CMD_OK)
			break;
		got = json_array_size(json_object_get(doc, "events"));
		json_array_foreach(json_object_get(doc, "events"), i, o) {
			if (events_event_from_json(o, &ev, &payload) < 0) {
				rd->st = cli_fail(rd->cli, CMD_ERROR, "the server's answer: %s", err_msg());
				break;
			}
			/* The page is filtered by the server: every event counts, in order. */
			give(rd, &ev);
			free(payload);
			if (rd->ended)
				break;
		}
		json_decref(doc);
	} while (rd->st == CMD_OK && !rd->ended && !*rd->stop && (int64_t)got == want);
	buf_release(&q);
}

/* One frame of the stream: an event, given on. */
static int stream_frame(const struct sse_frame *frame, void *arg)
{
	struct reading *rd = arg;
	struct ledger_event ev;
	char *payload;
	json_t *o = json_loadb(frame->data, frame->data_len, 0, NULL);

	if (!o || events_event_from_json(o, &ev, &payload) < 0) {
		json_decref(o);
		rd->st = cli_fail(rd->cli, CMD_ERROR, "the server's event stream: a frame that is not an event (id %s)",
				  frame->id);
		return 1;
	}
	give(rd, &ev);
	free(payload);
	json_decref(o);
	return rd->ended;
}

/* The stream's bytes (NULL: a second went by); nonzero ends the stream. */
static int stream_bytes(const char *data, size_t len, void *arg)
{
	struct reading *rd = arg;
	int r;

	if (*rd->stop)
		return 1;
	if (!data)
		return 0;
	if ((r = sse_feed(&rd->sse, data, len, stream_frame, rd)) < 0) {
		rd->st = cli_fail(rd->cli, CMD_ERROR, "the server's event stream: %s", err_msg());
		return 1;
	}
	return r;
}

/* GET /events/stream from *AFTER until it ends. */
static void read_stream(struct reading *rd)
{
	struct buf q = BUF_INIT(64 * 1024);
	char last[32];
	enum cmd_status st;

	if (buf_adds(&q, "/api/v1/events/stream") < 0 || filters_query(&q, rd->f, false) < 0) {
		buf_release(&q);
		rd->st = cli_usage(rd->cli, "--topic or --node is too long for a request");
		return;
	}
	snprintf(last, sizeof(last), "%lld", (long long)*rd->after);
	sse_init(&rd->sse);
	st = remote_stream(rd->cli, q.data, last, stream_bytes, rd);
	sse_release(&rd->sse);
	if (rd->st == CMD_OK)
		rd->st = st;
	buf_release(&q);
}

enum cmd_status remote_events(struct cli *cli, const struct ledger_filter *f, bool follow, int64_t *after,
			      ledger_event_fn fn, void *arg, volatile sig_atomic_t *stop)
{
	struct reading rd = { .cli = cli, .f = f, .after = after, .fn = fn, .arg = arg, .stop = stop, .st = CMD_OK };
	int i;

	for (;;) {
		read_pages(&rd);
		if (!follow || rd.st != CMD_OK || rd.ended || *stop)
			break;
		read_stream(&rd);
		if (rd.st != CMD_OK || rd.ended || *stop)
			break;
		/* The server ended the stream: again from the last seq given, the pages first. */
		for (i = 0; i < PAUSE_MS / 100 && !*stop; i++)
			clock_sleep_ms(100);
	}
	return rd.st;
}
