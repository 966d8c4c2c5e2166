/*
 * Node leases: the pure rules (core/lease.h), the pid's start time (util/proc.h), and
 * app/fleet/lease.h on a scratch SQLite ledger: a held node fails at "lease" naming its
 * holder after the wait; a dead holder is taken over, recorded, and its run interrupted.
 */
#include "check.h"

#include "adapters/sqlite/ledger_sqlite.h"
#include "app/fleet/lease.h"
#include "core/lease.h"
#include "util/clock.h"
#include "util/proc.h"

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char scratch_dir[4000], scratch[4096];

static int setup(void **state)
{
	(void)state;
	if (scratch_make(scratch_dir, sizeof(scratch_dir), "lease") < 0)
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

static void test_pid_alive(void **state)
{
	(void)state;
	assert_true(lease_pid_alive("ctl-1", 100, "ctl-1", true, 100));
	assert_false(lease_pid_alive("ctl-1", 100, "ctl-1", false, 0));
	assert_false(lease_pid_alive("ctl-1", 100, "ctl-1", true, 101));	/* the pid was reused */
	assert_true(lease_pid_alive("ctl-2", 100, "ctl-1", false, 0));	/* another host: the expiry decides */
}

static void test_held_message(void **state)
{
	char msg[256];
	int64_t since = (int64_t)1700000000 * 1000 + ((12 * 3600 + 3 * 60 + 5) - (1700000000 % 86400)) * 1000;

	(void)state;
	lease_held_message(msg, sizeof(msg), "web-1", "deploy", "01J0000000000000000000000", 4242, "ctl-1", since);
	assert_string_equal(msg, "node web-1 is held by deployment 01J0000000000000000000000 (pid 4242 on ctl-1 since 12:03:05)");
	lease_held_message(msg, sizeof(msg), "web-1", "rollback", "X", 1, "h", 0);
	assert_string_equal(msg, "node web-1 is held by rollback X (pid 1 on h since 00:00:00)");
	assert_string_equal(lease_kind_noun(""), "operation");
}

static void test_backoff_and_state(void **state)
{
	(void)state;
	assert_int_equal(lease_backoff_ms(0), 50);
	assert_int_equal(lease_backoff_ms(1), 100);
	assert_int_equal(lease_backoff_ms(3), 400);
	assert_int_equal(lease_backoff_ms(4), 500);
	assert_int_equal(lease_backoff_ms(40), 500);
	assert_string_equal(lease_node_state("/nix/store/a", "/nix/store/a", "/nix/store/b"), "new");
	assert_string_equal(lease_node_state("/nix/store/b", "/nix/store/a", "/nix/store/b"), "old");
	assert_string_equal(lease_node_state("/nix/store/c", "/nix/store/a", "/nix/store/b"), "other");
	assert_string_equal(lease_node_state("/nix/store/c", "/nix/store/a", ""), "other");
	assert_string_equal(lease_node_state("", "/nix/store/a", NULL), "none");
}

static void test_proc_start_time(void **state)
{
	int64_t a = 0, b = 0;
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(proc_start_time(getpid(), &a), 0);
	assert_true(a > 0);
	assert_int_equal(proc_start_time(getpid(), &b), 0);
	assert_int_equal(a, b);
	if ((pid = fork()) == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(proc_start_time(pid, &a), ERR_NOTFOUND);
	assert_int_equal(a, 0);
}

static struct lease_holder holder(const char *op, int64_t pid, int64_t start)
{
	struct lease_holder h = { .pid = pid, .pid_start = start };

	snprintf(h.op, sizeof(h.op), "%s", op);
	snprintf(h.kind, sizeof(h.kind), "deploy");
	gethostname(h.host, sizeof(h.host) - 1);
	h.since_ms = clock_wall_ms();
	h.expires_ms = h.since_ms + 3600 * 1000;
	return h;
}

/* Another live operation (this very process, another op id) holds the node: after the wait, ERR_BUSY. */
static void test_held_node_fails_after_the_wait(void **state)
{
	struct fleet f = { .lock_wait_s = 1, .parallel = 4 };
	struct lease_holder other;
	struct fleet_failure fail = { 0 };
	struct fleet_op op;
	struct target t = { 0 };
	enum lease_answer a;
	char *moved;
	int64_t t0;

	(void)state;
	assert_int_equal(ledger_sqlite_open(scratch, &f.ledger), 0);
	other = holder("OTHER-OP", getpid(), 0);
	proc_start_time(getpid(), &other.pid_start);
	assert_int_equal(lease_acquire(f.ledger, "web-1", &other, NULL, NULL, &a, &(struct lease_holder){ 0 }, &moved), 0);
	assert_int_equal(a, LEASE_ACQUIRED);
	assert_int_equal(fleet_op_begin(&op, &f, "deploy", "MY-OP"), 0);
	t0 = clock_mono_ms();
	assert_int_equal(fleet_node_begin(&op, &t, "web-1", NULL, NULL, NULL, &fail), ERR_BUSY);
	assert_true(clock_mono_ms() - t0 >= 1000);
	assert_string_equal(fail.step, "lease");
	assert_non_null(strstr(fail.message, "node web-1 is held by deployment OTHER-OP (pid "));
	assert_int_equal(op.held, 1);
	/* Free once the holder lets go. */
	assert_int_equal(lease_release(f.ledger, "OTHER-OP", NULL), 0);
	assert_int_equal(fleet_node_begin(&op, &t, "web-1", NULL, NULL, NULL, &fail), 0);
	fleet_node_end(&op, &t, "web-1", NULL, NULL);
	fleet_op_end(&op);
	ledger_close(f.ledger);
}

static int count_topic(const struct ledger_event *ev, void *arg)
{
	json_t *p = json_loads(ev->payload, 0, NULL);

	(*(int *)arg)++;
	if (strcmp(ev->topic, "deploy.interrupted") == 0) {
		/* No executors here: every unfinished node is unreachable, and still listed. */
		assert_int_equal(json_array_size(json_object_get(p, "nodes")), 2);
		assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "nodes"), 0), "state")),
				    "unreachable");
	}
	json_decref(p);
	return 0;
}

