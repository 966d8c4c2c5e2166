/* Sessions: names, the option escape, tmux command lines, list parsing, and the commands run against a private tmux. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "adapters/local/exec_local.h"
#include "app/fleet/sessions.h"
#include "check.h"
#include "util/err.h"

static void test_name_check(void **state)
{
	static const char *const good[] = { "a", "loop", "web_1", "A-b-C", "0", "x-", NULL };
	static const char *const bad[] = { "", "a.b", "a:b", "a b", "-x", "a;b", "é", "a/b", "a\tb", NULL };
	char long_name[SESSION_NAME_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; good[i]; i++)
		assert_int_equal(sessions_name_check(good[i]), 0);
	for (i = 0; bad[i]; i++) {
		assert_int_equal(sessions_name_check(bad[i]), ERR_INVALID);
		assert_quotes("bad session name", bad[i], strlen(bad[i]));
		assert_contains(err_msg(), "expected 1 to 64 of A-Z a-z 0-9 _ -");
	}
	memset(long_name, 'n', SESSION_NAME_MAX);
	long_name[SESSION_NAME_MAX] = 0;
	assert_int_equal(sessions_name_check(long_name), 0);
	long_name[SESSION_NAME_MAX] = 'n';
	long_name[SESSION_NAME_MAX + 1] = 0;
	assert_int_equal(sessions_name_check(long_name), ERR_INVALID);
}

static void roundtrip(const char *s)
{
	struct buf e = BUF_INIT(0), d = BUF_INIT(0);

	assert_int_equal(sessions_escape(&e, s), 0);
	assert_null(memchr(e.data, '\n', e.len));
	assert_null(memchr(e.data, '\t', e.len));
	if (e.len)
		assert_true(e.data[e.len - 1] != ';');
	assert_int_equal(sessions_unescape(&d, e.data, e.len), 0);
	assert_string_equal(d.data, s);
	buf_release(&e);
	buf_release(&d);
}

static void test_escape(void **state)
{
	struct buf b = BUF_INIT(0);

	(void)state;
	roundtrip("");
	roundtrip("while :; do date; sleep 1; done");
	roundtrip("ends;");
	roundtrip(";");
	roundtrip("a\\b\\");
	roundtrip("line1\nline2\tx\x01\x7f");
	roundtrip("caf\xc3\xa9 'q' \"d\" $x `y`");
	roundtrip("\\x41 stays as typed");
	assert_int_equal(sessions_escape(&b, "a;b\n;"), 0);
	assert_string_equal(b.data, "a;b\\n\\x3b");
	buf_reset(&b);
	/* Unknown or short escapes are kept as they are. */
	assert_int_equal(sessions_unescape(&b, LIT("\\q \\x4 \\xzz \\")), 0);
	assert_string_equal(b.data, "\\q \\x4 \\xzz \\");
	buf_release(&b);
}

static void test_cmd_start(void **state)
{
	static const char *const env[] = { "NIX_CONFIG=sandbox = false\nsubstituters =", NULL };
	static const char *const bad_env[] = { "1X=y", NULL };
	static const char *const no_eq[] = { "X", NULL };
	struct session_spec spec = { .name = "loop", .command = "echo 'hi'; sleep 9;" };
	struct buf c = BUF_INIT(0);

	(void)state;
	assert_int_equal(sessions_cmd_start(&c, &spec), 0);
	assert_contains(c.data, "tmux -L chimera has-session -t =loop 2>/dev/null");
	assert_contains(c.data, "tmux -L chimera new-session -d -s loop -- /bin/sh -c 'echo '\\''hi'\\''; sleep 9;\n'");
	assert_contains(c.data, "\\; set-option -t =loop: @chimera_cmd 'echo '\\''hi'\\''; sleep 9\\x3b'");
	assert_contains(c.data, "exit 73");
	assert_null(strstr(c.data, "kill-session"));
	assert_null(strstr(c.data, "PATH="));

	buf_reset(&c);
	spec.replace = true;
	spec.path_dir = "/nix/store/abc-hello";
	spec.env = env;
	spec.shown = "shown text";
	assert_int_equal(sessions_cmd_start(&c, &spec), 0);
	/* Renamed aside, the new one started, then the old one killed (or renamed back). */
	assert_contains(c.data, "rename-session -t =loop \"$old\" || exit 1");
	assert_contains(c.data, "|| { [ -z \"$old\" ] || tmux -L chimera rename-session -t =\"$old\" loop; exit 1; }");
	assert_contains(c.data, "[ -z \"$old\" ] || tmux -L chimera kill-session -t =\"$old\"\necho $r");
	assert_null(strstr(c.data, "kill-session -t =loop"));
	assert_null(strstr(c.data, "exit 73"));
	assert_contains(c.data, "PATH=/nix/store/abc-hello/bin:\"$PATH\"; export PATH");
	assert_contains(c.data, "NIX_CONFIG='\\''sandbox = false\nsubstituters ='\\''; export NIX_CONFIG");
	assert_contains(c.data, "@chimera_cmd 'shown text'");

	buf_reset(&c);
	spec.env = bad_env;
	assert_int_equal(sessions_cmd_start(&c, &spec), ERR_INVALID);
	assert_quotes("bad session variable", "1X=y", 4);
	spec.env = no_eq;
	assert_int_equal(sessions_cmd_start(&c, &spec), ERR_INVALID);
	assert_contains(err_msg(), "expected NAME=VALUE");
	spec.env = NULL;
	spec.path_dir = "relative";
	assert_int_equal(sessions_cmd_start(&c, &spec), ERR_INVALID);
	assert_quotes("bad PATH directory", "relative", 8);
	spec.path_dir = NULL;
	spec.name = "a.b";
	assert_int_equal(sessions_cmd_start(&c, &spec), ERR_INVALID);
	assert_quotes("bad session name", "a.b", 3);
	spec.name = "ok";
	spec.command = "";
	assert_int_equal(sessions_cmd_start(&c, &spec), ERR_INVALID);
	assert_contains(err_msg(), "no command for session 'ok'");
	buf_release(&c);
}

