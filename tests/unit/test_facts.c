/* Facts: the parser on realistic and broken outputs, the JSON document, and the script run by /bin/sh. */
#include "check.h"

#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "app/fleet/facts.h"
#include "core/facts.h"
#include "util/fs.h"
#include "util/proc.h"

#include "../fixtures/facts_sample.h"

/* What a Debian lab node with Nix, a profile at generation 7 and two sessions prints. */
static const char full[] = FACTS_SAMPLE_DEBIAN;

static void test_parse_full(void **state)
{
	struct facts f;

	(void)state;
	facts_init(&f);
	assert_int_equal(facts_parse(LIT(full), &f), 0);
	assert_string_equal(f.hostname, "web-1");
	assert_string_equal(f.kernel, "6.1.0-18-amd64");
	assert_string_equal(f.arch, "x86_64");
	assert_string_equal(f.os_id, "debian");
	assert_string_equal(f.os_version, "12");
	assert_int_equal(f.cpus, 8);
	assert_int_equal(f.mem_total, 32795192LL * 1024);
	assert_int_equal(f.mem_available, 28183400LL * 1024);
	assert_int_equal(f.uptime, 351234);
	assert_true(f.has_load);
	assert_true(f.load[0] > 0.149 && f.load[0] < 0.151);
	assert_true(f.load[2] > 2.049 && f.load[2] < 2.051);
	assert_int_equal(f.ndisks, 2);
	assert_string_equal(f.disks[0].path, "/");
	assert_int_equal(f.disks[0].size, 51290592LL * 1024);
	assert_int_equal(f.disks[0].used, 20480000LL * 1024);
	assert_int_equal(f.disks[0].avail, 28174980LL * 1024);
	assert_string_equal(f.disks[1].path, "/nix");
	assert_string_equal(f.nix_version, "2.8.0");
	assert_string_equal(f.profile, "/nix/var/nix/profiles/system");
	assert_string_equal(f.profile_target, "/nix/store/00000000000000000000000000000007-hello-7");
	assert_int_equal(f.generation, 7);
	assert_int_equal(f.nsessions, 2);
	assert_string_equal(f.sessions[0], "demo");
	assert_string_equal(f.sessions[1], "build 2");
	facts_release(&f);
	assert_int_equal(f.nsessions, 0);
	assert_null(f.sessions);
}

/* No Nix, no profile, no tmux, no /nix, no os-release: all absent, none an error. */
static void test_parse_bare_host(void **state)
{
	static const char bare[] =
		"chimera-facts=1\r\n"
		"hostname=box\r\n"
		"kernel=5.10.0\r\n"
		"arch=aarch64\r\n"
		"cpus=1\r\n"
		"mem_total=1000 kB\r\n"
		"uptime=12\r\n"
		"load=0.00 0.00 0.00\r\n"
		"disk=/ 100 50 50\r\n"
		"nix=\r\n"
		"profile=/nix/var/nix/profiles/system\r\n"
		"end=1\r\n";
	struct facts f;
	json_t *j;

	(void)state;
	facts_init(&f);
	assert_int_equal(facts_parse(LIT(bare), &f), 0);
	assert_string_equal(f.hostname, "box");
	assert_string_equal(f.nix_version, "");
	assert_string_equal(f.os_id, "");
	assert_string_equal(f.profile_link, "");
	assert_int_equal(f.generation, 0);
	assert_int_equal(f.nsessions, 0);
	assert_int_equal(f.mem_available, -1);
	assert_int_equal(f.uptime, 12);
	assert_int_equal(f.ndisks, 1);
	j = facts_json(&f, NULL);
	assert_non_null(j);
	assert_true(json_is_null(json_object_get(j, "nix")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "os"), "id")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "profile"), "target")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "profile"), "generation")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "profile"), "path")),
			    "/nix/var/nix/profiles/system");
	assert_true(json_is_null(json_object_get(json_object_get(j, "memory"), "available")));
	assert_int_equal(json_array_size(json_object_get(j, "sessions")), 0);
	assert_null(json_object_get(json_object_get(j, "disks"), "/nix"));
	assert_null(json_object_get(j, "machine"));
	json_decref(j);
	facts_release(&f);
}

