/* formats/systemd_show: real systemd 252 captures in tests/fixtures/systemd, edge cases, errors. */
#include "check.h"

#include <stdlib.h>

#include "formats/systemd_show.h"

static void parse_fixture(const char *file, struct sd_unit_list *l)
{
	struct buf b = BUF_INIT(0);
	char rel[64];

	snprintf(rel, sizeof(rel), "systemd/%s", file);
	read_fixture(rel, &b);
	if (systemd_show_parse(b.data, b.len, l) < 0)
		fail_msg("%s: %s", file, err_msg());
	buf_release(&b);
}

/* The one unit of FILE. */
static struct sd_unit one_unit(const char *file)
{
	struct sd_unit_list l;
	struct sd_unit u;

	parse_fixture(file, &l);
	assert_int_equal(l.n, 1);
	u = l.items[0];
	systemd_show_release(&l);
	return u;
}

/*
 * The fixtures are real captures (scripts/capture-systemd.sh, systemd 252.38 on Debian 12) taken
 * a second or more apart: app at 02:33:56, setup 02:33:57-58, the workers and broken at 02:33:58,
 * broken failing at 02:33:59 (date -u -d '2026-11-23 02:33:56' +%s is 1795401236).
 */
#define T56 1795401236
#define T57 1795401237
#define T58 1795401238
#define T59 1795401239

static void test_running(void **state)
{
	struct sd_unit u = one_unit("running.txt");

	(void)state;
	assert_string_equal(u.id, "app.service");
	assert_string_equal(u.description, "Chimera fixture: a long-running application");
	assert_string_equal(u.load_state, "loaded");
	assert_string_equal(u.active_state, "active");
	assert_string_equal(u.sub_state, "running");
	assert_string_equal(u.unit_file_state, "enabled");
	assert_string_equal(u.type, "simple");
	assert_string_equal(u.result, "success");
	assert_string_equal(u.load_error, "");
	assert_int_equal(u.main_pid, 46);
	assert_true(u.memory_known);
	assert_int_equal(u.memory, 180224);
	/* Active: since when it entered the active state. */
	assert_true(u.since.set);
	assert_string_equal(u.since.text, "Mon 2026-11-23 02:33:56 UTC");
	assert_int_equal(u.since.epoch, T56);
	assert_true(u.exec_main_start.set);
	assert_int_equal(u.exec_main_start.epoch, T56);
	assert_false(u.active_exit.set);
	assert_false(u.inactive_enter.set);
	assert_false(systemd_unit_missing(&u));
}

static void test_inactive(void **state)
{
	struct sd_unit u = one_unit("inactive.txt");

	(void)state;
	assert_string_equal(u.id, "backup.service");
	assert_string_equal(u.active_state, "inactive");
	assert_string_equal(u.sub_state, "dead");
	assert_string_equal(u.unit_file_state, "disabled");
	assert_string_equal(u.type, "oneshot");
	assert_int_equal(u.main_pid, 0);
	assert_false(u.memory_known);
	/* Never started: every timestamp empty, so no since. */
	assert_false(u.since.set);
	assert_int_equal(u.since.epoch, -1);
	assert_false(u.exec_main_start.set);
}

static void test_failed(void **state)
{
	struct sd_unit u = one_unit("failed.txt");

	(void)state;
	assert_string_equal(u.id, "broken.service");
	assert_string_equal(u.active_state, "failed");
	assert_string_equal(u.sub_state, "failed");
	assert_string_equal(u.result, "exit-code");
	assert_string_equal(u.type, "simple");
	assert_string_equal(u.unit_file_state, "static");
	assert_int_equal(u.main_pid, 0);
	assert_false(u.memory_known);
	/* Failed: since when it became inactive (failed), not when it last became active. */
	assert_true(u.since.set);
	assert_string_equal(u.since.text, "Mon 2026-11-23 02:33:59 UTC");
	assert_int_equal(u.since.epoch, T59);
	assert_int_equal(u.active_enter.epoch, T58);
	assert_int_equal(u.active_exit.epoch, T59);
}

static void test_not_found(void **state)
{
	struct sd_unit u = one_unit("not-found.txt");

	(void)state;
	assert_string_equal(u.id, "nosuch.service");
	assert_string_equal(u.load_state, "not-found");
	assert_true(systemd_unit_missing(&u));
	assert_string_equal(u.unit_file_state, "");
	assert_string_equal(u.type, "");
	assert_string_equal(u.load_error, "org.freedesktop.systemd1.NoSuchUnit \"Unit nosuch.service not found.\"");
	assert_false(u.since.set);
	assert_false(u.memory_known);
}

