/* Unit tests for core/profile and the node probes of app/fleet, run with /bin/sh on fake profiles. */
#include "check.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/fleet/fleet.h"
#include "core/goal.h"
#include "core/profile.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

#define P1 "/nix/store/00000000000000000000000000000001-hello-1"
#define P2 "/nix/store/00000000000000000000000000000002-hello-2"
#define P3 "/nix/store/00000000000000000000000000000003-hello-3"

static void test_profile_path_check(void **state)
{
	static const char *const good[] = { "/nix/var/nix/profiles/system", "/a", "/x/y-1.2_3+4", "/p/.hidden" };
	static const char *const bad[] = { "", "rel/path", "/a/../b", "/a/./b", "/a//b", "/a/", "/x;y", "/x y",
					   "/$(id)", "/a`b`", "/a'b", "/a\"b", "/a\\b", "/é", "/.." };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(profile_path_check(good[i]), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (profile_path_check(bad[i]) != ERR_INVALID)
			fail_msg("'%s' was accepted", bad[i]);
		assert_contains(err_msg(), "profile path");
	}
}

static void test_link_generation(void **state)
{
	(void)state;
	assert_int_equal(profile_link_generation("system", LIT("system-42-link")), 42);
	assert_int_equal(profile_link_generation("system", LIT("/nix/var/nix/profiles/system-7-link")), 7);
	assert_int_equal(profile_link_generation("system", LIT("system-x-link")), 0);
	assert_int_equal(profile_link_generation("system", LIT("other-3-link")), 0);
	assert_int_equal(profile_link_generation("system", LIT("system-3")), 0);
	assert_int_equal(profile_link_generation("system", LIT("system-0-link")), 0);
	assert_int_equal(profile_link_generation("system", LIT(P1)), 0);
}

static void test_gen_list_parse(void **state)
{
	static const char text[] = "link system-2-link\n"
				   "path " P2 "\n"
				   "gen 2 1700000100 " P2 "\n"
				   "gen 10 1700000200 " P3 "\n"
				   "gen 1 1700000000 " P1 "\n"
				   "gen x-1 1700000000 " P1 "\n";
	struct gen_list l;

	(void)state;
	assert_int_equal(gen_list_parse(&l, "system", LIT(text)), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.warning, "");	/* x-1: another profile's (system-x), not a malformed one */
	assert_int_equal(l.items[0].num, 1);
	assert_int_equal(l.items[1].num, 2);
	assert_int_equal(l.items[2].num, 10);
	assert_int_equal(l.items[2].time, 1700000200);
	assert_string_equal(l.items[2].path, P3);
	assert_int_equal(l.current, 2);
	assert_string_equal(l.current_path, P2);
	assert_int_equal(gen_list_previous(&l)->num, 1);
	assert_non_null(gen_list_find(&l, 10));
	assert_null(gen_list_find(&l, 3));
	gen_list_release(&l);

	/* No profile at all. */
	assert_int_equal(gen_list_parse(&l, "system", LIT("")), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.current, 0);
	assert_string_equal(l.current_path, "");
	assert_null(gen_list_previous(&l));
	gen_list_release(&l);

	/* Malformed generation links are skipped and named, never the whole list's failure. */
	assert_int_equal(gen_list_parse(&l, "system", LIT("gen 1 17 /tmp/evil\ngen 2 18 " P2 "\n")), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.items[0].num, 2);
	assert_string_equal(l.warning, "generation link system-1-link points at '/tmp/evil', not a store path; skipped");
	assert_int_equal(l.malformed, 1);
	gen_list_release(&l);
	assert_int_equal(gen_list_parse(&l, "system", LIT("gen 1 notatime " P1 "\ngen x 17 " P1 "\n")), 0);
	assert_int_equal(l.n, 0);
	assert_string_equal(l.warning, "generation link system-1-link has no time; skipped");
	assert_int_equal(l.malformed, 2);
	gen_list_release(&l);
	/* Two spaces before the path: no time, and nothing read past the line (fuzz_store found strtoll skipping them). */
	{
		static const char two[] = "gen 1  12";
		char *exact = malloc(sizeof(two) - 1);

		memcpy(exact, two, sizeof(two) - 1);
		assert_int_equal(gen_list_parse(&l, "system", exact, sizeof(two) - 1), 0);
		assert_int_equal(l.n, 0);
		assert_string_equal(l.warning, "generation link system-1-link has no time; skipped");
		gen_list_release(&l);
		free(exact);
	}
	assert_int_equal(gen_list_parse(&l, "system", LIT("gen foo 17 " P1 "\n")), 0);
	assert_string_equal(l.warning, "generation link system-foo-link has no generation number; skipped");
	gen_list_release(&l);
	/* The profile through a link to garbage: no profile (a deploy sets a new generation over it), and why. */
	assert_int_equal(gen_list_parse(&l, "system", LIT("link system-7-link\npath /etc\ngen 7 17 /etc\n")), 0);
	assert_int_equal(l.current, 0);
	assert_string_equal(l.current_path, "");
	assert_int_equal(l.n, 0);
	assert_string_equal(l.warning, "the profile leads through system-7-link to '/etc', not a store path; taken as no profile");
	gen_list_release(&l);
	assert_int_equal(gen_list_parse(&l, "system", LIT("surprise\n")), ERR_INVALID);
	assert_contains(err_msg(), "surprise");
}

