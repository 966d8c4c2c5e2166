/* The netlify.toml simulator: each rule on a small file, the real corpus, known mistakes injected into clean files. */
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
#include <sys/stat.h>

#include "platform/sim.h"
#include "platform/netlify/netlify.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#define CRIT SIM_CRITICAL
#define HIGH SIM_HIGH
#define MED SIM_MEDIUM
#define LOW SIM_LOW
#define NONE SIM_FIX_NONE
#define HEAL SIM_FIX_HEAL
#define SUGG SIM_FIX_SUGGEST

/* ---- helpers ---- */

static void run(const char *text, size_t len, struct sim_report *rep)
{
	sim_report_init(rep, "netlify");
	assert_int_equal(sim_netlify_text("netlify.toml", text, len, NULL, rep), 0);
}

/* The report as text, for failure messages. */
static void dump(const struct sim_report *rep, const char *text)
{
	struct buf out = BUF_INIT(0);

	sim_report_text(rep, &out);
	fprintf(stderr, "--- input ---\n%s\n--- report ---\n%s", text, out.data);
	buf_release(&out);
}

static const struct sim_issue *find(const struct sim_report *rep, const char *rule, int line, int col)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct sim_issue *is = &rep->issues[i];

		if (strcmp(is->rule, rule) == 0 && (line < 0 || (is->line == line && is->col == col)))
			return is;
	}
	return NULL;
}

static size_t count_rule(const struct sim_report *rep, const char *rule)
{
	size_t i, n = 0;

	for (i = 0; i < rep->n; i++)
		n += strcmp(rep->issues[i].rule, rule) == 0;
	return n;
}

/* One rule on one small file: where it is reported, how bad, and how it can be fixed. */
struct rule_case {
	const char *toml;
	const char *rule;
	enum sim_severity sev;
	int line, col;
	enum sim_fix fix;
	const char *fix_has;	/* text the fix must hold, or NULL */
};

static void check_case(const struct rule_case *k)
{
	struct sim_report rep;
	const struct sim_issue *is;

	run(k->toml, strlen(k->toml), &rep);
	is = find(&rep, k->rule, k->line, k->col);
	if (!is) {
		dump(&rep, k->toml);
		fail_msg("no %s at %d:%d", k->rule, k->line, k->col);
	}
	if (is->severity != k->sev || is->fix != k->fix) {
		dump(&rep, k->toml);
		fail_msg("%s: severity %s fix %d, expected %s fix %d", k->rule, sim_severity_name(is->severity), is->fix,
			 sim_severity_name(k->sev), k->fix);
	}
	assert_string_equal(is->file, "netlify.toml");
	assert_true(is->message[0] != '\0');
	assert_true(k->fix == NONE ? is->fix_text[0] == '\0' : is->fix_text[0] != '\0');
	if (k->fix_has && !strstr(is->fix_text, k->fix_has)) {
		dump(&rep, k->toml);
		fail_msg("%s: fix '%s' lacks '%s'", k->rule, is->fix_text, k->fix_has);
	}
	sim_report_release(&rep);
}

/* ---- each rule ---- */

static const struct rule_case toml_cases[] = {
	{ "[build]\ncommand = \"x\"\npublish = [\n", "NTL-TOML-1", CRIT, 3, 11, NONE, NULL },
	{ "a = null\n", "NTL-TOML-1", CRIT, 1, 5, NONE, NULL },
	{ "a = null\n", "NTL-TOML-2", CRIT, 1, 5, HEAL, "remove the line 'a = null'" },
	{ "[build]\ncommand = $BUILD_CMD\n", "NTL-TOML-2", CRIT, 2, 11, HEAL, "\"$BUILD_CMD\"" },
	{ "[build]\ncommand = npm\n", "NTL-TOML-2", CRIT, 2, 11, SUGG, "\"npm\"" },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 301!\n", "NTL-TOML-2", CRIT, 4, 13, HEAL,
	  "status = 301 and force = true" },
	{ "[[redirects]]\nfrom = \"^/a\\.b\"\n", "NTL-TOML-3", CRIT, 2, 12, HEAL, "\\\\." },
	{ "[build.environment]\nDIR = \"C:\\path\"\n", "NTL-TOML-3", CRIT, 2, 10, HEAL, NULL },
	{ "[build]\ncommand = \"a\"\n[build]\npublish = \"b\"\n", "NTL-TOML-4", CRIT, 3, 2, SUGG, NULL },
	{ "[[headers]]\nfor = \"/*\"\n[headers.values]\nA = \"1\"\n[headers.values]\nB = \"2\"\n", "NTL-TOML-4", CRIT, 5, 10,
	  SUGG, "[[headers]]" },
	{ "[plugins]\npackage = \"a\"\npackage = \"b\"\n", "NTL-TOML-4", CRIT, 3, 1, SUGG, "[[plugins]]" },
	{ "[context.x]\nenvironment = { A = \"1\" }\n[context.x.environment]\nB = \"2\"\n", "NTL-TOML-6", CRIT, 3, 12, SUGG,
	  NULL },
	{ "[context.x]\nenvironment.A = \"1\"\n[context.x.environment]\nB = \"2\"\n", "NTL-TOML-6", CRIT, 3, 12, SUGG,
	  NULL },
	{ "[build.environment]\nA = \"1\"\n[build]\ncommand = \"x\"\npublish = \"d\"\n", "NTL-TOML-5", MED, 3, 1, HEAL,
	  "move [build]" },
	{ "[build.environment]\nA = \"1\"\n[build]\npublish = \"d\"\n[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n", "NTL-TOML-5",
	  HIGH, 3, 1, HEAL, "move [build]" },
	{ "[context.production.environment]\nA = \"1\"\n\n[context.production]\ncommand = \"x\"\n[[headers]]\nfor = \"/*\"\n"
	  "[headers.values]\nA = \"b\"\n", "NTL-TOML-5", HIGH, 4, 1, HEAL, "above line 1" },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 301.0\n", "NTL-TOML-7", MED, 4, 10, HEAL, "status = 301" },
	{ "[dev]\nport = 8888.0\n", "NTL-TOML-7", MED, 2, 8, HEAL, "port = 8888" },
	{ "[context.feat/x]\ncommand = \"a\"\n", "NTL-CTX-3", CRIT, 1, 14, HEAL, "[context.\"feat/x\"]" },
};

