/*
 * The SSE hub (hub.h): one thread follows the ledger and keeps the newest events as
 * ready-made SSE frames in a ring; subscribers are cursors (a seq) that copy the frames
 * after them out of the ring, or read what the ring no longer holds from the ledger.
 *
 * The ring holds every event with BASE < seq <= HEAD (BASE: the hub's starting head, then
 * the seq of the last frame dropped), so a cursor at or past BASE is served from memory
 * and one before it from the ledger, a bounded page per read, until it reaches the ring.
 * The lock guards the ring and the counters; nobody holds it while calling the ledger,
 * the metrics or the server.
 */
#include "api/hub.h"
#include "api/metrics.h"
#include "app/ledger/events.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define HUB_WAIT_MS 1000	/* the longest ledger wait: how soon the thread sees hub_stop */
#define HUB_SCAN_PAGE 1024	/* events the thread reads in one scan */
#define HUB_CATCHUP_PAGE 256	/* events a subscriber reads from the ledger in one read */
#define HUB_CATCHUP_BYTES (256 * 1024)	/* ... or until its frames take this many bytes */
#define HUB_ROUNDS 8		/* catch-up pages one read may go through before answering 0 */

static const char keepalive[] = ": keepalive\n\n";

/* One event as an SSE frame: TEXT (LEN bytes), with the topic and node it is filtered by, in one allocation. */
struct hub_frame {
	int64_t seq;
	size_t len;
	size_t size;		/* the allocation's bytes */
	char *text;		/* "id: ...\nevent: ...\ndata: ...\n\n", then the topic and node */
	const char *topic;
	const char *node;	/* NULL when the event has none */
};

struct api_hub {
	pthread_mutex_t lock;
	pthread_t thread;
	bool thread_started;
	hub_ledger_fn open;
	void *open_arg;
	struct ledger *ledger;		/* the thread's */
	struct api_metrics *metrics;
	struct httpd *server;
	bool stopping;
	unsigned refs;			/* the owner's (until hub_stop) and one per stream */
	unsigned subscribers;
	long keepalive_ms;
	int64_t base, head;		/* the ring holds every event with base < seq <= head */
	struct hub_frame *ring;		/* HUB_RING slots */
	size_t start, count, bytes;
};

/* A subscriber: a cursor into the events, its filters, and bytes it owes the client. */
struct hub_sub {
	struct httpd_stream stream;
	struct api_hub *hub;
	int64_t cursor;			/* every event up to this seq was sent or filtered out */
	char *topic;			/* NULL: any */
	size_t prefix;			/* nonzero: TOPIC ends with ".*", match its first PREFIX bytes */
	char *node;			/* NULL: any */
	struct ledger *ledger;		/* open only while catching up */
	struct buf pending;		/* a frame that did not fit a read, or a catch-up page */
	size_t sent;			/* bytes of PENDING already read */
	int64_t last_bytes_ms;
};

/* Append EV's SSE frame to OUT: its seq as id, its topic as event, its `events --json` line as data. */
static int frame_render(const struct ledger_event *ev, struct buf *out)
{
	struct buf json = BUF_INIT(0);
	size_t i, line;
	int r;

	if ((r = events_event_json(ev, &json)) < 0)
		goto out;
	while (json.len > 0 && json.data[json.len - 1] == '\n')
		json.len--;
	if ((r = buf_printf(out, "id: %lld\nevent: %s\n", (long long)ev->seq, ev->topic)) < 0)
		goto out;
	/* One data line per line of the JSON (it is one line; a line break in it would start a new data line). */
	for (i = 0, line = 0; i <= json.len && r == 0; i++) {
		if (i < json.len && json.data[i] != '\n' && json.data[i] != '\r')
			continue;
		if ((r = buf_adds(out, "data: ")) == 0 && (r = buf_add(out, json.data + line, i - line)) == 0)
			r = buf_addc(out, '\n');
		line = i + 1;
	}
	if (r == 0)
		r = buf_addc(out, '\n');
out:
	buf_release(&json);
	return r;
}