static void test_oneshot(void **state)
{
	struct sd_unit u = one_unit("oneshot.txt");

	(void)state;
	assert_string_equal(u.id, "setup.service");
	assert_string_equal(u.type, "oneshot");
	assert_string_equal(u.active_state, "active");
	assert_string_equal(u.sub_state, "exited");
	assert_string_equal(u.unit_file_state, "static");
	assert_int_equal(u.main_pid, 0);
	assert_false(u.memory_known);
	/* Active once its command had run, a second after it was started. */
	assert_int_equal(u.since.epoch, T58);
	assert_int_equal(u.inactive_exit.epoch, T57);
}

static void test_templated(void **state)
{
	struct sd_unit u = one_unit("templated.txt");

	(void)state;
	assert_string_equal(u.id, "worker@1.service");
	assert_string_equal(u.description, "Chimera fixture: worker 1");
	assert_string_equal(u.type, "exec");
	assert_int_equal(u.main_pid, 52);
	assert_true(u.memory_known);
	assert_int_equal(u.memory, 253952);
	assert_int_equal(u.since.epoch, T58);
}

static void test_multi(void **state)
{
	/* What `systemctl show '*.service'` printed: the loaded units in the manager's own order. */
	static const char *const ids[] = { "dbus.service",	   "app-metrics.service",	"app.service",
					   "dirmngr.service",	   "setup.service",		"pk-debconf-helper.service",
					   "worker@1.service",	   "worker@a\\x2db.service",	"broken.service",
					   "gpg-agent.service" };
	static const char *const active[] = { "inactive", "inactive", "active", "inactive", "active",
					      "inactive", "active",   "active", "failed",   "inactive" };
	static const uint32_t pids[] = { 0, 0, 46, 0, 0, 0, 52, 53, 0, 0 };
	struct sd_unit_list l;
	size_t i;

	(void)state;
	parse_fixture("multi.txt", &l);
	assert_int_equal(l.n, 10);
	for (i = 0; i < l.n; i++) {
		assert_string_equal(l.items[i].id, ids[i]);
		assert_string_equal(l.items[i].active_state, active[i]);
		assert_int_equal(l.items[i].main_pid, pids[i]);
	}
	/* Values do not leak from one block into the next. */
	assert_false(l.items[0].memory_known);
	assert_string_equal(l.items[0].type, "notify");
	assert_true(systemd_unit_missing(&l.items[1]));
	assert_string_equal(l.items[1].type, "");
	assert_string_equal(l.items[1].unit_file_state, "");
	assert_false(systemd_unit_missing(&l.items[2]));
	assert_string_equal(l.items[2].unit_file_state, "enabled");
	assert_true(l.items[2].memory_known);
	assert_int_equal(l.items[2].memory, 180224);
	assert_false(l.items[3].memory_known);
	assert_int_equal(l.items[7].memory, 385024);
	assert_string_equal(l.items[7].description, "Chimera fixture: worker a-b");
	assert_string_equal(l.items[8].result, "exit-code");
	assert_string_equal(l.items[9].result, "success");
	assert_false(l.items[9].since.set);
	systemd_show_release(&l);
	assert_null(l.items);
	assert_int_equal(l.n, 0);
}

static void parse_ok(const char *text, size_t len, struct sd_unit_list *l)
{
	if (systemd_show_parse(text, len, l) < 0)
		fail_msg("unexpected error: %s", err_msg());
}

static void test_blank_lines_and_unknown_keys(void **state)
{
	static const char text[] = "\n\nId=a.service\nNames=a.service b.service\nFragmentPath=/x\n\n\n\nId=b.service\n"
				   "ActiveState=active\nSubState=running\n\n";
	struct sd_unit_list l;

	(void)state;
	parse_ok(LIT(text), &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].id, "a.service");
	assert_string_equal(l.items[1].id, "b.service");
	assert_string_equal(l.items[1].sub_state, "running");
	/* Active, but no ActiveEnterTimestamp line: no since. */
	assert_false(l.items[1].since.set);
	systemd_show_release(&l);
	parse_ok(LIT(""), &l);
	assert_int_equal(l.n, 0);
	assert_null(l.items);
	parse_ok(LIT("\n\n"), &l);
	assert_int_equal(l.n, 0);
	/* No final newline. */
	parse_ok(LIT("Id=c.service\nMainPID=42"), &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].main_pid, 42);
	systemd_show_release(&l);
}

