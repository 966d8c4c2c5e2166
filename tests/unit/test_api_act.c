/*
 * The act routes' and the secrets routes' bodies (src/api/act_parse.h): good bodies give
 * what the job runs with; bad ones, and fields a route does not take, give a message that
 * names the field and the expected form. The project routes against real directories;
 * and the "by" the direct routes record (watch_release_by, the secrets store's by).
 */
#include "check.h"
#include "fake_ledger.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/openssl/cipher_openssl.h"
#include "api/act_parse.h"
#include "app/fleet/secrets.h"
#include "app/fleet/watch.h"

static char msg[1024];

static json_t *body_of(const char *text)
{
	json_error_t e;
	json_t *b = json_loads(text, 0, &e);

	if (!b)
		fail_msg("bad test body %s: %s", text, e.text);
	return b;
}

/* --- fleet routes --- */

/* PARSE on TEXT must fail with a message containing each of the WANT strings (NULL-ended). */
#define EXPECT_BAD(call, ...)                                                   \
	do {                                                                    \
		const char *want_[] = { __VA_ARGS__, NULL };                    \
		size_t i_;                                                      \
		msg[0] = '\0';                                                  \
		assert_int_equal((call), -1);                                   \
		for (i_ = 0; want_[i_]; i_++)                                   \
			assert_contains(msg, want_[i_]);                        \
	} while (0)

static int deployment(const char *text)
{
	json_t *b = body_of(text);
	struct act_req r = { 0 };
	int rc = act_parse_deployment(b, &r, msg, sizeof(msg));

	act_req_release(&r);
	json_decref(b);
	return rc;
}

static void test_deployment_fields(void **s)
{
	(void)s;
	assert_int_equal(deployment("{\"targets\": [\"web-1\", \"@db\"], \"goal\": \"boot\", \"dry_run\": true,"
				    " \"lock_wait\": 5, \"checks\": [\"tcp:{host}:22\"]}"), 0);
	/* A field deploy does not take is named, with those it does. */
	EXPECT_BAD(deployment("{\"targets\": \"web-1\", \"dryrun\": true}"), "field 'dryrun' is not one this route takes",
		   "expected only targets, exclude, parallel", "dry_run", "confirm_timeout");
	EXPECT_BAD(deployment("{\"targets\": \"web-1\", \"generation\": 3}"), "field 'generation'");
	EXPECT_BAD(deployment("{}"), "field 'targets' is missing");
	EXPECT_BAD(deployment("{\"targets\": \"web-1\", \"goal\": \"sideways\"}"), "field 'goal'",
		   "expected switch, boot, test or dry-activate");

}

/* exclude, stall_timeout and activation_timeout reach the request as the CLI's flags would. */
static void test_exclude_and_timeouts(void **s)
{
	json_t *b = body_of("{\"targets\": \"all\", \"exclude\": [\"web-1\", \"@db\"], \"stall_timeout\": 0,"
			    " \"activation_timeout\": 90}");
	struct act_req r = { 0 };

	(void)s;
	assert_int_equal(act_parse_deployment(b, &r, msg, sizeof(msg)), 0);
	assert_string_equal(r.exclude, "web-1,@db");
	assert_int_equal(r.reach.stall_timeout, 0);
	assert_int_equal(r.reach.activation_timeout, 90);
	act_req_release(&r);
	json_decref(b);
	EXPECT_BAD(deployment("{\"targets\": \"all\", \"exclude\": []}"), "field 'exclude' is an empty array");
	EXPECT_BAD(deployment("{\"targets\": \"all\", \"exclude\": [\"a,b\"]}"), "field 'exclude'[0]",
		   "one name without commas");
	EXPECT_BAD(deployment("{\"targets\": \"all\", \"stall_timeout\": -1}"), "field 'stall_timeout' is out of range");
	EXPECT_BAD(deployment("{\"targets\": \"all\", \"activation_timeout\": 0}"),
		   "field 'activation_timeout' is out of range");
}

