/* Unit tests for core/storepath: store paths and their base-32 hashes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/storepath.h"
#include "check.h"
#include "util/err.h"

#define H1 "0c5b8vw40dy178xlpddw65q9gf1h2186"
#define H2 "yd4j0q3r2l3kxwmzfzlq5g4fizqidqzg"
#define SP "/nix/store/" H1 "-"

struct good {
	const char *in;
	const char *hash;
	const char *name;
};

static const struct good goods[] = {
	{ SP "hello-2.12.1", H1, "hello-2.12.1" },
	{ "/nix/store/" H2 "-nixos-system-web1-24.05.20240601.abcdef0", H2,
	  "nixos-system-web1-24.05.20240601.abcdef0" },
	{ SP "a", H1, "a" },
	{ SP "source", H1, "source" },
	{ SP "a+b._?=-c", H1, "a+b._?=-c" },
	{ SP "-leading-dash", H1, "-leading-dash" },
	{ SP "x.drv", H1, "x.drv" },
	{ SP "UPPER_case", H1, "UPPER_case" },
	{ SP "a..b", H1, "a..b" },
	{ "/nix/store/00000000000000000000000000000000-0", "00000000000000000000000000000000",
	  "0" },
	{ "/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-z", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
	  "z" },
	{ "/nix/store/abcdfghijklmnpqrsvwxyz0123456789-all-digits",
	  "abcdfghijklmnpqrsvwxyz0123456789", "all-digits" },
};

struct bad {
	const char *s;
	size_t len;
	const char *hint;	/* must appear in the message too, or NULL */
};

static const struct bad bads[] = {
	{ LIT(""), "expected /nix/store/<32-char hash>-<name>" },
	{ LIT("/nix/store/"), NULL },
	{ LIT("/nix/store/" H1), NULL },
	{ LIT(SP), NULL },
	{ LIT(SP ".hidden"), "starts with '.'" },
	{ LIT(SP ".."), "starts with '.'" },
	{ LIT(SP "."), "starts with '.'" },
	/* hash alphabet: no e o t u, lowercase only */
	{ LIT("/nix/store/ec5b8vw40dy178xlpddw65q9gf1h2186-x"), "nix base-32" },
	{ LIT("/nix/store/oc5b8vw40dy178xlpddw65q9gf1h2186-x"), "nix base-32" },
	{ LIT("/nix/store/tc5b8vw40dy178xlpddw65q9gf1h2186-x"), "nix base-32" },
	{ LIT("/nix/store/uc5b8vw40dy178xlpddw65q9gf1h2186-x"), "nix base-32" },
	{ LIT("/nix/store/0C5B8VW40DY178XLPDDW65Q9GF1H2186-x"), "nix base-32" },
	{ LIT("/nix/store/0c5b8vw40dy178xlpddw65q9gf1h218-x"), NULL },
	{ LIT("/nix/store/0c5b8vw40dy178xlpddw65q9gf1h21866-x"), NULL },
	{ LIT("/nix/store/0c5b8vw40dy178xlpddw65q9gf1h2\xd0\xb0" "86-x"), NULL },
	{ LIT("/nix/store/0c5b8vw40dy178xlpddw65q9gf1h2\xd0\xb0" "6-x"), "nix base-32" },
	{ LIT("/nix/store/" H1 "_name"), NULL },
	/* prefix */
	{ LIT("/nix/store//" H1 "-x"), NULL },
	{ LIT("/nix/stor/" H1 "-x"), NULL },
	{ LIT("/NIX/STORE/" H1 "-x"), NULL },
	{ LIT("nix/store/" H1 "-x"), NULL },
	{ LIT("/gnu/store/" H1 "-x"), NULL },
	{ LIT("/nix/store/../etc/passwd"), NULL },
	{ LIT(H1 "-x"), NULL },
	/* whitespace and NUL */
	{ LIT(" " SP "x"), NULL },
	{ LIT(SP "x "), "outside" },
	{ LIT(SP "x y"), "outside" },
	{ LIT(SP "x\t"), "outside" },
	{ LIT(SP "x\n"), "outside" },
	{ LIT(SP "x\0y"), "outside" },
	{ LIT(SP "x\0"), "outside" },
	/* more path after the name */
	{ LIT(SP "hello/bin/hello"), "outside" },
	{ LIT(SP "hello/"), "outside" },
	/* shell metacharacters */
	{ LIT(SP "a;b"), "outside" },
	{ LIT(SP "a|b"), "outside" },
	{ LIT(SP "a&b"), "outside" },
	{ LIT(SP "$x"), "outside" },
	{ LIT(SP "`x`"), "outside" },
	{ LIT(SP "a(b)"), "outside" },
	{ LIT(SP "a<b"), "outside" },
	{ LIT(SP "a>b"), "outside" },
	{ LIT(SP "a\\b"), "outside" },
	{ LIT(SP "a'b"), "outside" },
	{ LIT(SP "a\"b"), "outside" },
	{ LIT(SP "a*"), "outside" },
	{ LIT(SP "a!"), "outside" },
	{ LIT(SP "{a,b}"), "outside" },
	{ LIT(SP "~a"), "outside" },
	{ LIT(SP "a#b"), "outside" },
	{ LIT(SP "a%20b"), "outside" },
	{ LIT(SP "a@b"), "outside" },
	{ LIT(SP "a:b"), "outside" },
	/* Unicode look-alikes */
	{ LIT(SP "a\xef\xbc\x9a" "b"), "outside" },
	{ LIT(SP "\xd0\xb0"), "outside" },
	{ LIT(SP "x\xc2\xa0"), "outside" },
	{ LIT(SP "a\xef\xbc\xa0" "b"), "outside" },
	{ LIT("\xef\xbc\x8fnix/store/" H1 "-x"), NULL },
};

