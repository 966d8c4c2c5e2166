/* Unit tests for platform/render: each rule on a small file, the real corpus, and mistakes injected into it. */
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
#include <unistd.h>

#include "adapters/yaml/yaml_libyaml.h"
#include "platform/platform.h"
#include "platform/sim.h"
#include "platform/render/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define LIT(s) s, sizeof(s) - 1

/* One rule on one small render.yaml: the issue that must come out, and where. */
struct rcase {
	const char *name;
	const char *yaml;
	const char *rule;
	enum sim_severity sev;
	int line, col;
	enum sim_fix fix;
};

static void dump(const struct sim_report *rep)
{
	struct buf out = BUF_INIT(0);

	sim_report_text(rep, &out);
	print_message("%s", out.data);
	buf_release(&out);
}

static const struct sim_issue *find(const struct sim_report *rep, const char *rule, int line)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		if (!strcmp(rep->issues[i].rule, rule) && (line < 0 || rep->issues[i].line == line))
			return &rep->issues[i];
	return NULL;
}

static void run(const char *yaml, struct sim_report *rep)
{
	sim_report_init(rep, "render");
	assert_int_equal(sim_render_text("render.yaml", yaml, strlen(yaml), NULL, rep), 0);
}

/* Run case K; false (after printing the report) when its issue is missing or elsewhere. */
static bool check_case(const struct rcase *k)
{
	struct sim_report rep;
	const struct sim_issue *is;
	bool ok;

	run(k->yaml, &rep);
	is = find(&rep, k->rule, k->line);
	ok = is && is->severity == k->sev && is->col == k->col && is->fix == k->fix &&
	     (is->fix == SIM_FIX_NONE || is->fix_text[0]);
	if (!ok) {
		print_message("case '%s': want %s %s at %d:%d fix %d; got %s at that line\n", k->name,
			      sim_severity_name(k->sev), k->rule, k->line, k->col, (int)k->fix,
			      is ? sim_severity_name(is->severity) : "nothing");
		dump(&rep);
	}
	sim_report_release(&rep);
	return ok;
}

#define SVC "services:\n  - type: web\n    name: api\n    runtime: node\n    buildCommand: npm ci\n    startCommand: npm start\n"
#define ENVS SVC "    envVars:\n"

static const struct rcase yaml_cases[] = {
	{ "tab indentation", "services:\n\t- type: web\n", "RND-YAML-1", SIM_CRITICAL, 2, 1, SIM_FIX_NONE },
	{ "unclosed flow", "services: [\n", "RND-YAML-1", SIM_CRITICAL, 2, 1, SIM_FIX_NONE },
	{ "unquoted cron", "services:\n  - type: cron\n    name: job\n    runtime: node\n    schedule: */5 * * * *\n",
	  "RND-YAML-1", SIM_CRITICAL, 5, 15, SIM_FIX_HEAL },
	{ "root is a list", "- type: web\n", "RND-YAML-1", SIM_CRITICAL, 1, 3, SIM_FIX_NONE },
	{ "empty file", "# nothing\n", "RND-YAML-1", SIM_CRITICAL, 0, 0, SIM_FIX_NONE },
	{ "not UTF-8", "services: [\xb6]\n", "RND-YAML-1", SIM_CRITICAL, 1, 12, SIM_FIX_NONE },
	{ "undefined alias", SVC "    region: *where\n", "RND-YAML-1", SIM_CRITICAL, 7, 13, SIM_FIX_NONE },
	{ "two documents", SVC "---\nservices: []\n", "RND-YAML-1", SIM_CRITICAL, 8, 1, SIM_FIX_NONE },
	{ "duplicate key", SVC "    name: api2\n", "RND-YAML-2", SIM_CRITICAL, 7, 5, SIM_FIX_NONE },
	{ "env twice, once a list",
	  "services:\n  - type: web\n    name: api\n    env: docker\n    env:\n      - key: A\n        value: b\n",
	  "RND-YAML-2", SIM_CRITICAL, 5, 5, SIM_FIX_HEAL },
	{ "generation: off", "previews:\n  generation: off\n" SVC, "RND-YAML-3", SIM_MEDIUM, 2, 15, SIM_FIX_HEAL },
	{ "buildCommand: true", "services:\n  - type: web\n    name: api\n    runtime: node\n    buildCommand: true\n"
	  "    startCommand: npm start\n", "RND-YAML-3", SIM_HIGH, 5, 19, SIM_FIX_HEAL },
	{ "autoDeploy: yes", SVC "    autoDeploy: yes\n", "RND-YAML-3", SIM_MEDIUM, 7, 17, SIM_FIX_HEAL },
	{ "version 3.10", ENVS "      - key: PYTHON_VERSION\n        value: 3.10\n", "RND-YAML-4", SIM_HIGH, 9, 16,
	  SIM_FIX_HEAL },
	{ "postgres 16", "databases:\n  - name: db\n    postgresMajorVersion: 16\n", "RND-YAML-4", SIM_MEDIUM, 3, 27,
	  SIM_FIX_HEAL },
	{ "version: 1", "version: 1\n" SVC, "RND-YAML-4", SIM_MEDIUM, 1, 10, SIM_FIX_HEAL },
};

