/* Unit tests for app/nix/gc_needs: what running watches and rollbacks in progress need kept, folded from events. */
#include "check.h"
#include "fake_ledger.h"

#include "app/nix/gc_needs.h"
#include "util/clock.h"

#define A "root@127.0.0.10:22"
#define B "root@127.0.0.11:22"
#define P1 "/nix/store/00000000000000000000000000000001-sys-1"
#define P2 "/nix/store/00000000000000000000000000000002-sys-2"
#define P3 "/nix/store/00000000000000000000000000000003-sys-3"
#define W1 "01WATCH0000000000000000001"
#define R1 "01ROLL00000000000000000001"
#define T0 1700000000000LL	/* ms */

static int64_t seq;

/* Feed FD one event: TOPIC under RUN (may be NULL) for NODE (may be NULL) at MS, with PAYLOAD. */
static void feed(struct gc_fold *fd, const char *topic, const char *run, const char *node, int64_t ms,
		 const char *payload)
{
	struct ledger_event ev = { .seq = ++seq, .topic = topic, .deployment = run, .node = node, .payload = payload };

	clock_format_utc(ms, ev.time);
	assert_int_equal(gc_fold_event(fd, &ev), 0);
}

/* The needs as "node why gen|previous|path by; ..." with short names, in order. */
static const char *show(const struct gc_needs *n)
{
	static char out[2048];
	size_t i, len = 0;

	out[0] = 0;
	for (i = 0; i < n->n; i++) {
		const struct gc_need *d = &n->items[i];
		const char *what = d->path[0] ? d->path + 44 : d->previous ? "previous" : "";

		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s %s ", i ? "; " : "",
					strcmp(d->node, A) == 0 ? "A" : strcmp(d->node, B) == 0 ? "B" : d->node,
					gc_why_name(d->why));
		if (d->gen)
			len += (size_t)snprintf(out + len, sizeof(out) - len, "%u", d->gen);
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s %s", what, d->by);
	}
	return out;
}

static const char *finish(struct gc_fold *fd, int64_t now, struct gc_needs *n)
{
	assert_int_equal(gc_fold_finish(fd, now, n), 0);
	return show(n);
}

static void test_watch_running(void **state)
{
	struct gc_fold *fd = gc_fold_new();
	struct gc_needs n;

	(void)state;
	assert_non_null(fd);
	feed(fd, "watch.started", W1, NULL, T0,
	     "{\"nodes\":[\"" A "\",\"" B "\"],\"interval_s\":30,\"path\":\"" P1 "\",\"configurations\":[{\"path\":\"" P1 "\"}]}");
	feed(fd, "watch.round", W1, NULL, T0 + 30000, "{\"round\":1}");
	/* A round later: both nodes need the one path, once each. */
	assert_string_equal(finish(fd, T0 + 60000, &n), "A watch sys-1 " W1 "; B watch sys-1 " W1);
	gc_needs_release(&n);
	feed(fd, "watch.config.changed", W1, NULL, T0 + 90000, "{\"from\":\"" P1 "\",\"to\":\"" P2 "\"}");
	assert_string_equal(finish(fd, T0 + 100000, &n),
			    "A watch sys-1 " W1 "; A watch sys-2 " W1 "; B watch sys-1 " W1 "; B watch sys-2 " W1);
	gc_needs_release(&n);
	/* Silent past the grace and three intervals after its last event: not running (killed with -9). */
	assert_string_equal(finish(fd, T0 + 90000 + GC_WATCH_GRACE_MS + 90000 + 1, &n), "");
	gc_needs_release(&n);
	/* At exactly the limit it still counts. */
	assert_int_equal(gc_fold_finish(fd, T0 + 90000 + GC_WATCH_GRACE_MS + 90000, &n), 0);
	assert_int_equal(n.n, 4);
	gc_needs_release(&n);
	/* Stopped: nothing. */
	feed(fd, "watch.stopped", W1, NULL, T0 + 120000, "{\"reason\":\"done\"}");
	assert_string_equal(finish(fd, T0 + 121000, &n), "");
	gc_needs_release(&n);
	gc_fold_free(fd);
}

static void test_watch_unknown(void **state)
{
	struct gc_fold *fd = gc_fold_new();
	struct gc_needs n;

	(void)state;
	/* Events of a watch whose start was never seen, or with no run id: ignored. */
	feed(fd, "watch.round", W1, NULL, T0, "{\"round\":4,\"path\":\"" P1 "\"}");
	feed(fd, "watch.config.changed", W1, NULL, T0, "{\"to\":\"" P2 "\"}");
	feed(fd, "watch.started", NULL, NULL, T0, "{\"nodes\":[\"" A "\"],\"path\":\"" P1 "\"}");
	/* A start with no nodes list or no path: no needs, no crash. */
	feed(fd, "watch.started", "01W2", NULL, T0, "{\"path\":\"" P1 "\"}");
	feed(fd, "watch.started", "01W3", NULL, T0, "{\"nodes\":[\"" A "\", 7]}");
	feed(fd, "watch.started", "01W4", NULL, T0, "not json");
	assert_string_equal(finish(fd, T0 + 1000, &n), "");
	gc_needs_release(&n);
	gc_fold_free(fd);
}

