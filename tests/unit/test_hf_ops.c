/* app/hostfactory: the templates file, the projection's fold, and the five operations over a fake ledger, provider and deploy. */
#include "app/hostfactory/hf_proj.h"
#include "fake_ledger.h"

#include <jansson.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/proc.h"
#include "util/banned.h"

/* A provider whose machines' state the test sets; it counts what it was asked. */
struct fake_prov {
	struct provider base;
	enum provider_state state;
	int created, destroyed, fail_create;
};

static int fp_create(struct provider *p, const struct provider_spec *s, struct provider_machine *out)
{
	struct fake_prov *f = (struct fake_prov *)p;

	if (f->fail_create)
		return err_set(ERR_LIMIT, "no machine left");
	snprintf(out->name, sizeof(out->name), "%s", s->name);
	snprintf(out->target, sizeof(out->target), "root@127.9.0.%d:22", 10 + f->created);
	snprintf(out->address, sizeof(out->address), "127.9.0.%d", 10 + f->created);
	f->created++;
	return 0;
}

static int fp_state(struct provider *p, const struct provider_machine *m, long wait_ms, enum provider_state *out, char *why,
		    size_t len)
{
	(void)m;
	(void)wait_ms;
	*out = ((struct fake_prov *)p)->state;
	snprintf(why, len, "%s", "it stopped");
	return 0;
}

static int fp_destroy(struct provider *p, const struct provider_machine *m)
{
	(void)m;
	((struct fake_prov *)p)->destroyed++;
	return 0;
}

static void fp_close(struct provider *p)
{
	(void)p;
}

static const struct provider_ops fp_ops = { "fake", false, fp_create, fp_state, fp_destroy, fp_close };

struct world_fake {
	struct fake_ledger fl;
	struct fake_prov prov;
	struct hf_templates t;
	struct hf_ctx c;
	int configured;		/* machines deploy was asked for */
	bool congruent;		/* what the deploy makes of them */
	char spawned[64];	/* the request a configuring process was started for, "" none */
	int64_t spawn_pid, spawn_start;	/* what the fake spawn says it started */
	int locks;
};

static int fw_provider(void *arg, const char *name, struct provider **out)
{
	struct world_fake *w = arg;

	(void)name;
	*out = &w->prov.base;
	return 0;
}

static int fw_configure(void *arg, const struct hf_tmpl *t, const char *const *targets, size_t n, struct hf_configured *out)
{
	struct world_fake *w = arg;
	size_t i;

	(void)t;
	(void)targets;
	for (i = 0; i < n; i++) {
		out[i] = (struct hf_configured){ .deployed = true, .congruent = w->congruent };
		snprintf(out[i].path, sizeof(out[i].path), "/nix/store/aaaa-hello");
		snprintf(out[i].message, sizeof(out[i].message), "%s", w->congruent ? "ok" : "drifted: the profile is elsewhere");
	}
	w->configured += (int)n;
	return 0;
}

/* The "process" a spawn starts is whatever the test says: this one, or one that has ended. */
static int fw_spawn(void *arg, const char *req, int64_t *pid, int64_t *start)
{
	struct world_fake *w = arg;

	snprintf(w->spawned, sizeof(w->spawned), "%s", req);
	*pid = w->spawn_pid;
	*start = w->spawn_start;
	return 0;
}

static int fw_lock(void *arg)
{
	((struct world_fake *)arg)->locks++;
	return 0;
}

static void fw_unlock(void *arg)
{
	(void)arg;
}

static const char templates[] = "{\"templates\": [{\"templateId\": \"t1\", \"maxNumber\": 2, \"provider\": \"lab\","
				" \"config\": \"hello.nix\", \"memory\": 512}]}";

static void fw_init(struct world_fake *w)
{
	memset(w, 0, sizeof(*w));
	fake_ledger_init(&w->fl);
	w->fl.replay = 1;
	w->prov.base.ops = &fp_ops;
	w->congruent = true;
	assert_int_equal(hf_templates_parse("/conf/chimeraprov_templates.json", LIT(templates), &w->t), 0);
	w->c = (struct hf_ctx){ .ledger = &w->fl.base, .templates = &w->t, .boot_timeout_s = 60, .grace_period_s = 30,
				.provider = fw_provider, .configure = fw_configure, .arg = w, .now_s = 1000000 };
}

