/*
 * POST routes for platform projects on the server's disk: pipeline, simulate, heal and
 * certify, each as its command does it (cmd_pipeline.c, cmd_simulate.c, cmd_heal.c,
 * cmd_certify.c), each a job (act.h) whose report is the JSON the command prints with
 * --json. A job's state is what the command's exit status says: 0 succeeded, 3 partial
 * (it ran, and did not pass, or was put back), 1 failed.
 */
#include "api/act.h"
#include "api/act_parse.h"
#include "api/api_internal.h"
#include "app/pipeline/certify_project.h"
#include "app/platform/heal.h"
#include "app/platform/simulate.h"
#include "core/goal.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* --- POST /simulate --- */

static int simulate_check(json_t *body, char *msg, size_t len)
{
	struct act_simulate s;

	return act_parse_simulate(body, &s, msg, len);
}

static enum job_state run_simulate(struct api_job *j, json_t **report, char *msg, size_t len)
{
	struct act_simulate s;
	struct simulate_opts o = { 0 };
	struct simulate_report rep;
	enum job_state st = JOB_FAILED;

	if (act_parse_simulate(job_request(j), &s, msg, len) < 0)
		return JOB_FAILED;
	o = (struct simulate_opts){ .platform = s.p.platform, .dir = s.p.dir, .file = s.file[0] ? s.file : NULL,
				    .attr = s.attr, .open_nix = world_nix_new };
	if (simulate_run(&o, &rep) < 0) {
		snprintf(msg, len, "%s", err_msg());
	} else {
		*report = simulate_report_json(&rep);
		st = sim_passed(&rep.sim) ? JOB_SUCCEEDED : JOB_PARTIAL;
	}
	simulate_report_release(&rep);
	return st;
}

void api_post_simulate(struct api_call *c)
{
	act_post(c, "simulate", simulate_check, run_simulate);
}

/* --- POST /heal --- */

static int heal_check(json_t *body, char *msg, size_t len)
{
	struct act_heal h;

	return act_parse_heal(body, &h, msg, len);
}

static enum job_state run_heal(struct api_job *j, json_t **report, char *msg, size_t len)
{
	struct act_heal h;
	struct heal_opts o;
	struct heal_report rep;
	enum job_state st = JOB_FAILED;

	if (act_parse_heal(job_request(j), &h, msg, len) < 0)
		return JOB_FAILED;
	o = (struct heal_opts){ .platform = h.p.platform, .dir = h.p.dir, .write = h.write };
	if (heal_project(&o, &rep) < 0) {
		snprintf(msg, len, "%s", err_msg());
	} else {
		*report = heal_project_json(&rep);
		st = sim_passed(&rep.heal.after) ? JOB_SUCCEEDED : JOB_PARTIAL;
	}
	heal_report_release(&rep);
	return st;
}

void api_post_heal(struct api_call *c)
{
	act_post(c, "heal", heal_check, run_heal);
}

/* --- POST /certify --- */

static int certify_check(json_t *body, char *msg, size_t len)
{
	struct act_certify cf;

	return act_parse_certify(body, &cf, msg, len);
}

/* Certify (or verify) CF with SG. */
static enum job_state certify_with(struct signer *sg, const struct act_certify *cf, json_t **report, char *msg,
				   size_t len)
{
	const struct certify_request rq = { .platform = cf->p.platform ? cf->p.platform->name : NULL, .dir = cf->p.dir,
					    .artifact = cf->artifact, .out_file = cf->out[0] ? cf->out : NULL };
	struct certify_report rep;
	enum job_state st = JOB_FAILED;
	int r;

	if (cf->verify[0]) {
		if ((r = certify_verify_file(sg, cf->verify, cf->p.dir)) < 0) {
			snprintf(msg, len, "%s", err_msg());
			return r == ERR_CORRUPT ? JOB_PARTIAL : JOB_FAILED;
		}
		*report = certify_verified_json(cf->verify);
		return JOB_SUCCEEDED;
	}
	if (certify_project(sg, &rq, &rep) < 0) {
		snprintf(msg, len, "%s", err_msg());
	} else {
		*report = certify_report_json(&rep);
		st = rep.certified ? JOB_SUCCEEDED : JOB_PARTIAL;
		if (!rep.certified)
			snprintf(msg, len, "not certified: the configuration did not pass every check (the report says which)");
	}
	certify_report_release(&rep);
	return st;
}

static enum job_state run_certify(struct api_job *j, json_t **report, char *msg, size_t len)
{
	struct act_certify cf;
	struct world w;
	struct signer *sg = NULL;
	enum job_state st = JOB_FAILED;

	if (act_parse_certify(job_request(j), &cf, msg, len) < 0)
		return JOB_FAILED;
	world_init(&w, api_world_options(job_api(j)));
	if (world_open_signer(&w, &sg) < 0)
		snprintf(msg, len, "%s", err_msg());
	else
		st = certify_with(sg, &cf, report, msg, len);
	signer_close(sg);
	world_close(&w);
	return st;
}

