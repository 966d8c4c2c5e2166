/* Unit tests for core/deploy_state: all 100 moves against a list kept apart from the table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/deploy_state.h"
#include "util/err.h"

#define LIT(s) s, sizeof(s) - 1

/* The names in enum order, written out here so a renamed state is caught. */
static const char *const names[DEPLOY_STATE_COUNT] = {
	"IDLE", "SIMULATING", "HEALING", "CERTIFYING", "DEPLOYING",
	"VERIFYING", "SUCCESS", "REJECTED", "ROLLBACK", "FAILED",
};

/* Every allowed move; every pair not listed must be refused. */
static const char *const allowed[] = {
	"IDLE>SIMULATING",
	"IDLE>FAILED",
	"SIMULATING>HEALING",
	"SIMULATING>CERTIFYING",
	"SIMULATING>REJECTED",
	"SIMULATING>FAILED",
	"HEALING>SIMULATING",
	"HEALING>REJECTED",
	"HEALING>FAILED",
	"CERTIFYING>DEPLOYING",
	"CERTIFYING>REJECTED",
	"CERTIFYING>FAILED",
	"DEPLOYING>VERIFYING",
	"DEPLOYING>ROLLBACK",
	"DEPLOYING>FAILED",
	"VERIFYING>SUCCESS",
	"VERIFYING>ROLLBACK",
	"VERIFYING>FAILED",
	"ROLLBACK>FAILED",
};

static const char *const terminal[] = { "SUCCESS", "REJECTED", "FAILED" };

static int listed(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], s) == 0)
			return 1;
	}
	return 0;
}

static void test_names(void **state)
{
	enum deploy_state s;
	int i;

	for (i = 0; i < DEPLOY_STATE_COUNT; i++) {
		assert_string_equal(deploy_state_name((enum deploy_state)i), names[i]);
		assert_int_equal(deploy_state_parse(&s, names[i], strlen(names[i])), 0);
		assert_int_equal(s, i);
	}
	assert_string_equal(deploy_state_name((enum deploy_state)DEPLOY_STATE_COUNT), "UNKNOWN");
	assert_string_equal(deploy_state_name((enum deploy_state)-1), "UNKNOWN");
}

static void test_all_pairs(void **state)
{
	char pair[32], want[80];
	size_t nallowed = sizeof(allowed) / sizeof(allowed[0]), seen = 0, checked = 0;
	enum deploy_state s;
	int from, to, r;

	for (from = 0; from < DEPLOY_STATE_COUNT; from++) {
		for (to = 0; to < DEPLOY_STATE_COUNT; to++) {
			int ok;

			snprintf(pair, sizeof(pair), "%s>%s", names[from], names[to]);
			ok = listed(allowed, nallowed, pair);
			seen += (size_t)ok;
			checked++;
			if (deploy_state_can((enum deploy_state)from, (enum deploy_state)to) != ok)
				fail_msg("%s should be %s", pair, ok ? "allowed" : "refused");

			s = (enum deploy_state)from;
			err_clear();
			r = deploy_state_transition(&s, (enum deploy_state)to);
			if (ok) {
				assert_int_equal(r, 0);
				assert_int_equal(s, to);
			} else {
				assert_int_equal(r, ERR_INVALID);
				assert_int_equal(s, from);
				snprintf(want, sizeof(want), "illegal transition '%s' -> '%s'",
				    names[from], names[to]);
				assert_string_equal(err_msg(), want);
			}
		}
	}
	assert_int_equal(checked, 100);
	/* every listed move names real states */
	assert_int_equal(seen, nallowed);
}

static void test_terminal(void **state)
{
	int i;

	for (i = 0; i < DEPLOY_STATE_COUNT; i++) {
		int want = listed(terminal, 3, names[i]);

		if (deploy_state_is_terminal((enum deploy_state)i) != want)
			fail_msg("%s should%s be terminal", names[i], want ? "" : " not");
	}
	assert_false(deploy_state_is_terminal((enum deploy_state)DEPLOY_STATE_COUNT));
}

