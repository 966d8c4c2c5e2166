/* Use case: build once, then put every node on the result in parallel, with a per-node account. */
#include "app/fleet/deploy_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/pool.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static const char *const step_names[STEP_COUNT] = { "connect", "check", "copy", "switch", "activate", "confirm",
							  "health" };

const char *deploy_step_name(enum deploy_step s)
{
	return (unsigned)s < STEP_COUNT ? step_names[s] : "unknown";
}

static void job_ledger_error(struct deploy_job *job, int r)
{
	if (r >= 0)
		return;
	pthread_mutex_lock(&job->lock);
	if (job->rep->ledger_err == 0) {
		job->rep->ledger_err = r;
		snprintf(job->rep->ledger_msg, sizeof(job->rep->ledger_msg), "%s", err_msg());
	}
	pthread_mutex_unlock(&job->lock);
}

void deploy_job_record(struct deploy_job *job, const struct deploy_node *n, const char *topic, json_t *payload)
{
	job_ledger_error(job, fleet_record(job->ctx->fleet.ledger, topic, job->rep->id, n ? n->name : NULL, payload, NULL));
}

void deploy_job_enter(struct deploy_job *job, struct deploy_node *n, enum deploy_step s)
{
	n->step = s;
	if (job->ctx->progress.step)
		job->ctx->progress.step(n, job->ctx->progress.arg);
}

static int path_info_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct nix_path_info *)elem)->path);
}

uint64_t deploy_job_nar_size(const struct deploy_job *job, const char *path)
{
	const struct nix_path_info *pi =
		bsearch(path, job->closure.items, job->closure.n, sizeof(*job->closure.items), path_info_key_cmp);

	return pi ? pi->nar_size : 0;
}

/* Add the time since T0 to STEP's (a step may run more than once: a copy after a refused switch). */
void deploy_add_step_ms(struct deploy_node *n, enum deploy_step step, int64_t t0)
{
	n->step_ms[step] = (n->step_ms[step] > 0 ? n->step_ms[step] : 0) + clock_mono_ms() - t0;
}

/* Run one step's command, timing it. */
int deploy_run_step(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
		    enum deploy_step step, const char *cmd, const struct exec_input *in, struct exec_result *res)
{
	int64_t t0 = clock_mono_ms();
	int r;

	if (n->step != step)
		deploy_job_enter(job, n, step);
	exec_result_release(res);
	exec_result_init(res);
	r = fleet_step(&job->ctx->fleet, ex, s, deploy_step_name(step), cmd, in, res, &n->fail);
	deploy_add_step_ms(n, step, t0);
	return r;
}

/* Run CMD in S as a step of its own (RES re-initialised); 0 when it ran and exited 0. */
int deploy_quiet_run(const struct deploy_job *job, struct executor *ex, struct exec_session *s, const char *cmd,
		     struct exec_result *res)
{
	struct exec_opts o = { .timeout_s = job->ctx->fleet.step_timeout_s };
	int r;

	exec_result_release(res);
	exec_result_init(res);
	r = ex->ops->run(s, cmd, &o, res);
	return r < 0 ? r : res->status == 0 ? 0 : ERR_IO;
}

static void deploy_one(size_t i, void *arg)
{
	struct deploy_job *job = arg;
	struct deploy_node *n = &job->rep->nodes[i];
	struct executor *ex;
	struct exec_session *s;
	int64_t t0 = clock_mono_ms();
	int r;

	deploy_job_enter(job, n, STEP_CONNECT);
	if (fleet_stopped(&job->ctx->fleet)) {
		fleet_fail_cancelled(&n->fail);
		r = ERR_BUSY;
	} else {
		r = fleet_connect(&job->ctx->fleet, &n->target, &ex, &s, &n->fail);
		n->step_ms[STEP_CONNECT] = clock_mono_ms() - t0;
	}
	if (r == 0) {
		/* Held by another operation past the lock wait: failed at "lease", nothing done to it. */
		if ((r = fleet_node_begin(&job->op, &n->target, n->name, job->rep->path, ex, s, &n->fail)) == 0) {
			r = deploy_node_hooked(job, n, ex, s);
			fleet_node_end(&job->op, &n->target, n->name, ex, s);
		}
		ex->ops->disconnect(s);
	}
	n->ms = clock_mono_ms() - t0;
	deploy_node_finish(job, n, r);
	pthread_mutex_lock(&job->lock);
	if (n->outcome == OUTCOME_FAILED)
		job->rep->failed++;
	else
		job->rep->ok++;
	job->done++;
	if (job->ctx->progress.done)
		job->ctx->progress.done(n, job->done, job->rep->n, job->ctx->progress.arg);
	pthread_mutex_unlock(&job->lock);
}

