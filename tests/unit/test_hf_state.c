/* HostFactory request and machine states: names, the transition tables, reconciliation, the protocol words. */
#include "check.h"
#include "core/hf_state.h"

static const char *const req_names[] = {
	"pending", "in_progress", "completed", "failed", "partial", "cancelled", "timeout",
};

static const char *const m_names[] = {
	"pending", "running", "stopping", "stopped", "shutting-down", "terminated", "returned", "failed",
};

/* The tables written out again, one row per FROM, one letter per TO in enum order (y: allowed). */
static const char *const req_table[] = {
	/* pend prog comp fail part canc time */
	"-yyyyyy",	/* pending */
	"--yyyyy",	/* in_progress */
	"-------",	/* completed */
	"-------",	/* failed */
	"-------",	/* partial */
	"-------",	/* cancelled */
	"-------",	/* timeout */
};

static const char *const m_table[] = {
	/* pend run stopg stopd shut term ret fail */
	"-y--yy-y",	/* pending */
	"--y-y--y",	/* running */
	"---y---y",	/* stopping */
	"-y--y--y",	/* stopped */
	"-----yyy",	/* shutting-down */
	"--------",	/* terminated */
	"--------",	/* returned */
	"--------",	/* failed */
};

static void test_names(void **state)
{
	enum hfs_request r;
	enum hfs_machine m;
	size_t i;

	(void)state;
	assert_int_equal(sizeof(req_names) / sizeof(req_names[0]), HFS_REQ_STATES);
	assert_int_equal(sizeof(m_names) / sizeof(m_names[0]), HFS_M_STATES);
	for (i = 0; i < HFS_REQ_STATES; i++) {
		assert_string_equal(hfs_request_name((enum hfs_request)i), req_names[i]);
		assert_int_equal(hfs_request_parse(req_names[i], strlen(req_names[i]), &r), 0);
		assert_int_equal(r, i);
	}
	for (i = 0; i < HFS_M_STATES; i++) {
		assert_string_equal(hfs_machine_name((enum hfs_machine)i), m_names[i]);
		assert_int_equal(hfs_machine_parse(m_names[i], strlen(m_names[i]), &m), 0);
		assert_int_equal(m, i);
	}
	assert_string_equal(hfs_request_name(HFS_REQ_STATES), "unknown");
	assert_string_equal(hfs_machine_name((enum hfs_machine)-1), "unknown");
}

static void test_bad_names(void **state)
{
	static const char *const bad[] = { "", "Pending", "in-progress", "shutting_down", "run", "runningx" };
	enum hfs_request r = HFS_REQ_TIMEOUT;
	enum hfs_machine m = HFS_M_FAILED;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(hfs_request_parse(bad[i], strlen(bad[i]), &r), ERR_INVALID);
		assert_quotes("bad request state", bad[i], strlen(bad[i]));
		assert_contains(err_msg(), "expected one of pending, in_progress, completed, failed, "
				"partial, cancelled, timeout");
		assert_int_equal(hfs_machine_parse(bad[i], strlen(bad[i]), &m), ERR_INVALID);
		assert_quotes("bad machine state", bad[i], strlen(bad[i]));
		assert_contains(err_msg(), "expected one of pending, running, stopping, stopped, "
				"shutting-down, terminated, returned, failed");
	}
	assert_int_equal(r, HFS_REQ_TIMEOUT);
	assert_int_equal(m, HFS_M_FAILED);
	/* a valid name with more bytes after it, and one cut short */
	assert_int_equal(hfs_request_parse(LIT("failed\0x"), &r), ERR_INVALID);
	assert_quotes("bad request state", LIT("failed\0x"));
	assert_int_equal(hfs_machine_parse("running", 3, &m), ERR_INVALID);
	assert_quotes("bad machine state", "run", 3);
	assert_int_equal(hfs_machine_parse(NULL, 0, &m), ERR_INVALID);
}

