/* The pipeline: runs with fake ops, the events in a real ledger, hook URLs (transitions: test_pipeline_state.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/sqlite/ledger_sqlite.h"
#include "app/pipeline/hook.h"
#include "app/pipeline/pipeline.h"
#include "check.h"
#include "util/err.h"
#include "util/fs.h"

static char scratch[4096];

static int setup(void **state)
{
	const char *base = getenv("CHIMERA_TEST_TMP");
	char tmpl[4096];

	if (!base)
		base = "/var/tmp";
	fs_mkdir_p(base, 0755);
	snprintf(tmpl, sizeof(tmpl), "%s/pipeline-XXXXXX", base);
	assert_non_null(mkdtemp(tmpl));
	snprintf(scratch, sizeof(scratch), "%s", tmpl);
	return 0;
}

static int teardown(void **state)
{
	fs_rm_rf(scratch);
	return 0;
}

/* ---- pipeline_run with fake ops ---- */

enum op { OP_SIMULATE, OP_HEAL, OP_CERTIFY, OP_DEPLOY, OP_VERIFY, OP_ROLLBACK, OPS };

static const char *const op_names[OPS] = { "simulate", "heal", "certify", "deploy", "verify", "rollback" };

struct fake {
	int out[OPS];		/* what each op returns: a pipeline_outcome, or an error code (< 0) */
	const char *why[OPS];	/* the reason each op gives when not PL_OK */
	bool record;		/* deploy and rollback record their own events, as platforms do */
	bool no_stage;		/* ops leave p->stage NULL */
	char calls[256];	/* "simulate,certify,..." */
	int ncalls[OPS];
	char seen[OPS][1024];	/* p->reason as each op found it */
	char entered[256];	/* the states on_state saw */
};

static void join(char *dst, size_t len, const char *s)
{
	size_t n = strlen(dst);

	snprintf(dst + n, len - n, "%s%s", n ? "," : "", s);
}

static int fake_op(struct pipeline *p, enum op op)
{
	struct fake *f = p->platform;
	int o = f->out[op];

	join(f->calls, sizeof(f->calls), op_names[op]);
	f->ncalls[op]++;
	snprintf(f->seen[op], sizeof(f->seen[op]), "%s", p->reason);
	if (!f->no_stage)
		p->stage = json_pack("{s:s}", "op", op_names[op]);
	if (op == OP_SIMULATE && o == PL_FIXABLE)
		p->intent = json_pack("[{s:s, s:s}]", "rule", "redirect-loop", "file", "netlify.toml");
	if (f->record && op == OP_DEPLOY)
		pipeline_record(p, "chimera.deploy.start", "web-1", json_pack("{s:s}", "artifact", "site.tar"));
	if (f->record && op == OP_ROLLBACK)
		pipeline_record(p, "chimera.rollback.triggered", NULL, json_pack("{s:s}", "reason", p->reason));
	if (o < 0)
		return err_set(o, "%s", f->why[op]);
	if (o != PL_OK)
		snprintf(p->reason, sizeof(p->reason), "%s", f->why[op]);
	return o;
}

static int fake_simulate(struct pipeline *p) { return fake_op(p, OP_SIMULATE); }
static int fake_heal(struct pipeline *p) { return fake_op(p, OP_HEAL); }
static int fake_certify(struct pipeline *p) { return fake_op(p, OP_CERTIFY); }
static int fake_deploy(struct pipeline *p) { return fake_op(p, OP_DEPLOY); }
static int fake_verify(struct pipeline *p) { return fake_op(p, OP_VERIFY); }
static int fake_rollback(struct pipeline *p) { return fake_op(p, OP_ROLLBACK); }

static const struct pipeline_ops fake_ops = {
	.platform = "fake",
	.simulate = fake_simulate,
	.heal = fake_heal,
	.certify = fake_certify,
	.deploy = fake_deploy,
	.verify = fake_verify,
	.rollback = fake_rollback,
};

static void on_state(const struct pipeline *p, void *arg)
{
	struct fake *f = arg;

	join(f->entered, sizeof(f->entered), pipeline_state_name(p->state));
}

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->why[OP_SIMULATE] = "netlify.toml: redirect loop";
	f->why[OP_HEAL] = "heal could not fix the redirect loop";
	f->why[OP_CERTIFY] = "not certified: netlify.toml changed";
	f->why[OP_DEPLOY] = "deploy failed on web-1";
	f->why[OP_VERIFY] = "verify: GET /health answered 503";
	f->why[OP_ROLLBACK] = "rollback hook answered 500";
}

static void pl_init(struct pipeline *p, struct fake *f, struct pipeline_flags flags, struct ledger *l)
{
	memset(p, 0, sizeof(*p));
	p->ops = &fake_ops;
	p->flags = flags;
	p->ledger = l;
	p->dir = "/srv/site";
	p->platform = f;
	p->on_state = on_state;
	p->arg = f;
}

static void run(struct pipeline *p, struct fake *f, struct pipeline_flags flags, struct ledger *l)
{
	pl_init(p, f, flags, l);
	assert_int_equal(pipeline_run(p), 0);
}