static void fw_release(struct world_fake *w)
{
	hf_templates_release(&w->t);
	fake_ledger_release(&w->fl);
}

/* Run OP on INPUT; the report's JSON parsed into *DOC (the caller drops it). */
static int run(struct world_fake *w, hf_op_fn op, const char *input, json_t **doc)
{
	struct hf_report rep;
	int r = op(&w->c, input, strlen(input), &rep);

	assert_non_null(rep.json);
	assert_non_null(*doc = json_loads(rep.json, 0, NULL));
	assert_int_equal(rep.ok, r == 0);
	hf_report_release(&rep);
	return r;
}

static const char *str_at(json_t *doc, const char *path)
{
	json_t *v = doc;
	char key[64];
	const char *p = path;

	while (*p) {
		size_t n = strcspn(p, ".");

		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		v = key[0] >= '0' && key[0] <= '9' ? json_array_get(v, (size_t)strtoul(key, NULL, 10)) : json_object_get(v, key);
		p += n + (p[n] == '.');
	}
	return json_is_string(v) ? json_string_value(v) : json_is_integer(v) ? (json_integer_value(v) ? "N" : "0") : "?";
}

static void test_templates_parse(void **state)
{
	struct hf_templates t;

	(void)state;
	assert_int_equal(hf_templates_parse("/c/x.json", LIT(templates), &t), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.items[0].config, "/c/hello.nix");
	assert_int_equal(t.items[0].nram, 512);
	assert_int_equal(t.items[0].ncpus, 1);
	hf_templates_release(&t);
	assert_int_equal(hf_templates_parse("/c/x.json", LIT("{\"templates\": [{\"templateId\": \"a\", \"maxNumber\": 1,"
							    " \"provider\": \"lab\", \"flake\": \"path:/f#x\", \"cpu\": 2}]}"), &t),
			 ERR_INVALID);
	assert_string_equal(err_msg(), "unknown field 'cpu' in /c/x.json (template 'a')");
	assert_int_equal(hf_templates_parse("/c/x.json", LIT("{\"templates\": [{\"templateId\": \"a\", \"maxNumber\": 1,"
							    " \"provider\": \"lab\", \"flake\": \"f\", \"config\": \"c\"}]}"), &t),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "either \"config\""));
	assert_int_equal(hf_templates_parse("/c/x.json", LIT("{\"templates\": [{\"templateId\": \"a\", \"provider\": \"aws\"}]}"), &t),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "'maxNumber'"));
	assert_int_equal(hf_templates_parse("/c/x.json", LIT("{\"templates\": ["), &t), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "/c/x.json:1:"));
	assert_int_equal(t.n, 0);
}

static void test_fold(void **state)
{
	struct hf_proj p;

	(void)state;
	hf_proj_init(&p);
	assert_int_equal(hf_proj_fold(&p, "node.observed", "{}", 1), 0);
	assert_int_equal(hf_proj_fold(&p, "hostfactory.request.created",
				      "{\"request\": \"req-1\", \"kind\": \"machines\", \"template\": \"t1\", \"count\": 1}", 2), 0);
	assert_int_equal(hf_proj_fold(&p, "hostfactory.machine.created", "{\"machine\": \"m1\", \"request\": \"req-1\","
				      " \"template\": \"t1\", \"target\": \"root@h:22\", \"launchtime\": 7}", 3), 0);
	assert_int_equal(hf_proj_fold(&p, "hostfactory.machine.updated", "{\"machine\": \"m1\", \"state\": \"running\"}", 4), 0);
	assert_int_equal(hf_proj_fold(&p, "hostfactory.machine.configured",
				      "{\"machine\": \"m1\", \"deployed\": true, \"congruent\": true}", 5), 0);
	assert_int_equal(hf_proj_fold(&p, "hostfactory.machine.updated", "{\"machine\": \"nope\", \"state\": \"running\"}", 6), 0);
	assert_int_equal(hf_proj_fold(&p, "hostfactory.machine.updated", "{\"machine\": \"m1\", \"state\": \"flying\"}", 7), 0);
	assert_int_equal(hf_proj_fold(&p, "hostfactory.request.created", "not json", 8), 0);
	assert_int_equal(hf_proj_fold(&p, "hostfactory.request.created",
				      "{\"request\": \"ret-1\", \"kind\": \"return\", \"count\": 1, \"machines\": [\"m1\"]}", 9), 0);
	assert_int_equal(p.nreqs, 2);
	assert_int_equal(p.nmachs, 1);
	assert_int_equal(p.skipped, 3);
	assert_int_equal(p.seq, 9);
	assert_int_equal(p.machs[0].state, HFS_M_RUNNING);
	assert_true(p.machs[0].configured && p.machs[0].congruent);
	assert_string_equal(p.machs[0].returned_by, "ret-1");
	assert_int_equal(p.machs[0].launchtime, 7);
	assert_int_equal(hf_proj_alive(&p, "t1"), 1);
	assert_true(hf_proj_req(&p, "ret-1")->ret);
	hf_proj_release(&p);
}

