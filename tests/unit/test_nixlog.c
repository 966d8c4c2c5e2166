/* formats/nixlog: real nix-build 2.8 --log-format internal-json streams from tests/fixtures/nix, edge cases, hints. */
#include "check.h"

#include "formats/nixlog.h"

/*
 * The fixtures are nix-bin 2.8.0's stderr, captured as is with
 *   NIX_CONFIG='substituters =\nbuild-users-group =\nsandbox = false' \
 *     nix-build F.nix --no-out-link --log-format internal-json
 * progress-two: two derivations, progress-top depending on progress-dep; each prints
 *   lines and sleeps 1 s, progress-top sets a phase and prints a line with colour codes.
 * progress-fail: a derivation printing "fail line 1" ... "fail line 30", then "about to
 *   fail" on stderr, exit 3; progress-fail.log is the same build's stderr without
 *   --log-format.
 * progress-cancel: two independent derivations with --max-jobs 2: progress-quick fails
 *   after 1 s, progress-slow (sleeping 3 s) is cancelled.
 * nixbld: progress-fail with NIX_CONFIG lacking "build-users-group =", as root on a
 *   machine without the nixbld group.
 */

/* What the events said, one line each, for comparing. */
struct seen {
	struct buf log;		/* the events */
	struct buf plain;	/* the plain lines */
	struct buf tail;	/* the last failed derivation's tail, one line each */
	size_t built, failed, stopped;
	int64_t ms;		/* of the last derivation done */
};

static void on_event(const struct nixlog_event *ev, void *arg)
{
	static const char *const result[] = { "built", "failed", "stopped" };
	struct seen *s = arg;
	size_t i;

	if (ev->plain)
		buf_printf(&s->plain, "%s\n", ev->plain);
	switch (ev->kind) {
	case NIXLOG_TEXT: buf_printf(&s->log, "text %d\n", ev->level); break;
	case NIXLOG_BUILD_START: buf_printf(&s->log, "start %s %s\n", ev->name, ev->drv); break;
	case NIXLOG_BUILD_LINE: buf_printf(&s->log, "line %s: %s\n", ev->name, ev->text); break;
	case NIXLOG_BUILD_PHASE: buf_printf(&s->log, "phase %s: %s\n", ev->name, ev->text); break;
	case NIXLOG_COUNTS:
		buf_printf(&s->log, "counts %zu/%zu running %zu failed %zu\n", ev->done, ev->total, ev->running,
			   ev->failed);
		break;
	case NIXLOG_BUILD_DONE:
		buf_printf(&s->log, "done %s %s, %zu lines\n", ev->name, result[ev->result], ev->ntail);
		s->built += ev->result == NIXLOG_BUILT;
		s->failed += ev->result == NIXLOG_FAILED;
		s->stopped += ev->result == NIXLOG_STOPPED;
		s->ms = ev->ms;
		if (ev->result == NIXLOG_FAILED) {
			buf_reset(&s->tail);
			for (i = 0; i < ev->ntail; i++)
				buf_printf(&s->tail, "%s\n", ev->tail[i]);
		}
		break;
	}
}

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	buf_init(&s->log, 0);
	buf_init(&s->plain, 0);
	buf_init(&s->tail, 0);
}

static void seen_release(struct seen *s)
{
	buf_release(&s->log);
	buf_release(&s->plain);
	buf_release(&s->tail);
}

/* Feed LEN bytes of DATA in pieces of STEP bytes (0: at once), the clock at 1000 + 10 ms a piece. */
static void feed(struct seen *s, const char *data, size_t len, size_t step)
{
	struct nixlog *p = nixlog_new(on_event, s);
	int64_t now = 1000;
	size_t at = 0;

	assert_non_null(p);
	while (at < len) {
		size_t n = step && len - at > step ? step : len - at;

		assert_int_equal(nixlog_feed(p, data + at, n, now), 0);
		at += n;
		now += 10;
	}
	assert_int_equal(nixlog_end(p, now), 0);
	nixlog_free(p);
}

static void feed_fixture(struct seen *s, const char *file, size_t step)
{
	struct buf b = BUF_INIT(0);
	char rel[64];

	snprintf(rel, sizeof(rel), "nix/%s", file);
	read_fixture(rel, &b);
	feed(s, b.data, b.len, step);
	buf_release(&b);
}