static const char *path_str(const struct pipeline *p)
{
	static char s[256];
	size_t i;

	s[0] = '\0';
	for (i = 0; i < p->npath; i++)
		join(s, sizeof(s), pipeline_state_name(p->path[i]));
	return s;
}

/* The state's report is what the fake op put there. */
static void assert_stage(const struct pipeline *p, const char *key, const char *op)
{
	json_t *st = json_object_get(p->stages, key);

	if (!st)
		fail_msg("no stage \"%s\"", key);
	assert_string_equal(json_string_value(json_object_get(st, "op")), op);
}

static void test_run_all_ok(void **state)
{
	struct pipeline p;
	struct fake f;
	int s;

	fake_init(&f);
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
	assert_int_equal(p.state, PL_SUCCESS);
	assert_string_equal(path_str(&p), "IDLE,SIMULATING,CERTIFYING,DEPLOYING,VERIFYING,SUCCESS");
	assert_int_equal(p.npath, 6);
	assert_string_equal(f.entered, "IDLE,SIMULATING,CERTIFYING,DEPLOYING,VERIFYING,SUCCESS");
	assert_string_equal(f.calls, "simulate,certify,deploy,verify");
	assert_int_equal(f.ncalls[OP_HEAL], 0);
	assert_int_equal(f.ncalls[OP_ROLLBACK], 0);
	assert_string_equal(p.reason, "");
	assert_false(p.rollback_failed);
	/* The id is generated: 26 Crockford characters. */
	assert_int_equal(strlen(p.id), DEPLOYMENT_ID_LEN);
	/* Time for the states entered, -1 for the rest; a final state takes none. */
	for (s = PL_IDLE; s <= PL_VERIFYING; s++)
		if (s == PL_HEALING)
			assert_int_equal(p.state_ms[s], -1);
		else
			assert_true(p.state_ms[s] >= 0);
	assert_int_equal(p.state_ms[PL_SUCCESS], 0);
	assert_int_equal(p.state_ms[PL_REJECTED], -1);
	assert_int_equal(p.state_ms[PL_ROLLBACK], -1);
	assert_true(p.ms >= 0);
	/* Each state's report, and only those that ran. */
	assert_int_equal(json_object_size(p.stages), 4);
	assert_stage(&p, "simulation", "simulate");
	assert_stage(&p, "certification", "certify");
	assert_stage(&p, "deploy", "deploy");
	assert_stage(&p, "verify", "verify");
	assert_null(json_object_get(p.stages, "healing"));
	assert_null(json_object_get(p.stages, "rollback"));
	assert_null(p.stage);
	pipeline_release(&p);
	assert_null(p.stages);
}

static void test_run_heal(void **state)
{
	struct pipeline p;
	struct fake f;

	fake_init(&f);
	f.out[OP_SIMULATE] = PL_FIXABLE;
	run(&p, &f, (struct pipeline_flags){ 0 }, NULL);
	assert_int_equal(p.state, PL_SUCCESS);
	assert_string_equal(path_str(&p), "IDLE,SIMULATING,HEALING,CERTIFYING,DEPLOYING,VERIFYING,SUCCESS");
	assert_string_equal(f.calls, "simulate,heal,certify,deploy,verify");
	assert_true(p.state_ms[PL_HEALING] >= 0);
	/* A healed run succeeds with no reason left over from the simulation. */
	assert_string_equal(p.reason, "");
	assert_int_equal(json_object_size(p.stages), 5);
	assert_stage(&p, "simulation", "simulate");
	assert_stage(&p, "healing", "heal");
	assert_non_null(p.intent);
	pipeline_release(&p);
	assert_null(p.intent);

	/* heal fails: REJECTED with heal's reason, nothing certified or deployed. */
	fake_init(&f);
	f.out[OP_SIMULATE] = PL_FIXABLE;
	f.out[OP_HEAL] = PL_FAILED;
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
	assert_int_equal(p.state, PL_REJECTED);
	assert_string_equal(path_str(&p), "IDLE,SIMULATING,HEALING,REJECTED");
	assert_string_equal(f.calls, "simulate,heal");
	assert_string_equal(p.reason, "heal could not fix the redirect loop");
	pipeline_release(&p);
}

static void test_run_no_heal(void **state)
{
	struct pipeline p;
	struct fake f;

	fake_init(&f);
	f.out[OP_SIMULATE] = PL_FIXABLE;
	run(&p, &f, (struct pipeline_flags){ .no_heal = true, .can_rollback = true }, NULL);
	assert_int_equal(p.state, PL_REJECTED);
	assert_string_equal(path_str(&p), "IDLE,SIMULATING,REJECTED");
	assert_string_equal(f.calls, "simulate");
	assert_int_equal(f.ncalls[OP_HEAL], 0);
	assert_int_equal(f.ncalls[OP_CERTIFY], 0);
	assert_int_equal(f.ncalls[OP_DEPLOY], 0);
	assert_string_equal(p.reason, "netlify.toml: redirect loop");
	assert_int_equal(p.state_ms[PL_REJECTED], 0);
	assert_int_equal(p.state_ms[PL_CERTIFYING], -1);
	pipeline_release(&p);
}

