/* Unit tests for core/pipeline_state: the transition function, every move against lists kept apart from it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/pipeline_state.h"
#include "util/err.h"

#define LIT(s) s, sizeof(s) - 1

/* The names in enum order, written out here so a renamed state is caught. */
static const char *const names[PL_STATES] = {
	"IDLE", "SIMULATING", "HEALING", "CERTIFYING", "DEPLOYING", "VERIFYING", "SUCCESS", "REJECTED", "ROLLBACK",
};

/* Every allowed move; every pair not listed must be refused. */
static const char *const allowed[] = {
	"IDLE>SIMULATING",
	"SIMULATING>HEALING",
	"SIMULATING>CERTIFYING",
	"SIMULATING>REJECTED",
	"HEALING>CERTIFYING",
	"HEALING>REJECTED",
	"CERTIFYING>DEPLOYING",
	"CERTIFYING>REJECTED",
	"DEPLOYING>VERIFYING",
	"DEPLOYING>SUCCESS",
	"DEPLOYING>ROLLBACK",
	"DEPLOYING>REJECTED",
	"VERIFYING>SUCCESS",
	"VERIFYING>ROLLBACK",
	"VERIFYING>REJECTED",
};

static const char *const final[] = { "SUCCESS", "REJECTED", "ROLLBACK" };

static int listed(const char *const *list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(list[i], s) == 0)
			return 1;
	}
	return 0;
}

/* ---- names ---- */

static void test_names(void **state)
{
	enum pipeline_state s;
	int i;

	for (i = 0; i < PL_STATES; i++) {
		assert_string_equal(pipeline_state_name((enum pipeline_state)i), names[i]);
		assert_int_equal(pipeline_state_parse(&s, names[i], strlen(names[i])), 0);
		assert_int_equal(s, i);
	}
	assert_string_equal(pipeline_state_name(PL_STATES), "UNKNOWN");
	assert_string_equal(pipeline_state_name((enum pipeline_state)-1), "UNKNOWN");
	assert_string_equal(pipeline_state_name((enum pipeline_state)100), "UNKNOWN");
}

static void test_outcome_names(void **state)
{
	assert_string_equal(pipeline_outcome_name(PL_OK), "ok");
	assert_string_equal(pipeline_outcome_name(PL_FIXABLE), "fixable");
	assert_string_equal(pipeline_outcome_name(PL_FAILED), "failed");
	assert_string_equal(pipeline_outcome_name(PL_CHANGED), "failed after changes");
	assert_string_equal(pipeline_outcome_name(-5), "error");
	assert_string_equal(pipeline_outcome_name(PL_OUTCOMES), "error");
}

/* ---- the transition function ---- */

/* The rules of pipeline_state.h's comment, written out state by state. */
static enum pipeline_state rule(enum pipeline_state cur, enum pipeline_outcome o, bool no_heal, bool dry_run,
				bool can_rollback)
{
	switch (cur) {
	case PL_IDLE:
		return PL_SIMULATING;
	case PL_SIMULATING:
		if (o == PL_OK)
			return PL_CERTIFYING;
		if (o == PL_FIXABLE)
			return no_heal ? PL_REJECTED : PL_HEALING;
		return PL_REJECTED;
	case PL_HEALING:
		return o == PL_OK ? PL_CERTIFYING : PL_REJECTED;
	case PL_CERTIFYING:
		return o == PL_OK ? PL_DEPLOYING : PL_REJECTED;
	case PL_DEPLOYING:
		if (o == PL_OK)
			return dry_run ? PL_SUCCESS : PL_VERIFYING;
		if (o == PL_CHANGED)
			return can_rollback ? PL_ROLLBACK : PL_REJECTED;
		return PL_REJECTED;
	case PL_VERIFYING:
		if (o == PL_OK)
			return PL_SUCCESS;
		return can_rollback ? PL_ROLLBACK : PL_REJECTED;
	default:
		return cur;
	}
}