static const struct rule_case top_build_cases[] = {
	{ "[[redirect]]\nfrom = \"/a\"\nto = \"/b\"\n", "NTL-TOP-1", HIGH, 1, 3, HEAL, "redirects" },
	{ "[misc]\nx = 1\n", "NTL-TOP-1", MED, 1, 2, NONE, NULL },
	{ "[[build]]\ncommand = \"x\"\npublish = \"d\"\n", "NTL-TOP-2", CRIT, 1, 1, HEAL, "change [[build]] to [build]" },
	{ "build = \"npm run build\"\n", "NTL-TOP-2", CRIT, 1, 9, NONE, NULL },
	{ "[redirects]\nfrom = \"/a\"\nto = \"/b\"\n", "NTL-TOP-3", CRIT, 1, 1, HEAL, "[[redirects]]" },
	{ "functions = \"netlify/functions\"\n", "NTL-TOP-3", CRIT, 1, 13, NONE, NULL },
	{ "[context]\nproduction = \"x\"\n", "NTL-TOP-3", CRIT, 2, 14, NONE, NULL },
	{ "spa_fallback = \"yes\"\n", "NTL-TOP-3", CRIT, 1, 16, NONE, NULL },
	{ "[build]\npublic = \"dist\"\n", "NTL-BUILD-1", HIGH, 2, 1, HEAL, "rename public to publish" },
	{ "[build]\ncomand = \"make\"\npublish = \"d\"\n", "NTL-BUILD-1", HIGH, 2, 1, HEAL, "command" },
	{ "[build]\nNODE_ENV = \"production\"\n", "NTL-BUILD-1", HIGH, 2, 1, HEAL, "[build.environment]" },
	{ "[build]\nnode_version = \"18\"\n", "NTL-BUILD-1", MED, 2, 1, SUGG, "NODE_VERSION" },
	{ "[build]\nenvironment = \"NODE_VERSION=10\"\n", "NTL-BUILD-2", CRIT, 2, 15, HEAL, "NODE_VERSION = \"10\"" },
	{ "[build]\nenvironment = [\"A=1\"]\n", "NTL-BUILD-2", CRIT, 2, 15, NONE, NULL },
	{ "[build.environment]\nNODE_VERSION = 18\n", "NTL-BUILD-2", MED, 2, 16, HEAL, "NODE_VERSION = \"18\"" },
	{ "[build.environment]\nenvironment = { A = \"1\" }\n", "NTL-BUILD-3", HIGH, 2, 1, HEAL, NULL },
	{ "[build]\npublish = \"../out\"\n", "NTL-BUILD-5", CRIT, 2, 11, NONE, NULL },
	{ "[build]\nbase = \"site\"\npublish = \"../../out\"\n", "NTL-BUILD-5", CRIT, 3, 11, NONE, NULL },
	{ "[build]\npublish = 1\n", "NTL-BUILD-5", CRIT, 2, 11, NONE, NULL },
	{ "[functions]\ndirectory = \"../fn\"\n", "NTL-BUILD-5", CRIT, 2, 13, NONE, NULL },
	{ "[build]\nbase = \"web\"\npublish = \"web/dist\"\n", "NTL-BUILD-6", HIGH, 3, 11, HEAL, "change publish to \"dist\"" },
	{ "[build]\nbase = \"web\"\n[context.production]\npublish = \"/web/public/\"\n", "NTL-BUILD-6", HIGH, 4, 11, HEAL,
	  "\"public\"" },
	{ "[build]\nbase = \"site\"\npublish = \"site/\"\n", "NTL-BUILD-6", HIGH, 3, 11, SUGG, "publish = \".\"" },
	{ "[build]\ncommand = \"npm run build\"\n", "NTL-BUILD-7", MED, 1, 1, SUGG, NULL },
	{ "[build]\ncommand = [\"npm\", \"run\", \"build\"]\n", "NTL-BUILD-8", CRIT, 2, 11, NONE, NULL },
	{ "[context.production]\ncommand = false\n", "NTL-BUILD-8", CRIT, 2, 11, NONE, NULL },
	{ "[build]\nfunctions = \"fn\"\npublish = \"d\"\n", "NTL-BUILD-9", LOW, 2, 1, SUGG, NULL },
	{ "[build]\nfunctions = \"fn\"\n[functions]\ndirectory = \"f2\"\n", "NTL-BUILD-9", MED, 2, 1, SUGG, NULL },
	{ "[build.processing]\nskip_processing = \"yes\"\n", "NTL-BUILD-10", MED, 2, 19, NONE, NULL },
	{ "[build]\nignore = false\n", "NTL-BUILD-11", CRIT, 2, 10, NONE, NULL },
};

static const struct rule_case context_cases[] = {
	{ "[[context.production.redirects]]\nfrom = \"/a\"\nto = \"/b\"\n", "NTL-CTX-1", HIGH, 1, 22, SUGG, "[[redirects]]" },
	{ "[context.deploy-preview]\n[[context.deploy-preview.headers]]\nfor = \"/*\"\n", "NTL-CTX-1", HIGH, 2, 26, SUGG,
	  NULL },
	{ "[context.deploy-preview]\ncommand = \"x\"\nHUGO_ENV = \"dev\"\n", "NTL-CTX-2", HIGH, 3, 1, HEAL,
	  "[context.deploy-preview.environment]" },
	{ "[context.feat.x]\ncommand = \"a\"\n", "NTL-CTX-3", HIGH, 1, 15, HEAL, "[context.\"feat.x\"]" },
	{ "[dev]\ncommand = \"x\"\nenvironment = { A = \"1\" }\n", "NTL-CTX-4", MED, 3, 1, HEAL,
	  "[context.dev.environment]" },
};

