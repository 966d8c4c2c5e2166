/* Unit tests for platform/: the registry, the rule catalogs against what the checks report, and a fake platform. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/yaml/yaml_libyaml.h"
#include "platform/heal.h"
#include "platform/platform.h"
#include "platform/sim.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

/* The project's root, from this file's path (<root>/tests/unit/test_platform.c); false when it cannot tell. */
static bool project_root(char *dst, size_t n)
{
	char *slash;
	int up;

	snprintf(dst, n, "%s", __FILE__);
	for (up = 0; up < 3 && (slash = strrchr(dst, '/')); up++)
		*slash = '\0';
	return up == 3;
}

/* The corpus of PLATFORM: under $SHARED_DIR, else ../shared beside the project. */
static void corpus_dir(const char *platform, char *dst, size_t n)
{
	const char *shared = getenv("SHARED_DIR");
	char root[2048];

	if (shared && *shared)
		snprintf(dst, n, "%s/corpus/%s", shared, platform);
	else if (project_root(root, sizeof(root)))
		snprintf(dst, n, "%s/../shared/corpus/%s", root, platform);
	else
		snprintf(dst, n, "../shared/corpus/%s", platform);
}

/* ---- the registry ---- */

static void test_builtin_rows(void **state)
{
	const struct platform *p;
	struct buf names = BUF_INIT(0);

	(void)state;
	assert_non_null(p = platform_find("netlify"));
	assert_string_equal(p->config_file, "netlify.toml");
	assert_true(platform_heals(p) && platform_reads_text(p) && !platform_builds(p));
	assert_non_null(p = platform_find("render"));
	assert_string_equal(p->config_file, "render.yaml");
	assert_non_null(p = platform_find("nix"));
	assert_string_equal(p->config_file, "default.nix");
	assert_true(platform_builds(p) && !platform_heals(p) && !platform_reads_text(p));
	assert_null(platform_find("Netlify"));
	assert_null(platform_find(NULL));
	assert_string_equal(sim_config_file("render"), "render.yaml");
	/* the usage texts of simulate and heal are made from these */
	assert_int_equal(platform_names(&names, NULL, ", ", " or "), 0);
	assert_string_equal(names.data, "netlify, render or nix");
	buf_reset(&names);
	platform_names(&names, platform_heals, " or --platform ", " or --platform ");
	assert_string_equal(names.data, "netlify or --platform render");
	buf_reset(&names);
	platform_names(&names, platform_builds, " or ", " or ");
	assert_string_equal(names.data, "nix");
	buf_release(&names);
}

/* Each catalog: every row filled (an enum value without a row would leave a hole), no id twice. */
static void test_catalogs_are_tables(void **state)
{
	const struct platform *p;
	size_t i, j, k, rows = 0;

	(void)state;
	for (k = 0; (p = platform_at(k)); k++) {
		for (i = 0; p->rules && i < p->nrules; i++) {
			const struct platform_rule *r = &p->rules[i];

			assert_non_null(r->id);
			assert_non_null(r->message);
			assert_true(r->message[0] != '\0');
			assert_true((unsigned)r->severity < SIM_SEVERITIES);
			assert_true(r->fix == SIM_FIX_NONE || r->fix == SIM_FIX_HEAL || r->fix == SIM_FIX_SUGGEST);
			for (j = 0; j < i; j++)
				if (strcmp(p->rules[j].id, r->id) == 0)
					fail_msg("%s: rule %s twice in the catalog", p->name, r->id);
			assert_ptr_equal(platform_rule_find(p, r->id), r);
			rows++;
		}
	}
	assert_true(rows > 100);
	assert_null(platform_rule_find(platform_find("netlify"), "NTL-NOPE-1"));
	/* the row certify's configuration_valid looks for */
	assert_string_equal(platform_find("netlify")->syntax_rule->id, "NTL-TOML-1");
	assert_string_equal(platform_find("render")->syntax_rule->id, "RND-YAML-1");
	assert_string_equal(platform_find("nix")->syntax_rule->id, "NIX-SYNTAX");
}

/* Rule ids are written once, in the catalogs: no other file of the domain spells one. */
static void scan_for_ids(const char *dir, size_t *files)
{
	char path[4096];
	struct buf text = BUF_INIT(0);
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		fail_msg("cannot open '%s'", dir);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name), i;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!strchr(e->d_name, '.')) {
			scan_for_ids(path, files);
			continue;
		}
		if (n < 2 || (strcmp(e->d_name + n - 2, ".c") != 0 && strcmp(e->d_name + n - 2, ".h") != 0) ||
		    strcmp(e->d_name, "rules.c") == 0)
			continue;
		buf_reset(&text);
		assert_int_equal(fs_read_file(path, &text), 0);
		for (i = 0; i + 5 < text.len; i++) {
			const char *s = text.data + i;

			if (s[0] == '"' && (!strncmp(s + 1, "NTL-", 4) || !strncmp(s + 1, "RND-", 4) || !strncmp(s + 1, "NIX-", 4)))
				fail_msg("%s spells a rule id: %.24s", path, s);
		}
		(*files)++;
	}
	closedir(d);
	buf_release(&text);
}

