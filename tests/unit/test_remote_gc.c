/*
 * Unit tests for remote/gc: the probe, collect and dry-run commands run with /bin/sh against a
 * fake profile and fake nix-env and nix-store on PATH, and the parsers of what they print.
 */
#include "check.h"

#include <sys/stat.h>
#include <unistd.h>

#include "remote/gc.h"
#include "util/fs.h"
#include "util/proc.h"

#define P1 "/nix/store/00000000000000000000000000000001-sys-1"
#define P2 "/nix/store/00000000000000000000000000000002-sys-2"
#define DM "/nix/var/chimera/deadman/01J9ZK3M4N5P6Q7R8S9T0V1W2X.a1B2c3D4e5"

static char dir[4096];

static void put(const char *rel, const char *text, int mode)
{
	char path[4300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, (mode_t)mode), 0);
}

/* A file of N bytes at DIR/store/NAME: a store path whose disk use du measures. */
static void store_file(const char *name, size_t n)
{
	char *text = malloc(n + 1);

	assert_non_null(text);
	memset(text, 'x', n);
	text[n] = 0;
	{
		char rel[64];

		snprintf(rel, sizeof(rel), "store/%s", name);
		put(rel, text, 0644);
	}
	free(text);
}

/* Fake Nix: nix-env deletes the links it is given; nix-store answers from files in DIR. */
static void setup(void)
{
	char path[4300], target[4300];
	static const char *const names[] = { "a", "b", "c", "shared", "z", "d", "e" };
	size_t i;

	assert_int_equal(scratch_make(dir, sizeof(dir), "remote-gc"), 0);
	snprintf(path, sizeof(path), "%s/bin", dir);
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/store", dir);
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/profiles", dir);
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		store_file(names[i], 1000 * (i + 1));
	for (i = 1; i <= 3; i++) {
		snprintf(path, sizeof(path), "%s/profiles/system-%zu-link", dir, i);
		snprintf(target, sizeof(target), "%s/store/%c", dir, "abc"[i - 1]);
		assert_int_equal(symlink(target, path), 0);
	}
	snprintf(path, sizeof(path), "%s/profiles/system", dir);
	assert_int_equal(symlink("system-3-link", path), 0);
	put("bin/nix-env",
	    "#!/bin/sh\n"
	    "echo \"$*\" >\"$D/env.args\"\n"
	    "[ -z \"$FAIL_ENV\" ] || { echo 'error: cannot lock the profile' >&2; exit 1; }\n"
	    "p=$2; shift 3; for n in \"$@\"; do echo \"removing generation $n\" >&2; rm -f \"$p-$n-link\"; done\n",
	    0755);
	put("bin/nix-store",
	    "#!/bin/sh\n"
	    "case \"$1 $2\" in\n"
	    /* A path named in the file held is a runtime root for that instant: not dead, a /proc root. */
	    "'--gc --print-dead') echo 'finding garbage collector roots...' >&2;"
	    " if [ -f \"$D/held\" ]; then grep -vxF -f \"$D/held\" \"$D/dead.list\"; else cat \"$D/dead.list\"; fi;;\n"
	    /* The roots as listed in roots.list, else the profile's links as they are now. */
	    "'--gc --print-roots') if [ -f \"$D/roots.list\" ]; then cat \"$D/roots.list\"; else"
	    " for l in \"$D\"/profiles/system-*-link; do [ -L \"$l\" ] && echo \"$l -> $(readlink \"$l\")\"; done; fi;"
	    " [ -f \"$D/held\" ] && echo \"/proc/4242/fd/3 -> $(cat \"$D/held\")\";;\n"
	    "'--gc ') [ -z \"$FAIL_GC\" ] || { echo 'error: the disk is on fire' >&2; exit 7; }\n"
	    /* A path named in the file inuse stays (a process uses it), as Nix leaves a runtime root. */
	    "  u=; [ -f \"$D/inuse\" ] && read -r u <\"$D/inuse\"\n"
	    "  k=0; while read -r x; do [ -e \"$x\" ] || continue; [ \"${x##*/}\" = \"$u\" ] && continue;"
	    " echo \"deleting '/nix/store/${x##*/}'\" >&2; rm -f \"$x\"; k=$((k + 1)); done <\"$D/dead.list\"\n"
	    "  echo \"$k runs\" >>\"$D/gc.runs\"; echo \"$k store paths deleted, 0.02 MiB freed\";;\n"
	    "-qR*) shift; for x in \"$@\"; do echo \"$x\"; [ -f \"$D/closure.${x##*/}\" ] && cat \"$D/closure.${x##*/}\"; done;;\n"
	    "*) echo \"nix-store: unexpected $*\" >&2; exit 99;;\n"
	    "esac\nexit 0\n",
	    0755);
}