static void test_bad_inputs(void **state)
{
	struct world_fake w;
	json_t *d;

	(void)state;
	fw_init(&w);
	assert_int_equal(run(&w, hf_request_machines, "{\"template\": {\"templateId\": \"t1\", \"machineCount\": 3}}", &d),
			 ERR_INVALID);
	assert_non_null(strstr(str_at(d, "message"), "maxNumber 2"));
	json_decref(d);
	assert_int_equal(run(&w, hf_request_machines, "{\"template\": {\"templateId\": \"t9\", \"machineCount\": 1}}", &d),
			 ERR_INVALID);
	assert_string_equal(str_at(d, "message"), "unknown template 't9' (templates: t1)");
	json_decref(d);
	assert_int_equal(run(&w, hf_request_status, "{\"requests\": [{\"requestId\": \"req-00000000-0000-4000-8000-000000000000\"}]}",
			     &d), ERR_INVALID);
	assert_non_null(strstr(str_at(d, "message"), "unknown request 'req-00000000"));
	json_decref(d);
	assert_int_equal(run(&w, hf_return_machines, "{\"machines\": [{\"name\": \"m9\"}]}", &d), ERR_INVALID);
	assert_non_null(strstr(str_at(d, "message"), "unknown machine 'm9'"));
	json_decref(d);
	assert_int_equal(w.fl.n, 0);
	fw_release(&w);
}

/* requestMachines for 2 of t1; the request id into ID. */
static void request_two(struct world_fake *w, char *id, size_t len)
{
	int before = w->prov.created;
	json_t *d;

	assert_int_equal(run(w, hf_request_machines, "{\"template\": {\"templateId\": \"t1\", \"machineCount\": 2}}", &d), 0);
	snprintf(id, len, "%s", str_at(d, "requestId"));
	json_decref(d);
	assert_int_equal(w->prov.created - before, 2);
}

static json_t *status_of(struct world_fake *w, const char *id)
{
	char in[128];
	json_t *d;

	snprintf(in, sizeof(in), "{\"requests\": [{\"requestId\": \"%s\"}]}", id);
	assert_int_equal(run(w, hf_request_status, in, &d), 0);
	return d;
}