static const struct rule_case redirect_cases[] = {
	{ "[[redirects]]\nto = \"/b\"\n", "NTL-RED-1", CRIT, 1, 1, NONE, NULL },
	{ "[[redirects]]\nfrom = 7\nto = \"/b\"\n", "NTL-RED-1", CRIT, 2, 8, NONE, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\n", "NTL-RED-2", CRIT, 1, 1, NONE, NULL },
	{ "[[redirects]]\nfrom = \"/a/*\"\nstatus = 301\n", "NTL-RED-2", CRIT, 1, 1, NONE, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 999\n", "NTL-RED-3", CRIT, 4, 10, NONE, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = \"moved\"\n", "NTL-RED-3", CRIT, 4, 10, NONE, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 301.5\n", "NTL-RED-3", CRIT, 4, 10, NONE, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = \"301\"\n", "NTL-RED-3", MED, 4, 10, HEAL, "status = 301" },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 307\n", "NTL-RED-3", MED, 4, 10, SUGG, "302" },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nforce = \"true\"\n", "NTL-RED-4", HIGH, 4, 9, HEAL, "force = true" },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = \"200!\"\n", "NTL-RED-4", MED, 4, 10, HEAL,
	  "status = 200 and force = true" },
	{ "[[redirects]]\nfrom = \"blog\"\nto = \"/b\"\n", "NTL-RED-5", CRIT, 2, 8, HEAL, "change from to \"/blog\"" },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"index.html\"\n", "NTL-RED-5", CRIT, 3, 6, HEAL, "\"/index.html\"" },
	{ "[[redirects]]\nfrom = \"/.netlify/functions/x\"\nto = \"/b\"\n", "NTL-RED-5", CRIT, 2, 8, NONE, NULL },
	{ "[[redirects]]\nfrom = \"https:///x\"\nto = \"/b\"\n", "NTL-RED-5", CRIT, 2, 8, NONE, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b/:splat\"\n", "NTL-RED-6", HIGH, 3, 6, NONE, NULL },
	{ "[[redirects]]\nfrom = \"/news/:year\"\nto = \"/blog/:year/:month\"\n", "NTL-RED-6", HIGH, 3, 6, NONE, NULL },
	{ "[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 301\n", "NTL-RED-7", HIGH, 4, 10, HEAL,
	  "change status to 200" },
	{ "[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\n", "NTL-RED-7", HIGH, 1, 1, HEAL, "add status = 200" },
	{ "[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\nforce = true\n", "NTL-RED-7", HIGH, 5, 9, HEAL,
	  "remove force = true" },
	{ "[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\n\n[[redirects]]\nfrom = \"/api/*\"\n"
	  "to = \"https://api.example.com/:splat\"\nstatus = 200\n", "NTL-RED-8", HIGH, 2, 8, HEAL,
	  "move the catch-all rule at line 1 after the other rules" },
	{ "[[redirects]]\nfrom = \"/blog/*\"\nto = \"/news/:splat\"\n\n[[redirects]]\nfrom = \"/blog/2020/x\"\nto = \"/x\"\n",
	  "NTL-RED-8", HIGH, 6, 8, SUGG, "above the rule at line 1" },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n\n[[redirects]]\nfrom = \"/a/\"\nto = \"/c\"\n", "NTL-RED-8", HIGH, 6, 8,
	  SUGG, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n\n[[redirects]]\nfrom = \"/a/\"\nto = \"/b/\"\n", "NTL-RED-8", LOW, 6, 8,
	  SUGG, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"https://x.org\"\nstatus = 200\nheaders = \"X-A: 1\"\n", "NTL-RED-9", CRIT, 5,
	  11, NONE, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"https://x.org\"\nstatus = 200\nsigned = true\n", "NTL-RED-9", CRIT, 5, 10,
	  NONE, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nconditions = { Country = [\"USA\"] }\n", "NTL-RED-10", MED, 4, 27,
	  NONE, NULL },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nconditions = { Contry = [\"US\"] }\n", "NTL-RED-10", MED, 4, 16, SUGG,
	  "Country" },
	{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nquery = { id = 1 }\n", "NTL-RED-11", CRIT, 4, 16, NONE, NULL },
};

static const struct rule_case header_plugin_cases[] = {
	{ "[[headers]]\n[headers.values]\nA = \"b\"\n", "NTL-HDR-1", CRIT, 1, 1, NONE, NULL },
	{ "[[headers]]\nfor = \"  \"\n[headers.values]\nA = \"b\"\n", "NTL-HDR-1", CRIT, 2, 7, NONE, NULL },
	{ "[[headers]]\nfor = \"*.js\"\n[headers.values]\nA = \"b\"\n", "NTL-HDR-1", MED, 2, 7, SUGG, "\"/*.js\"" },
	{ "[[headers]]\nfor = \"/*\"\nX-Frame-Options = \"DENY\"\n", "NTL-HDR-2", HIGH, 3, 1, SUGG, "[headers.values]" },
	{ "[[headers]]\nfor = \"/*\"\nvalues = \"X-Frame-Options: DENY\"\n", "NTL-HDR-2", HIGH, 3, 10, NONE, NULL },
	{ "[[headers]]\nfor = \"/*\"\n", "NTL-HDR-2", MED, 1, 1, NONE, NULL },
	{ "[[headers]]\nfor = \"/*\"\n[headers.values]\nAccess-Control-Max-Age = 3600\n", "NTL-HDR-3", CRIT, 4, 26, HEAL,
	  "\"3600\"" },
	{ "[[headers]]\nfor = \"/*\"\n[headers.values]\n\"\" = \"x\"\n", "NTL-HDR-3", CRIT, 4, 1, NONE, NULL },
	{ "[[headers]]\nfor = \"/*\"\n[headers.values]\nA = [\"x\", 1]\n", "NTL-HDR-3", CRIT, 4, 11, NONE, NULL },
	{ "[[headers]]\nfor = \"/*\"\n[headers.values]\nA = \"x\"\n[[headers]]\nfor = \"/*\"\n[headers.values]\na = \"y\"\n",
	  "NTL-HDR-5", LOW, 8, 1, NONE, NULL },
	{ "[[plugins]]\npackage = \"a\"\ninput = { x = 1 }\n", "NTL-PLUGIN-1", CRIT, 3, 1, SUGG, "rename input to inputs" },
	{ "[[plugins]]\n[plugins.inputs]\nx = 1\n", "NTL-PLUGIN-2", CRIT, 1, 1, NONE, NULL },
	{ "[[plugins]]\n[plugins.inputs]\npackage = \"a\"\n", "NTL-PLUGIN-2", CRIT, 1, 1, SUGG, NULL },
	{ "[[plugins]]\npackage = \"netlify-plugin-a@1.2.3\"\n", "NTL-PLUGIN-2", CRIT, 2, 11, SUGG,
	  "pinned_version = \"1.2.3\"" },
	{ "[[plugins]]\npackage = \"github:me/plugin\"\n", "NTL-PLUGIN-2", CRIT, 2, 11, NONE, NULL },
	{ "[[plugins]]\npackage = \"a\"\n[[plugins]]\npackage = \"a\"\n", "NTL-PLUGIN-3", CRIT, 4, 11, SUGG, NULL },
	{ "[[plugins]]\npackage = \"a\"\ninputs = \"x\"\n", "NTL-PLUGIN-4", CRIT, 3, 10, NONE, NULL },
	{ "[[plugins]]\npackage = \"a\"\npinned_version = 5\n", "NTL-PLUGIN-4", CRIT, 3, 18, NONE, NULL },
};

static const struct rule_case function_dev_cases[] = {
	{ "[functions]\ntimeout = 26\n", "NTL-FUNC-1", MED, 2, 1, NONE, NULL },
	{ "[functions]\nnode_bundler = \"esbuld\"\n", "NTL-FUNC-2", CRIT, 2, 16, SUGG, "\"esbuild\"" },
	{ "[functions]\nincluded_files = \"x\"\n", "NTL-FUNC-2", CRIT, 2, 18, NONE, NULL },
	{ "[functions.hello]\nvcpu = 4\n", "NTL-FUNC-2", CRIT, 2, 8, NONE, NULL },
	{ "[functions.hello]\ndirectory = \"x\"\n", "NTL-FUNC-3", CRIT, 2, 1, SUGG, NULL },
	{ "[functions.hello]\nschedule = \"0 25 * * *\"\n", "NTL-FUNC-4", CRIT, 2, 12, NONE, NULL },
	{ "[functions.hello]\nschedule = \"every day\"\n", "NTL-FUNC-4", CRIT, 2, 12, NONE, NULL },
	{ "[[edge_functions]]\nfunction = \"a\"\npath = \"/a\"\ngenerator = \"x\"\n", "NTL-EDGE-1", CRIT, 4, 1, NONE, NULL },
	{ "[[edge_functions]]\npath = \"/a\"\n", "NTL-EDGE-2", CRIT, 1, 1, NONE, NULL },
	{ "[[edge_functions]]\nfunction = \"a\"\n", "NTL-EDGE-3", CRIT, 1, 1, NONE, NULL },
	{ "[[edge_functions]]\nfunction = \"a\"\npath = \"a\"\n", "NTL-EDGE-3", CRIT, 3, 8, SUGG, "\"/a\"" },
	{ "[[edge_functions]]\nfunction = \"a\"\npath = \"/a\"\npattern = \"^/b$\"\n", "NTL-EDGE-3", CRIT, 4, 1, NONE, NULL },
	{ "[[edge_functions]]\nfunction = \"a\"\npath = \"/a\"\nexcludedPath = \"/b\"\nexcludedPattern = \"c\"\n",
	  "NTL-EDGE-4", CRIT, 5, 1, NONE, NULL },
	{ "[[edge_functions]]\nfunction = \"a\"\npath = \"/a\"\ncache = \"on\"\n", "NTL-EDGE-5", CRIT, 4, 9, NONE, NULL },
	{ "[[edge_functions]]\nfunction = \"a\"\npath = \"/a\"\nmethod = []\n", "NTL-EDGE-5", CRIT, 4, 10, NONE, NULL },
	{ "[dev]\ncommand = \"npm start\"\ntargetPort = 3000\n", "NTL-DEV-1", MED, 3, 1, HEAL, "framework = \"#custom\"" },
	{ "[dev]\ncommand = \"npm start\"\ntargetPort = 3000\nframework = \"vite\"\n", "NTL-DEV-1", MED, 4, 13, SUGG, NULL },
	{ "[dev]\nport = \"8888\"\n", "NTL-DEV-2", MED, 2, 8, SUGG, "port = 8888" },
	{ "[dev]\nautoLaunch = \"no\"\n", "NTL-DEV-2", MED, 2, 14, NONE, NULL },
	{ "[dev]\nframwork = \"#static\"\n", "NTL-DEV-3", MED, 2, 1, SUGG, "framework" },
};

static void check_cases(const struct rule_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		check_case(&cases[i]);
}

#define CHECK_CASES(a) check_cases((a), sizeof(a) / sizeof((a)[0]))

static void test_toml_layer(void **state)
{
	CHECK_CASES(toml_cases);
}

static void test_top_and_build(void **state)
{
	CHECK_CASES(top_build_cases);
}

static void test_contexts(void **state)
{
	CHECK_CASES(context_cases);
}

static void test_redirects(void **state)
{
	CHECK_CASES(redirect_cases);
}

static void test_headers_plugins(void **state)
{
	CHECK_CASES(header_plugin_cases);
}

static void test_functions_dev(void **state)
{
	CHECK_CASES(function_dev_cases);
}

/* What must not be reported: the cases a rule is written to let through. */
static void test_no_false_alarms(void **state)
{
	static const struct {
		const char *toml, *rule;
	} quiet[] = {
		/* a forward rule: to defaults to /a/:splat */
		{ "[[redirects]]\nfrom = \"/a/*\"\nstatus = 200\n", "NTL-RED-2" },
		{ "[[redirects]]\nfrom = \"/a/:id\"\nto = \"/b?x=:id\"\n", "NTL-RED-6" },
		{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b/:q\"\nquery = { q = \":q\" }\n", "NTL-RED-6" },
		{ "[[redirects]]\nfrom = \"/a/*\"\nto = \"https://x.org:8443/:splat\"\nstatus = 200\n", "NTL-RED-6" },
		/* a catch-all at the end shadows nothing */
		{ "[[redirects]]\nfrom = \"/api/*\"\nto = \"/.netlify/functions/:splat\"\nstatus = 200\n[[redirects]]\n"
		  "from = \"/*\"\nto = \"/index.html\"\nstatus = 200\n", "NTL-RED-8" },
		/* conditions make the earlier rule match only some requests */
		{ "[[redirects]]\nfrom = \"/*\"\nto = \"/fr/:splat\"\nconditions = { Language = [\"fr\"] }\n[[redirects]]\n"
		  "from = \"/x\"\nto = \"/y\"\n", "NTL-RED-8" },
		/* a host rule does not shadow rules for other hosts */
		{ "[[redirects]]\nfrom = \"https://old.org/*\"\nto = \"https://new.org/:splat\"\nforce = true\n[[redirects]]\n"
		  "from = \"/a\"\nto = \"/b\"\n", "NTL-RED-8" },
		{ "[build]\nbase = \"web\"\npublish = \"dist\"\n", "NTL-BUILD-6" },
		{ "[build]\nbase = \"web\"\npublish = \"website/dist\"\n", "NTL-BUILD-6" },
		{ "[build]\nbase = \"web\"\npublish = \"../dist\"\n", "NTL-BUILD-5" },
		{ "[build]\npublish = \"/dist\"\n", "NTL-BUILD-5" },
		{ "[build]\nCommand = \"make\"\nPublish = \"out\"\n", "NTL-BUILD-1" },
		{ "[Build]\ncommand = \"make\"\npublish = \"out\"\n", "NTL-TOP-1" },
		{ "[Settings]\nID = \"x\"\n", "NTL-TOP-1" },
		{ "[context.\"feat/x\"]\ncommand = \"a\"\n", "NTL-CTX-3" },
		{ "[context.production.environment]\nA = \"1\"\n[context.deploy-preview.environment]\nA = \"2\"\n",
		  "NTL-TOML-5" },
		{ "[functions]\nnode_bundler = \"esbuild\"\n[functions.included_files]\nschedule = \"@daily\"\n",
		  "NTL-FUNC-2" },
		{ "[functions.\"*\"]\ndirectory = \"fn\"\n", "NTL-FUNC-3" },
		{ "[functions.a]\nschedule = \"*/15 9-17 * JAN-DEC MON-FRI\"\n", "NTL-FUNC-4" },
		{ "[functions.a]\nschedule = \"0 0 1 1 0\"\nmemory = \"2gb\"\nvcpu = 0.5\n", "NTL-FUNC-2" },
		{ "[[plugins]]\npackage = \"@netlify/plugin-lighthouse\"\n[[plugins]]\npackage = \"./plugins/local\"\n",
		  "NTL-PLUGIN-2" },
		{ "[[edge_functions]]\nfunction = \"a\"\npattern = \"^/b$\"\nmethod = [\"get\", \"POST\"]\n"
		  "header = { x = true }\n",
		  "NTL-EDGE-5" },
		{ "[dev]\ncommand = \"npm start\"\ntargetPort = 3000\nframework = \"#custom\"\n", "NTL-DEV-1" },
		{ "[[headers]]\nfor = \"/*\"\n[headers.values]\nLink = [\"</a.css>; rel=preload\", \"</b.js>; rel=preload\"]\n",
		  "NTL-HDR-3" },
		{ "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nconditions = { language = \"en-US, fr\", Country = \"us,ca\" }\n",
		  "NTL-RED-10" },
	};
	struct sim_report rep;
	size_t i;

	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		run(quiet[i].toml, strlen(quiet[i].toml), &rep);
		if (count_rule(&rep, quiet[i].rule) || count_rule(&rep, "NTL-TOML-1")) {
			dump(&rep, quiet[i].toml);
			fail_msg("%s reported on a file it should let through", quiet[i].rule);
		}
		sim_report_release(&rep);
	}
}

/* A file doing everything right: nothing critical or high. */
static void test_clean(void **state)
{
	static const char text[] = "[build]\n"
				   "  base = \"site\"\n"
				   "  publish = \"dist\"\n"
				   "  command = \"npm run build\"\n"
				   "\n"
				   "[build.environment]\n"
				   "  NODE_VERSION = \"20\"\n"
				   "\n"
				   "[context.production]\n"
				   "  command = \"npm run build:prod\"\n"
				   "[context.production.environment]\n"
				   "  API = \"https://api.example.com\"\n"
				   "[context.\"feat/new\"]\n"
				   "  command = \"npm run build\"\n"
				   "\n"
				   "[functions]\n"
				   "  directory = \"netlify/functions\"\n"
				   "  node_bundler = \"esbuild\"\n"
				   "[functions.nightly]\n"
				   "  schedule = \"@daily\"\n"
				   "\n"
				   "[[edge_functions]]\n"
				   "  function = \"geo\"\n"
				   "  path = \"/geo/*\"\n"
				   "\n"
				   "[[plugins]]\n"
				   "  package = \"@netlify/plugin-lighthouse\"\n"
				   "  [plugins.inputs]\n"
				   "    output_path = \"reports/lighthouse.html\"\n"
				   "\n"
				   "[[redirects]]\n"
				   "  from = \"/api/*\"\n"
				   "  to = \"/.netlify/functions/:splat\"\n"
				   "  status = 200\n"
				   "[[redirects]]\n"
				   "  from = \"/news/:year/:slug\"\n"
				   "  to = \"/blog/:year/:slug\"\n"
				   "  status = 301\n"
				   "  force = true\n"
				   "[[redirects]]\n"
				   "  from = \"/*\"\n"
				   "  to = \"/index.html\"\n"
				   "  status = 200\n"
				   "\n"
				   "[[headers]]\n"
				   "  for = \"/*\"\n"
				   "  [headers.values]\n"
				   "    X-Frame-Options = \"DENY\"\n"
				   "    Cache-Control = \"public, max-age=0, must-revalidate\"\n"
				   "\n"
				   "[dev]\n"
				   "  command = \"npm run dev\"\n"
				   "  targetPort = 5173\n"
				   "  framework = \"#custom\"\n";
	struct sim_report rep;

	run(text, sizeof(text) - 1, &rep);
	if (!sim_passed(&rep) || rep.count[SIM_MEDIUM]) {
		dump(&rep, text);
		fail_msg("a clean file has findings");
	}
	assert_true(rep.us >= 0);
	sim_report_release(&rep);
}

/* ---- reading a project directory ---- */

static void project_dir(char *dst, size_t n, const char *name)
{
	const char *base = getenv("CHIMERA_TEST_TMP");

	snprintf(dst, n, "%s/sim_netlify/%s", base && *base ? base : "/tmp", name);
	assert_int_equal(fs_rm_rf(dst), 0);
	assert_int_equal(fs_mkdir_p(dst, 0755), 0);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(fs_write_file(path, text, strlen(text), 0644), 0);
}

static void test_project(void **state)
{
	char dir[4096], sub[4200];
	struct sim_report rep;
	const struct sim_issue *is;

	project_dir(dir, sizeof(dir), "missing");
	sim_report_init(&rep, "netlify");
	assert_int_equal(sim_netlify(dir, &rep), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "netlify.toml"));
	assert_non_null(strstr(err_msg(), dir));
	assert_int_equal(rep.nfiles, 0);
	sim_report_release(&rep);

	project_dir(dir, sizeof(dir), "scripts");
	snprintf(sub, sizeof(sub), "%s/web", dir);
	assert_int_equal(fs_mkdir_p(sub, 0755), 0);
	put(dir, "netlify.toml",
	    "[build]\n"
	    "base = \"web\"\n"
	    "publish = \"dist\"\n"
	    "command = \"npm ci && CI=1 npm run biuld && yarn lint && yarn gatsby build\"\n"
	    "[context.production]\n"
	    "command = \"npm run build --if-present\"\n"
	    "[context.deploy-preview]\n"
	    "command = \"pnpm run preview\"\n"
	    "[context.staging]\n"
	    "base = \"nowhere\"\n"
	    "command = \"cd x && npm run anything\"\n");
	put(sub, "package.json",
	    "{\"scripts\": {\"build\": \"vite build\", \"lint\": \"eslint .\"}, \"devDependencies\": {\"gatsby\": \"5\"}}");
	sim_report_init(&rep, "netlify");
	assert_int_equal(sim_netlify(dir, &rep), 0);
	assert_int_equal(rep.nfiles, 1);
	assert_string_equal(rep.files[0], "netlify.toml");
	/* biuld is missing (build is the nearest); lint is there; gatsby is a binary */
	assert_non_null(is = find(&rep, "NTL-BUILD-8", 4, 11));
	assert_int_equal(is->severity, SIM_CRITICAL);
	assert_non_null(strstr(is->message, "'biuld'"));
	assert_int_equal(is->fix, SIM_FIX_SUGGEST);
	assert_non_null(strstr(is->fix_text, "'build'"));
	/* pnpm run does not fall back to binaries */
	assert_non_null(find(&rep, "NTL-BUILD-8", 8, 11));
	assert_int_equal(count_rule(&rep, "NTL-BUILD-8"), 2);
	/* the base of [context.staging] is not in the tree */
	assert_non_null(is = find(&rep, "NTL-BUILD-4", 10, 8));
	assert_int_equal(is->severity, SIM_CRITICAL);
	assert_null(find(&rep, "NTL-BUILD-4", 2, 8));
	sim_report_release(&rep);

	/* no package.json, or one that does not parse: nothing to say about scripts */
	put(sub, "package.json", "{\"scripts\": ");
	sim_report_init(&rep, "netlify");
	assert_int_equal(sim_netlify(dir, &rep), 0);
	assert_int_equal(count_rule(&rep, "NTL-BUILD-8"), 0);
	sim_report_release(&rep);

	/* publish repeating base is fine when that nested folder really exists */
	project_dir(dir, sizeof(dir), "nested");
	snprintf(sub, sizeof(sub), "%s/web/web/dist", dir);
	assert_int_equal(fs_mkdir_p(sub, 0755), 0);
	put(dir, "netlify.toml", "[build]\nbase = \"web\"\npublish = \"web/dist\"\n");
	sim_report_init(&rep, "netlify");
	assert_int_equal(sim_netlify(dir, &rep), 0);
	assert_int_equal(count_rule(&rep, "NTL-BUILD-6"), 0);
	sim_report_release(&rep);
}

