/* POST routes that act on nodes: each checks its body, then runs as a job (act.h, jobs.h). */
#include "api/act.h"
#include "api/act_parse.h"
#include "api/api_internal.h"
#include "app/fleet/deploy_fleet.h"
#include "app/fleet/exec.h"
#include "app/fleet/facts.h"
#include "app/fleet/rollback.h"
#include "app/fleet/watch.h"
#include "core/goal.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* --- POST /deployments --- */

/* The whole body of a deployment, checked (no field it does not take): 0, or -1 with MSG. */
static int deploy_parse(json_t *body, struct act_req *r, char *msg, size_t len)
{
	return act_parse_deployment(body, r, msg, len);
}

static void deploy_step(size_t slot, const struct deploy_node *n, void *arg)
{
	job_node_step(arg, slot, deploy_step_name(n->step), false, false);
}

static void deploy_done(size_t slot, const struct deploy_node *n, void *arg)
{
	job_node_step(arg, slot, n->outcome == OUTCOME_FAILED ? "failed" : "done", true, n->outcome != OUTCOME_FAILED);
}

static enum job_state deploy_state(const struct fleet_deploy_report *rep)
{
	return rep->ok == rep->total ? JOB_SUCCEEDED : rep->ok ? JOB_PARTIAL : JOB_FAILED;
}

static enum job_state run_deploy(struct api_job *j, json_t **report, char *msg, size_t len)
{
	struct act_req r = { 0 };
	struct act_fleet f = { 0 };
	struct fleet_deploy_request req = { 0 };
	struct fleet_deploy_report rep = { 0 };
	enum job_state st = JOB_FAILED;
	const char *dir;
	char *text;

	if (deploy_parse(job_request(j), &r, msg, len) < 0 || act_open(j, &r, true, &f, msg, len) < 0)
		goto out;
	req.opts = (struct deploy_opts){ .source = r.have_source ? &r.src : NULL, .expect = r.expect,
					 .profile = r.reach.profile, .activate = r.reach.activate,
					 .dry_run = r.dry_run, .repair = r.repair, .confirm_s = r.confirm_s,
					 .checks = r.checks, .nchecks = r.nchecks, .tmp_dir = f.tmp };
	if (r.reach.goal)
		goal_parse(r.reach.goal, &req.opts.goal);
	world_inventory(f.world, &req.inv);
	world_state_dir(f.world, &dir);
	req.own_configs = !r.have_source && !r.expect;
	req.flag_checks = r.nchecks > 0;
	req.state_dir = dir;
	req.cipher = world_cipher(f.world);
	if (fleet_deploy_run(&f.ctx, &f.targets, &req, &(struct fleet_deploy_progress){ deploy_step, deploy_done, j },
			     &rep) < 0) {
		snprintf(msg, len, "%s", err_msg());
		goto out;
	}
	st = deploy_state(&rep);
	if ((text = fleet_deploy_report_json(&rep))) {
		*report = json_loads(text, 0, NULL);
		free(text);
	}
	if (rep.ledger_err)
		snprintf(msg, len, "the ledger did not take every event: %s", rep.ledger_msg);
out:
	fleet_deploy_report_release(&rep);
	act_close(&f);
	act_req_release(&r);
	return st;
}

static void post_deployments(struct api_call *c)
{
	struct act_req r = { 0 };
	char msg[1024];
	json_t *body;

	if (api_body(c, &body) < 0)
		return;
	if (deploy_parse(body, &r, msg, sizeof(msg)) < 0) {
		act_bad(c, msg);
		json_decref(body);
	} else {
		act_accept(c, "deploy", body, run_deploy);
	}
	act_req_release(&r);
}

/*
 * A job's state is what the CLI's exit status says of the same report: 0 succeeded, 3
 * (some nodes failed, or a failure was put back) partial, 1 failed.
 */
static enum job_state of_counts(size_t ok, size_t total)
{
	return ok == total ? JOB_SUCCEEDED : ok ? JOB_PARTIAL : JOB_FAILED;
}

/* A use case's JSON text (taken) as the job's report. */
static void report_text(json_t **report, char *text)
{
	*report = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
}

/* --- POST /rollback --- */

static int rollback_check(json_t *body, char *msg, size_t len)
{
	struct act_req r = { 0 };
	uint32_t gen;
	int rc = act_parse_rollback(body, &r, &gen, msg, len);

	act_req_release(&r);
	return rc;
}

static enum job_state run_rollback(struct api_job *j, json_t **report, char *msg, size_t len)
{
	struct act_req r = { 0 };
	struct act_fleet f = { 0 };
	struct rollback_report rep = { 0 };
	struct rollback_opts ro = { 0 };
	enum job_state st = JOB_FAILED;
	const char *result;
	size_t i;