static void test_full_cycle(void **state)
{
	struct world_fake w;
	char id[64], in[256];
	json_t *d;

	(void)state;
	fw_init(&w);
	request_two(&w, id, sizeof(id));
	assert_int_equal(run(&w, hf_op_find("getAvailableTemplates")->run, "", &d), 0);
	json_decref(d);
	w.prov.state = PROVIDER_BOOTING;
	d = status_of(&w, id);
	assert_string_equal(str_at(d, "requests.0.status"), "running");
	assert_string_equal(str_at(d, "requests.0.machines.0.result"), "executing");
	assert_string_equal(str_at(d, "requests.0.machines.1.status"), "pending");
	json_decref(d);
	assert_int_equal(w.configured, 0);
	w.prov.state = PROVIDER_READY;
	d = status_of(&w, id);
	assert_string_equal(str_at(d, "requests.0.status"), "complete");
	assert_string_equal(str_at(d, "requests.0.machines.0.result"), "succeed");
	assert_string_equal(str_at(d, "requests.0.machines.1.status"), "running");
	assert_string_equal(str_at(d, "requests.0.machines.1.privateIpAddress"), "127.9.0.11");
	json_decref(d);
	assert_int_equal(w.configured, 2);
	d = status_of(&w, id);	/* asked again: nothing deployed twice */
	json_decref(d);
	assert_int_equal(w.configured, 2);
	assert_int_equal(run(&w, hf_request_machines, "{\"template\": {\"templateId\": \"t1\", \"machineCount\": 1}}", &d),
			 ERR_INVALID);
	assert_non_null(strstr(str_at(d, "message"), "0 available (maxNumber 2, 2 in use)"));
	json_decref(d);
	snprintf(in, sizeof(in), "{\"machines\": [{\"name\": \"hf-%.8s-1\"}, {\"name\": \"hf-%.8s-2\"}]}", id + 4, id + 4);
	assert_int_equal(run(&w, hf_return_machines, in, &d), 0);
	snprintf(id, sizeof(id), "%s", str_at(d, "requestId"));
	json_decref(d);
	assert_int_equal(strncmp(id, "ret-", 4), 0);
	assert_int_equal(w.prov.destroyed, 2);
	d = status_of(&w, id);
	assert_string_equal(str_at(d, "requests.0.status"), "complete");
	assert_string_equal(str_at(d, "requests.0.machines.0.status"), "terminated");
	assert_string_equal(str_at(d, "requests.0.machines.0.result"), "succeed");
	json_decref(d);
	assert_int_equal(run(&w, hf_return_machines, in, &d), ERR_INVALID);
	assert_non_null(strstr(str_at(d, "message"), "returned already"));
	json_decref(d);
	fw_release(&w);
}

static void test_boot_timeout_and_drift(void **state)
{
	struct world_fake w;
	char id[64];
	json_t *d;

	(void)state;
	fw_init(&w);
	request_two(&w, id, sizeof(id));
	w.prov.state = PROVIDER_BOOTING;
	w.c.now_s += 61;
	d = status_of(&w, id);
	assert_string_equal(str_at(d, "requests.0.status"), "complete_with_error");
	assert_string_equal(str_at(d, "requests.0.machines.0.result"), "fail");
	assert_string_equal(str_at(d, "requests.0.machines.0.status"), "failed");
	assert_non_null(strstr(str_at(d, "requests.0.machines.0.message"), "boot timeout of 60 s"));
	json_decref(d);
	assert_int_equal(w.prov.destroyed, 2);
	/* Their slots are free again; a deploy that leaves the node elsewhere fails the machine. */
	request_two(&w, id, sizeof(id));
	w.prov.state = PROVIDER_READY;
	w.congruent = false;
	d = status_of(&w, id);
	assert_string_equal(str_at(d, "requests.0.status"), "complete_with_error");
	assert_string_equal(str_at(d, "requests.0.machines.1.message"), "drifted: the profile is elsewhere");
	json_decref(d);
	fw_release(&w);
}

/* getReturnRequests for every machine: its requests (decref them), how many in *N. */
static json_t *returns_of(struct world_fake *w, size_t *n)
{
	json_t *d, *reqs;

	assert_int_equal(run(w, hf_return_requests, "{\"machines\": []}", &d), 0);
	reqs = json_incref(json_object_get(d, "requests"));
	json_decref(d);
	*n = json_array_size(reqs);
	return reqs;
}

/* The grace period of request I of REQS. */
static json_int_t grace_of(const json_t *reqs, size_t i)
{
	return json_integer_value(json_object_get(json_array_get(reqs, i), "gracePeriod"));
}

static void note(struct world_fake *w, const char *topic, const char *node)
{
	assert_int_equal(ledger_append1(&w->fl.base, topic, NULL, node, "{}", NULL), 0);
}

static void test_return_requests(void **state)
{
	struct world_fake w;
	char id[64];
	json_t *reqs;
	size_t n;

	(void)state;
	fw_init(&w);
	/* A quarantine of the node before the machine was made on it is another machine's. */
	note(&w, "watch.node.quarantined", "root@127.9.0.11:22");
	request_two(&w, id, sizeof(id));
	w.prov.state = PROVIDER_READY;
	json_decref(status_of(&w, id));
	json_decref(returns_of(&w, &n));
	assert_int_equal(n, 0);
	note(&w, "watch.node.quarantined", "root@127.9.0.10:22");
	reqs = returns_of(&w, &n);
	assert_int_equal(n, 1);
	assert_int_equal(grace_of(reqs, 0), 30);
	json_decref(reqs);
	/* A deploy ends the quarantine, as for watch itself (app/fleet/watch_fold.h); a new one starts it again. */
	note(&w, "node.deploy.complete", "root@127.9.0.10:22");
	json_decref(returns_of(&w, &n));
	assert_int_equal(n, 0);
	note(&w, "watch.node.quarantined", "root@127.9.0.10:22");
	json_decref(returns_of(&w, &n));
	assert_int_equal(n, 1);
	w.prov.state = PROVIDER_GONE;
	reqs = returns_of(&w, &n);
	assert_int_equal(n, 2);
	assert_int_equal(grace_of(reqs, 1), 0);
	json_decref(reqs);
	fw_release(&w);
}