/* Login scripts may print before the header; later formats may add keys. */
static void test_parse_noise_and_unknown_keys(void **state)
{
	static const char noisy[] =
		"Welcome to the box!\n"
		"motd=not ours\n"
		"chimera-facts=1\n"
		"hostname=h\n"
		"gpu=none\n"
		"profile=/p/system\n"
		"profile_link=/p/system-12-link\n"
		"profile_target=/nix/store/x\n"
		"end=1\n"
		"logout noise\n";
	struct facts f;

	(void)state;
	facts_init(&f);
	assert_int_equal(facts_parse(LIT(noisy), &f), 0);
	assert_string_equal(f.hostname, "h");
	assert_int_equal(f.generation, 12);
	assert_int_equal(f.cpus, -1);
	facts_release(&f);
}

/* A profile that is not a generation link has a target but no generation. */
static void test_parse_profile_without_generation(void **state)
{
	static const char direct[] =
		"chimera-facts=1\nprofile=/nix/var/nix/profiles/system\n"
		"profile_link=/nix/store/abc-system\nprofile_target=/nix/store/abc-system\nend=1\n";
	struct facts f;
	json_t *j;

	(void)state;
	facts_init(&f);
	assert_int_equal(facts_parse(LIT(direct), &f), 0);
	assert_int_equal(f.generation, 0);
	j = facts_json(&f, "web-1");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "profile"), "target")),
			    "/nix/store/abc-system");
	assert_true(json_is_null(json_object_get(json_object_get(j, "profile"), "generation")));
	assert_string_equal(json_string_value(json_object_get(j, "machine")), "web-1");
	json_decref(j);
	facts_release(&f);
}

struct bad_case {
	const char *text;
	int code;
	const char *msg;	/* a part of the message */
};

static void test_parse_errors_name_the_line(void **state)
{
	static const struct bad_case bad[] = {
		{ "chimera-facts=1\ncpus=abc\nend=1\n", ERR_INVALID, "facts line 2 'cpus=abc': expected a positive integer" },
		{ "chimera-facts=1\ncpus=0\nend=1\n", ERR_INVALID, "facts line 2 'cpus=0'" },
		{ "chimera-facts=1\ncpus=-3\nend=1\n", ERR_INVALID, "'cpus=-3'" },
		{ "chimera-facts=1\nhostname=a\nmem_total=12 MB\nend=1\n", ERR_INVALID,
		  "facts line 3 'mem_total=12 MB': expected a size as /proc/meminfo gives it" },
		{ "chimera-facts=1\nmem_total=kB\nend=1\n", ERR_INVALID, "'mem_total=kB'" },
		{ "chimera-facts=1\nuptime=soon\nend=1\n", ERR_INVALID, "facts line 2 'uptime=soon'" },
		{ "chimera-facts=1\nuptime=12.\nend=1\n", ERR_INVALID, "'uptime=12.'" },
		{ "chimera-facts=1\nload=0.1 0.2\nend=1\n", ERR_INVALID, "'load=0.1 0.2': expected three load averages" },
		{ "chimera-facts=1\nload=0.1 0.2 0.3 4\nend=1\n", ERR_INVALID, "'load=0.1 0.2 0.3 4'" },
		{ "chimera-facts=1\nload=0.1 x 0.3\nend=1\n", ERR_INVALID, "'load=0.1 x 0.3'" },
		{ "chimera-facts=1\ndisk=/ 1 2\nend=1\n", ERR_INVALID, "'disk=/ 1 2': expected 'disk=PATH SIZE USED AVAIL'" },
		{ "chimera-facts=1\ndisk=/ 1 2 x\nend=1\n", ERR_INVALID, "'disk=/ 1 2 x'" },
		{ "chimera-facts=1\ndisk=rel 1 2 3\nend=1\n", ERR_INVALID, "'disk=rel 1 2 3'" },
		{ "chimera-facts=1\ndisk=/ 1 2 3\ndisk=/ 4 5 6\nend=1\n", ERR_INVALID, "facts line 3 'disk=/ 4 5 6': that disk is given twice" },
		{ "chimera-facts=1\nnix=nix-store (Nix) banana\nend=1\n", ERR_INVALID, "'nix=nix-store (Nix) banana'" },
		{ "chimera-facts=1\nprofile=relative\nend=1\n", ERR_INVALID, "'profile=relative': expected an absolute profile path" },
		{ "chimera-facts=1\nhostname=a\nhostname=b\nend=1\n", ERR_INVALID, "facts line 3 'hostname=b': this key is given twice" },
		{ "chimera-facts=1\nno equals sign\nend=1\n", ERR_INVALID, "facts line 2 'no equals sign': expected key=value" },
		{ "chimera-facts=1\n=x\nend=1\n", ERR_INVALID, "facts line 2 '=x'" },
		{ "chimera-facts=1\nhostname=a\tb\nend=1\n", ERR_INVALID, "control character" },
		{ "chimera-facts=1\nend=2\n", ERR_INVALID, "'end=2': expected 'end=1'" },
		{ "chimera-facts=2\nend=1\n", ERR_INVALID, "facts line 1 'chimera-facts=2': this chimera reads facts format 1" },
		{ "chimera-facts=1\nhostname=a\ncpus=2\n", ERR_INVALID, "ends after line 3 without its 'end=1' line" },
		{ "", ERR_INVALID, "no 'chimera-facts=1' line in the output (it is empty)" },
		{ "sh: 1: syntax error\n", ERR_INVALID, "no 'chimera-facts=1' line in the output (sh: 1: syntax error" },
		{ "chimera-facts=1\ncpus=99999999999999999999\nend=1\n", ERR_INVALID, "'cpus=99999999999999999999'" },
	};
	struct facts f;
	size_t i;

	(void)state;
	facts_init(&f);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		if (facts_parse(bad[i].text, strlen(bad[i].text), &f) != bad[i].code)
			fail_msg("case %zu (%s) did not fail with %d: '%s'", i, bad[i].text, bad[i].code, err_msg());
		assert_contains(err_msg(), bad[i].msg);
		/* Left empty on failure. */
		assert_string_equal(f.hostname, "");
		assert_int_equal(f.nsessions, 0);
	}
}