static int rollback(const char *text, uint32_t *gen)
{
	json_t *b = body_of(text);
	struct act_req r = { 0 };
	int rc = act_parse_rollback(b, &r, gen, msg, sizeof(msg));

	if (rc == 0)
		assert_non_null(r.targets);
	act_req_release(&r);
	json_decref(b);
	return rc;
}

static void test_rollback(void **s)
{
	uint32_t gen = 99;

	(void)s;
	assert_int_equal(rollback("{\"targets\": \"web-1\"}", &gen), 0);
	assert_int_equal(gen, 0);	/* absent: each node's previous generation */
	assert_int_equal(rollback("{\"targets\": [\"web-1\"], \"generation\": 7, \"activate\": \"none\","
				  " \"goal\": \"test\", \"lock_wait\": 0, \"profile\": \"/nix/var/nix/profiles/system\"}",
				  &gen),
			 0);
	assert_int_equal(gen, 7);
	EXPECT_BAD(rollback("{\"targets\": \"web-1\", \"generation\": 0}", &gen), "field 'generation' is out of range",
		   "from 1 to 2147483647");
	EXPECT_BAD(rollback("{\"targets\": \"web-1\", \"generation\": \"previous\"}", &gen),
		   "field 'generation' is a string", "expected an integer");
	EXPECT_BAD(rollback("{\"targets\": \"web-1\", \"dry_run\": true}", &gen), "field 'dry_run' is not one");
	EXPECT_BAD(rollback("{\"generation\": 2}", &gen), "field 'targets' is missing");
}

static int exec_body(const char *text, struct act_exec *e, long *timeout)
{
	json_t *b = body_of(text);
	struct act_req r = { 0 };
	int rc = act_parse_exec(b, &r, e, msg, sizeof(msg));

	*timeout = r.reach.timeout;
	act_req_release(&r);
	json_decref(b);
	return rc;
}

static void test_exec(void **s)
{
	struct act_exec e;
	long timeout;

	(void)s;
	assert_int_equal(exec_body("{\"targets\": \"all\", \"command\": \"uptime\"}", &e, &timeout), 0);
	assert_int_equal(timeout, 0);	/* as `chimera exec`: no limit unless asked */
	assert_false(e.record_output);
	assert_int_equal(exec_body("{\"targets\": \"all\", \"command\": \"uptime\", \"timeout\": 30,"
				   " \"record_output\": true, \"sudo\": true}", &e, &timeout),
			 0);
	assert_int_equal(timeout, 30);
	assert_true(e.record_output);
	assert_int_equal(exec_body("{\"targets\": \"all\", \"command\": \"uptime\", \"stall_timeout\": 20,"
				   " \"exclude\": \"web-2\"}", &e, &timeout),
			 0);
	/* An exec activates nothing: activation_timeout is not one of its fields. */
	EXPECT_BAD(exec_body("{\"targets\": \"all\", \"command\": \"ls\", \"activation_timeout\": 5}", &e, &timeout),
		   "field 'activation_timeout' is not one this route takes");
	EXPECT_BAD(exec_body("{\"targets\": \"all\"}", &e, &timeout), "field 'command' is missing");
	EXPECT_BAD(exec_body("{\"targets\": \"all\", \"command\": [\"ls\", \"-l\"]}", &e, &timeout),
		   "field 'command' is an array", "expected a non-empty string");
	EXPECT_BAD(exec_body("{\"targets\": \"all\", \"command\": \"\"}", &e, &timeout), "field 'command' is empty");
	EXPECT_BAD(exec_body("{\"targets\": \"all\", \"command\": \"ls\", \"record_output\": \"yes\"}", &e, &timeout),
		   "field 'record_output' is a string", "expected true or false");
	/* exec takes no profile and no activation. */
	EXPECT_BAD(exec_body("{\"targets\": \"all\", \"command\": \"ls\", \"profile\": \"/p\"}", &e, &timeout),
		   "field 'profile' is not one");
}

