/* Unit tests for core/target: parsing, canonical form and lists of targets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/target.h"
#include "check.h"
#include "util/err.h"

struct good {
	const char *in;
	const char *user;
	const char *host;
	unsigned port;
	enum target_host_kind kind;
	const char *canon;
};

static const struct good goods[] = {
	{ "h", "root", "h", 22, TARGET_HOST_NAME, "root@h:22" },
	{ "example.com", "root", "example.com", 22, TARGET_HOST_NAME, "root@example.com:22" },
	{ "Example.COM", "root", "example.com", 22, TARGET_HOST_NAME, "root@example.com:22" },
	{ "deploy@web-1.example.com:2222", "deploy", "web-1.example.com", 2222,
	  TARGET_HOST_NAME, "deploy@web-1.example.com:2222" },
	{ "_svc@h", "_svc", "h", 22, TARGET_HOST_NAME, "_svc@h:22" },
	{ "a.b_c-d@h", "a.b_c-d", "h", 22, TARGET_HOST_NAME, "a.b_c-d@h:22" },
	{ "Admin@Host", "Admin", "host", 22, TARGET_HOST_NAME, "Admin@host:22" },
	{ "abcdefghijklmnopqrstuvwxyzabcdef@h", "abcdefghijklmnopqrstuvwxyzabcdef", "h", 22,
	  TARGET_HOST_NAME, "abcdefghijklmnopqrstuvwxyzabcdef@h:22" },
	{ "h:1", "root", "h", 1, TARGET_HOST_NAME, "root@h:1" },
	{ "h:65535", "root", "h", 65535, TARGET_HOST_NAME, "root@h:65535" },
	{ "1host.example", "root", "1host.example", 22, TARGET_HOST_NAME,
	  "root@1host.example:22" },
	{ "1.2.3.4.example.com", "root", "1.2.3.4.example.com", 22, TARGET_HOST_NAME,
	  "root@1.2.3.4.example.com:22" },
	{ "xn--bcher-kva.example", "root", "xn--bcher-kva.example", 22, TARGET_HOST_NAME,
	  "root@xn--bcher-kva.example:22" },
	{ "a-b--c.d", "root", "a-b--c.d", 22, TARGET_HOST_NAME, "root@a-b--c.d:22" },
	{ "u@192.0.2.1", "u", "192.0.2.1", 22, TARGET_HOST_IPV4, "u@192.0.2.1:22" },
	{ "10.0.0.255:65535", "root", "10.0.0.255", 65535, TARGET_HOST_IPV4,
	  "root@10.0.0.255:65535" },
	{ "0.0.0.0", "root", "0.0.0.0", 22, TARGET_HOST_IPV4, "root@0.0.0.0:22" },
	{ "255.255.255.255:1", "root", "255.255.255.255", 1, TARGET_HOST_IPV4,
	  "root@255.255.255.255:1" },
	{ "root@[::1]:2222", "root", "::1", 2222, TARGET_HOST_IPV6, "root@[::1]:2222" },
	{ "[2001:DB8::1]", "root", "2001:db8::1", 22, TARGET_HOST_IPV6, "root@[2001:db8::1]:22" },
	{ "[0:0:0:0:0:0:0:1]", "root", "::1", 22, TARGET_HOST_IPV6, "root@[::1]:22" },
	{ "[::ffff:192.0.2.1]", "root", "::ffff:192.0.2.1", 22, TARGET_HOST_IPV6,
	  "root@[::ffff:192.0.2.1]:22" },
	{ "x@[fe80::1]:22", "x", "fe80::1", 22, TARGET_HOST_IPV6, "x@[fe80::1]:22" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b", "root",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b", 22,
	  TARGET_HOST_NAME,
	  "root@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b:22" },
};

struct bad {
	const char *s;
	size_t len;
	const char *hint;	/* must appear in the message too, or NULL */
};

