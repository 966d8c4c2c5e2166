/* Unit tests for core/ids: generation numbers, session ids and deployment ids. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/ids.h"
#include "check.h"
#include "util/err.h"

struct bad {
	const char *s;
	size_t len;
};

/* Generation numbers */

static const struct {
	const char *in;
	uint32_t v;
} good_gens[] = {
	{ "1", 1 },
	{ "2", 2 },
	{ "9", 9 },
	{ "10", 10 },
	{ "42", 42 },
	{ "100", 100 },
	{ "999999999", 999999999 },
	{ "1000000000", 1000000000 },
	{ "2147483646", 2147483646 },
	{ "2147483647", 2147483647 },
};

static const struct bad bad_gens[] = {
	{ LIT("") },
	{ LIT("0") },
	{ LIT("00") },
	{ LIT("01") },
	{ LIT("007") },
	{ LIT("-1") },
	{ LIT("+1") },
	{ LIT(" 1") },
	{ LIT("1 ") },
	{ LIT("1 2") },
	{ LIT("1\t") },
	{ LIT("1\n") },
	{ LIT("1\0") },
	{ LIT("\0") },
	{ LIT("1\0002") },
	{ LIT("2147483648") },
	{ LIT("4294967295") },
	{ LIT("4294967296") },
	{ LIT("12345678901") },
	{ LIT("99999999999999999999") },
	{ LIT("1.0") },
	{ LIT("1e3") },
	{ LIT("0x10") },
	{ LIT("1,000") },
	{ LIT("1_000") },
	{ LIT("1;") },
	{ LIT("$1") },
	{ LIT("`1`") },
	{ LIT("1|") },
	{ LIT("(1)") },
	{ LIT("\xef\xbc\x91") },
	{ LIT("1\xc2\xa0") },
	{ LIT("\xd9\xa1") },
	{ LIT("\xd0\xb0") },
};

static void test_generation(void **state)
{
	char buf[GENERATION_TEXT_MAX];
	uint32_t g, back;
	size_t i;

	for (i = 0; i < sizeof(good_gens) / sizeof(good_gens[0]); i++) {
		err_clear();
		if (generation_parse(&g, good_gens[i].in, strlen(good_gens[i].in)) != 0)
			fail_msg("'%s' rejected: %s", good_gens[i].in, err_msg());
		assert_int_equal(g, good_gens[i].v);
		assert_int_equal(generation_format(g, buf, sizeof(buf)), 0);
		assert_string_equal(buf, good_gens[i].in);
		assert_int_equal(generation_parse(&back, buf, strlen(buf)), 0);
		assert_int_equal(back, g);
	}
	for (i = 0; i < sizeof(bad_gens) / sizeof(bad_gens[0]); i++) {
		const struct bad *b = &bad_gens[i];

		err_clear();
		g = 77;
		if (generation_parse(&g, b->s, b->len) != ERR_INVALID)
			fail_msg("generation case %zu was not rejected", i);
		assert_quotes("bad generation", b->s, b->len);
		assert_contains(err_msg(), "expected a number from 1 to 2147483647");
		assert_int_equal(g, 0);
	}
}