static void teardown(void)
{
	char *argv[] = { "/bin/rm", "-rf", dir, NULL };
	int status;

	proc_run(argv, NULL, &status);
}

/* Run CMD with /bin/sh, the fake Nix first on PATH and ENV (assignments) before it; stdout in OUT, stderr in ERR. */
static int sh(const char *env, const struct buf *cmd, struct buf *out, struct buf *err)
{
	struct buf full = BUF_INIT(0);
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	int status;

	buf_printf(&full, "D=%s; export D; PATH=%s/bin:$PATH; export PATH; %s\n%s", dir, dir, env, cmd->data);
	argv[2] = full.data;
	buf_reset(out);
	buf_reset(err);
	assert_int_equal(proc_run_split(argv, -1, out, err, &status), 0);
	buf_release(&full);
	return status;
}

/* du's count of the files NAMES (space separated) under DIR/store, in bytes, as the commands measure. */
static uint64_t du_of(const char *names)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(0), err = BUF_INIT(0);
	uint64_t v;

	buf_printf(&cmd, "cd \"$D/store\" && du -s -B1 -c %s | tail -n 1 | cut -f1", names);
	assert_int_equal(sh("", &cmd, &out, &err), 0);
	v = strtoull(out.data, NULL, 10);
	assert_true(v > 0);
	buf_release(&cmd);
	buf_release(&out);
	buf_release(&err);
	return v;
}

static void profile_path(char *out, size_t len)
{
	snprintf(out, len, "%s/profiles/system", dir);
}

/* Nix's dead: a, b and z; what du counts of them returned. */
static uint64_t dead_abz(void)
{
	char list[16000];

	snprintf(list, sizeof(list), "%s/store/a\n%s/store/b\n%s/store/z\n", dir, dir, dir);
	put("dead.list", list, 0644);
	return du_of("a b z");
}

/* Generations 1 (a) and 3 (c) share one path, "shared", in their closures. */
static void share_a_c(void)
{
	char list[4200];

	snprintf(list, sizeof(list), "%s/store/shared\n", dir);
	put("closure.a", list, 0644);
	put("closure.c", list, 0644);
}