static const struct bad bads[] = {
	/* empty, NUL, whitespace */
	{ LIT(""), "expected [user@]host[:port]" },
	{ LIT("root@h\0ost"), NULL },
	{ LIT("\0"), NULL },
	{ LIT("h\0"), NULL },
	{ LIT(" h"), NULL },
	{ LIT("h "), NULL },
	{ LIT("root @h"), NULL },
	{ LIT("root@ h"), NULL },
	{ LIT("h\t"), NULL },
	{ LIT("h\n"), NULL },
	{ LIT("root@h\r"), NULL },
	/* shell metacharacters and other punctuation */
	{ LIT(";h"), NULL },
	{ LIT("h;ls"), NULL },
	{ LIT("h|x"), NULL },
	{ LIT("h&"), NULL },
	{ LIT("$h"), NULL },
	{ LIT("root@$(id)"), NULL },
	{ LIT("`h`"), NULL },
	{ LIT("h(1)"), NULL },
	{ LIT("<h"), NULL },
	{ LIT("h>x"), NULL },
	{ LIT("h\\x"), NULL },
	{ LIT("'h'"), NULL },
	{ LIT("\"h\""), NULL },
	{ LIT("h*"), NULL },
	{ LIT("h?"), NULL },
	{ LIT("!h"), NULL },
	{ LIT("{h}"), NULL },
	{ LIT("~h"), NULL },
	{ LIT("h#1"), NULL },
	{ LIT("a,b"), NULL },
	{ LIT("h%x"), NULL },
	{ LIT("h/x"), NULL },
	{ LIT("-oProxyCommand=x"), NULL },
	{ LIT("-h"), "starts or ends with '-'" },
	/* Unicode look-alikes */
	{ LIT("h\xef\xbc\x9a" "22"), NULL },
	{ LIT("\xd0\xb0" "dmin@h"), NULL },
	{ LIT("h\xd0\xb0"), NULL },
	{ LIT("root\xef\xbc\xa0h"), NULL },
	{ LIT("h\xc2\xa0"), NULL },
	{ LIT("ex\xc3\xa4mple.com"), NULL },
	/* user */
	{ LIT("root@@h"), "expected [user@]host[:port]" },
	{ LIT("@h"), "bad user name" },
	{ LIT("1root@h"), "bad user name" },
	{ LIT("-u@h"), "bad user name" },
	{ LIT(".u@h"), "bad user name" },
	{ LIT("u:p@h"), "bad user name" },
	{ LIT("abcdefghijklmnopqrstuvwxyzabcdefg@h"), "bad user name" },
	/* host */
	{ LIT("root@"), NULL },
	{ LIT("root@:22"), NULL },
	{ LIT("h-"), "starts or ends with '-'" },
	{ LIT("a..b"), "empty label" },
	{ LIT(".h"), "empty label" },
	{ LIT("h."), "empty label" },
	{ LIT("example.com."), "empty label" },
	{ LIT("a_b.com"), NULL },
	{ LIT("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b"),
	  "longer than 63" },
	/* numbers that are not a plain dotted quad */
	{ LIT("123"), "bad IPv4 address" },
	{ LIT("1.2.3"), "bad IPv4 address" },
	{ LIT("1.2.3.4.5"), "bad IPv4 address" },
	{ LIT("256.1.1.1"), "bad IPv4 address" },
	{ LIT("01.2.3.4"), "bad IPv4 address" },
	{ LIT("1.2.3.04"), "bad IPv4 address" },
	{ LIT("1.2.3."), "bad IPv4 address" },
	{ LIT("1.2.3.4."), "bad IPv4 address" },
	{ LIT("127.1"), "bad IPv4 address" },
	{ LIT("1234.1.1.1"), "bad IPv4 address" },
	{ LIT("0x7f000001"), "ambiguous numeric address" },
	{ LIT("0x7f.1"), "numeric label" },
	{ LIT("a.123"), "numeric label" },
	/* port */
	{ LIT("h:"), "bad port" },
	{ LIT("h:0"), "bad port" },
	{ LIT("h:65536"), "bad port" },
	{ LIT("h:99999"), "bad port" },
	{ LIT("h:123456"), "bad port" },
	{ LIT("h:022"), "bad port" },
	{ LIT("h:00"), "bad port" },
	{ LIT("h:-1"), "bad port" },
	{ LIT("h:2a"), "bad port" },
	{ LIT("h:+22"), NULL },
	{ LIT("h:22:33"), "brackets" },
	/* IPv6 */
	{ LIT("::1"), "brackets" },
	{ LIT("root@::1"), "brackets" },
	{ LIT("2001:db8::1:22"), "brackets" },
	{ LIT("[::1"), NULL },
	{ LIT("[::1]:"), "bad port" },
	{ LIT("[::1]x"), NULL },
	{ LIT("[::1]]"), NULL },
	{ LIT("[::1]:0"), "bad port" },
	{ LIT("[fe80::1%eth0]"), NULL },
	{ LIT("[1.2.3.4]"), "bad IPv6 address" },
	{ LIT("[example.com]"), "bad IPv6 address" },
	{ LIT("[]"), "bad IPv6 address" },
	{ LIT("[:::]"), "bad IPv6 address" },
	{ LIT("[1:2:3:4:5:6:7:8:9]"), "bad IPv6 address" },
	{ LIT("[[::1]]"), "bad IPv6 address" },
};