static void test_cmd_others(void **state)
{
	struct buf c = BUF_INIT(0);

	(void)state;
	assert_int_equal(sessions_cmd_kill(&c, "w-1"), 0);
	assert_contains(c.data, "has-session -t =w-1 2>/dev/null || { echo chimera-missing; exit 74; }");
	assert_contains(c.data, "exec tmux -L chimera kill-session -t =w-1");
	buf_reset(&c);
	assert_int_equal(sessions_cmd_kill(&c, "w 1"), ERR_INVALID);
	assert_int_equal(sessions_cmd_has(&c, "w1"), 0);
	assert_contains(c.data, "exec tmux -L chimera has-session -t =w1");
	buf_reset(&c);
	assert_int_equal(sessions_cmd_list(&c), 0);
	assert_contains(c.data, "tmux -u -L chimera list-sessions -F '#{session_name}\t#{session_created}\t#{session_attached}\t#{@chimera_cmd}'");
	buf_reset(&c);
	assert_int_equal(sessions_cmd_stage(&c, "s1", "nix"), 0);
	assert_contains(c.data, "d=\"${XDG_STATE_HOME:-${HOME:-/tmp}/.local/state}/chimera/run\"");
	assert_contains(c.data, "f=\"$d/s1.nix\"");
	assert_int_equal(sessions_cmd_stage(&c, "s1", "NIX"), ERR_INVALID);
	assert_quotes("bad file suffix", "NIX", 3);
	assert_int_equal(sessions_cmd_stage(&c, "s1", ""), ERR_INVALID);
	buf_release(&c);
}

static void test_parse_list(void **state)
{
	struct session_list l = { 0 };

	(void)state;
	assert_int_equal(sessions_parse_list(LIT(""), &l), 0);
	assert_int_equal(l.n, 0);
	session_list_release(&l);
	assert_int_equal(sessions_parse_list(LIT("\n"), &l), 0);
	assert_int_equal(l.n, 0);
	session_list_release(&l);

	assert_int_equal(sessions_parse_list(LIT("loop\t1700000000\t0\twhile :; do x; done\\x3b\n"
						 "w2\t1700000001\t2\ta\\nb\\\\c\n"
						 "plain\t5\t0\t\n"),
					     &l),
			 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].name, "loop");
	assert_int_equal(l.items[0].created, 1700000000);
	assert_int_equal(l.items[0].attached, 0);
	assert_string_equal(l.items[0].command, "while :; do x; done;");
	assert_string_equal(l.items[1].name, "w2");
	assert_int_equal(l.items[1].attached, 2);
	assert_string_equal(l.items[1].command, "a\nb\\c");
	assert_string_equal(l.items[2].command, "");
	session_list_release(&l);
	assert_null(l.items);

	/* No final newline; a tab inside the command stays in it. */
	assert_int_equal(sessions_parse_list(LIT("x\t1\t1\tone\ttwo"), &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].command, "one\ttwo");
	session_list_release(&l);

	assert_int_equal(sessions_parse_list(LIT("ok\t1\t0\tc\nbroken line\n"), &l), ERR_INVALID);
	assert_contains(err_msg(), "bad session list line 2 'broken line'");
	assert_contains(err_msg(), "expected NAME<TAB>CREATED<TAB>ATTACHED<TAB>COMMAND");
	session_list_release(&l);
	assert_int_equal(sessions_parse_list(LIT("x\tsoon\t0\tc\n"), &l), ERR_INVALID);
	session_list_release(&l);
	assert_int_equal(sessions_parse_list(LIT("x\t1\t-1\tc\n"), &l), ERR_INVALID);
	session_list_release(&l);
	assert_int_equal(sessions_parse_list(LIT("\t1\t0\tc\n"), &l), ERR_INVALID);
	session_list_release(&l);
	assert_int_equal(sessions_parse_list(LIT("x\t99999999999999999999\t0\tc\n"), &l), ERR_INVALID);
	session_list_release(&l);
}