#define DEP "/nix/store/di3z9ba0l75p8j1vksa222hb4s0fcd4h-progress-dep.drv"
#define TOP "/nix/store/66r3n0kcqhql8v3l2yzabmmpspqv008s-progress-top.drv"

static void test_two(void **state)
{
	struct seen s;
	const char *want =
		"text 3\ntext 3\ntext 3\n"	/* these 2 derivations will be built: ... */
		"counts 0/1 running 0 failed 0\n"
		"counts 0/2 running 0 failed 0\n"
		"start progress-dep " DEP "\n"
		"counts 0/2 running 1 failed 0\n"
		"line progress-dep: dep line one\n"
		"line progress-dep: dep line two\n"
		"line progress-dep: dep done\n"
		"counts 1/2 running 0 failed 0\n"
		"done progress-dep built, 3 lines\n"
		"start progress-top " TOP "\n"
		"counts 1/2 running 1 failed 0\n"
		"phase progress-top: buildPhase\n"
		"line progress-top: top starting\n"
		"line progress-top: top bold end\n"
		"counts 2/2 running 0 failed 0\n"
		"done progress-top built, 2 lines\n";

	(void)state;
	seen_init(&s);
	feed_fixture(&s, "progress-two.jsonlog", 0);
	/* "querying info about missing paths" (level 6) says nothing, as nix-build does not print it. */
	assert_string_equal(s.log.data, want);
	assert_int_equal(s.built, 2);
	assert_int_equal(s.failed + s.stopped, 0);
	assert_string_equal(s.plain.data, "these 2 derivations will be built:\n"
					  "  " DEP "\n  " TOP "\n"
					  "building '" DEP "'...\n"
					  "dep line one\ndep line two\ndep done\n"
					  "building '" TOP "'...\n"
					  "top starting\ntop bold end\n");
	seen_release(&s);
}

/* The same events and plain lines whatever pieces the input comes in. */
static void test_any_split(void **state)
{
	static const char *const files[] = { "progress-two.jsonlog", "progress-fail.jsonlog", "progress-cancel.jsonlog",
					     "nixbld.jsonlog" };
	static const size_t steps[] = { 1, 2, 7, 64, 4093 };
	size_t f, k;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		struct seen whole;

		seen_init(&whole);
		feed_fixture(&whole, files[f], 0);
		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			struct seen cut;

			seen_init(&cut);
			feed_fixture(&cut, files[f], steps[k]);
			if (strcmp(whole.log.data, cut.log.data) != 0 || strcmp(whole.plain.data, cut.plain.data) != 0)
				fail_msg("%s in pieces of %zu: other events", files[f], steps[k]);
			seen_release(&cut);
		}
		seen_release(&whole);
	}
}

static void test_fail(void **state)
{
	struct seen s;
	struct buf plain = BUF_INIT(0), want = BUF_INIT(0);
	int i;

	(void)state;
	seen_init(&s);
	feed_fixture(&s, "progress-fail.jsonlog", 0);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.built + s.stopped, 0);
	assert_contains(s.log.data, "done progress-fail failed, 25 lines\n");
	assert_contains(s.log.data, "counts 0/1 running 0 failed 1\n");
	/* The last 25 of its 31 lines, oldest first. */
	for (i = 7; i <= 30; i++)
		buf_printf(&want, "fail line %d\n", i);
	buf_adds(&want, "about to fail\n");
	assert_string_equal(s.tail.data, want.data);
	/* What nix-build prints without --log-format, line for line. */
	read_fixture("nix/progress-fail.log", &plain);
	assert_string_equal(s.plain.data, plain.data);
	buf_release(&plain);
	buf_release(&want);
	seen_release(&s);
}

/* The failed one stops after the one cancelled because of it: the error message names it. */
static void test_cancel(void **state)
{
	struct seen s;

	(void)state;
	seen_init(&s);
	feed_fixture(&s, "progress-cancel.jsonlog", 0);
	assert_contains(s.log.data, "done progress-slow stopped, 1 lines\ndone progress-quick failed, 1 lines\n");
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.stopped, 1);
	assert_string_equal(s.tail.data, "quick fails\n");
	seen_release(&s);
}

