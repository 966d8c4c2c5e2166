/* Healing netlify.toml: each fix on a small file, suggest-only and clean files, mistakes injected into the corpus. */
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

#include "platform/heal.h"
#include "platform/sim.h"
#include "platform/netlify/netlify.h"
#include "formats/toml.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

/* ---- helpers ---- */

static void dump(const struct heal_result *res)
{
	struct buf out = BUF_INIT(0);
	size_t i;

	sim_report_text(&res->before, &out);
	fprintf(stderr, "--- before:\n%s", out.data);
	buf_reset(&out);
	sim_report_text(&res->after, &out);
	fprintf(stderr, "--- after:\n%s--- text:\n%s\n--- actions:\n", out.data, res->text.data);
	for (i = 0; i < res->n; i++)
		fprintf(stderr, "%s %d:%d fixed=%d attempts=%d what=%s why=%s\n", res->actions[i].rule,
			res->actions[i].line, res->actions[i].col, res->actions[i].fixed, res->actions[i].attempts,
			res->actions[i].what, res->actions[i].why);
	buf_release(&out);
}

static void heal(const char *text, struct heal_result *res)
{
	heal_result_init(res, "netlify");
	assert_int_equal(heal_netlify_text("netlify.toml", text, strlen(text), NULL, res), 0);
}

static size_t count_rule(const struct sim_report *r, const char *rule)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++)
		n += strcmp(r->issues[i].rule, rule) == 0;
	return n;
}

static const struct heal_action *action_for(const struct heal_result *res, const char *rule)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		if (strcmp(res->actions[i].rule, rule) == 0)
			return &res->actions[i];
	}
	return NULL;
}

static bool text_parses(const struct buf *b)
{
	struct toml_doc *d = NULL;

	if (toml_parse(b->data, b->len, &d) < 0)
		return false;
	toml_doc_free(d);
	return true;
}

/*
 * Heal TEXT: RULE was in the original, is gone after, its action says fixed; the healed
 * text parses and holds each of KEEP (lines that must stay byte-identical) and WANT.
 */
static void check_fix(const char *text, const char *rule, const char *const *keep, const char *want)
{
	struct heal_result res;
	const struct heal_action *a;
	size_t i;

	heal(text, &res);
	a = action_for(&res, rule);
	if (!count_rule(&res.before, rule) || count_rule(&res.after, rule) || !a || !a->fixed || a->attempts < 1 ||
	    !text_parses(&res.text) || (want && !strstr(res.text.data, want))) {
		dump(&res);
		fail_msg("%s was not healed", rule);
	}
	for (i = 0; keep && keep[i]; i++) {
		if (!strstr(res.text.data, keep[i])) {
			dump(&res);
			fail_msg("'%s' is not kept as it was", keep[i]);
		}
	}
	heal_result_release(&res);
}

#define KEEP(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* ---- one test per fix ---- */

static void test_top2(void **state)
{
	(void)state;
	check_fix("# the site\n[[build]]\n  command = \"make\" # build it\n", "NTL-TOP-2",
		  KEEP("# the site\n", "\n  command = \"make\" # build it\n"), "[build]\n");
}

static void test_red5(void **state)
{
	(void)state;
	check_fix("# rules\n[build]\ncommand = \"make\"\n\n[[redirects]]\nfrom = \"old/*\" # legacy\nto = \"/new/:splat\"\n",
		  "NTL-RED-5", KEEP("# rules\n[build]\ncommand = \"make\"\n\n[[redirects]]\n", " # legacy\nto = \"/new/:splat\"\n"),
		  "from = \"/old/*\"");
}

static void test_red4(void **state)
{
	(void)state;
	check_fix("[[redirects]]\n# forced\nfrom = \"/a\"\nto = \"/b\"\nforce = \"true\"\nstatus = 302\n", "NTL-RED-4",
		  KEEP("[[redirects]]\n# forced\nfrom = \"/a\"\nto = \"/b\"\n", "\nstatus = 302\n"), "force = true\n");
}

static void test_build2(void **state)
{
	(void)state;
	check_fix("[build]\n# env\ncommand = \"make\"\nenvironment = \"NODE_VERSION=18 FOO=bar\"\n", "NTL-BUILD-2",
		  KEEP("[build]\n# env\ncommand = \"make\"\n"),
		  "environment = { NODE_VERSION = \"18\", FOO = \"bar\" }\n");
}

