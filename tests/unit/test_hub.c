/*
 * The SSE hub (src/api/hub.c) on a real SQLite ledger, and its route (routes_events.c):
 * frames in order with the `events --json` data, filters, catch-up from the ledger then
 * live with no gap and no duplicate, a subscriber past the ring, keepalives, the thread
 * woken by an append (and idle between them), hub_stop. The server is a fake whose wake
 * counts; the metrics are a fake that records the seqs it is handed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "check.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "adapters/sqlite/ledger_sqlite.h"
#include "api/api.h"
#include "api/hub.h"
#include "api/metrics.h"
#include "app/ledger/events.h"
#include "util/clock.h"

static char scratch_dir[4000], db[4096];

/* --- fakes: the metrics (what the hub hands it), serve.c's accessor, the server --- */

struct api_metrics {
	pthread_mutex_t lock;
	int64_t seq[20000];
	size_t n;
	int out_of_order;
};

void metrics_event(struct api_metrics *m, const struct ledger_event *ev)
{
	pthread_mutex_lock(&m->lock);
	if (m->n > 0 && ev->seq <= m->seq[m->n - 1])
		m->out_of_order++;
	if (m->n < sizeof(m->seq) / sizeof(m->seq[0]))
		m->seq[m->n++] = ev->seq;
	pthread_mutex_unlock(&m->lock);
}

/* The head the hub starts from: nothing to record here. */
void metrics_head(struct api_metrics *m, int64_t seq)
{
	(void)m;
	(void)seq;
}

/* The route's handler finds the hub through its call's api: here the api is the hub. */
struct api_hub *api_hub_of(struct api *a)
{
	return (struct api_hub *)a;
}

struct fake_server {
	struct httpd base;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned wakes;
	int64_t wake_us;	/* when the last wake came */
};

static void fake_wake(struct httpd *h)
{
	struct fake_server *fs = (struct fake_server *)h;

	pthread_mutex_lock(&fs->lock);
	fs->wakes++;
	fs->wake_us = clock_mono_us();
	pthread_cond_broadcast(&fs->cond);
	pthread_mutex_unlock(&fs->lock);
}

static const struct httpd_ops fake_ops = { .wake = fake_wake };

static void fake_init(struct fake_server *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->base.ops = &fake_ops;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_cond_init(&fs->cond, NULL);
}

static unsigned fake_wakes(struct fake_server *fs)
{
	unsigned n;

	pthread_mutex_lock(&fs->lock);
	n = fs->wakes;
	pthread_mutex_unlock(&fs->lock);
	return n;
}

/* Wait up to MS for a wake after the first SEEN; true when one came. */
static bool fake_wait(struct fake_server *fs, unsigned seen, int ms)
{
	struct timespec until;
	bool woken;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&fs->lock);
	while (fs->wakes <= seen && pthread_cond_timedwait(&fs->cond, &fs->lock, &until) == 0)
		;
	woken = fs->wakes > seen;
	pthread_mutex_unlock(&fs->lock);
	return woken;
}

/* --- the ledger: opened per handle, optionally counting the hub's scans and waits --- */

struct counting {
	struct ledger base;
	struct ledger *inner;
};
static int count_scans, count_waits;
static bool counting_on;

static int counting_append(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last)
{
	struct ledger *in = ((struct counting *)l)->inner;

	return in->ops->append(in, evs, n, last);
}

static int counting_scan(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg)
{
	__atomic_add_fetch(&count_scans, 1, __ATOMIC_SEQ_CST);
	return ledger_scan(((struct counting *)l)->inner, f, fn, arg);
}

static int counting_wait(struct ledger *l, int64_t after, int timeout_ms, int64_t *head)
{
	__atomic_add_fetch(&count_waits, 1, __ATOMIC_SEQ_CST);
	return ledger_wait(((struct counting *)l)->inner, after, timeout_ms, head);
}

static void counting_close(struct ledger *l)
{
	ledger_close(((struct counting *)l)->inner);
	free(l);
}

static const struct ledger_ops counting_ops = {
	"counting", counting_append, counting_scan, counting_wait, counting_close,
};

static struct ledger *open_db(void *arg)
{
	struct ledger *l = NULL;
	struct counting *c;