static void test_memory_unknown(void **state)
{
	struct sd_unit_list l;

	(void)state;
	parse_ok(LIT("Id=a.service\nMemoryCurrent=18446744073709551615\n"), &l);
	assert_false(l.items[0].memory_known);
	systemd_show_release(&l);
	parse_ok(LIT("Id=a.service\nMemoryCurrent=[not set]\n"), &l);
	assert_false(l.items[0].memory_known);
	systemd_show_release(&l);
	parse_ok(LIT("Id=a.service\nMemoryCurrent=18446744073709551614\n"), &l);
	assert_true(l.items[0].memory_known);
	assert_true(l.items[0].memory == UINT64_C(18446744073709551614));
	systemd_show_release(&l);
	parse_ok(LIT("Id=a.service\nMemoryCurrent=0\n"), &l);
	assert_true(l.items[0].memory_known);
	assert_int_equal(l.items[0].memory, 0);
	systemd_show_release(&l);
}

static void test_timestamps(void **state)
{
	struct sd_unit_list l;

	(void)state;
	/* Another zone keeps its text; the epoch is unknown rather than guessed. */
	parse_ok(LIT("Id=a.service\nActiveState=active\nActiveEnterTimestamp=Sun 2026-11-22 11:15:02 CET\n"), &l);
	assert_true(l.items[0].since.set);
	assert_string_equal(l.items[0].since.text, "Sun 2026-11-22 11:15:02 CET");
	assert_int_equal(l.items[0].since.epoch, -1);
	systemd_show_release(&l);
	/* --timestamp=unix and --timestamp=us+utc forms. */
	parse_ok(LIT("Id=a.service\nActiveState=active\nActiveEnterTimestamp=@1795342502\n"), &l);
	assert_int_equal(l.items[0].since.epoch, 1795342502);
	systemd_show_release(&l);
	parse_ok(LIT("Id=a.service\nActiveState=active\nActiveEnterTimestamp=Sun 2026-11-22 10:15:02.123456 UTC\n"),
		 &l);
	assert_int_equal(l.items[0].since.epoch, 1795342502);
	systemd_show_release(&l);
	/* A leap day, and n/a as none. */
	parse_ok(LIT("Id=a.service\nActiveState=inactive\nInactiveEnterTimestamp=Thu 2024-02-29 00:00:00 UTC\n"
		     "ActiveEnterTimestamp=n/a\n"),
		 &l);
	assert_int_equal(l.items[0].since.epoch, 1709164800);
	assert_false(l.items[0].active_enter.set);
	systemd_show_release(&l);
	/* Before 1970 (never printed by systemd): the text kept, the epoch unknown, not negative. */
	parse_ok(LIT("Id=a.service\nActiveState=active\nActiveEnterTimestamp=Wed 1969-12-31 23:59:59 UTC\n"), &l);
	assert_true(l.items[0].since.set);
	assert_int_equal(l.items[0].since.epoch, -1);
	systemd_show_release(&l);
	parse_ok(LIT("Id=a.service\nActiveState=active\nActiveEnterTimestamp=Thu 1970-01-01 00:00:00 UTC\n"), &l);
	assert_int_equal(l.items[0].since.epoch, 0);
	systemd_show_release(&l);
	/* activating and deactivating take their own timestamps, as systemctl status does. */
	parse_ok(LIT("Id=a.service\nActiveState=activating\nInactiveExitTimestamp=Sun 2026-11-22 10:15:00 UTC\n"
		     "ActiveExitTimestamp=Sun 2026-11-22 10:16:00 UTC\n\n"
		     "Id=b.service\nActiveState=deactivating\nInactiveExitTimestamp=Sun 2026-11-22 10:15:00 UTC\n"
		     "ActiveExitTimestamp=Sun 2026-11-22 10:16:00 UTC\n"),
		 &l);
	assert_int_equal(l.items[0].since.epoch, 1795342500);
	assert_int_equal(l.items[1].since.epoch, 1795342560);
	systemd_show_release(&l);
}

static void test_description_cut(void **state)
{
	struct buf b = BUF_INIT(0);
	struct sd_unit_list l;
	int i;

	(void)state;
	buf_adds(&b, "Id=a.service\nDescription=");
	for (i = 0; i < 400; i++)
		buf_adds(&b, "\xc3\xa9");	/* é: 800 bytes, cut on a character boundary */
	buf_adds(&b, "\n");
	parse_ok(b.data, b.len, &l);
	assert_int_equal(strlen(l.items[0].description), SD_DESCRIPTION_MAX - 2);
	systemd_show_release(&l);
	buf_release(&b);
}