/* Whether an event of TOPIC about NODE passes SUB's filters (as the ledger's scan filter does). */
static bool sub_matches(const struct hub_sub *s, const char *topic, const char *node)
{
	if (s->topic && (s->prefix ? strncmp(topic, s->topic, s->prefix) != 0 : strcmp(topic, s->topic) != 0))
		return false;
	if (s->node && (!node || strcmp(node, s->node) != 0))
		return false;
	return true;
}

static struct hub_frame *ring_at(struct api_hub *h, size_t i)
{
	return &h->ring[(h->start + i) % HUB_RING];
}

static void ring_drop_oldest(struct api_hub *h)
{
	struct hub_frame *f = ring_at(h, 0);

	h->base = f->seq;
	h->bytes -= f->size;
	free(f->text);
	memset(f, 0, sizeof(*f));
	h->start = (h->start + 1) % HUB_RING;
	h->count--;
}

/* Index of the first frame with seq > AFTER (COUNT when none); the ring is in seq order. */
static size_t ring_find(struct api_hub *h, int64_t after)
{
	size_t lo = 0, hi = h->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ring_at(h, mid)->seq <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Called with the lock held: the frame FRAME (taken) becomes the ring's newest. */
static void ring_push(struct api_hub *h, const struct hub_frame *frame)
{
	while (h->count > 0 && (h->count == HUB_RING || h->bytes + frame->size > HUB_RING_BYTES))
		ring_drop_oldest(h);
	*ring_at(h, h->count) = *frame;
	h->count++;
	h->bytes += frame->size;
	h->head = frame->seq;
}

/* EV as a frame (one allocation: the text, then the topic and the node). */
static int frame_make(const struct ledger_event *ev, struct hub_frame *out)
{
	struct buf b = BUF_INIT(0);
	size_t topic_at, node_at = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = frame_render(ev, &b)) < 0)
		goto fail;
	out->len = b.len;
	topic_at = b.len + 1;
	if ((r = buf_addc(&b, '\0')) < 0 || (r = buf_adds(&b, ev->topic)) < 0 || (r = buf_addc(&b, '\0')) < 0)
		goto fail;
	if (ev->node) {
		node_at = b.len;
		if ((r = buf_adds(&b, ev->node)) < 0)
			goto fail;
	}
	/* Exactly its bytes: the ring's memory is what hub_ring_bytes counts. */
	out->size = b.len + 1;
	if (!(out->text = malloc(out->size))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto fail;
	}
	memcpy(out->text, b.data, out->size);
	buf_release(&b);
	out->seq = ev->seq;
	out->topic = out->text + topic_at;
	out->node = ev->node ? out->text + node_at : NULL;
	return 0;
fail:
	buf_release(&b);
	return r;
}

/* A scan of the hub's thread: the hub, and how many events it took. */
struct follow {
	struct api_hub *hub;
	int64_t count;
};

/* The thread's scan callback: the event into the ring, then to the metrics. */
static int hub_take(const struct ledger_event *ev, void *arg)
{
	struct follow *fw = arg;
	struct api_hub *h = fw->hub;
	struct hub_frame f;
	int r;

	if ((r = frame_make(ev, &f)) < 0)
		return r;
	pthread_mutex_lock(&h->lock);
	ring_push(h, &f);
	pthread_mutex_unlock(&h->lock);
	fw->count++;
	if (h->metrics)
		metrics_event(h->metrics, ev);
	return 0;
}

static bool hub_stopping(struct api_hub *h)
{
	bool s;

	pthread_mutex_lock(&h->lock);
	s = h->stopping;
	pthread_mutex_unlock(&h->lock);
	return s;
}

/* Ask the server's streams to read again. */
static void hub_wake(struct api_hub *h)
{
	struct httpd *server;

	pthread_mutex_lock(&h->lock);
	server = h->server;
	pthread_mutex_unlock(&h->lock);
	if (server)
		server->ops->wake(server);
}

/* After a failed read of the ledger: a second's pause that hub_stop cuts short. */
static void hub_pause(struct api_hub *h)
{
	int i;

	for (i = 0; i < 10 && !hub_stopping(h); i++)
		clock_sleep_ms(100);
}