/* ---- the corpus ---- */

/* $SHARED_DIR/corpus/netlify, else ../shared next to the project root. */
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
	/* this file is <root>/tests/unit/test_sim_netlify.c */
	snprintf(root, sizeof(root), "%s", __FILE__);
	for (up = 0; up < 3 && (slash = strrchr(root, '/')); up++)
		*slash = '\0';
	snprintf(dst, n, "%s/../shared/corpus/netlify", up == 3 ? root : "..");
}

struct corpus {
	char **names;
	size_t n;
	char dir[4096];
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void corpus_load(struct corpus *c)
{
	struct dirent *de;
	DIR *d;

	memset(c, 0, sizeof(*c));
	corpus_dir(c->dir, sizeof(c->dir));
	d = opendir(c->dir);
	if (!d)
		fail_msg("cannot open the corpus at %s", c->dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		c->names = realloc(c->names, (c->n + 1) * sizeof(*c->names));
		assert_non_null(c->names);
		c->names[c->n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(c->names, c->n, sizeof(*c->names), name_cmp);
}

static void corpus_release(struct corpus *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->names[i]);
	free(c->names);
}

static void corpus_read(const struct corpus *c, size_t i, struct buf *out)
{
	char path[8192];

	snprintf(path, sizeof(path), "%s/%s", c->dir, c->names[i]);
	buf_reset(out);
	assert_int_equal(fs_read_file(path, out), 0);
}

struct tally {
	char rule[SIM_RULE_MAX];
	size_t count[SIM_SEVERITIES];
};

static void tally_add(struct tally *t, size_t *nt, size_t cap, const struct sim_issue *is)
{
	size_t i;

	for (i = 0; i < *nt && strcmp(t[i].rule, is->rule) != 0; i++)
		;
	if (i == *nt) {
		assert_true(*nt < cap);
		memset(&t[i], 0, sizeof(t[i]));
		snprintf(t[i].rule, sizeof(t[i].rule), "%s", is->rule);
		(*nt)++;
	}
	t[i].count[is->severity]++;
}

static int tally_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tally *)a)->rule, ((const struct tally *)b)->rule);
}