/* The key promise: nothing uncertified is deployed. */
static void test_run_certify_failed(void **state)
{
	struct pipeline p;
	struct fake f;
	int o;

	for (o = PL_FIXABLE; o <= PL_CHANGED; o++) {
		fake_init(&f);
		f.out[OP_CERTIFY] = o;
		run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
		assert_int_equal(p.state, PL_REJECTED);
		assert_string_equal(path_str(&p), "IDLE,SIMULATING,CERTIFYING,REJECTED");
		assert_string_equal(f.calls, "simulate,certify");
		assert_int_equal(f.ncalls[OP_DEPLOY], 0);
		assert_int_equal(f.ncalls[OP_ROLLBACK], 0);
		assert_string_equal(p.reason, "not certified: netlify.toml changed");
		/* The refused certificate's report is kept too. */
		assert_stage(&p, "certification", "certify");
		assert_null(json_object_get(p.stages, "deploy"));
		pipeline_release(&p);
	}
}

static void test_run_deploy_failed(void **state)
{
	struct pipeline p;
	struct fake f;

	/* Failed with nothing changed: REJECTED even with a rollback at hand. */
	fake_init(&f);
	f.out[OP_DEPLOY] = PL_FAILED;
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
	assert_int_equal(p.state, PL_REJECTED);
	assert_string_equal(path_str(&p), "IDLE,SIMULATING,CERTIFYING,DEPLOYING,REJECTED");
	assert_string_equal(f.calls, "simulate,certify,deploy");
	assert_string_equal(p.reason, "deploy failed on web-1");
	assert_false(p.rollback_failed);
	pipeline_release(&p);

	/* Changed something, no rollback: REJECTED. */
	fake_init(&f);
	f.out[OP_DEPLOY] = PL_CHANGED;
	run(&p, &f, (struct pipeline_flags){ 0 }, NULL);
	assert_int_equal(p.state, PL_REJECTED);
	assert_string_equal(f.calls, "simulate,certify,deploy");
	assert_string_equal(p.reason, "deploy failed on web-1");
	pipeline_release(&p);
}

static void test_run_deploy_changed_rollback(void **state)
{
	struct pipeline p;
	struct fake f;

	/* Rolled back cleanly. */
	fake_init(&f);
	f.out[OP_DEPLOY] = PL_CHANGED;
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
	assert_int_equal(p.state, PL_ROLLBACK);
	assert_string_equal(path_str(&p), "IDLE,SIMULATING,CERTIFYING,DEPLOYING,ROLLBACK");
	assert_string_equal(f.entered, "IDLE,SIMULATING,CERTIFYING,DEPLOYING,ROLLBACK");
	assert_string_equal(f.calls, "simulate,certify,deploy,rollback");
	assert_int_equal(f.ncalls[OP_VERIFY], 0);
	assert_string_equal(f.seen[OP_ROLLBACK], "deploy failed on web-1");
	assert_false(p.rollback_failed);
	assert_string_equal(p.reason, "deploy failed on web-1");
	assert_true(p.state_ms[PL_ROLLBACK] >= 0);
	assert_stage(&p, "deploy", "deploy");
	assert_stage(&p, "rollback", "rollback");
	pipeline_release(&p);

	/* The rollback failed too: both reasons. */
	fake_init(&f);
	f.out[OP_DEPLOY] = PL_CHANGED;
	f.out[OP_ROLLBACK] = PL_FAILED;
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
	assert_int_equal(p.state, PL_ROLLBACK);
	assert_true(p.rollback_failed);
	assert_string_equal(p.reason, "deploy failed on web-1; rollback: rollback hook answered 500");
	pipeline_release(&p);

	/* The rollback failed with an error. */
	fake_init(&f);
	f.out[OP_DEPLOY] = PL_CHANGED;
	f.out[OP_ROLLBACK] = ERR_IO;
	f.why[OP_ROLLBACK] = "boom";
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
	assert_int_equal(p.state, PL_ROLLBACK);
	assert_true(p.rollback_failed);
	assert_string_equal(p.reason, "deploy failed on web-1; rollback: boom");
	pipeline_release(&p);

	/* The rollback failed and said nothing new: the deploy's reason alone. */
	fake_init(&f);
	f.out[OP_DEPLOY] = PL_CHANGED;
	f.out[OP_ROLLBACK] = PL_FAILED;
	f.why[OP_ROLLBACK] = "deploy failed on web-1";
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
	assert_true(p.rollback_failed);
	assert_string_equal(p.reason, "deploy failed on web-1");
	pipeline_release(&p);
}

