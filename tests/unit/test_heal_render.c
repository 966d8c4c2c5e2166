/* Healing render.yaml: each fix on a small file, clean corpus files, mistakes injected into the corpus. */
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
#include "platform/platform.h"
#include "platform/heal.h"
#include "platform/sim.h"
#include "platform/render/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"


/* ---- helpers ---- */

static void dump(const struct heal_result *res)
{
	struct buf out = BUF_INIT(0);
	size_t i;

	sim_report_text(&res->before, &out);
	fprintf(stderr, "--- before:\n%s", out.data ? out.data : "");
	buf_reset(&out);
	sim_report_text(&res->after, &out);
	fprintf(stderr, "--- after:\n%s--- text:\n%.*s\n--- actions:\n", out.data ? out.data : "",
		(int)res->text.len, res->text.data ? res->text.data : "");
	for (i = 0; i < res->n; i++)
		fprintf(stderr, "%s %d:%d fixed=%d attempts=%d what=%s why=%s\n", res->actions[i].rule,
			res->actions[i].line, res->actions[i].col, res->actions[i].fixed, res->actions[i].attempts,
			res->actions[i].what, res->actions[i].why);
	buf_release(&out);
}

static bool has_rule(const struct sim_report *r, const char *rule, const char *fix_prefix)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!strcmp(r->issues[i].rule, rule) &&
		    (!fix_prefix || !strncmp(r->issues[i].fix_text, fix_prefix, strlen(fix_prefix))))
			return true;
	return false;
}

static bool contains(const struct buf *b, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; b->data && i + n <= b->len; i++)
		if (!memcmp(b->data + i, s, n))
			return true;
	return false;
}

static const struct heal_action *action(const struct heal_result *res, const char *rule)
{
	size_t i;

	for (i = 0; i < res->n; i++)
		if (!strcmp(res->actions[i].rule, rule))
			return &res->actions[i];
	return NULL;
}

/* True when every line of WANT that does not hold MARK is a line of GOT, byte for byte. */
static bool lines_kept(const char *got, size_t gotn, const char *want, const char *mark)
{
	const char *l = want, *e;
	char line[512];
	size_t ln;
	const char *p, *gend = got + gotn;
	bool found;

	while (*l) {
		e = strchr(l, '\n');
		ln = e ? (size_t)(e - l) : strlen(l);
		if (ln < sizeof(line)) {
			memcpy(line, l, ln);
			line[ln] = '\0';
			if (!mark || !strstr(line, mark)) {
				found = false;
				for (p = got; p < gend;) {
					const char *q = memchr(p, '\n', (size_t)(gend - p));
					size_t qn = q ? (size_t)(q - p) : (size_t)(gend - p);

					if (qn == ln && !memcmp(p, line, ln)) {
						found = true;
						break;
					}
					p = q ? q + 1 : gend;
				}
				if (!found) {
					fprintf(stderr, "line lost: [%s]\n", line);
					return false;
				}
			}
		}
		if (!e)
			break;
		l = e + 1;
	}
	return true;
}

/*
 * Heal TEXT; RULE (with fix text starting FIX, when not NULL) must be there before and gone after,
 * its action fixed; every line without MARK kept; no syntax error after; the healed text must
 * hold EXPECT.
 */
static void heal_one(const char *text, const char *rule, const char *fix, const char *mark, const char *expect)
{
	struct heal_result res;
	const struct heal_action *a;
	bool ok;

	heal_result_init(&res, "render");
	assert_int_equal(heal_render_text("render.yaml", text, strlen(text), NULL, &res), 0);
	ok = has_rule(&res.before, rule, fix) && !has_rule(&res.after, rule, fix) && (a = action(&res, rule)) &&
	     a->fixed && !has_rule(&res.after, "RND-YAML-1", NULL) && lines_kept(res.text.data, res.text.len, text, mark) &&
	     (!expect || contains(&res.text, expect));
	if (!ok)
		dump(&res);
	assert_true(ok);
	heal_result_release(&res);
}

/* ---- one fix each ---- */

static void test_env_to_runtime(void **state)
{
	(void)state;
	heal_one("# my blueprint\nservices:\n  - type: web\n    name: api\n    env: node # legacy\n"
		 "    plan: starter\n    buildCommand: npm ci\n    startCommand: node server.js\n",
		 "RND-SVC-3", "rename env to runtime", "env: node", "    runtime: node # legacy\n");
}