/* Every real file parses and is judged; print what was found, critical and high in full. */
static void test_corpus(void **state)
{
	struct corpus c;
	struct buf text = BUF_INIT(0);
	struct tally t[128];
	size_t i, k, nt = 0, sev[SIM_SEVERITIES] = { 0 }, passed = 0;
	int64_t us = 0, max_us = 0;

	corpus_load(&c);
	assert_true(c.n >= 50);
	printf("netlify corpus: %zu files in %s\n", c.n, c.dir);
	for (i = 0; i < c.n; i++) {
		struct sim_report rep;

		corpus_read(&c, i, &text);
		run(text.data, text.len, &rep);
		if (count_rule(&rep, "NTL-TOML-1")) {
			dump(&rep, c.names[i]);
			fail_msg("%s: valid TOML reported as a syntax error", c.names[i]);
		}
		for (k = 0; k < rep.n; k++) {
			const struct sim_issue *is = &rep.issues[k];

			tally_add(t, &nt, sizeof(t) / sizeof(t[0]), is);
			sev[is->severity]++;
			if (is->severity <= SIM_HIGH)
				printf("  %s:%d:%d: %s %s: %s\n", c.names[i], is->line, is->col,
				       sim_severity_name(is->severity), is->rule, is->message);
		}
		passed += sim_passed(&rep);
		us += rep.us;
		max_us = rep.us > max_us ? rep.us : max_us;
		sim_report_release(&rep);
	}
	qsort(t, nt, sizeof(t[0]), tally_cmp);
	printf("netlify corpus: %zu files, %zu pass; %zu critical, %zu high, %zu medium, %zu low; "
	       "%.3f ms a file on average, %.3f ms at most\n", c.n, passed, sev[SIM_CRITICAL], sev[SIM_HIGH],
	       sev[SIM_MEDIUM], sev[SIM_LOW], us / 1000.0 / (double)c.n, max_us / 1000.0);
	for (i = 0; i < nt; i++)
		printf("  %-14s %3zu critical %3zu high %3zu medium %3zu low\n", t[i].rule, t[i].count[SIM_CRITICAL],
		       t[i].count[SIM_HIGH], t[i].count[SIM_MEDIUM], t[i].count[SIM_LOW]);
	/* the target is well under 5 ms a file; sanitizer builds get room */
	assert_true(max_us < 50000);
	buf_release(&text);
	corpus_release(&c);
}

