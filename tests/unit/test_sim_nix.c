/* Unit tests for platform/nix: real nix-build 2.8 errors from tests/fixtures/nix, and sim_nix on a fake Nix. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform/sim.h"
#include "platform/nix/nix.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "check.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The fixtures are nix-build's stderr, captured as is with
 *   NIX_CONFIG='substituters =\nbuild-users-group =\nsandbox = false' nix-build F.nix --no-out-link
 * in this directory (nixbld.log without the last two settings; colour.log under script(1),
 * so on a terminal). The sources are quoted in the table.
 */
#define FIXDIR "/tmp/chimera-nix-fixture"

/* One captured log: the file built, and the one issue that must come out. */
struct ncase {
	const char *log;	/* in tests/fixtures/nix */
	const char *name;	/* NAME given to sim_nix_log */
	const char *abs;	/* ABS given to sim_nix_log */
	const char *rule;
	const char *file;
	int line, col;
	const char *message;
};

static const struct ncase cases[] = {
	/* let\n  x = 1;\nin {\n  a = x\n  b = 2;\n} */
	{ "syntax.log", "syntax.nix", FIXDIR "/syntax.nix", "NIX-SYNTAX", "syntax.nix", 5, 5,
	  "syntax error, unexpected '=', expecting ';'" },
	/* let\n  x = 1;\nin\n  x + foo */
	{ "undefined.log", "undefined.nix", FIXDIR "/undefined.nix", "NIX-EVAL", "undefined.nix", 4, 7,
	  "undefined variable 'foo'" },
	/* the same on a terminal: colour codes and CR LF */
	{ "colour.log", "undefined.nix", FIXDIR "/undefined.nix", "NIX-EVAL", "undefined.nix", 4, 7,
	  "undefined variable 'foo'" },
	/* a derivation built with -A nope */
	{ "attr-missing.log", "good.nix", FIXDIR "/good.nix", "NIX-EVAL", "good.nix", 0, 0,
	  "attribute 'nope' in selection path 'nope' not found" },
	/* let\n  n = 1;\nin\n  n + "two" */
	{ "type.log", "type.nix", FIXDIR "/type.nix", "NIX-EVAL", "type.nix", 4, 7, "cannot add a string to an integer" },
	/* {\n  x = 1;\n}.x + (throw "no config for this host"): Nix 2.8 gives no position */
	{ "throw.log", "throw.nix", FIXDIR "/throw.nix", "NIX-EVAL", "throw.nix", 0, 0, "no config for this host" },
	/* let\n  ok = false;\nin\nassert ok;\n  1 */
	{ "assert.log", "assert.nix", FIXDIR "/assert.nix", "NIX-EVAL", "assert.nix", 4, 1, "assertion 'ok' failed" },
	/* import ./nothere.nix */
	{ "missing-import.log", "missing-import.nix", FIXDIR "/missing-import.nix", "NIX-EVAL", "missing-import.nix", 0,
	  0, "getting status of '" FIXDIR "/nothere.nix': No such file or directory" },
	/* (import ./lib/broken.nix { name = "x"; }).value; lib/broken.nix: {\n  value = name.first;\n} */
	{ "imported.log", "imported.nix", FIXDIR "/imported.nix", "NIX-EVAL", "lib/broken.nix", 3, 11,
	  "value is a string while a set was expected" },
	/* the same named from the project directory, one level up: the file keeps NAME's directory */
	{ "imported.log", "conf/imported.nix", FIXDIR "/imported.nix", "NIX-EVAL", "conf/lib/broken.nix", 3, 11,
	  "value is a string while a set was expected" },
	/* import ./lib/unclosed.nix; lib/unclosed.nix: {\n  a = [ 1 2 */
	{ "imported-syntax.log", "imported-syntax.nix", FIXDIR "/imported-syntax.nix", "NIX-SYNTAX", "lib/unclosed.nix",
	  2, 12, "syntax error, unexpected end of file" },
	/* a position outside ABS's directory is not a line of NAME */
	{ "undefined.log", "undefined.nix", "/srv/elsewhere/undefined.nix", "NIX-EVAL", "undefined.nix", 0, 0,
	  "undefined variable 'foo'" },
	/* ... nor one in a directory that merely starts the same */
	{ "undefined.log", "undefined.nix", "/tmp/chimera-nix/undefined.nix", "NIX-EVAL", "undefined.nix", 0, 0,
	  "undefined variable 'foo'" },
	/* let\n  a = b;\n  b = a;\nin\n  a */
	{ "recursion.log", "recursion.nix", FIXDIR "/recursion.nix", "NIX-EVAL", "recursion.nix", 2, 7,
	  "infinite recursion encountered" },
	/* derivation { name = "x"; ...; builder = "/bin/sh"; args = [ "-c" "echo boom >&2; exit 1" ]; } */
	{ "builder.log", "builder.nix", FIXDIR "/builder.nix", "NIX-BUILD", "builder.nix", 0, 0,
	  "builder for '/nix/store/w1ir3d4wv52pc7hakdcaa1ndldgqys8v-x.drv' failed with exit code 1" },
	/* two such, exit 2: the first failure, not the "build of" summary */
	{ "builders.log", "builders.nix", FIXDIR "/builders.nix", "NIX-BUILD", "builders.nix", 0, 0,
	  "builder for '/nix/store/zngp5xsqsxn2igavw49vlwbggwfzw4s9-first.drv' failed with exit code 2" },
	/* the same with --keep-going */
	{ "builders-keep.log", "builders.nix", FIXDIR "/builders.nix", "NIX-BUILD", "builders.nix", 0, 0,
	  "builder for '/nix/store/bkl0dr0d8rdjv1qwck7y8i7fv73clprz-second.drv' failed with exit code 2" },
	/* a good derivation on a machine without the nixbld group: it fails once building starts */
	{ "nixbld.log", "nixbld.nix", FIXDIR "/nixbld.nix", "NIX-BUILD", "nixbld.nix", 0, 0,
	  "the group 'nixbld' specified in 'build-users-group' does not exist" },
	/* { a = 1; }.a */
	{ "notdrv.log", "notdrv.nix", FIXDIR "/notdrv.nix", "NIX-OUTPUT", "notdrv.nix", 0, 0,
	  "expression does not evaluate to a derivation (or a set or list of those)" },
};

