/* Unit tests for src/util: buffers, errors, JSON, shell quoting, hashing, clocks, logs, files, processes, pool. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/log.h"
#include "util/pool.h"
#include "util/proc.h"
#include "util/shell.h"

/* A literal with its length, so embedded NUL bytes survive. */
#define LIT(s) s, sizeof(s) - 1
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define FFFD "\xef\xbf\xbd"

static char scratch[4096];

static int scratch_setup(void **state)
{
	const char *base = getenv("CHIMERA_TEST_TMP");
	char tmpl[4096];

	if (!base || !*base)
		base = "/var/tmp";
	if (fs_mkdir_p(base, 0755) < 0)
		return -1;
	snprintf(tmpl, sizeof(tmpl), "%s/util-XXXXXX", base);
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(scratch, sizeof(scratch), "%s", tmpl);
	return 0;
}

static int scratch_teardown(void **state)
{
	return fs_rm_rf(scratch) < 0 ? -1 : 0;
}

/* Write SCRATCH/REL into OUT. */
static void scratch_path(char *out, size_t n, const char *rel)
{
	assert_true((size_t)snprintf(out, n, "%s/%s", scratch, rel) < n);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static size_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (size_t)st.st_size;
}

/* buf */

/* A message built on the last one keeps it whole. */
static void test_err_wraps_the_last_message(void **state)
{
	(void)state;
	err_set(ERR_INVALID, "'%s' is not a goal: expected %s", "reboot", "switch or boot");
	assert_int_equal(err_set(ERR_INVALID, "--goal: %s", err_msg()), ERR_INVALID);
	assert_string_equal(err_msg(), "--goal: 'reboot' is not a goal: expected switch or boot");
	err_set_errno(ERR_IO, 2, "%s (opening)", err_msg());
	assert_string_equal(err_msg(), "--goal: 'reboot' is not a goal: expected switch or boot (opening): No such file or directory");
}

static void test_buf_init_release_never_null(void **state)
{
	struct buf a = BUF_INIT(0), b;

	assert_non_null(a.data);
	assert_string_equal(a.data, "");
	assert_int_equal(a.len, 0);
	buf_init(&b, 77);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(b.max, 77);
	assert_int_equal(buf_adds(&b, "hello"), 0);
	buf_release(&b);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 77);
	/* Releasing twice and resetting an empty buffer are harmless. */
	buf_release(&b);
	buf_reset(&a);
	assert_string_equal(a.data, "");
	assert_string_equal(buf_empty, "");
}

static void test_buf_add_growth(void **state)
{
	struct buf b = BUF_INIT(0);
	char want[20000];
	size_t wlen = 0, i;

	for (i = 0; wlen + 40 < sizeof(want); i++) {
		char chunk[40];
		size_t n = i % 37;

		memset(chunk, 'a' + (int)(i % 26), n);
		if (n)
			chunk[n / 2] = '\0';	/* buf_add copies NUL bytes too */
		assert_int_equal(buf_add(&b, chunk, n), 0);
		memcpy(want + wlen, chunk, n);
		wlen += n;
		assert_int_equal(buf_addc(&b, '#'), 0);
		want[wlen++] = '#';
		assert_int_equal(b.len, wlen);
		assert_true(b.cap > b.len);
		assert_int_equal(b.data[b.len], '\0');
	}
	assert_memory_equal(b.data, want, wlen);
	assert_int_equal(buf_adds(&b, ""), 0);
	assert_int_equal(buf_add(&b, NULL, 0), 0);
	assert_int_equal(b.len, wlen);
	buf_release(&b);
}

static void test_buf_printf_growth(void **state)
{
	struct buf b = BUF_INIT(0);
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(buf_printf(&b, "n=%d s=%s;", -42, "ok"), 0);
	assert_string_equal(b.data, "n=-42 s=ok;");
	assert_int_equal(buf_printf(&b, "%s|%zu", big, sizeof(big)), 0);
	assert_int_equal(b.len, strlen("n=-42 s=ok;") + 4999 + strlen("|5000"));
	assert_int_equal(strlen(b.data), b.len);
	assert_memory_equal(b.data + 11, big, 4999);
	assert_string_equal(b.data + 11 + 4999, "|5000");
	buf_release(&b);
}

static void test_buf_max_limit(void **state)
{
	struct buf b = BUF_INIT(10), c = BUF_INIT(4);

	assert_int_equal(buf_adds(&b, "12345678"), 0);
	assert_int_equal(buf_adds(&b, "abc"), ERR_LIMIT);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(b.len, 8);
	assert_contains(err_msg(), "limit");
	assert_int_equal(buf_printf(&b, "%d", 123), ERR_LIMIT);
	assert_string_equal(b.data, "12345678");
	assert_int_equal(buf_adds(&b, "9A"), 0);
	assert_string_equal(b.data, "123456789A");
	assert_int_equal(buf_addc(&b, 'B'), ERR_LIMIT);
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_string_equal(b.data, "123456789A");
	buf_release(&b);

	/* A fresh buffer that refuses its first addition still reads as "". */
	assert_int_equal(buf_printf(&c, "%s", "hello"), ERR_LIMIT);
	assert_non_null(c.data);
	assert_string_equal(c.data, "");
	assert_int_equal(c.len, 0);
	buf_release(&c);
}

static void test_buf_detach(void **state)
{
	struct buf b = BUF_INIT(100);
	size_t len = 99;
	char *p;

	assert_int_equal(buf_adds(&b, "owned"), 0);
	p = buf_detach(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "owned");
	assert_int_equal(len, 5);
	assert_non_null(b.data);
	assert_ptr_not_equal(b.data, p);
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	/* The buffer is usable again and does not share memory with P. */
	assert_int_equal(buf_adds(&b, "again"), 0);
	assert_string_equal(p, "owned");
	free(p);
	buf_release(&b);

	/* Detaching an empty buffer still gives memory the caller may free. */
	p = buf_detach(&b, &len);
	assert_non_null(p);
	assert_ptr_not_equal(p, buf_empty);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);
	p = buf_detach(&b, NULL);
	assert_non_null(p);
	free(p);
}

static void test_buf_reset_keeps_capacity(void **state)
{
	struct buf b = BUF_INIT(0);
	char chunk[1000];
	size_t cap;
	char *data;

	memset(chunk, 'z', sizeof(chunk));
	assert_int_equal(buf_add(&b, chunk, sizeof(chunk)), 0);
	cap = b.cap;
	data = b.data;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	assert_int_equal(b.cap, cap);
	assert_ptr_equal(b.data, data);
	assert_int_equal(buf_add(&b, chunk, sizeof(chunk)), 0);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	buf_release(&b);
}

/* err */

static void *err_other_thread(void *arg)
{
	err_set(ERR_TIMEOUT, "thread %s", "two");
	snprintf(arg, 64, "%s", err_msg());
	return NULL;
}