	(void)arg;
	if (ledger_sqlite_open(db, &l) < 0)
		return NULL;
	if (!counting_on)
		return l;
	c = calloc(1, sizeof(*c));
	c->base.ops = &counting_ops;
	c->inner = l;
	return &c->base;
}

static struct ledger *writer(void)
{
	struct ledger *l = NULL;

	assert_int_equal(ledger_sqlite_open(db, &l), 0);
	return l;
}

/* Append N events of TOPIC about NODE (NULL: none) in one transaction; the last seq. */
static int64_t append_n(struct ledger *l, const char *topic, const char *node, int n)
{
	struct ledger_new *evs = calloc((size_t)n, sizeof(*evs));
	char (*payload)[64] = calloc((size_t)n, sizeof(*payload));
	int64_t last = 0;
	int i;

	for (i = 0; i < n; i++) {
		snprintf(payload[i], sizeof(payload[i]), "{\"i\":%d,\"note\":\"line\\nbreak\"}", i);
		evs[i] = (struct ledger_new){ topic, NULL, node, payload[i] };
	}
	assert_int_equal(ledger_append(l, evs, (size_t)n, &last), 0);
	free(evs);
	free(payload);
	return last;
}

static int setup(void **state)
{
	(void)state;
	if (scratch_make(scratch_dir, sizeof(scratch_dir), "hub") < 0)
		return -1;
	snprintf(db, sizeof(db), "%s/chimera.db", scratch_dir);
	counting_on = false;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fs_rm_rf(scratch_dir);
	return 0;
}

/* --- what a stream sends, and what the ledger says it should --- */

/* Each event the ledger selects with F, as the frame the stream must send. */
struct expect {
	struct buf text;
	int64_t n;
};

static int expect_one(const struct ledger_event *ev, void *arg)
{
	struct expect *e = arg;
	struct buf json = BUF_INIT(0);

	assert_int_equal(events_event_json(ev, &json), 0);
	assert_true(json.len > 0 && json.data[json.len - 1] == '\n');
	buf_printf(&e->text, "id: %lld\nevent: %s\ndata: %.*s\n\n", (long long)ev->seq, ev->topic, (int)json.len - 1,
		   json.data);
	buf_release(&json);
	e->n++;
	return 0;
}

static void expect_build(struct ledger_filter f, struct expect *e)
{
	struct ledger *l = writer();

	buf_init(&e->text, 0);
	e->n = 0;
	assert_int_equal(ledger_scan(l, &f, expect_one, e), 0);
	ledger_close(l);
}

/* The seqs of the frames in TEXT (comments skipped) into SEQ (at most MAX); their count. */
static size_t frame_seqs(const char *text, int64_t *seq, size_t max)
{
	size_t n = 0;
	const char *p = text;

	while ((p = strstr(p, "id: ")) != NULL) {
		if ((p == text || p[-1] == '\n') && n < max)
			seq[n++] = strtoll(p + 4, NULL, 10);
		p += 4;
	}
	return n;
}

/*
 * Read S (MAX bytes a read) into OUT until it holds WANT frames, waiting on the fake's
 * wake when it has nothing. Fails after 20 s (a stream that repeats itself never ends).
 */
static void collect(struct httpd_stream *s, struct fake_server *fs, size_t max, struct buf *out, int64_t want)
{
	char *tmp = malloc(max);
	int64_t deadline = clock_mono_ms() + 20000;
	static int64_t seqs[20000];

	for (;;) {
		unsigned seen = fake_wakes(fs);
		long n = s->ops->read(s, tmp, max);

		assert_true(n >= 0);
		assert_true((size_t)n <= max);
		if (clock_mono_ms() > deadline)
			fail_msg("%lld of %lld frames after 20 s", (long long)frame_seqs(out->data, seqs, 20000),
				 (long long)want);
		if (n > 0) {
			assert_int_equal(buf_add(out, tmp, (size_t)n), 0);
			continue;
		}
		if ((int64_t)frame_seqs(out->data, seqs, 20000) >= want)
			break;
		fake_wait(fs, seen, 100);
	}
	free(tmp);
}