static void test_collect(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20), args = BUF_INIT(0);
	struct remote_gc_result r;
	const uint32_t gens[] = { 1, 2 };
	char prof[4200], list[16000], path[4300];
	uint64_t want;

	(void)state;
	setup();
	profile_path(prof, sizeof(prof));
	want = dead_abz();
	assert_int_equal(remote_gc_collect(&cmd, prof, gens, 2), 0);
	assert_int_equal(sh("", &cmd, &out, &err), 0);
	snprintf(path, sizeof(path), "%s/env.args", dir);
	assert_int_equal(fs_read_file(path, &args), 0);
	snprintf(list, sizeof(list), "-p %s --delete-generations 1 2\n", prof);
	assert_string_equal(args.data, list);
	snprintf(path, sizeof(path), "%s/profiles/system-1-link", dir);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/profiles/system-3-link", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(remote_gc_result_parse(&out, &r), 0);
	assert_true(r.deleted && r.measured && r.dead_bytes_known && r.nix_summary && r.counted && r.done);
	assert_int_equal(r.dead_paths, 3);
	assert_int_equal(r.dead_bytes, want);
	assert_int_equal(r.nix_paths, 3);
	assert_int_equal(r.nix_bytes, 20972);	/* 0.02 MiB, rounded to a byte */
	assert_int_equal(r.removed, 3);
	assert_true(r.freed);
	assert_int_equal(r.freed_paths, 3);
	assert_int_equal(r.freed_bytes, r.dead_bytes);
	/* A path in use stays: what was freed leaves it out, what was dead did not. */
	store_file("a", 1000);
	store_file("b", 2000);
	store_file("z", 5000);
	put("inuse", "b\n", 0644);
	assert_int_equal(sh("", &cmd, &out, &err), 0);
	assert_int_equal(remote_gc_result_parse(&out, &r), 0);
	assert_int_equal(r.dead_paths, 3);
	assert_int_equal(r.freed_paths, 2);
	assert_int_equal(r.freed_bytes, r.dead_bytes - du_of("b"));
	assert_true(r.freed_bytes > 0);
	/* It was tried twice (the second time a second later), and Nix's counts add up. */
	snprintf(path, sizeof(path), "%s/gc.runs", dir);
	buf_reset(&args);
	assert_int_equal(fs_read_file(path, &args), 0);
	assert_string_equal(args.data, "3 runs\n2 runs\n0 runs\n");
	assert_int_equal(r.nix_paths, 2);
	assert_int_equal(r.nix_bytes, 2 * 20972);
	/* No longer in use a moment later: the second run takes it. */
	store_file("a", 1000);
	store_file("z", 5000);
	assert_int_equal(sh("(sleep 0.2; rm -f \"$D/inuse\") &", &cmd, &out, &err), 0);
	assert_int_equal(remote_gc_result_parse(&out, &r), 0);
	assert_int_equal(r.dead_paths, 3);
	assert_int_equal(r.freed_paths, 3);
	assert_int_equal(r.freed_bytes, r.dead_bytes);
	assert_int_equal(r.nix_paths, 3);
	/* No generation to delete: nix-env is not run, the collector is. */
	buf_reset(&cmd);
	snprintf(path, sizeof(path), "%s/env.args", dir);
	unlink(path);
	assert_int_equal(remote_gc_collect(&cmd, prof, NULL, 0), 0);
	assert_int_equal(sh("", &cmd, &out, &err), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(remote_gc_result_parse(&out, &r), 0);
	assert_true(!r.deleted && r.measured && r.done);
	teardown();
	buf_release(&cmd);
	buf_release(&out);
	buf_release(&err);
	buf_release(&args);
}

/*
 * A path of a deleted generation that a process held while Nix listed the dead (on lab nodes,
 * another node's du or collector) but not when it collected: measured all the same, so the
 * freed figure has it. Nix alone would have left it out of the dead and freed it unmeasured.
 */
static void test_collect_held(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20);
	struct remote_gc_result r;
	const uint32_t gens[] = { 1, 2 };
	char prof[4200], list[16000];
	uint64_t want;

	(void)state;
	setup();
	profile_path(prof, sizeof(prof));
	want = dead_abz();
	snprintf(list, sizeof(list), "%s/store/b\n", dir);
	put("held", list, 0644);
	/* Generation 3 (c, kept) shares a path with generation 1: not dead, not measured. */
	share_a_c();
	assert_int_equal(remote_gc_collect(&cmd, prof, gens, 2), 0);
	assert_int_equal(sh("", &cmd, &out, &err), 0);
	assert_int_equal(remote_gc_result_parse(&out, &r), 0);
	assert_true(r.deleted && r.measured && r.dead_bytes_known && r.done && r.freed);
	assert_int_equal(r.dead_paths, 3);
	assert_int_equal(r.dead_bytes, want);
	assert_int_equal(r.removed, 3);
	assert_int_equal(r.freed_paths, 3);
	assert_int_equal(r.freed_bytes, r.dead_bytes);
	teardown();
	buf_release(&cmd);
	buf_release(&out);
	buf_release(&err);
}

