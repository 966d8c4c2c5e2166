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

/* One state machine seen through ints, so one check covers both. */
struct machine_kind {
	const char *what;		/* "request", "machine" */
	const char *const *names;
	const char *const *table;
	int n;
	bool (*can)(int from, int to);
	bool (*terminal)(int s);
	int (*move)(int *s, int to);
};

static bool req_can(int f, int t) { return hfs_request_can((enum hfs_request)f, (enum hfs_request)t); }
static bool req_terminal(int s) { return hfs_request_terminal((enum hfs_request)s); }
static bool m_can(int f, int t) { return hfs_machine_can((enum hfs_machine)f, (enum hfs_machine)t); }
static bool m_terminal(int s) { return hfs_machine_terminal((enum hfs_machine)s); }

static int req_move(int *s, int to)
{
	enum hfs_request r = (enum hfs_request)*s;
	int rc = hfs_request_move(&r, (enum hfs_request)to);

	*s = (int)r;
	return rc;
}

static int m_move(int *s, int to)
{
	enum hfs_machine m = (enum hfs_machine)*s;
	int rc = hfs_machine_move(&m, (enum hfs_machine)to);

	*s = (int)m;
	return rc;
}

/* Every pair FROM -> TO against K's table, the move and its message, terminal states, and out of range. */
static void check_transitions(const struct machine_kind *k)
{
	int f, t, bad = 0;

	for (f = 0; f < k->n; f++) {
		assert_int_equal(k->terminal(f), strchr(k->table[f], 'y') == NULL);
		for (t = 0; t < k->n; t++) {
			bool want = k->table[f][t] == 'y';
			int s = f;

			if (k->can(f, t) != want) {
				print_error("%s %s -> %s: want %d\n", k->what, k->names[f], k->names[t], want);
				bad++;
			}
			assert_int_equal(k->move(&s, t), want ? 0 : ERR_INVALID);
			assert_int_equal(s, want ? t : f);
			if (!want) {
				char msg[128];

				snprintf(msg, sizeof(msg), "%s '%s' cannot go to '%s'", k->what, k->names[f], k->names[t]);
				assert_string_equal(err_msg(), msg);
			}
		}
		assert_false(k->can(f, k->n));
		assert_false(k->can(k->n, f));
	}
	assert_int_equal(bad, 0);
	assert_false(k->terminal(k->n));
}

static void test_request_transitions(void **state)
{
	const struct machine_kind k = { "request", req_names, req_table, HFS_REQ_STATES, req_can,
					req_terminal, req_move };

	(void)state;
	check_transitions(&k);
}

static void test_machine_transitions(void **state)
{
	const struct machine_kind k = { "machine", m_names, m_table, HFS_M_STATES, m_can,
					m_terminal, m_move };

	(void)state;
	check_transitions(&k);
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

struct reconcile_case {
	const char *spec;	/* the machines, as views() reads them */
	int64_t now, deadline;
	enum hfs_request want;
};

static const struct reconcile_case reconcile_cases[] = {
	{ "", 100, 50, HFS_REQ_PENDING }, /* no machines: nothing to say, even late */
	{ "fff", 100, 50, HFS_REQ_FAILED },
	{ "ftx", 10, 0, HFS_REQ_FAILED }, /* terminated and returned are lost too */
	{ "ccc", 10, 0, HFS_REQ_COMPLETED },
	{ "ccc", 100, 50, HFS_REQ_COMPLETED }, /* done is done, even past the deadline */
	{ "cfc", 10, 0, HFS_REQ_PARTIAL },
	{ "cft", 100, 50, HFS_REQ_PARTIAL },
	{ "ppp", 10, 0, HFS_REQ_PENDING },
	{ "ppp", 10, 50, HFS_REQ_PENDING },
	{ "ppp", 51, 50, HFS_REQ_TIMEOUT },
	{ "pc", 10, 50, HFS_REQ_IN_PROGRESS },
	{ "pf", 10, 50, HFS_REQ_IN_PROGRESS }, /* one open: not partial yet */
	{ "rc", 10, 50, HFS_REQ_IN_PROGRESS }, /* running but not configured */
	{ "dc", 10, 50, HFS_REQ_IN_PROGRESS }, /* configured but not congruent */
	{ "dc", 51, 50, HFS_REQ_TIMEOUT },
	{ "sc", 10, 50, HFS_REQ_IN_PROGRESS }, /* stopped is open, not lost */
	{ "hf", 10, 50, HFS_REQ_IN_PROGRESS },
	{ "cfp", 51, 50, HFS_REQ_TIMEOUT },
	/* the deadline edge: at the deadline is not past it */
	{ "pc", 49, 50, HFS_REQ_IN_PROGRESS },
	{ "pc", 50, 50, HFS_REQ_IN_PROGRESS },
	{ "pc", 51, 50, HFS_REQ_TIMEOUT },
	{ "p", 50, 50, HFS_REQ_PENDING },
	{ "p", 51, 50, HFS_REQ_TIMEOUT },
	{ "p", 1000000, 0, HFS_REQ_PENDING }, /* 0: no deadline */
};

static void test_reconcile(void **state)
{
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(reconcile_cases) / sizeof(reconcile_cases[0]); i++) {
		const struct reconcile_case *c = &reconcile_cases[i];
		struct hfs_machine_view v[16];
		size_t n = views(c->spec, v);
		enum hfs_request got = hfs_reconcile(v, n, c->now, c->deadline);

		if (got != c->want) {
			print_error("machines '%s' now %lld deadline %lld: got %s, want %s\n", c->spec,
				    (long long)c->now, (long long)c->deadline, hfs_request_name(got),
				    hfs_request_name(c->want));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
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