/* A private tmux server (its own TMUX_TMPDIR) and a local executor session. */
struct box {
	char dir[PATH_MAX];
	struct executor *ex;
	struct exec_session *s;
};

static int box_setup(void **state)
{
	struct box *b = calloc(1, sizeof(*b));
	const char *base = getenv("CHIMERA_TEST_TMP");
	struct exec_local_config cfg = { 30 };
	struct target t;

	if (!base)
		base = "/tmp";
	mkdir(base, 0700);
	snprintf(b->dir, sizeof(b->dir), "%s/ses-XXXXXX", base);
	if (!mkdtemp(b->dir))
		return -1;
	setenv("TMUX_TMPDIR", b->dir, 1);
	unsetenv("TMUX");
	/* Over SSH there is usually no UTF-8 locale: tmux then mangles what it prints unless told -u. */
	setenv("LC_ALL", "C", 1);
	if (exec_local_new(&cfg, &b->ex) < 0 || target_parse(&t, "local", 5) < 0 ||
	    b->ex->ops->connect(b->ex, &t, &b->s) < 0)
		return -1;
	*state = b;
	return 0;
}

static int box_teardown(void **state)
{
	struct box *b = *state;
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "tmux -L chimera kill-server 2>/dev/null; rm -rf '%s'", b->dir);
	if (system(cmd) < 0)
		return -1;
	b->ex->ops->disconnect(b->s);
	b->ex->ops->close(b->ex);
	free(b);
	return 0;
}

static const struct session_info *find(const struct session_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].name, name) == 0)
			return &l->items[i];
	return NULL;
}

/* Wait up to 5 s for FILE to hold WANT. */
static int wait_file(const char *file, const char *want)
{
	char got[256];
	int i;

	for (i = 0; i < 100; i++) {
		FILE *f = fopen(file, "r");

		if (f) {
			size_t n = fread(got, 1, sizeof(got) - 1, f);

			got[n] = 0;
			fclose(f);
			if (strcmp(got, want) == 0)
				return 0;
		}
		usleep(50000);
	}
	return -1;
}

