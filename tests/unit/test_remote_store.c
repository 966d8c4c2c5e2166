/* remote/store.h: the status probe's presence check, the damaged-path scan and the repair's markers, run with /bin/sh where they can be. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remote/store.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/shell.h"

#define P1 "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-one"
#define P2 "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-two"

static char dir[4096];

/* A private directory for the test's files. */
static void make_dir(void)
{
	const char *tmp = getenv("CHIMERA_TEST_TMP");

	snprintf(dir, sizeof(dir), "%s/store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fs_mkdir_p(tmp && *tmp ? tmp : "/tmp", 0700);
	assert_non_null(mkdtemp(dir));
}

/* Run CMD with /bin/sh (stdin from the file IN, or nothing) and return its status; stdout in OUT. */
static int sh(const char *cmd, const char *in, struct buf *out)
{
	struct buf full = BUF_INIT(0);
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	int status;

	if (in)
		buf_printf(&full, "exec < '%s'\n", in);
	buf_adds(&full, cmd);
	argv[2] = full.data;
	buf_reset(out);
	assert_int_equal(proc_run_split(argv, -1, out, NULL, &status), 0);
	buf_release(&full);
	return status;
}

static void write_file(const char *name, const char *text, int mode)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(fs_write_file(path, text, strlen(text), mode), 0);
}

/* remote_probe_present: the resolved path, after REMOTE_ABSENT when nothing is there. */
static void test_probe_present(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(0);
	char path[4200], target[4200], want[8500];

	(void)state;
	make_dir();
	snprintf(target, sizeof(target), "%s/store-dir", dir);
	assert_int_equal(mkdir(target, 0755), 0);
	snprintf(path, sizeof(path), "%s/system-1-link", dir);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/system", dir);
	assert_int_equal(symlink("system-1-link", path), 0);
	assert_int_equal(remote_probe_present(&cmd, path), 0);
	assert_int_equal(sh(cmd.data, NULL, &out), 0);
	snprintf(want, sizeof(want), "%s\n", target);
	assert_string_equal(out.data, want);
	assert_false(remote_absent_take(&out));

	/* The directory removed behind the profile's back: absent, and where it led. */
	assert_int_equal(rmdir(target), 0);
	assert_int_equal(sh(cmd.data, NULL, &out), 0);
	snprintf(want, sizeof(want), REMOTE_ABSENT "\n%s\n", target);
	assert_string_equal(out.data, want);
	assert_true(remote_absent_take(&out));
	snprintf(want, sizeof(want), "%s\n", target);
	assert_string_equal(out.data, want);

	/* A store path that is a file is present. */
	write_file("store-dir", "x\n", 0444);
	assert_int_equal(sh(cmd.data, NULL, &out), 0);
	snprintf(want, sizeof(want), "%s\n", target);
	assert_string_equal(out.data, want);
	buf_release(&cmd);
	buf_release(&out);
}

/*
 * remote_store_scan with a stand-in nix-store on PATH: --verify-path fails for any path
 * whose name has "bad", --check-validity for any with "unreg". Absent paths are left out,
 * unregistered ones too; a clean closure costs one call.
 */