void api_post_certify(struct api_call *c)
{
	act_post(c, "certify", certify_check, run_certify);
}

/* --- POST /pipeline --- */

static int pipeline_check(json_t *body, char *msg, size_t len)
{
	struct act_pipeline *pl = malloc(sizeof(*pl));
	int r;

	if (!pl) {
		snprintf(msg, len, "out of memory");
		return -1;
	}
	r = act_parse_pipeline(body, pl, msg, len);
	act_pipeline_release(pl);
	free(pl);
	return r;
}

/* What the pipeline runs on: the job's fleet and Nix (nix), or a world of its own (netlify, render). */
struct pl_open {
	struct act_fleet f;
	struct world w;
	bool world;
	struct pipeline_parts parts;
};

static int pl_open(struct api_job *j, struct act_pipeline *pl, struct pl_open *o, char *msg, size_t len)
{
	struct pipeline_request *rq = &pl->rq;

	if (platform_builds(pl->p.platform)) {
		if (act_open(j, &pl->req, true, &o->f, msg, len) < 0)
			return -1;
		o->parts.deploy = &o->f.ctx;
		o->parts.ledger = o->f.wf.fleet.ledger;
		o->parts.http = o->f.wf.fleet.http;
		rq->targets = &o->f.targets;
		rq->profile = pl->req.reach.profile;
		rq->activate = pl->req.reach.activate;
		if (pl->req.reach.goal)
			goal_parse(pl->req.reach.goal, &rq->goal);
		rq->tmp_dir = o->f.tmp;
		api_world_lock(job_api(j));
		if (world_open_signer(o->f.world, &o->parts.signer) < 0) {
			snprintf(msg, len, "%s", err_msg());
			api_world_unlock(job_api(j));
			return -1;
		}
		api_world_unlock(job_api(j));
		return 0;
	}
	world_init(&o->w, api_world_options(job_api(j)));
	o->world = true;
	if (world_open_ledger(&o->w, &o->parts.ledger) < 0 || world_open_signer(&o->w, &o->parts.signer) < 0)
		goto fail;
	/* As the CLI: without them, cmd: checks and http: checks and hooks fail in their own reports. */
	if (world_open_executor(&o->w, "local", 600, &o->parts.local) < 0)
		o->parts.local = NULL;
	if (world_open_http(&o->w, &o->parts.http) < 0)
		o->parts.http = NULL;
	return 0;
fail:
	snprintf(msg, len, "%s", err_msg());
	return -1;
}

static void pl_close(struct pl_open *o)
{
	signer_close(o->parts.signer);
	if (o->world) {
		ledger_close(o->parts.ledger);
		http_close(o->parts.http);
		if (o->parts.local)
			o->parts.local->ops->close(o->parts.local);
		world_close(&o->w);
	}
	act_close(&o->f);
}

/* nix: each node's deploy outcome into the job's progress. */
static void pl_nodes(struct api_job *j, const struct pipeline *p)
{
	json_t *nodes = json_object_get(json_object_get(p->stages, "deploy"), "nodes"), *n;
	size_t i;

	json_array_foreach(nodes, i, n) {
		const char *outcome = json_string_value(json_object_get(n, "outcome"));

		if (outcome && strcmp(outcome, "pending") != 0)
			job_node_step(j, i, outcome, true, strcmp(outcome, "failed") != 0);
	}
}

static enum job_state run_pipeline(struct api_job *j, json_t **report, char *msg, size_t len)
{
	struct act_pipeline *pl = calloc(1, sizeof(*pl));
	struct pl_open *o = calloc(1, sizeof(*o));
	struct pipeline p = { 0 };
	enum job_state st = JOB_FAILED;

	if (!pl || !o) {
		snprintf(msg, len, "out of memory");
		goto out;
	}
	if (act_parse_pipeline(job_request(j), pl, msg, len) < 0 || pl_open(j, pl, o, msg, len) < 0)
		goto out;
	if (pipeline_project(&o->parts, &pl->rq, &p) < 0) {
		snprintf(msg, len, "%s", err_msg());
		goto out;
	}
	pl_nodes(j, &p);
	*report = pipeline_json(&p);
	if (p.ledger_err)
		snprintf(msg, len, "the ledger did not take every event: %s", p.ledger_msg);
	else if (p.state != PL_SUCCESS)
		snprintf(msg, len, "pipeline %s: %s", pipeline_state_name(p.state), p.reason);
	st = p.ledger_err || (p.state == PL_ROLLBACK && p.rollback_failed) ? JOB_FAILED
	     : p.state == PL_SUCCESS					      ? JOB_SUCCEEDED
									      : JOB_PARTIAL;
out:
	pipeline_release(&p);
	if (o)
		pl_close(o);
	if (pl)
		act_pipeline_release(pl);
	free(o);
	free(pl);
	return st;
}

void api_post_pipeline(struct api_call *c)
{
	act_post(c, "pipeline", pipeline_check, run_pipeline);
}