static void test_err_set_and_msg(void **state)
{
	pthread_t t;
	char other[64] = "";

	assert_int_equal(err_set(ERR_NOTFOUND, "no such node '%s' (%d)", "h1", 7), ERR_NOTFOUND);
	assert_string_equal(err_msg(), "no such node 'h1' (7)");
	/* The message is per thread. */
	assert_int_equal(pthread_create(&t, NULL, err_other_thread, other), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_string_equal(other, "thread two");
	assert_string_equal(err_msg(), "no such node 'h1' (7)");
	err_clear();
	assert_non_null(err_msg());
	assert_string_equal(err_msg(), err_str(ERR_OK));
}

static void test_err_set_errno(void **state)
{
	char want[256];

	assert_int_equal(err_set_errno(ERR_IO, ENOENT, "cannot open '%s'", "/x"), ERR_IO);
	snprintf(want, sizeof(want), "cannot open '/x': %s", strerror(ENOENT));
	assert_string_equal(err_msg(), want);
	assert_int_equal(err_set_errno(ERR_IO, EACCES, "read"), ERR_IO);
	snprintf(want, sizeof(want), "read: %s", strerror(EACCES));
	assert_string_equal(err_msg(), want);
	err_clear();
}

static void test_err_str(void **state)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
		{ ERR_OK, "success" },
		{ ERR_NOMEM, "out of memory" },
		{ ERR_INVALID, "bad input" },
		{ ERR_NOTFOUND, "not found" },
		{ ERR_TIMEOUT, "timed out" },
		{ ERR_AUTH, "authentication failed" },
		{ ERR_IO, "i/o error" },
		{ ERR_CORRUPT, "corrupt data" },
		{ ERR_LIMIT, "over limit" },
		{ ERR_BUSY, "busy" },
		{ ERR_UNSUPPORTED, "unsupported" },
	};
	size_t i, j;

	for (i = 0; i < NELEM(names); i++) {
		assert_string_equal(err_str(names[i].code), names[i].name);
		for (j = 0; j < i; j++)
			assert_string_not_equal(err_str(names[i].code), err_str(names[j].code));
	}
	assert_string_equal(err_str(-99), "unknown error");
	assert_string_equal(err_str(1), "unknown error");
}

static void test_err_quote_escapes(void **state)
{
	char out[256];

	err_quote(out, sizeof(out), LIT("a\0b\x01\n\x1f\x7f\xc3\xa9\\c' ~"));
	assert_string_equal(out, "a\\x00b\\x01\\x0a\\x1f\\x7f\\xc3\\xa9\\\\c' ~");
	err_quote(out, sizeof(out), LIT("\xff"));
	assert_string_equal(out, "\\xff");
	err_quote(out, sizeof(out), "", 0);
	assert_string_equal(out, "");
	/* LEN bounds the input, not a NUL. */
	err_quote(out, sizeof(out), "abcdef", 3);
	assert_string_equal(out, "abc");
}

/* Quote S into a DSTLEN slice of a guarded array and check what may and may not be there. */
static void check_quote_cut(const char *s, size_t len, size_t dstlen, const char *full)
{
	char area[64];
	size_t i, n;

	assert_true(dstlen + 8 <= sizeof(area));
	memset(area, 0x5a, sizeof(area));
	assert_ptr_equal(err_quote(area, dstlen, s, len), area);
	for (i = dstlen; i < sizeof(area); i++) {
		if ((unsigned char)area[i] != 0x5a)
			fail_msg("err_quote wrote byte %zu with dstlen %zu", i, dstlen);
	}
	n = strnlen(area, dstlen);
	assert_true(n < dstlen);
	if (strcmp(area, full) == 0)
		return;
	/* Cut: a prefix of the full quote, then "..." when there is room for it. */
	if (dstlen >= 4) {
		assert_true(n >= 3);
		assert_string_equal(area + n - 3, "...");
		n -= 3;
	}
	assert_memory_equal(area, full, n);
	/* The cut falls between escapes, never inside one. */
	for (i = 0; i < n; i += full[i] != '\\' ? 1 : full[i + 1] == '\\' ? 2 : 4)
		;
	if (i != n)
		fail_msg("cut at %zu splits an escape in '%s'", n, full);
}

static void test_err_quote_truncates(void **state)
{
	static const size_t lens[] = { 1, 2, 3, 4, 5, 8, 9, 16, 17, 33 };
	char big[1024], s[100];
	size_t i, j;

	for (j = 0; j < sizeof(s); j++)
		s[j] = j % 3 == 0 ? (char)(0x80 + j) : j % 3 == 1 ? '\\' : (char)('a' + j % 26);
	err_quote(big, sizeof(big), s, sizeof(s));
	assert_true(strlen(big) > 100);
	for (i = 0; i < NELEM(lens); i++)
		check_quote_cut(s, sizeof(s), lens[i], big);

	err_quote(big, sizeof(big), LIT("abcdefghijklmnopqrstuvwxyz"));
	for (i = 0; i < NELEM(lens); i++)
		check_quote_cut("abcdefghijklmnopqrstuvwxyz", 26, lens[i], big);

	/* The four sizes from the brief, concretely. */
	err_quote(big, 1, LIT("hello world"));
	assert_string_equal(big, "");
	err_quote(big, 4, LIT("hello world"));
	assert_true(strlen(big) <= 3);
	err_quote(big, 8, LIT("hello world"));
	assert_string_equal(big, "hell...");
	err_quote(big, 16, LIT("\x01\x02\x03\x04\x05"));
	assert_string_equal(big, "\\x01\\x02\\x03...");
	/* A zero-length destination is left alone. */
	big[0] = 'q';
	err_quote(big, 0, LIT("x"));
	assert_int_equal(big[0], 'q');
}

static void test_err_bad_line(void **state)
{
	struct err_line l = { .input = "facts", .quote = 8, .num = 7, .text = "cpus=abc\x01", .len = 8 };

	assert_int_equal(err_bad_line(&l, ERR_INVALID, "expected a number"), ERR_INVALID);
	assert_string_equal(err_msg(), "facts line 7 'cpus...': expected a number");
	l.quote = 0;	/* no room given: the most there is */
	l.len = 9;
	assert_int_equal(err_bad_line(&l, ERR_LIMIT, "too long"), ERR_LIMIT);
	assert_string_equal(err_msg(), "facts line 7 'cpus=abc\\x01': too long");
}

/* json */

static void test_json_add_string(void **state)
{
	const char *in = "say \"hi\" \\ \x01\x1f\t\n\r\b\f/ \x7f é€😀";
	struct buf b = BUF_INIT(0);
	json_error_t jerr;
	json_t *doc;
	struct buf arr = BUF_INIT(0);

	assert_int_equal(buf_adds(&b, "x="), 0);
	assert_int_equal(json_add_string(&b, in), 0);
	assert_string_equal(b.data, "x=\"say \\\"hi\\\" \\\\ \\u0001\\u001f\\t\\n\\r\\b\\f/ \x7f é€😀\"");
	/* A JSON parser reads back the same bytes. */
	assert_int_equal(buf_printf(&arr, "[%s]", b.data + 2), 0);
	doc = json_loads(arr.data, 0, &jerr);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_array_get(doc, 0)), in);
	json_decref(doc);
	buf_reset(&b);
	assert_int_equal(json_add_string(&b, ""), 0);
	assert_string_equal(b.data, "\"\"");
	buf_release(&b);
	buf_release(&arr);
}