/* S must send exactly what the ledger holds for F (its FROM is where S started). */
static void assert_stream_is(struct httpd_stream *s, struct fake_server *fs, size_t max, struct ledger_filter f)
{
	struct buf got = BUF_INIT(0);
	struct expect e;
	char tmp[256];

	expect_build(f, &e);
	collect(s, fs, max, &got, e.n);
	/* Nothing more (a read right after the last frame has nothing, not a keepalive yet). */
	assert_int_equal(s->ops->read(s, tmp, sizeof(tmp)), 0);
	assert_string_equal(got.data, e.text.data);
	buf_release(&got);
	buf_release(&e.text);
}

static struct api_hub *start(struct fake_server *fs, struct api_metrics *m)
{
	struct api_hub *h = NULL;

	fake_init(fs);
	assert_int_equal(hub_start(&h, open_db, NULL, m), 0);
	hub_set_server(h, &fs->base);
	return h;
}

static void metrics_init(struct api_metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

static void wait_head(struct api_hub *h, int64_t seq)
{
	int64_t deadline = clock_mono_ms() + 20000;

	while (hub_head(h) < seq) {
		assert_true(clock_mono_ms() < deadline);
		clock_sleep_ms(5);
	}
}

/* --- the tests --- */

/* New events reach a subscriber at the head as id/event/data frames, in seq order, whatever the read size. */
static void test_frames_in_order(void **state)
{
	struct ledger *w = writer();
	struct fake_server fs;
	struct api_metrics *m = calloc(1, sizeof(*m));
	struct api_hub *h;
	struct httpd_stream *small, *big;
	struct ledger_filter f = { 0 };
	struct buf data = BUF_INIT(0);
	int64_t before, last, i;

	(void)state;
	metrics_init(m);
	before = append_n(w, "test.old", NULL, 3);
	h = start(&fs, m);
	assert_int_equal(hub_head(h), before);
	small = hub_subscribe(h, -1, NULL, NULL);
	big = hub_subscribe(h, -1, NULL, NULL);
	assert_int_equal(hub_subscribers(h), 2);
	append_n(w, "test.a", "n1", 2);
	last = append_n(w, "test.b", NULL, 3);
	f.since = before;
	assert_stream_is(big, &fs, 65536, f);
	assert_stream_is(small, &fs, 7, f);	/* frames cut across reads, sent whole in the end */
	assert_int_equal(hub_head(h), last);
	assert_true(fake_wakes(&fs) >= 1);
	/* The metrics saw each new event once, in seq order. */
	assert_int_equal(m->n, (size_t)(last - before));
	for (i = 0; i < last - before; i++)
		assert_int_equal(m->seq[i], before + 1 + i);
	assert_int_equal(m->out_of_order, 0);
	/* The data line is the `events --json` object: JSON with the event's fields. */
	{
		struct ledger_filter one = { .since = last - 1 };
		struct expect e;
		json_t *doc;
		char *d;

		expect_build(one, &e);
		d = strstr(e.text.data, "data: ") + 6;
		buf_add(&data, d, strcspn(d, "\n"));
		assert_non_null(doc = json_loads(data.data, 0, NULL));
		assert_int_equal(json_integer_value(json_object_get(doc, "seq")), last);
		assert_string_equal(json_string_value(json_object_get(doc, "topic")), "test.b");
		assert_true(json_is_null(json_object_get(doc, "node")));
		assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "payload"), "note")),
				    "line\nbreak");
		assert_non_null(json_object_get(doc, "hash"));
		json_decref(doc);
		buf_release(&e.text);
	}
	small->ops->close(small);
	big->ops->close(big);
	assert_int_equal(hub_subscribers(h), 0);
	hub_stop(h);
	ledger_close(w);
	buf_release(&data);
	free(m);
}