static void test_sync_false(void **state)
{
	(void)state;
	heal_one("# secrets\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n    envVars:\n      - key: SECRET # set it\n"
		 "      - key: PLAIN\n        value: x\n",
		 "RND-ENV-3", "add sync: false", NULL, "      - key: SECRET # set it\n        sync: false\n      - key: PLAIN\n");
}

static void test_sync_false_flow(void **state)
{
	(void)state;
	heal_one("services:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n    envVars:\n      - {key: SECRET}\n",
		 "RND-ENV-3", "add sync: false", "SECRET", "      - {key: SECRET, sync: false}\n");
}

static void test_crlf(void **state)
{
	(void)state;
	heal_one("# crlf\r\nservices:\r\n  - type: web\r\n    name: api\r\n    runtime: node\r\n    plan: starter\r\n"
		 "    buildCommand: npm ci\r\n    startCommand: node server.js\r\n    envVars:\r\n      - key: S\r\n",
		 "RND-ENV-3", "add sync: false", NULL, "      - key: S\r\n        sync: false\r\n");
}

static void test_plan_case(void **state)
{
	(void)state;
	heal_one("# plans\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: Starter # paid\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n",
		 "RND-SVC-5", "write plan: starter", "Starter", "    plan: starter # paid\n");
}

static void test_runtime_spelling(void **state)
{
	(void)state;
	heal_one("# runtime\nservices:\n  - type: web\n    name: api\n    runtime: nodejs\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n",
		 "RND-SVC-4", "write runtime: node", "nodejs", "    runtime: node\n");
}

static void test_quote_version(void **state)
{
	(void)state;
	heal_one("# python\nservices:\n  - type: web\n    name: api\n    runtime: python\n    plan: starter\n"
		 "    buildCommand: pip install -r requirements.txt\n    startCommand: gunicorn app:app\n"
		 "    envVars:\n      - key: PYTHON_VERSION\n        value: 3.10 # keep\n",
		 "RND-YAML-4", "quote it", "3.10", "        value: \"3.10\" # keep\n");
}

static void test_quote_bool(void **state)
{
	struct heal_result res;
	const char *t = "# bool\nservices:\n  - type: web\n    name: true\n    runtime: node\n    plan: starter\n"
			"    buildCommand: npm ci\n    startCommand: node server.js\n";

	(void)state;
	heal_result_init(&res, "render");
	assert_int_equal(heal_render_text("render.yaml", t, strlen(t), NULL, &res), 0);
	/* The simulator must name it; a skip here would count as a pass. */
	assert_true(has_rule(&res.before, "RND-YAML-3", "quote it"));
	heal_result_release(&res);
	heal_one(t, "RND-YAML-3", "quote it", "name: true", "    name: \"true\"\n");
}

static void test_cron_quote(void **state)
{
	(void)state;
	heal_one("# jobs\nservices:\n  - type: cron\n    name: nightly\n    runtime: node\n    plan: starter\n"
		 "    schedule: */5 * * * * # every five\n    buildCommand: npm ci\n    startCommand: node job.js\n",
		 "RND-YAML-1", "quote the cron", "schedule", "    schedule: \"*/5 * * * *\" # every five\n");
}

static void test_redis(void **state)
{
	(void)state;
	heal_one("# cache\nservices:\n  - type: redis\n    name: cache\n    plan: starter\n    ipAllowList: []\n",
		 "RND-SVC-1", "rename type redis", "redis", "  - type: keyvalue\n");
}

static void test_type_static(void **state)
{
	(void)state;
	heal_one("# site\nservices:\n  - name: site\n    type: static\n    buildCommand: npm run build\n"
		 "    staticPublishPath: dist\n",
		 "RND-SVC-1", "set type: web", "type: static", "    runtime: static\n    type: web\n");
}

static void test_kv_allow_list(void **state)
{
	(void)state;
	heal_one("# cache\nservices:\n  - type: keyvalue\n    name: cache\n    plan: starter\n",
		 "RND-KV-1", "add ipAllowList", "type: keyvalue", "  - ipAllowList: []\n    type: keyvalue\n");
}