static void test_parse_limits(void **state)
{
	struct buf b = BUF_INIT(0);
	struct facts f;
	int i;

	(void)state;
	facts_init(&f);
	buf_adds(&b, "chimera-facts=1\nhostname=");
	for (i = 0; i < FACTS_TEXT_MAX; i++)
		buf_addc(&b, 'h');
	buf_adds(&b, "\nend=1\n");
	assert_int_equal(facts_parse(b.data, b.len, &f), ERR_LIMIT);
	assert_contains(err_msg(), "value too long");
	buf_reset(&b);
	buf_adds(&b, "chimera-facts=1\n");
	for (i = 0; i <= FACTS_SESSIONS_MAX; i++)
		buf_printf(&b, "session=s%d\n", i);
	buf_adds(&b, "end=1\n");
	assert_int_equal(facts_parse(b.data, b.len, &f), ERR_LIMIT);
	assert_contains(err_msg(), "more tmux sessions than chimera keeps");
	assert_int_equal(f.nsessions, 0);
	buf_release(&b);
}

/* os-release values come single-, double- or un-quoted, with escapes in double quotes. */
static void test_parse_os_release_quoting(void **state)
{
	static const char t[] = "chimera-facts=1\nos_id='nixos'\nos_version=\"24.05 \\\"x\\\"\"\nend=1\n";
	struct facts f;

	(void)state;
	facts_init(&f);
	assert_int_equal(facts_parse(LIT(t), &f), 0);
	assert_string_equal(f.os_id, "nixos");
	assert_string_equal(f.os_version, "24.05 \"x\"");
	facts_release(&f);
}

static void test_json_and_describe(void **state)
{
	struct facts f;
	struct buf b = BUF_INIT(0);
	json_t *j;
	char *text;

	(void)state;
	facts_init(&f);
	assert_int_equal(facts_parse(LIT(full), &f), 0);
	j = facts_json(&f, "web-1");
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "format")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "cpus")), 8);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "memory"), "total")), 32795192LL * 1024);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(j, "disks"), "/nix"), "used")),
			 51200000LL * 1024);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "profile"), "generation")), 7);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "sessions"), 1)), "build 2");
	assert_true(json_real_value(json_array_get(json_object_get(j, "load"), 2)) > 2.04);
	/* What the ledger stores must read back the same. */
	text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(text);
	{
		json_t *back = json_loads(text, 0, NULL);

		assert_true(json_equal(back, j));
		json_decref(back);
	}
	free(text);
	assert_int_equal(facts_describe(j, "  ", &b), 0);
	assert_contains(b.data, "  host         web-1\n");
	assert_contains(b.data, "  os           debian 12\n");
	assert_contains(b.data, "  kernel       6.1.0-18-amd64 (x86_64)\n");
	assert_contains(b.data, "  cpus         8\n");
	assert_contains(b.data, "  memory       31.3 GiB, 26.9 GiB available\n");
	assert_contains(b.data, "  uptime       4d 1h\n");
	assert_contains(b.data, "  load         0.15 0.10 2.05\n");
	assert_contains(b.data, "  disk /nix    48.8 GiB used of 97.7 GiB, 48.8 GiB free\n");
	assert_contains(b.data, "  nix          2.8.0\n");
	assert_contains(b.data, "  profile      /nix/var/nix/profiles/system, generation 7 -> /nix/store/0000");
	assert_contains(b.data, "  sessions     demo, build 2\n");
	json_decref(j);
	facts_release(&f);
	buf_release(&b);
}

