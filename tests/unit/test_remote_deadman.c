/* Unit tests for remote/deadman and the arm step of remote_deploy: the shell text, and the switch listing read back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "remote/deadman.h"
#include "remote/nix.h"

static const struct remote_act AUTO = { "auto", GOAL_SWITCH };
#include "remote/witness.h"
#include "util/err.h"

#define OP "01J9ZK3M4N5P6Q7R8S9T0V1W2X"
#define DIR1 "/nix/var/chimera/deadman/" OP ".a1B2c3D4e5"
#define DIR2 "/nix/var/chimera/deadman/01J9ZK3M4N5P6Q7R8S9T0V1W2Y.Zz09azAZ09"
#define PATH_V2 "/nix/store/0c5b8vw40dy178xlpddw65q9gf1h2186-hello-2"
#define PATH_V1 "/nix/store/yd4j0q3r2l3kxwmzfzlq5g4fizqidqzg-hello-1"

static void test_arm_text(void **state)
{
	struct buf cmd = BUF_INIT(0);
	char *paths[] = { PATH_V2 };

	(void)state;
	assert_int_equal(remote_deploy(&cmd, "/nix/var/nix/profiles/system", paths, 1, NULL, PATH_V2, &AUTO, 10, OP,
				       NULL, 0), 0);
	/* Its own directory at the known place, named by the operation. */
	assert_contains(cmd.data, "R=/nix/var/chimera/deadman;");
	assert_contains(cmd.data, "k=$(mktemp -d \"$R/" OP ".XXXXXXXXXX\")");
	/* The info: who armed it, what it protects, the profile, where it goes back to, when it fires. */
	assert_contains(cmd.data, "printf 'op %s\\npath %s\\nprofile %s\\ngen %s\\ndeadline %s\\n' " OP " " PATH_V2
				  " \"$p\" \"$g\" \"$(( $(date +%s) + 10 ))\" > \"$k/info\" || exit;");
	assert_contains(cmd.data, "echo $! > \"$k/pid\"; echo \"chimera-armed $k\"");
	assert_null(strstr(cmd.data, "/tmp/chimera-confirm"));
	buf_release(&cmd);

	/* No switch, no operation needed; a switch needs an operation that can name a directory. */
	cmd = (struct buf)BUF_INIT(0);
	assert_int_equal(remote_deploy(&cmd, "/nix/var/nix/profiles/system", paths, 1, NULL, PATH_V2, &AUTO, 0, NULL,
				       NULL, 0), 0);
	assert_null(strstr(cmd.data, "mktemp"));
	assert_null(strstr(cmd.data, "chimera-armed"));
	/* Either way the check looks for switches left by others (to settle them first)... */
	assert_contains(cmd.data, "for k in /nix/var/chimera/deadman/*/info; do if [ -e \"$k\" ]; then"
				  " echo chimera-deadman; break; fi; done\necho chimera-ready\n");
	/* ...and after the controller's word takes the witness, up to its end line, before any import. */
	assert_contains(cmd.data, "read -r c m g || exit 0\nw=; e=; while IFS= read -r l; do if [ \"$l\" = chimera-witness-end ];"
				  " then e=1; break; fi; w=\"$w$l\n\"; done; [ -n \"$e\" ] || exit 0;"
				  " if [ -n \"$w\" ]; then ( umask 022;");
	assert_true(strstr(cmd.data, "chimera-witness-end") < strstr(cmd.data, "nix-store --import"));
	buf_reset(&cmd);
	assert_int_equal(remote_deploy(&cmd, "/p/system", paths, 1, NULL, PATH_V2, &AUTO, 5, NULL, NULL, 0), ERR_INVALID);
	assert_int_equal(remote_deploy(&cmd, "/p/system", paths, 1, NULL, PATH_V2, &AUTO, 5, "a/../b", NULL, 0),
			 ERR_INVALID);
	assert_contains(err_msg(), "'a/../b' cannot name the operation of a dead-man switch");
	buf_release(&cmd);
}