static void test_json_canonical_sorts(void **state)
{
	static const char *const cases[][2] = {
		{ "{\"b\":1, \"a\":{\"d\":2,\"c\":[1, 2]}}", "{\"a\":{\"c\":[1,2],\"d\":2},\"b\":1}" },
		{ " {\n\t\"z\" : [ {\"y\":1,\"x\":{\"q\":null,\"p\":true}} ] , \"é\":\"€\", \"A\":false } ",
		  "{\"A\":false,\"z\":[{\"x\":{\"p\":true,\"q\":null},\"y\":1}],\"é\":\"€\"}" },
		{ "{}", "{}" },
		{ "{\"s\":\"a\\u0041\\n\\\"\"}", "{\"s\":\"aA\\n\\\"\"}" },
		{ "{\"node\":\"root@127.0.0.1:22\",\"step\":\"switch\",\"ms\":123,\"ok\":true}",
		  "{\"ms\":123,\"node\":\"root@127.0.0.1:22\",\"ok\":true,\"step\":\"switch\"}" },
		/* Reals in the fewest digits that read back the same, whatever the other reals need. */
		{ "{\"load\":[0.15, 0.2, 1.05]}", "{\"load\":[0.15,0.2,1.05]}" },
		{ "{\"a\":0.30000000000000004}", "{\"a\":0.30000000000000004}" },
		{ "{\"a\":2.0,\"b\":-0.5,\"c\":1e300,\"d\":7}", "{\"a\":2.0,\"b\":-0.5,\"c\":1e300,\"d\":7}" },
		{ "{\"a\":12345.678}", "{\"a\":12345.678}" },
	};
	struct buf b = BUF_INIT(0);
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		buf_reset(&b);
		assert_int_equal(json_canonical(cases[i][0], &b), 0);
		assert_string_equal(b.data, cases[i][1]);
		/* The canonical form is a fixed point. */
		buf_reset(&b);
		assert_int_equal(json_canonical(cases[i][1], &b), 0);
		assert_string_equal(b.data, cases[i][1]);
	}
	buf_release(&b);
}

/* The digits each real needs; a document takes the most any of its reals needs. */
static void test_json_real_digits(void **state)
{
	json_t *doc;

	(void)state;
	doc = json_pack("{s:f, s:[f, f]}", "x", 0.1, "y", 0.25, 1.0 / 3.0);
	assert_int_equal(json_real_digits(doc), 16);	/* 1/3 needs 16 digits */
	json_decref(doc);
	doc = json_pack("{s:i, s:[s]}", "x", 1, "y", "z");
	assert_int_equal(json_real_digits(doc), 1);
	json_decref(doc);
	doc = json_real(0.14999999999999999);
	assert_int_equal(json_real_digits(doc), 2);
	json_decref(doc);
}

/* jansson quotes the input in its messages; ours must stay printable ASCII. */
static void test_json_canonical_message_is_clean(void **state)
{
	static const char *const bad[] = { "{\"a\":\x01}", "{\"a\":\xc3\xa9}", "{\"a\":\x1b[2J}" };
	struct buf out = BUF_INIT(0);
	const char *m;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(json_canonical(bad[i], &out), ERR_INVALID);
		for (m = err_msg(); *m; m++)
			assert_true((unsigned char)*m >= 0x20 && (unsigned char)*m < 0x7f);
	}
	buf_release(&out);
}

static void test_json_canonical_rejects(void **state)
{
	static const char *const bad[] = {
		"[1,2]", "\"s\"", "1", "null", "", "{", "{\"a\":}", "{'a':1}", "{\"a\":1,}",
		"{\"a\":1} x", "{\"a\":1,\"a\":2}", "{\"o\":{\"k\":1,\"k\":1}}", "{\"a\":\"\xff\"}",
	};
	struct buf b = BUF_INIT(0);
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		buf_reset(&b);
		assert_int_equal(buf_adds(&b, "keep"), 0);
		err_clear();
		if (json_canonical(bad[i], &b) != ERR_INVALID)
			fail_msg("json_canonical accepted '%s'", bad[i]);
		assert_string_equal(b.data, "keep");
		assert_contains(err_msg(), "json");
	}
	buf_release(&b);
}

struct clean_case {
	const char *in;
	size_t len;
	const char *want;
};

static void test_json_utf8_clean(void **state)
{
	static const struct clean_case cases[] = {
		{ LIT("plain ascii"), "plain ascii" },
		{ LIT("\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf"),
		  "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf" },
		{ LIT("a\xff" "b"), "a" FFFD "b" },
		{ LIT("\xc0\xaf"), FFFD FFFD },				/* overlong '/' */
		{ LIT("\xe0\x80\xaf"), FFFD FFFD FFFD },		/* overlong, 3 bytes */
		{ LIT("\xf0\x80\x80\xaf"), FFFD FFFD FFFD FFFD },	/* overlong, 4 bytes */
		{ LIT("\xed\xa0\x80"), FFFD FFFD FFFD },		/* surrogate D800 */
		{ LIT("\xed\xbf\xbf"), FFFD FFFD FFFD },		/* surrogate DFFF */
		{ LIT("\xf4\x90\x80\x80"), FFFD FFFD FFFD FFFD },	/* past U+10FFFF */
		{ LIT("x\xe2\x82"), "x" FFFD FFFD },			/* cut at the end */
		{ LIT("\xf0\x9f\x98"), FFFD FFFD FFFD },
		{ LIT("\xe2\x82" "A"), FFFD FFFD "A" },			/* cut in the middle */
		{ LIT("\x80"), FFFD },					/* lone continuation */
		{ LIT("a\0b"), "a" FFFD "b" },
		{ LIT(""), "" },
	};
	struct buf b = BUF_INIT(0), again = BUF_INIT(0);
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		buf_reset(&b);
		assert_int_equal(json_utf8_clean(cases[i].in, cases[i].len, &b), 0);
		if (strcmp(b.data, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, b.data, cases[i].want);
		/* Clean output stays the same when cleaned again. */
		buf_reset(&again);
		assert_int_equal(json_utf8_clean(b.data, b.len, &again), 0);
		assert_string_equal(again.data, b.data);
	}
	buf_release(&b);
	buf_release(&again);
}

/* shell */