/* Run CMD with /bin/sh and return its stdout in OUT. */
static int sh(const char *cmd, struct buf *out)
{
	char *argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	int status;

	buf_reset(out);
	assert_int_equal(proc_run_split(argv, -1, out, NULL, &status), 0);
	return status;
}

static char dir[4096];

static void make_profile_dir(void)
{
	const char *tmp = getenv("CHIMERA_TEST_TMP");
	char path[4200];

	snprintf(dir, sizeof(dir), "%s/profile-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fs_mkdir_p(tmp && *tmp ? tmp : "/tmp", 0700);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/system-1-link", dir);
	assert_int_equal(symlink(P1, path), 0);
	snprintf(path, sizeof(path), "%s/system-2-link", dir);
	assert_int_equal(symlink(P2, path), 0);
	snprintf(path, sizeof(path), "%s/system-x-9-link", dir);
	assert_int_equal(symlink(P3, path), 0);
	snprintf(path, sizeof(path), "%s/system", dir);
	assert_int_equal(symlink("system-2-link", path), 0);
}

/* remote_probe_resolved of LINK prints TARGET's real path. */
static void expect_resolved(const char *link, const char *target)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1 << 20);
	char real[PATH_MAX], want[PATH_MAX + 2];

	assert_non_null(realpath(target, real));
	snprintf(want, sizeof(want), "%s\n", real);
	assert_int_equal(remote_probe_resolved(&cmd, link), 0);
	assert_int_equal(sh(cmd.data, &out), 0);
	assert_string_equal(out.data, want);
	buf_release(&cmd);
	buf_release(&out);
}