/* Both machines' results and the request's status, as "STATUS RESULT RESULT". */
static void expect_status(struct world_fake *w, const char *id, const char *want)
{
	json_t *d = status_of(w, id), *ms = json_object_get(json_array_get(json_object_get(d, "requests"), 0), "machines");
	char got[128];

	snprintf(got, sizeof(got), "%s %s %s", str_at(d, "requests.0.status"),
		 json_string_value(json_object_get(json_array_get(ms, 0), "result")),
		 json_string_value(json_object_get(json_array_get(ms, 1), "result")));
	assert_string_equal(got, want);
	json_decref(d);
}

/* getRequestStatus hands the deploy to a process of its own and answers at once; that process records it. */
static void test_background_configure(void **state)
{
	struct world_fake w;
	char id[64];

	(void)state;
	fw_init(&w);
	w.c.spawn_configure = fw_spawn;
	w.c.lock = fw_lock;
	w.c.unlock = fw_unlock;
	w.spawn_pid = getpid();
	assert_int_equal(proc_start_time(getpid(), &w.spawn_start), 0);
	request_two(&w, id, sizeof(id));
	w.prov.state = PROVIDER_READY;
	expect_status(&w, id, "running executing executing");
	assert_string_equal(w.spawned, id);
	assert_int_equal(w.configured, 0);
	/* Asked again while that process runs (it is this one): nothing started again. */
	w.spawned[0] = '\0';
	expect_status(&w, id, "running executing executing");
	assert_string_equal(w.spawned, "");
	/* The background half, as that process runs it: both deployed, recorded under the lock. */
	assert_int_equal(hf_configure_request(&w.c, id), 0);
	assert_int_equal(w.configured, 2);
	assert_int_equal(w.locks, 2);
	expect_status(&w, id, "complete succeed succeed");
	/* Nothing of its own is left: run again, it deploys nothing. */
	assert_int_equal(hf_configure_request(&w.c, id), 0);
	assert_int_equal(w.configured, 2);
	fw_release(&w);
}

/* The process marked for the machines ended without a result: they are taken back, failed, saying so. */
static void test_background_dead(void **state)
{
	struct world_fake w;
	char id[64];
	json_t *d;
	pid_t c;
	int st;

	(void)state;
	fw_init(&w);
	w.c.spawn_configure = fw_spawn;
	w.c.lock = fw_lock;
	w.c.unlock = fw_unlock;
	if ((c = fork()) == 0)
		_exit(0);
	assert_true(c > 0);
	assert_int_equal(waitpid(c, &st, 0), c);
	w.spawn_pid = c;
	w.spawn_start = 1;
	request_two(&w, id, sizeof(id));
	w.prov.state = PROVIDER_READY;
	expect_status(&w, id, "running executing executing");
	/* Another process's machines are not this one's to deploy. */
	assert_int_equal(hf_configure_request(&w.c, id), 0);
	assert_int_equal(w.configured, 0);
	expect_status(&w, id, "complete_with_error fail fail");
	assert_int_equal(w.prov.destroyed, 2);
	d = status_of(&w, id);
	assert_non_null(strstr(str_at(d, "requests.0.machines.0.message"), "ended without a result"));
	json_decref(d);
	assert_int_equal(w.configured, 0);
	fw_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_templates_parse), cmocka_unit_test(test_fold),
		cmocka_unit_test(test_bad_inputs),	 cmocka_unit_test(test_full_cycle),
		cmocka_unit_test(test_boot_timeout_and_drift), cmocka_unit_test(test_return_requests),
		cmocka_unit_test(test_background_configure), cmocka_unit_test(test_background_dead),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