static void test_static_plan(void **state)
{
	(void)state;
	heal_one("# site\nservices:\n  - type: web\n    name: site\n    runtime: static\n    plan: starter\n"
		 "    buildCommand: npm run build\n    staticPublishPath: dist\n",
		 "RND-STATIC-2", "delete plan", "plan: starter", NULL);
}

static void test_env_list(void **state)
{
	(void)state;
	heal_one("# vars\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n    env:\n      - key: A\n        value: b\n",
		 "RND-SVC-3", "rename env to envVars", "env:", "    envVars:\n      - key: A\n");
}

static void test_two_sources(void **state)
{
	(void)state;
	heal_one("# vars\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n    envVars:\n      - key: A\n"
		 "        value: b\n        generateValue: true\n",
		 "RND-ENV-2", "keep value", "generateValue", "      - key: A\n        value: b\n");
}

/* Not healed: suggest-only and unsupported fixes leave the text alone. */
static void test_suggest_untouched(void **state)
{
	struct heal_result res;
	const char *t = "services:\n  - type: web\n    name: api\n    runtime: nodee\n    plan: starter\n"
			"    buildCommand: npm ci\n    startCommand: node server.js\n";

	(void)state;
	heal_result_init(&res, "render");
	assert_int_equal(heal_render_text("render.yaml", t, strlen(t), NULL, &res), 0);
	assert_int_equal(res.text.len, strlen(t));
	assert_memory_equal(res.text.data, t, strlen(t));
	heal_result_release(&res);
}

/* A heal fix that cannot be applied here (fromGroup in a flow item): the action says why, the text is untouched. */
static void test_not_applied(void **state)
{
	struct heal_result res;
	const struct heal_action *a;
	const char *t = "# groups\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
			"    buildCommand: npm ci\n    startCommand: node server.js\n    envVars:\n"
			"      - {fromGroup: shared, key: A, value: b}\n"
			"envVarGroups:\n  - name: shared\n    envVars:\n      - key: B\n        value: c\n";

	(void)state;
	heal_result_init(&res, "render");
	assert_int_equal(heal_render_text("render.yaml", t, strlen(t), NULL, &res), 0);
	a = action(&res, "RND-ENV-1");
	if (!a || a->fixed || !a->why[0] || res.text.len != strlen(t) || memcmp(res.text.data, t, strlen(t)))
		dump(&res);
	assert_non_null(a);
	assert_false(a->fixed);
	assert_int_equal(a->attempts, 0);
	assert_true(a->why[0] != '\0');
	assert_int_equal(res.text.len, strlen(t));
	assert_memory_equal(res.text.data, t, strlen(t));
	heal_result_release(&res);
}

static void test_from_group_first(void **state)
{
	(void)state;
	heal_one("# groups\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n    envVars:\n"
		 "      - fromGroup: shared # the group\n        key: A\n        value: b\n"
		 "envVarGroups:\n  - name: shared\n    envVars:\n      - key: B\n        value: c\n",
		 "RND-ENV-1", "move fromGroup", "key: A", "      - fromGroup: shared # the group\n      - key: A\n        value: b\n");
}

static void test_from_group_later(void **state)
{
	(void)state;
	heal_one("# groups\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n    envVars:\n"
		 "      - key: A\n        value: b\n        fromGroup: shared # the group\n"
		 "envVarGroups:\n  - name: shared\n    envVars:\n      - key: B\n        value: c\n",
		 "RND-ENV-1", "move fromGroup", "fromGroup", "      - fromGroup: shared # the group\n      - key: A\n        value: b\nenvVarGroups:\n");
}

static void test_keep_sync(void **state)
{
	(void)state;
	heal_one("# vars\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n    envVars:\n      - key: A\n"
		 "        value: \"\"\n        sync: false\n      - key: B\n        value: c\n",
		 "RND-ENV-2", "keep sync", "value: \"\"", "      - key: A\n        sync: false\n      - key: B\n");
}

static void test_region_case(void **state)
{
	(void)state;
	heal_one("# region\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
		 "    region: Frankfurt\n    buildCommand: npm ci\n    startCommand: node server.js\n",
		 "RND-SVC-6", "write region: frankfurt", "Frankfurt", "    region: frankfurt\n");
}