static void test_next_table(void **state)
{
	static const char *const outs[] = { "OK", "FIXABLE", "FAILED", "CHANGED" };
	int s, o, bits, checked = 0;

	for (s = 0; s < PL_STATES; s++)
		for (o = PL_OK; o <= PL_CHANGED; o++)
			for (bits = 0; bits < 8; bits++) {
				struct pipeline_flags f = { .no_heal = bits & 1, .dry_run = bits & 2,
							    .can_rollback = bits & 4 };
				enum pipeline_state want = rule((enum pipeline_state)s, (enum pipeline_outcome)o, f.no_heal,
								f.dry_run, f.can_rollback);
				enum pipeline_state got = pipeline_state_next((enum pipeline_state)s,
									      (enum pipeline_outcome)o, &f);

				if (got != want)
					fail_msg("%s on %s (no_heal=%d dry_run=%d can_rollback=%d): %s, want %s", names[s],
						 outs[o], f.no_heal, f.dry_run, f.can_rollback, pipeline_state_name(got),
						 names[want]);
				checked++;
			}
	assert_int_equal(checked, PL_STATES * 4 * 8);
}

/* A few rows spelled out, so a wrong oracle cannot hide a wrong table. */
static void test_next_rows(void **state)
{
	struct pipeline_flags none = { 0 }, noheal = { .no_heal = true }, dry = { .dry_run = true },
			      rb = { .can_rollback = true }, all = { true, true, true };

	assert_int_equal(pipeline_state_next(PL_IDLE, PL_FAILED, &none), PL_SIMULATING);
	assert_int_equal(pipeline_state_next(PL_SIMULATING, PL_FIXABLE, &none), PL_HEALING);
	assert_int_equal(pipeline_state_next(PL_SIMULATING, PL_FIXABLE, &noheal), PL_REJECTED);
	assert_int_equal(pipeline_state_next(PL_SIMULATING, PL_FAILED, &none), PL_REJECTED);
	assert_int_equal(pipeline_state_next(PL_SIMULATING, PL_CHANGED, &rb), PL_REJECTED);
	assert_int_equal(pipeline_state_next(PL_HEALING, PL_FIXABLE, &none), PL_REJECTED);
	assert_int_equal(pipeline_state_next(PL_CERTIFYING, PL_FAILED, &rb), PL_REJECTED);
	assert_int_equal(pipeline_state_next(PL_CERTIFYING, PL_CHANGED, &rb), PL_REJECTED);
	assert_int_equal(pipeline_state_next(PL_DEPLOYING, PL_OK, &dry), PL_SUCCESS);
	assert_int_equal(pipeline_state_next(PL_DEPLOYING, PL_OK, &rb), PL_VERIFYING);
	assert_int_equal(pipeline_state_next(PL_DEPLOYING, PL_FAILED, &rb), PL_REJECTED);
	assert_int_equal(pipeline_state_next(PL_DEPLOYING, PL_CHANGED, &rb), PL_ROLLBACK);
	assert_int_equal(pipeline_state_next(PL_DEPLOYING, PL_CHANGED, &none), PL_REJECTED);
	assert_int_equal(pipeline_state_next(PL_VERIFYING, PL_FAILED, &rb), PL_ROLLBACK);
	assert_int_equal(pipeline_state_next(PL_VERIFYING, PL_FAILED, &none), PL_REJECTED);
	assert_int_equal(pipeline_state_next(PL_VERIFYING, PL_OK, &all), PL_SUCCESS);
	assert_int_equal(pipeline_state_next(PL_SUCCESS, PL_FAILED, &all), PL_SUCCESS);
	assert_int_equal(pipeline_state_next(PL_REJECTED, PL_OK, &all), PL_REJECTED);
	assert_int_equal(pipeline_state_next(PL_ROLLBACK, PL_OK, &all), PL_ROLLBACK);
	assert_int_equal(pipeline_state_next((enum pipeline_state)42, PL_OK, &all), 42);
}

/* ---- the moves allowed ---- */

static void test_all_pairs(void **state)
{
	char pair[32], want[80];
	size_t nallowed = sizeof(allowed) / sizeof(allowed[0]), seen = 0, checked = 0;
	enum pipeline_state s;
	int from, to, r;

	for (from = 0; from < PL_STATES; from++) {
		for (to = 0; to < PL_STATES; to++) {
			int ok;

			snprintf(pair, sizeof(pair), "%s>%s", names[from], names[to]);
			ok = listed(allowed, nallowed, pair);
			seen += (size_t)ok;
			checked++;
			if (pipeline_state_can((enum pipeline_state)from, (enum pipeline_state)to) != ok)
				fail_msg("%s should be %s", pair, ok ? "allowed" : "refused");

			s = (enum pipeline_state)from;
			err_clear();
			r = pipeline_state_transition(&s, (enum pipeline_state)to);
			if (ok) {
				assert_int_equal(r, 0);
				assert_int_equal(s, to);
			} else {
				assert_int_equal(r, ERR_INVALID);
				assert_int_equal(s, from);
				snprintf(want, sizeof(want), "illegal transition '%s' -> '%s'", names[from], names[to]);
				assert_string_equal(err_msg(), want);
			}
		}
	}
	assert_int_equal(checked, PL_STATES * PL_STATES);
	/* every listed move names real states */
	assert_int_equal(seen, nallowed);
}