/* TEXT must fail with CODE, the message naming LINE and containing WANT. */
static void expect_error(const char *text, size_t len, int code, unsigned line, const char *want)
{
	struct sd_unit_list l = { (struct sd_unit *)1, 99 };
	char where[64];

	assert_int_equal(systemd_show_parse(text, len, &l), code);
	snprintf(where, sizeof(where), "systemctl show line %u", line);
	assert_contains(err_msg(), where);
	assert_contains(err_msg(), want);
	/* Nothing is left behind on error. */
	assert_null(l.items);
	assert_int_equal(l.n, 0);
}

static void test_errors(void **state)
{
	char longid[400];

	(void)state;
	expect_error(LIT("Id=a.service\ngarbage line\n"), ERR_INVALID, 2, "line 2 'garbage line': expected KEY=VALUE");
	expect_error(LIT("Id=a.service\n=value\n"), ERR_INVALID, 2, "'=value': expected KEY=VALUE with KEY made of letters and digits");
	expect_error(LIT("Id=a.service\nMain PID=4\n"), ERR_INVALID, 2, "KEY made of letters and digits");
	expect_error(LIT("Id=a.service\nMainPID=12x\n"), ERR_INVALID, 2, "'MainPID=12x': MainPID is not a process id");
	expect_error(LIT("Id=a.service\nMainPID=-1\n"), ERR_INVALID, 2, "MainPID");
	expect_error(LIT("Id=a.service\nMainPID=\n"), ERR_INVALID, 2, "MainPID");
	expect_error(LIT("Id=a.service\nMainPID=99999999999\n"), ERR_INVALID, 2, "MainPID");
	expect_error(LIT("Id=a.service\n\nId=b.service\nMemoryCurrent=lots\n"), ERR_INVALID, 4,
		     "'MemoryCurrent=lots': MemoryCurrent is not a byte count");
	expect_error(LIT("Id=a.service\nMemoryCurrent=18446744073709551616\n"), ERR_INVALID, 2, "MemoryCurrent");
	expect_error(LIT("Id=a.service\nActiveEnterTimestamp=yesterday\n"), ERR_INVALID, 2,
		     "ActiveEnterTimestamp is not a timestamp");
	/* The weekday must agree with the date; no 30th of February. */
	expect_error(LIT("Id=a.service\nActiveEnterTimestamp=Mon 2026-11-22 10:15:02 UTC\n"), ERR_INVALID, 2,
		     "ActiveEnterTimestamp");
	expect_error(LIT("Id=a.service\nActiveEnterTimestamp=Mon 2026-02-30 10:15:02 UTC\n"), ERR_INVALID, 2,
		     "ActiveEnterTimestamp");
	expect_error(LIT("Id=a.service\nActiveEnterTimestamp=Sun 2026-11-22 10:15:02 U TC\n"), ERR_INVALID, 2,
		     "ActiveEnterTimestamp");
	expect_error(LIT("Id=a.service\nActiveState=active\nActiveState=failed\n"), ERR_INVALID, 3,
		     "ActiveState given twice");
	expect_error(LIT("Id=a.service\n\nActiveState=active\nSubState=dead\n"), ERR_INVALID, 3,
		     "line 3: the unit starting here has no Id");
	expect_error(LIT("Id=\n"), ERR_INVALID, 1, "empty Id");
	expect_error(LIT("Id=a.service\nSubState=a\0b\n"), ERR_INVALID, 2, "a NUL byte");
	expect_error(LIT("Id=a.service\nSubState=this-sub-state-is-far-too-long-to-be-real\n"), ERR_LIMIT, 2,
		     "SubState longer than 31 bytes");
	memset(longid, 'x', sizeof(longid));
	memcpy(longid, "Id=", 3);
	expect_error(longid, sizeof(longid), ERR_LIMIT, 1, "Id longer than 256 bytes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_inactive),
		cmocka_unit_test(test_failed),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_oneshot),
		cmocka_unit_test(test_templated),
		cmocka_unit_test(test_multi),
		cmocka_unit_test(test_blank_lines_and_unknown_keys),
		cmocka_unit_test(test_memory_unknown),
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_description_cut),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