static void test_scan(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(0), full = BUF_INIT(0);
	char **paths = NULL;
	size_t n = 0;
	char list[4200], calls[4200];

	(void)state;
	make_dir();
	write_file("nix-store",
		   "#!/bin/sh\n"
		   "echo \"$*\" >> \"$(dirname \"$0\")/calls\"\n"
		   "case \"$1\" in\n"
		   "--verify-path) shift; for p; do case ${p##*/} in bad*) echo \"path '$p' was modified!\" >&2; exit 1;; esac; done;;\n"
		   "--check-validity) case ${2##*/} in *unreg*) exit 1;; esac;;\n"
		   "esac\nexit 0\n",
		   0755);
	write_file("ok-1", "", 0644);
	write_file("bad-2", "", 0644);
	write_file("bad-unreg-3", "", 0644);
	write_file("ok-4", "", 0644);
	buf_printf(&full, "%s/ok-1\n%s/bad-2\n%s/gone-bad-5\n%s/bad-unreg-3\n%s/ok-4\n", dir, dir, dir, dir, dir);
	snprintf(list, sizeof(list), "%s/list", dir);
	assert_int_equal(fs_write_file(list, full.data, full.len, 0644), 0);
	assert_int_equal(remote_store_scan(&cmd), 0);
	buf_reset(&full);
	buf_printf(&full, "PATH='%s':$PATH\n%s", dir, cmd.data);
	assert_int_equal(sh(full.data, list, &out), 0);
	buf_reset(&full);
	buf_printf(&full, "modified %s/bad-2\n", dir);
	assert_string_equal(out.data, full.data);

	/* Nothing damaged: one verify-path of the paths present, nothing printed. */
	buf_reset(&full);
	buf_printf(&full, "%s/ok-1\n%s/ok-4\n", dir, dir);
	assert_int_equal(fs_write_file(list, full.data, full.len, 0644), 0);
	snprintf(calls, sizeof(calls), "%s/calls", dir);
	unlink(calls);
	buf_reset(&full);
	buf_printf(&full, "PATH='%s':$PATH\n%s", dir, cmd.data);
	assert_int_equal(sh(full.data, list, &out), 0);
	assert_string_equal(out.data, "");
	buf_reset(&out);
	assert_int_equal(fs_read_file(calls, &out), 0);
	buf_reset(&full);
	buf_printf(&full, "--verify-path %s/ok-1 %s/ok-4\n", dir, dir);
	assert_string_equal(out.data, full.data);

	/* Its parser. */
	buf_reset(&out);
	buf_adds(&out, "modified " P1 "\n\nmodified " P2 "\n");
	assert_int_equal(remote_store_scan_parse(&out, &paths, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(paths[0], P1);
	assert_string_equal(paths[1], P2);
	free(paths[0]);
	free(paths[1]);
	free(paths);
	buf_reset(&out);
	assert_int_equal(remote_store_scan_parse(&out, &paths, &n), 0);
	assert_int_equal(n, 0);
	buf_adds(&out, "modified " P1 "\nmodified /etc/passwd\n");
	assert_int_equal(remote_store_scan_parse(&out, &paths, &n), ERR_INVALID);
	assert_contains(err_msg(), "modified /etc/passwd");
	assert_null(paths);
	buf_release(&cmd);
	buf_release(&out);
	buf_release(&full);
}

/* remote_store_restore quotes the path and carries its own body; its markers parse. */
static void test_restore(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(0);
	char reg[REMOTE_HASH_MAX], got[REMOTE_HASH_MAX];

	(void)state;
	assert_int_equal(remote_store_restore(&cmd, P1), 0);
	assert_contains(cmd.data, "; Q=" P1 "\n");
	assert_contains(cmd.data, "nix-store --restore");
	assert_contains(cmd.data, "exec unshare -m --propagation private sh -c 'mount -o remount,bind,rw /nix/store");
	/* The body is one quoted word: sh parses the whole command. */
	{
		char *argv[] = { "/bin/sh", "-n", "-c", cmd.data, NULL };
		int status;

		assert_int_equal(proc_run_split(argv, -1, &out, NULL, &status), 0);
		assert_int_equal(status, 0);
	}

	buf_reset(&out);
	buf_adds(&out, "chimera-repaired\n");
	assert_int_equal(remote_store_restore_parse(&out, reg, got), REPAIR_DONE);
	buf_reset(&out);
	buf_adds(&out, "chimera-repair-mismatch sha256:0lvmsn8w5qnwf454h9ll8fpf92r4hkn3k98igrb4mg3zfyi7yp3c "
		       "sha256:1b5mbr4dqwbi9lq23sv65dfwarakxj1wxb5ps13cg6hrxkp74pfi\n");
	assert_int_equal(remote_store_restore_parse(&out, reg, got), REPAIR_MISMATCH);
	assert_string_equal(reg, "sha256:0lvmsn8w5qnwf454h9ll8fpf92r4hkn3k98igrb4mg3zfyi7yp3c");
	assert_string_equal(got, "sha256:1b5mbr4dqwbi9lq23sv65dfwarakxj1wxb5ps13cg6hrxkp74pfi");
	buf_reset(&out);
	buf_adds(&out, "chimera-repair-mismatch sha256:x'; rm -rf / sha256:y\n");
	assert_int_equal(remote_store_restore_parse(&out, reg, got), REPAIR_MISMATCH);
	assert_string_equal(reg, "");	/* not a hash: not repeated */
	buf_reset(&out);
	buf_adds(&out, "chimera-repair-unregistered\n");
	assert_int_equal(remote_store_restore_parse(&out, reg, got), REPAIR_UNREGISTERED);
	buf_reset(&out);
	buf_adds(&out, "chimera-repair-readonly\n");
	assert_int_equal(remote_store_restore_parse(&out, reg, got), REPAIR_READONLY);
	buf_reset(&out);
	buf_adds(&out, "chimera-repaired-not\n");
	assert_int_equal(remote_store_restore_parse(&out, reg, got), REPAIR_UNKNOWN);
	/* A mismatch followed by another word: that word counts, and no hashes come with it. */
	buf_reset(&out);
	buf_adds(&out, "chimera-repair-mismatch sha256:0lvmsn8w5qnwf454h9ll8fpf92r4hkn3k98igrb4mg3zfyi7yp3c "
		       "sha256:1b5mbr4dqwbi9lq23sv65dfwarakxj1wxb5ps13cg6hrxkp74pfi\nchimera-repair-unregistered\n");
	assert_int_equal(remote_store_restore_parse(&out, reg, got), REPAIR_UNREGISTERED);
	assert_string_equal(reg, "");
	assert_string_equal(got, "");
	buf_release(&cmd);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_present),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_restore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
