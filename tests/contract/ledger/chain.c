/* Contract cases: append, scan, filters, latest, verify, the chain rule, refusals, durability across kill -9. */
#include "contract.h"
#include "util/err.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every event chains to the one before, and its hash is the chain rule's over its contents. */
static void test_append_chain_verify(void **state)
{
	struct ledger *l = contract_open();
	struct ledger_filter all = { 0 };
	struct ledger_verify_report rep;
	struct collected c = { 0 };
	int64_t seq = 0;
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		assert_int_equal(ledger_append1(l, "test.one", NULL, "root@h:22", "{\"i\": 1}", &seq), 0);
		assert_int_equal(seq, i + 1);
	}
	assert_int_equal(ledger_scan(l, &all, contract_collect, &c), 0);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.prevs[0], chain_genesis_hash);
	for (i = 1; i < 5; i++) {
		assert_int_equal(c.seqs[i], i + 1);
		assert_string_equal(c.prevs[i], c.hashes[i - 1]);
		assert_string_not_equal(c.hashes[i], c.hashes[i - 1]);
	}
	assert_string_equal(c.payloads[0], "{\"i\":1}");
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 5);
	assert_int_equal(rep.broken_seq, 0);
	ledger_close(l);
}

/* The hash a back end stores is chain_event_hash of what it gives back. */
static int check_hash(const struct ledger_event *ev, void *arg)
{
	char h[SHA3_256_HEX];

	(void)arg;
	assert_int_equal(chain_event_hash(ev, h), 0);
	assert_string_equal(h, ev->hash);
	return 0;
}

static void test_chain_rule(void **state)
{
	struct ledger *l = contract_open();
	struct ledger_new evs[3] = {
		{ "node.exec", "run-1", "root@a:22", "{\"z\":[1,2],\"a\":\"\\u00e9\"}" },
		{ "exec.complete", "run-1", NULL, NULL },
		{ "test.x", NULL, "root@b:22", "{\"n\":null,\"f\":1.5}" },
	};
	struct ledger_filter all = { 0 };
	struct collected c = { 0 };

	(void)state;
	assert_int_equal(ledger_append(l, evs, 3, NULL), 0);
	assert_int_equal(ledger_scan(l, &all, check_hash, NULL), 0);
	assert_int_equal(ledger_scan(l, &all, contract_collect, &c), 0);
	assert_string_equal(c.payloads[1], "{}");
	assert_string_equal(c.nodes[1], "");
	ledger_close(l);
}

static void test_refusals(void **state)
{
	struct ledger *l = contract_open();
	struct ledger_verify_report rep;
	static const char *const bad_topics[] = { "", "Upper", "has space", ".lead", "trail.", "semi;colon",
						  "uni\xd0\xb0", "tab\t" };
	size_t i;
	int64_t seq = 99;

	(void)state;
	for (i = 0; i < sizeof(bad_topics) / sizeof(bad_topics[0]); i++)
		assert_int_equal(ledger_append1(l, bad_topics[i], NULL, NULL, NULL, NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, NULL, NULL, NULL, NULL, NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, "test.x", NULL, NULL, "[1,2]", NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, "test.x", NULL, NULL, "{\"a\":1,\"a\":2}", NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, "test.x", NULL, NULL, "{", NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, "test.x", NULL, "bad\nnode", NULL, NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, "test.x", "", NULL, NULL, NULL), ERR_INVALID);
	/* A well-formed topic the catalog does not hold is refused, naming it. */
	assert_int_equal(ledger_append1(l, "node.nonesuch", NULL, NULL, NULL, &seq), ERR_INVALID);
	assert_int_equal(seq, 0);
	assert_non_null(strstr(err_msg(), "unknown topic 'node.nonesuch'"));
	assert_int_equal(ledger_append1(l, "test", NULL, NULL, NULL, NULL), ERR_INVALID);
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 0);
	/* A refused event in a batch refuses the whole batch. */
	{
		struct ledger_new evs[3] = { { "test.ok", NULL, NULL, NULL }, { "BAD", NULL, NULL, NULL },
					     { "test.ok", NULL, NULL, NULL } };
		struct ledger_new unknown[2] = { { "test.ok", NULL, NULL, NULL }, { "t.ok", NULL, NULL, NULL } };

		assert_int_equal(ledger_append(l, evs, 3, NULL), ERR_INVALID);
		assert_int_equal(ledger_append(l, unknown, 2, NULL), ERR_INVALID);
	}
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 0);
	ledger_close(l);
}