static void dump(const struct sim_report *rep)
{
	struct buf out = BUF_INIT(0);

	sim_report_text(rep, &out);
	print_message("%s", out.data);
	buf_release(&out);
}

/* The fixture directory, from where this file is. */
static void fixture_path(const char *log, char *out, size_t len)
{
	const char *slash = strrchr(__FILE__, '/');
	int dlen = slash ? (int)(slash - __FILE__) : 1;

	snprintf(out, len, "%.*s/../fixtures/nix/%s", dlen, slash ? __FILE__ : ".", log);
}

/* The one issue of REP must be critical RULE in FILE at LINE:COL with MESSAGE and no fix. */
static bool check_issue(const char *what, const struct sim_report *rep, const char *rule, const char *file, int line,
			int col, const char *message)
{
	const struct sim_issue *is = rep->n ? &rep->issues[rep->n - 1] : NULL;
	bool ok = rep->n == 1 && is->severity == SIM_CRITICAL && !strcmp(is->rule, rule) && !strcmp(is->file, file) &&
		  is->line == line && is->col == col && !strcmp(is->message, message) && is->fix == SIM_FIX_NONE &&
		  !is->fix_text[0] && rep->count[SIM_CRITICAL] == 1 && !sim_passed(rep);

	if (!ok) {
		print_message("%s: want %s %s:%d:%d \"%s\"; got %zu issue(s)\n", what, rule, file, line, col, message,
			      rep->n);
		dump(rep);
	}
	return ok;
}