static const struct rcase root_cases[] = {
	{ "unknown root key", SVC "servces: []\n", "RND-ROOT-1", SIM_CRITICAL, 7, 1, SIM_FIX_HEAL },
	{ "nothing to deploy", "previews:\n  generation: manual\n", "RND-ROOT-2", SIM_CRITICAL, 1, 1, SIM_FIX_NONE },
	{ "services not a list", "services:\n  type: web\n", "RND-ROOT-3", SIM_CRITICAL, 2, 3, SIM_FIX_NONE },
	{ "version 2", "version: \"2\"\n" SVC, "RND-ROOT-3", SIM_CRITICAL, 1, 10, SIM_FIX_NONE },
	{ "bad generation", "previews:\n  generation: always\n" SVC, "RND-PREV-1", SIM_CRITICAL, 2, 15, SIM_FIX_NONE },
	{ "previewsEnabled", "previewsEnabled: true\n" SVC, "RND-PREV-2", SIM_MEDIUM, 1, 1, SIM_FIX_HEAL },
	{ "previewsExpireAfterDays", "previewsExpireAfterDays: 3\n" SVC, "RND-PREV-2", SIM_MEDIUM, 1, 1, SIM_FIX_HEAL },
	{ "branch with previews", "previews:\n  generation: automatic\n" SVC "    branch: main\n", "RND-PREV-3",
	  SIM_MEDIUM, 9, 5, SIM_FIX_NONE },
	{ "environment without name",
	  "projects:\n  - name: app\n    environments:\n      - services: []\n", "RND-PRJ-1", SIM_CRITICAL, 4, 9,
	  SIM_FIX_NONE },
	{ "bad isolation",
	  "projects:\n  - name: app\n    environments:\n      - name: prod\n        networking:\n"
	  "          isolation: on\n", "RND-PRJ-1", SIM_CRITICAL, 6, 22, SIM_FIX_NONE },
};

static const struct rcase svc_cases[] = {
	{ "no type", "services:\n  - name: api\n    runtime: node\n", "RND-SVC-1", SIM_CRITICAL, 2, 5, SIM_FIX_NONE },
	{ "unknown type", "services:\n  - type: webb\n    name: api\n", "RND-SVC-1", SIM_CRITICAL, 2, 11,
	  SIM_FIX_SUGGEST },
	{ "type redis", "services:\n  - type: redis\n    name: r\n    ipAllowList: []\n", "RND-SVC-1", SIM_MEDIUM, 2, 11,
	  SIM_FIX_HEAL },
	{ "type static", "services:\n  - type: static\n    name: s\n    staticPublishPath: dist\n", "RND-SVC-1",
	  SIM_CRITICAL, 2, 11, SIM_FIX_HEAL },
	{ "postgres as a service", "services:\n  - type: postgres\n    name: db\n", "RND-SVC-1", SIM_CRITICAL, 2, 11,
	  SIM_FIX_SUGGEST },
	{ "no name", "services:\n  - type: web\n    runtime: docker\n", "RND-SVC-2", SIM_CRITICAL, 2, 5, SIM_FIX_NONE },
	{ "duplicate name", SVC "  - type: worker\n    name: api\n    runtime: docker\n", "RND-SVC-2", SIM_CRITICAL, 8,
	  11, SIM_FIX_NONE },
	{ "db named like a service", SVC "databases:\n  - name: api\n", "RND-SVC-2", SIM_LOW, 8, 11, SIM_FIX_NONE },
	{ "legacy env", "services:\n  - type: web\n    name: api\n    env: docker\n", "RND-SVC-3", SIM_MEDIUM, 4, 5,
	  SIM_FIX_HEAL },
	{ "env equals runtime", SVC "    env: node\n", "RND-SVC-3", SIM_MEDIUM, 7, 5, SIM_FIX_HEAL },
	{ "env disagrees", SVC "    env: python\n", "RND-SVC-3", SIM_CRITICAL, 7, 5, SIM_FIX_NONE },
	{ "no runtime", "services:\n  - type: worker\n    name: w\n", "RND-SVC-3", SIM_CRITICAL, 2, 5, SIM_FIX_NONE },
	{ "runtime nodejs", "services:\n  - type: web\n    name: api\n    runtime: nodejs\n", "RND-SVC-4", SIM_CRITICAL,
	  4, 14, SIM_FIX_HEAL },
	{ "runtime cobol", "services:\n  - type: web\n    name: api\n    runtime: cobol\n", "RND-SVC-4", SIM_CRITICAL, 4,
	  14, SIM_FIX_NONE },
	{ "plan Starter", SVC "    plan: Starter\n", "RND-SVC-5", SIM_CRITICAL, 7, 11, SIM_FIX_HEAL },
	{ "plan basic_256mb", "databases:\n  - name: db\n    plan: basic_256mb\n", "RND-SVC-5", SIM_CRITICAL, 3, 11,
	  SIM_FIX_HEAL },
	{ "plan starter plus", SVC "    plan: starter plus\n", "RND-SVC-5", SIM_CRITICAL, 7, 11, SIM_FIX_SUGGEST },
	{ "plan huge", SVC "    plan: huge\n", "RND-SVC-5", SIM_CRITICAL, 7, 11, SIM_FIX_NONE },
	{ "region europe", SVC "    region: europe\n", "RND-SVC-6", SIM_CRITICAL, 7, 13, SIM_FIX_SUGGEST },
	{ "region Oregon", SVC "    region: Oregon\n", "RND-SVC-6", SIM_CRITICAL, 7, 13, SIM_FIX_HEAL },
	{ "regions apart", ENVS "      - key: DB\n        fromDatabase:\n          name: db\n"
	  "          property: connectionString\ndatabases:\n  - name: db\n    region: ohio\n", "RND-SVC-6", SIM_HIGH,
	  10, 17, SIM_FIX_NONE },
	{ "unknown service key", SVC "    startcommand: x\n", "RND-SVC-7", SIM_CRITICAL, 7, 5, SIM_FIX_HEAL },
	{ "static key on a node service", SVC "    staticPublishPath: dist\n", "RND-SVC-7", SIM_CRITICAL, 7, 5,
	  SIM_FIX_SUGGEST },
	{ "autoDeploy", SVC "    autoDeploy: false\n", "RND-SVC-8", SIM_MEDIUM, 7, 5, SIM_FIX_HEAL },
	{ "service previewPlan", SVC "    previewPlan: starter\n", "RND-SVC-8", SIM_MEDIUM, 7, 5, SIM_FIX_HEAL },
	{ "bad autoDeployTrigger", SVC "    autoDeployTrigger: always\n", "RND-SVC-9", SIM_CRITICAL, 7, 24,
	  SIM_FIX_NONE },
	{ "autoDeploy and trigger", SVC "    autoDeployTrigger: commit\n    autoDeploy: true\n", "RND-SVC-9", SIM_MEDIUM,
	  8, 5, SIM_FIX_SUGGEST },
	{ "buildFilter half", SVC "    buildFilter:\n      paths: [src/**]\n", "RND-SVC-10", SIM_MEDIUM, 7, 5,
	  SIM_FIX_SUGGEST },
	{ "numInstances 0", SVC "    numInstances: 0\n", "RND-SVC-11", SIM_CRITICAL, 7, 19, SIM_FIX_NONE },
	{ "numInstances quoted", SVC "    numInstances: \"2\"\n", "RND-SVC-11", SIM_CRITICAL, 7, 19, SIM_FIX_SUGGEST },
	{ "maxShutdownDelaySeconds", SVC "    maxShutdownDelaySeconds: 301\n", "RND-SVC-11", SIM_CRITICAL, 7, 30,
	  SIM_FIX_NONE },
	{ "domain URL", SVC "    domains:\n      - https://example.com\n", "RND-SVC-11", SIM_CRITICAL, 8, 9,
	  SIM_FIX_SUGGEST },
	{ "ipAllowList entry", SVC "    ipAllowList:\n      - source: 10.0.0.0/33\n", "RND-SVC-11", SIM_CRITICAL, 8,
	  17, SIM_FIX_NONE },
};