static void test_rollback(void **state)
{
	struct gc_fold *fd = gc_fold_new();
	struct gc_needs n;

	(void)state;
	feed(fd, "chimera.rollback.triggered", R1, NULL, T0,
	     "{\"reason\":\"requested\",\"generation\":3,\"nodes\":[\"" A "\",\"" B "\"]}");
	/* A deploy's own rollback of one node (node column set): not a rollback in progress. */
	feed(fd, "chimera.rollback.triggered", "01DEPLOY", A, T0, "{\"reason\":\"activation failed\",\"nodes\":[\"" A "\"]}");
	/* A platform's rollback names no nodes. */
	feed(fd, "chimera.rollback.triggered", "01WEB", NULL, T0, "{\"reason\":\"hook\"}");
	assert_string_equal(finish(fd, T0, &n), "A rollback 3 " R1 "; B rollback 3 " R1);
	gc_needs_release(&n);
	feed(fd, "chimera.rollback.complete", R1, NULL, T0, "{\"result\":\"success\"}");
	assert_string_equal(finish(fd, T0, &n), "");
	gc_needs_release(&n);
	/* One that died: deploy.interrupted under its id ends it too. */
	feed(fd, "chimera.rollback.triggered", "01R2", NULL, T0, "{\"generation\":2,\"nodes\":[\"" B "\"]}");
	assert_string_equal(finish(fd, T0, &n), "B rollback 2 01R2");
	gc_needs_release(&n);
	feed(fd, "deploy.interrupted", "01R2", NULL, T0, "{\"kind\":\"rollback\"}");
	assert_string_equal(finish(fd, T0, &n), "");
	gc_needs_release(&n);
	gc_fold_free(fd);
}

/* A rollback to "the previous one" (generation 0): the previous, and where the node's last change took it from. */
static void test_rollback_previous(void **state)
{
	struct gc_fold *fd = gc_fold_new();
	struct gc_needs n;

	(void)state;
	feed(fd, "node.deploy.complete", "01D1", A, T0, "{\"path\":\"" P2 "\",\"previous\":\"" P1 "\"}");
	feed(fd, "node.deploy.complete", "01D1", B, T0, "{\"path\":\"" P2 "\",\"previous\":\"\"}");
	feed(fd, "chimera.rollback.triggered", R1, NULL, T0, "{\"generation\":0,\"nodes\":[\"" A "\",\"" B "\"]}");
	assert_string_equal(finish(fd, T0, &n),
			    "A rollback previous " R1 "; A rollback sys-1 " R1 "; B rollback previous " R1);
	gc_needs_release(&n);
	/* A later rollback of A names where it came from; an older event (a lower seq) does not win. */
	feed(fd, "node.rollback.complete", R1, A, T0, "{\"from_path\":\"" P3 "\",\"to_path\":\"" P2 "\"}");
	{
		struct ledger_event ev = { .seq = 1, .topic = "node.deploy.complete", .deployment = "01D0", .node = A,
					   .payload = "{\"previous\":\"" P2 "\"}" };

		assert_int_equal(gc_fold_event(fd, &ev), 0);
	}
	assert_string_equal(finish(fd, T0, &n),
			    "A rollback previous " R1 "; A rollback sys-3 " R1 "; B rollback previous " R1);
	gc_needs_release(&n);
	gc_fold_free(fd);
}

/* Through a ledger: the scans and, with a rollback open, each node's latest changes. */
static void test_read(void **state)
{
	struct fake_ledger fl;
	struct gc_needs n;

	(void)state;
	fake_ledger_init(&fl);
	fl.replay = 1;
	assert_int_equal(gc_needs_read(NULL, T0, &n), 0);
	assert_int_equal(n.n, 0);
	assert_int_equal(gc_needs_read(&fl.base, T0, &n), 0);
	assert_int_equal(n.n, 0);
	assert_int_equal(ledger_append1(&fl.base, "node.deploy.complete", "01D1", A, "{\"previous\":\"" P1 "\"}", NULL), 0);
	assert_int_equal(ledger_append1(&fl.base, "node.deploy.complete", "01D2", A, "{\"previous\":\"" P2 "\"}", NULL), 0);
	assert_int_equal(ledger_append1(&fl.base, "chimera.rollback.triggered", R1, NULL,
					"{\"generation\":0,\"nodes\":[\"" A "\"]}", NULL), 0);
	assert_int_equal(ledger_append1(&fl.base, "chimera.rollback.triggered", "01R2", NULL,
					"{\"generation\":5,\"nodes\":[\"" B "\"]}", NULL), 0);
	assert_int_equal(ledger_append1(&fl.base, "chimera.rollback.complete", "01R2", NULL, "{}", NULL), 0);
	assert_int_equal(gc_needs_read(&fl.base, T0, &n), 0);
	assert_string_equal(show(&n), "A rollback previous " R1 "; A rollback sys-2 " R1);
	gc_needs_release(&n);
	fake_ledger_release(&fl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_running),
		cmocka_unit_test(test_watch_unknown),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_rollback_previous),
		cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