/* ?topic= exact or a ".*" prefix, ?node=, from the ring and from the ledger: what the ledger's own filter selects. */
static void test_filters(void **state)
{
	static const struct {
		const char *topic, *node;
	} subs[] = {
		{ "test.a", NULL }, { "test.*", NULL }, { "test.a.*", NULL }, { NULL, "n1" }, { "test.a", "n2" },
		{ "test.none", NULL },
	};
	enum { NSUBS = sizeof(subs) / sizeof(subs[0]) };
	struct ledger *w = writer();
	struct fake_server fs;
	struct api_hub *h;
	struct httpd_stream *live[NSUBS], *old[NSUBS];
	int64_t start_seq;
	size_t i;

	(void)state;
	append_n(w, "test.a", "n1", 2);
	append_n(w, "test.ab", "n2", 2);
	h = start(&fs, NULL);
	start_seq = hub_head(h);
	for (i = 0; i < NSUBS; i++) {
		live[i] = hub_subscribe(h, -1, subs[i].topic, subs[i].node);
		old[i] = hub_subscribe(h, 0, subs[i].topic, subs[i].node);	/* from the start: catch-up first */
	}
	/* The old ones read what the ledger held before the hub (from the ledger), then wait with the live ones. */
	for (i = 0; i < NSUBS; i++) {
		struct ledger_filter fo = { .topic = subs[i].topic, .node = subs[i].node, .since = 0 };

		assert_stream_is(old[i], &fs, 4096, fo);
	}
	append_n(w, "test.a", "n2", 2);
	append_n(w, "test.ab", "n1", 2);
	append_n(w, "test.a.x", NULL, 2);
	append_n(w, "test.b", "n1", 2);
	append_n(w, "test.a", NULL, 1);
	wait_head(h, start_seq + 9);
	for (i = 0; i < NSUBS; i++) {
		struct ledger_filter fl = { .topic = subs[i].topic, .node = subs[i].node, .since = start_seq };
		assert_stream_is(live[i], &fs, 4096, fl);
		assert_stream_is(old[i], &fs, 4096, fl);	/* then the same as the live ones: no gap, no repeat */
		live[i]->ops->close(live[i]);
		old[i]->ops->close(old[i]);
	}
	hub_stop(h);
	ledger_close(w);
}

struct appender {
	int batches, per;
	int64_t last;
};

static void *appender_main(void *arg)
{
	struct appender *a = arg;
	struct ledger *l = NULL;
	int i;

	if (ledger_sqlite_open(db, &l) < 0)
		return NULL;
	for (i = 0; i < a->batches; i++) {
		struct ledger_new ev[8];
		int k;

		for (k = 0; k < a->per; k++)
			ev[k] = (struct ledger_new){ k % 2 ? "test.live" : "test.live.odd", NULL, "n1", "{}" };
		if (ledger_append(l, ev, (size_t)a->per, &a->last) < 0)
			break;
		clock_sleep_ms(1);
	}
	ledger_close(l);
	return NULL;
}

/*
 * Last-Event-ID: a subscriber from an old seq reads the ledger (pages of it) while events
 * keep coming, then the ring: the seqs it gets are exactly the ledger's after its start.
 */
static void test_catch_up_then_live(void **state)
{
	struct ledger *w = writer();
	struct fake_server fs;
	struct api_hub *h;
	struct httpd_stream *s;
	struct appender a = { 150, 3, 0 };
	struct ledger_filter f = { .since = 100 };
	pthread_t th;

	(void)state;
	append_n(w, "test.early", "n1", 700);
	h = start(&fs, NULL);
	s = hub_subscribe(h, 100, NULL, NULL);
	assert_int_equal(pthread_create(&th, NULL, appender_main, &a), 0);
	{
		/* Read while the appender runs: the switch from the ledger to the ring happens mid-stream. */
		char buf[4096];
		long n;
		int reads = 0;

		while (reads < 50 && (n = s->ops->read(s, buf, sizeof(buf))) > 0)
			reads++;
		assert_true(reads > 0);
	}
	pthread_join(th, NULL);
	assert_int_equal(a.last, 700 + 450);
	wait_head(h, a.last);
	s->ops->close(s);
	/* Again from the start, so the whole stream is compared: the seq list is the ledger's, no gap, no duplicate. */
	s = hub_subscribe(h, 100, NULL, NULL);
	assert_stream_is(s, &fs, 4096, f);
	s->ops->close(s);
	hub_stop(h);
	ledger_close(w);
}