static void test_shell_quote_forms(void **state)
{
	static const char *const cases[][2] = {
		{ "abc", "abc" },
		{ "/nix/store/abc-hello-2.12/bin/hello", "/nix/store/abc-hello-2.12/bin/hello" },
		{ "root@10.0.0.1:22", "root@10.0.0.1:22" },
		{ "", "''" },
		{ "a b", "'a b'" },
		{ "it's", "'it'\\''s'" },
		{ "'", "''\\'''" },
		{ "$HOME", "'$HOME'" },
		{ "~", "'~'" },
		{ "*", "'*'" },
		{ "a\nb", "'a\nb'" },
	};
	struct buf b = BUF_INIT(0);
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		buf_reset(&b);
		assert_int_equal(shell_quote(&b, cases[i][0]), 0);
		assert_string_equal(b.data, cases[i][1]);
	}
	/* Appends to what is there. */
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, "echo "), 0);
	assert_int_equal(shell_quote(&b, "x y"), 0);
	assert_string_equal(b.data, "echo 'x y'");
	buf_release(&b);
}

static void test_shell_quote_sh_roundtrip(void **state)
{
	static const char *const nasty[] = {
		"a b", "$HOME", "${HOME}", "`id`", "$(id)", "it's", "''", "'", "\"dq\" 'sq'",
		"line1\nline2\n", "\\", "\\'", "a;b|c&d>e<f", "*", "~", "!x", "-n", "#c",
		"tab\there", "é €", "", "%s %d",
	};
	struct buf cmd = BUF_INIT(0), got = BUF_INIT(0);
	size_t i;

	for (i = 0; i < NELEM(nasty); i++) {
		char chunk[256];
		size_t n;
		FILE *f;

		buf_reset(&cmd);
		buf_reset(&got);
		assert_int_equal(buf_adds(&cmd, "printf %s "), 0);
		assert_int_equal(shell_quote(&cmd, nasty[i]), 0);
		f = popen(cmd.data, "r");
		assert_non_null(f);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			assert_int_equal(buf_add(&got, chunk, n), 0);
		assert_int_equal(pclose(f), 0);
		if (got.len != strlen(nasty[i]) || memcmp(got.data, nasty[i], got.len) != 0)
			fail_msg("sh printed '%s' for '%s' (command: %s)", got.data, nasty[i], cmd.data);
	}
	buf_release(&cmd);
	buf_release(&got);
}

/* hash */

static void sha3_hex(const void *p, size_t n, char out[SHA3_256_HEX])
{
	uint8_t md[SHA3_256_LEN];

	assert_int_equal(sha3_256(p, n, md), 0);
	hex_encode(md, sizeof(md), out);
}

static void test_sha3_known(void **state)
{
	char hex[SHA3_256_HEX], whole[SHA3_256_HEX];
	uint8_t md[SHA3_256_LEN];
	char msg[1000];
	struct sha3_ctx *c;
	size_t off, step;

	sha3_hex("", 0, hex);
	assert_string_equal(hex, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
	sha3_hex("abc", 3, hex);
	assert_string_equal(hex, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");

	/* Feeding in pieces gives the one-shot digest. */
	for (off = 0; off < sizeof(msg); off++)
		msg[off] = (char)(off * 7);
	sha3_hex(msg, sizeof(msg), whole);
	c = sha3_begin();
	assert_non_null(c);
	for (off = 0, step = 1; off < sizeof(msg); off += step, step = step * 2 + 1)
		sha3_update(c, msg + off, step < sizeof(msg) - off ? step : sizeof(msg) - off);
	sha3_end(c, md);
	hex_encode(md, sizeof(md), hex);
	assert_string_equal(hex, whole);
}

static void test_hex_roundtrip(void **state)
{
	uint8_t all[256], back[256], four[4];
	char hex[513];
	size_t i;

	for (i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	hex_encode(all, sizeof(all), hex);
	assert_int_equal(strlen(hex), 512);
	assert_memory_equal(hex, "000102", 6);
	assert_string_equal(hex + 506, "fdfeff");
	assert_int_equal(hex_decode(hex, back, sizeof(back)), 0);
	assert_memory_equal(back, all, sizeof(all));
	assert_int_equal(hex_decode("DEADbeef", four, 4), 0);
	assert_int_equal(four[0], 0xde);
	assert_int_equal(four[3], 0xef);
	hex_encode(four, 0, hex);
	assert_string_equal(hex, "");
	assert_int_equal(hex_decode("", four, 0), 0);
}

static void test_hex_decode_rejects(void **state)
{
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
		{ "zz", 1 }, { "0g", 1 }, { "g0", 1 }, { " 01", 1 }, { "0x01", 2 },
		{ "abc", 2 }, { "ab", 2 }, { "", 1 },		/* too short */
		{ "abcdef", 2 }, { "ab", 0 }, { "0000\n", 2 },	/* too long */
	};
	uint8_t out[8];
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		if (hex_decode(bad[i].s, out, bad[i].n) != ERR_INVALID)
			fail_msg("hex_decode accepted '%s' for %zu bytes", bad[i].s, bad[i].n);
	}
}

/* clock */

static void test_clock_format(void **state)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ 999, "1970-01-01T00:00:00.999Z" },
		{ 1795376701123, "2026-11-22T19:45:01.123Z" },
		{ 951782400005, "2000-02-29T00:00:00.005Z" },
		{ 4102444799990, "2099-12-31T23:59:59.990Z" },
	};
	char out[CLOCK_UTC_LEN];
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		memset(out, 'x', sizeof(out));
		clock_format_utc(cases[i].ms, out);
		assert_string_equal(out, cases[i].want);
		assert_int_equal(strlen(out), CLOCK_UTC_LEN - 1);
	}
}

static void test_clock_mono(void **state)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	int64_t t0, prev, now, wall;
	int i;

	t0 = prev = clock_mono_ms();
	for (i = 0; i < 100000; i++) {
		now = clock_mono_ms();
		assert_true(now >= prev);
		prev = now;
	}
	nanosleep(&nap, NULL);
	now = clock_mono_ms();
	assert_true(now - t0 >= 19);
	assert_true(now - t0 < 60000);
	wall = clock_wall_ms();
	assert_true(llabs(wall - (int64_t)time(NULL) * 1000) < 2000);
}

/* log */

static int log_teardown(void **state)
{
	log_close();
	return 0;
}

/* Split the file at PATH into lines (each without its '\n'); returns how many. */
static size_t read_lines(const char *path, struct buf *text, char **lines, size_t max)
{
	size_t n = 0;
	char *p, *nl;

	buf_reset(text);
	assert_int_equal(fs_read_file(path, text), 0);
	if (text->len)
		assert_int_equal(text->data[text->len - 1], '\n');
	for (p = text->data; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		*nl = '\0';
		assert_true(n < max);
		lines[n++] = p;
	}
	return n;
}