static void test_walk(void **state)
{
	static const enum deploy_state path[] = {
		DEPLOY_STATE_SIMULATING, DEPLOY_STATE_HEALING, DEPLOY_STATE_SIMULATING,
		DEPLOY_STATE_CERTIFYING, DEPLOY_STATE_DEPLOYING, DEPLOY_STATE_VERIFYING,
		DEPLOY_STATE_SUCCESS,
	};
	enum deploy_state s = DEPLOY_STATE_IDLE;
	size_t i;

	for (i = 0; i < sizeof(path) / sizeof(path[0]); i++)
		assert_int_equal(deploy_state_transition(&s, path[i]), 0);
	assert_int_equal(s, DEPLOY_STATE_SUCCESS);
	assert_int_equal(deploy_state_transition(&s, DEPLOY_STATE_FAILED), ERR_INVALID);
	assert_string_equal(err_msg(), "illegal transition 'SUCCESS' -> 'FAILED'");
	assert_int_equal(s, DEPLOY_STATE_SUCCESS);

	s = DEPLOY_STATE_IDLE;
	assert_int_equal(deploy_state_transition(&s, DEPLOY_STATE_SUCCESS), ERR_INVALID);
	assert_string_equal(err_msg(), "illegal transition 'IDLE' -> 'SUCCESS'");
	assert_int_equal(s, DEPLOY_STATE_IDLE);
}

static void test_out_of_range(void **state)
{
	enum deploy_state s = DEPLOY_STATE_IDLE;

	assert_false(deploy_state_can((enum deploy_state)DEPLOY_STATE_COUNT, DEPLOY_STATE_IDLE));
	assert_false(deploy_state_can(DEPLOY_STATE_IDLE, (enum deploy_state)DEPLOY_STATE_COUNT));
	assert_false(deploy_state_can((enum deploy_state)-1, DEPLOY_STATE_FAILED));
	assert_int_equal(deploy_state_transition(&s, (enum deploy_state)99), ERR_INVALID);
	assert_string_equal(err_msg(), "illegal transition 'IDLE' -> 'UNKNOWN'");
	assert_int_equal(s, DEPLOY_STATE_IDLE);
	s = (enum deploy_state)42;
	assert_int_equal(deploy_state_transition(&s, DEPLOY_STATE_FAILED), ERR_INVALID);
	assert_int_equal(s, 42);
}

struct bad {
	const char *s;
	size_t len;
};

static const struct bad bads[] = {
	{ LIT("") },
	{ LIT("idle") },
	{ LIT("Idle") },
	{ LIT("failed") },
	{ LIT("IDLE ") },
	{ LIT(" IDLE") },
	{ LIT("ID LE") },
	{ LIT("IDLE\0") },
	{ LIT("ID\0LE") },
	{ LIT("\0") },
	{ LIT("IDLE\n") },
	{ LIT("IDLE\t") },
	{ LIT("UNKNOWN") },
	{ LIT("IDLEX") },
	{ LIT("IDL") },
	{ LIT("SUCCESS;") },
	{ LIT("$IDLE") },
	{ LIT("`IDLE`") },
	{ LIT("IDLE|") },
	{ LIT("FAILED&") },
	{ LIT("ROLL BACK") },
	{ LIT("ROLL_BACK") },
	{ LIT("ROLLBACK\xc2\xa0") },
	{ LIT("F\xd0\x90ILED") },
	{ LIT("\xef\xbc\xa9\xef\xbc\xa4\xef\xbc\xac\xef\xbc\xa5") },
	{ LIT("IDLE>SUCCESS") },
	{ LIT("SIMULATING,HEALING") },
	{ LIT("0") },
	{ LIT("9") },
	{ LIT("'IDLE'") },
	{ LIT("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") },
};

static void test_parse_rejects(void **state)
{
	char small[48], big[1024], want[128];
	enum deploy_state s;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];

		err_clear();
		s = DEPLOY_STATE_FAILED;
		if (deploy_state_parse(&s, b->s, b->len) != ERR_INVALID)
			fail_msg("state case %zu was not rejected", i);
		assert_int_equal(s, DEPLOY_STATE_IDLE);
		err_quote(small, sizeof(small), b->s, b->len);
		err_quote(big, sizeof(big), b->s, b->len);
		if (strcmp(small, big) == 0) {
			snprintf(want, sizeof(want), "bad deployment state '%s'", small);
		} else {
			small[strlen(small) - 3] = '\0';
			snprintf(want, sizeof(want), "bad deployment state '%s", small);
		}
		if (strstr(err_msg(), want) == NULL)
			fail_msg("message \"%s\" does not contain \"%s\"", err_msg(), want);
		assert_non_null(strstr(err_msg(), "expected IDLE, SIMULATING"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_all_pairs),
		cmocka_unit_test(test_terminal),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