/* ---- known mistakes injected into clean corpus files ---- */

/* A mistake: how to make it (false when this file cannot take it) and the rule that must find it. */
struct mistake {
	const char *what;
	bool (*inject)(const char *in, struct buf *out);
	const char *rule;
};

/* The clean file followed by TEXT: a new table at the end never disturbs the ones above. */
static bool append(const char *in, struct buf *out, const char *text)
{
	return buf_adds(out, in) == 0 && buf_adds(out, "\n") == 0 && buf_adds(out, text) == 0;
}

/* IN with the first OLD (at the start of a line) replaced by NEW. */
static bool replace_line(const char *in, struct buf *out, const char *old, const char *new_)
{
	const char *p = in;
	size_t n = strlen(old);

	while ((p = strstr(p, old)) && p != in && p[-1] != '\n')
		p += n;
	if (!p)
		return false;
	return buf_add(out, in, (size_t)(p - in)) == 0 && buf_adds(out, new_) == 0 && buf_adds(out, p + n) == 0;
}

static bool m_aot_build(const char *in, struct buf *out)
{
	return !strstr(in, "[[build") && replace_line(in, out, "[build]\n", "[[build]]\n");
}

static bool m_publish_base(const char *in, struct buf *out)
{
	const char *b = strstr(in, "[build]\n"), *p, *next;
	size_t n;

	if (!b || strstr(in, "base") || !(p = strstr(b, "publish = \"")))
		return false;
	next = strstr(b + 1, "\n[");
	if (next && next < p)
		return false;
	n = (size_t)(b - in) + 8;
	return buf_add(out, in, n) == 0 && buf_adds(out, "base = \"web\"\n") == 0 &&
	       buf_add(out, in + n, (size_t)(p - in) - n) == 0 && buf_adds(out, "publish = \"web/") == 0 &&
	       buf_adds(out, p + 11) == 0;
}

