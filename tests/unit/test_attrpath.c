/* Unit tests for core/attrpath: dot-separated attribute names, bare and quoted. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/attrpath.h"
#include "check.h"
#include "util/err.h"

#define MAXSEG 6

struct good {
	const char *in;
	size_t n;
	const char *seg[MAXSEG];
	const char *canon;
};

static const struct good goods[] = {
	{ "a", 1, { "a" }, "a" },
	{ "packages.x86_64-linux.default", 3, { "packages", "x86_64-linux", "default" },
	  "packages.x86_64-linux.default" },
	{ "nixosConfigurations.web-1.config.system.build.toplevel", 6,
	  { "nixosConfigurations", "web-1", "config", "system", "build", "toplevel" },
	  "nixosConfigurations.web-1.config.system.build.toplevel" },
	{ "0", 1, { "0" }, "0" },
	{ "a.0.b", 3, { "a", "0", "b" }, "a.0.b" },
	{ "host-1", 1, { "host-1" }, "host-1" },
	{ "_private", 1, { "_private" }, "_private" },
	{ "a'b-", 1, { "a'b-" }, "a'b-" },
	{ "A.Z_9", 2, { "A", "Z_9" }, "A.Z_9" },
	{ "a.\"b.c\"", 2, { "a", "b.c" }, "a.\"b.c\"" },
	{ "\"a\"", 1, { "a" }, "a" },
	{ "\"x\".\"y\"", 2, { "x", "y" }, "x.y" },
	{ "\"with space\".x", 2, { "with space", "x" }, "\"with space\".x" },
	{ "\"-flag\"", 1, { "-flag" }, "\"-flag\"" },
	{ "\"'q\"", 1, { "'q" }, "\"'q\"" },
	{ "\" \"", 1, { " " }, "\" \"" },
	{ "\"a;b|c&d(e)<f>*?!{}~#'\".z", 2, { "a;b|c&d(e)<f>*?!{}~#'", "z" },
	  "\"a;b|c&d(e)<f>*?!{}~#'\".z" },
	{ "x.\"1.2\".\"@:/\"", 3, { "x", "1.2", "@:/" }, "x.\"1.2\".\"@:/\"" },
};

struct bad {
	const char *s;
	size_t len;
	const char *hint;	/* must appear in the message too, or NULL */
};

static const struct bad bads[] = {
	/* empty names */
	{ LIT(""), "expected names separated by '.'" },
	{ LIT("."), "empty name" },
	{ LIT(".."), "empty name" },
	{ LIT("a..b"), "empty name" },
	{ LIT(".a"), "empty name" },
	{ LIT("a."), "empty name" },
	{ LIT("a.b."), "empty name" },
	{ LIT("\"\""), "empty name" },
	{ LIT("a.\"\""), "empty name" },
	/* whitespace and NUL */
	{ LIT(" a"), "bad character" },
	{ LIT("a "), "bad character" },
	{ LIT("a b"), "bad character" },
	{ LIT("a\tb"), "bad character" },
	{ LIT("a\n"), "bad character" },
	{ LIT("a\0b"), "bad character" },
	{ LIT("a\0"), "bad character" },
	{ LIT("\"a\0b\""), "quoted names" },
	{ LIT("\"a\tb\""), "quoted names" },
	{ LIT("\"a\nb\""), "quoted names" },
	{ LIT("\"\x7f\""), "quoted names" },
	/* shell metacharacters outside quotes */
	{ LIT("a;b"), "bad character" },
	{ LIT("a|b"), "bad character" },
	{ LIT("a&b"), "bad character" },
	{ LIT("$a"), "bad character" },
	{ LIT("a`b`"), "bad character" },
	{ LIT("a(b)"), "bad character" },
	{ LIT("a<b"), "bad character" },
	{ LIT("a>b"), "bad character" },
	{ LIT("a\\b"), "bad character" },
	{ LIT("a\"b\""), "bad character" },
	{ LIT("a*"), "bad character" },
	{ LIT("a?"), "bad character" },
	{ LIT("a!"), "bad character" },
	{ LIT("{a}"), "bad character" },
	{ LIT("~a"), "bad character" },
	{ LIT("a#b"), "bad character" },
	{ LIT("a/b"), "bad character" },
	{ LIT("a:b"), "bad character" },
	{ LIT("a,b"), "bad character" },
	{ LIT("a=b"), "bad character" },
	{ LIT("a+b"), "bad character" },
	/* what quotes may not hold */
	{ LIT("\"a$b\""), "quoted names" },
	{ LIT("\"${x}\""), "quoted names" },
	{ LIT("\"a`b\""), "quoted names" },
	{ LIT("\"a\\\\b\""), "quoted names" },
	{ LIT("\"a\\\"b\""), "quoted names" },
	/* bad first characters */
	{ LIT("-a"), "must be quoted" },
	{ LIT("'a"), "must be quoted" },
	{ LIT("a.-b"), "must be quoted" },
	/* broken quoting */
	{ LIT("\"a"), "unterminated quote" },
	{ LIT("a.\"b"), "unterminated quote" },
	{ LIT("\""), "unterminated quote" },
	{ LIT("\"a\"b"), "expected '.' after a quoted name" },
	{ LIT("\"a\"\"b\""), "expected '.' after a quoted name" },
	{ LIT("\"a\"."), "empty name" },
	/* Unicode look-alikes */
	{ LIT("a\xef\xbc\x9a" "b"), "bad character" },
	{ LIT("\xd0\xb0"), "bad character" },
	{ LIT("a\xc2\xa0"), "bad character" },
	{ LIT("a\xef\xbc\x8e" "b"), "bad character" },
	{ LIT("\"\xd0\xb0\""), "quoted names" },
	{ LIT("a\xef\xbc\xa0" "b"), "bad character" },
};