static const struct rcase kind_cases[] = {
	{ "no startCommand", "services:\n  - type: web\n    name: api\n    runtime: python\n    buildCommand: pip\n",
	  "RND-CMD-1", SIM_CRITICAL, 2, 5, SIM_FIX_NONE },
	{ "no buildCommand", "services:\n  - type: web\n    name: api\n    runtime: ruby\n    startCommand: puma\n",
	  "RND-CMD-2", SIM_MEDIUM, 2, 5, SIM_FIX_NONE },
	{ "startCommand on docker", "services:\n  - type: web\n    name: api\n    runtime: docker\n    startCommand: x\n",
	  "RND-CMD-3", SIM_MEDIUM, 5, 5, SIM_FIX_SUGGEST },
	{ "image without url", "services:\n  - type: web\n    name: api\n    runtime: image\n    image:\n"
	  "      creds:\n        fromRegistryCreds:\n          name: c\n", "RND-IMG-1", SIM_CRITICAL, 5, 5,
	  SIM_FIX_NONE },
	{ "healthCheckPath health", SVC "    healthCheckPath: health\n", "RND-HC-1", SIM_CRITICAL, 7, 22,
	  SIM_FIX_SUGGEST },
	{ "healthCheckPath on worker", "services:\n  - type: worker\n    name: w\n    runtime: docker\n"
	  "    healthCheckPath: /h\n", "RND-HC-1", SIM_MEDIUM, 5, 5, SIM_FIX_SUGGEST },
	{ "free worker", "services:\n  - type: worker\n    name: w\n    runtime: docker\n    plan: free\n", "RND-FREE-1",
	  SIM_CRITICAL, 5, 11, SIM_FIX_SUGGEST },
	{ "free cron", "services:\n  - type: cron\n    name: c\n    runtime: docker\n    plan: free\n"
	  "    schedule: \"0 * * * *\"\n", "RND-FREE-1", SIM_CRITICAL, 5, 11, SIM_FIX_SUGGEST },
	{ "free preDeploy", SVC "    plan: free\n    preDeployCommand: rake db:migrate\n", "RND-FREE-2", SIM_CRITICAL, 8,
	  5, SIM_FIX_SUGGEST },
	{ "free disk", SVC "    plan: free\n    disk:\n      name: d\n      mountPath: /data\n", "RND-FREE-2",
	  SIM_CRITICAL, 8, 5, SIM_FIX_SUGGEST },
	{ "disk mountPath", SVC "    disk:\n      name: d\n      mountPath: data\n", "RND-DISK-1", SIM_CRITICAL, 9, 18,
	  SIM_FIX_SUGGEST },
	{ "disk without name", SVC "    disk:\n      mountPath: /data\n", "RND-DISK-1", SIM_CRITICAL, 7, 5,
	  SIM_FIX_NONE },
	{ "disk sizeGB 0", SVC "    disk:\n      name: d\n      mountPath: /data\n      sizeGB: 0\n", "RND-DISK-1",
	  SIM_CRITICAL, 10, 15, SIM_FIX_NONE },
	{ "disk and instances", SVC "    numInstances: 2\n    disk:\n      name: d\n      mountPath: /data\n",
	  "RND-DISK-2", SIM_CRITICAL, 8, 5, SIM_FIX_NONE },
	{ "scaling min over max", SVC "    scaling:\n      minInstances: 3\n      maxInstances: 2\n"
	  "      targetCPUPercent: 60\n", "RND-SCALE-1", SIM_CRITICAL, 8, 21, SIM_FIX_NONE },
	{ "scaling target 95", SVC "    scaling:\n      minInstances: 1\n      maxInstances: 2\n"
	  "      targetMemoryPercent: 95\n", "RND-SCALE-1", SIM_CRITICAL, 10, 28, SIM_FIX_NONE },
	{ "scaling without target", SVC "    scaling:\n      minInstances: 1\n      maxInstances: 2\n", "RND-SCALE-1",
	  SIM_CRITICAL, 7, 5, SIM_FIX_NONE },
	{ "numInstances and scaling", SVC "    numInstances: 2\n    scaling:\n      minInstances: 1\n"
	  "      maxInstances: 2\n      targetCPUPercent: 60\n", "RND-SCALE-2", SIM_MEDIUM, 7, 5, SIM_FIX_SUGGEST },
	{ "cron without schedule", "services:\n  - type: cron\n    name: c\n    runtime: docker\n", "RND-CRON-1",
	  SIM_CRITICAL, 2, 5, SIM_FIX_NONE },
	{ "cron three fields", "services:\n  - type: cron\n    name: c\n    runtime: docker\n    schedule: \"* * *\"\n",
	  "RND-CRON-2", SIM_CRITICAL, 5, 15, SIM_FIX_NONE },
	{ "cron minute 60", "services:\n  - type: cron\n    name: c\n    runtime: docker\n    schedule: \"60 * * * *\"\n",
	  "RND-CRON-2", SIM_CRITICAL, 5, 15, SIM_FIX_NONE },
	{ "cron with disk", "services:\n  - type: cron\n    name: c\n    runtime: docker\n    schedule: \"0 * * * *\"\n"
	  "    disk:\n      name: d\n      mountPath: /d\n", "RND-CRON-3", SIM_CRITICAL, 6, 5, SIM_FIX_SUGGEST },
	{ "keyvalue without ipAllowList", "services:\n  - type: keyvalue\n    name: kv\n", "RND-KV-1", SIM_CRITICAL, 2,
	  5, SIM_FIX_HEAL },
	{ "maxmemoryPolicy", "services:\n  - type: keyvalue\n    name: kv\n    ipAllowList: []\n"
	  "    maxmemoryPolicy: lru\n", "RND-KV-2", SIM_CRITICAL, 5, 22, SIM_FIX_NONE },
	{ "keyvalue with startCommand", "services:\n  - type: keyvalue\n    name: kv\n    ipAllowList: []\n"
	  "    startCommand: redis-server\n", "RND-KV-3", SIM_CRITICAL, 5, 5, SIM_FIX_SUGGEST },
	{ "static without path", "services:\n  - type: web\n    name: s\n    runtime: static\n", "RND-STATIC-1",
	  SIM_CRITICAL, 2, 5, SIM_FIX_SUGGEST },
	{ "static with plan", "services:\n  - type: web\n    name: s\n    runtime: static\n    staticPublishPath: dist\n"
	  "    plan: starter\n", "RND-STATIC-2", SIM_CRITICAL, 6, 5, SIM_FIX_HEAL },
	{ "static with disk", "services:\n  - type: web\n    name: s\n    env: static\n    staticPublishPath: dist\n"
	  "    disk:\n      name: d\n      mountPath: /d\n", "RND-STATIC-2", SIM_CRITICAL, 6, 5, SIM_FIX_SUGGEST },
	{ "route source URL", "services:\n  - type: web\n    name: s\n    runtime: static\n    staticPublishPath: dist\n"
	  "    routes:\n      - type: redirect\n        source: https://a.com/x\n        destination: /y\n",
	  "RND-STATIC-3", SIM_CRITICAL, 8, 17, SIM_FIX_NONE },
	{ "route type", "services:\n  - type: web\n    name: s\n    runtime: static\n    staticPublishPath: dist\n"
	  "    routes:\n      - type: proxy\n        source: /a\n        destination: /b\n", "RND-STATIC-3",
	  SIM_CRITICAL, 7, 15, SIM_FIX_NONE },
	{ "header without value", "services:\n  - type: web\n    name: s\n    runtime: static\n"
	  "    staticPublishPath: dist\n    headers:\n      - path: /*\n        name: X-A\n", "RND-STATIC-4",
	  SIM_CRITICAL, 7, 9, SIM_FIX_NONE },
};