/* N's profile and activation (the ones it has, else its own through F, else O's) and checks (NO's, else O's). */
static void node_settings(struct deploy_node *n, const struct fleet *f, const struct deploy_opts *o,
			  const struct deploy_node_opts *no)
{
	/* One look-up of the machine's settings; an operation with its own (chimera run) takes none. */
	struct node_settings ns = { 0 };

	if (!o->own_settings && (!n->profile || !n->activate))
		ns = fleet_settings(f, &n->target);
	if (!n->profile)
		n->profile = ns.profile ? ns.profile : o->profile;
	if (!n->activate) {
		n->activate = ns.activate ? ns.activate : o->activate;
		n->goal = node_settings_goal(&ns, o->goal);
	}
	if (no && no->checks) {
		n->checks = no->checks;
		n->nchecks = no->nchecks;
	} else if (!n->checks) {
		n->checks = o->checks;
		n->nchecks = o->nchecks;
	}
}

static json_t *source_json(const struct deploy_opts *o)
{
	json_t *src = json_object(), *args;
	size_t i;

	if (o->expect) {
		json_object_set_new(src, "expect", json_string(o->expect));
		return src;
	}
	if (o->source->flake) {
		json_object_set_new(src, "flake", json_string(o->source->flake));
		return src;
	}
	json_object_set_new(src, "file", json_string(o->source->file));
	if (o->source->attr)
		json_object_set_new(src, "attr", json_string(o->source->attr));
	args = json_array();
	for (i = 0; i < o->source->nargs; i++)
		json_array_append_new(args, json_pack("{s:s, s:s, s:s}", "kind", o->source->args[i].is_str ? "argstr" : "arg",
						      "name", o->source->args[i].name, "value", o->source->args[i].value));
	json_object_set_new(src, "args", args);
	return src;
}

static int closure_item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nix_path_info *)a)->path, ((const struct nix_path_info *)b)->path);
}

static void job_init(struct deploy_job *job)
{
	pthread_mutex_init(&job->lock, NULL);
	pthread_mutex_init(&job->spool.lock, NULL);
	pthread_cond_init(&job->spool.cond, NULL);
	job->spool.nix = job->ctx->nix;
	job->spool.dir = job->opts->tmp_dir;
	job->closure_list = (struct buf)BUF_INIT(0);
	job->deploy_cmd = (struct buf)BUF_INIT(0);
}