static void test_collect_fails(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20);
	struct remote_gc_result r;
	const uint32_t gens[] = { 2 };
	char prof[4200];

	(void)state;
	setup();
	profile_path(prof, sizeof(prof));
	put("dead.list", "", 0644);
	assert_int_equal(remote_gc_collect(&cmd, prof, gens, 1), 0);
	/* The collector fails: its status and last lines come back; the generations went before. */
	assert_int_equal(sh("FAIL_GC=1; export FAIL_GC;", &cmd, &out, &err), 7);
	assert_contains(err.data, "the disk is on fire");
	assert_int_equal(remote_gc_result_parse(&out, &r), 0);
	/* Nix calls nothing dead, but the deleted generation's closure (b) was measured, and stays. */
	assert_true(r.deleted && r.measured && !r.done && !r.nix_summary && r.freed);
	assert_int_equal(r.dead_paths, 1);
	assert_int_equal(r.dead_bytes, du_of("b"));
	assert_int_equal(r.freed_paths, 0);
	assert_int_equal(r.freed_bytes, 0);
	/* A du that measures nothing (busybox has no --files0-from): the count stays, the bytes are unknown. */
	{
		char list[5000], path[4300];

		snprintf(list, sizeof(list), "%s/store/z\n", dir);
		put("dead.list", list, 0644);
		put("bin/du", "#!/bin/sh\necho 'du: unrecognized option' >&2\nexit 1\n", 0755);
		assert_int_equal(sh("", &cmd, &out, &err), 0);
		assert_int_equal(remote_gc_result_parse(&out, &r), 0);
		assert_true(r.measured && !r.dead_bytes_known && r.done && r.nix_summary && !r.freed);
		assert_int_equal(r.dead_paths, 1);
		snprintf(path, sizeof(path), "%s/bin/du", dir);
		assert_int_equal(unlink(path), 0);
	}
	/* nix-env fails: nothing deleted, nothing collected. */
	assert_int_equal(sh("FAIL_ENV=1; export FAIL_ENV;", &cmd, &out, &err), 1);
	assert_contains(err.data, "cannot lock the profile");
	assert_int_equal(remote_gc_result_parse(&out, &r), 0);
	assert_true(!r.deleted && !r.measured && !r.done);
	teardown();
	buf_release(&cmd);
	buf_release(&out);
	buf_release(&err);
}

/* The dry run: dead now, plus the closures of the generations that would go, less what other roots keep. */
static void test_dry(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20);
	struct remote_gc_result r;
	const uint32_t gens[] = { 1, 2 };
	char prof[4200], text[40000];
	char path[4300];

	(void)state;
	setup();
	profile_path(prof, sizeof(prof));
	snprintf(text, sizeof(text), "%s/store/z\n", dir);
	put("dead.list", text, 0644);
	/* Generation 3's root keeps c and shared; a runtime root d; a root whose name has a space, e. */
	snprintf(text, sizeof(text),
		 "%s/profiles/system-1-link -> %s/store/a\n%s/profiles/system-2-link -> %s/store/b\n"
		 "%s/profiles/system-3-link -> %s/store/c\n/proc/42/maps -> %s/store/d\n/root/my dir/r -> %s/store/e\n",
		 dir, dir, dir, dir, dir, dir, dir, dir);
	put("roots.list", text, 0644);
	share_a_c();
	assert_int_equal(remote_gc_dry(&cmd, prof, gens, 2), 0);
	assert_int_equal(sh("", &cmd, &out, &err), 0);
	assert_int_equal(remote_gc_result_parse(&out, &r), 0);
	assert_true(!r.deleted && r.measured && r.dead_bytes_known && r.done && !r.nix_summary);
	assert_int_equal(r.dead_paths, 3);
	assert_int_equal(r.dead_bytes, du_of("a b z"));
	/* Nothing changed: every link is still there. */
	snprintf(path, sizeof(path), "%s/profiles/system-1-link", dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/profiles/system-2-link", dir);
	assert_int_equal(access(path, F_OK), 0);
	/* With generation 3 going too, c goes, shared still not (a root outside the profile keeps it). */
	snprintf(text, sizeof(text), "%s/store/shared\n", dir);
	put("closure.e", text, 0644);
	{
		const uint32_t all[] = { 1, 2, 3 };

		buf_reset(&cmd);
		assert_int_equal(remote_gc_dry(&cmd, prof, all, 3), 0);
		assert_int_equal(sh("", &cmd, &out, &err), 0);
		assert_int_equal(remote_gc_result_parse(&out, &r), 0);
		assert_int_equal(r.dead_paths, 4);
		assert_int_equal(r.dead_bytes, du_of("a b c z"));
	}
	teardown();
	buf_release(&cmd);
	buf_release(&out);
	buf_release(&err);
}