static const struct rcase env_cases[] = {
	{ "entry without key", ENVS "      - value: x\n", "RND-ENV-1", SIM_CRITICAL, 8, 9, SIM_FIX_NONE },
	{ "fromGroup with key", ENVS "      - key: A\n        fromGroup: g\nenvVarGroups:\n  - name: g\n    envVars: []\n",
	  "RND-ENV-1", SIM_CRITICAL, 9, 9, SIM_FIX_HEAL },
	{ "entry as a string", ENVS "      - A=b\n", "RND-ENV-1", SIM_CRITICAL, 8, 9, SIM_FIX_SUGGEST },
	{ "envVars as a mapping", SVC "    envVars:\n      A: b\n", "RND-ENV-1", SIM_CRITICAL, 8, 7, SIM_FIX_SUGGEST },
	{ "value and sync", ENVS "      - key: A\n        value: x\n        sync: false\n", "RND-ENV-2", SIM_CRITICAL, 10,
	  9, SIM_FIX_HEAL },
	{ "value and fromDatabase", ENVS "      - key: A\n        value: x\n        fromDatabase:\n          name: db\n"
	  "          property: host\ndatabases:\n  - name: db\n", "RND-ENV-2", SIM_CRITICAL, 10, 9, SIM_FIX_SUGGEST },
	{ "no source", ENVS "      - key: A\n", "RND-ENV-3", SIM_CRITICAL, 8, 14, SIM_FIX_HEAL },
	{ "sync true", ENVS "      - key: A\n        sync: true\n", "RND-ENV-4", SIM_MEDIUM, 9, 9, SIM_FIX_HEAL },
	{ "generateValue false", ENVS "      - key: A\n        generateValue: false\n", "RND-ENV-4", SIM_MEDIUM, 9, 9,
	  SIM_FIX_HEAL },
	{ "undeclared database", ENVS "      - key: A\n        fromDatabase:\n          name: db2\n"
	  "          property: host\ndatabases:\n  - name: db\n", "RND-ENV-5", SIM_HIGH, 10, 17, SIM_FIX_SUGGEST },
	{ "database property", ENVS "      - key: A\n        fromDatabase:\n          name: db\n"
	  "          property: url\ndatabases:\n  - name: db\n", "RND-ENV-5", SIM_CRITICAL, 11, 21, SIM_FIX_NONE },
	{ "undeclared service", ENVS "      - key: A\n        fromService:\n          name: nope\n          type: pserv\n"
	  "          property: host\n", "RND-ENV-6", SIM_CRITICAL, 10, 17, SIM_FIX_NONE },
	{ "service type wrong", ENVS "      - key: A\n        fromService:\n          name: w\n          type: pserv\n"
	  "          property: host\n  - type: worker\n    name: w\n    runtime: docker\n", "RND-ENV-6",
	  SIM_CRITICAL, 11, 17, SIM_FIX_HEAL },
	{ "envVarKey undeclared", ENVS "      - key: A\n        fromService:\n          name: w\n          type: worker\n"
	  "          envVarKey: TOKEN\n  - type: worker\n    name: w\n    runtime: docker\n    envVars:\n"
	  "      - key: OTHER\n        value: x\n", "RND-ENV-6", SIM_CRITICAL, 12, 22, SIM_FIX_SUGGEST },
	{ "property and envVarKey", ENVS "      - key: A\n        fromService:\n          name: api\n          type: web\n"
	  "          property: host\n          envVarKey: B\n", "RND-ENV-6", SIM_CRITICAL, 9, 9, SIM_FIX_NONE },
	{ "value true", ENVS "      - key: DEBUG\n        value: true\n", "RND-ENV-7", SIM_MEDIUM, 9, 16, SIM_FIX_HEAL },
	{ "duplicate env key", ENVS "      - key: A\n        value: x\n      - key: A\n        value: y\n", "RND-ENV-8",
	  SIM_MEDIUM, 10, 14, SIM_FIX_NONE },
	{ "hardcoded secret", ENVS "      - key: JWT_SECRET\n        value: supersecretkey123\n", "RND-ENV-9", SIM_MEDIUM, 9,
	  16, SIM_FIX_SUGGEST },
	{ "password in URL", ENVS "      - key: DB\n        value: postgres://u:hunter2@db:5432/x\n", "RND-ENV-9",
	  SIM_MEDIUM, 9, 16, SIM_FIX_SUGGEST },
	{ "PORT", ENVS "      - key: PORT\n        value: \"3000\"\n", "RND-ENV-10", SIM_LOW, 8, 14, SIM_FIX_NONE },
	{ "no interpolation", ENVS "      - key: URL\n        value: \"${HOST}/api\"\n", "RND-ENV-11", SIM_HIGH, 9, 16,
	  SIM_FIX_SUGGEST },
};