static bool m_env_string(const char *in, struct buf *out)
{
	return append(in, out, "[context.inject]\nenvironment = \"NODE_VERSION=18\"\n");
}

static bool m_force_string(const char *in, struct buf *out)
{
	return append(in, out, "[[redirects]]\nfrom = \"/old\"\nto = \"/new\"\nforce = \"true\"\n");
}

static bool m_no_slash(const char *in, struct buf *out)
{
	return append(in, out, "[[redirects]]\nfrom = \"blog\"\nto = \"/news\"\n");
}

static bool m_status(const char *in, struct buf *out)
{
	return append(in, out, "[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\nstatus = 999\n");
}

static bool m_catch_all_first(const char *in, struct buf *out)
{
	const char *p = in;

	/* before the first table, so it comes before every rule; only where no key sits above the tables */
	while (*p == '#' || *p == '\n' || *p == ' ') {
		p = strchr(p, '\n');
		if (!p)
			return false;
		p++;
	}
	if (*p != '[' || !strstr(in, "[[redirects]]"))
		return false;
	return buf_add(out, in, (size_t)(p - in)) == 0 &&
	       buf_adds(out, "[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\n\n") == 0 &&
	       buf_adds(out, p) == 0;
}

static bool m_catch_all_appended(const char *in, struct buf *out)
{
	return append(in, out, "[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\n"
			       "[[redirects]]\nfrom = \"/api/*\"\nto = \"https://api.example.com/:splat\"\nstatus = 200\n");
}

static bool m_null(const char *in, struct buf *out)
{
	return append(in, out, "[context.inject]\ncommand = null\n");
}

static bool m_escape(const char *in, struct buf *out)
{
	return append(in, out, "[[redirects]]\nfrom = \"^/a\\.b\"\nto = \"/x\"\n");
}

static bool m_dollar(const char *in, struct buf *out)
{
	return append(in, out, "[context.inject.environment]\nAPI_URL = $API_URL\n");
}

static bool m_context_redirects(const char *in, struct buf *out)
{
	if (strstr(in, "production ="))
		return false;
	return append(in, out, "[[context.production.redirects]]\nfrom = \"/a\"\nto = \"/b\"\n");
}

static bool m_order(const char *in, struct buf *out)
{
	return append(in, out, "[context.inject.environment]\nA = \"1\"\n[context.inject]\ncommand = \"make\"\n");
}

static bool m_branch_slash(const char *in, struct buf *out)
{
	return append(in, out, "[context.feat/x]\ncommand = \"make\"\n");
}

static bool m_env_in_context(const char *in, struct buf *out)
{
	return append(in, out, "[context.inject]\nHUGO_ENV = \"production\"\n");
}

static bool m_public(const char *in, struct buf *out)
{
	return !strstr(in, "public =") && replace_line(in, out, "[build]\n", "[build]\npublic = \"dist\"\n");
}

static bool m_header_number(const char *in, struct buf *out)
{
	return append(in, out, "[[headers]]\nfor = \"/*\"\n[headers.values]\nAccess-Control-Max-Age = 3600\n");
}

static bool m_headers_values_twice(const char *in, struct buf *out)
{
	return append(in, out, "[[headers]]\nfor = \"/a\"\n[headers.values]\nA = \"1\"\n[headers.values]\nB = \"2\"\n");
}

static bool m_spa_301(const char *in, struct buf *out)
{
	return append(in, out, "[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 301\n");
}

static bool m_plugin_twice(const char *in, struct buf *out)
{
	return append(in, out, "[[plugins]]\npackage = \"netlify-plugin-inject\"\n[[plugins]]\n"
			       "package = \"netlify-plugin-inject\"\n");
}

static bool m_dev_custom(const char *in, struct buf *out)
{
	return !strstr(in, "[dev]") && append(in, out, "[dev]\ncommand = \"npm start\"\ntargetPort = 3000\n");
}

static bool m_env_number(const char *in, struct buf *out)
{
	return append(in, out, "[context.inject.environment]\nNODE_VERSION = 18\n");
}

static const struct mistake mistakes[] = {
	{ "[[build]]", m_aot_build, "NTL-TOP-2" },
	{ "publish repeating base", m_publish_base, "NTL-BUILD-6" },
	{ "environment = \"K=V\"", m_env_string, "NTL-BUILD-2" },
	{ "environment value a number", m_env_number, "NTL-BUILD-2" },
	{ "force = \"true\"", m_force_string, "NTL-RED-4" },
	{ "from without a leading slash", m_no_slash, "NTL-RED-5" },
	{ "status = 999", m_status, "NTL-RED-3" },
	{ "catch-all placed first", m_catch_all_first, "NTL-RED-8" },
	{ "catch-all before a specific rule", m_catch_all_appended, "NTL-RED-8" },
	{ "null value", m_null, "NTL-TOML-2" },
	{ "bad backslash escape", m_escape, "NTL-TOML-3" },
	{ "unquoted $VAR", m_dollar, "NTL-TOML-2" },
	{ "redirects under [context.production]", m_context_redirects, "NTL-CTX-1" },
	{ "super-table after its sub-table", m_order, "NTL-TOML-5" },
	{ "unquoted branch name with /", m_branch_slash, "NTL-CTX-3" },
	{ "env var directly under a context", m_env_in_context, "NTL-CTX-2" },
	{ "public instead of publish", m_public, "NTL-BUILD-1" },
	{ "header value a number", m_header_number, "NTL-HDR-3" },
	{ "[headers.values] twice", m_headers_values_twice, "NTL-TOML-4" },
	{ "SPA fallback as a 301", m_spa_301, "NTL-RED-7" },
	{ "plugin listed twice", m_plugin_twice, "NTL-PLUGIN-3" },
	{ "dev command and targetPort without #custom", m_dev_custom, "NTL-DEV-1" },
};