/* Read the events after the ring's head into it (a page at a time), then wake the streams. */
static void hub_follow(struct api_hub *h, int64_t head)
{
	struct ledger_filter f = { .limit = HUB_SCAN_PAGE };
	struct follow fw = { h, 0 };
	int64_t before;
	int r;

	pthread_mutex_lock(&h->lock);
	f.since = before = h->head;
	pthread_mutex_unlock(&h->lock);
	r = ledger_scan(h->ledger, &f, hub_take, &fw);
	pthread_mutex_lock(&h->lock);
	/* A scan short of a page saw every event up to the head the wait reported: the ring covers it. */
	if (r == 0 && fw.count < HUB_SCAN_PAGE && h->head < head)
		h->head = head;
	pthread_mutex_unlock(&h->lock);
	hub_wake(h);
	if (r < 0) {
		log_warn("hub", "reading the ledger after seq %lld: %s", (long long)before, err_msg());
		hub_pause(h);
	}
}

static void *hub_main(void *arg)
{
	struct api_hub *h = arg;
	int64_t last, head;
	int r;

	while (!hub_stopping(h)) {
		pthread_mutex_lock(&h->lock);
		last = h->head;
		pthread_mutex_unlock(&h->lock);
		/* Woken by the append itself; the timeout is only how soon hub_stop is seen. */
		if ((r = ledger_wait(h->ledger, last, HUB_WAIT_MS, &head)) < 0) {
			log_warn("hub", "waiting for ledger events: %s", err_msg());
			hub_pause(h);
			continue;
		}
		if (head > last)
			hub_follow(h, head);
	}
	return NULL;
}