static void test_run_verify_failed(void **state)
{
	struct pipeline p;
	struct fake f;

	fake_init(&f);
	f.out[OP_VERIFY] = PL_FAILED;
	run(&p, &f, (struct pipeline_flags){ 0 }, NULL);
	assert_int_equal(p.state, PL_REJECTED);
	assert_string_equal(path_str(&p), "IDLE,SIMULATING,CERTIFYING,DEPLOYING,VERIFYING,REJECTED");
	assert_string_equal(f.calls, "simulate,certify,deploy,verify");
	assert_int_equal(f.ncalls[OP_ROLLBACK], 0);
	assert_string_equal(p.reason, "verify: GET /health answered 503");
	pipeline_release(&p);

	fake_init(&f);
	f.out[OP_VERIFY] = PL_FAILED;
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
	assert_int_equal(p.state, PL_ROLLBACK);
	assert_string_equal(path_str(&p), "IDLE,SIMULATING,CERTIFYING,DEPLOYING,VERIFYING,ROLLBACK");
	assert_string_equal(f.calls, "simulate,certify,deploy,verify,rollback");
	/* The rollback starts knowing why. */
	assert_string_equal(f.seen[OP_ROLLBACK], "verify: GET /health answered 503");
	assert_false(p.rollback_failed);
	assert_string_equal(p.reason, "verify: GET /health answered 503");
	assert_int_equal(json_object_size(p.stages), 5);
	assert_stage(&p, "verify", "verify");
	assert_stage(&p, "rollback", "rollback");
	pipeline_release(&p);

	/* Each op starts with an empty reason, except the rollback. */
	assert_string_equal(f.seen[OP_SIMULATE], "");
	assert_string_equal(f.seen[OP_CERTIFY], "");
	assert_string_equal(f.seen[OP_DEPLOY], "");
	assert_string_equal(f.seen[OP_VERIFY], "");
}

static void test_run_dry_run(void **state)
{
	struct pipeline p;
	struct fake f;

	fake_init(&f);
	run(&p, &f, (struct pipeline_flags){ .dry_run = true, .can_rollback = true }, NULL);
	assert_int_equal(p.state, PL_SUCCESS);
	assert_string_equal(path_str(&p), "IDLE,SIMULATING,CERTIFYING,DEPLOYING,SUCCESS");
	assert_string_equal(f.calls, "simulate,certify,deploy");
	assert_int_equal(f.ncalls[OP_VERIFY], 0);
	assert_int_equal(p.state_ms[PL_VERIFYING], -1);
	assert_null(json_object_get(p.stages, "verify"));
	pipeline_release(&p);
}

static void test_run_op_error(void **state)
{
	struct pipeline p;
	struct fake f;
	int op;

	/* An error from any op before the deploy's outcome is known rejects with its message. */
	for (op = OP_SIMULATE; op <= OP_DEPLOY; op++) {
		fake_init(&f);
		if (op == OP_HEAL)
			f.out[OP_SIMULATE] = PL_FIXABLE;
		f.out[op] = ERR_IO;
		f.why[op] = "boom";
		err_clear();
		run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
		assert_int_equal(p.state, PL_REJECTED);
		assert_string_equal(p.reason, "boom");
		assert_int_equal(f.ncalls[op], 1);
		assert_int_equal(f.ncalls[OP_ROLLBACK], 0);
		if (op < OP_DEPLOY)
			assert_int_equal(f.ncalls[OP_DEPLOY], 0);
		pipeline_release(&p);
	}
	/*
	 * An error in verify. Whether it rolls back is not settled (pipeline.h says an error
	 * rejects; pipeline_state_next rolls back any failed verify), but its message is the reason.
	 */
	fake_init(&f);
	f.out[OP_VERIFY] = ERR_IO;
	f.why[OP_VERIFY] = "boom";
	run(&p, &f, (struct pipeline_flags){ 0 }, NULL);
	assert_int_equal(p.state, PL_REJECTED);
	assert_string_equal(p.reason, "boom");
	pipeline_release(&p);
	fake_init(&f);
	f.out[OP_VERIFY] = ERR_IO;
	f.why[OP_VERIFY] = "boom";
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
	assert_string_equal(p.reason, "boom");
	if (f.ncalls[OP_ROLLBACK])
		assert_string_equal(f.seen[OP_ROLLBACK], "boom");
	pipeline_release(&p);
	/* An op that sets no report leaves null under its name. */
	fake_init(&f);
	f.no_stage = true;
	f.out[OP_SIMULATE] = ERR_IO;
	f.why[OP_SIMULATE] = "boom";
	run(&p, &f, (struct pipeline_flags){ 0 }, NULL);
	assert_string_equal(path_str(&p), "IDLE,SIMULATING,REJECTED");
	assert_true(json_is_null(json_object_get(p.stages, "simulation")));
	pipeline_release(&p);
}

/* ---- pipeline_json ---- */

static void test_pipeline_json(void **state)
{
	struct pipeline p;
	struct fake f;
	json_t *j, *states, *ms;

	fake_init(&f);
	f.out[OP_VERIFY] = PL_FAILED;
	f.out[OP_ROLLBACK] = PL_FAILED;
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, NULL);
	j = pipeline_json(&p);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "pipeline")), p.id);
	assert_string_equal(json_string_value(json_object_get(j, "platform")), "fake");
	assert_string_equal(json_string_value(json_object_get(j, "state")), "ROLLBACK");
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
			    "verify: GET /health answered 503; rollback: rollback hook answered 500");
	assert_true(json_is_true(json_object_get(j, "rollback_failed")));
	assert_true(json_is_false(json_object_get(j, "dry_run")));
	states = json_object_get(j, "states");
	assert_int_equal(json_array_size(states), 6);
	assert_string_equal(json_string_value(json_array_get(states, 0)), "IDLE");
	assert_string_equal(json_string_value(json_array_get(states, 4)), "VERIFYING");
	assert_string_equal(json_string_value(json_array_get(states, 5)), "ROLLBACK");
	assert_true(json_equal(json_object_get(j, "stages"), p.stages));
	assert_int_equal(json_object_size(json_object_get(j, "stages")), 5);
	/* Time for the working states and the rollback; none for unvisited ones. */
	ms = json_object_get(j, "state_ms");
	assert_non_null(json_object_get(ms, "VERIFYING"));
	assert_non_null(json_object_get(ms, "ROLLBACK"));
	assert_null(json_object_get(ms, "HEALING"));
	assert_null(json_object_get(ms, "SUCCESS"));
	assert_true(json_is_integer(json_object_get(j, "ms")));
	json_decref(j);
	pipeline_release(&p);
}