static void test_real_tmux(void **state)
{
	struct box *b = *state;
	struct fleet_failure fail = { 0 };
	struct session_list l = { 0 };
	const struct session_info *si;
	char tool[PATH_MAX + 32], file[PATH_MAX + 32], cmd[PATH_MAX * 2];
	const char *const env[] = { "CHIMERA_T_VAR=v a l", NULL };
	struct session_spec spec = { .name = "loop", .command = "sleep 60;" };
	bool replaced = true;
	FILE *f;

	assert_int_equal(sessions_list(b->ex, b->s, "local", &l, &fail), 0);
	assert_int_equal(l.n, 0);
	session_list_release(&l);
	assert_int_equal(sessions_has(b->ex, b->s, "local", "loop", &fail), 0);

	assert_int_equal(sessions_start(b->ex, b->s, "local", &spec, &replaced, &fail), 0);
	assert_false(replaced);
	assert_int_equal(sessions_has(b->ex, b->s, "local", "loop", &fail), 1);
	/* A name that is a prefix of an existing one is not that one. */
	assert_int_equal(sessions_has(b->ex, b->s, "local", "loo", &fail), 0);

	memset(&fail, 0, sizeof(fail));
	assert_int_equal(sessions_start(b->ex, b->s, "local", &spec, NULL, &fail), ERR_BUSY);
	assert_string_equal(fail.step, "start");
	assert_string_equal(fail.message, "session 'loop' already exists on local (use --replace)");

	/* A command with quotes, a newline and a final ';' comes back as typed. */
	spec.name = "odd";
	spec.command = "x='a b caf\xc3\xa9'\n sleep 60 ;";
	assert_int_equal(sessions_start(b->ex, b->s, "local", &spec, NULL, &fail), 0);

	/* PATH and variables reach the command. */
	snprintf(tool, sizeof(tool), "%s/tool/bin", b->dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && printf '#!/bin/sh\\necho tool-ran \"$CHIMERA_T_VAR\"\\n' > '%s/chimera-t-tool' && chmod +x '%s/chimera-t-tool'",
		 tool, tool, tool);
	assert_int_equal(system(cmd), 0);
	tool[strlen(tool) - 4] = 0;	/* the directory whose bin/ goes on PATH */
	snprintf(file, sizeof(file), "%s/out", b->dir);
	snprintf(cmd, sizeof(cmd), "chimera-t-tool > '%s.tmp' && mv '%s.tmp' '%s'; sleep 60", file, file, file);
	spec.name = "tool";
	spec.command = cmd;
	spec.path_dir = tool;
	spec.env = env;
	assert_int_equal(sessions_start(b->ex, b->s, "local", &spec, NULL, &fail), 0);
	assert_int_equal(wait_file(file, "tool-ran v a l\n"), 0);

	assert_int_equal(sessions_list(b->ex, b->s, "local", &l, &fail), 0);
	assert_int_equal(l.n, 3);
	assert_non_null(si = find(&l, "loop"));
	assert_string_equal(si->command, "sleep 60;");
	assert_true(si->created > time(NULL) - 60 && si->created <= time(NULL));
	assert_int_equal(si->attached, 0);
	assert_non_null(si = find(&l, "odd"));
	assert_string_equal(si->command, "x='a b caf\xc3\xa9'\n sleep 60 ;");
	assert_non_null(si = find(&l, "tool"));
	assert_string_equal(si->command, cmd);
	session_list_release(&l);

	/* --replace kills the old one and starts it again. */
	spec.name = "loop";
	spec.command = "sleep 61";
	spec.path_dir = NULL;
	spec.env = NULL;
	spec.replace = true;
	assert_int_equal(sessions_start(b->ex, b->s, "local", &spec, &replaced, &fail), 0);
	assert_true(replaced);
	assert_int_equal(sessions_list(b->ex, b->s, "local", &l, &fail), 0);
	assert_non_null(si = find(&l, "loop"));
	assert_string_equal(si->command, "sleep 61");
	session_list_release(&l);
	spec.name = "fresh";
	assert_int_equal(sessions_start(b->ex, b->s, "local", &spec, &replaced, &fail), 0);
	assert_false(replaced);

	assert_int_equal(sessions_kill(b->ex, b->s, "local", "odd", &fail), 0);
	assert_int_equal(sessions_has(b->ex, b->s, "local", "odd", &fail), 0);
	memset(&fail, 0, sizeof(fail));
	assert_int_equal(sessions_kill(b->ex, b->s, "local", "odd", &fail), ERR_NOTFOUND);
	assert_string_equal(fail.message, "no session 'odd' on local");
	assert_int_equal(sessions_kill(b->ex, b->s, NULL, "bad name", &fail), ERR_INVALID);
	assert_string_equal(fail.step, "kill");
	assert_quotes("bad session name", "bad name", 8);

	/* The list is read again from tmux, not from memory. */
	assert_int_equal(sessions_list(b->ex, b->s, "local", &l, &fail), 0);
	assert_int_equal(l.n, 3);
	assert_null(find(&l, "odd"));
	session_list_release(&l);
	f = fopen(file, "r");
	assert_non_null(f);
	fclose(f);
}