static void test_probe(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1 << 20), err = BUF_INIT(1 << 20);
	struct remote_deadman sw[4];
	struct gen_list g;
	int64_t now;
	size_t nsw;
	char prof[4200];

	(void)state;
	setup();
	profile_path(prof, sizeof(prof));
	assert_int_equal(remote_gc_probe(&cmd, prof), 0);
	assert_int_equal(sh("", &cmd, &out, &err), 0);
	/* The fake profile's links point outside the store: they are named and skipped, as on a node. */
	assert_int_equal(remote_gc_probe_parse(&out, "system", &now, &g, sw, 4, &nsw), 0);
	assert_true(now > 1600000000);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.malformed, 4);
	assert_int_equal(g.current, 0);
	assert_contains(g.warning, "the profile leads through system-3-link to ");
	gen_list_release(&g);
	teardown();
	buf_release(&cmd);
	buf_release(&out);
	buf_release(&err);
}

static void test_probe_parse(void **state)
{
	static const char good[] = REMOTE_GC_NOW " 1700000000\nlink system-2-link\npath " P2 "\n"
				   "gen 1 1699990000 " P1 "\ngen 2 1699999000 " P2 "\n" REMOTE_GC_DEADMAN "\n"
				   "deadman " DM "\nop 01J9ZK3M4N5P6Q7R8S9T0V1W2X\npath " P2 "\n"
				   "profile /nix/var/nix/profiles/system\ngen 1\ndeadline 1700000300\npid 77\nalive\nnow " P2
				   "\nend\n";
	struct buf out = BUF_INIT(0);
	struct remote_deadman sw[4];
	struct gen_list g;
	int64_t now;
	size_t nsw, i;
	static const char *const bad[] = {
		"",
		"gen 1 1699990000 " P1 "\n" REMOTE_GC_DEADMAN "\n",
		REMOTE_GC_NOW " \n" REMOTE_GC_DEADMAN "\n",
		REMOTE_GC_NOW " 17x\n" REMOTE_GC_DEADMAN "\n",
		REMOTE_GC_NOW " 1234567890123\n" REMOTE_GC_DEADMAN "\n",
		REMOTE_GC_NOW " 1700000000\ngen 1 1699990000 " P1 "\n",
		REMOTE_GC_NOW " 1700000000\nsurprise\n" REMOTE_GC_DEADMAN "\n",
		REMOTE_GC_NOW " 1700000000\n" REMOTE_GC_DEADMAN "\ndeadman " DM "\n",
		REMOTE_GC_NOW " 1700000000\n" REMOTE_GC_DEADMAN "x\n",
	};

	(void)state;
	buf_adds(&out, good);
	assert_int_equal(remote_gc_probe_parse(&out, "system", &now, &g, sw, 4, &nsw), 0);
	assert_int_equal(now, 1700000000);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.current, 2);
	assert_int_equal(g.items[0].time, 1699990000);
	assert_int_equal(nsw, 1);
	assert_int_equal(sw[0].gen, 1);
	assert_true(sw[0].alive && !sw[0].claimed && !sw[0].fired);
	assert_string_equal(sw[0].op, "01J9ZK3M4N5P6Q7R8S9T0V1W2X");
	gen_list_release(&g);
	/* No switches, no generations. */
	buf_reset(&out);
	buf_adds(&out, REMOTE_GC_NOW " 5\n" REMOTE_GC_DEADMAN "\n");
	assert_int_equal(remote_gc_probe_parse(&out, "system", &now, &g, sw, 4, &nsw), 0);
	assert_int_equal(now, 5);
	assert_int_equal(g.n + nsw, 0);
	gen_list_release(&g);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&out);
		buf_adds(&out, bad[i]);
		now = 9;
		if (remote_gc_probe_parse(&out, "system", &now, &g, sw, 4, &nsw) != ERR_INVALID)
			fail_msg("bad probe %zu was read", i);
		assert_int_equal(now, 0);
		assert_int_equal(nsw, 0);
		assert_int_equal(g.n, 0);
		assert_null(g.items);
	}
	buf_release(&out);
}