static void test_probes_on_a_real_profile(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1 << 20);
	struct gen_list l;
	char profile[4200], missing_profile[4200];

	(void)state;
	make_profile_dir();
	snprintf(profile, sizeof(profile), "%s/system", dir);
	assert_int_equal(remote_probe_generations(&cmd, profile), 0);
	assert_int_equal(sh(cmd.data, &out), 0);
	assert_int_equal(fleet_parse_probe(profile, &out, &l, NULL, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.current, 2);
	assert_string_equal(l.current_path, P2);
	assert_string_equal(l.items[0].path, P1);
	assert_true(l.items[0].time > 1700000000);
	gen_list_release(&l);

	/* The current probe alone, and a profile that does not exist. */
	buf_reset(&cmd);
	assert_int_equal(remote_probe_current(&cmd, profile), 0);
	assert_int_equal(sh(cmd.data, &out), 0);
	assert_int_equal(fleet_parse_probe(profile, &out, &l, NULL, NULL), 0);
	assert_string_equal(l.current_path, P2);
	gen_list_release(&l);
	snprintf(missing_profile, sizeof(missing_profile), "%s/none/system", dir);
	buf_reset(&cmd);
	assert_int_equal(remote_probe_generations(&cmd, missing_profile), 0);
	assert_int_equal(sh(cmd.data, &out), 0);
	assert_int_equal(fleet_parse_probe(missing_profile, &out, &l, NULL, NULL), 0);
	assert_int_equal(l.n, 0);
	assert_string_equal(l.current_path, "");
	gen_list_release(&l);

	/* The resolved probe: a directory through two links (builtins), a file (readlink -f). */
	{
		char target[4200], link[4200];

		snprintf(target, sizeof(target), "%s/target dir", dir);
		assert_int_equal(mkdir(target, 0755), 0);
		snprintf(link, sizeof(link), "%s/other-1-link", dir);
		assert_int_equal(symlink("target dir", link), 0);
		snprintf(link, sizeof(link), "%s/other", dir);
		assert_int_equal(symlink("other-1-link", link), 0);
		expect_resolved(link, target);
		snprintf(target, sizeof(target), "%s/target-file", dir);
		assert_int_equal(fs_write_file(target, "x", 1, 0644), 0);
		assert_int_equal(unlink(link), 0);
		assert_int_equal(symlink("target-file", link), 0);
		expect_resolved(link, target);
	}

	/* The watch probe: another profile's head over a probe made for one is that profile's probe. */
	{
		static char *const paths[] = { "/nix/store/00000000000000000000000000000000-absent" };
		struct buf other = BUF_INIT(0), head = BUF_INIT(0), mine = BUF_INIT(0), composed = BUF_INIT(0);
		char want[PATH_MAX + 16], real[PATH_MAX], other_profile[4200];

		/* dir/other leads to a file by now (above): the probe resolves it with readlink -f. */
		snprintf(other_profile, sizeof(other_profile), "%s/other", dir);
		assert_int_equal(remote_watch_probe_head(&head, "/nix/var/nix/profiles/system"), 0);
		assert_int_equal(remote_watch_probe(&other, "/nix/var/nix/profiles/system", paths, 1, 1), 0);
		assert_int_equal(strncmp(other.data, head.data, head.len), 0);
		assert_int_equal(remote_watch_probe_head(&composed, other_profile), 0);
		buf_add(&composed, other.data + head.len, other.len - head.len);
		assert_int_equal(remote_watch_probe(&mine, other_profile, paths, 1, 1), 0);
		assert_string_equal(composed.data, mine.data);
		assert_int_equal(sh(composed.data, &out), 0);
		assert_non_null(realpath(other_profile, real));
		snprintf(want, sizeof(want), "profile %s\n", real);
		assert_contains(out.data, want);
		assert_contains(out.data, "missing /nix/store/00000000000000000000000000000000-absent\n");
		buf_release(&other);
		buf_release(&head);
		buf_release(&mine);
		buf_release(&composed);
	}
	buf_release(&cmd);
	buf_release(&out);
	fs_rm_rf(dir);
}

