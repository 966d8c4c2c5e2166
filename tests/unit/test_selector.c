/* Unit tests for core/selector: names, @tags, globs, all, lists, --exclude, and the errors that name the element. */
#include "check.h"

#include <stdbool.h>

#include "core/selector.h"

static char *web_tags[] = { "web", "eu" };
static char *db_tags[] = { "db", "eu" };
static char *edge_tags[] = { "web", "us" };

static const struct sel_machine fleet[] = {
	{ "web-1", web_tags, 2 },
	{ "web-2", web_tags, 2 },
	{ "db-1", db_tags, 2 },
	{ "edge.us", edge_tags, 2 },
};
#define N (sizeof(fleet) / sizeof(fleet[0]))

/* Select SPEC and return the names in order, comma-joined, into OUT. */
static int pick(const char *spec, char *out, size_t len)
{
	size_t order[N], n = 0, i, o = 0;
	int r = selector_select(spec, strlen(spec), fleet, N, NULL, NULL, order, &n);

	out[0] = '\0';
	for (i = 0; r == 0 && i < n; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "," : "", fleet[order[i]].name);
	return r;
}

static void test_match(void **state)
{
	(void)state;
	assert_true(selector_match(LIT("web-1"), &fleet[0]));
	assert_false(selector_match(LIT("web-"), &fleet[0]));
	assert_true(selector_match(LIT("all"), &fleet[2]));
	assert_true(selector_match(LIT("@eu"), &fleet[2]));
	assert_false(selector_match(LIT("@us"), &fleet[2]));
	assert_false(selector_match(LIT("@"), &fleet[2]));
	assert_true(selector_match(LIT("web-*"), &fleet[1]));
	assert_false(selector_match(LIT("web-*"), &fleet[3]));
	assert_true(selector_match(LIT("*-[12]"), &fleet[2]));
	assert_true(selector_match(LIT("edge.??"), &fleet[3]));
	assert_false(selector_match(LIT(""), &fleet[0]));
	assert_true(selector_is_glob(LIT("db-[12]")));
	assert_false(selector_is_glob(LIT("db-1")));
}

static void test_select_order(void **state)
{
	char got[256];

	(void)state;
	assert_int_equal(pick("all", got, sizeof(got)), 0);
	assert_string_equal(got, "web-1,web-2,db-1,edge.us");
	/* The order elements are given in, each machine once. */
	assert_int_equal(pick("db-1,@web", got, sizeof(got)), 0);
	assert_string_equal(got, "db-1,web-1,web-2,edge.us");
	assert_int_equal(pick("@eu,web-*,db-1", got, sizeof(got)), 0);
	assert_string_equal(got, "web-1,web-2,db-1");
	assert_int_equal(pick("edge.us", got, sizeof(got)), 0);
	assert_string_equal(got, "edge.us");
}

static void test_no_match(void **state)
{
	char got[256];

	(void)state;
	assert_int_equal(pick("web-9", got, sizeof(got)), ERR_INVALID);
	assert_contains(err_msg(), "selector 'web-9' matches no machine");
	/* The message lists what there is. */
	assert_contains(err_msg(), "web-1, web-2, db-1, edge.us");
	assert_contains(err_msg(), "tags: @web, @eu, @db, @us");
	assert_int_equal(pick("@nope", got, sizeof(got)), ERR_INVALID);
	assert_contains(err_msg(), "'@nope'");
	assert_int_equal(pick("web-1,,db-1", got, sizeof(got)), ERR_INVALID);
	assert_contains(err_msg(), "empty element");
	assert_int_equal(pick("", got, sizeof(got)), ERR_INVALID);
}

struct seen {
	char what[64];
	int calls;
};

/* Takes "10.0.0.1" and "@lab", refuses the rest. */
static int other(const char *e, size_t len, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	snprintf(s->what, sizeof(s->what), "%.*s", (int)len, e);
	if ((len == 8 && memcmp(e, "10.0.0.1", 8) == 0) || (len == 4 && memcmp(e, "@lab", 4) == 0))
		return 0;
	return ERR_NOTFOUND;
}

static void test_other(void **state)
{
	struct seen s = { "", 0 };
	size_t order[N], n = 0;

	(void)state;
	assert_int_equal(selector_select(LIT("web-1,10.0.0.1"), fleet, N, other, &s, order, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.what, "10.0.0.1");
	n = 0;
	assert_int_equal(selector_select(LIT("@lab"), fleet, N, other, &s, order, &n), 0);
	assert_int_equal(n, 0);
	n = 0;
	assert_int_equal(selector_select(LIT("db-2"), fleet, N, other, &s, order, &n), ERR_INVALID);
	assert_string_equal(s.what, "db-2");
	assert_contains(err_msg(), "selector 'db-2' matches no machine");
}

static void test_exclude(void **state)
{
	size_t order[N], n = 0, i;
	char got[256] = "";
	size_t o = 0;

	(void)state;
	assert_int_equal(selector_select(LIT("all"), fleet, N, NULL, NULL, order, &n), 0);
	assert_int_equal(selector_exclude(LIT("@db,edge.*"), fleet, N, NULL, NULL, order, &n), 0);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s", i ? "," : "", fleet[order[i]].name);
	assert_string_equal(got, "web-1,web-2");
	assert_int_equal(selector_exclude(LIT("web-7"), fleet, N, NULL, NULL, order, &n), ERR_INVALID);
	assert_contains(err_msg(), "--exclude 'web-7' matches no machine");
	/* Excluding a machine that was not selected is fine: it matches one. */
	assert_int_equal(selector_exclude(LIT("db-1"), fleet, N, NULL, NULL, order, &n), 0);
	assert_int_equal(n, 2);
}

static void test_empty_inventory(void **state)
{
	size_t order[1], n = 0;

	(void)state;
	assert_int_equal(selector_select(LIT("all"), fleet, 0, NULL, NULL, order, &n), ERR_INVALID);
	assert_contains(err_msg(), "the inventory has no machines");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_select_order),
		cmocka_unit_test(test_no_match),
		cmocka_unit_test(test_other),
		cmocka_unit_test(test_exclude),
		cmocka_unit_test(test_empty_inventory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