/* Without the counts' help, the count of failures alone: one failure, one derivation open. */
static void test_fail_by_count(void **state)
{
	struct seen s;
	const char in[] =
		"@nix {\"action\":\"start\",\"id\":1,\"level\":0,\"text\":\"\",\"type\":104}\n"
		"@nix {\"action\":\"start\",\"fields\":[\"" DEP "\",\"\",1,1],\"id\":2,\"level\":3,\"text\":\"b\",\"type\":105}\n"
		"@nix {\"action\":\"result\",\"fields\":[0,0,0,1],\"id\":1,\"type\":105}\n"
		"@nix {\"action\":\"stop\",\"id\":2}\n";

	(void)state;
	seen_init(&s);
	feed(&s, LIT(in), 0);
	assert_int_equal(s.failed, 1);
	assert_int_equal(s.ms, 0);
	seen_release(&s);
}

static void test_nixbld(void **state)
{
	struct seen s;
	char hint[600];

	(void)state;
	seen_init(&s);
	feed_fixture(&s, "nixbld.jsonlog", 0);
	assert_null(strstr(s.log.data, "start "));
	assert_contains(s.plain.data, "error: the group 'nixbld' specified in 'build-users-group' does not exist\n");
	assert_true(nixlog_hint(s.plain.data, s.plain.len, hint, sizeof(hint)));
	assert_contains(hint, "build-users-group setting names the group 'nixbld'");
	assert_contains(hint, "NIX_CONFIG=\"build-users-group =\"");
	seen_release(&s);
}

static void test_hint(void **state)
{
	const char sock[] = "error: cannot connect to socket at '/nix/var/nix/daemon-socket/socket': No such file or "
			    "directory\n";
	const char other[] = "error: builder for '" DEP "' failed with exit code 1\n";
	char hint[600];

	(void)state;
	assert_true(nixlog_hint(LIT(sock), hint, sizeof(hint)));
	assert_contains(hint, "no Nix daemon listens on /nix/var/nix/daemon-socket/socket");
	assert_contains(hint, "NIX_REMOTE");
	assert_false(nixlog_hint(LIT(other), hint, sizeof(hint)));
	assert_false(nixlog_hint(LIT("the group 'x' specified in"), hint, sizeof(hint)));
}

static void test_conf_sets(void **state)
{
	(void)state;
	assert_true(nixlog_conf_sets(LIT("build-users-group ="), "build-users-group"));
	assert_true(nixlog_conf_sets(LIT("substituters =\n  build-users-group=nixbld\n"), "build-users-group"));
	assert_true(nixlog_conf_sets(LIT("a = b\n\tbuild-users-group \t = \n"), "build-users-group"));
	assert_false(nixlog_conf_sets(LIT("# build-users-group = nixbld\n"), "build-users-group"));
	assert_false(nixlog_conf_sets(LIT("build-users-groups = x\n"), "build-users-group"));
	assert_false(nixlog_conf_sets(LIT("build-users-group\n"), "build-users-group"));
	assert_false(nixlog_conf_sets(LIT(""), "build-users-group"));
}