static void test_log_json(void **state)
{
	struct log_config cfg = { LOG_INFO, LOG_JSON, NULL, 0, 0 };
	char path[4096], before[CLOCK_UTC_LEN], after[CLOCK_UTC_LEN], *lines[8];
	struct buf text = BUF_INIT(0);
	json_error_t jerr;
	json_t *doc, *fields;
	const char *t;

	scratch_path(path, sizeof(path), "json.log");
	cfg.path = path;
	assert_int_equal(log_setup(&cfg), 0);
	clock_format_utc(clock_wall_ms(), before);
	log_kv(LOG_INFO, "deploy", "node \"switched\"\n", "node", "root@h:22", "ms", "123",
	       "empty", NULL, (const char *)NULL);
	log_kv(LOG_ERROR, "exec", "no fields", (const char *)NULL);
	log_printf(LOG_WARN, "cli", "formatted %d %s", 42, "x");
	clock_format_utc(clock_wall_ms(), after);
	log_close();

	assert_int_equal(read_lines(path, &text, lines, NELEM(lines)), 3);
	doc = json_loads(lines[0], JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		fail_msg("bad json line '%s': %s", lines[0], jerr.text);
	assert_true(json_is_object(doc));
	assert_int_equal(json_object_size(doc), 5);
	t = json_string_value(json_object_get(doc, "time"));
	assert_non_null(t);
	assert_int_equal(strlen(t), CLOCK_UTC_LEN - 1);
	assert_true(strcmp(before, t) <= 0 && strcmp(t, after) <= 0);
	assert_string_equal(json_string_value(json_object_get(doc, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(doc, "component")), "deploy");
	assert_string_equal(json_string_value(json_object_get(doc, "message")), "node \"switched\"\n");
	fields = json_object_get(doc, "fields");
	assert_true(json_is_object(fields));
	assert_int_equal(json_object_size(fields), 3);
	assert_string_equal(json_string_value(json_object_get(fields, "node")), "root@h:22");
	assert_string_equal(json_string_value(json_object_get(fields, "ms")), "123");
	assert_string_equal(json_string_value(json_object_get(fields, "empty")), "");
	json_decref(doc);

	doc = json_loads(lines[1], JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "level")), "error");
	assert_string_equal(json_string_value(json_object_get(doc, "message")), "no fields");
	assert_int_equal(json_object_size(json_object_get(doc, "fields")), 0);
	json_decref(doc);

	doc = json_loads(lines[2], JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(doc, "component")), "cli");
	assert_string_equal(json_string_value(json_object_get(doc, "message")), "formatted 42 x");
	json_decref(doc);
	buf_release(&text);
}

static void test_log_text(void **state)
{
	struct log_config cfg = { LOG_DEBUG, LOG_TEXT, NULL, 0, 0 };
	char path[4096], *lines[8];
	struct buf text = BUF_INIT(0);

	scratch_path(path, sizeof(path), "text.log");
	cfg.path = path;
	assert_int_equal(log_setup(&cfg), 0);
	log_kv(LOG_WARN, "ssh", "connect failed", "host", "h1", "port", "22", (const char *)NULL);
	log_debug("eval", "took %d ms", 17);
	log_close();

	assert_int_equal(read_lines(path, &text, lines, NELEM(lines)), 2);
	assert_true(strlen(lines[0]) > CLOCK_UTC_LEN);
	assert_int_equal(lines[0][CLOCK_UTC_LEN - 2], 'Z');
	assert_contains(lines[0], "warn");
	assert_contains(lines[0], "ssh");
	assert_contains(lines[0], "connect failed");
	assert_contains(lines[0], " host=h1");
	assert_contains(lines[0], " port=22");
	assert_true(strstr(lines[0], "connect failed") < strstr(lines[0], "host=h1"));
	assert_contains(lines[1], "debug");
	assert_contains(lines[1], "eval");
	assert_contains(lines[1], "took 17 ms");
	buf_release(&text);
}

static void test_log_level_filter(void **state)
{
	struct log_config cfg = { LOG_INFO, LOG_JSON, NULL, 0, 0 };
	char path[4096], *lines[8];
	struct buf text = BUF_INIT(0);

	scratch_path(path, sizeof(path), "level.log");
	cfg.path = path;
	assert_int_equal(log_setup(&cfg), 0);
	assert_true(log_enabled(LOG_ERROR));
	assert_true(log_enabled(LOG_INFO));
	assert_false(log_enabled(LOG_DEBUG));
	assert_false(log_enabled(LOG_TRACE));
	log_kv(LOG_DEBUG, "x", "dropped one", (const char *)NULL);
	log_debug("x", "dropped %s", "two");
	log_kv(LOG_TRACE, "x", "dropped three", (const char *)NULL);
	log_kv(LOG_INFO, "x", "kept one", (const char *)NULL);
	log_error("x", "kept %s", "two");
	log_close();

	assert_int_equal(read_lines(path, &text, lines, NELEM(lines)), 2);
	assert_contains(lines[0], "\"kept one\"");
	assert_contains(lines[1], "\"kept two\"");
	assert_null(strstr(text.data, "dropped"));
	buf_release(&text);
}

/* The number in a rotation test record "rec NNN". */
static int record_no(const char *line)
{
	const char *p = strstr(line, "rec ");

	assert_non_null(p);
	return atoi(p + 4);
}

static void test_log_rotation(void **state)
{
	struct log_config cfg = { LOG_INFO, LOG_TEXT, NULL, 200, 2 };
	char dir[4096], path[4096], rot[4][4096], *lines[64];
	struct buf text = BUF_INIT(0);
	size_t longest = 0, n, i;
	int f, next = -1, total = 0;

	scratch_path(dir, sizeof(dir), "rot");
	assert_int_equal(fs_mkdir_p(dir, 0755), 0);
	scratch_path(path, sizeof(path), "rot/app.log");
	cfg.path = path;
	assert_int_equal(log_setup(&cfg), 0);
	for (i = 0; i < 60; i++)
		log_info("rotate", "rec %03zu", i);
	log_close();

	/* Oldest first: path.2, path.1, path. */
	snprintf(rot[0], sizeof(rot[0]), "%s.2", path);
	snprintf(rot[1], sizeof(rot[1]), "%s.1", path);
	snprintf(rot[2], sizeof(rot[2]), "%s", path);
	snprintf(rot[3], sizeof(rot[3]), "%s.3", path);
	assert_false(fs_exists(rot[3]));
	for (f = 0; f < 3; f++) {
		assert_true(fs_exists(rot[f]));
		n = read_lines(rot[f], &text, lines, NELEM(lines));
		for (i = 0; i < n; i++) {
			if (strlen(lines[i]) + 1 > longest)
				longest = strlen(lines[i]) + 1;
			if (!strstr(lines[i], "rec "))
				continue;
			/* The kept records are the newest ones, in order, without gaps. */
			if (next >= 0)
				assert_int_equal(record_no(lines[i]), next);
			next = record_no(lines[i]) + 1;
			total++;
		}
	}
	assert_int_equal(next, 60);
	assert_true(total > 2);
	for (f = 0; f < 3; f++) {
		size_t sz = file_size(rot[f]);

		if (sz >= cfg.max_size + longest)
			fail_msg("'%s' holds %zu bytes; max_size %zu, longest record %zu", rot[f], sz,
				 cfg.max_size, longest);
		if (f < 2)
			assert_true(sz >= cfg.max_size);
	}
	buf_release(&text);
}