static void test_accepts(void **state)
{
	char buf[TARGET_FORMAT_MAX];
	struct target t, back;
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		err_clear();
		if (target_parse(&t, g->in, strlen(g->in)) != 0)
			fail_msg("'%s' rejected: %s", g->in, err_msg());
		assert_string_equal(t.user, g->user);
		assert_string_equal(t.host, g->host);
		assert_int_equal(t.port, g->port);
		assert_int_equal(t.kind, g->kind);
		assert_int_equal(target_format(&t, buf, sizeof(buf)), 0);
		assert_string_equal(buf, g->canon);
		/* the canonical form parses back to the same target */
		assert_int_equal(target_parse(&back, buf, strlen(buf)), 0);
		assert_true(target_equal(&t, &back));
	}
}

static void test_rejects(void **state)
{
	struct target t;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		int r;

		err_clear();
		memset(&t, 0x55, sizeof(t));
		r = target_parse(&t, b->s, b->len);
		if (r != ERR_INVALID)
			fail_msg("case %zu (%s) returned %d, not ERR_INVALID", i, b->s, r);
		assert_quotes("bad target", b->s, b->len);
		assert_contains(err_msg(), "expected [user@]host[:port]");
		if (b->hint != NULL)
			assert_contains(err_msg(), b->hint);
		/* the output was cleared */
		assert_string_equal(t.user, "");
		assert_string_equal(t.host, "");
		assert_int_equal(t.port, 0);
	}
}

/* Inputs too long to write out: a 64-char label, a 254-char host, 513 bytes, a 33-char user. */
static void test_rejects_long(void **state)
{
	char s[700];
	struct target t;
	size_t i;

	/* 253 characters exactly is fine */
	for (i = 0; i < 253; i++)
		s[i] = (i % 2) ? '.' : 'a';
	s[252] = 'b';
	assert_int_equal(target_parse(&t, s, 253), 0);
	assert_int_equal(strlen(t.host), 253);

	s[253] = 'c';
	s[252] = '.';
	err_clear();
	assert_int_equal(target_parse(&t, s, 254), ERR_INVALID);
	assert_contains(err_msg(), "longer than 253");
	assert_quotes("bad target", s, 254);

	memset(s, 'a', sizeof(s));
	err_clear();
	assert_int_equal(target_parse(&t, s, 64), ERR_INVALID);
	assert_contains(err_msg(), "longer than 63");

	err_clear();
	assert_int_equal(target_parse(&t, s, 600), ERR_INVALID);
	assert_contains(err_msg(), "longer than 512 bytes");
	assert_quotes("bad target", s, 600);

	memcpy(s + 33, "@h", 2);
	assert_int_equal(target_parse(&t, s, 35), ERR_INVALID);
	assert_contains(err_msg(), "bad user name");
	memcpy(s + 32, "@h", 2);
	assert_int_equal(target_parse(&t, s, 34), 0);
	assert_int_equal(strlen(t.user), 32);
}