static void test_dir_check(void **state)
{
	(void)state;
	assert_int_equal(remote_deadman_dir_check(DIR1, strlen(DIR1)), 0);
	assert_int_equal(remote_token_check(DIR2, strlen(DIR2)), 0);
	assert_int_equal(remote_deadman_dir_check("/tmp/chimera-confirm.abc", 24), ERR_INVALID);
	assert_contains(err_msg(), "expected /nix/var/chimera/deadman/OP.SUFFIX");
	assert_int_equal(remote_deadman_dir_check("/nix/var/chimera/deadman/abc", 28), ERR_INVALID);
	assert_int_equal(remote_deadman_dir_check("/nix/var/chimera/deadman/.abc", 29), ERR_INVALID);
	assert_int_equal(remote_deadman_dir_check("/nix/var/chimera/deadman/a.", 27), ERR_INVALID);
	assert_int_equal(remote_deadman_dir_check("/nix/var/chimera/deadman/a.b.c", 30), ERR_INVALID);
	assert_int_equal(remote_deadman_dir_check("/nix/var/chimera/deadman/a.b;c", 30), ERR_INVALID);
	assert_int_equal(remote_deadman_dir_check("/nix/var/chimera/deadman/a b.c", 30), ERR_INVALID);
	assert_int_equal(remote_deadman_op_check(OP), 0);
	assert_int_equal(remote_deadman_op_check(""), ERR_INVALID);
	assert_int_equal(remote_deadman_op_check("01234567890123456789012345678901234567890"), ERR_INVALID);
}

static void test_commands(void **state)
{
	struct buf cmd = BUF_INIT(0);
	char *dirs[] = { DIR1, "/nix/var/chimera/deadman/it's.x" };

	(void)state;
	assert_int_equal(remote_deadman_list(&cmd), 0);
	assert_contains(cmd.data, "for k in /nix/var/chimera/deadman/*; do [ -f \"$k/info\" ] || continue;");
	assert_contains(cmd.data, "kill -0 \"$w\"");
	assert_contains(cmd.data, "echo end; done; exit 0\n");
	buf_reset(&cmd);
	/* The probe's check: one glob, builtins, exit status 0 when nothing fired. */
	assert_int_equal(remote_deadman_fired(&cmd), 0);
	assert_string_equal(cmd.data, "for k in /nix/var/chimera/deadman/*/result; do if [ -e \"$k\" ]; then"
				      " echo \"deadman-fired ${k%/result}\"; fi; done\n");
	buf_reset(&cmd);
	assert_int_equal(remote_deadman_claim(&cmd, dirs, 2), 0);
	assert_contains(cmd.data, "for d in " DIR1 " '/nix/var/chimera/deadman/it'\\''s.x'; do if mkdir -- \"$d/claim\"");
	assert_contains(cmd.data, "kill -- \"-$w\"");
	assert_contains(cmd.data, "rm -rf -- \"$d\"; echo \"claimed $d\"; else echo \"busy $d\"; fi; done\n");
	buf_reset(&cmd);
	assert_int_equal(remote_deadman_remove(&cmd, dirs, 1), 0);
	assert_string_equal(cmd.data, "exec rm -rf -- " DIR1 "\n");
	buf_release(&cmd);
	/* The watch probe carries the glob on every round. */
	cmd = (struct buf)BUF_INIT(0);
	assert_int_equal(remote_watch_probe(&cmd, "/nix/var/nix/profiles/system", NULL, 0, 0), 0);
	assert_contains(cmd.data, "echo \"deadman-fired ${k%/result}\"");
	buf_release(&cmd);
}

static int parse(const char *text, struct remote_deadman *sw, size_t max, size_t *n)
{
	struct buf out = BUF_INIT(0);
	int r;

	buf_adds(&out, text);
	r = remote_deadman_parse(&out, sw, max, n);
	buf_release(&out);
	return r;
}

