/* Unit tests for core/gc_plan: the age a collection takes, and which generations it deletes and why the others stay. */
#include "check.h"

#include "core/gc_plan.h"
#include "core/profile.h"
#include "util/err.h"


/* A generation list of N generations numbered FIRST.., made at times 100, 200, ..., on P(i). */
static void gens_make(struct gen_list *l, uint32_t first, size_t n, uint32_t current)
{
	size_t i;

	gen_list_init(l);
	l->items = calloc(n ? n : 1, sizeof(*l->items));
	assert_non_null(l->items);
	l->n = n;
	for (i = 0; i < n; i++) {
		l->items[i].num = first + (uint32_t)i;
		l->items[i].time = 100 * (int64_t)(i + 1);
		snprintf(l->items[i].path, sizeof(l->items[i].path), "/nix/store/%032zu-sys", i + first);
	}
	l->current = current;
	if (current)
		snprintf(l->current_path, sizeof(l->current_path), "/nix/store/%032u-sys", current);
}

/* The plan's verdicts as "N:why,why N:- ..." ("-" for deleted), for one-line comparisons. */
static const char *verdicts(const struct gc_plan *p)
{
	static char out[512];
	size_t i, len = 0;
	unsigned b;

	out[0] = 0;
	for (i = 0; i < p->n; i++) {
		const struct gc_choice *c = &p->items[i];
		int first = 1;

		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%u:", i ? " " : "", c->num);
		if (!c->why)
			len += (size_t)snprintf(out + len, sizeof(out) - len, "-");
		for (b = 0; b < GC_WHY_COUNT; b++)
			if (c->why & (1u << b)) {
				len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", first ? "" : ",",
							gc_why_name(1u << b));
				first = 0;
			}
	}
	return out;
}

static void test_age_good(void **state)
{
	static const struct { const char *s; int64_t v; } good[] = {
		{ "0d", 0 }, { "30d", 30 * 86400 }, { "12h", 12 * 3600 }, { "5m", 300 }, { "10s", 10 },
		{ "2w", 14 * 86400 }, { "36500d", 36500LL * 86400 }, { "007h", 7 * 3600 }, { "0s", 0 },
		{ "3153600000s", 3153600000LL },
	};
	size_t i;
	int64_t v;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		if (gc_age_parse("--older-than", good[i].s, &v) != 0 || v != good[i].v)
			fail_msg("'%s' gave %lld, expected %lld", good[i].s, (long long)v, (long long)good[i].v);
	}
}

static void test_age_bad(void **state)
{
	static const char *const bad[] = { "", "d", "30", "30x", "-1d", "+1d", " 1d", "1d ", "1.5d", "36501d",
					   "99999999999d", "1dd", "1D", "1 d", "5215w", "3153600001s", "0x10d", "h12" };
	size_t i;
	int64_t v;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		if (gc_age_parse("--older-than", bad[i], &v) != ERR_INVALID)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(v, 0);
		assert_quotes("bad --older-than", bad[i], strlen(bad[i]));
		assert_contains(err_msg(), "expected a whole number and one unit, s, m, h, d or w");
	}
}

static void test_why_names(void **state)
{
	(void)state;
	assert_string_equal(gc_why_name(GC_WHY_CURRENT), "current");
	assert_string_equal(gc_why_name(GC_WHY_NEWEST), "newest");
	assert_string_equal(gc_why_name(GC_WHY_YOUNGER), "younger");
	assert_string_equal(gc_why_name(GC_WHY_DEADMAN), "deadman");
	assert_string_equal(gc_why_name(GC_WHY_WATCH), "watch");
	assert_string_equal(gc_why_name(GC_WHY_ROLLBACK), "rollback");
	assert_string_equal(gc_why_name(0), "unknown");
	assert_string_equal(gc_why_name(GC_WHY_CURRENT | GC_WHY_NEWEST), "unknown");
	assert_string_equal(gc_why_name(1u << GC_WHY_COUNT), "unknown");
}

/* Six generations, the last current, --keep 2 --older-than 0d: the current and the one before stay. */
static void test_keep_two_of_six(void **state)
{
	struct gen_list g;
	struct gc_plan p;

	(void)state;
	gens_make(&g, 1, 6, 6);
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 0, 2 }, NULL, 0, &p), 0);
	assert_string_equal(verdicts(&p), "1:- 2:- 3:- 4:- 5:newest 6:current,newest");
	assert_int_equal(p.ndelete, 4);
	assert_string_equal(p.items[0].path, "/nix/store/00000000000000000000000000000001-sys");
	assert_int_equal(p.items[3].time, 400);
	assert_string_equal(p.items[5].by, "");
	gc_plan_release(&p);
	assert_null(p.items);
	/* --keep 1: only the current one. */
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 0, 1 }, NULL, 0, &p), 0);
	assert_string_equal(verdicts(&p), "1:- 2:- 3:- 4:- 5:- 6:current,newest");
	gc_plan_release(&p);
	/* --keep past the number of generations keeps them all. */
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 0, 1000 }, NULL, 0, &p), 0);
	assert_int_equal(p.ndelete, 0);
	gc_plan_release(&p);
	gen_list_release(&g);
}