static void check_segments(const struct attrpath *p, const char *const *seg, size_t n)
{
	size_t i;

	assert_int_equal(attrpath_count(p), n);
	for (i = 0; i < n; i++)
		assert_string_equal(attrpath_segment(p, i), seg[i]);
	assert_null(attrpath_segment(p, n));
}

static void test_accepts(void **state)
{
	char buf[ATTRPATH_FORMAT_MAX];
	struct attrpath p, back;
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		err_clear();
		if (attrpath_parse(&p, g->in, strlen(g->in)) != 0)
			fail_msg("'%s' rejected: %s", g->in, err_msg());
		check_segments(&p, g->seg, g->n);
		assert_int_equal(attrpath_format(&p, buf, sizeof(buf)), 0);
		assert_string_equal(buf, g->canon);
		assert_int_equal(attrpath_parse(&back, buf, strlen(buf)), 0);
		assert_true(attrpath_equal(&p, &back));
	}
}

static void test_rejects(void **state)
{
	struct attrpath p;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		int r;

		err_clear();
		memset(&p, 0x55, sizeof(p));
		r = attrpath_parse(&p, b->s, b->len);
		if (r != ERR_INVALID)
			fail_msg("case %zu (%s) returned %d, not ERR_INVALID", i, b->s, r);
		assert_quotes("bad attribute path", b->s, b->len);
		if (b->hint != NULL)
			assert_contains(err_msg(), b->hint);
		assert_int_equal(attrpath_count(&p), 0);
		assert_null(attrpath_segment(&p, 0));
	}
}

static void test_limits(void **state)
{
	char s[ATTRPATH_TEXT_MAX + 64], buf[ATTRPATH_FORMAT_MAX];
	struct attrpath p;
	size_t i;

	/* 64 names fit, 65 do not */
	for (i = 0; i < 65; i++) {
		s[2 * i] = 'a';
		s[2 * i + 1] = '.';
	}
	assert_int_equal(attrpath_parse(&p, s, 2 * 64 - 1), 0);
	assert_int_equal(attrpath_count(&p), 64);
	err_clear();
	assert_int_equal(attrpath_parse(&p, s, 2 * 65 - 1), ERR_INVALID);
	assert_contains(err_msg(), "more than 64 names");
	assert_quotes("bad attribute path", s, 2 * 65 - 1);

	/* 1024 bytes fit, 1025 do not */
	memset(s, 'x', sizeof(s));
	assert_int_equal(attrpath_parse(&p, s, ATTRPATH_TEXT_MAX), 0);
	assert_int_equal(strlen(attrpath_segment(&p, 0)), ATTRPATH_TEXT_MAX);
	assert_int_equal(attrpath_format(&p, buf, sizeof(buf)), 0);
	assert_int_equal(strlen(buf), ATTRPATH_TEXT_MAX);
	err_clear();
	assert_int_equal(attrpath_parse(&p, s, ATTRPATH_TEXT_MAX + 1), ERR_INVALID);
	assert_contains(err_msg(), "longer than 1024 bytes");
	assert_quotes("bad attribute path", s, ATTRPATH_TEXT_MAX + 1);

	/* a quoted name of 1022 bytes fills the buffer exactly */
	s[0] = '"';
	s[ATTRPATH_TEXT_MAX - 1] = '"';
	assert_int_equal(attrpath_parse(&p, s, ATTRPATH_TEXT_MAX), 0);
	assert_int_equal(strlen(attrpath_segment(&p, 0)), ATTRPATH_TEXT_MAX - 2);
}