static void test_build6(void **state)
{
	(void)state;
	check_fix("[build]\n# site\nbase = \"site\"\npublish = \"site/dist\"\ncommand = \"make\"\n", "NTL-BUILD-6",
		  KEEP("[build]\n# site\nbase = \"site\"\n", "\ncommand = \"make\"\n"), "publish = \"dist\"\n");
}

static void test_build1(void **state)
{
	(void)state;
	check_fix("[build]\n# out\npublic = \"dist\" # here\ncommand = \"make\"\n", "NTL-BUILD-1",
		  KEEP("[build]\n# out\n", " = \"dist\" # here\ncommand = \"make\"\n"), "\npublish = \"dist\"");
}

static void test_build1_present(void **state)
{
	struct heal_result res;
	const char *text = "[build]\npublish = \"dist\"\npublic = \"out\"\ncommand = \"make\"\n";
	const struct heal_action *a;

	(void)state;
	heal(text, &res);
	a = action_for(&res, "NTL-BUILD-1");
	if (a && a->fixed) {
		dump(&res);
		fail_msg("renamed onto an existing key");
	}
	assert_string_equal(res.text.data, text);
	heal_result_release(&res);
}

static void test_red8(void **state)
{
	(void)state;
	check_fix("# rules\n[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\n\n# api\n[[redirects]]\n"
		  "from = \"/api/*\"\nto = \"/.netlify/functions/:splat\"\nstatus = 200\n",
		  "NTL-RED-8", KEEP("# rules\n", "# api\n[[redirects]]\nfrom = \"/api/*\"\nto = \"/.netlify/functions/:splat\"\n"),
		  "status = 200\n\n[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\n");
}

static void test_red7(void **state)
{
	(void)state;
	check_fix("# spa\n[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 301\n", "NTL-RED-7",
		  KEEP("# spa\n[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\n"), "status = 200\n");
	check_fix("# spa\n[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\n", "NTL-RED-7",
		  KEEP("# spa\n[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\n"), "status = 200\n");
	check_fix("# spa\n[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\nforce = true\n", "NTL-RED-7",
		  KEEP("# spa\n[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\n"), NULL);
}

static void test_toml5(void **state)
{
	(void)state;
	check_fix("# env first\n[build.environment]\nFOO = \"x\"\n\n[build]\ncommand = \"make\"\n\n[[redirects]]\n"
		  "from = \"/a\"\nto = \"/b\"\n",
		  "NTL-TOML-5", KEEP("# env first\n", "[build.environment]\nFOO = \"x\"\n", "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n"),
		  "[build]\ncommand = \"make\"\n[build.environment]");
}

static void test_top3(void **state)
{
	(void)state;
	check_fix("# one rule\n[redirects]\nfrom = \"/a\" # x\nto = \"/b\"\n", "NTL-TOP-3",
		  KEEP("# one rule\n", "\nfrom = \"/a\" # x\nto = \"/b\"\n"), "[[redirects]]\n");
}

static void test_toml3(void **state)
{
	(void)state;
	check_fix("# regex\n[build]\ncommand = \"make\"\n\n[[redirects]]\nfrom = \"/a\\.b\"\nto = \"/b\"\n", "NTL-TOML-3",
		  KEEP("# regex\n[build]\ncommand = \"make\"\n", "\nto = \"/b\"\n"), "from = \"/a\\\\.b\"");
}

static void test_toml2(void **state)
{
	(void)state;
	check_fix("# nulls\n[build]\ncommand = \"make\"\npublish = null\nbase = \"site\"\n", "NTL-TOML-2",
		  KEEP("# nulls\n[build]\ncommand = \"make\"\nbase = \"site\"\n"), NULL);
	check_fix("# vars\n[build]\ncommand = $CMD\nbase = \"site\"\n", "NTL-TOML-2",
		  KEEP("# vars\n[build]\n", "\nbase = \"site\"\n"), "command = \"$CMD\"\n");
}