static const struct rcase group_db_cases[] = {
	{ "group envVars null", SVC "envVarGroups:\n  - name: g\n    envVars:\n", "RND-GRP-1", SIM_CRITICAL, 9, 5,
	  SIM_FIX_NONE },
	{ "group without name", SVC "envVarGroups:\n  - envVars: []\n", "RND-GRP-1", SIM_CRITICAL, 8, 5, SIM_FIX_NONE },
	{ "group fromDatabase", SVC "envVarGroups:\n  - name: g\n    envVars:\n      - key: A\n        fromDatabase:\n"
	  "          name: db\n          property: host\ndatabases:\n  - name: db\n", "RND-GRP-2", SIM_CRITICAL, 11, 9,
	  SIM_FIX_NONE },
	{ "group sync false", SVC "envVarGroups:\n  - name: g\n    envVars:\n      - key: A\n        sync: false\n",
	  "RND-GRP-2", SIM_MEDIUM, 11, 9, SIM_FIX_NONE },
	{ "group names", SVC "envVarGroups:\n  - name: g\n    envVars: []\n  - name: g\n    envVars: []\n", "RND-GRP-3",
	  SIM_CRITICAL, 10, 11, SIM_FIX_NONE },
	{ "undeclared group", ENVS "      - fromGroup: shared\n", "RND-GRP-4", SIM_MEDIUM, 8, 20, SIM_FIX_NONE },
	{ "unused group", SVC "envVarGroups:\n  - name: g\n    envVars: []\n", "RND-GRP-5", SIM_LOW, 8, 11,
	  SIM_FIX_NONE },
	{ "database without name", "databases:\n  - plan: starter\n", "RND-DB-1", SIM_CRITICAL, 2, 5, SIM_FIX_NONE },
	{ "database names", "databases:\n  - name: db\n  - name: db\n", "RND-DB-1", SIM_CRITICAL, 3, 11, SIM_FIX_NONE },
	{ "databaseUser", "databases:\n  - name: db\n    databaseUser: u\n", "RND-DB-2", SIM_CRITICAL, 3, 5,
	  SIM_FIX_HEAL },
	{ "disk 7", "databases:\n  - name: db\n    diskSizeGB: 7\n", "RND-DB-3", SIM_CRITICAL, 3, 17, SIM_FIX_SUGGEST },
	{ "postgres 9", "databases:\n  - name: db\n    postgresMajorVersion: \"9\"\n", "RND-DB-4", SIM_CRITICAL, 3, 27,
	  SIM_FIX_NONE },
	{ "highAvailability", "databases:\n  - name: db\n    highAvailability: {}\n", "RND-DB-5", SIM_CRITICAL, 3, 5,
	  SIM_FIX_NONE },
	{ "readReplicas []", "databases:\n  - name: db\n    readReplicas: []\n", "RND-DB-6", SIM_HIGH, 3, 5,
	  SIM_FIX_NONE },
	{ "plan families", "databases:\n  - name: db\n    plan: basic-1gb\n    previewPlan: starter\n", "RND-DB-7",
	  SIM_MEDIUM, 4, 18, SIM_FIX_NONE },
	{ "free database", "databases:\n  - name: db\n    plan: free\n", "RND-DB-8", SIM_LOW, 3, 11, SIM_FIX_NONE },
};

static void run_cases(const struct rcase *k, size_t n)
{
	size_t i, failed = 0;

	for (i = 0; i < n; i++)
		failed += !check_case(&k[i]);
	if (failed)
		fail_msg("%zu of %zu cases failed", failed, n);
}

static void test_yaml_rules(void **state)
{
	run_cases(yaml_cases, NELEM(yaml_cases));
}

static void test_root_rules(void **state)
{
	run_cases(root_cases, NELEM(root_cases));
}

static void test_service_rules(void **state)
{
	run_cases(svc_cases, NELEM(svc_cases));
}