static void test_fixtures(void **state)
{
	size_t i, bad = 0;

	for (i = 0; i < NELEM(cases); i++) {
		const struct ncase *k = &cases[i];
		struct buf log = BUF_INIT(0);
		struct sim_report rep;
		char path[PATH_MAX];

		fixture_path(k->log, path, sizeof(path));
		if (fs_read_file(path, &log) < 0)
			fail_msg("cannot read %s: %s", path, err_msg());
		sim_report_init(&rep, "nix");
		assert_int_equal(sim_nix_log(k->name, k->abs, log.data, log.len, &rep), 0);
		if (!check_issue(k->log, &rep, k->rule, k->file, k->line, k->col, k->message))
			bad++;
		sim_report_release(&rep);
		buf_release(&log);
	}
	assert_int_equal(bad, 0);
}

/* The colour fixture does hold escapes, so the case above tests their removal. */
static void test_colour_fixture_is_coloured(void **state)
{
	struct buf log = BUF_INIT(0);
	char path[PATH_MAX];

	fixture_path("colour.log", path, sizeof(path));
	assert_int_equal(fs_read_file(path, &log), 0);
	assert_non_null(memchr(log.data, 0x1b, log.len));
	assert_non_null(strstr(log.data, "\x1b[35;1m" FIXDIR "/undefined.nix:4:7\x1b[0m:"));
	buf_release(&log);
}

static void run_log(const char *log, struct sim_report *rep)
{
	sim_report_init(rep, "nix");
	assert_int_equal(sim_nix_log("default.nix", "/p/default.nix", log, strlen(log), rep), 0);
}