/* The closure of job->rep->path, sorted, with the command-line forms the nodes get. */
static int job_prepare(struct deploy_job *job)
{
	size_t i;
	int r;

	if ((r = job->ctx->nix->ops->closure(job->ctx->nix, job->rep->path, &job->closure)) < 0)
		return r;
	qsort(job->closure.items, job->closure.n, sizeof(*job->closure.items), closure_item_cmp);
	if (!(job->closure_paths = calloc(job->closure.n + 1, sizeof(char *))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < job->closure.n; i++)
		job->closure_paths[i] = job->closure.items[i].path;
	if (!remote_paths_fit(job->closure_paths, job->closure.n))
		for (i = 0; i < job->closure.n; i++)
			if (buf_adds(&job->closure_list, job->closure_paths[i]) < 0 ||
			    buf_addc(&job->closure_list, '\n') < 0)
				return err_set(ERR_NOMEM, "out of memory");
	/* Built once here, not per node: with every path quoted in it, it can be 128 KiB. */
	if (!job->closure_list.len)
		return remote_deploy(&job->deploy_cmd, job->opts->profile, job->closure_paths, job->closure.n, NULL,
				     job->rep->path, &(struct remote_act){ job->opts->activate, job->opts->goal },
				     job->opts->confirm_s, job->rep->id, NULL, 0);
	return 0;
}

static void job_release(struct deploy_job *job)
{
	deploy_spool_release(&job->spool);
	free(job->closure_paths);
	buf_release(&job->closure_list);
	buf_release(&job->deploy_cmd);
	nix_closure_release(&job->closure);
	pthread_mutex_destroy(&job->lock);
	pthread_mutex_destroy(&job->spool.lock);
	pthread_cond_destroy(&job->spool.cond);
}

struct deploy_plan {
	struct deploy_job job;
	struct deploy_report rep;
	struct deploy_opts opts;
};

int deploy_plan_new(const struct deploy_ctx *ctx, const struct deploy_opts *opts, const char *path, const char *id,
		    struct deploy_plan **out)
{
	struct deploy_plan *p;
	int r;

	*out = NULL;
	if (!storepath_valid(path, strlen(path)))
		return err_set(ERR_INVALID, "'%s' is not a store path", path);
	if (!(p = calloc(1, sizeof(*p))))
		return err_set(ERR_NOMEM, "out of memory");
	p->opts = *opts;
	p->opts.dry_run = 0;
	snprintf(p->rep.path, sizeof(p->rep.path), "%s", path);
	snprintf(p->rep.id, sizeof(p->rep.id), "%s", id);
	p->job.ctx = ctx;
	p->job.opts = &p->opts;
	p->job.rep = &p->rep;
	job_init(&p->job);
	if ((r = job_prepare(&p->job)) < 0) {
		deploy_plan_free(p);
		return r;
	}
	*out = p;
	return 0;
}

char *const *deploy_plan_paths(const struct deploy_plan *p, size_t *n)
{
	*n = p->job.closure.n;
	return p->job.closure_paths;
}

int deploy_plan_node(struct deploy_plan *p, struct deploy_node *n, struct executor *ex, struct exec_session *s)
{
	int64_t t0 = clock_mono_ms();
	int r, st;

	memset(&n->fail, 0, sizeof(n->fail));
	node_settings(n, &p->job.ctx->fleet, &p->opts, NULL);
	n->outcome = OUTCOME_PENDING;
	n->copy_paths = 0;
	n->copy_bytes = 0;
	n->restored = 0;
	n->rolled_back_by_node = 0;
	for (st = 0; st < STEP_COUNT; st++)
		n->step_ms[st] = -1;
	r = deploy_node_hooked(&p->job, n, ex, s);
	n->ms = clock_mono_ms() - t0;
	deploy_node_finish(&p->job, n, r);
	return n->outcome == OUTCOME_DEPLOYED ? 0 : r < 0 ? r : ERR_IO;
}

void deploy_plan_free(struct deploy_plan *p)
{
	if (!p)
		return;
	job_release(&p->job);
	free(p);
}

/* REP's nodes, one per target in order, with their settings; their names go in NAMES. */
static int report_nodes(struct deploy_report *rep, const struct deploy_ctx *ctx, const struct target_list *targets,
			const struct deploy_opts *opts, json_t *names)
{
	size_t i;
	int r;

	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes))))
		return err_set(ERR_NOMEM, "out of memory");
	rep->n = targets->n;
	for (i = 0; i < targets->n; i++) {
		struct deploy_node *n = &rep->nodes[i];
		int s;

		n->index = i;
		n->target = targets->items[i];
		node_settings(n, &ctx->fleet, opts, opts->nodes ? &opts->nodes[i] : NULL);
		if ((r = profile_path_check(n->profile)) < 0)
			return r;
		fleet_node_name(&n->target, n->name, sizeof(n->name));
		for (s = 0; s < STEP_COUNT; s++)
			n->step_ms[s] = -1;
		json_array_append_new(names, json_string(n->name));
	}
	return 0;
}

/* Build once (unless given the path): rep->path, and chimera.deploy.complete when the build failed. */
static int build_once(struct deploy_job *job)
{
	const struct deploy_opts *opts = job->opts;
	struct deploy_report *rep = job->rep;
	char msg[8192];	/* a failed build's message quotes its log */
	int r;

	if (opts->expect) {
		snprintf(rep->path, sizeof(rep->path), "%s", opts->expect);
		return 0;
	}
	if ((r = job->ctx->nix->ops->build(job->ctx->nix, opts->source, rep->path, NULL)) >= 0)
		return r;
	snprintf(msg, sizeof(msg), "%s", err_msg());
	deploy_job_record(job, NULL, "chimera.deploy.complete",
			  json_pack("{s:s, s:s, s:i, s:i, s:i}", "result", "build failed", "error", msg, "nodes",
				    (int)rep->n, "ok", 0, "failed", 0));
	return err_set(r, "%s", msg);
}