static void test_dup_env(void **state)
{
	(void)state;
	heal_one("# dup\nservices:\n  - type: web\n    name: api\n    env: node\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n    env:\n      - key: A\n        value: b\n",
		 "RND-YAML-2", "rename the list-valued env", "env", "    envVars:\n      - key: A\n");
}

static void test_from_service_type(void **state)
{
	(void)state;
	heal_one("# refs\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node server.js\n    envVars:\n      - key: W\n"
		 "        fromService:\n          name: jobs\n          type: web\n          property: host\n"
		 "  - type: worker\n    name: jobs\n    runtime: node\n    plan: starter\n"
		 "    buildCommand: npm ci\n    startCommand: node jobs.js\n",
		 "RND-ENV-6", "write type", "          type: web", "          type: worker\n");
}

/* An edit that would break the YAML is not made: runtime: static added beside a runtime already there. */
static void test_guard(void **state)
{
	struct heal_result res;
	const struct heal_action *a;
	const char *t = "services:\n  - name: site\n    type: static\n    runtime: static\n"
			"    buildCommand: npm run build\n    staticPublishPath: dist\n";

	(void)state;
	heal_result_init(&res, "render");
	assert_int_equal(heal_render_text("render.yaml", t, strlen(t), NULL, &res), 0);
	a = action(&res, "RND-SVC-1");
	if (!a || a->fixed || !strstr(a->why, "break the YAML"))
		dump(&res);
	assert_non_null(a);
	assert_false(a->fixed);
	assert_non_null(strstr(a->why, "break the YAML"));
	assert_int_equal(res.text.len, strlen(t));
	assert_memory_equal(res.text.data, t, strlen(t));
	heal_result_release(&res);
}

/* Several mistakes in one file, each healed in turn; the file then passes. */
static void test_several_at_once(void **state)
{
	struct heal_result res;
	size_t i;
	const char *t = "# all at once\nservices:\n  - type: web\n    name: api\n    env: node\n    plan: Starter\n"
			"    buildCommand: npm ci\n    startCommand: node server.js\n    envVars:\n      - key: S\n"
			"      - key: V\n        value: 3.10\n  - type: redis\n    name: cache\n    plan: starter\n"
			"    ipAllowList: []\n";
	const char *want = "# all at once\nservices:\n  - type: web\n    name: api\n    runtime: node\n    plan: starter\n"
			   "    buildCommand: npm ci\n    startCommand: node server.js\n    envVars:\n      - key: S\n"
			   "        sync: false\n      - key: V\n        value: \"3.10\"\n  - type: keyvalue\n    name: cache\n"
			   "    plan: starter\n    ipAllowList: []\n";

	(void)state;
	heal_result_init(&res, "render");
	assert_int_equal(heal_render_text("render.yaml", t, strlen(t), NULL, &res), 0);
	if (res.text.len != strlen(want) || memcmp(res.text.data, want, strlen(want)) || !sim_passed(&res.after))
		dump(&res);
	assert_int_equal(res.n, 5);
	for (i = 0; i < res.n; i++)
		assert_true(res.actions[i].fixed);
	assert_true(sim_passed(&res.after));
	assert_int_equal(res.text.len, strlen(want));
	assert_memory_equal(res.text.data, want, strlen(want));
	heal_result_release(&res);
}

/* ---- the corpus ---- */

static void corpus_dir(char *dst, size_t n)
{
	const char *shared = getenv("SHARED_DIR");
	char root[4096];
	char *slash;
	int up;

	if (shared && *shared) {
		snprintf(dst, n, "%s/corpus/render", shared);
		return;
	}
	snprintf(root, sizeof(root), "%s", __FILE__);
	for (up = 0; up < 3 && (slash = strrchr(root, '/')); up++)
		*slash = '\0';
	snprintf(dst, n, "%s/../shared/corpus/render", up == 3 ? root : ".");
}

static bool healable(const struct sim_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct sim_issue *is = &r->issues[i];

		if (is->fix == SIM_FIX_HEAL &&
		    (is->severity == SIM_CRITICAL || is->severity == SIM_HIGH ||
		     !strcmp(is->fix_text, "rename env to runtime") || !strcmp(is->fix_text, "rename type redis to keyvalue")))
			return true;
	}
	return false;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) || !(s = malloc((size_t)n + 1))) {
		fclose(f);
		return NULL;
	}
	*len = fread(s, 1, (size_t)n, f);
	s[*len] = '\0';
	fclose(f);
	return s;
}