static void test_append(void **state)
{
	static const char *const want[] = {
		"nixosConfigurations", "web 1", "config", "a.b", "-x", "0",
	};
	char buf[ATTRPATH_FORMAT_MAX];
	struct attrpath p, back;

	attrpath_init(&p);
	assert_int_equal(attrpath_count(&p), 0);
	assert_int_equal(attrpath_format(&p, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(attrpath_append(&p, LIT("nixosConfigurations")), 0);
	assert_int_equal(attrpath_append(&p, LIT("web 1")), 0);
	assert_int_equal(attrpath_append(&p, LIT("config")), 0);
	assert_int_equal(attrpath_append(&p, LIT("a.b")), 0);
	assert_int_equal(attrpath_append(&p, LIT("-x")), 0);
	assert_int_equal(attrpath_append(&p, LIT("0")), 0);
	check_segments(&p, want, 6);
	assert_int_equal(attrpath_format(&p, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "nixosConfigurations.\"web 1\".config.\"a.b\".\"-x\".0");
	assert_int_equal(attrpath_parse(&back, buf, strlen(buf)), 0);
	assert_true(attrpath_equal(&p, &back));

	/* names quotes cannot hold leave the path as it was */
	err_clear();
	assert_int_equal(attrpath_append(&p, LIT("")), ERR_INVALID);
	assert_int_equal(attrpath_append(&p, LIT("a\"b")), ERR_INVALID);
	assert_quotes("bad attribute name", LIT("a\"b"));
	assert_int_equal(attrpath_append(&p, LIT("a$b")), ERR_INVALID);
	assert_int_equal(attrpath_append(&p, LIT("a`b")), ERR_INVALID);
	assert_int_equal(attrpath_append(&p, LIT("a\\b")), ERR_INVALID);
	assert_int_equal(attrpath_append(&p, LIT("a\0b")), ERR_INVALID);
	assert_quotes("bad attribute name", LIT("a\0b"));
	assert_int_equal(attrpath_append(&p, LIT("\xd0\xb0")), ERR_INVALID);
	assert_int_equal(attrpath_append(&p, LIT("a\nb")), ERR_INVALID);
	check_segments(&p, want, 6);
}

static void test_append_limits(void **state)
{
	char name[ATTRPATH_TEXT_MAX + 1], buf[ATTRPATH_FORMAT_MAX];
	struct attrpath p, back;
	size_t i;

	attrpath_init(&p);
	for (i = 0; i < ATTRPATH_SEGMENTS_MAX; i++)
		assert_int_equal(attrpath_append(&p, LIT("a")), 0);
	assert_int_equal(attrpath_append(&p, LIT("a")), ERR_LIMIT);
	assert_int_equal(attrpath_count(&p), ATTRPATH_SEGMENTS_MAX);

	/* 1000 + '.' + 21 + 2 quotes = 1024 formatted bytes: fits; one more does not */
	attrpath_init(&p);
	memset(name, 'n', sizeof(name));
	assert_int_equal(attrpath_append(&p, name, 1000), 0);
	memset(name, ' ', 22);
	assert_int_equal(attrpath_append(&p, name, 22), ERR_LIMIT);
	assert_int_equal(attrpath_count(&p), 1);
	assert_int_equal(attrpath_append(&p, name, 21), 0);
	assert_int_equal(attrpath_format(&p, buf, sizeof(buf)), 0);
	assert_int_equal(strlen(buf), ATTRPATH_TEXT_MAX);
	assert_int_equal(attrpath_parse(&back, buf, strlen(buf)), 0);
	assert_true(attrpath_equal(&p, &back));
	assert_int_equal(attrpath_append(&p, LIT("z")), ERR_LIMIT);
}

static void test_format_limit(void **state)
{
	char buf[6];
	struct attrpath p;

	assert_int_equal(attrpath_parse(&p, LIT("a.b.c")), 0);
	assert_int_equal(attrpath_format(&p, buf, 6), 0);
	assert_string_equal(buf, "a.b.c");
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(attrpath_format(&p, buf, 5), ERR_LIMIT);
	assert_string_equal(buf, "");
}

static void test_equal(void **state)
{
	struct attrpath a, b;

	assert_int_equal(attrpath_parse(&a, LIT("a.\"b\"")), 0);
	assert_int_equal(attrpath_parse(&b, LIT("\"a\".b")), 0);
	assert_true(attrpath_equal(&a, &b));
	assert_int_equal(attrpath_parse(&b, LIT("a.b.c")), 0);
	assert_false(attrpath_equal(&a, &b));
	assert_int_equal(attrpath_parse(&b, LIT("\"a.b\"")), 0);
	assert_false(attrpath_equal(&a, &b));
	/* a copy by value is independent and equal */
	b = a;
	assert_true(attrpath_equal(&a, &b));
	assert_string_equal(attrpath_segment(&b, 1), "b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_append_limits),
		cmocka_unit_test(test_format_limit),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