int deploy_run(const struct deploy_ctx *ctx, const struct target_list *targets, const struct deploy_opts *opts,
	       struct deploy_report *rep)
{
	struct deploy_job job = { .ctx = ctx, .opts = opts, .rep = rep };
	struct deployment_id id;
	int64_t t0 = clock_mono_ms(), tb;
	json_t *names = NULL;
	int r;

	memset(rep, 0, sizeof(*rep));
	job_init(&job);
	if ((r = ledger_writable(ctx->fleet.ledger)) < 0)
		goto out;
	if ((r = profile_path_check(opts->profile)) < 0)
		goto out;
	if (opts->expect && !storepath_valid(opts->expect, strlen(opts->expect))) {
		r = err_set(ERR_INVALID, "--expect '%s' is not a store path", opts->expect);
		goto out;
	}
	if (!opts->expect && (r = nix_source_check(opts->source)) < 0)
		goto out;
	if (opts->id)
		snprintf(rep->id, sizeof(rep->id), "%s", opts->id);
	else if ((r = deployment_id_generate(&id, (uint64_t)clock_wall_ms())) < 0)
		goto out;
	else
		deployment_id_format(&id, rep->id, sizeof(rep->id));
	if ((r = report_nodes(rep, ctx, targets, opts, (names = json_array()))) < 0)
		goto out;
	if (!opts->id)
		deploy_job_record(&job, NULL, "deploy.initiated",
				  json_pack("{s:o, s:s, s:s, s:b, s:o, s:o*}", "source", source_json(opts), "profile",
					    opts->profile, "activate", opts->activate, "dry_run", opts->dry_run, "nodes",
					    names, "resumes", opts->resumes ? json_string(opts->resumes) : NULL));
	else
		json_decref(names);
	names = NULL;
	tb = clock_mono_ms();
	if ((r = build_once(&job)) < 0 || (r = job_prepare(&job)) < 0)
		goto out;
	rep->build_ms = clock_mono_ms() - tb;
	rep->closure_paths = job.closure.n;
	rep->closure_bytes = job.closure.bytes;
	deploy_job_record(&job, NULL, "chimera.deploy.start",
			  json_pack("{s:s, s:I, s:I, s:I, s:i, s:b}", "path", rep->path, "closure_paths",
				    (json_int_t)job.closure.n, "closure_bytes", (json_int_t)job.closure.bytes, "build_ms",
				    (json_int_t)rep->build_ms, "nodes", (int)rep->n, "dry_run", opts->dry_run));
	if (!opts->dry_run && (r = fleet_op_begin(&job.op, &ctx->fleet, "deploy", rep->id)) < 0)
		goto out;
	/* Each node's deploy command settles and leaves the witness (deploy_conv.c), unless a
	 * hook acts on the node before it: then the lease's seams settle first. */
	job.op.own_settle = !opts->before;
	r = pool_run(rep->n, ctx->fleet.parallel, deploy_one, &job);
	fleet_op_end(&job.op);
	if (r < 0)
		goto out;
	rep->ms = clock_mono_ms() - t0;
	deploy_job_record(&job, NULL, "chimera.deploy.complete",
			  json_pack("{s:s, s:s, s:i, s:i, s:i, s:I, s:b}", "result",
				    rep->failed == 0 ? "success" : rep->ok ? "partial" : "failed", "path", rep->path,
				    "nodes", (int)rep->n, "ok", (int)rep->ok, "failed", (int)rep->failed, "ms",
				    (json_int_t)rep->ms, "dry_run", opts->dry_run));
out:
	json_decref(names);
	job_release(&job);
	return r;
}

void deploy_report_release(struct deploy_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		deploy_diff_free(&rep->nodes[i]);
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}

struct json_t *deploy_source_json(const struct nix_source *src)
{
	if (src->flake)
		return json_pack("{s:s}", "flake", src->flake);
	return json_pack("{s:s, s:o}", "file", src->file, "attr", src->attr ? json_string(src->attr) : json_null());
}