static void test_request_transitions(void **state)
{
	size_t f, t;
	int bad = 0;

	(void)state;
	for (f = 0; f < HFS_REQ_STATES; f++) {
		bool terminal = strchr(req_table[f], 'y') == NULL;

		assert_int_equal(hfs_request_terminal((enum hfs_request)f), terminal);
		for (t = 0; t < HFS_REQ_STATES; t++) {
			bool want = req_table[f][t] == 'y';
			enum hfs_request s = (enum hfs_request)f;

			if (hfs_request_can((enum hfs_request)f, (enum hfs_request)t) != want) {
				print_error("request %s -> %s: want %d\n", req_names[f], req_names[t], want);
				bad++;
			}
			assert_int_equal(hfs_request_move(&s, (enum hfs_request)t), want ? 0 : ERR_INVALID);
			assert_int_equal(s, want ? t : f);
			if (!want) {
				char msg[128];

				snprintf(msg, sizeof(msg), "request '%s' cannot go to '%s'", req_names[f], req_names[t]);
				assert_string_equal(err_msg(), msg);
			}
		}
		assert_false(hfs_request_can((enum hfs_request)f, HFS_REQ_STATES));
	}
	assert_int_equal(bad, 0);
	assert_false(hfs_request_can(HFS_REQ_STATES, HFS_REQ_COMPLETED));
	assert_false(hfs_request_terminal(HFS_REQ_STATES));
}

static void test_machine_transitions(void **state)
{
	size_t f, t;
	int bad = 0;

	(void)state;
	for (f = 0; f < HFS_M_STATES; f++) {
		bool terminal = strchr(m_table[f], 'y') == NULL;

		assert_int_equal(hfs_machine_terminal((enum hfs_machine)f), terminal);
		for (t = 0; t < HFS_M_STATES; t++) {
			bool want = m_table[f][t] == 'y';
			enum hfs_machine s = (enum hfs_machine)f;

			if (hfs_machine_can((enum hfs_machine)f, (enum hfs_machine)t) != want) {
				print_error("machine %s -> %s: want %d\n", m_names[f], m_names[t], want);
				bad++;
			}
			assert_int_equal(hfs_machine_move(&s, (enum hfs_machine)t), want ? 0 : ERR_INVALID);
			assert_int_equal(s, want ? t : f);
			if (!want) {
				char msg[128];

				snprintf(msg, sizeof(msg), "machine '%s' cannot go to '%s'", m_names[f], m_names[t]);
				assert_string_equal(err_msg(), msg);
			}
		}
		assert_false(hfs_machine_can((enum hfs_machine)f, HFS_M_STATES));
	}
	assert_int_equal(bad, 0);
	assert_false(hfs_machine_can(HFS_M_STATES, HFS_M_RUNNING));
	assert_false(hfs_machine_terminal(HFS_M_STATES));
}

/* Machines from a string, one letter each: p pending, r running (not configured), c running
 * configured and congruent, d running configured but drifted, f failed, t terminated,
 * x returned, s stopped, h shutting-down. */
static size_t views(const char *spec, struct hfs_machine_view *v)
{
	size_t n = 0;

	for (; *spec; spec++, n++) {
		struct hfs_machine_view m = { HFS_M_RUNNING, false, false };

		switch (*spec) {
		case 'p': m.state = HFS_M_PENDING; break;
		case 'r': break;
		case 'c': m.configured = m.congruent = true; break;
		case 'd': m.configured = true; break;
		case 'f': m.state = HFS_M_FAILED; break;
		case 't': m.state = HFS_M_TERMINATED; break;
		case 'x': m.state = HFS_M_RETURNED; break;
		case 's': m.state = HFS_M_STOPPED; break;
		case 'h': m.state = HFS_M_SHUTTING_DOWN; break;
		default: fail_msg("bad spec letter %c", *spec);
		}
		v[n] = m;
	}
	return n;
}

static void check_reconcile(const char *spec, int64_t now, int64_t deadline, enum hfs_request want)
{
	struct hfs_machine_view v[16];
	size_t n = views(spec, v);
	enum hfs_request got = hfs_reconcile(v, n, now, deadline);

	if (got != want)
		fail_msg("machines '%s' now %lld deadline %lld: got %s, want %s", spec, (long long)now,
			 (long long)deadline, hfs_request_name(got), hfs_request_name(want));
}