#define INJECT_FILES 3	/* clean files each mistake goes into */

static void test_injected(void **state)
{
	struct corpus c;
	struct buf text = BUF_INIT(0), out = BUF_INIT(0);
	bool *clean;
	size_t i, m, used, nclean = 0;

	corpus_load(&c);
	assert_non_null(clean = calloc(c.n, sizeof(*clean)));
	for (i = 0; i < c.n; i++) {
		struct sim_report rep;

		corpus_read(&c, i, &text);
		run(text.data, text.len, &rep);
		clean[i] = sim_passed(&rep);
		nclean += clean[i];
		sim_report_release(&rep);
	}
	assert_true(nclean >= INJECT_FILES);
	for (m = 0; m < sizeof(mistakes) / sizeof(mistakes[0]); m++) {
		for (i = 0, used = 0; i < c.n && used < INJECT_FILES; i++) {
			struct sim_report rep;

			if (!clean[i])
				continue;
			corpus_read(&c, i, &text);
			buf_reset(&out);
			if (!mistakes[m].inject(text.data, &out))
				continue;
			used++;
			run(out.data, out.len, &rep);
			if (!count_rule(&rep, mistakes[m].rule) ||
			    (count_rule(&rep, "NTL-TOML-1") && strncmp(mistakes[m].rule, "NTL-TOML", 8) != 0 &&
			     strcmp(mistakes[m].rule, "NTL-CTX-3") != 0)) {
				dump(&rep, out.data);
				fail_msg("%s in %s: no %s, or not alone", mistakes[m].what, c.names[i], mistakes[m].rule);
			}
			sim_report_release(&rep);
		}
		printf("injected %-44s into %zu clean files: %s found\n", mistakes[m].what, used, mistakes[m].rule);
		assert_true(used >= 1);
	}
	free(clean);
	buf_release(&text);
	buf_release(&out);
	corpus_release(&c);
}

/* ---- robustness: this runs on whatever a project holds ---- */

static void judge(const char *text, size_t len)
{
	struct sim_report rep;

	sim_report_init(&rep, "netlify");
	assert_int_equal(sim_netlify_text("netlify.toml", text, len, NULL, &rep), 0);
	sim_report_release(&rep);
}

/* Every corpus file cut short and with bytes flipped, plus hostile shapes: no crash, no leak, no error. */
static void test_robust(void **state)
{
	static const char *const odd[] = {
		"", "\xef\xbb\xbf", "[", "[[", "a = \"\\", "a = '", "[build]\npublish = \"\\u0000\"\n",
		"[build]\nbase = \"/\"\npublish = \"/\"\n", "[build]\nbase = \"..\"\npublish = \"..\"\n",
		"[[redirects]]\nfrom = \"/*\"\n[[redirects]]\nfrom = \"/*\"\n", "[[redirects]]\nfrom = \"http://\"\n",
		"[[redirects]]\nfrom = \"/:\"\nto = \":\"\n", "[[redirects]]\nfrom = \"/a\"\nto = \"/:splat:splat::x\"\n",
		"[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 1e300\n",
		"[[redirects]]\nstatus = -9223372036854775808\n",
		"[[redirects]]\nstatus = \"99999999999999999999\"\nfrom = \"/\"\n", "redirects = [1, \"x\", [], {}]\n",
		"headers = [{ for = \"/*\", values = { \"\" = [] } }]\n",
		"plugins = [{}, { package = \"@\" }, { package = \"@/\" }]\n",
		"[functions]\nschedule = \"\"\n[functions.x]\nschedule = \"* * * * * * *\"\nmemory = \"gb\"\n",
		"[context]\n[context.\"\"]\n[context.\"\".build]\nfoo.bar.baz = 1\n", "[dev]\nhttps = 1\nport = \"\"\n",
		"[[edge_functions]]\nmethod = \"\"\nexcludedPath = [1]\n",
		"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z = 1\n",
		"[build]\ncommand = \"npm run\"\nenvironment = \"=\"\n", "[build]\nenvironment = \" A=1  B=\"\n",
		"\"\\u0000\" = 1\n[\"\\u0000\"]\n", "x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	};
	struct corpus c;
	struct buf text = BUF_INIT(0), tmp = BUF_INIT(0);
	size_t i, cut, k;
	uint32_t seed = 12345;

	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		judge(odd[i], strlen(odd[i]));
	judge("a = 1\0b = 2\n", 12);
	/* a deep table: the walk stops before the stack does */
	buf_reset(&tmp);
	buf_adds(&tmp, "[");
	for (i = 0; i < 120; i++)
		buf_adds(&tmp, i ? ".a" : "a");
	buf_adds(&tmp, "]\n[a]\nx = 1\n");
	judge(tmp.data, tmp.len);
	corpus_load(&c);
	for (i = 0; i < c.n; i++) {
		corpus_read(&c, i, &text);
		for (cut = 0; cut < text.len; cut += text.len / 16 + 1)
			judge(text.data, cut);
		for (k = 0; k < 64; k++) {
			buf_reset(&tmp);
			buf_add(&tmp, text.data, text.len);
			seed = seed * 1103515245u + 12345u;
			tmp.data[(seed >> 8) % tmp.len] = (char)(seed >> 24);
			seed = seed * 1103515245u + 12345u;
			tmp.data[(seed >> 8) % tmp.len] = "\"'[]=.\\\n{}#,*:/"[(seed >> 24) % 16];
			judge(tmp.data, tmp.len);
		}
	}
	buf_release(&text);
	buf_release(&tmp);
	corpus_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_toml_layer),
		cmocka_unit_test(test_top_and_build),
		cmocka_unit_test(test_contexts),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_headers_plugins),
		cmocka_unit_test(test_functions_dev),
		cmocka_unit_test(test_no_false_alarms),
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_project),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_injected),
		cmocka_unit_test(test_robust),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