/* Logs no fixture has: what a builder prints, a kill, nothing at all, a very long line. */
static void test_odd_logs(void **state)
{
	struct sim_report rep;
	char *big;
	size_t i;

	/* A compiler's "error:" in the build output is not Nix's error. */
	run_log("these 1 derivations will be built:\n  /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-c.drv\n"
		"building '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-c.drv'...\n"
		"error: main.c:3:1: expected ';'\n"
		"error: builder for '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-c.drv' failed with exit code 2\n",
		&rep);
	assert_true(check_issue("builder's error", &rep, "NIX-BUILD", "default.nix", 0, 0,
				"builder for '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-c.drv' failed with exit code 2"));
	sim_report_release(&rep);

	/* Killed while building, no error line: the last line, a build failure. */
	run_log("this derivation will be built:\n  /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-c.drv\nKilled\n\n", &rep);
	assert_true(check_issue("killed", &rep, "NIX-BUILD", "default.nix", 0, 0, "Killed"));
	sim_report_release(&rep);

	run_log("", &rep);
	assert_true(check_issue("empty", &rep, "NIX-EVAL", "default.nix", 0, 0,
				"nix-build failed without an error message"));
	sim_report_release(&rep);

	/* A position in a string, not a file; the path may hold colons. */
	run_log("error: undefined variable 'y'\n\n       at \xc2\xab" "string\xc2\xbb:1:3:\n", &rep);
	assert_true(check_issue("string position", &rep, "NIX-EVAL", "default.nix", 0, 0, "undefined variable 'y'"));
	sim_report_release(&rep);
	run_log("error: undefined variable 'y'\n\n       at /p/a:b.nix:7:2:\n", &rep);
	assert_true(check_issue("colon in path", &rep, "NIX-EVAL", "a:b.nix", 7, 2, "undefined variable 'y'"));
	sim_report_release(&rep);

	/* The position belongs to the first error only. */
	run_log("error: one\nerror: two\n\n       at /p/default.nix:2:2:\n", &rep);
	assert_true(check_issue("second error's position", &rep, "NIX-EVAL", "default.nix", 0, 0, "one"));
	sim_report_release(&rep);

	/* A long message is cut to fit, without splitting a UTF-8 character. */
	big = malloc(4000);
	assert_non_null(big);
	memcpy(big, "error: ", 7);
	for (i = 7; i < 3990; i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = 0;
	run_log(big, &rep);
	assert_int_equal(rep.n, 1);
	assert_true(strlen(rep.issues[0].message) < SIM_MSG_MAX);
	assert_true(strlen(rep.issues[0].message) >= SIM_MSG_MAX - 2);
	assert_int_equal(strlen(rep.issues[0].message) % 2, 0);
	sim_report_release(&rep);
	free(big);

	/* Exactly one issue is added to what the report holds. */
	run_log("error: syntax error, unexpected end of file\n\n       at /p/default.nix:9:1:\n", &rep);
	assert_int_equal(sim_nix_log("default.nix", "/p/default.nix", "error: x\n", 9, &rep), 0);
	assert_int_equal(rep.n, 2);
	assert_string_equal(rep.issues[0].rule, "NIX-SYNTAX");
	assert_int_equal(rep.issues[0].line, 9);
	assert_string_equal(rep.issues[1].rule, "NIX-EVAL");
	assert_int_equal(rep.count[SIM_CRITICAL], 2);
	sim_report_release(&rep);
}

/* ---- sim_nix on a fake Nix ---- */

enum fake_mode {
	FAKE_BUILT,		/* prints one store path */
	FAKE_TWO,		/* several paths: nix_cli's ERR_INVALID */
	FAKE_EVAL,		/* nix-build ran and failed, at a line of the file it was given */
	FAKE_NOSTART,		/* fork failed: nothing ran */
	FAKE_NOEXEC,		/* exec failed: exit 127 and proc's "cannot run" */
	FAKE_NOPATH,		/* exit 0 but no store path */
	FAKE_SILENT,		/* exit 137 with nothing on stderr */
};

struct fake {
	struct nix base;
	enum fake_mode mode;
	int calls;
	char file[PATH_MAX];	/* what it was asked to build */
};

#define GOOD "/nix/store/1hw0jncx9jdaxiggzs4mif6sq75qchzz-good"

static int fake_build(struct nix *nx, const struct nix_source *src, char out[STOREPATH_MAX], struct buf *log)
{
	struct fake *f = (struct fake *)nx;

	f->calls++;
	snprintf(f->file, sizeof(f->file), "%s", src->file);
	out[0] = 0;
	switch (f->mode) {
	case FAKE_BUILT:
		snprintf(out, STOREPATH_MAX, "%s", GOOD);
		return 0;
	case FAKE_TWO:
		return err_set(ERR_INVALID, "the build produced 2 store paths; choose one with -A ATTR");
	case FAKE_EVAL:
		buf_printf(log, "error: undefined variable 'pkgs'\n\n       at %s:3:5:\n\n            3|   pkgs\n",
			   src->file);
		return err_set(ERR_IO, "nix-build failed (exit 1):\nerror: undefined variable 'pkgs'");
	case FAKE_NOSTART:
		return err_set(ERR_IO, "cannot start '/usr/bin/nix-build': Resource temporarily unavailable");
	case FAKE_NOEXEC:
		buf_printf(log, "cannot run '/usr/bin/nix-build'\n");
		return err_set(ERR_IO, "nix-build failed (exit 127):\ncannot run '/usr/bin/nix-build'");
	case FAKE_NOPATH:
		return err_set(ERR_IO, "the build printed no store path");
	case FAKE_SILENT:
		return err_set(ERR_IO, "nix-build failed (exit 137)");
	}
	return 0;
}

static const struct nix_ops fake_ops = { .name = "fake", .build = fake_build };

static char tmpdir[PATH_MAX], tmpfile_[PATH_MAX + 16];

static int setup(void **state)
{
	const char *base = getenv("CHIMERA_TEST_TMP");

	if (!base || !*base)
		base = "/var/tmp";
	if (fs_mkdir_p(base, 0755) < 0)
		return -1;
	snprintf(tmpdir, sizeof(tmpdir), "%s/sim-nix-XXXXXX", base);
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(tmpfile_, sizeof(tmpfile_), "%s/default.nix", tmpdir);
	return fs_write_file(tmpfile_, "{\n  x =\n    pkgs;\n}\n", 20, 0644);
}

static int teardown(void **state)
{
	return fs_rm_rf(tmpdir);
}

static int run_fake(enum fake_mode mode, struct fake *f, struct sim_report *rep, char out[STOREPATH_MAX])
{
	struct nix_source src;

	memset(&src, 0, sizeof(src));
	src.file = tmpfile_;
	memset(f, 0, sizeof(*f));
	f->base.ops = &fake_ops;
	f->mode = mode;
	sim_report_init(rep, "nix");
	rep->us = -1;
	memset(out, 'x', STOREPATH_MAX);
	return sim_nix(&f->base, &src, "default.nix", out, rep);
}

static void test_sim_nix_outcomes(void **state)
{
	char out[STOREPATH_MAX], real[PATH_MAX];
	struct sim_report rep;
	struct fake f;

	assert_non_null(realpath(tmpfile_, real));

	assert_int_equal(run_fake(FAKE_BUILT, &f, &rep, out), 0);
	assert_string_equal(out, GOOD);
	assert_int_equal(rep.n, 0);
	assert_true(sim_passed(&rep));
	assert_int_equal(rep.nfiles, 1);
	assert_string_equal(rep.files[0], "default.nix");
	assert_true(rep.us >= 0);
	sim_report_release(&rep);

	/* Nix is given the resolved path, and its positions are read against it. */
	assert_int_equal(run_fake(FAKE_EVAL, &f, &rep, out), 0);
	assert_string_equal(f.file, real);
	assert_string_equal(out, "");
	assert_true(check_issue("eval", &rep, "NIX-EVAL", "default.nix", 3, 5, "undefined variable 'pkgs'"));
	assert_true(rep.us >= 0);
	sim_report_release(&rep);

	assert_int_equal(run_fake(FAKE_TWO, &f, &rep, out), 0);
	assert_string_equal(out, "");
	assert_true(check_issue("two paths", &rep, "NIX-OUTPUT", "default.nix", 0, 0,
				"the build produced 2 store paths; choose one with -A ATTR"));
	sim_report_release(&rep);

	assert_int_equal(run_fake(FAKE_NOPATH, &f, &rep, out), 0);
	assert_true(check_issue("no path", &rep, "NIX-OUTPUT", "default.nix", 0, 0, "the build printed no store path"));
	sim_report_release(&rep);

	assert_int_equal(run_fake(FAKE_SILENT, &f, &rep, out), 0);
	assert_true(check_issue("silent", &rep, "NIX-BUILD", "default.nix", 0, 0, "nix-build failed (exit 137)"));
	sim_report_release(&rep);

	/* Nix that could not run is an error, not a finding about the file. */
	assert_int_equal(run_fake(FAKE_NOSTART, &f, &rep, out), ERR_IO);
	assert_int_equal(rep.n, 0);
	assert_string_equal(out, "");
	assert_true(rep.us >= 0);
	sim_report_release(&rep);
	assert_int_equal(run_fake(FAKE_NOEXEC, &f, &rep, out), ERR_IO);
	assert_int_equal(rep.n, 0);
	assert_contains(err_msg(), "cannot run");
	sim_report_release(&rep);
}

static void test_sim_nix_refuses(void **state)
{
	struct nix_source src;
	struct sim_report rep;
	struct fake f;
	char out[STOREPATH_MAX], missing[PATH_MAX + 16];

	memset(&f, 0, sizeof(f));
	f.base.ops = &fake_ops;
	memset(&src, 0, sizeof(src));
	src.flake = "github:o/r#host";
	sim_report_init(&rep, "nix");
	assert_int_equal(sim_nix(&f.base, &src, "flake.nix", out, &rep), ERR_INVALID);
	assert_string_equal(out, "");

	snprintf(missing, sizeof(missing), "%s/nothere.nix", tmpdir);
	src.flake = NULL;
	src.file = missing;
	assert_int_equal(sim_nix(&f.base, &src, "nothere.nix", out, &rep), ERR_INVALID);
	assert_contains(err_msg(), "nothere.nix");
	assert_int_equal(f.calls, 0);
	assert_int_equal(rep.n, 0);
	sim_report_release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_colour_fixture_is_coloured),
		cmocka_unit_test(test_odd_logs),
		cmocka_unit_test_setup_teardown(test_sim_nix_outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sim_nix_refuses, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