/* ---- The events, in a real ledger ---- */

#define MAXEV 64

struct events {
	int n;
	char topics[1024];		/* "deploy.initiated,pipeline.state,..." */
	char topic[MAXEV][LEDGER_TOPIC_MAX];
	char deployment[MAXEV][LEDGER_DEPLOYMENT_MAX];
	json_t *payload[MAXEV];
};

static int collect(const struct ledger_event *ev, void *arg)
{
	struct events *e = arg;

	if (e->n >= MAXEV)
		return 1;
	join(e->topics, sizeof(e->topics), ev->topic);
	snprintf(e->topic[e->n], LEDGER_TOPIC_MAX, "%s", ev->topic);
	snprintf(e->deployment[e->n], LEDGER_DEPLOYMENT_MAX, "%s", ev->deployment ? ev->deployment : "(none)");
	e->payload[e->n] = json_loads(ev->payload, 0, NULL);
	e->n++;
	return 0;
}

static void scan(struct ledger *l, const struct pipeline *p, struct events *e)
{
	struct ledger_filter all = { 0 };
	int i;

	memset(e, 0, sizeof(*e));
	assert_int_equal(ledger_scan(l, &all, collect, e), 0);
	for (i = 0; i < e->n; i++) {
		assert_string_equal(e->deployment[i], p->id);
		assert_non_null(e->payload[i]);
	}
}

static void events_release(struct events *e)
{
	int i;

	for (i = 0; i < e->n; i++)
		json_decref(e->payload[i]);
}

/* The payload of the Nth event with TOPIC (0 first). */
static json_t *payload_of(const struct events *e, const char *topic, int nth)
{
	int i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->topic[i], topic) == 0 && nth-- == 0)
			return e->payload[i];
	fail_msg("no event %s", topic);
	return NULL;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		fail_msg("no string \"%s\"", key);
	return s;
}

static struct ledger *open_ledger(const char *name)
{
	struct ledger *l = NULL;
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s.db", scratch, name);
	assert_int_equal(ledger_sqlite_open(path, &l), 0);
	assert_non_null(l);
	return l;
}

static void test_events_all_ok(void **state)
{
	struct ledger *l = open_ledger("ok");
	struct pipeline p;
	struct events e;
	struct fake f;
	json_t *pl, *states;

	fake_init(&f);
	pl_init(&p, &f, (struct pipeline_flags){ .can_rollback = true }, l);
	p.initiated = json_pack("{s:[s,s], s:s}", "nodes", "web-1", "web-2", "source", "git:abc123");
	assert_int_equal(pipeline_run(&p), 0);
	assert_null(p.initiated);
	assert_int_equal(p.state, PL_SUCCESS);
	assert_int_equal(p.ledger_err, 0);
	scan(l, &p, &e);
	assert_string_equal(e.topics, "deploy.initiated,pipeline.state,"
				      "chimera.simulate.start,chimera.simulate.complete,pipeline.state,"
				      "deploy.certified,pipeline.state,"
				      "pipeline.state,"
				      "chimera.verify.complete,pipeline.state,"
				      "pipeline.complete");
	/* deploy.initiated: the pipeline's own fields and the caller's. */
	pl = payload_of(&e, "deploy.initiated", 0);
	assert_string_equal(str(pl, "platform"), "fake");
	assert_string_equal(str(pl, "dir"), "/srv/site");
	assert_true(json_is_true(json_object_get(pl, "pipeline")));
	assert_true(json_is_false(json_object_get(pl, "dry_run")));
	assert_true(json_is_false(json_object_get(pl, "no_heal")));
	assert_string_equal(str(pl, "source"), "git:abc123");
	assert_int_equal(json_array_size(json_object_get(pl, "nodes")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(pl, "nodes"), 1)), "web-2");
	/* The transitions, in order. */
	pl = payload_of(&e, "pipeline.state", 0);
	assert_string_equal(str(pl, "from"), "IDLE");
	assert_string_equal(str(pl, "to"), "SIMULATING");
	assert_string_equal(str(pl, "outcome"), "ok");
	assert_string_equal(str(pl, "reason"), "");
	pl = payload_of(&e, "pipeline.state", 3);
	assert_string_equal(str(pl, "from"), "DEPLOYING");
	assert_string_equal(str(pl, "to"), "VERIFYING");
	pl = payload_of(&e, "pipeline.state", 4);
	assert_string_equal(str(pl, "from"), "VERIFYING");
	assert_string_equal(str(pl, "to"), "SUCCESS");
	assert_true(json_is_integer(json_object_get(pl, "ms")));
	/* The reports ride on the completion events. */
	pl = payload_of(&e, "chimera.simulate.start", 0);
	assert_string_equal(str(pl, "platform"), "fake");
	pl = payload_of(&e, "chimera.simulate.complete", 0);
	assert_true(json_is_true(json_object_get(pl, "passed")));
	assert_string_equal(str(json_object_get(pl, "report"), "op"), "simulate");
	pl = payload_of(&e, "deploy.certified", 0);
	assert_string_equal(str(json_object_get(pl, "certificate"), "op"), "certify");
	pl = payload_of(&e, "chimera.verify.complete", 0);
	assert_true(json_is_true(json_object_get(pl, "passed")));
	assert_string_equal(str(json_object_get(pl, "report"), "op"), "verify");
	/* pipeline.complete: the end and the way there. */
	pl = payload_of(&e, "pipeline.complete", 0);
	assert_string_equal(str(pl, "state"), "SUCCESS");
	assert_string_equal(str(pl, "reason"), "");
	assert_true(json_is_false(json_object_get(pl, "rollback_failed")));
	states = json_object_get(pl, "states");
	assert_int_equal(json_array_size(states), 6);
	assert_string_equal(json_string_value(json_array_get(states, 0)), "IDLE");
	assert_string_equal(json_string_value(json_array_get(states, 1)), "SIMULATING");
	assert_string_equal(json_string_value(json_array_get(states, 2)), "CERTIFYING");
	assert_string_equal(json_string_value(json_array_get(states, 3)), "DEPLOYING");
	assert_string_equal(json_string_value(json_array_get(states, 4)), "VERIFYING");
	assert_string_equal(json_string_value(json_array_get(states, 5)), "SUCCESS");
	events_release(&e);
	pipeline_release(&p);
	ledger_close(l);
}