static void test_facts(void **s)
{
	json_t *b = body_of("{}");
	struct act_req r = { 0 };

	(void)s;
	assert_int_equal(act_parse_facts(b, &r, msg, sizeof(msg)), 0);
	assert_null(r.targets);	/* the job picks them as `chimera facts` does */
	act_req_release(&r);
	json_decref(b);
	b = body_of("{\"targets\": \"@web\", \"profile\": \"/nix/var/nix/profiles/per-user/x/p\", \"parallel\": 4}");
	assert_int_equal(act_parse_facts(b, &r, msg, sizeof(msg)), 0);
	assert_string_equal(r.targets, "@web");
	assert_int_equal(r.reach.parallel, 4);
	act_req_release(&r);
	json_decref(b);
	b = body_of("{\"targets\": \"@web\", \"goal\": \"boot\"}");
	EXPECT_BAD(act_parse_facts(b, &r, msg, sizeof(msg)), "field 'goal' is not one", "targets", "profile");
	act_req_release(&r);
	json_decref(b);
	b = body_of("{\"targets\": []}");
	EXPECT_BAD(act_parse_facts(b, &r, msg, sizeof(msg)), "field 'targets' is an empty array");
	act_req_release(&r);
	json_decref(b);
}

static void test_node(void **s)
{
	static const char toml[] = "[defaults]\nuser = \"deploy\"\n[machines.web-1]\ntarget = \"10.0.0.5\"\n";
	struct inventory inv;
	char name[TARGET_FORMAT_MAX];
	bool machine;
	json_t *b;

	(void)s;
	inventory_init(&inv);
	assert_int_equal(inventory_parse("chimera.toml", toml, sizeof(toml) - 1, &inv), 0);
	assert_int_equal(act_parse_node("web-1", &inv, name, &machine, msg, sizeof(msg)), 0);
	assert_string_equal(name, "deploy@10.0.0.5:22");
	assert_true(machine);
	assert_int_equal(act_parse_node("deploy@10.0.0.5:22", &inv, name, &machine, msg, sizeof(msg)), 0);
	assert_true(machine);
	assert_int_equal(act_parse_node("ops@10.0.0.9:2222", &inv, name, &machine, msg, sizeof(msg)), 0);
	assert_string_equal(name, "ops@10.0.0.9:2222");
	assert_false(machine);
	EXPECT_BAD(act_parse_node("web 1;rm", &inv, name, &machine, msg, sizeof(msg)), "node 'web 1;rm'",
		   "user@host:port");
	inventory_release(&inv);
	/* release takes no body, or {} */
	b = body_of("{}");
	assert_int_equal(act_parse_empty(b, msg, sizeof(msg)), 0);
	json_decref(b);
	b = body_of("{\"by\": \"me\"}");
	EXPECT_BAD(act_parse_empty(b, msg, sizeof(msg)), "field 'by' is not one", "expected no body, or {}");
	json_decref(b);
}

static int grant(const char *name, const char *text, struct act_grant *g)
{
	json_t *b = body_of(text);
	int rc = act_parse_grant(name, b, g, msg, sizeof(msg));

	if (rc == 0 && g->nkeys)
		assert_string_equal(g->keys[0], "web-1");	/* the keys point into the body: check before it goes */
	act_grant_release(g);
	json_decref(b);
	return rc;
}

static void test_grant(void **s)
{
	struct act_grant g;

	(void)s;
	assert_int_equal(grant("db.pass", "{\"keys\": [\"web-1\", \"deploy@10.0.0.5:22\"]}", &g), 0);
	assert_int_equal(grant("db.pass", "{\"targets\": \"@web\"}", &g), 0);
	EXPECT_BAD(grant("db.pass", "{}", &g), "fields 'targets' and 'keys' are missing");
	EXPECT_BAD(grant("db.pass", "{\"keys\": [\"a\"], \"targets\": \"b\"}", &g), "both 'targets' and 'keys'");
	EXPECT_BAD(grant("db.pass", "{\"keys\": \"web-1\"}", &g), "field 'keys' is not an array");
	EXPECT_BAD(grant("db.pass", "{\"keys\": [\"web-1\", 3]}", &g), "field 'keys'[1] is not a string");
	EXPECT_BAD(grant("db.pass", "{\"keys\": [\"a\"], \"value\": \"s3cret\"}", &g), "field 'value' is not one");
	EXPECT_BAD(grant("../etc", "{\"keys\": [\"a\"]}", &g), "bad secret name");
}