static void test_accepts(void **state)
{
	char buf[STOREPATH_MAX];
	struct storepath p, back;
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		err_clear();
		if (storepath_parse(&p, g->in, strlen(g->in)) != 0)
			fail_msg("'%s' rejected: %s", g->in, err_msg());
		assert_string_equal(p.hash.s, g->hash);
		assert_string_equal(p.name, g->name);
		assert_true(storepath_valid(g->in, strlen(g->in)));
		assert_int_equal(storepath_format(&p, buf, sizeof(buf)), 0);
		assert_string_equal(buf, g->in);
		assert_int_equal(storepath_parse(&back, buf, strlen(buf)), 0);
		assert_true(storepath_equal(&p, &back));
	}
}

static void test_rejects(void **state)
{
	struct storepath p;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		int r;

		err_clear();
		memset(&p, 0x55, sizeof(p));
		r = storepath_parse(&p, b->s, b->len);
		if (r != ERR_INVALID)
			fail_msg("case %zu (%s) returned %d, not ERR_INVALID", i, b->s, r);
		assert_quotes("bad store path", b->s, b->len);
		assert_contains(err_msg(), "expected /nix/store/<32-char hash>-<name>");
		if (b->hint != NULL)
			assert_contains(err_msg(), b->hint);
		assert_string_equal(p.hash.s, "");
		assert_string_equal(p.name, "");

		/* the bool check agrees and leaves the last message alone */
		err_set(ERR_IO, "sentinel");
		assert_false(storepath_valid(b->s, b->len));
		assert_string_equal(err_msg(), "sentinel");
	}
}

static void test_name_length(void **state)
{
	char s[STOREPATH_MAX + 8];
	struct storepath p;
	char buf[STOREPATH_MAX];
	size_t base = sizeof(SP) - 1;

	memcpy(s, SP, base);
	memset(s + base, 'n', STOREPATH_NAME_MAX + 1);
	/* 211 characters: the longest name, and STOREPATH_MAX holds it */
	assert_int_equal(storepath_parse(&p, s, base + STOREPATH_NAME_MAX), 0);
	assert_int_equal(strlen(p.name), STOREPATH_NAME_MAX);
	assert_int_equal(storepath_format(&p, buf, sizeof(buf)), 0);
	assert_int_equal(strlen(buf), STOREPATH_MAX - 1);
	assert_memory_equal(buf, s, STOREPATH_MAX - 1);
	/* 212 is one too many */
	err_clear();
	assert_int_equal(storepath_parse(&p, s, base + STOREPATH_NAME_MAX + 1), ERR_INVALID);
	assert_contains(err_msg(), "longer than 211");
	assert_quotes("bad store path", s, base + STOREPATH_NAME_MAX + 1);
	assert_false(storepath_valid(s, base + STOREPATH_NAME_MAX + 1));
}

static void test_format_limit(void **state)
{
	struct storepath p;
	char buf[44];

	assert_int_equal(storepath_parse(&p, LIT(SP "hello")), 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(storepath_format(&p, buf, sizeof(buf)), ERR_LIMIT);
	assert_string_equal(buf, "");
}

static const char *const good_hashes[] = {
	H1, H2, "00000000000000000000000000000000", "abcdfghijklmnpqrsvwxyz0123456789",
};

static const struct bad bad_hashes[] = {
	{ LIT(""), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h218"), NULL },
	{ LIT(H1 "0"), NULL },
	{ LIT("ec5b8vw40dy178xlpddw65q9gf1h2186"), NULL },
	{ LIT("oc5b8vw40dy178xlpddw65q9gf1h2186"), NULL },
	{ LIT("tc5b8vw40dy178xlpddw65q9gf1h2186"), NULL },
	{ LIT("uc5b8vw40dy178xlpddw65q9gf1h2186"), NULL },
	{ LIT("0C5B8VW40DY178XLPDDW65Q9GF1H2186"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h218\0"), NULL },
	{ LIT(" c5b8vw40dy178xlpddw65q9gf1h2186"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h218 "), NULL },
	{ LIT("0c5b8vw40dy178x pddw65q9gf1h2186"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h218\t"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h218\n"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h218;"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h218$"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h218`"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h218|"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h218-"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h21\xd0\xb0"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h2\xef\xbc\x9a"), NULL },
	{ LIT("0c5b8vw40dy178xlpddw65q9gf1h21\xc2\xa0"), NULL },
	{ LIT(SP "x"), NULL },
};

static void test_nixhash(void **state)
{
	struct nixhash h;
	size_t i;

	for (i = 0; i < sizeof(good_hashes) / sizeof(good_hashes[0]); i++) {
		assert_int_equal(nixhash_parse(&h, good_hashes[i], NIXHASH_LEN), 0);
		assert_string_equal(h.s, good_hashes[i]);
	}
	for (i = 0; i < sizeof(bad_hashes) / sizeof(bad_hashes[0]); i++) {
		const struct bad *b = &bad_hashes[i];

		err_clear();
		memset(&h, 0x55, sizeof(h));
		if (nixhash_parse(&h, b->s, b->len) != ERR_INVALID)
			fail_msg("hash case %zu was not rejected", i);
		assert_quotes("bad nix hash", b->s, b->len);
		assert_contains(err_msg(), "32 characters of nix base-32");
		assert_string_equal(h.s, "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_format_limit),
		cmocka_unit_test(test_nixhash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