static void test_ids_only_in_catalogs(void **state)
{
	char root[2048], dir[2048 + 32];
	size_t files = 0;

	(void)state;
	if (!project_root(root, sizeof(root)))
		skip();
	snprintf(dir, sizeof(dir), "%s/src/platform", root);
	scan_for_ids(dir, &files);
	snprintf(dir, sizeof(dir), "%s/src/app/platform", root);
	scan_for_ids(dir, &files);
	assert_true(files > 20);
}

/* The recalibrated rows (config-rules.md and the platforms' own code). */
static void test_recalibrated_rows(void **state)
{
	const struct platform_rule *r;

	(void)state;
	assert_non_null(r = platform_rule_find(platform_find("netlify"), "NTL-BUILD-6"));
	assert_int_equal(r->severity, SIM_HIGH);
	assert_non_null(r = platform_rule_find(platform_find("netlify"), "NTL-TOP-1"));
	assert_int_equal(r->fix, SIM_FIX_HEAL);
	assert_non_null(r = platform_rule_find(platform_find("render"), "RND-SVC-7"));
	assert_int_equal(r->fix, SIM_FIX_HEAL);
}

/* ---- what the checks report, against the catalogs ---- */

static int fix_rank(enum sim_fix f)
{
	return f == SIM_FIX_HEAL ? 2 : f == SIM_FIX_SUGGEST ? 1 : 0;
}

/* Every issue in REP names a row of P's catalog, no worse than the row's severity, no better a fix. */
static void check_against_catalog(const struct platform *p, const struct sim_report *rep, const char *what)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct sim_issue *is = &rep->issues[i];
		const struct platform_rule *r = platform_rule_find(p, is->rule);

		if (!r)
			fail_msg("%s: %s reported, not in the %s catalog", what, is->rule, p->name);
		if (is->severity < r->severity)
			fail_msg("%s: %s reported %s, the catalog says at worst %s", what, is->rule,
				 sim_severity_name(is->severity), sim_severity_name(r->severity));
		if (fix_rank(is->fix) > fix_rank(r->fix))
			fail_msg("%s: %s offers fix %s, the catalog says at best %s", what, is->rule,
				 sim_fix_name(is->fix), sim_fix_name(r->fix));
	}
}

static void simulate_text(const struct platform *p, const char *text, size_t len, const char *what)
{
	struct sim_report rep;

	sim_report_init(&rep, p->name);
	assert_int_equal(p->simulate_text(p->config_file, text, len, NULL, &rep), 0);
	check_against_catalog(p, &rep, what);
	sim_report_release(&rep);
}

/* The real corpus and a set of broken files: every issue they raise is in the catalog. */
static void test_reports_match_catalogs(void **state)
{
	static const char *const broken[][2] = {
		{ "netlify", "[biuld]\ncommand = 1\n[[redirects]]\nfrom = \"a\"\nto = \"b\"\nstatus = \"x\"\n" },
		{ "netlify", "[build]\nbase = \"web\"\npublish = \"web/dist\"\nenvironment = \"A=1\"\n[Settings]\n" },
		{ "netlify",
		  "[[headers]]\nfor = 1\n[[plugins]]\n[functions]\nnode_bundler = 3\n[dev]\nport = \"x\"\n" },
		{ "render", "services:\n  - type: web\n    name: a\n    runtime: node\n    startcommand: x\n" },
		{ "render", "services:\n  - type: worker\n    name: w\n    env: node\n    plan: free\n    envVars:\n"
			    "      - key: D\n        fromDatabase:\n          name: nodb\n          property: host\n" },
		{ "render", "databases:\n  - name: db\n    databaseUser: u\n    diskSizeGB: 7\n: x\n" },
	};
	char dir[4096], path[4096 + 256];
	struct buf text = BUF_INIT(0);
	struct dirent *e;
	size_t i, files = 0;
	DIR *d;

	(void)state;
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		simulate_text(platform_find(broken[i][0]), broken[i][1], strlen(broken[i][1]), broken[i][1]);
	for (i = 0; i < 2; i++) {
		const struct platform *p = platform_find(i ? "render" : "netlify");

		corpus_dir(p->name, dir, sizeof(dir));
		if (!(d = opendir(dir)))
			fail_msg("cannot open the corpus '%s'", dir);
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			buf_reset(&text);
			assert_int_equal(fs_read_file(path, &text), 0);
			simulate_text(p, text.data, text.len, e->d_name);
			files++;
		}
		closedir(d);
	}
	assert_true(files > 100);
	buf_release(&text);
}