static void test_log_parse_and_bad_path(void **state)
{
	struct log_config cfg = { LOG_ERROR, LOG_TEXT, NULL, 0, 0 };
	enum log_level lvl = LOG_ERROR;
	enum log_format fmt = LOG_TEXT;
	char path[4096];

	assert_int_equal(log_level_parse("debug", &lvl), 0);
	assert_int_equal(lvl, LOG_DEBUG);
	assert_int_equal(log_level_parse("trace", &lvl), 0);
	assert_int_equal(lvl, LOG_TRACE);
	assert_int_equal(log_level_parse("verbose", &lvl), ERR_INVALID);
	assert_contains(err_msg(), "'verbose'");
	assert_int_equal(log_format_parse("json", &fmt), 0);
	assert_int_equal(fmt, LOG_JSON);
	assert_int_equal(log_format_parse("xml", &fmt), ERR_INVALID);

	scratch_path(path, sizeof(path), "no/such/dir/app.log");
	cfg.path = path;
	assert_int_equal(log_setup(&cfg), ERR_IO);
	assert_contains(err_msg(), path);
	assert_false(fs_exists(path));
}

/* fs */

static void test_fs_mkdir_p(void **state)
{
	char path[4096];
	struct stat st;

	scratch_path(path, sizeof(path), "mk/a/b/c/d");
	assert_int_equal(fs_mkdir_p(path, 0700), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(fs_mkdir_p(path, 0700), 0);
	scratch_path(path, sizeof(path), "mk/a/b");
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	scratch_path(path, sizeof(path), "mk/x//y/");
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	scratch_path(path, sizeof(path), "mk/x/y");
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fs_mkdir_p("", 0755), ERR_INVALID);
	/* A file in the way of a parent is an error. */
	scratch_path(path, sizeof(path), "mk/file");
	assert_int_equal(fs_write_file(path, "x", 1, 0644), 0);
	scratch_path(path, sizeof(path), "mk/file/sub");
	assert_int_equal(fs_mkdir_p(path, 0755), ERR_IO);
}

static void test_fs_write_read(void **state)
{
	char path[4096], dir[4096], held[16] = "";
	struct buf b = BUF_INIT(0);
	struct dirent *de;
	struct stat st;
	int fd, entries = 0;
	DIR *d;

	scratch_path(dir, sizeof(dir), "wr");
	assert_int_equal(fs_mkdir_p(dir, 0755), 0);
	scratch_path(path, sizeof(path), "wr/state.json");
	assert_int_equal(fs_write_file(path, LIT("hello\0world, a longer first version"), 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fs_read_file(path, &b), 0);
	assert_int_equal(b.len, sizeof("hello\0world, a longer first version") - 1);
	assert_memory_equal(b.data, "hello\0world", 11);

	/* Replace: a reader holding the old file keeps the old bytes, the path shows the new. */
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fs_write_file(path, LIT("v2"), 0640), 0);
	assert_int_equal(read(fd, held, 5), 5);
	close(fd);
	assert_string_equal(held, "hello");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	buf_reset(&b);
	assert_int_equal(fs_read_file(path, &b), 0);
	assert_string_equal(b.data, "v2");

	/* Read-only modes are set exactly, not through the umask, and can be replaced. */
	assert_int_equal(fs_write_file(path, LIT("v3"), 0444), 0);
	assert_int_equal(fs_write_file(path, LIT("v4"), 0444), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	assert_int_equal(fs_write_file(path, "", 0, 0604), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0604);
	assert_int_equal(st.st_size, 0);

	/* No temporary files are left behind. */
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			assert_string_equal(de->d_name, "state.json");
			entries++;
		}
	}
	closedir(d);
	assert_int_equal(entries, 1);

	/* Reading appends and honours the buffer's cap. */
	assert_int_equal(fs_write_file(path, LIT("0123456789abcdef"), 0644), 0);
	buf_reset(&b);
	assert_int_equal(buf_adds(&b, ">"), 0);
	assert_int_equal(fs_read_file(path, &b), 0);
	assert_string_equal(b.data, ">0123456789abcdef");
	buf_release(&b);
	b.max = 8;
	assert_int_equal(fs_read_file(path, &b), ERR_LIMIT);
	buf_release(&b);

	scratch_path(path, sizeof(path), "wr/missing/x");
	assert_int_equal(fs_write_file(path, "x", 1, 0644), ERR_IO);
}

static void test_fs_read_missing(void **state)
{
	struct buf b = BUF_INIT(0);
	char path[4096];

	assert_int_equal(buf_adds(&b, "keep"), 0);
	scratch_path(path, sizeof(path), "no-such-file");
	assert_int_equal(fs_read_file(path, &b), ERR_NOTFOUND);
	assert_contains(err_msg(), path);
	assert_string_equal(b.data, "keep");
	assert_int_equal(fs_read_file(scratch, &b), ERR_IO);	/* a directory */
	buf_release(&b);
}

static void test_fs_rm_rf(void **state)
{
	char top[4096], path[4096], ro[4096], keep[4096];
	int r;

	scratch_path(top, sizeof(top), "rm/top");
	scratch_path(path, sizeof(path), "rm/top/a/b/c");
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	scratch_path(path, sizeof(path), "rm/top/a/b/c/file");
	assert_int_equal(fs_write_file(path, "x", 1, 0644), 0);
	scratch_path(ro, sizeof(ro), "rm/top/ro");
	assert_int_equal(fs_mkdir_p(ro, 0755), 0);
	scratch_path(path, sizeof(path), "rm/top/ro/f");
	assert_int_equal(fs_write_file(path, "x", 1, 0444), 0);
	/* A symlink out of the tree: removed, its target not followed. */
	scratch_path(keep, sizeof(keep), "rm/keep");
	assert_int_equal(fs_mkdir_p(keep, 0755), 0);
	scratch_path(path, sizeof(path), "rm/keep/precious");
	assert_int_equal(fs_write_file(path, "x", 1, 0644), 0);
	scratch_path(path, sizeof(path), "rm/top/a/link");
	assert_int_equal(symlink(keep, path), 0);
	assert_int_equal(chmod(ro, 0555), 0);

	r = fs_rm_rf(top);
	if (r < 0 || fs_exists(top)) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", err_msg());
		chmod(ro, 0755);	/* let the group teardown clean up */
		fail_msg("fs_rm_rf returned %d (%s) and left '%s'", r, r < 0 ? msg : "", top);
	}
	scratch_path(path, sizeof(path), "rm/keep/precious");
	assert_true(fs_exists(path));

	/* Missing is fine; a plain file is removed. */
	assert_int_equal(fs_rm_rf(top), 0);
	assert_int_equal(fs_rm_rf(path), 0);
	assert_false(fs_exists(path));
}

