/* Contract cases: waiting for new events (appended by another process or thread), and callbacks that use the ledger. */
#include "contract.h"
#include "util/clock.h"
#include "util/err.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* How late a wait may wake after the append that should wake it, on a loaded test machine. */
#define WAKE_BOUND_MS 500

static void test_wait_now_and_timeout(void **state)
{
	struct ledger *l = contract_open();
	int64_t head = -1, t0;

	(void)state;
	/* Nothing yet: a zero timeout answers at once with the head. */
	assert_int_equal(ledger_wait(l, 0, 0, &head), 0);
	assert_int_equal(head, 0);
	assert_int_equal(ledger_append1(l, "test.w", NULL, NULL, NULL, NULL), 0);
	assert_int_equal(ledger_append1(l, "test.w", NULL, NULL, NULL, NULL), 0);
	/* Newer events already there: no wait. */
	t0 = clock_mono_ms();
	assert_int_equal(ledger_wait(l, 1, 10000, &head), 0);
	assert_int_equal(head, 2);
	assert_true(clock_mono_ms() - t0 < WAKE_BOUND_MS);
	/* None newer: the timeout, with the head as it is. */
	t0 = clock_mono_ms();
	assert_int_equal(ledger_wait(l, 2, 300, &head), 0);
	assert_int_equal(head, 2);
	assert_true(clock_mono_ms() - t0 >= 290);
	assert_true(clock_mono_ms() - t0 < 300 + WAKE_BOUND_MS);
	ledger_close(l);
}

/* A child process appends ROUNDS events, one every 200 ms, telling the parent when each append returned. */
static void test_wait_wakes_on_another_process(void **state)
{
	enum { ROUNDS = 3 };
	struct ledger *l = contract_open();
	int fds[2], i, st;
	int64_t head = 0, after = 0, done_at, woke_at;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ledger *cl = NULL;

		close(fds[0]);
		if (ledger_open_url(contract_url, NULL, &cl) < 0)
			_exit(2);
		for (i = 0; i < ROUNDS; i++) {
			clock_sleep_ms(200);
			if (ledger_append1(cl, "test.wake", NULL, NULL, NULL, NULL) < 0)
				_exit(3);
			done_at = clock_mono_ms();
			if (write(fds[1], &done_at, sizeof(done_at)) != sizeof(done_at))
				_exit(4);
		}
		ledger_close(cl);
		_exit(0);
	}
	close(fds[1]);
	for (i = 0; i < ROUNDS; i++) {
		assert_int_equal(ledger_wait(l, after, 10000, &head), 0);
		woke_at = clock_mono_ms();
		assert_int_equal(head, after + 1);
		assert_int_equal(read(fds[0], &done_at, sizeof(done_at)), sizeof(done_at));
		if (woke_at - done_at >= WAKE_BOUND_MS)
			fail_msg("round %d: woke %lld ms after the append", i, (long long)(woke_at - done_at));
		after = head;
	}
	waitpid(pid, &st, 0);
	close(fds[0]);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ledger_close(l);
}

static void *append_later(void *arg)
{
	clock_sleep_ms(200);
	if (ledger_append1(arg, "test.wake", NULL, NULL, NULL, NULL) < 0)
		return arg;
	return NULL;
}

/* A thread appending on the same handle wakes a wait on it too. */
static void test_wait_wakes_on_a_thread(void **state)
{
	struct ledger *l = contract_open();
	pthread_t t;
	void *ret = NULL;
	int64_t head = 0, t0 = clock_mono_ms();

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, append_later, l), 0);
	assert_int_equal(ledger_wait(l, 0, 10000, &head), 0);
	assert_int_equal(head, 1);
	assert_true(clock_mono_ms() - t0 < 200 + WAKE_BOUND_MS);
	pthread_join(t, &ret);
	assert_null(ret);
	ledger_close(l);
}

struct echo {
	struct ledger *l;
	int seen;
};

/* Append a test.echo event for every event seen, and scan the ledger inside the callback too. */
static int echo(const struct ledger_event *ev, void *arg)
{
	struct echo *e = arg;
	struct ledger_filter all = { 0 };
	struct collected inner = { 0 };
	int r;

	e->seen++;
	if ((r = ledger_append1(e->l, "test.echo", NULL, ev->node, NULL, NULL)) < 0)
		return r;
	if ((r = ledger_scan(e->l, &all, contract_collect, &inner)) < 0)
		return r;
	return inner.n > 0 ? 0 : -1;
}

/* Scan callbacks may append (and scan): no deadlock, and the scan sees the events that were there when it began. */
static void test_callback_appends(void **state)
{
	struct ledger *l = contract_open();
	struct ledger_new evs[3] = {
		{ "test.a", NULL, "root@a:22", NULL }, { "test.b", NULL, "root@b:22", NULL },
		{ "node.facts", NULL, "root@a:22", "{\"n\":1}" },
	};
	struct ledger_filter all = { 0 };
	struct ledger_verify_report rep;
	struct echo e = { .l = l };
	struct collected c = { 0 };

	(void)state;
	alarm(60);	/* a deadlock fails the test instead of hanging it */
	assert_int_equal(ledger_append(l, evs, 3, NULL), 0);
	assert_int_equal(ledger_scan(l, &all, echo, &e), 0);
	assert_int_equal(e.seen, 3);
	e.seen = 0;
	assert_int_equal(ledger_latest(l, "node.facts", NULL, echo, &e), 0);
	assert_int_equal(e.seen, 1);
	e.seen = 0;
	assert_int_equal(ledger_latest_scan(l, "node.facts", NULL, echo, &e), 0);
	assert_int_equal(e.seen, 1);
	assert_int_equal(ledger_scan(l, &all, contract_collect, &c), 0);
	assert_int_equal(c.n, 8);
	assert_string_equal(c.topics[3], "test.echo");
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 8);
	alarm(0);
	ledger_close(l);
}

const struct CMUnitTest contract_follow_tests[] = {
	cmocka_unit_test_setup_teardown(test_wait_now_and_timeout, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_wait_wakes_on_another_process, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_wait_wakes_on_a_thread, contract_setup, contract_teardown),
	cmocka_unit_test_setup_teardown(test_callback_appends, contract_setup, contract_teardown),
};
const size_t contract_follow_ntests = sizeof(contract_follow_tests) / sizeof(contract_follow_tests[0]);
