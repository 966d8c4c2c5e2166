/*
 * The lease contract (ports/lease.h): acquire, held, renew, release, take-over of an
 * expired or dead holder, and two processes racing for the same nodes; against every
 * ledger back end that keeps leases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/lease.h"
#include "ports/lease.h"
#include "runtime/ledger_open.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "check.h"
#include "util/proc.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct ledger_backend *backend;
static char url[4096], scratch_dir[4096];

static int setup(void **state)
{
	char name[64];

	(void)state;
	snprintf(name, sizeof(name), "lease-%s", backend->scheme);
	if (scratch_make(scratch_dir, sizeof(scratch_dir), name) < 0)
		return -1;
	return backend->scratch_url(scratch_dir, url, sizeof(url)) < 0 ? -1 : 0;
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

	if (ledger_open_url(url, NULL, &l) < 0)
		fail_msg("open %s: %s", url, err_msg());
	if (!l->lease)
		fail_msg("the %s ledger keeps no leases", backend->scheme);
	return l;
}

/* This process as holder of OP, its lease good for TTL_MS. */
static struct lease_holder me(const char *op, int64_t ttl_ms)
{
	struct lease_holder h = { .pid = getpid() };

	snprintf(h.op, sizeof(h.op), "%s", op);
	snprintf(h.kind, sizeof(h.kind), "deploy");
	snprintf(h.host, sizeof(h.host), "ctl-test");
	proc_start_time(getpid(), &h.pid_start);
	h.since_ms = clock_wall_ms();
	h.expires_ms = h.since_ms + ttl_ms;
	return h;
}

/* Alive as the app judges it: same host and the pid there with its start time. */
static int alive(const struct lease_holder *h, void *arg)
{
	int64_t start = 0;
	bool found = proc_start_time((pid_t)h->pid, &start) == 0;

	(void)arg;
	return lease_pid_alive(h->host, h->pid_start, "ctl-test", found, start);
}

static enum lease_answer take(struct ledger *l, const char *node, const struct lease_holder *h,
			      struct lease_holder *prev, char **moved)
{
	enum lease_answer a;
	char *m = NULL;

	assert_int_equal(lease_acquire(l, node, h, alive, NULL, &a, prev, &m), 0);
	if (moved)
		*moved = m;
	else
		free(m);
	return a;
}

struct seen {
	int n;
	char nodes[64][64];
	char ops[64][64];
	int64_t expires[64];
};

static int see(const char *node, const struct lease_holder *h, void *arg)
{
	struct seen *s = arg;

	if (s->n < 64) {
		snprintf(s->nodes[s->n], sizeof(s->nodes[0]), "%s", node);
		snprintf(s->ops[s->n], sizeof(s->ops[0]), "%s", h->op);
		s->expires[s->n] = h->expires_ms;
		s->n++;
	}
	return 0;
}