static void test_age_and_duration(void **state)
{
	char d[32];

	(void)state;
	/* 2026-01-01T00:00:00Z is 1767225600. */
	assert_int_equal(facts_age_s("2026-01-01T00:00:00.000Z", 1767225600000LL + 90500), 90);
	assert_int_equal(facts_age_s("2026-01-01T00:00:00.000Z", 1767225600000LL - 5000), 0);
	assert_int_equal(facts_age_s("yesterday", 0), -1);
	assert_int_equal(facts_age_s("2026-01-01 00:00:00", 0), -1);
	facts_duration(45, d, sizeof(d));
	assert_string_equal(d, "45s");
	facts_duration(125, d, sizeof(d));
	assert_string_equal(d, "2m");
	facts_duration(3 * 3600 + 5 * 60, d, sizeof(d));
	assert_string_equal(d, "3h 5m");
	facts_duration(2 * 86400 + 4 * 3600 + 7, d, sizeof(d));
	assert_string_equal(d, "2d 4h");
}

/* The script, run by /bin/sh here against a fake profile: the parser takes what it prints. */
static void test_script_runs_under_sh(void **state)
{
	const char *tmp = getenv("CHIMERA_TEST_TMP");
	char dir[4096], path[4200], target[4200], real[4200];
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(0);
	struct facts f;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	int status;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/facts-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fs_mkdir_p(tmp && *tmp ? tmp : "/tmp", 0700);
	assert_non_null(mkdtemp(dir));
	snprintf(target, sizeof(target), "%s/store-hello-3", dir);
	assert_int_equal(fs_mkdir_p(target, 0755), 0);
	snprintf(path, sizeof(path), "%s/system-3-link", dir);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/system", dir);
	assert_int_equal(symlink("system-3-link", path), 0);
	assert_non_null(realpath(target, real));

	facts_init(&f);
	assert_int_equal(facts_script(&cmd, path), 0);
	argv[2] = cmd.data;
	assert_int_equal(proc_run_split(argv, -1, &out, NULL, &status), 0);
	assert_int_equal(status, 0);
	if (facts_parse(out.data, out.len, &f) < 0)
		fail_msg("%s\noutput:\n%s", err_msg(), out.data);
	assert_string_equal(f.profile, path);
	assert_string_equal(f.profile_link, "system-3-link");
	assert_string_equal(f.profile_target, real);
	assert_int_equal(f.generation, 3);
	assert_int_equal(f.cpus, ncpu);
	assert_true(f.mem_total > 0);
	assert_true(f.uptime >= 0);
	assert_true(f.has_load);
	assert_true(f.ndisks >= 1);
	assert_string_equal(f.disks[0].path, "/");
	assert_true(f.disks[0].size > 0);
	assert_true(f.kernel[0] != '\0');
	assert_true(f.hostname[0] != '\0');
	facts_release(&f);

	/* A profile that does not exist: no link, no target. */
	buf_reset(&cmd);
	snprintf(path, sizeof(path), "%s/nothing", dir);
	assert_int_equal(facts_script(&cmd, path), 0);
	argv[2] = cmd.data;
	buf_reset(&out);
	assert_int_equal(proc_run_split(argv, -1, &out, NULL, &status), 0);
	assert_int_equal(facts_parse(out.data, out.len, &f), 0);
	assert_string_equal(f.profile_link, "");
	assert_string_equal(f.profile_target, "");
	assert_int_equal(f.generation, 0);
	facts_release(&f);
	fs_rm_rf(dir);
	buf_release(&cmd);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_bare_host),
		cmocka_unit_test(test_parse_noise_and_unknown_keys),
		cmocka_unit_test(test_parse_profile_without_generation),
		cmocka_unit_test(test_parse_errors_name_the_line),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_os_release_quoting),
		cmocka_unit_test(test_json_and_describe),
		cmocka_unit_test(test_age_and_duration),
		cmocka_unit_test(test_script_runs_under_sh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
