/* Fuzz target for the simulators: any bytes as netlify.toml and as render.yaml. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/yaml/yaml_libyaml.h"
#include "platform/platform.h"
#include "platform/netlify/netlify.h"
#include "platform/render/render.h"
#include "fuzz.h"
#include "util/err.h"

const char *const fuzz_seeds[] = {
	"[build]\n  command = \"npm run build\"\n  publish = \"dist\"\n",
	"[[redirects]]\n  from = \"/*\"\n  to = \"/index.html\"\n  status = 200\n",
	"[[build]]\ncommand = \"x\"\n[[redirects]]\nfrom = \"old\"\nforce = \"true\"\nstatus = 999\n",
	"[context.production.environment]\nA = \"1\"\n[context.production]\ncommand = \"y\"\n",
	"[[headers]]\n  for = \"/*\"\n  [headers.values]\n    X = 1\n",
	"a = null\nb = $X\nc = \"\\.\"\n",
	"services:\n  - type: web\n    name: app\n    runtime: node\n    plan: starter\n    buildCommand: npm ci\n"
	    "    startCommand: npm start\n    envVars:\n      - key: DB\n        fromDatabase:\n          name: db\n"
	    "          property: connectionString\ndatabases:\n  - name: db\n",
	"services:\n  - type: cron\n    name: job\n    env: python\n    schedule: * * * * *\n",
	"services:\n  - type: web\n    name: a\n  - type: web\n    name: a\n    plan: Starter\n    region: europe\n",
	"services:\n- type: static\n  name: s\n  plan: free\n  healthCheckPath: health\n",
	"%YAML 1.2\n---\nservices: []\n",
	"- just\n- a list\n",
	"key: [unclosed\n",
	"",
	NULL,
};

static void check_report(const struct sim_report *rep, const char *prefix)
{
	size_t i, sum = 0, counted[SIM_SEVERITIES] = { 0 };

	for (i = 0; i < SIM_SEVERITIES; i++)
		sum += rep->count[i];
	FUZZ_CHECK(sum == rep->n, "%s: the counts add to %zu, not the %zu issues", prefix, sum, rep->n);
	for (i = 0; i < rep->n; i++) {
		const struct sim_issue *is = &rep->issues[i];

		FUZZ_CHECK(strncmp(is->rule, prefix, strlen(prefix)) == 0, "issue %zu has rule '%s'", i, is->rule);
		FUZZ_CHECK(is->line >= 0 && is->col >= 0 && (is->line > 0 || is->col == 0),
			   "issue %zu (%s) at %d:%d", i, is->rule, is->line, is->col);
		FUZZ_CHECK(is->message[0] != '\0', "issue %zu (%s) has no message", i, is->rule);
		FUZZ_CHECK(is->fix == SIM_FIX_NONE || is->fix_text[0] != '\0', "issue %zu (%s): a fix without text", i,
			   is->rule);
		counted[is->severity]++;
	}
	for (i = 0; i < SIM_SEVERITIES; i++)
		FUZZ_CHECK(counted[i] == rep->count[i], "%s: %s counted %zu, found %zu", prefix, sim_severity_name(i),
			   rep->count[i], counted[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_report rep;
	int r;

	platform_use_yaml(&yaml_libyaml_parser);
	fuzz_begin(data, size);
	sim_report_init(&rep, "netlify");
	r = sim_netlify_text("netlify.toml", (const char *)data, size, NULL, &rep);
	FUZZ_CHECK(r == 0 || r == ERR_NOMEM, "sim_netlify_text returned %d: %s", r, err_msg());
	check_report(&rep, "NTL-");
	sim_report_release(&rep);

	sim_report_init(&rep, "render");
	r = sim_render_text("render.yaml", (const char *)data, size, NULL, &rep);
	FUZZ_CHECK(r == 0 || r == ERR_NOMEM || r == ERR_LIMIT, "sim_render_text returned %d: %s", r, err_msg());
	check_report(&rep, "RND-");
	sim_report_release(&rep);
	return 0;
}