static void test_generation_format(void **state)
{
	char buf[GENERATION_TEXT_MAX];

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(generation_format(0, buf, sizeof(buf)), ERR_INVALID);
	assert_string_equal(buf, "");
	assert_int_equal(generation_format(GENERATION_MAX + 1, buf, sizeof(buf)), ERR_INVALID);
	assert_int_equal(generation_format(UINT32_MAX, buf, sizeof(buf)), ERR_INVALID);
	assert_int_equal(generation_format(GENERATION_MAX, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2147483647");
	assert_int_equal(generation_format(GENERATION_MAX, buf, 10), ERR_LIMIT);
	assert_string_equal(buf, "");
	assert_int_equal(generation_format(7, buf, 1), ERR_LIMIT);
	assert_int_equal(generation_format(7, buf, 2), 0);
	assert_string_equal(buf, "7");
}

/* Session ids */

static const struct {
	const char *in;
	uint8_t b[SESSION_ID_BYTES];
} good_sessions[] = {
	{ "00000000000000000000000000000000", { 0 } },
	{ "0123456789abcdef0123456789abcdef",
	  { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef } },
	{ "ffffffffffffffffffffffffffffffff",
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	{ "a0b1c2d3e4f5061728394a5b6c7d8e9f",
	  { 0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5, 0x06, 0x17,
	    0x28, 0x39, 0x4a, 0x5b, 0x6c, 0x7d, 0x8e, 0x9f } },
};

static const struct bad bad_sessions[] = {
	{ LIT("") },
	{ LIT("0123456789abcdef0123456789abcde") },
	{ LIT("0123456789abcdef0123456789abcdef0") },
	{ LIT("0123456789ABCDEF0123456789ABCDEF") },
	{ LIT("0123456789abcdef0123456789abcdeF") },
	{ LIT("0123456789abcdef0123456789abcdeg") },
	{ LIT(" 123456789abcdef0123456789abcdef") },
	{ LIT("0123456789abcdef0123456789abcde ") },
	{ LIT(" 0123456789abcdef0123456789abcdef") },
	{ LIT("0123456789abcdef0123456789abcdef ") },
	{ LIT("0123456789abcdef\t123456789abcdef") },
	{ LIT("0123456789abcdef0123456789abcde\n") },
	{ LIT("0123456789abcdef\0" "123456789abcdef") },
	{ LIT("0123456789abcdef0123456789abcde\0") },
	{ LIT("0x23456789abcdef0123456789abcdef") },
	{ LIT("01234567-89ab-cdef-0123-456789abcdef") },
	{ LIT("01234567-89ab-cdef-0123-456789ab") },
	{ LIT("0123456789abcdef0123456789abcde;") },
	{ LIT("$123456789abcdef0123456789abcdef") },
	{ LIT("`123456789abcdef0123456789abcdef") },
	{ LIT("{123456789abcdef0123456789abcde}") },
	{ LIT("0123456789abcdef0123456789abc\xd0\xb0") },
	{ LIT("0123456789abcdef0123456789abcd\xd0\xb0") },
	{ LIT("0123456789abcdef0123456789ab\xef\xbc\x90") },
	{ LIT("0123456789abcdef0123456789abcd\xc2\xa0") },
	{ LIT("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef") },
};

static void test_session_id(void **state)
{
	char buf[SESSION_ID_LEN + 1];
	struct session_id id, back;
	size_t i;

	for (i = 0; i < sizeof(good_sessions) / sizeof(good_sessions[0]); i++) {
		err_clear();
		if (session_id_parse(&id, good_sessions[i].in, SESSION_ID_LEN) != 0)
			fail_msg("'%s' rejected: %s", good_sessions[i].in, err_msg());
		assert_memory_equal(id.b, good_sessions[i].b, SESSION_ID_BYTES);
		assert_int_equal(session_id_format(&id, buf, sizeof(buf)), 0);
		assert_string_equal(buf, good_sessions[i].in);
		assert_int_equal(session_id_parse(&back, buf, strlen(buf)), 0);
		assert_true(session_id_equal(&id, &back));
	}
	for (i = 0; i < sizeof(bad_sessions) / sizeof(bad_sessions[0]); i++) {
		const struct bad *b = &bad_sessions[i];

		err_clear();
		memset(&id, 0x55, sizeof(id));
		if (session_id_parse(&id, b->s, b->len) != ERR_INVALID)
			fail_msg("session id case %zu was not rejected", i);
		assert_quotes("bad session id", b->s, b->len);
		assert_contains(err_msg(), "expected 32 lowercase hex digits");
		assert_memory_equal(id.b, good_sessions[0].b, SESSION_ID_BYTES);
	}
}

static void test_session_id_generate(void **state)
{
	char a[SESSION_ID_LEN + 1], b[SESSION_ID_LEN + 1];
	struct session_id x, y, back;
	size_t i;

	assert_int_equal(session_id_generate(&x), 0);
	assert_int_equal(session_id_generate(&y), 0);
	/* 128 random bits twice the same means the generator is broken */
	assert_false(session_id_equal(&x, &y));
	assert_int_equal(session_id_format(&x, a, sizeof(a)), 0);
	assert_int_equal(session_id_format(&y, b, sizeof(b)), 0);
	assert_int_equal(strlen(a), SESSION_ID_LEN);
	for (i = 0; i < SESSION_ID_LEN; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
	assert_string_not_equal(a, b);
	assert_int_equal(session_id_parse(&back, a, strlen(a)), 0);
	assert_true(session_id_equal(&x, &back));
	/* too small a buffer */
	assert_int_equal(session_id_format(&x, a, SESSION_ID_LEN), ERR_LIMIT);
	assert_string_equal(a, "");
}

/* Deployment ids */

static const struct {
	const char *in;
	uint64_t ms;
	uint8_t b[DEPLOYMENT_ID_BYTES];
} good_deploys[] = {
	{ "00000000000000000000000000", 0, { 0 } },
	{ "00000000010000000000000000", 1, { 0, 0, 0, 0, 0, 1 } },
	{ "7ZZZZZZZZZZZZZZZZZZZZZZZZZ", 0xffffffffffffull,
	  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
	{ "01ARZ3NDEKTSV4RRFFQ69G5FAV", 1469922850259ull,
	  { 0x01, 0x56, 0x3e, 0x3a, 0xb5, 0xd3, 0xd6, 0x76,
	    0x4c, 0x61, 0xef, 0xb9, 0x93, 0x02, 0xbd, 0x5b } },
	{ "0123456789ABCDEFGHJKMNPQRS", 1171591994633ull,
	  { 0x01, 0x10, 0xc8, 0x53, 0x1d, 0x09, 0x52, 0xd8,
	    0xd7, 0x3e, 0x11, 0x94, 0xe9, 0x5b, 0x5f, 0x19 } },
};

static const struct bad bad_deploys[] = {
	{ LIT("") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FA") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FAVX") },
	{ LIT("01arz3ndektsv4rrffq69g5fav") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FAv") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FAI") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FAL") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FAO") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FAU") },
	{ LIT("80000000000000000000000000") },
	{ LIT("ZZZZZZZZZZZZZZZZZZZZZZZZZZ") },
	{ LIT(" 1ARZ3NDEKTSV4RRFFQ69G5FAV") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FA ") },
	{ LIT(" 01ARZ3NDEKTSV4RRFFQ69G5FAV") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FA\t") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FA\n") },
	{ LIT("01ARZ3NDEKTSV\0RRFFQ69G5FAV") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FA\0") },
	{ LIT("01ARZ3NDEK-SV4RRFFQ69G5FAV") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FA;") },
	{ LIT("$1ARZ3NDEKTSV4RRFFQ69G5FAV") },
	{ LIT("`1ARZ3NDEKTSV4RRFFQ69G5FAV") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FA*") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FA#") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5F\xd0\x90") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5\xef\xbc\xa1") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5F\xc2\xa0") },
	{ LIT("01563e3ab5d3d6764c61efb99302bd5b") },
	{ LIT("01ARZ3NDEKTSV4RRFFQ69G5FAV01ARZ3NDEKTSV4RRFFQ69G5FAV") },
};

static void test_deployment_id(void **state)
{
	char buf[DEPLOYMENT_ID_LEN + 1];
	struct deployment_id id, back, made;
	size_t i;

	for (i = 0; i < sizeof(good_deploys) / sizeof(good_deploys[0]); i++) {
		err_clear();
		if (deployment_id_parse(&id, good_deploys[i].in, DEPLOYMENT_ID_LEN) != 0)
			fail_msg("'%s' rejected: %s", good_deploys[i].in, err_msg());
		assert_memory_equal(id.b, good_deploys[i].b, DEPLOYMENT_ID_BYTES);
		assert_true(deployment_id_time_ms(&id) == good_deploys[i].ms);
		assert_int_equal(deployment_id_format(&id, buf, sizeof(buf)), 0);
		assert_string_equal(buf, good_deploys[i].in);
		assert_int_equal(deployment_id_parse(&back, buf, strlen(buf)), 0);
		assert_int_equal(deployment_id_cmp(&id, &back), 0);
		/* built from its parts it is the same id */
		assert_int_equal(deployment_id_make(&made, good_deploys[i].ms,
		    good_deploys[i].b + 6), 0);
		assert_int_equal(deployment_id_cmp(&made, &id), 0);
	}
	for (i = 0; i < sizeof(bad_deploys) / sizeof(bad_deploys[0]); i++) {
		const struct bad *b = &bad_deploys[i];

		err_clear();
		memset(&id, 0x55, sizeof(id));
		if (deployment_id_parse(&id, b->s, b->len) != ERR_INVALID)
			fail_msg("deployment id case %zu was not rejected", i);
		assert_quotes("bad deployment id", b->s, b->len);
		assert_contains(err_msg(), "expected 26 characters");
		assert_memory_equal(id.b, good_deploys[0].b, DEPLOYMENT_ID_BYTES);
	}
}

static void test_deployment_id_order(void **state)
{
	static const uint8_t lo[DEPLOYMENT_ID_RANDOM] = { 0 };
	static const uint8_t hi[DEPLOYMENT_ID_RANDOM] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	char a[DEPLOYMENT_ID_LEN + 1], b[DEPLOYMENT_ID_LEN + 1];
	struct deployment_id x, y;
	uint64_t t = 1717243200000ull;

	/* a later millisecond sorts after, whatever the random part */
	assert_int_equal(deployment_id_make(&x, t, hi), 0);
	assert_int_equal(deployment_id_make(&y, t + 1, lo), 0);
	assert_true(deployment_id_cmp(&x, &y) < 0);
	assert_int_equal(deployment_id_format(&x, a, sizeof(a)), 0);
	assert_int_equal(deployment_id_format(&y, b, sizeof(b)), 0);
	assert_true(strcmp(a, b) < 0);

	/* generated ids carry the time and differ in the random part */
	assert_int_equal(deployment_id_generate(&x, t), 0);
	assert_int_equal(deployment_id_generate(&y, t), 0);
	assert_true(deployment_id_time_ms(&x) == t);
	assert_true(deployment_id_cmp(&x, &y) != 0);
	assert_int_equal(deployment_id_generate(&y, t + 1000), 0);
	assert_true(deployment_id_cmp(&x, &y) < 0);

	/* times past 48 bits are refused */
	err_clear();
	assert_int_equal(deployment_id_generate(&x, DEPLOYMENT_ID_TIME_MAX + 1), ERR_INVALID);
	assert_contains(err_msg(), "over 48 bits");
	assert_int_equal(deployment_id_make(&x, UINT64_MAX, lo), ERR_INVALID);
	assert_int_equal(deployment_id_make(&x, DEPLOYMENT_ID_TIME_MAX, hi), 0);
	assert_true(deployment_id_time_ms(&x) == DEPLOYMENT_ID_TIME_MAX);

	assert_int_equal(deployment_id_format(&x, a, DEPLOYMENT_ID_LEN), ERR_LIMIT);
	assert_string_equal(a, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generation),
		cmocka_unit_test(test_generation_format),
		cmocka_unit_test(test_session_id),
		cmocka_unit_test(test_session_id_generate),
		cmocka_unit_test(test_deployment_id),
		cmocka_unit_test(test_deployment_id_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