/* The same, with the appends racing the read from the first byte to the last. */
static void test_catch_up_races_appends(void **state)
{
	struct ledger *w = writer();
	struct fake_server fs;
	struct api_hub *h;
	struct httpd_stream *s;
	struct appender a = { 200, 2, 0 };
	struct buf got = BUF_INIT(0);
	int64_t *seqs = calloc(4000, sizeof(*seqs)), i;
	size_t n;
	pthread_t th;

	(void)state;
	append_n(w, "test.early", NULL, 600);
	h = start(&fs, NULL);
	s = hub_subscribe(h, 50, NULL, NULL);
	assert_int_equal(pthread_create(&th, NULL, appender_main, &a), 0);
	collect(s, &fs, 1500, &got, 600 - 50 + 400);
	pthread_join(th, NULL);
	n = frame_seqs(got.data, seqs, 4000);
	assert_int_equal(n, 950);
	for (i = 0; i < (int64_t)n; i++)
		assert_int_equal(seqs[i], 51 + i);
	s->ops->close(s);
	hub_stop(h);
	ledger_close(w);
	buf_release(&got);
	free(seqs);
}

/* A subscriber that falls more than HUB_RING events behind still gets every event (from the ledger, then the ring). */
static void test_behind_the_ring(void **state)
{
	struct ledger *w = writer();
	struct fake_server fs;
	struct api_hub *h;
	struct httpd_stream *s;
	struct ledger_filter f;
	int64_t start_seq, last = 0;
	size_t frames, bytes;
	int i;

	(void)state;
	append_n(w, "test.early", NULL, 5);
	h = start(&fs, NULL);
	start_seq = hub_head(h);
	s = hub_subscribe(h, -1, NULL, NULL);
	for (i = 0; i < (HUB_RING + 500) / 100; i++)
		last = append_n(w, "test.many", i % 2 ? "n1" : NULL, 100);
	wait_head(h, last);
	bytes = hub_ring_bytes(h, &frames);
	assert_int_equal(frames, HUB_RING);
	assert_true(bytes <= HUB_RING_BYTES);
	print_message("hub: %zu frames of small events take %zu bytes (%.1f a frame)\n", frames, bytes,
		      (double)bytes / (double)frames);
	f = (struct ledger_filter){ .since = start_seq };
	assert_stream_is(s, &fs, 65536, f);
	s->ops->close(s);
	hub_stop(h);
	ledger_close(w);
}

/* A comment line after the (shortened) keepalive period without a frame; not before. */
static void test_keepalive(void **state)
{
	struct ledger *w = writer();
	struct fake_server fs;
	struct api_hub *h;
	struct httpd_stream *s;
	struct buf got = BUF_INIT(0);
	char buf[256];
	long n;
	int64_t t0;

	(void)state;
	h = start(&fs, NULL);
	hub_set_keepalive_ms(h, 300);
	t0 = clock_mono_ms();
	s = hub_subscribe(h, -1, NULL, NULL);
	assert_int_equal(s->ops->read(s, buf, sizeof(buf)), 0);
	while ((n = s->ops->read(s, buf, sizeof(buf))) == 0) {
		assert_true(clock_mono_ms() - t0 < 5000);
		clock_sleep_ms(20);
	}
	assert_true(clock_mono_ms() - t0 >= 300);
	assert_int_equal(n, 13);
	assert_memory_equal(buf, ": keepalive\n\n", 13);
	/* The period starts again: nothing right after. */
	assert_int_equal(s->ops->read(s, buf, sizeof(buf)), 0);
	/* A frame also resets it. */
	append_n(w, "test.a", NULL, 1);
	collect(s, &fs, sizeof(buf), &got, 1);
	assert_null(strstr(got.data, "keepalive"));
	assert_int_equal(s->ops->read(s, buf, sizeof(buf)), 0);
	s->ops->close(s);
	hub_stop(h);
	ledger_close(w);
	buf_release(&got);
}

struct one_append {
	int64_t at_us;
};