static void test_fs_path_under(void **state)
{
	static const struct {
		const char *path, *dir;
		bool want;
	} cases[] = {
		{ "/a/bc", "/a/b", false },
		{ "/a/b/c", "/a/b", true },
		{ "/a/b", "/a/b/", true },
		{ "/a/b", "/a/b", true },
		{ "/a/b/c/d", "/a/b//", true },
		{ "/a", "/a/b", false },
		{ "/a/b", "/a/c", false },
		{ "/ab/c", "/a", false },
	};
	size_t i;

	for (i = 0; i < NELEM(cases); i++) {
		if (fs_path_under(cases[i].path, cases[i].dir) != cases[i].want)
			fail_msg("fs_path_under('%s', '%s') is not %d", cases[i].path, cases[i].dir,
				 cases[i].want);
	}
}

/* proc */

static void test_proc_which(void **state)
{
	char out[4096], bin[4096], path[4096], *saved;
	const char *old = getenv("PATH");

	assert_int_equal(proc_which("sh", out, sizeof(out)), 0);
	assert_int_equal(out[0], '/');
	assert_int_equal(access(out, X_OK), 0);
	assert_non_null(strstr(out, "/sh"));
	assert_int_equal(proc_which("chimera-no-such-program-7f3a", out, sizeof(out)), ERR_NOTFOUND);
	assert_string_equal(out, "");
	assert_contains(err_msg(), "chimera-no-such-program-7f3a");

	/* Only executable files count, searched in PATH order. */
	scratch_path(bin, sizeof(bin), "bin");
	assert_int_equal(fs_mkdir_p(bin, 0755), 0);
	scratch_path(path, sizeof(path), "bin/chimera-tool");
	assert_int_equal(fs_write_file(path, LIT("#!/bin/sh\n"), 0755), 0);
	scratch_path(path, sizeof(path), "bin/chimera-data");
	assert_int_equal(fs_write_file(path, LIT("data\n"), 0644), 0);
	saved = old ? strdup(old) : NULL;
	snprintf(path, sizeof(path), "/nonexistent-dir::%s:/usr/bin:/bin", bin);
	setenv("PATH", path, 1);
	assert_int_equal(proc_which("chimera-tool", out, sizeof(out)), 0);
	snprintf(path, sizeof(path), "%s/chimera-tool", bin);
	assert_string_equal(out, path);
	assert_int_equal(proc_which("chimera-data", out, sizeof(out)), ERR_NOTFOUND);
	if (saved)
		setenv("PATH", saved, 1);
	else
		unsetenv("PATH");
	free(saved);
}

static void test_proc_run(void **state)
{
	char *const mixed[] = { "/bin/sh", "-c", "echo hi; echo err >&2; exit 3", NULL };
	char *const stdin_null[] = { "/bin/sh", "-c", "cat; echo done", NULL };
	char *const killed[] = { "/bin/sh", "-c", "kill -9 $$", NULL };
	char *const chatty[] = { "/bin/sh", "-c", "i=0; while [ $i -lt 10000 ]; do echo 0123456789; i=$((i+1)); done", NULL };
	char *const missing[] = { "/nonexistent/chimera-prog", NULL };
	struct buf out = BUF_INIT(0), small = BUF_INIT(16);
	int status = 0, r;

	assert_int_equal(proc_run(mixed, &out, &status), 0);
	assert_int_equal(status, 3);
	assert_contains(out.data, "hi\n");
	assert_contains(out.data, "err\n");
	assert_int_equal(out.len, 7);

	buf_reset(&out);
	assert_int_equal(proc_run(stdin_null, &out, &status), 0);
	assert_int_equal(status, 0);
	assert_string_equal(out.data, "done\n");

	assert_int_equal(proc_run(killed, NULL, &status), 0);
	assert_int_equal(status, 128 + SIGKILL);

	/* Output past the cap is dropped, and the child is not left blocked on the pipe. */
	assert_int_equal(proc_run(chatty, &small, &status), 0);
	assert_int_equal(status, 0);
	assert_true(small.len <= 16);

	buf_reset(&out);
	r = proc_run(missing, &out, &status);
	assert_true(r == ERR_IO || (r == 0 && status == 127));
	buf_release(&out);
	buf_release(&small);
}

static void test_proc_alive(void **state)
{
	struct timespec nap = { 0, 5 * 1000 * 1000 };
	pid_t pid;
	int st, i;

	assert_true(proc_alive(getpid()));
	assert_false(proc_alive(0));
	assert_false(proc_alive(-1));

	/* A running child is alive; once it exits it is a zombie, then gone. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_true(proc_alive(pid));
	kill(pid, SIGKILL);
	for (i = 0; i < 1000 && proc_alive(pid); i++)
		nanosleep(&nap, NULL);
	assert_false(proc_alive(pid));	/* zombie */
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_false(proc_alive(pid));	/* reaped */

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_false(proc_alive(pid));
}

/* pool */

#define POOL_JOBS 1000

struct pool_count {
	atomic_int hits[POOL_JOBS];
	atomic_int running;
	atomic_int most;
	size_t n;
};

static void pool_count_job(size_t i, void *arg)
{
	struct pool_count *pc = arg;
	struct timespec nap = { 0, 50 * 1000 };
	int now = atomic_fetch_add(&pc->running, 1) + 1;
	int most = atomic_load(&pc->most);

	while (now > most && !atomic_compare_exchange_weak(&pc->most, &most, now))
		;
	if (i < pc->n)
		atomic_fetch_add(&pc->hits[i], 1);
	else
		atomic_fetch_add(&pc->hits[POOL_JOBS - 1], 1000);	/* out of range: make it show */
	nanosleep(&nap, NULL);
	atomic_fetch_sub(&pc->running, 1);
}

static void pool_check(size_t n, int parallel, int limit)
{
	struct pool_count *pc = calloc(1, sizeof(*pc));
	size_t i;

	assert_non_null(pc);
	pc->n = n;
	assert_int_equal(pool_run(n, parallel, pool_count_job, pc), 0);
	for (i = 0; i < POOL_JOBS; i++) {
		int want = i < n ? 1 : 0;

		if (atomic_load(&pc->hits[i]) != want)
			fail_msg("job %zu ran %d times (n %zu, parallel %d)", i, atomic_load(&pc->hits[i]),
				 n, parallel);
	}
	assert_int_equal(atomic_load(&pc->running), 0);
	assert_true(atomic_load(&pc->most) >= 1);
	assert_true(atomic_load(&pc->most) <= limit);
	free(pc);
}

static void test_pool_each_once(void **state)
{
	pool_check(POOL_JOBS, 8, 8);
}

static void test_pool_more_threads_than_jobs(void **state)
{
	pool_check(3, 64, 3);
	pool_check(1, 8, 1);
	pool_check(5, 0, 1);	/* fewer than one thread means one */
}

static void pool_never(size_t i, void *arg)
{
	fail_msg("job %zu ran with n == 0", i);
}

static void test_pool_zero(void **state)
{
	assert_int_equal(pool_run(0, 8, pool_never, NULL), 0);
	assert_int_equal(pool_run(0, 0, pool_never, NULL), 0);
}