/* ---- unambiguous key typos heal ---- */

static void heal_one(const char *platform, const char *text, const char *want)
{
	const struct platform *p = platform_find(platform);
	struct heal_result h;

	heal_result_init(&h, platform);
	assert_int_equal(p->heal_text(p->config_file, text, strlen(text), NULL, &h), 0);
	if (!strstr(h.text.data, want))
		fail_msg("healing %s gave:\n%s\nwithout '%s'", p->config_file, h.text.data, want);
	assert_true(h.n >= 1);
	assert_true(h.actions[0].fixed);
	heal_result_release(&h);
}

static void test_typos_heal(void **state)
{
	(void)state;
	heal_one("netlify", "# site\n[biuld]\ncommand = \"make\"\npublish = \"out\"\n", "# site\n[build]\ncommand");
	heal_one("render", "services:\n  - type: web\n    name: a\n    runtime: node\n    buildCommand: b\n"
			   "    startcommand: node x.js\n",
		 "    startCommand: node x.js\n");
}

/* ---- a platform added by one row ---- */

static const struct platform_rule fake_rules[] = {
	{ "FAKE-1", SIM_CRITICAL, SIM_FIX_NONE, "the file is empty" },
	{ "FAKE-2", SIM_LOW, SIM_FIX_SUGGEST, "the file does not end with a newline" },
};

static int fake_text(const char *file, const char *text, size_t len, const char *dir, struct sim_report *rep)
{
	(void)dir;
	if (len == 0)
		return sim_add(rep, fake_rules[0].id, fake_rules[0].severity, file, 0, 0, fake_rules[0].fix, NULL, "%s",
			       fake_rules[0].message);
	if (text[len - 1] != '\n')
		return sim_add(rep, fake_rules[1].id, fake_rules[1].severity, file, 1, 1, fake_rules[1].fix,
			       "add a newline", "%s", fake_rules[1].message);
	return 0;
}

static int fake_dir(const char *dir, struct sim_report *rep)
{
	struct buf text = BUF_INIT(0);
	char path[4096];
	int r;

	snprintf(path, sizeof(path), "%s/fake.conf", dir);
	if ((r = fs_read_file(path, &text)) < 0)
		return r;
	snprintf(rep->files[rep->nfiles++], SIM_FILE_MAX, "fake.conf");
	r = fake_text("fake.conf", text.data, text.len, dir, rep);
	buf_release(&text);
	return r;
}

static const struct platform fake = {
	.name = "fake",
	.config_file = "fake.conf",
	.simulate = fake_dir,
	.simulate_text = fake_text,
	.rules = fake_rules,
	.nrules = sizeof(fake_rules) / sizeof(fake_rules[0]),
};

static void test_fake_platform(void **state)
{
	const struct platform *p;
	struct sim_report rep;
	struct buf names = BUF_INIT(0), out = BUF_INIT(0);
	json_t *doc;

	(void)state;
	assert_null(platform_find("fake"));
	assert_int_equal(platform_register(&fake), 0);
	assert_int_equal(platform_register(&fake), ERR_INVALID);
	/* simulate goes through the registry, the way chimera simulate --platform fake does */
	assert_non_null(p = platform_find("fake"));
	assert_string_equal(sim_config_file("fake"), "fake.conf");
	sim_report_init(&rep, p->name);
	assert_int_equal(p->simulate_text(p->config_file, "x", 1, NULL, &rep), 0);
	assert_int_equal(rep.n, 1);
	assert_string_equal(rep.issues[0].rule, "FAKE-2");
	assert_true(sim_passed(&rep));
	check_against_catalog(p, &rep, "fake");
	sim_report_release(&rep);
	sim_report_init(&rep, p->name);
	assert_int_equal(p->simulate_text(p->config_file, "", 0, NULL, &rep), 0);
	assert_false(sim_passed(&rep));
	sim_report_release(&rep);
	/* it shows in the lists usage texts are made from, and its catalog lists */
	platform_names(&names, platform_reads_text, ", ", " or ");
	assert_string_equal(names.data, "netlify, render or fake");
	assert_int_equal(platform_rules_text(p, &out), 0);
	assert_non_null(strstr(out.data, "FAKE-2"));
	assert_non_null(doc = platform_rules_json(p));
	assert_int_equal(json_array_size(json_object_get(doc, "rules")), 2);
	json_decref(doc);
	platform_unregister_all();
	assert_null(platform_find("fake"));
	buf_release(&names);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_rows),
		cmocka_unit_test(test_catalogs_are_tables),
		cmocka_unit_test(test_ids_only_in_catalogs),
		cmocka_unit_test(test_recalibrated_rows),
		cmocka_unit_test(test_reports_match_catalogs),
		cmocka_unit_test(test_typos_heal),
		cmocka_unit_test(test_fake_platform),
	};

	platform_use_yaml(&yaml_libyaml_parser);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