static void test_filters(void **state)
{
	struct ledger *l = contract_open();
	struct ledger_new evs[6] = {
		{ "test.a.exec", "d1", "n1", NULL }, { "test.a.switch", "d1", "n2", NULL },
		{ "exec.start", "d2", NULL, NULL }, { "test.a.exec", "d2", "n1", NULL },
		{ "test.a", NULL, NULL, NULL }, { "test.ab.x", NULL, NULL, NULL },
	};
	struct ledger_filter f;
	struct collected c;
	int64_t last;

	(void)state;
	assert_int_equal(ledger_append(l, evs, 6, &last), 0);
	assert_int_equal(last, 6);
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.topic = "test.a.exec";
	assert_int_equal(ledger_scan(l, &f, contract_collect, &c), 0);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof(c));
	f.topic = "test.a.*";	/* test.a.exec, test.a.switch, test.a.exec; not "test.a" nor "test.ab.x" */
	assert_int_equal(ledger_scan(l, &f, contract_collect, &c), 0);
	assert_int_equal(c.n, 3);
	memset(&c, 0, sizeof(c));
	f.since = 2;
	assert_int_equal(ledger_scan(l, &f, contract_collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.seqs[0], 4);
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.node = "n1";
	f.deployment = "d2";
	assert_int_equal(ledger_scan(l, &f, contract_collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.seqs[0], 4);
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.limit = 2;
	assert_int_equal(ledger_scan(l, &f, contract_collect, &c), 0);
	assert_int_equal(c.n, 2);
	ledger_close(l);
}

/* Scans longer than any page a back end reads at once: every event once, in order, and limits hold. */
static int count_in_order(const struct ledger_event *ev, void *arg)
{
	int64_t *n = arg;

	assert_int_equal(ev->seq, *n + 1);
	(*n)++;
	return 0;
}

static void test_long_scan(void **state)
{
	struct ledger *l = contract_open();
	static struct ledger_new evs[2500];
	struct ledger_filter f = { 0 };
	int64_t n = 0;
	size_t i;

	(void)state;
	for (i = 0; i < 2500; i++)
		evs[i] = (struct ledger_new){ "test.long", NULL, NULL, "{\"k\":1}" };
	assert_int_equal(ledger_append(l, evs, 2500, NULL), 0);
	assert_int_equal(ledger_scan(l, &f, count_in_order, &n), 0);
	assert_int_equal(n, 2500);
	n = 0;
	f.limit = 1500;
	assert_int_equal(ledger_scan(l, &f, count_in_order, &n), 0);
	assert_int_equal(n, 1500);
	n = 1000;
	f.since = 1000;
	f.limit = 0;
	assert_int_equal(ledger_scan(l, &f, count_in_order, &n), 0);
	assert_int_equal(n, 2500);
	ledger_close(l);
}

/* ledger_latest: the newest event per node of one topic, in seq order, as the scan fallback finds it too. */
static void test_latest(void **state)
{
	struct ledger *l = contract_open();
	struct ledger_new evs[6] = {
		{ "node.facts", NULL, "root@a:22", "{\"n\":1}" }, { "node.exec", NULL, "root@a:22", "{\"x\":1}" },
		{ "node.facts", NULL, "root@b:22", "{\"n\":2}" }, { "node.facts", NULL, "root@a:22", "{\"n\":3}" },
		{ "node.facts", NULL, NULL, "{\"n\":4}" }, { "node.facts.failed", NULL, "root@a:22", "{}" },
	};
	static const char *const topics[] = { "node.facts", "node.exec" };
	struct collected c, d;
	size_t i;

	(void)state;
	assert_int_equal(ledger_append(l, evs, 6, NULL), 0);
	memset(&c, 0, sizeof(c));
	assert_int_equal(ledger_latest(l, "node.facts", NULL, contract_collect, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.seqs[0], 3);
	assert_int_equal(c.seqs[1], 4);
	memset(&c, 0, sizeof(c));
	assert_int_equal(ledger_latest(l, "node.facts", "root@a:22", contract_collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.payloads[0], "{\"n\":3}");
	assert_int_equal(ledger_latest(l, "node.*", NULL, contract_collect, &c), ERR_INVALID);
	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		memset(&d, 0, sizeof(d));
		assert_int_equal(ledger_latest(l, topics[i], NULL, contract_collect, &c), 0);
		assert_int_equal(ledger_latest_scan(l, topics[i], NULL, contract_collect, &d), 0);
		assert_int_equal(c.n, d.n);
		assert_memory_equal(c.seqs, d.seqs, sizeof(c.seqs));
	}
	ledger_close(l);
}

static void test_reopen_keeps_events(void **state)
{
	struct ledger *l = contract_open();
	struct ledger_verify_report rep;
	int64_t seq;

	(void)state;
	assert_int_equal(ledger_append1(l, "test.b", NULL, NULL, NULL, &seq), 0);
	ledger_close(l);
	l = contract_open();
	assert_int_equal(ledger_append1(l, "test.b", NULL, NULL, NULL, &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 2);
	ledger_close(l);
}

/*
 * A child appends and reports each seq through a pipe only after ledger_append returned;
 * the parent kills it with SIGKILL and finds every reported event, chain intact.
 */
static void kill9_run(int events_before_kill)
{
	int fds[2], reported = 0, st;
	int64_t got = 0, seq;
	struct ledger *l;
	struct ledger_filter f = { 0 };
	struct collected c;
	struct ledger_verify_report rep;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ledger *cl = NULL;

		close(fds[0]);
		if (ledger_open_url(contract_url, NULL, &cl) < 0)
			_exit(2);
		for (;;) {
			if (ledger_append1(cl, "test.kill", NULL, NULL, "{\"k\":9}", &seq) < 0)
				_exit(3);
			if (write(fds[1], &seq, sizeof(seq)) != sizeof(seq))
				_exit(4);
		}
	}
	close(fds[1]);
	while (reported < events_before_kill && read(fds[0], &seq, sizeof(seq)) == sizeof(seq)) {
		got = seq;
		reported++;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(fds[0]);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(reported, events_before_kill);

	l = contract_open();
	f.since = got - 1;
	f.limit = 1;
	memset(&c, 0, sizeof(c));
	assert_int_equal(ledger_scan(l, &f, contract_collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.seqs[0], got);
	assert_string_equal(c.topics[0], "test.kill");
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.broken_seq, 0);
	assert_true(rep.checked >= got);
	/* The ledger goes on after the crash. */
	assert_int_equal(ledger_append1(l, "test.after", NULL, NULL, NULL, &seq), 0);
	assert_int_equal(seq, rep.checked + 1);
	ledger_close(l);
}

static void test_kill9_right_after_append(void **state)
{
	(void)state;
	kill9_run(1);
}

static void test_kill9_mid_stream(void **state)
{
	(void)state;
	kill9_run(300);
}

/* A back end that promises append-only storage refuses rewriting an event through its own tools. */
static void test_append_only(void **state)
{
	const struct contract_hooks *h = contract_hooks_find(contract_backend->scheme);
	struct ledger_verify_report rep;
	struct ledger *l = contract_open();

	(void)state;
	assert_int_equal(ledger_append1(l, "test.keep", NULL, NULL, "{\"v\":1}", NULL), 0);
	assert_int_equal(ledger_append1(l, "test.keep", NULL, NULL, "{\"v\":2}", NULL), 0);
	ledger_close(l);
	if (!h->append_only)
		skip();
	assert_int_equal(h->try_update(contract_url, 1), 1);
	assert_int_equal(h->try_delete(contract_url, 2), 1);
	l = contract_open();
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 2);
	assert_int_equal(rep.broken_seq, 0);
	ledger_close(l);
}

/*
 * ledger_last: the newest event, of a topic or of all, the same from the back end's own op
 * and from the scans it falls back to; ledger_at: one event by seq. And the back end's
 * integrity check, where it has one, passes on a sound store.
 */
static void test_last_and_at(void **state)
{
	struct ledger *l = contract_open();
	struct collected c = { 0 }, d = { 0 };
	int i;

	(void)state;
	assert_int_equal(ledger_last(l, NULL, contract_collect, &c), 0);
	assert_int_equal(c.n, 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ledger_append1(l, "test.a", NULL, NULL, NULL, NULL), 0);
		assert_int_equal(ledger_append1(l, "test.b", NULL, NULL, NULL, NULL), 0);
	}
	assert_int_equal(ledger_append1(l, "test.a", NULL, NULL, NULL, NULL), 0);
	assert_int_equal(ledger_last(l, NULL, contract_collect, &c), 0);
	assert_int_equal(ledger_last(l, "test.b", contract_collect, &c), 0);
	assert_int_equal(ledger_last(l, "test.none", contract_collect, &c), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.seqs[0], 7);
	assert_string_equal(c.topics[0], "test.a");
	assert_int_equal(c.seqs[1], 6);
	assert_string_equal(c.topics[1], "test.b");
	assert_int_equal(ledger_last_scan(l, "test.b", contract_collect, &d), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.hashes[0], c.hashes[1]);
	assert_int_equal(ledger_at(l, 4, contract_collect, &d), 0);
	assert_int_equal(ledger_at(l, 99, contract_collect, &d), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.seqs[1], 4);
	if (l->read && l->read->integrity)
		assert_int_equal(l->read->integrity(l), 0);
	ledger_close(l);
}

const struct CMUnitTest contract_chain_tests[] = {
	cmocka_unit_test_setup_teardown(test_last_and_at, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_append_chain_verify, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_chain_rule, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_refusals, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_filters, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_long_scan, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_latest, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_reopen_keeps_events, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_kill9_right_after_append, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_kill9_mid_stream, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_append_only, contract_setup, contract_teardown),
};
const size_t contract_chain_ntests = sizeof(contract_chain_tests) / sizeof(contract_chain_tests[0]);