static void *append_later(void *arg)
{
	struct one_append *o = arg;
	struct ledger *l = NULL;

	if (ledger_sqlite_open(db, &l) < 0)
		return NULL;
	clock_sleep_ms(50);
	o->at_us = clock_mono_us();
	ledger_append1(l, "test.wake", NULL, NULL, "{}", NULL);
	ledger_close(l);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* An append from another thread wakes the hub (and it the server) within ~100 ms; between appends it is idle. */
static void test_woken_by_append(void **state)
{
	struct fake_server fs;
	struct api_hub *h;
	int64_t delay_us[5];
	int scans, waits, i;

	(void)state;
	counting_on = true;
	h = start(&fs, NULL);
	/* Idle: 1.5 s with no append: no scan at all, and waits only as long as the ledger's wait lasts (1 s each). */
	clock_sleep_ms(100);
	scans = __atomic_load_n(&count_scans, __ATOMIC_SEQ_CST);
	waits = __atomic_load_n(&count_waits, __ATOMIC_SEQ_CST);
	clock_sleep_ms(1500);
	assert_int_equal(__atomic_load_n(&count_scans, __ATOMIC_SEQ_CST), scans);
	assert_true(__atomic_load_n(&count_waits, __ATOMIC_SEQ_CST) - waits <= 2);
	for (i = 0; i < 5; i++) {
		struct one_append o = { 0 };
		unsigned seen = fake_wakes(&fs);
		pthread_t th;

		assert_int_equal(pthread_create(&th, NULL, append_later, &o), 0);
		assert_true(fake_wait(&fs, seen, 3000));
		pthread_join(th, NULL);
		pthread_mutex_lock(&fs.lock);
		delay_us[i] = fs.wake_us - o.at_us;
		pthread_mutex_unlock(&fs.lock);
	}
	qsort(delay_us, 5, sizeof(delay_us[0]), cmp_i64);
	print_message("hub: append to wake %lld us (median of 5), %lld us (max)\n", (long long)delay_us[2],
		      (long long)delay_us[4]);
	assert_true(delay_us[2] < 100000);
	assert_int_equal(hub_head(h), 5);
	hub_stop(h);
	counting_on = false;
}

/* hub_stop: the thread ends (joined), the server is woken, every stream's next read is -1; closing them frees the hub. */
static void test_stop_ends_streams(void **state)
{
	struct ledger *w = writer();
	struct fake_server fs;
	struct api_hub *h;
	struct httpd_stream *a, *b;
	char buf[64];
	unsigned seen;

	(void)state;
	h = start(&fs, NULL);
	a = hub_subscribe(h, -1, NULL, NULL);
	b = hub_subscribe(h, 0, "test.*", NULL);
	append_n(w, "test.a", NULL, 3);
	wait_head(h, 3);
	assert_true(a->ops->read(a, buf, sizeof(buf)) > 0);	/* mid-frame: the rest is pending */
	seen = fake_wakes(&fs);
	hub_stop(h);
	assert_true(fake_wakes(&fs) > seen);
	assert_int_equal(a->ops->read(a, buf, sizeof(buf)), -1);
	assert_int_equal(b->ops->read(b, buf, sizeof(buf)), -1);
	/* Still open after hub_stop: the streams keep the hub until they close. */
	assert_int_equal(hub_subscribers(h), 2);
	a->ops->close(a);
	assert_int_equal(hub_subscribers(h), 1);
	b->ops->close(b);
	ledger_close(w);
}

/* --- the route (routes_events.c), called as the router would call it --- */

/* Call GET /api/v1/events/stream on H with the query NAME=VALUE pairs Q (NQ) and a Last-Event-ID (NULL: none). */
static void call_stream(struct api_hub *h, const struct httpd_kv *q, size_t nq, const char *last_id,
			struct httpd_response *res)
{
	const struct api_route *r = &api_routes_events[0];
	struct httpd_kv hdr[2] = { { "Accept", "text/event-stream" }, { "last-event-id", last_id } };
	struct httpd_request rq = {
		.method = "GET", .path = API_PREFIX "/events/stream", .query = q, .nquery = nq,
		.headers = hdr, .nheaders = last_id ? 2 : 1, .body = "", .client = "127.0.0.1",
	};
	struct api_call c = { .api = (struct api *)h, .rq = &rq, .res = res, .route = r, .role = TOKEN_ROLE_VIEWER };

	memset(res, 0, sizeof(*res));
	r->fn(&c);
}

static const char *res_header(const struct httpd_response *res, const char *name)
{
	size_t i;

	for (i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return res->headers[i].value;
	return NULL;
}

/* RES must be a 400 with error CODE and a message naming WHAT. */
static void assert_refused(struct httpd_response *res, const char *code, const char *what)
{
	json_t *doc, *err;

	assert_int_equal(res->status, 400);
	assert_null(res->stream);
	assert_non_null(res->body);
	assert_non_null(doc = json_loadb(res->body, res->body_len, 0, NULL));
	err = json_object_get(doc, "error");
	assert_string_equal(json_string_value(json_object_get(err, "code")), code);
	assert_contains(json_string_value(json_object_get(err, "message")), what);
	json_decref(doc);
	free(res->body);
}

/* The route: its table row, its headers, where it starts (head, Last-Event-ID over ?after=), its filters. */
static void test_route_stream(void **state)
{
	struct ledger *w = writer();
	struct fake_server fs;
	struct api_hub *h;
	struct httpd_response res;
	struct ledger_filter f;
	int64_t head;

	(void)state;
	assert_string_equal(api_routes_events[0].method, "GET");
	assert_string_equal(api_routes_events[0].pattern, "/api/v1/events/stream");
	assert_int_equal(api_routes_events[0].role, TOKEN_ROLE_VIEWER);
	assert_false(api_routes_events[0].changes);
	assert_null(api_routes_events[1].method);
	append_n(w, "test.a", NULL, 2);
	append_n(w, "test.b", "n1", 2);
	h = start(&fs, NULL);
	head = hub_head(h);

	/* Neither: from the head on, only new events. */
	call_stream(h, NULL, 0, NULL, &res);
	assert_int_equal(res.status, 200);
	assert_string_equal(res.content_type, "text/event-stream");
	assert_non_null(res.stream);
	assert_null(res.body);
	assert_string_equal(res_header(&res, "Cache-Control"), "no-store");
	assert_string_equal(res_header(&res, "X-Accel-Buffering"), "no");
	append_n(w, "test.c", NULL, 2);
	f = (struct ledger_filter){ .since = head };
	assert_stream_is(res.stream, &fs, 4096, f);
	res.stream->ops->close(res.stream);

	/* Last-Event-ID wins over ?after= (a reconnecting EventSource keeps its URL). */
	{
		struct httpd_kv q[] = { { "after", "3" } };

		call_stream(h, q, 1, "1", &res);
		assert_int_equal(res.status, 200);
		f = (struct ledger_filter){ .since = 1 };
		assert_stream_is(res.stream, &fs, 4096, f);
		res.stream->ops->close(res.stream);
		call_stream(h, q, 1, "", &res);	/* an empty id is no id */
		f = (struct ledger_filter){ .since = 3 };
		assert_stream_is(res.stream, &fs, 4096, f);
		res.stream->ops->close(res.stream);
	}
	/* ?after= with ?topic= (a prefix) and ?node=. */
	{
		struct httpd_kv q[] = { { "after", "1" }, { "topic", "test.*" }, { "node", "n1" } };

		call_stream(h, q, 3, NULL, &res);
		f = (struct ledger_filter){ .since = 1, .topic = "test.*", .node = "n1" };
		assert_stream_is(res.stream, &fs, 4096, f);
		res.stream->ops->close(res.stream);
	}
	/* What is refused, naming the bad input. */
	{
		struct httpd_kv bad_after[] = { { "after", "3x" } }, neg[] = { { "after", "-1" } },
				bad_topic[] = { { "topic", "Node.Exec" } }, star[] = { { "topic", "*" } };

		call_stream(h, bad_after, 1, NULL, &res);
		assert_refused(&res, "bad_query", "bad after '3x'");
		call_stream(h, neg, 1, NULL, &res);
		assert_refused(&res, "bad_query", "bad after '-1'");
		call_stream(h, NULL, 0, "abc", &res);
		assert_refused(&res, "bad_header", "bad Last-Event-ID 'abc'");
		call_stream(h, bad_after, 1, "7 ", &res);
		assert_refused(&res, "bad_header", "Last-Event-ID '7 '");
		call_stream(h, bad_topic, 1, NULL, &res);
		assert_refused(&res, "bad_query", "bad topic 'Node.Exec'");
		call_stream(h, star, 1, NULL, &res);
		assert_refused(&res, "bad_query", "bad topic '*'");
	}
	assert_int_equal(hub_subscribers(h), 0);
	hub_stop(h);
	ledger_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frames_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catch_up_then_live, setup, teardown),
		cmocka_unit_test_setup_teardown(test_catch_up_races_appends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_behind_the_ring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_woken_by_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_ends_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_stream, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