/* Regressions: each of these failed before its fix. */
static void test_log_json_invalid_utf8(void **state)
{
	struct log_config cfg = { LOG_DEBUG, LOG_JSON, NULL, 0, 0 };
	char path[4096], *lines[4];
	struct buf text = BUF_INIT(0);
	json_t *doc;

	scratch_path(path, sizeof(path), "utf8.log");
	cfg.path = path;
	assert_int_equal(log_setup(&cfg), 0);
	log_kv(LOG_INFO, "c\xff", "m\xc3", "node", "bad\xff", (const char *)NULL);
	log_close();
	assert_int_equal(read_lines(path, &text, lines, 4), 1);
	doc = json_loads(lines[0], 0, NULL);
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "fields"), "node")),
			    "bad\xef\xbf\xbd");
	json_decref(doc);
	buf_release(&text);
}

static void test_log_text_one_line(void **state)
{
	struct log_config cfg = { LOG_DEBUG, LOG_TEXT, NULL, 0, 0 };
	char path[4096], *lines[4];
	struct buf text = BUF_INIT(0);

	scratch_path(path, sizeof(path), "forge.log");
	cfg.path = path;
	assert_int_equal(log_setup(&cfg), 0);
	log_kv(LOG_INFO, "c", "two\nlines", "k", "v\n2026-01-01 error forged: x", (const char *)NULL);
	log_close();
	assert_int_equal(read_lines(path, &text, lines, 4), 1);
	assert_non_null(strstr(lines[0], "two\\nlines"));
	assert_non_null(strstr(lines[0], "k=v\\n2026"));
	buf_release(&text);
}

static void test_fs_regressions(void **state)
{
	char dir[4096], file[4096], sub[4096];

	/* A 0000 directory inside a 0555 one is still removed. */
	scratch_path(dir, sizeof(dir), "regress/ro");
	assert_int_equal(fs_mkdir_p(dir, 0755), 0);
	scratch_path(sub, sizeof(sub), "regress/ro/locked");
	assert_int_equal(fs_mkdir_p(sub, 0755), 0);
	scratch_path(file, sizeof(file), "regress/ro/locked/f");
	assert_int_equal(fs_write_file(file, "x", 1, 0444), 0);
	assert_int_equal(chmod(sub, 0), 0);
	assert_int_equal(chmod(dir, 0555), 0);
	scratch_path(dir, sizeof(dir), "regress");
	assert_int_equal(fs_rm_rf(dir), 0);
	assert_false(fs_exists(dir));
	/* A file in the way of a directory is an error. */
	scratch_path(file, sizeof(file), "plainfile");
	assert_int_equal(fs_write_file(file, "x", 1, 0644), 0);
	assert_int_equal(fs_mkdir_p(file, 0755), ERR_IO);
	scratch_path(sub, sizeof(sub), "plainfile/below");
	assert_int_equal(fs_mkdir_p(sub, 0755), ERR_IO);
	/* "/" holds every absolute path. */
	assert_true(fs_path_under("/etc", "/"));
	assert_true(fs_path_under("/", "/"));
	assert_false(fs_path_under("etc", "/"));
}

static void test_clock_before_epoch(void **state)
{
	char out[CLOCK_UTC_LEN];

	clock_format_utc(-1, out);
	assert_string_equal(out, "1969-12-31T23:59:59.999Z");
	clock_format_utc(-1500, out);
	assert_string_equal(out, "1969-12-31T23:59:58.500Z");
}

static void test_proc_which_refusals(void **state)
{
	char out[4096];

	assert_int_equal(proc_which("", out, sizeof(out)), ERR_INVALID);
	assert_int_equal(proc_which("/bin/sh", out, sizeof(out)), ERR_INVALID);
	{
		char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

		/* /usr/bin exists and is "executable", but it is a directory. */
		setenv("PATH", "/usr:relative/dir", 1);
		assert_int_equal(proc_which("bin", out, sizeof(out)), ERR_NOTFOUND);
		setenv("PATH", "/usr/bin", 1);
		assert_int_equal(proc_which("env", out, sizeof(out)), 0);
		assert_string_equal(out, "/usr/bin/env");
		if (saved)
			setenv("PATH", saved, 1);
		free(saved);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_wraps_the_last_message),
		cmocka_unit_test(test_buf_init_release_never_null),
		cmocka_unit_test(test_buf_add_growth),
		cmocka_unit_test(test_buf_printf_growth),
		cmocka_unit_test(test_buf_max_limit),
		cmocka_unit_test(test_buf_detach),
		cmocka_unit_test(test_buf_reset_keeps_capacity),
		cmocka_unit_test(test_err_set_and_msg),
		cmocka_unit_test(test_err_set_errno),
		cmocka_unit_test(test_err_str),
		cmocka_unit_test(test_err_quote_escapes),
		cmocka_unit_test(test_err_quote_truncates),
		cmocka_unit_test(test_err_bad_line),
		cmocka_unit_test(test_json_add_string),
		cmocka_unit_test(test_json_canonical_sorts),
		cmocka_unit_test(test_json_real_digits),
		cmocka_unit_test(test_json_canonical_rejects),
		cmocka_unit_test(test_json_canonical_message_is_clean),
		cmocka_unit_test(test_json_utf8_clean),
		cmocka_unit_test(test_shell_quote_forms),
		cmocka_unit_test(test_shell_quote_sh_roundtrip),
		cmocka_unit_test(test_sha3_known),
		cmocka_unit_test(test_hex_roundtrip),
		cmocka_unit_test(test_hex_decode_rejects),
		cmocka_unit_test(test_clock_format),
		cmocka_unit_test(test_clock_mono),
		cmocka_unit_test_teardown(test_log_json, log_teardown),
		cmocka_unit_test_teardown(test_log_text, log_teardown),
		cmocka_unit_test_teardown(test_log_level_filter, log_teardown),
		cmocka_unit_test_teardown(test_log_rotation, log_teardown),
		cmocka_unit_test_teardown(test_log_parse_and_bad_path, log_teardown),
		cmocka_unit_test(test_fs_mkdir_p),
		cmocka_unit_test(test_fs_write_read),
		cmocka_unit_test(test_fs_read_missing),
		cmocka_unit_test(test_fs_rm_rf),
		cmocka_unit_test(test_fs_path_under),
		cmocka_unit_test(test_proc_which),
		cmocka_unit_test(test_proc_run),
		cmocka_unit_test(test_proc_alive),
		cmocka_unit_test(test_pool_each_once),
		cmocka_unit_test(test_pool_more_threads_than_jobs),
		cmocka_unit_test(test_pool_zero),
		cmocka_unit_test_teardown(test_log_json_invalid_utf8, log_teardown),
		cmocka_unit_test_teardown(test_log_text_one_line, log_teardown),
		cmocka_unit_test(test_fs_regressions),
		cmocka_unit_test(test_clock_before_epoch),
		cmocka_unit_test(test_proc_which_refusals),
	};

	return cmocka_run_group_tests(tests, scratch_setup, scratch_teardown);
}
