/* The latest projection of the SQLite ledger: newest wins, rebuilt by its migration, one transaction with the append. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "check.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/sqlite/ledger_sqlite.h"
#include "util/err.h"
#include "util/fs.h"

static char scratch_dir[4000], scratch[4096];

static int setup(void **state)
{
	(void)state;
	if (scratch_make(scratch_dir, sizeof(scratch_dir), "projection") < 0)
		return -1;
	snprintf(scratch, sizeof(scratch), "%s/chimera.db", scratch_dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fs_rm_rf(scratch_dir);
	return 0;
}

static struct ledger *open_ledger(void)
{
	struct ledger *l = NULL;

	if (ledger_sqlite_open(scratch, &l) < 0)
		fail_msg("open: %s", err_msg());
	assert_non_null(l);
	return l;
}

static void append(struct ledger *l, const char *topic, const char *node, const char *payload, int64_t want_seq)
{
	int64_t seq = 0;

	if (ledger_append1(l, topic, NULL, node, payload, &seq) < 0)
		fail_msg("append %s %s: %s", topic, node ? node : "-", err_msg());
	assert_int_equal(seq, want_seq);
}

struct seen {
	int n;
	int64_t seq[32];
	char node[32][64];
	char payload[32][128];
};

static int collect(const struct ledger_event *ev, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 32);
	s->seq[s->n] = ev->seq;
	snprintf(s->node[s->n], sizeof(s->node[0]), "%s", ev->node ? ev->node : "");
	snprintf(s->payload[s->n], sizeof(s->payload[0]), "%s", ev->payload);
	s->n++;
	return 0;
}

/* Rows of the projection table, as "topic node seq;" in key order. */
static void projection_rows(char *out, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t o = 0;

	out[0] = '\0';
	assert_int_equal(sqlite3_open(scratch, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, "SELECT topic, node, seq FROM latest ORDER BY topic, node", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(out, len, "(no table)");
		sqlite3_close(db);
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW && o < len)
		o += (size_t)snprintf(out + o, len - o, "%s %s %lld;", sqlite3_column_text(st, 0),
				      sqlite3_column_text(st, 1), (long long)sqlite3_column_int64(st, 2));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void sql(const char *text)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(scratch, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg);
	sqlite3_close(db);
}

/* Events 1-7: facts of a, b, a again; other topics between; one facts event without a node. */
static void write_history(struct ledger *l)
{
	append(l, "node.facts", "root@a:22", "{\"n\":1}", 1);
	append(l, "node.exec", "root@a:22", "{\"x\":1}", 2);
	append(l, "node.facts", "root@b:22", "{\"n\":2}", 3);
	append(l, "node.facts", "root@a:22", "{\"n\":3}", 4);
	append(l, "node.facts", NULL, "{\"n\":4}", 5);
	append(l, "node.exec", "root@a:22", "{\"x\":2}", 6);
	append(l, "node.facts.failed", "root@a:22", "{\"n\":5}", 7);
}

static void check_latest_answers(struct ledger *l)
{
	struct seen s = { 0 };

	/* Every node: b's only event and a's second, in seq order. */
	assert_int_equal(ledger_latest(l, "node.facts", NULL, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[0], 3);
	assert_string_equal(s.node[0], "root@b:22");
	assert_int_equal(s.seq[1], 4);
	assert_string_equal(s.node[1], "root@a:22");
	assert_string_equal(s.payload[1], "{\"n\":3}");
	/* One node. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_latest(l, "node.facts", "root@a:22", collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seq[0], 4);
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_latest(l, "node.facts", "root@zzz:22", collect, &s), 0);
	assert_int_equal(s.n, 0);
	/* A topic not projected gets the same kind of answer from the events. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(ledger_latest(l, "node.exec", NULL, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seq[0], 6);
}

static void test_latest_wins(void **state)
{
	struct ledger *l = open_ledger();
	char rows[1024];

	(void)state;
	write_history(l);
	check_latest_answers(l);
	/* Only node.facts with a node is projected: not node.exec, not node.facts.failed. */
	projection_rows(rows, sizeof(rows));
	assert_string_equal(rows, "node.facts root@a:22 4;node.facts root@b:22 3;");
	/* A newer event replaces the row at once. */
	append(l, "node.facts", "root@b:22", "{\"n\":6}", 8);
	projection_rows(rows, sizeof(rows));
	assert_string_equal(rows, "node.facts root@a:22 4;node.facts root@b:22 8;");
	ledger_close(l);
}

/* A batch: the last event of a node in it wins. */
static void test_batch_append(void **state)
{
	struct ledger *l = open_ledger();
	struct ledger_new evs[3] = {
		{ "node.facts", NULL, "root@a:22", "{\"n\":1}" },
		{ "node.facts", NULL, "root@a:22", "{\"n\":2}" },
		{ "node.facts", NULL, "root@c:22", "{\"n\":3}" },
	};
	char rows[1024];
	int64_t last = 0;

	(void)state;
	assert_int_equal(ledger_append(l, evs, 3, &last), 0);
	assert_int_equal(last, 3);
	projection_rows(rows, sizeof(rows));
	assert_string_equal(rows, "node.facts root@a:22 2;node.facts root@c:22 3;");
	ledger_close(l);
}

/* A back end without the read ops: forwards append and scan to the SQLite ledger. */
struct shim {
	struct ledger base;
	struct ledger *inner;
};

static int shim_append(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last)
{
	return ledger_append(((struct shim *)l)->inner, evs, n, last);
}

static int shim_scan(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg)
{
	return ledger_scan(((struct shim *)l)->inner, f, fn, arg);
}

static void shim_close(struct ledger *l)
{
	(void)l;
}

static const struct ledger_ops shim_ops = { .name = "shim", .append = shim_append, .scan = shim_scan,
					    .close = shim_close };

/* The scan fallback (a back end without the read ops) gives the same answers. */
static void test_scan_fallback_agrees(void **state)
{
	struct ledger *l = open_ledger();
	struct shim sh = { .base = { .ops = &shim_ops }, .inner = l };
	struct seen a = { 0 }, b = { 0 };
	const char *topics[] = { "node.facts", "node.exec", "node.none" };
	const char *nodes[] = { NULL, "root@a:22", "root@b:22" };
	size_t i, j;

	(void)state;
	write_history(l);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++) {
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			assert_int_equal(ledger_latest(l, topics[i], nodes[j], collect, &a), 0);
			assert_int_equal(ledger_latest(&sh.base, topics[i], nodes[j], collect, &b), 0);
			assert_int_equal(a.n, b.n);
			assert_memory_equal(a.seq, b.seq, sizeof(a.seq[0]) * (size_t)a.n);
			assert_memory_equal(a.node, b.node, sizeof(a.node[0]) * (size_t)a.n);
		}
	}
	/* Both answered something for node.facts, so the comparison had content. */
	memset(&b, 0, sizeof(b));
	assert_int_equal(ledger_latest(&sh.base, "node.facts", NULL, collect, &b), 0);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.seq[1], 4);
	assert_int_equal(ledger_latest(l, "node.*", NULL, collect, &a), ERR_INVALID);
	assert_int_equal(ledger_latest(&sh.base, "node.*", NULL, collect, &a), ERR_INVALID);
	ledger_close(l);
}