static void test_format_limit(void **state)
{
	char buf[8];
	struct target t;

	assert_int_equal(target_parse(&t, LIT("example.com")), 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(target_format(&t, buf, sizeof(buf)), ERR_LIMIT);
	assert_string_equal(buf, "");
	assert_int_equal(target_format(&t, buf, 0), ERR_LIMIT);
}

/* "local" and TRANSPORT:NAME carry their transport; it round-trips and tells targets apart. */
static void test_transport(void **state)
{
	struct target t, u;
	char buf[TARGET_FORMAT_MAX];

	(void)state;
	assert_int_equal(target_parse(&t, LIT("local")), 0);
	assert_string_equal(t.transport, "local");
	assert_string_equal(t.host, "local");
	assert_int_equal(target_format(&t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "local");

	assert_int_equal(target_parse(&t, LIT("qemu:vm-1")), 0);
	assert_string_equal(t.transport, "qemu");
	assert_string_equal(t.host, "vm-1");
	assert_int_equal(target_format(&t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "qemu:vm-1");
	assert_int_equal(target_parse(&u, buf, strlen(buf)), 0);
	assert_true(target_equal(&t, &u));

	assert_int_equal(target_parse(&u, LIT("vm-1")), 0);
	assert_string_equal(u.transport, "ssh");
	assert_false(target_equal(&t, &u));
	assert_int_equal(target_parse(&u, LIT("root@vm-1:2222")), 0);
	assert_string_equal(u.transport, "ssh");

	assert_int_equal(target_parse(&t, LIT("abcdefghijklmnopq:vm")), ERR_INVALID);
	assert_contains(err_msg(), "transport name longer than 15 letters");
	assert_int_equal(target_parse(&t, LIT("qemu:10.0.0.1")), ERR_INVALID);
	assert_int_equal(target_parse(&t, LIT("qemu:vm;rm")), ERR_INVALID);
	/* "local:NAME" would print as "local" and come back as another target (fuzz_target found it). */
	assert_int_equal(target_parse(&t, LIT("local:u.0.0.q")), ERR_INVALID);
	assert_contains(err_msg(), "the controller itself takes no name: write 'local'");
}

static void test_equal(void **state)
{
	struct target a, b;

	assert_int_equal(target_parse(&a, LIT("h")), 0);
	assert_int_equal(target_parse(&b, LIT("root@H:22")), 0);
	assert_true(target_equal(&a, &b));
	assert_int_equal(target_parse(&b, LIT("h:23")), 0);
	assert_false(target_equal(&a, &b));
	assert_int_equal(target_parse(&b, LIT("Root@h")), 0);
	assert_false(target_equal(&a, &b));
	assert_int_equal(target_parse(&a, LIT("[::1]")), 0);
	assert_int_equal(target_parse(&b, LIT("root@[0::0:1]:22")), 0);
	assert_true(target_equal(&a, &b));
}

/* Parse LIST and check the canonical forms of what came out, in order. */
static void check_list(const char *list, const char *const *want, size_t nwant)
{
	char buf[TARGET_FORMAT_MAX];
	struct target_list l;
	size_t i;

	if (target_list_parse(&l, list, strlen(list)) != 0)
		fail_msg("list '%s' rejected: %s", list, err_msg());
	assert_int_equal(l.n, nwant);
	for (i = 0; i < nwant; i++) {
		assert_int_equal(target_format(&l.items[i], buf, sizeof(buf)), 0);
		assert_string_equal(buf, want[i]);
	}
	target_list_release(&l);
	assert_null(l.items);
	assert_int_equal(l.n, 0);
}

static void test_list_accepts(void **state)
{
	static const char *const abc[] = { "root@a:22", "root@b:22", "root@c:22" };
	static const char *const one[] = { "root@h:22" };
	static const char *const bac[] = { "root@b:22", "root@a:22", "root@c:22" };
	static const char *const v6[] = { "root@[::1]:22", "u@h:22" };
	static const char *const two[] = { "u@h:22", "root@h:22" };
	static const char *const ports[] = { "root@h:22", "root@h:23" };

	check_list("a,b,c", abc, 3);
	check_list("h", one, 1);
	check_list("h,root@h:22,H,root@h,h:22", one, 5 - 4);
	check_list("b,a,b,c,a", bac, 3);
	check_list("[::1],root@[0::1]:22,u@h", v6, 2);
	check_list("u@h,root@h", two, 2);
	check_list("h:22,h:23,h", ports, 2);
}

struct bad_list {
	const char *s;
	size_t len;
	const char *want;	/* part of the message */
};

static const struct bad_list bad_lists[] = {
	{ LIT(""), "element 1 is empty" },
	{ LIT(",a"), "element 1 is empty" },
	{ LIT("a,"), "element 2 is empty" },
	{ LIT("a,,b"), "element 2 is empty" },
	{ LIT(","), "element 1 is empty" },
	{ LIT("a,b,,"), "element 3 is empty" },
	{ LIT("a, b"), "element 2: bad target ' b'" },
	{ LIT("a ,b"), "element 1: bad target 'a '" },
	{ LIT("a,b;c"), "element 2: bad target 'b;c'" },
	{ LIT("a,root@@h"), "element 2: bad target 'root@@h'" },
	{ LIT("a,b\0,c"), "element 2: bad target 'b\\x00'" },
	{ LIT("a,::1"), "element 2: bad target '::1'" },
	{ LIT("a\nb"), "element 1: bad target 'a\\x0ab'" },
	{ LIT("a,h:0"), "element 2: bad target 'h:0'" },
	{ LIT("a\xef\xbc\x8c" "b"), "element 1: bad target 'a\\xef\\xbc\\x8cb'" },
};

static void test_list_rejects(void **state)
{
	struct target_list l;
	size_t i;

	for (i = 0; i < sizeof(bad_lists) / sizeof(bad_lists[0]); i++) {
		const struct bad_list *b = &bad_lists[i];

		err_clear();
		if (target_list_parse(&l, b->s, b->len) != ERR_INVALID)
			fail_msg("list case %zu was not rejected", i);
		assert_contains(err_msg(), b->want);
		assert_null(l.items);
		assert_int_equal(l.n, 0);
	}
}

/* Build a list of N elements: "h0.example,h1.example,..." when DISTINCT, else "h,h,...". */
static char *make_list(size_t n, int distinct, size_t *len)
{
	size_t cap = n * 24 + 1, o = 0, i;
	char *s = malloc(cap);

	assert_non_null(s);
	for (i = 0; i < n; i++) {
		if (i > 0)
			s[o++] = ',';
		if (distinct)
			o += (size_t)snprintf(s + o, cap - o, "h%zu.example", i);
		else
			s[o++] = 'h';
	}
	s[o] = '\0';
	*len = o;
	return s;
}

static void test_list_cap(void **state)
{
	struct target_list l;
	char buf[TARGET_FORMAT_MAX];
	size_t len;
	char *s;

	/* 100000 distinct targets fit and keep their order */
	s = make_list(TARGET_LIST_MAX, 1, &len);
	assert_int_equal(target_list_parse(&l, s, len), 0);
	assert_int_equal(l.n, TARGET_LIST_MAX);
	assert_int_equal(target_format(&l.items[0], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "root@h0.example:22");
	assert_int_equal(target_format(&l.items[TARGET_LIST_MAX - 1], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "root@h99999.example:22");
	target_list_release(&l);
	free(s);

	/* 100000 copies of one target collapse to one */
	s = make_list(TARGET_LIST_MAX, 0, &len);
	assert_int_equal(target_list_parse(&l, s, len), 0);
	assert_int_equal(l.n, 1);
	target_list_release(&l);
	free(s);

	/* one more is too many */
	s = make_list(TARGET_LIST_MAX + 1, 0, &len);
	err_clear();
	assert_int_equal(target_list_parse(&l, s, len), ERR_INVALID);
	assert_contains(err_msg(), "more than 100000 targets");
	assert_null(l.items);
	free(s);
}

static void test_list_add(void **state)
{
	struct target_list l;
	struct target a, b;

	target_list_init(&l);
	assert_int_equal(target_parse(&a, LIT("a")), 0);
	assert_int_equal(target_parse(&b, LIT("root@A:22")), 0);
	assert_int_equal(target_list_add(&l, &a), 0);
	assert_int_equal(target_list_add(&l, &b), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(target_parse(&b, LIT("b")), 0);
	assert_int_equal(target_list_add(&l, &b), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[1].host, "b");
	target_list_release(&l);
	assert_null(l.items);
}

/* A group resolver for tests: "@two" is two targets, anything else an error. */
static int two_group(const char *name, size_t len, struct target_list *l, void *arg)
{
	struct target t;

	(*(int *)arg)++;
	if (len != 3 || memcmp(name, "two", 3) != 0)
		return err_set(ERR_NOTFOUND, "no group '%.*s'", (int)len, name);
	assert_int_equal(target_parse(&t, LIT("a")), 0);
	assert_int_equal(target_list_add(l, &t), 0);
	assert_int_equal(target_parse(&t, LIT("b:2")), 0);
	return target_list_add(l, &t);
}

static void test_list_append_groups(void **state)
{
	struct target_list l;
	char buf[TARGET_FORMAT_MAX];
	int calls = 0;

	target_list_init(&l);
	assert_int_equal(target_list_append(&l, LIT("root@a:22,@two,c"), two_group, &calls), 0);
	assert_int_equal(calls, 1);
	/* Appending again dedupes against what the list already holds. */
	assert_int_equal(target_list_append(&l, LIT("c,b:2,d"), two_group, &calls), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(target_format(&l.items[1], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "root@b:2");
	assert_int_equal(target_format(&l.items[3], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "root@d:22");
	assert_int_equal(target_list_append(&l, LIT("@three"), two_group, &calls), ERR_NOTFOUND);
	/* Without a resolver an @element is just a bad target. */
	assert_int_equal(target_list_append(&l, LIT("@two"), NULL, NULL), ERR_INVALID);
	target_list_release(&l);
	assert_null(l.items);
	assert_null(l.slot);
}

/* Adding one by one dedupes through the index and stops at the limit. */
static void test_list_add_many(void **state)
{
	struct target_list l;
	struct target t;
	char host[32];
	size_t i;

	target_list_init(&l);
	for (i = 0; i < TARGET_LIST_MAX; i++) {
		snprintf(host, sizeof(host), "h%zu", i);
		assert_int_equal(target_parse(&t, host, strlen(host)), 0);
		assert_int_equal(target_list_add(&l, &t), 0);
		if (i % 1000 == 0)	/* and again: a duplicate changes nothing */
			assert_int_equal(target_list_add(&l, &t), 0);
	}
	assert_int_equal(l.n, TARGET_LIST_MAX);
	assert_int_equal(target_parse(&t, LIT("h0")), 0);
	assert_int_equal(target_list_add(&l, &t), 0);
	assert_int_equal(target_parse(&t, LIT("one-more")), 0);
	assert_int_equal(target_list_add(&l, &t), ERR_LIMIT);
	assert_int_equal(l.n, TARGET_LIST_MAX);
	target_list_release(&l);
}

/* given says what was written out, so an ssh config's User and Port know what they may replace; equality ignores it. */
static void test_given(void **state)
{
	static const struct { const char *in; unsigned given; } cases[] = {
		{ "h", 0 },
		{ "root@h", TARGET_GIVEN_USER },
		{ "h:22", TARGET_GIVEN_PORT },
		{ "u@h:2222", TARGET_GIVEN_USER | TARGET_GIVEN_PORT },
		{ "[::1]", 0 },
		{ "u@[::1]:22", TARGET_GIVEN_USER | TARGET_GIVEN_PORT },
		{ "local", 0 },
		{ "qemu:vm1", 0 },
	};
	struct target a, b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(target_parse(&a, cases[i].in, strlen(cases[i].in)), 0);
		if (a.given != cases[i].given)
			fail_msg("%s: given %u, expected %u", cases[i].in, a.given, cases[i].given);
	}
	assert_int_equal(target_parse(&a, LIT("h")), 0);
	assert_int_equal(target_parse(&b, LIT("root@h:22")), 0);
	assert_true(target_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_given),
		cmocka_unit_test(test_list_append_groups),
		cmocka_unit_test(test_list_add_many),
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_rejects_long),
		cmocka_unit_test(test_format_limit),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_list_accepts),
		cmocka_unit_test(test_list_rejects),
		cmocka_unit_test(test_list_cap),
		cmocka_unit_test(test_list_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