/* Replace the first FROM in S with TO; a new string, or NULL when FROM is not there. */
static char *inject(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t a, fl = strlen(from), tl = strlen(to), n = strlen(s);
	char *o;

	if (!p || !(o = malloc(n - fl + tl + 1)))
		return NULL;
	a = (size_t)(p - s);
	memcpy(o, s, a);
	memcpy(o + a, to, tl);
	memcpy(o + a + tl, p + fl, n - a - fl + 1);
	return o;
}

/* S without its first line that is exactly some blanks then "sync: false"; NULL when there is none. */
static char *drop_sync_line(const char *s)
{
	const char *l = s, *e, *p;
	size_t n = strlen(s);
	char *o;

	while (*l) {
		e = strchr(l, '\n');
		if (!e)
			return NULL;
		for (p = l; *p == ' '; p++)
			;
		if (p > l && (size_t)(e - p) == 11 && !memcmp(p, "sync: false", 11) && l > s && l[-1] == '\n') {
			if (!(o = malloc(n + 1)))
				return NULL;
			memcpy(o, s, (size_t)(l - s));
			memcpy(o + (l - s), e + 1, n - (size_t)(e + 1 - s) + 1);
			return o;
		}
		l = e + 1;
	}
	return NULL;
}

static void test_corpus(void **state)
{
	static const struct {
		const char *from, *to, *rule;
	} inj[] = {
		{ "runtime: node\n", "env: node\n", "RND-SVC-3" },
		{ "runtime: python\n", "runtime: python3\n", "RND-SVC-4" },
		{ "plan: starter\n", "plan: Starter\n", "RND-SVC-5" },
		{ "plan: free\n", "plan: FREE\n", "RND-SVC-5" },
		{ "runtime: node\n", "runtime: nodejs\n", "RND-SVC-4" },
		{ "sync: false\n", NULL, "RND-ENV-3" },
	};
	char dir[4096], path[8192];
	DIR *d;
	struct dirent *de;
	size_t clean = 0, injected = 0, healed = 0, dirty = 0, dirty_actions = 0, dirty_fixed = 0, len, k;

	(void)state;
	corpus_dir(dir, sizeof(dir));
	if (!(d = opendir(dir)))
		fail_msg("no corpus at %s (../shared/corpus is part of the checkout)", dir);
	while ((de = readdir(d))) {
		struct heal_result res;
		char *text;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!(text = read_all(path, &len)))
			continue;
		heal_result_init(&res, "render");
		assert_int_equal(heal_render_text(de->d_name, text, len, NULL, &res), 0);
		if (!healable(&res.before)) {
			/* nothing to heal: the text comes back as it was, with no actions */
			if (res.n || res.text.len != len || memcmp(res.text.data, text, len)) {
				fprintf(stderr, "%s changed\n", de->d_name);
				dump(&res);
				fail();
			}
			clean++;
			heal_result_release(&res);
			for (k = 0; k < sizeof(inj) / sizeof(inj[0]); k++) {
				struct heal_result h;
				const struct heal_action *a;
				char *bad = inj[k].to ? inject(text, inj[k].from, inj[k].to) : drop_sync_line(text);

				if (!bad)
					continue;
				heal_result_init(&h, "render");
				assert_int_equal(heal_render_text(de->d_name, bad, strlen(bad), NULL, &h), 0);
				if (has_rule(&h.before, inj[k].rule, NULL)) {
					injected++;
					a = action(&h, inj[k].rule);
					if (!a || !a->fixed || has_rule(&h.after, inj[k].rule, NULL) ||
					    h.after.count[SIM_CRITICAL] + h.after.count[SIM_HIGH] !=
						    res.after.count[SIM_CRITICAL] + res.after.count[SIM_HIGH] ||
					    h.text.len != len || memcmp(h.text.data, text, len)) {
						fprintf(stderr, "%s: injected %s not healed back\n", de->d_name, inj[k].rule);
						dump(&h);
						fail();
					}
					healed++;
				}
				heal_result_release(&h);
				free(bad);
			}
		} else {
			/* healing never makes a file worse */
			size_t i, fixed = 0;

			for (i = 0; i < res.n; i++)
				fixed += res.actions[i].fixed;
			if ((!has_rule(&res.before, "RND-YAML-1", NULL) &&
			     res.after.count[SIM_CRITICAL] + res.after.count[SIM_HIGH] >
				     res.before.count[SIM_CRITICAL] + res.before.count[SIM_HIGH]) ||
			    (has_rule(&res.after, "RND-YAML-1", NULL) && !has_rule(&res.before, "RND-YAML-1", NULL))) {
				fprintf(stderr, "%s got worse\n", de->d_name);
				dump(&res);
				fail();
			}
			dirty++;
			dirty_fixed += fixed;
			dirty_actions += res.n;
			heal_result_release(&res);
		}
		free(text);
	}
	closedir(d);
	fprintf(stderr, "corpus: %zu clean files kept, %zu injected mistakes, %zu healed; %zu files to heal: %zu of %zu actions fixed\n",
		clean, injected, healed, dirty, dirty_fixed, dirty_actions);
	assert_true(clean > 0);
	assert_true(injected > 0);
	assert_int_equal(injected, healed);
}