/* Only generations made before now minus the age are old; one made at exactly that second is not. */
static void test_older_than(void **state)
{
	struct gen_list g;
	struct gc_plan p;

	(void)state;
	gens_make(&g, 1, 6, 6);
	/* now 1000, age 500: old means made before 500; generation 5 was made at 500. */
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 500, 1 }, NULL, 0, &p), 0);
	assert_string_equal(verdicts(&p), "1:- 2:- 3:- 4:- 5:younger 6:current,newest,younger");
	gc_plan_release(&p);
	/* 0d at now 600: generation 6 (made at 600) is not older than now. */
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 600, 0, 1 }, NULL, 0, &p), 0);
	assert_string_equal(verdicts(&p), "1:- 2:- 3:- 4:- 5:- 6:current,newest,younger");
	gc_plan_release(&p);
	/* No age given (negative): every generation is old. */
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 0, -1, 1 }, NULL, 0, &p), 0);
	assert_int_equal(p.ndelete, 5);
	gc_plan_release(&p);
	/* An age longer than every generation's: nothing goes. */
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 30 * 86400, 1 }, NULL, 0, &p), 0);
	assert_int_equal(p.ndelete, 0);
	gc_plan_release(&p);
	gen_list_release(&g);
}

/* After a rollback the current generation is not among the newest: it stays all the same. */
static void test_current_not_newest(void **state)
{
	struct gen_list g;
	struct gc_plan p;

	(void)state;
	gens_make(&g, 1, 6, 3);
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 0, 2 }, NULL, 0, &p), 0);
	assert_string_equal(verdicts(&p), "1:- 2:- 3:current 4:- 5:newest 6:newest");
	gc_plan_release(&p);
	gen_list_release(&g);
	/* A profile that is no generation link: the generations on its path count as current. */
	gens_make(&g, 1, 4, 0);
	snprintf(g.current_path, sizeof(g.current_path), "%s", g.items[1].path);
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 0, 1 }, NULL, 0, &p), 0);
	assert_string_equal(verdicts(&p), "1:- 2:current 3:- 4:newest");
	gc_plan_release(&p);
	gen_list_release(&g);
}

static void test_protections(void **state)
{
	struct gen_list g;
	struct gc_plan p;
	const struct gc_protect prot[] = {
		{ GC_WHY_DEADMAN, 2, false, NULL, "01J9ZK3M4N5P6Q7R8S9T0V1W2X" },
		{ GC_WHY_WATCH, 0, false, "/nix/store/00000000000000000000000000000001-sys", "01WATCH" },
		{ GC_WHY_ROLLBACK, 0, true, NULL, "01ROLL" },
		{ GC_WHY_ROLLBACK, 9, false, "", NULL },	/* a generation the node does not have: nothing */
	};

	(void)state;
	/* Generations 1..6, current 5: the previous one is 4. */
	gens_make(&g, 1, 6, 5);
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 0, 1 }, prot, 4, &p), 0);
	assert_string_equal(verdicts(&p), "1:watch 2:deadman 3:- 4:rollback 5:current 6:newest");
	assert_int_equal(p.ndelete, 1);
	assert_string_equal(p.items[0].by, "01WATCH");
	assert_string_equal(p.items[1].by, "01J9ZK3M4N5P6Q7R8S9T0V1W2X");
	assert_string_equal(p.items[3].by, "01ROLL");
	assert_string_equal(p.items[2].by, "");
	gc_plan_release(&p);
	/* A path protects every generation on it; reasons add up, the first "by" stays. */
	snprintf(g.items[2].path, sizeof(g.items[2].path), "%s", g.items[0].path);
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 0, 1 }, prot, 3, &p), 0);
	assert_string_equal(verdicts(&p), "1:watch 2:deadman 3:watch 4:rollback 5:current 6:newest");
	gc_plan_release(&p);
	{
		const struct gc_protect two[] = { { GC_WHY_WATCH, 6, false, NULL, "A" },
						  { GC_WHY_DEADMAN, 6, false, NULL, "B" } };

		assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 0, 1 }, two, 2, &p), 0);
		assert_string_equal(verdicts(&p), "1:- 2:- 3:- 4:- 5:current 6:newest,deadman,watch");
		assert_string_equal(p.items[5].by, "A");
		gc_plan_release(&p);
	}
	gen_list_release(&g);
}

static void test_no_generations(void **state)
{
	struct gen_list g;
	struct gc_plan p;
	const struct gc_protect prot[] = { { GC_WHY_ROLLBACK, 0, true, NULL, NULL } };

	(void)state;
	gen_list_init(&g);
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 0, 2 }, prot, 1, &p), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.ndelete, 0);
	assert_null(p.items);
	gc_plan_release(&p);
	/* One generation, current: "previous" names none, and it stays. */
	gens_make(&g, 7, 1, 7);
	assert_int_equal(gc_plan_make(&g, &(struct gc_plan_opts){ 1000, 0, 1 }, prot, 1, &p), 0);
	assert_string_equal(verdicts(&p), "7:current,newest");
	gc_plan_release(&p);
	gen_list_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_age_good),
		cmocka_unit_test(test_age_bad),
		cmocka_unit_test(test_why_names),
		cmocka_unit_test(test_keep_two_of_six),
		cmocka_unit_test(test_older_than),
		cmocka_unit_test(test_current_not_newest),
		cmocka_unit_test(test_protections),
		cmocka_unit_test(test_no_generations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