/* Lines that are not Nix's JSON are plain text; broken JSON too; escapes and controls are dropped. */
static void test_plain_and_broken(void **state)
{
	struct seen s;
	const char in[] = "cannot run '/usr/bin/nix-build'\r\n"
			  "@nix {\"action\":\n"
			  "@nix [1,2]\n"
			  "@nix {\"action\":\"launch\",\"id\":1}\n"
			  "@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"\\u001b[31;1merror:\\u001b[0m a\\nb\\tc\\u0007\"}\n"
			  "@nix {\"action\":\"msg\",\"level\":9,\"msg\":\"odd level\"}\n"
			  "@nix {\"action\":\"result\",\"fields\":[\"orphan \\u001b]8;;http://x\\u0007link\"],\"id\":5,\"type\":101}\n"
			  "no newline at the end";

	(void)state;
	seen_init(&s);
	feed(&s, LIT(in), 0);
	assert_string_equal(s.log.data, "text -1\ntext -1\ntext -1\ntext 0\ntext -1\ntext 3\ntext -1\n");
	assert_string_equal(s.plain.data, "cannot run '/usr/bin/nix-build'\n"
					  "@nix {\"action\":\n"
					  "@nix [1,2]\n"
					  "error: a\nb\tc\n"
					  "odd level\n"
					  "orphan link\n"
					  "no newline at the end\n");
	seen_release(&s);
}

/* An input line past NIXLOG_INPUT_MAX is cut there; the next line is read whole. */
static void test_overlong(void **state)
{
	struct seen s;
	struct buf in = BUF_INIT(0);
	size_t i;

	(void)state;
	seen_init(&s);
	for (i = 0; i < NIXLOG_INPUT_MAX + 100; i++)
		buf_addc(&in, 'x');
	buf_adds(&in, "\nshort\n");
	feed(&s, in.data, in.len, 4096);
	assert_string_equal(s.log.data, "text -1\ntext -1\n");
	/* A plain line keeps NIXLOG_TEXT_MAX bytes. */
	assert_int_equal(s.plain.len, NIXLOG_TEXT_MAX + 1 + strlen("short\n"));
	assert_string_equal(s.plain.data + NIXLOG_TEXT_MAX, "\nshort\n");
	buf_release(&in);
	seen_release(&s);
}

/* A log line is cut at NIXLOG_LINE_MAX bytes, before a character; open derivations stop at the end. */
static void test_cut_and_end(void **state)
{
	struct seen s;
	struct buf in = BUF_INIT(0);
	size_t i;

	(void)state;
	seen_init(&s);
	buf_adds(&in, "@nix {\"action\":\"start\",\"fields\":[\"" TOP "\"],\"id\":7,\"level\":3,\"text\":\"\",\"type\":105}\n");
	buf_adds(&in, "@nix {\"action\":\"result\",\"fields\":[\"a");
	for (i = 0; i < NIXLOG_LINE_MAX; i++)
		buf_adds(&in, "\xc3\xa9");
	buf_adds(&in, "\"],\"id\":7,\"type\":101}\n");
	feed(&s, in.data, in.len, 0);
	assert_contains(s.log.data, "start progress-top " TOP "\n");
	assert_contains(s.log.data, "done progress-top stopped, 1 lines\n");
	/* "a" and as many two-byte characters as fit: NIXLOG_LINE_MAX - 1 bytes. */
	assert_int_equal(strlen(s.plain.data), NIXLOG_LINE_MAX - 1 + 1);
	assert_int_equal(s.ms, 10);
	buf_release(&in);
	seen_release(&s);
}

/* More derivations at once than NIXLOG_BUILDS_MAX: the rest are not followed, their lines are text. */
static void test_many_builds(void **state)
{
	struct seen s;
	struct buf in = BUF_INIT(0);
	size_t i, starts = 0;
	const char *p;

	(void)state;
	seen_init(&s);
	for (i = 0; i < NIXLOG_BUILDS_MAX + 3; i++)
		buf_printf(&in,
			   "@nix {\"action\":\"start\",\"fields\":[\"" DEP "\"],\"id\":%zu,\"level\":3,\"text\":\"\",\"type\":105}\n",
			   100 + i);
	buf_printf(&in, "@nix {\"action\":\"result\",\"fields\":[\"late\"],\"id\":%zu,\"type\":101}\n",
		   (size_t)100 + NIXLOG_BUILDS_MAX + 1);
	buf_printf(&in, "@nix {\"action\":\"result\",\"fields\":[\"early\"],\"id\":%d,\"type\":101}\n", 100);
	feed(&s, in.data, in.len, 0);
	for (p = s.log.data; (p = strstr(p, "start ")); p++)
		starts++;
	assert_int_equal(starts, NIXLOG_BUILDS_MAX);
	assert_contains(s.log.data, "text 3\nline progress-dep: early\n");
	assert_int_equal(s.stopped, NIXLOG_BUILDS_MAX);
	buf_release(&in);
	seen_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two),
		cmocka_unit_test(test_any_split),
		cmocka_unit_test(test_fail),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_fail_by_count),
		cmocka_unit_test(test_nixbld),
		cmocka_unit_test(test_hint),
		cmocka_unit_test(test_conf_sets),
		cmocka_unit_test(test_plain_and_broken),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_cut_and_end),
		cmocka_unit_test(test_many_builds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