/* Several mistakes in one file, two of them with the same fix text: every one is healed. */
static void test_several(void **state)
{
	struct heal_result res;
	size_t i;

	(void)state;
	heal("# all of them\n[[build]]\ncommand = \"make\"\npublic = \"dist\"\nenvironment = \"A=1 B=2\"\n"
	     "[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\n[[redirects]]\nfrom = \"x\"\nto = \"/y\"\n"
	     "force = \"true\"\n[[redirects]]\nfrom = \"/z\"\nto = \"/w\"\nforce = \"true\"\n",
	     &res);
	if (!sim_passed(&res.after) || res.n < 7 || !text_parses(&res.text) ||
	    !strstr(res.text.data, "# all of them\n[build]\ncommand = \"make\"\n")) {
		dump(&res);
		fail_msg("not every mistake was healed");
	}
	for (i = 0; i < res.n; i++) {
		if (!res.actions[i].fixed || res.actions[i].attempts < 1) {
			dump(&res);
			fail_msg("%s was not healed", res.actions[i].rule);
		}
	}
	heal_result_release(&res);
}

/* A fix that cannot be made as it is: left, with why, and the text unchanged. */
static void test_not_fixed(void **state)
{
	struct heal_result res;
	const char *text = "[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\n[redirects.headers]\n"
			   "X = \"y\"\n[[redirects]]\nfrom = \"/api/*\"\nto = \"/x\"\n";
	const struct heal_action *a;

	(void)state;
	heal(text, &res);
	a = action_for(&res, "NTL-RED-8");
	if (!a || a->fixed || !a->why[0] || !count_rule(&res.after, "NTL-RED-8")) {
		dump(&res);
		fail_msg("an issue heal cannot fix was not left with its reason");
	}
	assert_int_equal(a->line, 2);
	assert_string_equal(res.text.data, text);
	heal_result_release(&res);
}

/* ---- what heal leaves ---- */

static void test_suggest_not_applied(void **state)
{
	struct heal_result res;
	const char *text = "[[build]]\ncommand = \"a\"\n[[build]]\ncommand = \"b\"\n";
	size_t i;

	(void)state;
	heal(text, &res);
	assert_true(count_rule(&res.before, "NTL-TOP-2") > 0);
	for (i = 0; i < res.before.n; i++) {
		if (strcmp(res.before.issues[i].rule, "NTL-TOP-2") == 0)
			assert_int_equal(res.before.issues[i].fix, SIM_FIX_SUGGEST);
	}
	assert_null(action_for(&res, "NTL-TOP-2"));
	assert_true(count_rule(&res.after, "NTL-TOP-2") > 0);
	assert_string_equal(res.text.data, text);
	heal_result_release(&res);
}

static void test_no_fix(void **state)
{
	struct heal_result res;
	const char *text = "[build]\nFOO = \"bar\"\ncommand = \"make\"\n";
	const struct heal_action *a;

	(void)state;
	heal(text, &res);
	a = action_for(&res, "NTL-BUILD-1");
	if (!a || a->fixed || !strstr(a->why, "no automatic fix")) {
		dump(&res);
		fail_msg("an issue without an automatic fix was not left with its reason");
	}
	assert_string_equal(res.text.data, text);
	heal_result_release(&res);
}

static void test_clean(void **state)
{
	struct heal_result res;
	const char *text = "# clean\n[build]\ncommand = \"make\"\n\n[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 301\n";

	(void)state;
	heal(text, &res);
	if (res.n || strcmp(res.text.data, text) != 0) {
		dump(&res);
		fail_msg("heal changed a clean file");
	}
	assert_true(sim_passed(&res.before));
	assert_true(sim_passed(&res.after));
	heal_result_release(&res);
}

/* ---- the corpus: clean files stay as they are; mistakes injected into them are healed ---- */