static void test_summary(void **state)
{
	static const struct { const char *line; uint64_t paths, bytes; } good[] = {
		{ "4 store paths deleted, 0.38 MiB freed", 4, 398459 },
		{ "0 store paths deleted, 0.00 MiB freed", 0, 0 },
		{ "1 store path deleted, 12 B freed", 1, 12 },
		{ "12 store paths deleted, 1.5 GiB freed", 12, 1610612736 },
		{ "3 store paths deleted, 2 KiB freed", 3, 2048 },
		{ "7 store paths deleted, 1.000001 TiB freed", 7, 1099512727288ULL },
	};
	static const char *const bad[] = {
		"", "store paths deleted, 1 MiB freed", "x store paths deleted, 1 MiB freed",
		"4 store paths deleted, 0.38 MB freed", "4 store paths deleted, 0.38MiB freed",
		"4 store paths deleted, .38 MiB freed", "4 store paths deleted, 1. MiB freed",
		"4 store paths deleted, 1.2.3 MiB freed", "4 store paths deleted, 0.38 MiB", "4 paths deleted, 1 MiB freed",
		"4 store paths deleted, 0.1234567 MiB freed", "4 store paths deleted, 12345678 MiB freed",
		"-4 store paths deleted, 1 MiB freed", "4 store paths deleted,  1 MiB freed",
	};
	uint64_t p, b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (remote_gc_summary_parse(good[i].line, strlen(good[i].line), &p, &b) != 1)
			fail_msg("'%s' was not read", good[i].line);
		if (p != good[i].paths || b != good[i].bytes)
			fail_msg("'%s' gave %llu paths, %llu bytes", good[i].line, (unsigned long long)p, (unsigned long long)b);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = b = 9;
		if (remote_gc_summary_parse(bad[i], strlen(bad[i]), &p, &b) != 0)
			fail_msg("'%s' was read", bad[i]);
		assert_int_equal(p + b, 0);
	}
}

static void test_result_parse(void **state)
{
	struct buf out = BUF_INIT(0);
	struct remote_gc_result r;
	static const char *const bad[] = { "chimera-gc-dead\n", "chimera-gc-dead x 1\n", "chimera-gc-dead 1 2 3\n",
					   "chimera-gc-removed\n", "chimera-gc-removed 1x\n", "chimera-gc-dead 1 \n",
					   "chimera-gc-done now\n", "chimera-gc-surprise\n", "chimera-gc-freed 1\n",
					   "chimera-gc-freed\n", "chimera-gc-freed 1 2 3\n" };
	size_t i;

	(void)state;
	buf_adds(&out, "Welcome!\nchimera-gc-deleted\nchimera-gc-dead 3\n4 store paths deleted, 1 KiB freed\n"
		       "chimera-gc-removed 4\nchimera-gc-freed 2 8192\nchimera-gc-done\n");
	assert_int_equal(remote_gc_result_parse(&out, &r), 0);
	assert_true(r.deleted && r.measured && !r.dead_bytes_known && r.nix_summary && r.counted && r.done && r.freed);
	assert_int_equal(r.freed_paths, 2);
	assert_int_equal(r.freed_bytes, 8192);
	assert_int_equal(r.dead_paths, 3);
	assert_int_equal(r.nix_bytes, 1024);
	assert_int_equal(r.removed, 4);
	buf_reset(&out);
	assert_int_equal(remote_gc_result_parse(&out, &r), 0);
	assert_true(!r.deleted && !r.measured && !r.done);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&out);
		buf_adds(&out, "chimera-gc-deleted\n");
		buf_adds(&out, bad[i]);
		if (remote_gc_result_parse(&out, &r) != ERR_INVALID)
			fail_msg("'%s' was read", bad[i]);
		assert_false(r.deleted);
		assert_contains(err_msg(), "gc output line 2");
	}
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collect),
		cmocka_unit_test(test_collect_held),
		cmocka_unit_test(test_collect_fails),
		cmocka_unit_test(test_dry),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_probe_parse),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_result_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