	if (act_parse_rollback(job_request(j), &r, &ro.gen, msg, len) < 0 || act_open(j, &r, false, &f, msg, len) < 0)
		goto out;
	ro.profile = r.reach.profile;
	ro.activate = r.reach.activate;
	if (r.reach.goal)
		goal_parse(r.reach.goal, &ro.goal);
	if (rollback_run(&f.wf.fleet, &f.targets, &ro, &rep) < 0) {
		snprintf(msg, len, "%s", err_msg());
		goto out;
	}
	for (i = 0; i < rep.n; i++)
		job_node_step(j, rep.nodes[i].index, rollback_state_name(rep.nodes[i].state), true,
			      rep.nodes[i].state == RB_SWITCHED);
	result = rep.refused ? "refused" : rep.switched == rep.n ? "success" : "reverted";
	st = rep.switched == rep.n ? JOB_SUCCEEDED : rep.refused ? JOB_FAILED : JOB_PARTIAL;
	if (rep.refused || rep.switched != rep.n)
		snprintf(msg, len, "rollback %s: %s", result,
			 rep.refused ? "nothing was switched (the report says which node stopped it)"
				     : "a node failed and every node touched was put back");
	report_text(report, rollback_report_json(&rep, result));
	if (rep.ledger_err) {
		snprintf(msg, len, "the ledger did not take every event: %s", rep.ledger_msg);
		st = JOB_FAILED;
	}
out:
	rollback_report_release(&rep);
	act_close(&f);
	act_req_release(&r);
	return st;
}

static void post_rollback(struct api_call *c)
{
	act_post(c, "rollback", rollback_check, run_rollback);
}

/* --- POST /exec --- */

static int exec_check(json_t *body, char *msg, size_t len)
{
	struct act_req r = { 0 };
	struct act_exec e;
	int rc = act_parse_exec(body, &r, &e, msg, len);

	act_req_release(&r);
	return rc;
}

/* What the progress callbacks of exec and facts need: the job, and the report whose nodes they are. */
struct node_prog {
	struct api_job *j;
	const void *nodes;
};

static void exec_node_done(const struct exec_node *n, size_t done, size_t total, void *arg)
{
	struct node_prog *p = arg;
	const struct exec_report *rep = p->nodes;

	(void)done;
	(void)total;
	job_node_step(p->j, (size_t)(n - rep->nodes), exec_node_ok(n) ? "done" : "failed", true, exec_node_ok(n));
}

static enum job_state run_exec(struct api_job *j, json_t **report, char *msg, size_t len)
{
	struct act_req r = { 0 };
	struct act_fleet f = { 0 };
	struct act_exec e;
	struct exec_report rep = { 0 };
	struct exec_ctx ctx = { 0 };
	struct node_prog prog = { j, &rep };
	enum job_state st = JOB_FAILED;

	if (act_parse_exec(job_request(j), &r, &e, msg, len) < 0 || act_open(j, &r, false, &f, msg, len) < 0)
		goto out;
	ctx.executors = &f.wf.fleet.executors;
	ctx.stop = job_stop_flag(j);
	ctx.ledger = f.wf.fleet.ledger;
	ctx.parallel = f.wf.fleet.parallel;
	ctx.cipher = world_cipher(f.world);
	ctx.record_output = e.record_output;
	ctx.progress = (struct exec_progress){ exec_node_done, &prog };
	if (exec_run(&ctx, &f.targets, e.command, &rep) < 0) {
		snprintf(msg, len, "%s", err_msg());
		goto out;
	}
	st = of_counts(rep.ok, rep.n);
	report_text(report, exec_report_json(&rep, e.command));
	if (rep.ledger_err) {
		snprintf(msg, len, "the ledger did not take every event: %s", rep.ledger_msg);
		st = JOB_FAILED;
	}
out:
	exec_report_release(&rep);
	act_close(&f);
	act_req_release(&r);
	return st;
}

static void post_exec(struct api_call *c)
{
	act_post(c, "exec", exec_check, run_exec);
}

/* --- POST /facts/refresh --- */

static int facts_check(json_t *body, char *msg, size_t len)
{
	struct act_req r = { 0 };
	int rc = act_parse_facts(body, &r, msg, len);

	act_req_release(&r);
	return rc;
}

static void facts_node_done(const struct facts_node *n, size_t done, size_t total, void *arg)
{
	struct node_prog *p = arg;
	const struct facts_report *rep = p->nodes;

	(void)done;
	(void)total;
	job_node_step(p->j, (size_t)(n - rep->nodes), n->facts ? "done" : "failed", true, n->facts != NULL);
}

/* No targets given: as `chimera facts`, every machine of the inventory, else every node with stored facts. */
static int facts_default_targets(struct api_job *j, struct act_req *r, char *msg, size_t len)
{
	struct api *a = job_api(j);
	struct world *w = api_world_get(a);
	const struct inventory *inv;
	struct buf spec = BUF_INIT(0);
	struct ledger *l;
	int rc = 0;

	world_inventory(w, &inv);
	if (inv->n > 0)
		r->targets = strdup("all");
	else if (!(l = api_ledger(a)))
		rc = -1;
	else if ((rc = facts_stored_targets(l, &spec)) == 0)
		r->targets = buf_detach(&spec, NULL);
	api_world_put(a, w);
	buf_release(&spec);
	if (rc == 0 && !r->targets)
		rc = err_set(ERR_NOMEM, "out of memory");
	if (rc == ERR_INVALID)
		snprintf(msg, len, "no targets: give 'targets' (there is no inventory, and no node has stored facts)");
	else if (rc < 0)
		snprintf(msg, len, "%s", err_msg());
	return rc < 0 ? -1 : 0;
}