static void corpus_dir(char *dst, size_t n)
{
	const char *shared = getenv("SHARED_DIR");
	char root[4096];
	char *slash;
	int up;

	if (shared && *shared) {
		snprintf(dst, n, "%s/corpus/netlify", shared);
		return;
	}
	snprintf(root, sizeof(root), "%s", __FILE__);
	for (up = 0; up < 3 && (slash = strrchr(root, '/')); up++)
		*slash = '\0';
	snprintf(dst, n, "%s/../shared/corpus/netlify", up == 3 ? root : "..");
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every line of SRC is still in TEXT, byte for byte (a catch-all rule may have moved to the end). */
static bool lines_kept(const struct buf *src, const struct buf *text)
{
	char line[4096];
	size_t i = 0, e;

	while (i < src->len) {
		for (e = i; e < src->len && src->data[e] != '\n'; e++)
			;
		if (e < src->len)
			e++;
		if (e - i < sizeof(line)) {
			memcpy(line, src->data + i, e - i);
			line[e - i] = '\0';
			if (!strstr(text->data, line))
				return false;
		}
		i = e;
	}
	return true;
}

static const char *const injections[] = {
	"\n# injected\n[[redirects]]\nfrom = \"injected/*\"\nto = \"/x/:splat\"\nstatus = 301\n",
	"\n# injected\n[[redirects]]\nfrom = \"/injected\"\nto = \"/x\"\nforce = \"true\"\n",
	"\n# injected\n[[redirects]]\nfrom = \"/injected\"\nto = \"/x\"\nstatus = 302\nforce = \"true\"\n"
	"\n[[redirects]]\nfrom = \"injected2\"\nto = \"/y\"\n",
};

static void test_corpus(void **state)
{
	char dir[4096], path[8192];
	char *names[4096];
	size_t n = 0, i, j, clean = 0, healed = 0;
	struct dirent *e;
	DIR *d;

	(void)state;
	corpus_dir(dir, sizeof(dir));
	if (!(d = opendir(dir)))
		fail_msg("no corpus at %s (../shared/corpus is part of the checkout)", dir);
	while ((e = readdir(d)) && n < 4096) {
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		struct buf src = BUF_INIT(0), text = BUF_INIT(0);
		struct heal_result res;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (fs_read_file(path, &src) < 0 || !text_parses(&src) || memchr(src.data, '\0', src.len)) {
			buf_release(&src);
			continue;
		}
		heal_result_init(&res, "netlify");
		assert_int_equal(heal_netlify_text("netlify.toml", src.data, src.len, NULL, &res), 0);
		if (!sim_passed(&res.before)) {
			/* heal never makes a file worse, and what it claims fixed is gone */
			assert_true(res.after.count[SIM_CRITICAL] + res.after.count[SIM_HIGH] <=
				    res.before.count[SIM_CRITICAL] + res.before.count[SIM_HIGH] + res.n);
			heal_result_release(&res);
			buf_release(&src);
			continue;
		}
		clean++;
		if (res.n || res.text.len != src.len || memcmp(res.text.data, src.data, src.len) != 0) {
			dump(&res);
			fail_msg("heal changed clean file %s", names[i]);
		}
		heal_result_release(&res);
		for (j = 0; j < sizeof(injections) / sizeof(injections[0]) && (src.len == 0 || src.data[src.len - 1] == '\n');
		     j++) {
			buf_reset(&text);
			buf_add(&text, src.data, src.len);
			buf_adds(&text, injections[j]);
			heal_result_init(&res, "netlify");
			assert_int_equal(heal_netlify_text("netlify.toml", text.data, text.len, NULL, &res), 0);
			if (sim_passed(&res.before) || !sim_passed(&res.after) || res.n < 1 || !text_parses(&res.text) ||
			    !lines_kept(&src, &res.text) || !strstr(res.text.data, "# injected\n[[redirects]]\n")) {
				dump(&res);
				fail_msg("injection %zu into %s was not healed", j, names[i]);
			}
			healed++;
			heal_result_release(&res);
		}
		buf_release(&text);
		buf_release(&src);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	print_message("corpus: %zu clean files unchanged, %zu injected mistakes healed\n", clean, healed);
	assert_true(clean > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_top2),
		cmocka_unit_test(test_red5),
		cmocka_unit_test(test_red4),
		cmocka_unit_test(test_build2),
		cmocka_unit_test(test_build6),
		cmocka_unit_test(test_build1),
		cmocka_unit_test(test_build1_present),
		cmocka_unit_test(test_red8),
		cmocka_unit_test(test_red7),
		cmocka_unit_test(test_toml5),
		cmocka_unit_test(test_top3),
		cmocka_unit_test(test_toml3),
		cmocka_unit_test(test_toml2),
		cmocka_unit_test(test_several),
		cmocka_unit_test(test_not_fixed),
		cmocka_unit_test(test_suggest_not_applied),
		cmocka_unit_test(test_no_fix),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