static void test_kind_rules(void **state)
{
	run_cases(kind_cases, NELEM(kind_cases));
}

static void test_env_rules(void **state)
{
	run_cases(env_cases, NELEM(env_cases));
}

static void test_group_db_rules(void **state)
{
	run_cases(group_db_cases, NELEM(group_db_cases));
}

static const char clean_yaml[] =
	"services:\n"
	"  - type: web\n"
	"    name: api\n"
	"    runtime: node\n"
	"    plan: starter\n"
	"    region: frankfurt\n"
	"    buildCommand: npm ci\n"
	"    startCommand: npm start\n"
	"    healthCheckPath: /health\n"
	"    autoDeployTrigger: commit\n"
	"    domains: [api.example.com]\n"
	"    buildFilter:\n"
	"      paths: [src/**]\n"
	"      ignoredPaths: [docs/**]\n"
	"    envVars:\n"
	"      - key: NODE_VERSION\n"
	"        value: \"20\"\n"
	"      - key: WEB_CONCURRENCY\n"
	"        value: 4\n"
	"      - key: DATABASE_URL\n"
	"        fromDatabase:\n"
	"          name: db\n"
	"          property: connectionString\n"
	"      - key: REDIS_URL\n"
	"        fromService:\n"
	"          type: keyvalue\n"
	"          name: cache\n"
	"          property: connectionString\n"
	"      - key: SECRET_KEY_BASE\n"
	"        generateValue: true\n"
	"      - key: STRIPE_KEY\n"
	"        sync: false\n"
	"      - fromGroup: shared\n"
	"  - type: worker\n"
	"    name: jobs\n"
	"    runtime: python\n"
	"    region: frankfurt\n"
	"    buildCommand: pip install -r requirements.txt\n"
	"    startCommand: python worker.py\n"
	"    disk:\n"
	"      name: data\n"
	"      mountPath: /var/data\n"
	"      sizeGB: 5\n"
	"    envVars:\n"
	"      - key: NODE_VERSION\n"
	"        fromService:\n"
	"          type: web\n"
	"          name: api\n"
	"          envVarKey: NODE_VERSION\n"
	"  - type: pserv\n"
	"    name: search\n"
	"    runtime: docker\n"
	"    region: frankfurt\n"
	"    scaling:\n"
	"      minInstances: 1\n"
	"      maxInstances: 3\n"
	"      targetCPUPercent: 60\n"
	"  - type: cron\n"
	"    name: nightly\n"
	"    runtime: node\n"
	"    region: frankfurt\n"
	"    schedule: \"*/15 9-17 * JAN-DEC MON-FRI\"\n"
	"    buildCommand: npm ci\n"
	"    startCommand: node nightly.js\n"
	"  - type: keyvalue\n"
	"    name: cache\n"
	"    region: frankfurt\n"
	"    plan: starter\n"
	"    ipAllowList:\n"
	"      - source: 203.0.113.0/24\n"
	"        description: office\n"
	"    maxmemoryPolicy: noeviction\n"
	"  - type: web\n"
	"    name: site\n"
	"    runtime: static\n"
	"    buildCommand: npm run build\n"
	"    staticPublishPath: dist\n"
	"    routes:\n"
	"      - type: rewrite\n"
	"        source: /*\n"
	"        destination: /index.html\n"
	"    headers:\n"
	"      - path: /*\n"
	"        name: X-Frame-Options\n"
	"        value: DENY\n"
	"databases:\n"
	"  - name: db\n"
	"    region: frankfurt\n"
	"    plan: basic-256mb\n"
	"    postgresMajorVersion: \"16\"\n"
	"    diskSizeGB: 5\n"
	"    highAvailability:\n"
	"      enabled: false\n"
	"envVarGroups:\n"
	"  - name: shared\n"
	"    envVars:\n"
	"      - key: LOG_LEVEL\n"
	"        value: info\n"
	"previews:\n"
	"  generation: manual\n"
	"  expireAfterDays: 3\n";

/* A file using most fields the right way draws no issue at all. */
static void test_clean_file(void **state)
{
	struct sim_report rep;

	run(clean_yaml, &rep);
	if (rep.n) {
		dump(&rep);
		fail_msg("a clean render.yaml drew %zu issues", rep.n);
	}
	assert_true(sim_passed(&rep));
	sim_report_release(&rep);
}

/* Issues come out in file order, each with a place, and the report's counts add up. */
static void test_order_and_counts(void **state)
{
	struct sim_report rep;
	size_t i, sum = 0;

	run("services:\n  - type: web\n    name: api\n    env: nodejs\n    plan: Pro\n    region: mars\n"
	    "    healthCheckPath: x\n    numInstances: -1\n", &rep);
	assert_true(rep.n >= 5);
	for (i = 1; i < rep.n; i++)
		assert_true(rep.issues[i - 1].line < rep.issues[i].line ||
			    (rep.issues[i - 1].line == rep.issues[i].line && rep.issues[i - 1].col <= rep.issues[i].col));
	for (i = 0; i < SIM_SEVERITIES; i++)
		sum += rep.count[i];
	assert_int_equal(sum, rep.n);
	assert_string_equal(rep.issues[0].file, "render.yaml");
	sim_report_release(&rep);
}