/* Odd inputs: every fix on texts cut short, mistakes at the very end, no final newline, CRLF. */
static void test_odd_inputs(void **state)
{
	static const char *const texts[] = {
		"services:\n  - type: web\n    name: api\n    env: node\n    plan: Starter\n    envVars:\n      - key: S",
		"services:\n  - type: cron\n    name: j\n    runtime: node\n    schedule: * * * * *",
		"services:\r\n  - type: web\r\n    name: api\r\n    runtime: nodejs\r\n    plan: Starter\r\n"
		"    envVars:\r\n      - key: S\r\n      - key: V\r\n        value: 3.10\r\n",
		"services:\n  - type: keyvalue\n    name: c\n    ipAllowList:\n",
		"services: [{type: keyvalue, name: c}]\n",
		"services:\n- type: static\n  name: s\n  plan: starter\n  staticPublishPath: d",
	};
	size_t i, cut;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t n = strlen(texts[i]);

		for (cut = n; cut > 0; cut = cut > 7 ? cut - 7 : 0) {
			struct heal_result res;

			heal_result_init(&res, "render");
			assert_int_equal(heal_render_text("render.yaml", texts[i], cut, NULL, &res), 0);
			/* a syntax error hides the rest: once it is healed, more can show */
			if (!has_rule(&res.before, "RND-YAML-1", NULL) &&
			    res.after.count[SIM_CRITICAL] + res.after.count[SIM_HIGH] >
				    res.before.count[SIM_CRITICAL] + res.before.count[SIM_HIGH]) {
				fprintf(stderr, "text %zu cut at %zu got worse\n", i, cut);
				dump(&res);
				fail();
			}
			heal_result_release(&res);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_to_runtime),
		cmocka_unit_test(test_sync_false),
		cmocka_unit_test(test_sync_false_flow),
		cmocka_unit_test(test_crlf),
		cmocka_unit_test(test_plan_case),
		cmocka_unit_test(test_runtime_spelling),
		cmocka_unit_test(test_quote_version),
		cmocka_unit_test(test_quote_bool),
		cmocka_unit_test(test_cron_quote),
		cmocka_unit_test(test_redis),
		cmocka_unit_test(test_type_static),
		cmocka_unit_test(test_kv_allow_list),
		cmocka_unit_test(test_static_plan),
		cmocka_unit_test(test_env_list),
		cmocka_unit_test(test_two_sources),
		cmocka_unit_test(test_suggest_untouched),
		cmocka_unit_test(test_not_applied),
		cmocka_unit_test(test_from_group_first),
		cmocka_unit_test(test_from_group_later),
		cmocka_unit_test(test_keep_sync),
		cmocka_unit_test(test_region_case),
		cmocka_unit_test(test_dup_env),
		cmocka_unit_test(test_from_service_type),
		cmocka_unit_test(test_guard),
		cmocka_unit_test(test_several_at_once),
		cmocka_unit_test(test_odd_inputs),
		cmocka_unit_test(test_corpus),
	};

	platform_use_yaml(&yaml_libyaml_parser);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