/* Events written before the migration (schema 1) are projected by it when the ledger opens. */
static void test_migration_fills_from_events(void **state)
{
	struct ledger *l = open_ledger();
	struct ledger_verify_report rep;
	char rows[1024];
	int v = -1;

	(void)state;
	write_history(l);
	ledger_close(l);
	/* Back to schema 1: what a ledger written by an older chimera has. */
	sql("DROP TABLE latest; DROP TABLE latest_topics; DROP TABLE leases; PRAGMA user_version = 1;");
	projection_rows(rows, sizeof(rows));
	assert_string_equal(rows, "(no table)");
	l = open_ledger();
	projection_rows(rows, sizeof(rows));
	assert_string_equal(rows, "node.facts root@a:22 4;node.facts root@b:22 3;");
	check_latest_answers(l);
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.broken_seq, 0);
	assert_int_equal(rep.checked, 7);
	ledger_close(l);
	{
		sqlite3 *db;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open(scratch, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		sqlite3_close(db);
	}
	assert_int_equal(v, 3);
}

/* The events table is the one migration 1 made: same columns, only its two triggers. */
static void test_events_table_untouched(void **state)
{
	struct ledger *l = open_ledger();
	sqlite3 *db;
	sqlite3_stmt *st;
	char objs[2048] = "";
	size_t o = 0;

	(void)state;
	write_history(l);
	ledger_close(l);
	assert_int_equal(sqlite3_open(scratch, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT type, name FROM sqlite_master WHERE tbl_name = 'events'"
						" ORDER BY type, name", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		o += (size_t)snprintf(objs + o, sizeof(objs) - o, "%s %s;", sqlite3_column_text(st, 0),
				      sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	assert_string_equal(objs, "index events_deployment;index events_node;index events_topic;table events;"
				  "trigger events_no_delete;trigger events_no_update;");
	o = 0;
	objs[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('events') ORDER BY cid", -1, &st,
					    NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		o += (size_t)snprintf(objs + o, sizeof(objs) - o, "%s,", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_string_equal(objs, "seq,time,topic,deployment,node,payload,prev_hash,hash,");
}

/* The projection is written in the append's transaction: when it fails, the event is not there either. */
static void test_same_transaction(void **state)
{
	struct ledger *l = open_ledger();
	struct ledger_verify_report rep;
	struct seen s = { 0 };
	char rows[1024];
	int64_t seq = 0;

	(void)state;
	append(l, "node.facts", "root@a:22", "{\"n\":1}", 1);
	ledger_close(l);
	sql("CREATE TRIGGER refuse BEFORE INSERT ON latest WHEN NEW.node = 'root@boom:22'"
	    " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
	l = open_ledger();
	assert_int_equal(ledger_append1(l, "node.facts", NULL, "root@boom:22", "{\"n\":2}", &seq), ERR_IO);
	assert_int_equal(seq, 0);
	/* No event 2: the chain still ends at 1, and the next append takes seq 2. */
	assert_int_equal(ledger_scan(l, &(struct ledger_filter){ 0 }, collect, &s), 0);
	assert_int_equal(s.n, 1);
	append(l, "node.facts", "root@b:22", "{\"n\":3}", 2);
	projection_rows(rows, sizeof(rows));
	assert_string_equal(rows, "node.facts root@a:22 1;node.facts root@b:22 2;");
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.broken_seq, 0);
	assert_int_equal(rep.checked, 2);
	ledger_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_latest_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan_fallback_agrees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_fills_from_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_table_untouched, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_transaction, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