static void test_parse(void **state)
{
	struct remote_deadman sw[3];
	size_t n = 9;

	(void)state;
	assert_int_equal(parse("", sw, 3, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse("motd: welcome\n"
			       "deadman " DIR1 "\nop " OP "\npath " PATH_V2 "\nprofile /nix/var/nix/profiles/system\n"
			       "gen 4\ndeadline 1700000010\npid 4242\nalive\nnow " PATH_V2 "\nend\n"
			       "deadman " DIR2 "\nop 01J9ZK3M4N5P6Q7R8S9T0V1W2Y\npath " PATH_V2
			       "\nprofile /nix/var/nix/profiles/system\ngen 3\npid 77\nclaimed\nresult rolled-back\nnow " PATH_V1
			       "\nend",
			       sw, 3, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sw[0].dir, DIR1);
	assert_string_equal(sw[0].op, OP);
	assert_string_equal(sw[0].path, PATH_V2);
	assert_string_equal(sw[0].profile, "/nix/var/nix/profiles/system");
	assert_int_equal(sw[0].gen, 4);
	assert_int_equal(sw[0].deadline, 1700000010);
	assert_int_equal(sw[0].pid, 4242);
	assert_true(sw[0].alive && !sw[0].claimed && !sw[0].fired);
	assert_string_equal(sw[0].now, PATH_V2);
	assert_true(!sw[1].alive && sw[1].claimed && sw[1].fired);
	assert_string_equal(sw[1].result, "rolled-back");
	assert_string_equal(sw[1].now, PATH_V1);
	/* An empty result file still means it fired; a missing pid is 0. */
	assert_int_equal(parse("deadman " DIR1 "\nop " OP "\npid \nresult \nend\n", sw, 3, &n), 0);
	assert_true(n == 1 && sw[0].fired && sw[0].result[0] == 0 && sw[0].pid == 0);
	/* More than MAX: the rest left for the next listing. */
	assert_int_equal(parse("deadman " DIR1 "\nend\ndeadman " DIR2 "\nend\n", sw, 1, &n), 0);
	assert_int_equal(n, 1);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"deadman /tmp/chimera-confirm.abc\nend\n",
		"deadman " DIR1 "\nop a;b\nend\n",
		"deadman " DIR1 "\npath /etc/passwd\nend\n",
		"deadman " DIR1 "\nprofile relative\nend\n",
		"deadman " DIR1 "\ngen 4294967296\nend\n",
		"deadman " DIR1 "\ngen -1\nend\n",
		"deadman " DIR1 "\npid 0\nend\n",
		"deadman " DIR1 "\nalive now\nend\n",
		"deadman " DIR1 "\nresult \x01\nend\n",
		"deadman " DIR1 "\nnow relative\nend\n",
		"deadman " DIR1 "\nwhat\nend\n",
		"deadman " DIR1 "\ndeadman " DIR2 "\nend\n",
		"deadman " DIR1 "\nop " OP "\n",
		NULL,
	};
	struct remote_deadman sw[2];
	size_t n, i;

	(void)state;
	for (i = 0; bad[i]; i++) {
		n = 7;
		if (parse(bad[i], sw, 2, &n) != ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(n, 0);
		assert_contains(err_msg(), "dead-man listing");
	}
	assert_int_equal(parse("deadman " DIR1 "\nwhat\nend\n", sw, 2, &n), ERR_INVALID);
	assert_string_equal(err_msg(), "dead-man listing line 2 'what': not a line of a dead-man switch");
}

/*
 * remote_witness_take run by /bin/sh (WITNESS_DIR moved into a scratch directory): it keeps
 * the lines up to WITNESS_END and leaves what follows for the rest of the command (the
 * export, in a deploy); input that ends before WITNESS_END writes nothing and stops.
 */
static void run_take(const char *dir, const char *input, struct buf *out)
{
	struct buf text = BUF_INIT(0), script = BUF_INIT(0);
	char path[4200], cmd[4400];
	const char *p, *hit;
	FILE *f;

	assert_int_equal(remote_witness_take(&text), 0);
	for (p = text.data; (hit = strstr(p, WITNESS_DIR)); p = hit + strlen(WITNESS_DIR)) {
		buf_add(&script, p, (size_t)(hit - p));
		buf_adds(&script, dir);
	}
	buf_adds(&script, p);
	buf_adds(&script, "echo after; cat\n");
	snprintf(path, sizeof(path), "%s/take.sh", dir);
	assert_int_equal(fs_write_file(path, script.data, script.len, 0644), 0);
	snprintf(cmd, sizeof(cmd), "printf '%s' | /bin/sh %s", input, path);
	assert_non_null(f = popen(cmd, "r"));
	buf_reset(out);
	while (!feof(f)) {
		char chunk[256];
		size_t n = fread(chunk, 1, sizeof(chunk), f);

		buf_add(out, chunk, n);
	}
	assert_int_equal(pclose(f), 0);
	buf_release(&text);
	buf_release(&script);
}

static void test_witness_take_runs(void **state)
{
	struct buf out = BUF_INIT(0), file = BUF_INIT(0);
	char dir[4000], path[4100];

	(void)state;
	assert_int_equal(scratch_make(dir, sizeof(dir), "witness-take"), 0);
	snprintf(path, sizeof(path), "%s/witness", dir);
	run_take(dir, "chimera-checkpoint v1\\nseq  7\\n" WITNESS_END "\\nEXPORT", &out);
	assert_string_equal(out.data, "after\nEXPORT");
	assert_int_equal(fs_read_file(path, &file), 0);
	assert_string_equal(file.data, "chimera-checkpoint v1\nseq  7\n");
	/* Only the end line: nothing written, the rest goes on. */
	unlink(path);
	run_take(dir, WITNESS_END "\\nEXPORT", &out);
	assert_string_equal(out.data, "after\nEXPORT");
	assert_int_not_equal(access(path, F_OK), 0);
	/* Input gone before the end line: nothing written, and the command stops there. */
	run_take(dir, "chimera-checkpoint v1\\nseq 8", &out);
	assert_string_equal(out.data, "");
	assert_int_not_equal(access(path, F_OK), 0);
	fs_rm_rf(dir);
	buf_release(&out);
	buf_release(&file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arm_text),
		cmocka_unit_test(test_dir_check),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_witness_take_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