/* Nothing the YAML parser would print reaches stderr, and odd bytes never crash. */
static void test_odd_inputs(void **state)
{
	static const struct {
		const char *text;
		size_t len;
	} inputs[] = {
		{ LIT("") }, { LIT("\n") }, { LIT("---\n") }, { LIT("~\n") }, { LIT("services:\n") },
		{ LIT("services: ~\n") }, { LIT("services: [~, 1, [], {}]\n") }, { LIT("services:\n  - *a\n") },
		{ LIT("services:\n  - <<: *a\n    name: x\n") }, { LIT("a: &a [*a]\n") },
		{ LIT("services:\n  - type: web\n    name: [a]\n    runtime: {x: 1}\n    envVars: 3\n") },
		{ LIT("services:\n  - type: web\n    envVars:\n      - key: [1]\n        value: {a: b}\n") },
		{ LIT("? [a]\n: 1\n") }, { LIT("\"\\0\": 1\n") },
		{ LIT("services:\n  - type: cron\n    schedule: \"1-\"\n    name: x\n") },
		{ LIT("services:\n  - type: cron\n    schedule: \"*/0 ,, 1-2/ JAN-FOO 8\"\n") },
		{ LIT("projects:\n  - name: p\n    environments:\n      - name: e\n        services:\n"
		      "          - type: web\n            name: a\n            runtime: docker\n            envVars:\n"
		      "              - key: X\n                fromService: {name: a, type: web, envVarKey: Y}\n") },
		{ LIT("\xff\xfe\x00\x01") }, { LIT("%s\xb6") }, { LIT("%s x\nservices: []\n") }, { LIT("services:\n  - type: web\0\n    name: x\n") },
		{ LIT("{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{") }, { LIT("services: !!binary aGVsbG8=\n") },
		{ LIT("services:\n  - {type: web, name: \"a\\0b\", runtime: node, startCommand: x, buildCommand: y}\n") },
		{ LIT("services:\n  - type: web\n    name: &n api\n    runtime: docker\n  - type: web\n    name: *n\n"
		      "    runtime: docker\n  - *nope\n") },
	};
	struct sim_report rep;
	size_t i;

	for (i = 0; i < NELEM(inputs); i++) {
		sim_report_init(&rep, "render");
		assert_int_equal(sim_render_text("render.yaml", inputs[i].text, inputs[i].len, NULL, &rep), 0);
		if (rep.n == 0 && i > 0)
			print_message("odd input %zu drew no issue\n", i);
		sim_report_release(&rep);
	}
}

/* sim_render reads DIR/render.yaml and names what is missing. */
static void test_read_dir(void **state)
{
	const char *base = getenv("CHIMERA_TEST_TMP");
	char dir[4096], path[4200];
	struct sim_report rep;

	if (!base || !*base)
		base = "/var/tmp";
	assert_int_equal(fs_mkdir_p(base, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/sim-render-XXXXXX", base);
	assert_non_null(mkdtemp(dir));
	sim_report_init(&rep, "render");
	assert_int_equal(sim_render(dir, &rep), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "render.yaml"));
	snprintf(path, sizeof(path), "%s/render.yml", dir);
	assert_int_equal(fs_write_file(path, "services: []\n", 13, 0644), 0);
	assert_int_equal(sim_render(dir, &rep), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "render.yml"));
	snprintf(path, sizeof(path), "%s/render.yaml", dir);
	assert_int_equal(fs_write_file(path, clean_yaml, strlen(clean_yaml), 0644), 0);
	assert_int_equal(sim_render(dir, &rep), 0);
	assert_int_equal(rep.nfiles, 1);
	assert_string_equal(rep.files[0], "render.yaml");
	assert_int_equal(rep.n, 0);
	sim_report_release(&rep);
	assert_int_equal(fs_rm_rf(dir), 0);
}

/* ---- the corpus ---- */

/* Where the Render corpus is: $SHARED_DIR, else ../shared next to the project root. */
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
	/* this file is <root>/tests/unit/test_sim_render.c */
	snprintf(root, sizeof(root), "%s", __FILE__);
	for (up = 0; up < 3 && (slash = strrchr(root, '/')); up++)
		*slash = '\0';
	if (up == 3)
		snprintf(dst, n, "%s/../shared/corpus/render", root);
	else
		snprintf(dst, n, "../shared/corpus/render");
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The corpus file names, sorted; *N of them. The caller frees each and the array. */
static char **corpus_files(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!d)
		fail_msg("cannot open the corpus '%s'", dir);
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, "render.yaml"))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
			assert_non_null(v);
		}
		v[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(v, *n, sizeof(*v), name_cmp);
	return v;
}

static void read_corpus_file(const char *dir, const char *name, struct buf *out)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
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

	for (i = 0; i < *nt && strcmp(t[i].rule, is->rule); i++)
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

/*
 * Every corpus file parses (PyYAML accepts them all) and gives a report. Prints the figures
 * and each critical or high finding; those were checked by hand against the files.
 */
static void test_corpus(void **state)
{
	char dir[4096];
	struct buf text = BUF_INIT(0);
	struct tally t[128];
	size_t nfiles, nt = 0, i, j, sev[SIM_SEVERITIES] = { 0 }, passed = 0;
	char **files;
	int64_t slowest = 0;

	corpus_dir(dir, sizeof(dir));
	files = corpus_files(dir, &nfiles);
	assert_true(nfiles >= 50);
	for (i = 0; i < nfiles; i++) {
		struct sim_report rep;

		read_corpus_file(dir, files[i], &text);
		sim_report_init(&rep, "render");
		assert_int_equal(sim_render_text("render.yaml", text.data, text.len, NULL, &rep), 0);
		if (find(&rep, "RND-YAML-1", -1)) {
			dump(&rep);
			fail_msg("%s does not parse", files[i]);
		}
		for (j = 0; j < rep.n; j++) {
			const struct sim_issue *is = &rep.issues[j];

			tally_add(t, &nt, NELEM(t), is);
			sev[is->severity]++;
			if (is->severity <= SIM_HIGH)
				printf("  %s:%d:%d: %s %s: %s\n", files[i], is->line, is->col,
				       sim_severity_name(is->severity), is->rule, is->message);
		}
		passed += sim_passed(&rep);
		slowest = rep.us > slowest ? rep.us : slowest;
		sim_report_release(&rep);
		free(files[i]);
	}
	free(files);
	buf_release(&text);
	qsort(t, nt, sizeof(t[0]), tally_cmp);
	printf("corpus: %zu files, %zu passed; %zu critical, %zu high, %zu medium, %zu low; slowest %lld us\n", nfiles,
	       passed, sev[SIM_CRITICAL], sev[SIM_HIGH], sev[SIM_MEDIUM], sev[SIM_LOW], (long long)slowest);
	for (i = 0; i < nt; i++)
		printf("  %-14s %3zu critical %3zu high %3zu medium %3zu low\n", t[i].rule, t[i].count[SIM_CRITICAL],
		       t[i].count[SIM_HIGH], t[i].count[SIM_MEDIUM], t[i].count[SIM_LOW]);
	/* A sanitizer build is several times slower; a real file still takes well under 50 ms. */
	assert_true(slowest < 50000);
}