static void test_events_heal(void **state)
{
	struct ledger *l = open_ledger("heal");
	struct pipeline p;
	struct events e;
	struct fake f;
	json_t *pl, *fx;

	fake_init(&f);
	f.out[OP_SIMULATE] = PL_FIXABLE;
	run(&p, &f, (struct pipeline_flags){ 0 }, l);
	assert_int_equal(p.state, PL_SUCCESS);
	assert_int_equal(p.ledger_err, 0);
	scan(l, &p, &e);
	assert_string_equal(e.topics, "deploy.initiated,pipeline.state,"
				      "chimera.simulate.start,chimera.simulate.complete,pipeline.state,"
				      "deploy.heal.intent,deploy.heal.complete,pipeline.state,"
				      "deploy.certified,pipeline.state,"
				      "pipeline.state,"
				      "chimera.verify.complete,pipeline.state,"
				      "pipeline.complete");
	pl = payload_of(&e, "chimera.simulate.complete", 0);
	assert_true(json_is_false(json_object_get(pl, "passed")));
	assert_string_equal(str(pl, "outcome"), "fixable");
	assert_string_equal(str(pl, "reason"), "netlify.toml: redirect loop");
	pl = payload_of(&e, "pipeline.state", 1);
	assert_string_equal(str(pl, "from"), "SIMULATING");
	assert_string_equal(str(pl, "to"), "HEALING");
	assert_string_equal(str(pl, "outcome"), "fixable");
	assert_string_equal(str(pl, "reason"), "netlify.toml: redirect loop");
	/* The intent is what simulate said heal is to fix. */
	pl = payload_of(&e, "deploy.heal.intent", 0);
	fx = json_object_get(pl, "fixable");
	assert_true(json_equal(fx, p.intent));
	assert_string_equal(str(json_array_get(fx, 0), "rule"), "redirect-loop");
	pl = payload_of(&e, "deploy.heal.complete", 0);
	assert_true(json_is_true(json_object_get(pl, "passed")));
	assert_string_equal(str(json_object_get(pl, "report"), "op"), "heal");
	pl = payload_of(&e, "pipeline.complete", 0);
	assert_string_equal(str(pl, "state"), "SUCCESS");
	assert_int_equal(json_array_size(json_object_get(pl, "states")), 7);
	assert_string_equal(json_string_value(json_array_get(json_object_get(pl, "states"), 2)), "HEALING");
	events_release(&e);
	pipeline_release(&p);
	ledger_close(l);
}

static void test_events_certify_refused(void **state)
{
	struct ledger *l = open_ledger("refused");
	struct pipeline p;
	struct events e;
	struct fake f;
	json_t *pl;
	int i;

	fake_init(&f);
	f.record = true;	/* a deploy that ran would show */
	f.out[OP_CERTIFY] = PL_FAILED;
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, l);
	assert_int_equal(p.state, PL_REJECTED);
	assert_int_equal(p.ledger_err, 0);
	scan(l, &p, &e);
	assert_string_equal(e.topics, "deploy.initiated,pipeline.state,"
				      "chimera.simulate.start,chimera.simulate.complete,pipeline.state,"
				      "deploy.certify.refused,pipeline.state,"
				      "pipeline.complete");
	for (i = 0; i < e.n; i++)
		if (strncmp(e.topic[i], "chimera.deploy.", 15) == 0 || strcmp(e.topic[i], "deploy.certified") == 0)
			fail_msg("%s recorded after certify refused", e.topic[i]);
	pl = payload_of(&e, "deploy.certify.refused", 0);
	assert_string_equal(str(pl, "reason"), "not certified: netlify.toml changed");
	assert_string_equal(str(json_object_get(pl, "report"), "op"), "certify");
	pl = payload_of(&e, "pipeline.complete", 0);
	assert_string_equal(str(pl, "state"), "REJECTED");
	assert_string_equal(str(pl, "reason"), "not certified: netlify.toml changed");
	events_release(&e);
	pipeline_release(&p);
	ledger_close(l);
}