/* --- project routes, against directories made here --- */

static char proj[PATH_MAX];	/* a netlify project: netlify.toml */
static char nixp[PATH_MAX];	/* a nix project: default.nix and sub/other.nix */
static char empty[PATH_MAX];	/* nothing in it */

static void put(const char *dir, const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static int projects_setup(void **s)
{
	char sub[PATH_MAX + 8];

	(void)s;
	if (scratch_make(proj, sizeof(proj), "api-act-netlify") < 0 || scratch_make(nixp, sizeof(nixp), "api-act-nix") < 0 ||
	    scratch_make(empty, sizeof(empty), "api-act-empty") < 0)
		return -1;
	/* As the parse functions make them: canonical. */
	if (!realpath(proj, sub) || snprintf(proj, sizeof(proj), "%s", sub) < 0 || !realpath(nixp, sub) ||
	    snprintf(nixp, sizeof(nixp), "%s", sub) < 0)
		return -1;
	put(proj, "netlify.toml", "[build]\npublish = \"dist\"\n");
	put(nixp, "default.nix", "{ }\n");
	snprintf(sub, sizeof(sub), "%s/sub", nixp);
	mkdir(sub, 0755);
	put(nixp, "sub/other.nix", "{ }\n");
	unsetenv("CHIMERA_BUILD_HOOK");
	unsetenv("CHIMERA_ROLLBACK_HOOK");
	return 0;
}

/* The body TEXT with each "%s" in it replaced by DIR. */
static json_t *body_dir(const char *text, const char *dir, const char *unused)
{
	struct buf b = BUF_INIT(0);
	const char *p, *q;
	json_t *doc;

	(void)unused;
	for (p = text; (q = strstr(p, "%s")); p = q + 2) {
		assert_int_equal(buf_add(&b, p, (size_t)(q - p)), 0);
		assert_int_equal(buf_adds(&b, dir), 0);
	}
	assert_int_equal(buf_adds(&b, p), 0);
	doc = body_of(b.data);
	buf_release(&b);
	return doc;
}

/* The last body simulate parsed: SM's strings point into it until the next call. */
static json_t *held;

static int simulate(const char *fmt, const char *dir, struct act_simulate *sm)
{
	json_decref(held);
	held = body_dir(fmt, dir, NULL);
	return act_parse_simulate(held, sm, msg, sizeof(msg));
}

static void test_simulate(void **s)
{
	struct act_simulate sm;
	char want[PATH_MAX + 16];

	(void)s;
	assert_int_equal(simulate("{\"platform\": \"netlify\", \"dir\": \"%s\"}", proj, &sm), 0);
	assert_string_equal(sm.p.platform->name, "netlify");
	assert_string_equal(sm.file, "");
	assert_int_equal(simulate("{\"platform\": \"nix\", \"dir\": \"%s\", \"file\": \"sub/other.nix\", \"attr\": \"x\"}",
				  nixp, &sm),
			 0);
	snprintf(want, sizeof(want), "%s/sub/other.nix", nixp);
	assert_string_equal(sm.file, want);
	assert_string_equal(sm.attr, "x");
	EXPECT_BAD(simulate("{\"dir\": \"%s\"}", proj, &sm), "field 'platform' is missing",
		   "expected netlify, render or nix");
	EXPECT_BAD(simulate("{\"platform\": \"heroku\", \"dir\": \"%s\"}", proj, &sm), "field 'platform' is 'heroku'");
	EXPECT_BAD(simulate("{\"platform\": \"netlify\", \"dir\": \"relative/%s\"}", "x", &sm),
		   "field 'dir' is 'relative/x'", "an absolute path");
	EXPECT_BAD(simulate("{\"platform\": \"netlify\", \"dir\": \"%s/nope\"}", proj, &sm), "field 'dir'",
		   "No such file or directory on the server");
	EXPECT_BAD(simulate("{\"platform\": \"netlify\", \"dir\": \"%s\"}", empty, &sm), "field 'dir'", "no netlify.toml");
	EXPECT_BAD(simulate("{\"platform\": \"netlify\", \"dir\": \"%s\", \"file\": \"a.nix\"}", proj, &sm),
		   "field 'file' goes with platform nix");
	EXPECT_BAD(simulate("{\"platform\": \"nix\", \"dir\": \"%s\"}", empty, &sm), "field 'dir'", "default.nix");
	EXPECT_BAD(simulate("{\"platform\": \"nix\", \"dir\": \"%s\", \"rules\": true}", nixp, &sm),
		   "field 'rules' is not one");
	json_decref(held);
	held = NULL;
}

static void test_heal_certify(void **s)
{
	struct act_heal h;
	struct act_certify c;
	char want[PATH_MAX + 32];
	json_t *b;

	(void)s;
	b = body_dir("{\"platform\": \"netlify\", \"dir\": \"%s\", \"write\": true}", proj, NULL);
	assert_int_equal(act_parse_heal(b, &h, msg, sizeof(msg)), 0);
	assert_true(h.write);
	json_decref(b);
	b = body_dir("{\"platform\": \"nix\", \"dir\": \"%s\"}", nixp, NULL);
	EXPECT_BAD(act_parse_heal(b, &h, msg, sizeof(msg)), "field 'platform' is 'nix'", "expected netlify or render");
	json_decref(b);
	b = body_dir("{\"platform\": \"netlify\", \"dir\": \"%s\", \"write\": 1}", proj, NULL);
	EXPECT_BAD(act_parse_heal(b, &h, msg, sizeof(msg)), "field 'write' is an integer", "expected true or false");
	json_decref(b);

	b = body_dir("{\"platform\": \"netlify\", \"dir\": \"%s\", \"out\": \"cert.json\"}", proj, NULL);
	assert_int_equal(act_parse_certify(b, &c, msg, sizeof(msg)), 0);
	snprintf(want, sizeof(want), "%s/cert.json", proj);
	assert_string_equal(c.out, want);
	assert_string_equal(c.verify, "");
	json_decref(b);
	/* The server writes a certificate in the project, nowhere else. */
	b = body_dir("{\"platform\": \"netlify\", \"dir\": \"%s\", \"out\": \"../elsewhere.json\"}", proj, NULL);
	EXPECT_BAD(act_parse_certify(b, &c, msg, sizeof(msg)), "field 'out'", "in or below the project directory");
	json_decref(b);
	b = body_dir("{\"platform\": \"netlify\", \"dir\": \"%s\", \"artifact\": \"/tmp/x\"}", proj, NULL);
	EXPECT_BAD(act_parse_certify(b, &c, msg, sizeof(msg)), "field 'artifact' is '/tmp/x'", "a store path");
	json_decref(b);
	b = body_dir("{\"dir\": \"%s\", \"verify\": \"netlify.toml\", \"out\": \"x.json\"}", proj, NULL);
	EXPECT_BAD(act_parse_certify(b, &c, msg, sizeof(msg)), "field 'out' goes with certifying");
	json_decref(b);
	b = body_dir("{\"dir\": \"%s\", \"verify\": \"missing.json\"}", proj, NULL);
	EXPECT_BAD(act_parse_certify(b, &c, msg, sizeof(msg)), "field 'verify'", "missing.json");
	json_decref(b);
	b = body_dir("{\"dir\": \"%s\"}", proj, NULL);
	EXPECT_BAD(act_parse_certify(b, &c, msg, sizeof(msg)), "field 'platform' is missing");
	json_decref(b);
}

static int pipeline(const char *fmt, const char *dir, struct act_pipeline *pl)
{
	json_t *b = body_dir(fmt, dir, NULL);
	int rc = act_parse_pipeline(b, pl, msg, sizeof(msg));

	if (rc == 0)
		assert_string_equal(pl->rq.dir, dir);
	act_pipeline_release(pl);
	json_decref(b);
	return rc;
}

static void test_pipeline(void **s)
{
	struct act_pipeline *pl = calloc(1, sizeof(*pl));
	char want[PATH_MAX + 32];
	json_t *b;

	(void)s;
	assert_non_null(pl);
	/* netlify: a hook, or a dry run */
	assert_int_equal(pipeline("{\"platform\": \"netlify\", \"dir\": \"%s\", \"dry_run\": true}", proj, pl), 0);
	assert_int_equal(pipeline("{\"platform\": \"netlify\", \"dir\": \"%s\", \"hook\": \"https://api.example/hook\","
				  " \"hook_retries\": 0, \"checks\": [\"http:https://example.org/\"]}", proj, pl),
			 0);
	EXPECT_BAD(pipeline("{\"platform\": \"netlify\", \"dir\": \"%s\"}", proj, pl), "field 'hook' is missing");
	EXPECT_BAD(pipeline("{\"platform\": \"netlify\", \"dir\": \"%s\", \"dry_run\": true, \"targets\": \"web-1\"}", proj,
			    pl),
		   "field 'targets' goes with platform nix");
	EXPECT_BAD(pipeline("{\"platform\": \"netlify\", \"dir\": \"%s\", \"dry_run\": true, \"checks\":"
			    " [\"tcp:{host}:80\"]}", proj, pl),
		   "field 'checks'[0]", "{host} stands for a node");
	EXPECT_BAD(pipeline("{\"platform\": \"netlify\", \"dir\": \"%s\", \"hook\": \"ftp://x\"}", proj, pl),
		   "field 'hook'");
	EXPECT_BAD(pipeline("{\"platform\": \"netlify\", \"dir\": \"%s\", \"dry_run\": true, \"cert\": \"/etc/x.json\"}",
			    proj, pl),
		   "field 'cert'", "in or below the project directory");
	EXPECT_BAD(pipeline("{\"platform\": \"netlify\", \"dir\": \"%s\", \"dry_run\": true, \"hook_timeout\": 0}", proj,
			    pl),
		   "field 'hook_timeout' is out of range");
	/* nix: targets, the file in DIR, no hook */
	b = body_dir("{\"platform\": \"nix\", \"dir\": \"%s\", \"targets\": [\"web-1\"], \"attr\": \"sys\","
		     " \"argstrs\": {\"host\": \"web-1\"}, \"confirm_timeout\": 0}", nixp, NULL);
	assert_int_equal(act_parse_pipeline(b, pl, msg, sizeof(msg)), 0);
	snprintf(want, sizeof(want), "%s/default.nix", nixp);
	assert_string_equal(pl->rq.nix_file, want);
	assert_string_equal(pl->rq.nix_name, "default.nix");
	assert_string_equal(pl->rq.source->file, want);
	assert_string_equal(pl->rq.source->attr, "sys");
	assert_int_equal(pl->rq.source->nargs, 1);
	assert_int_equal(pl->rq.confirm_s, 0);
	assert_null(pl->rq.hook_url);
	snprintf(want, sizeof(want), "%s/chimera-certificate.json", nixp);
	assert_string_equal(pl->rq.cert_file, want);
	assert_string_equal(pl->req.targets, "web-1");
	act_pipeline_release(pl);
	json_decref(b);
	EXPECT_BAD(pipeline("{\"platform\": \"nix\", \"dir\": \"%s\"}", nixp, pl), "field 'targets' is missing");
	EXPECT_BAD(pipeline("{\"platform\": \"nix\", \"dir\": \"%s\", \"targets\": \"a\", \"hook\": \"https://x/\"}", nixp,
			    pl),
		   "field 'hook' goes with netlify and render");
	EXPECT_BAD(pipeline("{\"platform\": \"nix\", \"dir\": \"%s\", \"targets\": \"a\", \"flake\": \"/f#x\"}", nixp, pl),
		   "field 'flake' is not for the nix pipeline");
	/* The file certified must sit in the project directory itself. */
	EXPECT_BAD(pipeline("{\"platform\": \"nix\", \"dir\": \"%s\", \"targets\": \"a\", \"file\": \"sub/other.nix\"}",
			    nixp, pl),
		   "field 'file'", "in the project directory");
	EXPECT_BAD(pipeline("{\"platform\": \"nix\", \"dir\": \"%s\", \"targets\": \"a\"}", empty, pl), "field 'dir'",
		   "default.nix");
	EXPECT_BAD(pipeline("{\"platform\": \"render\", \"dir\": \"%s\", \"dry_run\": true}", proj, pl), "field 'dir'",
		   "no render.yaml");
	EXPECT_BAD(pipeline("{\"platform\": \"nix\", \"dir\": \"%s\", \"targets\": \"a\", \"repair\": true}", nixp, pl),
		   "field 'repair' is not one");
	free(pl);
}

/* --- what the direct routes record --- */

static void test_release_by(void **s)
{
	struct fake_ledger fl;

	(void)s;
	fake_ledger_init(&fl);
	assert_int_equal(watch_release_by(&fl.base, "deploy@10.0.0.5:22", "ci-bot"), 0);
	assert_int_equal(watch_release(&fl.base, "deploy@10.0.0.5:22"), 0);
	assert_int_equal(fl.n, 2);
	assert_string_equal(fl.topic[0], "watch.node.released");
	assert_string_equal(fl.node[0], "deploy@10.0.0.5:22");
	assert_string_equal(json_string_value(json_object_get(fl.payload[0], "by")), "ci-bot");
	assert_string_equal(json_string_value(json_object_get(fl.payload[1], "by")), "chimera watch --release");
	fake_ledger_release(&fl);
}

static void test_secrets_by(void **s)
{
	struct fake_ledger fl;
	struct secrets_store st;
	char state[PATH_MAX];
	const char *keys[] = { "web-1" };
	size_t changed = 0;

	(void)s;
	fake_ledger_init(&fl);
	assert_int_equal(scratch_make(state, sizeof(state), "api-act-secrets"), 0);
	assert_int_equal(secrets_open(&st, state, cipher_openssl(), &fl.base), 0);
	assert_int_equal(secrets_set(&st, "db.pass", "v4lue", 5), 0);
	assert_int_equal(secrets_grant(&st, "db.pass", keys, 1, &changed), 0);
	st.by = "alice";
	assert_int_equal(secrets_revoke(&st, "db.pass", keys, 1, &changed), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(secrets_grant(&st, "db.pass", keys, 1, &changed), 0);
	secrets_close(&st);
	assert_int_equal(fl.n, 4);
	/* The CLI's events carry no "by"; the server's carry the token's name. */
	assert_string_equal(fl.topic[1], "secret.grant");
	assert_null(json_object_get(fl.payload[1], "by"));
	assert_string_equal(fl.topic[2], "secret.revoke");
	assert_non_null(json_object_get(fl.payload[2], "by"));
	assert_string_equal(json_string_value(json_object_get(fl.payload[2], "by")), "alice");
	assert_string_equal(fl.topic[3], "secret.grant");
	assert_non_null(json_object_get(fl.payload[3], "by"));
	assert_string_equal(json_string_value(json_object_get(fl.payload[3], "by")), "alice");
	fake_ledger_release(&fl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deployment_fields),
		cmocka_unit_test(test_exclude_and_timeouts),
		cmocka_unit_test(test_rollback),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_facts),
		cmocka_unit_test(test_node),
		cmocka_unit_test(test_grant),
		cmocka_unit_test(test_simulate),
		cmocka_unit_test(test_heal_certify),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_release_by),
		cmocka_unit_test(test_secrets_by),
	};

	return cmocka_run_group_tests(tests, projects_setup, NULL);
}