static void hub_free(struct api_hub *h)
{
	while (h->count > 0)
		ring_drop_oldest(h);
	free(h->ring);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

/* Drop one reference (the lock not held); the last frees H. */
static void hub_unref(struct api_hub *h)
{
	unsigned left;

	pthread_mutex_lock(&h->lock);
	left = --h->refs;
	pthread_mutex_unlock(&h->lock);
	if (left == 0)
		hub_free(h);
}

int hub_start(struct api_hub **out, hub_ledger_fn open, void *arg, struct api_metrics *metrics)
{
	struct api_hub *h;
	int r;

	*out = NULL;
	if (!(h = calloc(1, sizeof(*h))) || !(h->ring = calloc(HUB_RING, sizeof(*h->ring)))) {
		free(h);
		return err_set(ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&h->lock, NULL);
	h->open = open;
	h->open_arg = arg;
	h->metrics = metrics;
	h->refs = 1;
	h->keepalive_ms = HUB_KEEPALIVE_MS;
	if (!(h->ledger = open(arg))) {
		r = err_set(ERR_IO, "the events hub cannot open the ledger: %s", err_msg());
		goto fail;
	}
	/* Not blocking: the current head, where the hub starts. */
	if ((r = ledger_wait(h->ledger, INT64_MAX, 0, &h->head)) < 0)
		goto fail;
	h->base = h->head;
	if (metrics)
		metrics_head(metrics, h->head);
	if ((r = pthread_create(&h->thread, NULL, hub_main, h)) != 0) {
		r = err_set_errno(ERR_IO, r, "starting the events hub's thread");
		goto fail;
	}
	h->thread_started = true;
	*out = h;
	return 0;
fail:
	ledger_close(h->ledger);
	hub_free(h);
	return r;
}

void hub_set_server(struct api_hub *h, struct httpd *server)
{
	pthread_mutex_lock(&h->lock);
	h->server = server;
	pthread_mutex_unlock(&h->lock);
}

int64_t hub_head(struct api_hub *h)
{
	int64_t head;

	pthread_mutex_lock(&h->lock);
	head = h->head;
	pthread_mutex_unlock(&h->lock);
	return head;
}

unsigned hub_subscribers(struct api_hub *h)
{
	unsigned n;

	pthread_mutex_lock(&h->lock);
	n = h->subscribers;
	pthread_mutex_unlock(&h->lock);
	return n;
}

void hub_set_keepalive_ms(struct api_hub *h, long ms)
{
	pthread_mutex_lock(&h->lock);
	h->keepalive_ms = ms > 0 ? ms : HUB_KEEPALIVE_MS;
	pthread_mutex_unlock(&h->lock);
}

size_t hub_ring_bytes(struct api_hub *h, size_t *frames)
{
	size_t bytes;

	pthread_mutex_lock(&h->lock);
	bytes = h->bytes;
	if (frames)
		*frames = h->count;
	pthread_mutex_unlock(&h->lock);
	return bytes;
}

void hub_stop(struct api_hub *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_mutex_unlock(&h->lock);
	if (h->thread_started)
		pthread_join(h->thread, NULL);
	ledger_close(h->ledger);
	h->ledger = NULL;
	/* The streams read again, find the hub stopping and end. */
	hub_wake(h);
	hub_unref(h);
}

/* --- subscribers --- */

/* Copy what is left of S's pending bytes into BUF (at most MAX). */
static long sub_drain(struct hub_sub *s, char *buf, size_t max)
{
	size_t n = s->pending.len - s->sent;

	if (n > max)
		n = max;
	memcpy(buf, s->pending.data + s->sent, n);
	s->sent += n;
	if (s->sent == s->pending.len) {
		/* Idle subscribers keep no buffer. */
		buf_release(&s->pending);
		s->sent = 0;
	}
	return (long)n;
}

/* What sub_ring found. */
enum ring_answer { RING_NOTHING, RING_COPIED, RING_BEHIND, RING_STOPPED };

/*
 * Copy the ring's frames after S's cursor that S wants into BUF while they fit (the first
 * one that does not goes to S's pending bytes): RING_COPIED with *N the bytes in BUF.
 * RING_NOTHING when there is nothing new; RING_BEHIND when the cursor is older than the
 * ring (*BOUND: the head, which a catch-up may stop at).
 */
static enum ring_answer sub_ring(struct hub_sub *s, char *buf, size_t max, size_t *n, int64_t *bound)
{
	struct api_hub *h = s->hub;
	enum ring_answer a = RING_COPIED;
	size_t i;

	*n = 0;
	pthread_mutex_lock(&h->lock);
	*bound = h->head;
	if (h->stopping)
		a = RING_STOPPED;
	else if (s->cursor >= h->head)
		a = RING_NOTHING;
	else if (s->cursor < h->base)
		a = RING_BEHIND;
	if (a != RING_COPIED) {
		pthread_mutex_unlock(&h->lock);
		return a;
	}
	for (i = ring_find(h, s->cursor); i < h->count; i++) {
		struct hub_frame *f = ring_at(h, i);

		if (!sub_matches(s, f->topic, f->node)) {
			s->cursor = f->seq;
			continue;
		}
		if (f->len > max - *n) {
			if (*n > 0 || buf_add(&s->pending, f->text, f->len) < 0)
				break;	/* BUF is full, or (out of memory) try again on the next read */
			s->cursor = f->seq;
			i++;
			break;
		}
		memcpy(buf + *n, f->text, f->len);
		*n += f->len;
		s->cursor = f->seq;
	}
	/* Past the last frame: the ring covers up to the head even where seqs were skipped. */
	if (i == h->count && s->cursor < h->head)
		s->cursor = h->head;
	pthread_mutex_unlock(&h->lock);
	return *n > 0 || s->pending.len > 0 ? RING_COPIED : RING_NOTHING;
}

/* A catch-up page in progress. */
struct catchup {
	struct hub_sub *sub;
	int64_t last;
	int64_t count;
};

static int catchup_one(const struct ledger_event *ev, void *arg)
{
	struct catchup *c = arg;
	int r;

	if ((r = frame_render(ev, &c->sub->pending)) < 0)
		return r;
	c->last = ev->seq;
	c->count++;
	/* A page of big events stops early: 1 is not an error, the page is just full. */
	return c->sub->pending.len >= HUB_CATCHUP_BYTES ? 1 : 0;
}

/*
 * Read a page of the events after S's cursor that S wants from the ledger into its pending
 * bytes. BOUND is the hub's head when the page began: a page short of a whole one saw every
 * event up to it. Returns 0, or -1 (logged) when the ledger cannot be read.
 */
static int sub_catch_up(struct hub_sub *s, int64_t bound)
{
	struct api_hub *h = s->hub;
	struct ledger_filter f = { .topic = s->topic, .node = s->node, .limit = HUB_CATCHUP_PAGE };
	struct catchup c = { s, s->cursor, 0 };
	int r;

	if (!s->ledger && !(s->ledger = h->open(h->open_arg))) {
		log_warn("hub", "a subscriber cannot open the ledger: %s", err_msg());
		return -1;
	}
	f.since = s->cursor;
	if ((r = ledger_scan(s->ledger, &f, catchup_one, &c)) < 0) {
		log_warn("hub", "a subscriber reading the ledger after seq %lld: %s", (long long)s->cursor, err_msg());
		return -1;
	}
	s->cursor = c.last;
	if (r == 0 && c.count < HUB_CATCHUP_PAGE) {
		/* Caught up to the ring: the handle is not needed until it falls behind again. */
		if (s->cursor < bound)
			s->cursor = bound;
		ledger_close(s->ledger);
		s->ledger = NULL;
	}
	return 0;
}

/* The keepalive comment, when S sent nothing for the hub's period. */
static long sub_keepalive(struct hub_sub *s, char *buf, size_t max, int64_t now)
{
	long period;

	pthread_mutex_lock(&s->hub->lock);
	period = s->hub->keepalive_ms;
	pthread_mutex_unlock(&s->hub->lock);
	if (now - s->last_bytes_ms < period)
		return 0;
	if (buf_adds(&s->pending, keepalive) < 0)
		return 0;
	s->last_bytes_ms = now;
	return sub_drain(s, buf, max);
}

static long sub_read(struct httpd_stream *stream, char *buf, size_t max)
{
	struct hub_sub *s = (struct hub_sub *)stream;
	int64_t bound;
	size_t n;
	int round;

	if (hub_stopping(s->hub))
		return -1;
	if (max == 0)
		return 0;
	for (round = 0; round < HUB_ROUNDS; round++) {
		if (s->pending.len > s->sent) {
			s->last_bytes_ms = clock_mono_ms();
			return sub_drain(s, buf, max);
		}
		switch (sub_ring(s, buf, max, &n, &bound)) {
		case RING_STOPPED:
			return -1;
		case RING_COPIED:
			if (n == 0)
				continue;	/* a frame larger than BUF went to pending */
			s->last_bytes_ms = clock_mono_ms();
			return (long)n;
		case RING_BEHIND:
			if (sub_catch_up(s, bound) < 0)
				return -1;
			continue;
		case RING_NOTHING:
			break;
		}
		break;
	}
	if (s->pending.len > s->sent) {
		s->last_bytes_ms = clock_mono_ms();
		return sub_drain(s, buf, max);
	}
	return sub_keepalive(s, buf, max, clock_mono_ms());
}

static void sub_close(struct httpd_stream *stream)
{
	struct hub_sub *s = (struct hub_sub *)stream;
	struct api_hub *h = s->hub;

	pthread_mutex_lock(&h->lock);
	h->subscribers--;
	pthread_mutex_unlock(&h->lock);
	ledger_close(s->ledger);
	buf_release(&s->pending);
	free(s->topic);
	free(s->node);
	free(s);
	hub_unref(h);
}

static const struct httpd_stream_ops sub_ops = { sub_read, sub_close };

struct httpd_stream *hub_subscribe(struct api_hub *h, int64_t after, const char *topic, const char *node)
{
	struct hub_sub *s = calloc(1, sizeof(*s));
	size_t tn;

	if (!s)
		return NULL;
	s->stream.ops = &sub_ops;
	s->hub = h;
	buf_init(&s->pending, 0);
	if ((topic && !(s->topic = strdup(topic))) || (node && !(s->node = strdup(node)))) {
		free(s->topic);
		free(s);
		return NULL;
	}
	tn = topic ? strlen(topic) : 0;
	if (tn >= 2 && strcmp(topic + tn - 2, ".*") == 0)
		s->prefix = tn - 1;	/* "node.*" matches what starts with "node." */
	s->last_bytes_ms = clock_mono_ms();
	pthread_mutex_lock(&h->lock);
	s->cursor = after < 0 ? h->head : after;
	h->subscribers++;
	h->refs++;
	pthread_mutex_unlock(&h->lock);
	return &s->stream;
}