static void test_final(void **state)
{
	int i;

	for (i = 0; i < PL_STATES; i++) {
		int want = listed(final, 3, names[i]);

		if (pipeline_state_is_final((enum pipeline_state)i) != want)
			fail_msg("%s should%s be final", names[i], want ? "" : " not");
	}
	assert_false(pipeline_state_is_final(PL_STATES));
}

static void test_walk(void **state)
{
	static const enum pipeline_state path[] = {
		PL_SIMULATING, PL_HEALING, PL_CERTIFYING, PL_DEPLOYING, PL_VERIFYING, PL_SUCCESS,
	};
	enum pipeline_state s = PL_IDLE;
	size_t i;

	for (i = 0; i < sizeof(path) / sizeof(path[0]); i++)
		assert_int_equal(pipeline_state_transition(&s, path[i]), 0);
	assert_int_equal(s, PL_SUCCESS);
	assert_int_equal(pipeline_state_transition(&s, PL_REJECTED), ERR_INVALID);
	assert_string_equal(err_msg(), "illegal transition 'SUCCESS' -> 'REJECTED'");
	assert_int_equal(s, PL_SUCCESS);

	s = PL_IDLE;
	assert_int_equal(pipeline_state_transition(&s, PL_SUCCESS), ERR_INVALID);
	assert_string_equal(err_msg(), "illegal transition 'IDLE' -> 'SUCCESS'");
	assert_int_equal(s, PL_IDLE);

	/* HEALING leads on to CERTIFYING: the healed text was simulated by heal itself. */
	s = PL_HEALING;
	assert_int_equal(pipeline_state_transition(&s, PL_SIMULATING), ERR_INVALID);
	assert_string_equal(err_msg(), "illegal transition 'HEALING' -> 'SIMULATING'");
}

static void test_out_of_range(void **state)
{
	enum pipeline_state s = PL_IDLE;

	assert_false(pipeline_state_can(PL_STATES, PL_IDLE));
	assert_false(pipeline_state_can(PL_IDLE, PL_STATES));
	assert_false(pipeline_state_can((enum pipeline_state)-1, PL_REJECTED));
	assert_false(pipeline_state_can(PL_SIMULATING, PL_SIMULATING));
	assert_int_equal(pipeline_state_transition(&s, (enum pipeline_state)99), ERR_INVALID);
	assert_string_equal(err_msg(), "illegal transition 'IDLE' -> 'UNKNOWN'");
	assert_int_equal(s, PL_IDLE);
	s = (enum pipeline_state)42;
	assert_int_equal(pipeline_state_transition(&s, PL_REJECTED), ERR_INVALID);
	assert_int_equal(s, 42);
}

/* ---- parse ---- */

struct bad {
	const char *s;
	size_t len;
};

static const struct bad bads[] = {
	{ LIT("") },
	{ LIT("idle") },
	{ LIT("Idle") },
	{ LIT("rejected") },
	{ LIT("FAILED") },
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
	{ LIT("REJECTED&") },
	{ LIT("ROLL BACK") },
	{ LIT("ROLL_BACK") },
	{ LIT("ROLLBACK\xc2\xa0") },
	{ LIT("R\xd0\x95JECTED") },
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
	enum pipeline_state s;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];

		err_clear();
		s = PL_REJECTED;
		if (pipeline_state_parse(&s, b->s, b->len) != ERR_INVALID)
			fail_msg("state case %zu was not rejected", i);
		assert_int_equal(s, PL_IDLE);
		err_quote(small, sizeof(small), b->s, b->len);
		err_quote(big, sizeof(big), b->s, b->len);
		if (strcmp(small, big) == 0) {
			snprintf(want, sizeof(want), "bad pipeline state '%s'", small);
		} else {
			small[strlen(small) - 3] = '\0';
			snprintf(want, sizeof(want), "bad pipeline state '%s", small);
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
		cmocka_unit_test(test_outcome_names),
		cmocka_unit_test(test_next_table),
		cmocka_unit_test(test_next_rows),
		cmocka_unit_test(test_all_pairs),
		cmocka_unit_test(test_final),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_parse_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