/* The platform's own events land under the pipeline's id, in their place. */
static void test_events_rollback(void **state)
{
	struct ledger *l = open_ledger("rollback");
	struct pipeline p;
	struct events e;
	struct fake f;
	json_t *pl;

	fake_init(&f);
	f.record = true;
	f.out[OP_DEPLOY] = PL_CHANGED;
	f.out[OP_ROLLBACK] = PL_FAILED;
	pl_init(&p, &f, (struct pipeline_flags){ .can_rollback = true }, l);
	snprintf(p.id, sizeof(p.id), "%s", "01JD0000000000000000000000");
	assert_int_equal(pipeline_run(&p), 0);
	/* A caller's id is kept. */
	assert_string_equal(p.id, "01JD0000000000000000000000");
	assert_int_equal(p.state, PL_ROLLBACK);
	assert_int_equal(p.ledger_err, 0);
	scan(l, &p, &e);
	assert_string_equal(e.topics, "deploy.initiated,pipeline.state,"
				      "chimera.simulate.start,chimera.simulate.complete,pipeline.state,"
				      "deploy.certified,pipeline.state,"
				      "chimera.deploy.start,pipeline.state,"
				      "chimera.rollback.triggered,"
				      "pipeline.complete");
	pl = payload_of(&e, "pipeline.state", 3);
	assert_string_equal(str(pl, "from"), "DEPLOYING");
	assert_string_equal(str(pl, "to"), "ROLLBACK");
	assert_string_equal(str(pl, "outcome"), "failed after changes");
	assert_string_equal(str(pl, "reason"), "deploy failed on web-1");
	pl = payload_of(&e, "chimera.rollback.triggered", 0);
	assert_string_equal(str(pl, "reason"), "deploy failed on web-1");
	pl = payload_of(&e, "pipeline.complete", 0);
	assert_string_equal(str(pl, "state"), "ROLLBACK");
	assert_true(json_is_true(json_object_get(pl, "rollback_failed")));
	assert_string_equal(str(pl, "reason"), "deploy failed on web-1; rollback: rollback hook answered 500");
	events_release(&e);
	pipeline_release(&p);
	ledger_close(l);
}

/*
 * Two long reasons joined: "WHY; rollback: REASON" is cut to fit p->reason. The cut must
 * not split a UTF-8 character, or the reason is no JSON string: pipeline.complete is lost
 * and pipeline_json returns NULL.
 */
static void test_long_reasons_stay_utf8(void **state)
{
	struct ledger *l = open_ledger("utf8");
	static char why[1011];
	struct pipeline p;
	struct events e;
	struct fake f;
	char bad[512] = "";
	json_t *j, *s;

	memset(why, 'a', sizeof(why) - 1);	/* 1010 bytes, then "; rollback: " makes 1022 */
	fake_init(&f);
	f.out[OP_VERIFY] = PL_FAILED;
	f.why[OP_VERIFY] = why;
	f.out[OP_ROLLBACK] = PL_FAILED;
	f.why[OP_ROLLBACK] = "\xc3\xa9tat inconnu";	/* "état": its first byte is the 1023rd */
	run(&p, &f, (struct pipeline_flags){ .can_rollback = true }, l);
	assert_int_equal(p.state, PL_ROLLBACK);
	assert_true(p.rollback_failed);
	assert_int_equal(strncmp(p.reason, why, 1010), 0);
	/* Every consequence is checked, and all is freed, before the verdict. */
	if (!(s = json_string(p.reason)))
		join(bad, sizeof(bad), "the joined reason is cut inside a UTF-8 character");
	json_decref(s);
	if (p.ledger_err)
		join(bad, sizeof(bad), "ledger_err is set");
	if (!(j = pipeline_json(&p)))
		join(bad, sizeof(bad), "pipeline_json returned NULL");
	json_decref(j);
	scan(l, &p, &e);
	if (!strstr(e.topics, "pipeline.complete"))
		join(bad, sizeof(bad), "pipeline.complete was not recorded");
	events_release(&e);
	pipeline_release(&p);
	ledger_close(l);
	if (bad[0])
		fail_msg("%s (ledger: %s)", bad, p.ledger_msg);
}

/* ---- hook_redact and hook_url_check ---- */