/* A holder killed with -9: its lease is taken over, lease.takeover and deploy.interrupted recorded. */
static void test_dead_holder_taken_over(void **state)
{
	struct fleet f = { .lock_wait_s = 0, .parallel = 4 };
	struct fleet_failure fail = { 0 };
	struct ledger_filter ft = { .topic = "lease.takeover" }, fi = { .topic = "deploy.interrupted" };
	struct fleet_op op;
	struct target t = { 0 };
	int n = 0, status;
	pid_t pid;

	(void)state;
	if ((pid = fork()) == 0) {
		struct ledger *l;
		struct lease_holder h = holder("DEAD-OP", getpid(), 0);
		enum lease_answer a;
		char *moved;

		proc_start_time(getpid(), &h.pid_start);
		if (ledger_sqlite_open(scratch, &l) < 0 ||
		    lease_acquire(l, "web-1", &h, NULL, NULL, &a, &(struct lease_holder){ 0 }, &moved) < 0 ||
		    lease_acquire(l, "web-2", &h, NULL, NULL, &a, &(struct lease_holder){ 0 }, &moved) < 0)
			_exit(2);
		raise(SIGKILL);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(ledger_sqlite_open(scratch, &f.ledger), 0);
	assert_int_equal(fleet_op_begin(&op, &f, "deploy", "NEW-OP"), 0);
	assert_int_equal(fleet_node_begin(&op, &t, "web-2", NULL, NULL, NULL, &fail), 0);
	assert_int_equal(op.taken_over, 1);
	assert_int_equal(op.ledger_err, 0);
	assert_int_equal(ledger_scan(f.ledger, &ft, count_topic, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ledger_scan(f.ledger, &fi, count_topic, &n), 0);
	assert_int_equal(n, 2);
	/* web-1 came with it and was let go after the reading: free, no second take-over. */
	assert_int_equal(fleet_node_begin(&op, &t, "web-1", NULL, NULL, NULL, &fail), 0);
	assert_int_equal(op.taken_over, 1);
	fleet_op_end(&op);
	ledger_close(f.ledger);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pid_alive),
		cmocka_unit_test(test_held_message),
		cmocka_unit_test(test_backoff_and_state),
		cmocka_unit_test(test_proc_start_time),
		cmocka_unit_test_setup_teardown(test_held_node_fails_after_the_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_holder_taken_over, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