static enum job_state run_facts(struct api_job *j, json_t **report, char *msg, size_t len)
{
	struct act_req r = { 0 };
	struct act_fleet f = { 0 };
	struct facts_request *req = NULL;
	struct facts_report rep = { 0 };
	struct facts_ctx ctx = { 0 };
	struct node_prog prog = { j, &rep };
	const struct inventory *inv;
	enum job_state st = JOB_FAILED;

	if (act_parse_facts(job_request(j), &r, msg, len) < 0 ||
	    (!r.targets && facts_default_targets(j, &r, msg, len) < 0) || act_open(j, &r, false, &f, msg, len) < 0)
		goto out;
	world_inventory(f.world, &inv);
	if (facts_requests(&f.wf.fleet, inv, &f.targets, r.reach.profile, &req) < 0) {
		snprintf(msg, len, "%s", err_msg());
		goto out;
	}
	ctx.fleet = &f.wf.fleet;
	ctx.refresh = true;
	ctx.progress = (struct facts_progress){ facts_node_done, &prog };
	if (facts_run(&ctx, req, f.targets.n, &rep) < 0) {
		snprintf(msg, len, "%s", err_msg());
		goto out;
	}
	st = of_counts(rep.gathered + rep.stored, rep.n);
	report_text(report, facts_report_json(&rep));
	if (rep.ledger_err) {
		snprintf(msg, len, "the ledger did not take every event: %s", rep.ledger_msg);
		st = JOB_FAILED;
	}
out:
	facts_report_release(&rep);
	free(req);
	act_close(&f);
	act_req_release(&r);
	return st;
}

static void post_facts_refresh(struct api_call *c)
{
	act_post(c, "facts", facts_check, run_facts);
}

/* --- POST /watch/release/{node}: not a job, it only records --- */

static int seen(const struct ledger_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
	return 1;
}

static void post_watch_release(struct api_call *c)
{
	struct world *w;
	const struct inventory *inv;
	struct ledger *l;
	char name[TARGET_FORMAT_MAX], msg[1024];
	bool machine;
	json_t *body;
	int r;

	if (api_body(c, &body) < 0)
		return;
	r = act_parse_empty(body, msg, sizeof(msg));
	json_decref(body);
	if (r < 0) {
		act_bad(c, msg);
		return;
	}
	w = api_world_get(c->api);
	world_inventory(w, &inv);
	r = act_parse_node(c->param[0], inv, name, &machine, msg, sizeof(msg));
	api_world_put(c->api, w);
	if (r < 0) {
		api_error(c, 400, "bad_node", "%s", msg);
	} else if (!(l = api_ledger(c->api))) {
		api_error(c, 503, "ledger_unavailable", "the ledger cannot be opened: %s", err_msg());
	} else if (!machine && (r = ledger_scan(l, &(struct ledger_filter){ .node = name, .limit = 1 }, seen, NULL)) <= 0) {
		/* A node is known when it is a machine, or when the ledger has seen it (a target watched by hand). */
		if (r < 0)
			api_error(c, 503, "ledger_unavailable", "the ledger cannot be read: %s", err_msg());
		else
			api_error(c, 404, "not_found",
				  "no node '%s': not a machine of chimera.toml, and the ledger has no event for it"
				  " (GET %s/watch lists the watched nodes)", name, API_PREFIX);
	} else if (watch_release_by(l, name, c->caller) < 0) {
		api_error(c, 503, "ledger", "the release could not be recorded: %s", err_msg());
	} else {
		api_json_text(c, 200, watch_release_json(name));
	}
}

const struct api_route api_routes_act[] = {
	{ "POST", API_PREFIX "/deployments", TOKEN_ROLE_OPERATOR, post_deployments, true },
	{ "POST", API_PREFIX "/rollback", TOKEN_ROLE_OPERATOR, post_rollback, true },
	{ "POST", API_PREFIX "/exec", TOKEN_ROLE_OPERATOR, post_exec, true },
	{ "POST", API_PREFIX "/facts/refresh", TOKEN_ROLE_OPERATOR, post_facts_refresh, true },
	{ "POST", API_PREFIX "/watch/release/{node}", TOKEN_ROLE_OPERATOR, post_watch_release, true },
	{ "POST", API_PREFIX "/pipeline", TOKEN_ROLE_OPERATOR, api_post_pipeline, true },
	{ "POST", API_PREFIX "/simulate", TOKEN_ROLE_OPERATOR, api_post_simulate, true },
	{ "POST", API_PREFIX "/heal", TOKEN_ROLE_OPERATOR, api_post_heal, true },
	{ "POST", API_PREFIX "/certify", TOKEN_ROLE_OPERATOR, api_post_certify, true },
	{ NULL, NULL, 0, NULL, false },
};