static void redacts(const char *url, const char *want)
{
	char out[HOOK_URL_MAX];

	memset(out, 'X', sizeof(out));
	hook_redact(url, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_hook_redact(void **state)
{
	char small[16];

	redacts("https://api.netlify.com/build_hooks/5f1e2d3c4b5a", "https://api.netlify.com/build_hooks/***");
	redacts("https://api.render.com/deploy/srv-abc123?key=secret", "https://api.render.com/deploy/***?***");
	redacts("http://user:pw@127.0.0.1:8080/hook", "http://***@127.0.0.1:8080/***");
	redacts("http://127.0.0.1:9", "http://127.0.0.1:9");
	redacts("http://h/a/", "http://h/***/");
	redacts("https://api.netlify.com/build_hooks/5f1e2d3c4b5a/", "https://api.netlify.com/build_hooks/***/");
	redacts("http://h?key=secret", "http://h?***");
	redacts("http://h/?key=secret", "http://h/?***");
	redacts("http://user@h", "http://***@h");
	redacts("https://h/hooks/abc#secret", "https://h/hooks/***");
	redacts("hooks.example/secret", "***");
	/* Cut to fit, NUL-terminated. */
	hook_redact("https://api.netlify.com/build_hooks/5f1e2d3c4b5a", small, sizeof(small));
	assert_string_equal(small, "https://api.net");
}

/* Whatever the URL, its secrets are not in the output. */
static void test_hook_redact_no_secret(void **state)
{
	static const struct {
		const char *url, *secret;
	} cases[] = {
		{ "https://api.netlify.com/build_hooks/5f1e2d3c4b5a", "5f1e2d3c4b5a" },
		{ "https://api.render.com/deploy/srv-abc123?key=secret", "srv-abc123" },
		{ "https://api.render.com/deploy/srv-abc123?key=secret", "secret" },
		{ "http://user:pw@127.0.0.1:8080/hook", "user" },
		{ "http://user:pw@127.0.0.1:8080/hook", "pw@" },
		{ "http://user:pw@127.0.0.1:8080/hook", "hook" },
		{ "http://h/a/b/c?token=t0k3n#frag", "t0k3n" },
	};
	char out[HOOK_URL_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hook_redact(cases[i].url, out, sizeof(out));
		if (strstr(out, cases[i].secret))
			fail_msg("%s redacted to %s still shows %s", cases[i].url, out, cases[i].secret);
	}
}

static void rejects(const char *url, const char *what)
{
	char want[2300];

	err_clear();
	assert_int_equal(hook_url_check(url), ERR_INVALID);
	snprintf(want, sizeof(want), "hook URL '%s'", url);
	assert_contains(err_msg(), want);
	assert_contains(err_msg(), what);
}

static void test_hook_url_check(void **state)
{
	char long_url[HOOK_URL_MAX + 16];

	assert_int_equal(hook_url_check("http://127.0.0.1:8080/hook"), 0);
	assert_int_equal(hook_url_check("https://api.netlify.com/build_hooks/5f1e2d3c4b5a"), 0);
	assert_int_equal(hook_url_check("https://h"), 0);
	assert_int_equal(hook_url_check("https://api.render.com/deploy/srv-abc?key=x"), 0);
	rejects("ftp://x", "is not http:// or https://");
	rejects("hooks.example", "is not http:// or https://");
	rejects("http://", "has no host");
	rejects("https://", "has no host");
	rejects("http:///hook", "has no host");
	rejects("http://h/a b", "space or control character");
	rejects("http://h/a\tb", "space or control character");
	/* Too long. */
	snprintf(long_url, sizeof(long_url), "https://h/");
	memset(long_url + 10, 'a', HOOK_URL_MAX - 10);
	long_url[HOOK_URL_MAX] = '\0';
	assert_int_equal(hook_url_check(long_url), ERR_INVALID);
	assert_contains(err_msg(), "over 2047 bytes");
	long_url[HOOK_URL_MAX - 1] = '\0';
	assert_int_equal(hook_url_check(long_url), 0);
}

/* "With a host": user information or a port alone is no host. */
static void test_hook_url_check_empty_host(void **state)
{
	static const char *const urls[] = { "http://:8080/hook", "http://user:pw@/hook", "https://@/x" };
	char taken[256] = "";
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
		if (hook_url_check(urls[i]) == 0)
			join(taken, sizeof(taken), urls[i]);
		else
			assert_contains(err_msg(), "has no host");
	if (taken[0])
		fail_msg("accepted with no host: %s", taken);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_all_ok),
		cmocka_unit_test(test_run_heal),
		cmocka_unit_test(test_run_no_heal),
		cmocka_unit_test(test_run_certify_failed),
		cmocka_unit_test(test_run_deploy_failed),
		cmocka_unit_test(test_run_deploy_changed_rollback),
		cmocka_unit_test(test_run_verify_failed),
		cmocka_unit_test(test_run_dry_run),
		cmocka_unit_test(test_run_op_error),
		cmocka_unit_test(test_pipeline_json),
		cmocka_unit_test(test_events_all_ok),
		cmocka_unit_test(test_events_heal),
		cmocka_unit_test(test_events_certify_refused),
		cmocka_unit_test(test_events_rollback),
		cmocka_unit_test(test_long_reasons_stay_utf8),
		cmocka_unit_test(test_hook_redact),
		cmocka_unit_test(test_hook_redact_no_secret),
		cmocka_unit_test(test_hook_url_check),
		cmocka_unit_test(test_hook_url_check_empty_host),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