/* Free: acquired; ours again: acquired; another live op: held, naming the holder; released: free again. */
static void test_acquire_held_release(void **state)
{
	struct ledger *l = open_ledger();
	struct lease_holder a = me("OP-A", 30000), b = me("OP-B", 30000), prev;
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(take(l, "root@n1:22", &a, &prev, NULL), LEASE_ACQUIRED);
	assert_int_equal(take(l, "root@n1:22", &a, &prev, NULL), LEASE_ACQUIRED);
	assert_int_equal(take(l, "root@n1:22", &b, &prev, NULL), LEASE_HELD);
	assert_string_equal(prev.op, "OP-A");
	assert_string_equal(prev.kind, "deploy");
	assert_string_equal(prev.host, "ctl-test");
	assert_int_equal(prev.pid, getpid());
	assert_int_equal(prev.since_ms, a.since_ms);
	assert_int_equal(take(l, "root@n2:22", &b, &prev, NULL), LEASE_ACQUIRED);
	assert_int_equal(lease_list(l, NULL, see, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.nodes[0], "root@n1:22");
	assert_string_equal(s.ops[0], "OP-A");
	assert_string_equal(s.ops[1], "OP-B");
	assert_int_equal(lease_release(l, "OP-A", "root@n1:22"), 0);
	assert_int_equal(take(l, "root@n1:22", &b, &prev, NULL), LEASE_ACQUIRED);
	assert_int_equal(lease_release(l, "OP-B", NULL), 0);
	s.n = 0;
	assert_int_equal(lease_list(l, NULL, see, &s), 0);
	assert_int_equal(s.n, 0);
	ledger_close(l);
}

/* Renew moves every lease of the op on; an expired lease is taken over with the rest of its op's. */
static void test_renew_and_expiry(void **state)
{
	struct ledger *l = open_ledger();
	struct lease_holder a = me("OP-A", 30000), b = me("OP-B", 30000), prev;
	struct seen s = { 0 };
	char *moved = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(take(l, "n1", &a, &prev, NULL), LEASE_ACQUIRED);
	assert_int_equal(take(l, "n2", &a, &prev, NULL), LEASE_ACQUIRED);
	assert_int_equal(take(l, "n3", &a, &prev, NULL), LEASE_ACQUIRED);
	assert_int_equal(lease_renew(l, "OP-A", a.since_ms + 90000, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(lease_list(l, "n2", see, &s), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.expires[0], a.since_ms + 90000);
	/* Alive pid, but no heartbeat: expired in the past, taken over. */
	assert_int_equal(lease_renew(l, "OP-A", a.since_ms - 1, &n), 0);
	assert_int_equal(take(l, "n2", &b, &prev, &moved), LEASE_TAKEN_OVER);
	assert_string_equal(prev.op, "OP-A");
	assert_non_null(moved);
	assert_string_equal(moved, "n1\nn3\n");
	free(moved);
	s.n = 0;
	assert_int_equal(lease_list(l, NULL, see, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.ops[0], "OP-B");
	assert_string_equal(s.ops[1], "OP-B");
	assert_string_equal(s.ops[2], "OP-B");
	ledger_close(l);
}

/* A holder whose process died (kill -9) is taken over at once, though its lease has not expired. */
static void test_dead_holder(void **state)
{
	struct lease_holder b = me("OP-B", 30000), prev;
	struct ledger *l;
	int status;
	pid_t pid;

	(void)state;
	if ((pid = fork()) == 0) {
		struct ledger *c = open_ledger();
		struct lease_holder a = me("OP-DEAD", 3600 * 1000);

		if (take(c, "n1", &a, &prev, NULL) != LEASE_ACQUIRED || take(c, "n2", &a, &prev, NULL) != LEASE_ACQUIRED)
			_exit(2);
		raise(SIGKILL);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	l = open_ledger();
	assert_int_equal(take(l, "n2", &b, &prev, NULL), LEASE_TAKEN_OVER);
	assert_string_equal(prev.op, "OP-DEAD");
	assert_int_equal(prev.pid, pid);
	/* n1 came with it: ours now, not a second take-over. */
	assert_int_equal(take(l, "n1", &b, &prev, NULL), LEASE_ACQUIRED);
	ledger_close(l);
}

#define RACE_NODES 20
#define RACE_ROUNDS 5

/* Two processes race for the same nodes, each in its own order: every node goes to exactly one. */
static void test_two_processes_race(void **state)
{
	int fds[2][2], go[2], hold[2], round;
	char byte;

	(void)state;
	for (round = 0; round < RACE_ROUNDS; round++) {
		struct ledger *l;
		struct seen s = { 0 };
		pid_t pids[2];
		int got[2] = { 0, 0 }, k, i, status;

		/*
		 * The ledger exists before the race, as a controller's does (two processes making a
		 * new database at once may find it locked while the first turns WAL on).
		 */
		ledger_close(open_ledger());
		/* Both start together (GO closed), and stay alive (HOLD open) until the parent has looked. */
		assert_int_equal(pipe(go), 0);
		assert_int_equal(pipe(hold), 0);
		for (k = 0; k < 2; k++) {
			assert_int_equal(pipe(fds[k]), 0);
			if ((pids[k] = fork()) == 0) {
				struct ledger *c = open_ledger();
				char op[32], node[32];
				struct lease_holder h, prev;
				int mine = 0;

				snprintf(op, sizeof(op), "RACE-%d-%d", round, k);
				h = me(op, 30000);
				close(go[1]);
				close(hold[1]);
				if (read(go[0], &byte, 1) != 0)
					_exit(4);
				for (i = 0; i < RACE_NODES; i++) {
					snprintf(node, sizeof(node), "n%02d", k ? RACE_NODES - 1 - i : i);
					mine += take(c, node, &h, &prev, NULL) == LEASE_ACQUIRED;
				}
				ledger_close(c);
				if (write(fds[k][1], &mine, sizeof(mine)) != sizeof(mine))
					_exit(3);
				if (read(hold[0], &byte, 1) != 0)
					_exit(4);
				_exit(0);
			}
			close(fds[k][1]);
		}
		close(go[0]);
		close(hold[0]);
		close(go[1]);
		for (k = 0; k < 2; k++) {
			assert_int_equal(read(fds[k][0], &got[k], sizeof(got[k])), sizeof(got[k]));
			close(fds[k][0]);
		}
		assert_int_equal(got[0] + got[1], RACE_NODES);
		l = open_ledger();
		assert_int_equal(lease_list(l, NULL, see, &s), 0);
		assert_int_equal(s.n, RACE_NODES);
		for (i = 0; i < s.n; i++) {
			char op0[32];

			snprintf(op0, sizeof(op0), "RACE-%d-0", round);
			got[strcmp(s.ops[i], op0) == 0 ? 0 : 1]--;
		}
		assert_int_equal(got[0], 0);
		assert_int_equal(got[1], 0);
		close(hold[1]);
		for (k = 0; k < 2; k++) {
			assert_int_equal(waitpid(pids[k], &status, 0), pids[k]);
			assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		ledger_close(l);
		teardown(NULL);
		setup(NULL);
	}
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_acquire_held_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renew_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_processes_race, setup, teardown),
	};
	const struct ledger_backend *b;
	size_t i, n;
	int failed = 0;

	b = ledger_backends(&n);
	for (i = 0; i < n; i++) {
		char name[128];

		backend = &b[i];
		snprintf(name, sizeof(name), "lease contract: %s", b[i].scheme);
		failed += _cmocka_run_group_tests(name, tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
	}
	return failed ? 1 : 0;
}