static void test_reconcile(void **state)
{
	(void)state;
	check_reconcile("", 100, 50, HFS_REQ_PENDING);		/* no machines: nothing to say, even late */
	check_reconcile("fff", 100, 50, HFS_REQ_FAILED);
	check_reconcile("ftx", 10, 0, HFS_REQ_FAILED);		/* terminated and returned are lost too */
	check_reconcile("ccc", 10, 0, HFS_REQ_COMPLETED);
	check_reconcile("ccc", 100, 50, HFS_REQ_COMPLETED);	/* done is done, even past the deadline */
	check_reconcile("cfc", 10, 0, HFS_REQ_PARTIAL);
	check_reconcile("cft", 100, 50, HFS_REQ_PARTIAL);
	check_reconcile("ppp", 10, 0, HFS_REQ_PENDING);
	check_reconcile("ppp", 10, 50, HFS_REQ_PENDING);
	check_reconcile("ppp", 51, 50, HFS_REQ_TIMEOUT);
	check_reconcile("pc", 10, 50, HFS_REQ_IN_PROGRESS);
	check_reconcile("pf", 10, 50, HFS_REQ_IN_PROGRESS);	/* one open: not partial yet */
	check_reconcile("rc", 10, 50, HFS_REQ_IN_PROGRESS);	/* running but not configured */
	check_reconcile("dc", 10, 50, HFS_REQ_IN_PROGRESS);	/* configured but not congruent */
	check_reconcile("dc", 51, 50, HFS_REQ_TIMEOUT);
	check_reconcile("sc", 10, 50, HFS_REQ_IN_PROGRESS);	/* stopped is open, not lost */
	check_reconcile("hf", 10, 50, HFS_REQ_IN_PROGRESS);
	check_reconcile("cfp", 51, 50, HFS_REQ_TIMEOUT);
	/* the deadline edge: at the deadline is not past it */
	check_reconcile("pc", 49, 50, HFS_REQ_IN_PROGRESS);
	check_reconcile("pc", 50, 50, HFS_REQ_IN_PROGRESS);
	check_reconcile("pc", 51, 50, HFS_REQ_TIMEOUT);
	check_reconcile("p", 50, 50, HFS_REQ_PENDING);
	check_reconcile("p", 51, 50, HFS_REQ_TIMEOUT);
	check_reconcile("p", 1000000, 0, HFS_REQ_PENDING);	/* 0: no deadline */
}

static void test_request_status(void **state)
{
	static const char *const want[] = {
		"running", "running", "complete", "complete_with_error", "complete_with_error",
		"complete_with_error", "complete_with_error",
	};
	size_t i;

	(void)state;
	for (i = 0; i < HFS_REQ_STATES; i++)
		assert_string_equal(hfs_request_status((enum hfs_request)i), want[i]);
}

static void check_result(char letter, const char *want, const char *want_return, const char *status)
{
	char spec[2] = { letter, '\0' };
	struct hfs_machine_view v[1];

	views(spec, v);
	assert_string_equal(hfs_machine_result(&v[0]), want);
	assert_string_equal(hfs_return_result(v[0].state), want_return);
	assert_string_equal(hfs_machine_status(v[0].state), status);
}

static void test_machine_result(void **state)
{
	struct hfs_machine_view v = { HFS_M_STOPPING, true, true };

	(void)state;
	check_result('p', "executing", "executing", "pending");
	check_result('r', "executing", "executing", "running");
	check_result('d', "executing", "executing", "running");
	check_result('c', "succeed", "executing", "running");
	check_result('s', "fail", "executing", "stopped");
	check_result('h', "fail", "executing", "shutting-down");
	check_result('t', "fail", "succeed", "terminated");
	check_result('x', "fail", "succeed", "returned");
	check_result('f', "fail", "fail", "failed");
	assert_string_equal(hfs_machine_result(&v), "fail");
	assert_string_equal(hfs_return_result(HFS_M_STOPPING), "executing");
	assert_string_equal(hfs_machine_status(HFS_M_STOPPING), "stopping");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_request_transitions),
		cmocka_unit_test(test_machine_transitions),
		cmocka_unit_test(test_reconcile),
		cmocka_unit_test(test_request_status),
		cmocka_unit_test(test_machine_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