/* ---- mistakes injected into clean corpus files ---- */

struct inject {
	const char *file;	/* a corpus file with nothing critical or high */
	const char *from, *to;	/* the first FROM becomes TO */
	const char *rule;	/* which must then be reported */
};

static const struct inject injections[] = {
	{ "render-examples__django__render.yaml", "runtime: python", "env: python", "RND-SVC-3" },
	{ "render-examples__express-hello-world__render.yaml", "buildCommand: yarn",
	  "buildCommand: yarn\n  - type: worker\n    name: express-hello-world\n    runtime: node\n"
	  "    buildCommand: yarn\n    startCommand: node worker.js\n", "RND-SVC-2" },
	{ "render-examples__cronjob-scaler__render.yaml", "plan: standard", "plan: Starter", "RND-SVC-5" },
	{ "render-examples__cronjob-scaler__render.yaml", "\"0 9 * * 1-5\"", "\"* * *\"", "RND-CRON-2" },
	{ "render-examples__cronjob-scaler__render.yaml", "\"0 9 * * 1-5\"", "*/5 * * * *", "RND-YAML-1" },
	{ "ajazfarhad__render-blueprint-app__render.yaml", "  env: static\n", "  env: static\n  plan: starter\n",
	  "RND-STATIC-2" },
	{ "render-examples__sveltekit__render.yaml", "startCommand: node build/index.js",
	  "startCommand: node build/index.js\n    healthCheckPath: health", "RND-HC-1" },
	{ "render-examples__django__render.yaml", "property: connectionString",
	  "property: connectionString\n        value: postgres://localhost/mysite", "RND-ENV-2" },
	{ "render-examples__django__render.yaml", "name: mysitedb\n          property",
	  "name: mysite-db\n          property", "RND-ENV-5" },
	{ "render-examples__django__render.yaml", "plan: free\n    name: mysite",
	  "plan: free\n    region: europe\n    name: mysite", "RND-SVC-6" },
	{ "render-examples__nextjs-hello-world__render.yaml", "value: production", "value: 3.10", "RND-YAML-4" },
	{ "9r1nc3w1ll__schoolwave-legacy__render.yaml", "plan: free\n    region", "plan: free\n    numInstances: 2\n"
	  "    region", "RND-FREE-2" },
	{ "9r1nc3w1ll__schoolwave-legacy__render.yaml", "      - key: SECRET_KEY\n        generateValue: true",
	  "      - key: SECRET_KEY", "RND-ENV-3" },
};

/* Some corpus files end lines with CRLF; the patterns below are written with LF. */
static void crlf_to_lf(struct buf *b)
{
	size_t i, j;

	for (i = j = 0; i < b->len; i++)
		if (!(b->data[i] == '\r' && i + 1 < b->len && b->data[i + 1] == '\n'))
			b->data[j++] = b->data[i];
	b->len = j;
	b->data[j] = '\0';
}

/* The text of corpus file K->file with K->from replaced by K->to, into OUT. */
static void inject_into(const char *dir, const struct inject *k, struct buf *out)
{
	struct buf orig = BUF_INIT(0);
	const char *at;

	read_corpus_file(dir, k->file, &orig);
	crlf_to_lf(&orig);
	at = strstr(orig.data, k->from);
	if (!at)
		fail_msg("%s has no '%s'", k->file, k->from);
	buf_reset(out);
	assert_int_equal(buf_add(out, orig.data, (size_t)(at - orig.data)), 0);
	assert_int_equal(buf_adds(out, k->to), 0);
	assert_int_equal(buf_adds(out, at + strlen(k->from)), 0);
	buf_release(&orig);
}

static void test_injected(void **state)
{
	char dir[4096];
	struct buf text = BUF_INIT(0), mod = BUF_INIT(0);
	struct sim_report rep;
	size_t i;

	corpus_dir(dir, sizeof(dir));
	for (i = 0; i < NELEM(injections); i++) {
		const struct inject *k = &injections[i];

		read_corpus_file(dir, k->file, &text);
		sim_report_init(&rep, "render");
		assert_int_equal(sim_render_text("render.yaml", text.data, text.len, NULL, &rep), 0);
		if (!sim_passed(&rep)) {
			dump(&rep);
			fail_msg("%s is not clean before the injection", k->file);
		}
		sim_report_release(&rep);
		inject_into(dir, k, &mod);
		sim_report_init(&rep, "render");
		assert_int_equal(sim_render_text("render.yaml", mod.data, mod.len, NULL, &rep), 0);
		if (k->rule ? !find(&rep, k->rule, -1) : rep.n != 0) {
			dump(&rep);
			fail_msg("injecting '%s' into %s: expected %s", k->to, k->file, k->rule ? k->rule : "no issue");
		}
		sim_report_release(&rep);
	}
	buf_release(&text);
	buf_release(&mod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_rules),
		cmocka_unit_test(test_root_rules),
		cmocka_unit_test(test_service_rules),
		cmocka_unit_test(test_kind_rules),
		cmocka_unit_test(test_env_rules),
		cmocka_unit_test(test_group_db_rules),
		cmocka_unit_test(test_clean_file),
		cmocka_unit_test(test_order_and_counts),
		cmocka_unit_test(test_odd_inputs),
		cmocka_unit_test(test_read_dir),
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_injected),
	};

	platform_use_yaml(&yaml_libyaml_parser);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