static void test_missing_paths_split(void **state)
{
	struct buf out = BUF_INIT(0);
	struct gen_list l;
	char **missing;
	size_t n;

	(void)state;
	buf_adds(&out, "link system-1-link\npath " P1 "\n" P2 "\n" P3 "\n");
	assert_int_equal(fleet_parse_probe("/p/system", &out, &l, &missing, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(missing[0], P2);
	assert_string_equal(missing[1], P3);
	assert_string_equal(l.current_path, P1);
	fleet_free_paths(missing, n);
	gen_list_release(&l);
	/* Without a place for missing paths, a bare path is unexpected. */
	assert_int_equal(fleet_parse_probe("/p/system", &out, &l, NULL, NULL), ERR_INVALID);
	buf_release(&out);
}

/* Paths too many for a command line go over as a file; the check reads them from it. */
static void test_paths_from_a_file(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1 << 20), ans = BUF_INIT(0);
	char list[4200], file[64], *paths[2] = { P1, P2 };
	struct gen_list l;
	char **missing;
	size_t n;

	(void)state;
	make_profile_dir();
	snprintf(list, sizeof(list), "%s/list", dir);
	assert_int_equal(fs_write_file(list, P1 "\n" P2 "\n", 2 * sizeof(P1), 0600), 0);
	assert_int_equal(remote_check_paths(&cmd, "/nonexistent/system", paths, 2, list), 0);
	assert_null(strstr(cmd.data, P1));
	assert_int_equal(sh(cmd.data, &out), 0);
	assert_int_equal(fleet_parse_probe("/nonexistent/system", &out, &l, &missing, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(missing[0], P1);
	assert_string_equal(missing[1], P2);
	fleet_free_paths(missing, n);
	gen_list_release(&l);

	assert_true(remote_paths_fit(paths, 2));
	/* The node's answer to remote_stash: a file name of the expected shape, nothing else. */
	buf_adds(&ans, "/tmp/chimera-paths.Ab12Cd34Ef\n");
	assert_int_equal(remote_stash_parse(&ans, file, sizeof(file)), 0);
	assert_string_equal(file, "/tmp/chimera-paths.Ab12Cd34Ef");
	buf_reset(&ans);
	buf_adds(&ans, "/tmp/chimera-paths.x; rm -rf /\n");
	assert_int_equal(remote_stash_parse(&ans, file, sizeof(file)), ERR_INVALID);
	buf_reset(&ans);
	buf_adds(&ans, "/etc/passwd\n");
	assert_int_equal(remote_stash_parse(&ans, file, sizeof(file)), ERR_INVALID);
	buf_release(&ans);
	buf_release(&cmd);
	buf_release(&out);
	fs_rm_rf(dir);
}

#define ACT(m) (&(struct remote_act){ (m), GOAL_SWITCH })

static void test_activate_quotes_everything(void **state)
{
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1 << 20);
	char kind[32];

	(void)state;
	/* A user command gets the path as $1 and in CHIMERA_STORE_PATH; its quotes survive. */
	assert_int_equal(remote_activate(&cmd, P1, ACT("printf '%s|%s|it'\"'\"'s' \"$1\" \"$CHIMERA_STORE_PATH\"")), 0);
	assert_int_equal(sh(cmd.data, &out), 0);
	assert_string_equal(out.data, "chimera-activation command\n" P1 "|" P1 "|it's");
	remote_activation_kind(&out, kind, sizeof(kind));
	assert_string_equal(kind, "command");
	/* auto on a path without bin/ does nothing and says so. */
	buf_reset(&cmd);
	assert_int_equal(remote_activate(&cmd, P3, ACT("auto")), 0);
	assert_int_equal(sh(cmd.data, &out), 0);
	remote_activation_kind(&out, kind, sizeof(kind));
	assert_string_equal(kind, "none");
	buf_reset(&cmd);
	assert_int_equal(remote_activate(&cmd, P3, ACT("none")), 0);
	assert_int_equal(sh(cmd.data, &out), 0);
	assert_string_equal(out.data, "chimera-activation none\n");
	buf_release(&cmd);
	buf_release(&out);
}

/* Write an executable script at DIR/bin/NAME printing "NAME ARGS". */
static void script(const char *d, const char *name)
{
	char path[4200], text[256];

	snprintf(path, sizeof(path), "%s/bin", d);
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bin/%s", d, name);
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"%s $*\"\n", name);
	assert_int_equal(fs_write_file(path, text, strlen(text), 0755), 0);
}

/* Each goal gives switch-to-configuration its verb; a plain closure's bin/activate runs for switch and test only. */
static void test_activation_goals(void **state)
{
	static const char *const verbs[] = { "switch", "boot", "test", "dry-activate" };
	struct buf cmd = BUF_INIT(0), out = BUF_INIT(1 << 20), want = BUF_INIT(0);
	char stc[4096], plain[4200], kind[32];
	const char *tmp = getenv("CHIMERA_TEST_TMP");
	int g;

	(void)state;
	snprintf(stc, sizeof(stc), "%s/goals-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fs_mkdir_p(tmp && *tmp ? tmp : "/tmp", 0700);
	assert_non_null(mkdtemp(stc));
	snprintf(plain, sizeof(plain), "%s/plain", stc);
	script(stc, "switch-to-configuration");
	script(stc, "activate");
	script(plain, "activate");
	for (g = GOAL_SWITCH; g <= GOAL_DRY_ACTIVATE; g++) {
		buf_reset(&cmd);
		assert_int_equal(remote_activate(&cmd, stc, &(struct remote_act){ "auto", (enum goal)g }), 0);
		assert_int_equal(sh(cmd.data, &out), 0);
		buf_reset(&want);
		buf_printf(&want, "chimera-activation switch-to-configuration\nswitch-to-configuration %s\n", verbs[g]);
		assert_string_equal(out.data, want.data);

		buf_reset(&cmd);
		assert_int_equal(remote_activate(&cmd, plain, &(struct remote_act){ "auto", (enum goal)g }), 0);
		assert_int_equal(sh(cmd.data, &out), 0);
		remote_activation_kind(&out, kind, sizeof(kind));
		assert_string_equal(kind, "activate");
		if (goal_activates((enum goal)g))
			assert_non_null(strstr(out.data, "\nactivate \n"));
		else
			assert_null(strstr(out.data, "\nactivate \n"));
	}
	/* A command of the user's learns the goal; with dry-activate it is named, not run. */
	buf_reset(&cmd);
	assert_int_equal(remote_activate(&cmd, stc, &(struct remote_act){ "echo ran $CHIMERA_GOAL", GOAL_BOOT }), 0);
	assert_int_equal(sh(cmd.data, &out), 0);
	assert_string_equal(out.data, "chimera-activation command\nran boot\n");
	buf_reset(&cmd);
	assert_int_equal(remote_activate(&cmd, stc, &(struct remote_act){ "echo ran", GOAL_DRY_ACTIVATE }), 0);
	assert_int_equal(sh(cmd.data, &out), 0);
	assert_null(strstr(out.data, "\nran"));
	assert_non_null(strstr(out.data, "would run echo ran with"));
	fs_rm_rf(stc);
	buf_release(&cmd);
	buf_release(&out);
	buf_release(&want);
}

static void test_goal_names(void **state)
{
	enum goal g = GOAL_TEST;

	(void)state;
	assert_int_equal(goal_parse("boot", &g), 0);
	assert_int_equal(g, GOAL_BOOT);
	assert_string_equal(goal_name(GOAL_DRY_ACTIVATE), "dry-activate");
	assert_int_equal(goal_parse("reboot", &g), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "'reboot' is not a goal: expected switch, boot, test or dry-activate"));
	assert_true(goal_sets_profile(GOAL_BOOT) && !goal_sets_profile(GOAL_TEST));
	assert_true(goal_activates(GOAL_TEST) && !goal_activates(GOAL_BOOT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_path_check),
		cmocka_unit_test(test_link_generation),
		cmocka_unit_test(test_gen_list_parse),
		cmocka_unit_test(test_probes_on_a_real_profile),
		cmocka_unit_test(test_missing_paths_split),
		cmocka_unit_test(test_paths_from_a_file),
		cmocka_unit_test(test_activate_quotes_everything),
		cmocka_unit_test(test_activation_goals),
		cmocka_unit_test(test_goal_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