static void test_stage(void **state)
{
	struct box *b = *state;
	struct fleet_failure fail = { 0 };
	char src[PATH_MAX + 16], want[PATH_MAX + 64], path[512], got[64];
	FILE *f;
	int fd;
	size_t n;

	snprintf(want, sizeof(want), "%s/xdg", b->dir);
	setenv("XDG_STATE_HOME", want, 1);
	snprintf(src, sizeof(src), "%s/in", b->dir);
	f = fopen(src, "w");
	assert_non_null(f);
	fputs("{ x = 1; }\n", f);
	fclose(f);
	fd = open(src, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(sessions_stage(b->ex, b->s, "local", "st", "nix", fd, 11, path, sizeof(path), &fail), 0);
	snprintf(want, sizeof(want), "%s/xdg/chimera/run/st.nix", b->dir);
	assert_string_equal(path, want);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = 0;
	fclose(f);
	assert_string_equal(got, "{ x = 1; }\n");
	/* Again over it: replaced whole. */
	assert_int_equal(sessions_stage(b->ex, b->s, "local", "st", "nix", fd, 4, path, sizeof(path), &fail), 0);
	f = fopen(path, "r");
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = 0;
	fclose(f);
	assert_string_equal(got, "{ x ");
	assert_int_equal(sessions_stage(b->ex, b->s, "local", "bad name", "nix", fd, 4, path, sizeof(path), &fail),
			 ERR_INVALID);
	assert_string_equal(fail.step, "stage");
	assert_string_equal(path, "");
	close(fd);
	unsetenv("XDG_STATE_HOME");
}

/* An SSH executor stand-in: every host is down. */
static int down_connect(struct executor *ex, const struct target *t, struct exec_session **out)
{
	(void)ex;
	*out = NULL;
	return err_set(ERR_IO, "%s: cannot connect: Connection refused", t->host);
}

static const struct executor_ops down_ops = { .name = "down", .connect = down_connect };
static struct executor down_ex = { &down_ops };

static void test_fleet_run(void **state)
{
	struct box *b = *state;
	struct fleet fl = { .executors = { .items = { { "ssh", &down_ex }, { "local", b->ex } }, .n = 2 }, .parallel = 4 };
	struct target_list tl;
	struct fleet_failure prior[3] = { 0 };
	struct sessions_request req = { .op = SESSION_OP_START, .nix_fd = -1 };
	struct sessions_report rep;

	target_list_init(&tl);
	assert_int_equal(target_list_parse(&tl, LIT("local,root@127.0.0.2:22,root@127.0.0.3:22")), 0);
	prior[2].step = "copy";
	prior[2].err = ERR_IO;
	snprintf(prior[2].message, sizeof(prior[2].message), "copy failed here");
	req.spec.name = "fl";
	req.spec.command = "sleep 60";
	req.prior = prior;
	assert_int_equal(sessions_run(&fl, &tl, &req, &rep), 0);
	assert_int_equal(rep.n, 3);
	assert_int_equal(rep.ok, 1);
	assert_int_equal(rep.failed, 2);
	assert_string_equal(rep.nodes[0].name, "local");
	assert_int_equal(rep.nodes[0].outcome, SESSION_DONE);
	assert_int_equal(rep.nodes[1].outcome, SESSION_FAILED);
	assert_string_equal(rep.nodes[1].fail.step, "connect");
	assert_contains(rep.nodes[1].fail.message, "Connection refused");
	assert_int_equal(rep.nodes[2].outcome, SESSION_FAILED);
	assert_string_equal(rep.nodes[2].fail.message, "copy failed here");
	assert_int_equal(strlen(rep.id) > 0, 1);
	sessions_report_release(&rep);

	/* Again: exists on local. */
	req.prior = NULL;
	assert_int_equal(sessions_run(&fl, &tl, &req, &rep), 0);
	assert_int_equal(rep.nodes[0].outcome, SESSION_EXISTS);
	assert_string_equal(session_outcome_name(req.op, rep.nodes[0].outcome), "exists");
	assert_int_equal(rep.ok, 0);
	sessions_report_release(&rep);

	req.op = SESSION_OP_LIST;
	assert_int_equal(sessions_run(&fl, &tl, &req, &rep), 0);
	assert_int_equal(rep.nodes[0].outcome, SESSION_DONE);
	assert_non_null(find(&rep.nodes[0].list, "fl"));
	sessions_report_release(&rep);

	req.op = SESSION_OP_KILL;
	assert_int_equal(sessions_run(&fl, &tl, &req, &rep), 0);
	assert_int_equal(rep.nodes[0].outcome, SESSION_DONE);
	assert_string_equal(session_outcome_name(req.op, rep.nodes[0].outcome), "killed");
	sessions_report_release(&rep);
	assert_int_equal(sessions_run(&fl, &tl, &req, &rep), 0);
	assert_int_equal(rep.nodes[0].outcome, SESSION_MISSING);
	assert_string_equal(rep.nodes[0].fail.message, "no session 'fl' on local");
	sessions_report_release(&rep);

	req.spec.name = "bad.name";
	assert_int_equal(sessions_run(&fl, &tl, &req, &rep), ERR_INVALID);
	assert_quotes("bad session name", "bad.name", 8);
	target_list_release(&tl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_cmd_start),
		cmocka_unit_test(test_cmd_others),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test_setup_teardown(test_real_tmux, box_setup, box_teardown),
		cmocka_unit_test_setup_teardown(test_fleet_run, box_setup, box_teardown),
		cmocka_unit_test_setup_teardown(test_stage, box_setup, box_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
