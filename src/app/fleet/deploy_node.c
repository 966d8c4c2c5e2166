/* One node's steps after connect: check and copy, switch, activate, confirm, health; put back when they fail. */
#include "app/fleet/deadman.h"
#include "app/fleet/deploy_internal.h"
#include "app/fleet/health.h"
#include "app/fleet/repair.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

static json_t *steps_json(const struct deploy_node *n)
{
	json_t *o = json_object();
	int s;

	for (s = 0; s < STEP_COUNT; s++)
		if (n->step_ms[s] >= 0)
			json_object_set_new(o, deploy_step_name(s), json_integer(n->step_ms[s]));
	return o;
}

/* After a failed activation or health check (REASON): put the profile back on the previous generation and activate it. */
static void restore_previous(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
			     const char *reason)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct fleet_failure f = { 0 };
	json_t *p;
	int r;

	exec_result_init(&res);
	p = json_pack("{s:s, s:s, s:I}", "reason", reason, "to", n->previous, "to_generation",
		      (json_int_t)n->previous_gen);
	deploy_job_record(job, n, "chimera.rollback.triggered", p);
	r = remote_switch_generation(&cmd, n->profile, n->previous_gen);
	if (r == 0)
		r = fleet_step(&job->ctx->fleet, ex, s, "rollback", cmd.data, NULL, &res, &f);
	if (r == 0) {
		buf_reset(&cmd);
		exec_result_release(&res);
		exec_result_init(&res);
		r = remote_activate(&cmd, n->previous, &(struct remote_act){ n->activate, n->goal });
		if (r == 0)
			r = fleet_step_activation(&job->ctx->fleet, ex, s, "rollback-activate", cmd.data, &res, &f);
	}
	n->restored = r == 0 ? 1 : -1;
	if (r < 0)
		snprintf(n->restore_error, sizeof(n->restore_error), "%s", f.message);
	p = json_pack("{s:b, s:s, s:I, s:s}", "ok", r == 0, "path", n->previous, "generation",
		      (json_int_t)n->previous_gen, "error", r == 0 ? "" : f.message);
	deploy_job_record(job, n, "node.rollback.complete", p);
	exec_result_release(&res);
	buf_release(&cmd);
}

/* The health checks after activation: 0 when all pass, else FAIL says which did not. */
static int node_health(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s)
{
	struct buf why = BUF_INIT(0);
	int64_t t0 = clock_mono_ms();
	size_t i, failed = 0;
	int r = 0;

	deploy_job_enter(job, n, STEP_HEALTH);
	for (i = 0; i < n->nchecks; i++) {
		struct health_result res;

		if ((r = health_run(&n->checks[i], n->target.host, job->ctx->fleet.http, ex, s, &res)) < 0)
			break;
		if (!res.ok && failed++ < 3)
			buf_printf(&why, "%s%s: %s", failed > 1 ? "; " : "", n->checks[i].text, res.detail);
	}
	n->step_ms[STEP_HEALTH] = clock_mono_ms() - t0;
	if (r == 0 && failed) {
		r = err_set(ERR_IO, "%zu of %zu health checks failed: %s", failed, n->nchecks, why.data);
		fleet_fail(&n->fail, "health", r);
	} else if (r < 0) {
		fleet_fail(&n->fail, "health", r);
	}
	buf_release(&why);
	return r;
}

/* One node's run of its steps on an open session: what the steps share. */
struct node_run {
	struct deploy_job *job;
	struct deploy_node *n;
	struct executor *ex;
	struct exec_session *s;
	struct buf cmd;
	struct exec_result res;
	struct conv c;
	char list[64];		/* the node's file of closure paths, when there is one */
	int over;		/* the steps end here: the rest is skipped */
};

static void node_run_init(struct node_run *nr, struct deploy_job *job, struct deploy_node *n, struct executor *ex,
			  struct exec_session *s)
{
	*nr = (struct node_run){ .job = job, .n = n, .ex = ex, .s = s, .cmd = BUF_INIT(0) };
	exec_result_init(&nr->res);
	deploy_conv_init(&nr->c, job, n);
}

/* Remove the node's file of closure paths, if there is one, and free the run. */
static void node_run_release(struct node_run *nr)
{
	if (nr->list[0]) {
		struct exec_result rm;
		struct fleet_failure ignored;

		exec_result_init(&rm);
		buf_reset(&nr->cmd);
		if (remote_remove(&nr->cmd, nr->list) == 0)
			fleet_step(&nr->job->ctx->fleet, nr->ex, nr->s, "cleanup", nr->cmd.data, NULL, &rm, &ignored);
		exec_result_release(&rm);
	}
	deploy_conv_release(&nr->c);
	exec_result_release(&nr->res);
	buf_release(&nr->cmd);
}

/* Too many paths for a command line: they go over first, as a file named in nr->list. */
static int node_stash(struct node_run *nr)
{
	struct deploy_job *job = nr->job;
	struct deploy_node *n = nr->n;
	struct exec_input in = { .head = job->closure_list.data, .head_len = job->closure_list.len, .fd = -1 };
	int64_t t1 = clock_mono_ms();
	int r;

	if (!job->closure_list.len)
		return 0;
	if ((r = remote_stash(&nr->cmd)) < 0 ||
	    (r = fleet_step(&job->ctx->fleet, nr->ex, nr->s, "check", nr->cmd.data, &in, &nr->res, &n->fail)) < 0)
		return r;
	if ((r = remote_stash_parse(&nr->res.out, nr->list, sizeof(nr->list))) < 0) {
		fleet_fail(&n->fail, "check", r);
		return r;
	}
	deploy_add_step_ms(n, STEP_CHECK, t1);
	buf_reset(&nr->cmd);
	return 0;
}

/*
 * The deploy command from its check through the copy (and, when all goes well, on to the
 * end): once more after unregistering paths gone from the disk. A dry run ends here.
 */
static int node_check_copy(struct node_run *nr)
{
	struct deploy_job *job = nr->job;
	const struct deploy_opts *o = job->opts;
	struct deploy_node *n = nr->n;
	struct conv *c = &nr->c;
	const char *command;
	int own, r;

	nr->over = 1;
	if ((r = node_stash(nr)) < 0)
		return r;
	/* With a list file on the node, or a profile or activation of its own, the command is the node's; else the job's. */
	own = nr->list[0] || strcmp(n->profile, o->profile) != 0 || strcmp(n->activate, o->activate) != 0 ||
	      n->goal != o->goal;
	if (own && (r = remote_deploy(&nr->cmd, n->profile, job->closure_paths, job->closure.n,
				      nr->list[0] ? nr->list : NULL, job->rep->path,
				      &(struct remote_act){ n->activate, n->goal }, o->confirm_s, job->rep->id, NULL, 0)) < 0)
		return r;
	command = own ? nr->cmd.data : job->deploy_cmd.data;
	r = deploy_converse(c, nr->ex, nr->s, command, 1, &nr->res);
	if (r == 0 && c->settle) {
		/* Switches armed by earlier operations, before anything else (app/fleet/deadman.h). */
		if ((r = deadman_settle(&job->ctx->fleet, nr->ex, nr->s, n->name, job->rep->id, job->rep->path, NULL,
					&n->fail)) < 0)
			return r;
		deploy_conv_reset(c);
		c->settled = 1;
		r = deploy_converse(c, nr->ex, nr->s, command, 1, &nr->res);
	}
	if (r < 0 && n->step == STEP_COPY && n->fail.err == 0 && nr->res.status == REMOTE_STALE_STATUS) {
		/* Paths gone from the disk but registered: restored from the controller's copy, then the command again. */
		n->copy_paths += c->nmissing;
		n->copy_bytes += c->in.len;
		if ((r = deploy_repair_stale(job, n, nr->ex, nr->s, &nr->res)) < 0)
			return r;
		deploy_conv_reset(c);
		r = deploy_converse(c, nr->ex, nr->s, command, 1, &nr->res);
	}
	if (c->copying && c->copied) {
		n->copy_paths += c->nmissing;
		n->copy_bytes += c->in.len;
	}
	if (c->ready && !c->stop && (c->copied || !c->copying))
		deploy_job_record(job, n, "node.copy.complete",
				  json_pack("{s:I, s:I, s:I}", "paths", (json_int_t)n->copy_paths, "bytes",
					    (json_int_t)n->copy_bytes, "ms", (json_int_t)n->step_ms[STEP_COPY]));
	if (r == 0 && c->stop) {
		n->outcome = OUTCOME_PLANNED;
		return r;
	}
	nr->over = 0;
	return r;
}

/*
 * `nix-env --set` proves the path valid on the node, and with it its closure. Refused (R,
 * a path on disk but never registered, say after an interrupted import): ask Nix which
 * paths are invalid, send those, and switch again, once. Returns the switch's result, or
 * ends the steps (nr->over) when there was nothing to send or sending failed.
 */
static int node_switch_again(struct node_run *nr, int r)
{
	struct deploy_job *job = nr->job;
	const struct deploy_opts *o = job->opts;
	struct deploy_node *n = nr->n;
	struct fleet_failure first;
	int sent;

	if (!(r < 0 && n->step == STEP_SWITCH && n->fail.err == 0 && nr->c.ready))
		return r;
	first = n->fail;
	memset(&n->fail, 0, sizeof(n->fail));
	nr->over = 1;
	if ((sent = deploy_copy_invalid(job, n, nr->ex, nr->s, nr->list[0] ? nr->list : NULL, &nr->res)) < 0)
		return sent;
	if (sent == 0) {
		n->fail = first;
		return r;
	}
	buf_reset(&nr->cmd);
	if ((r = remote_deploy(&nr->cmd, n->profile, NULL, 0, NULL, job->rep->path,
			       &(struct remote_act){ n->activate, n->goal }, o->confirm_s, job->rep->id,
			       deploy_switches(n, job->rep->path) ? "set" : "valid", o->confirm_s > 0 ? n->previous_gen : 0)) < 0)
		return r;
	nr->over = 0;
	deploy_job_enter(job, n, STEP_SWITCH);
	return deploy_converse(&nr->c, nr->ex, nr->s, nr->cmd.data, 0, &nr->res);
}

/* A failed activation (SWITCHED: to a new path): a timed-out one is put back too; on a lost connection the attempt fails and says so. */
static void node_activation_failed(struct node_run *nr, int switched)
{
	struct deploy_node *n = nr->n;

	if (n->step != STEP_ACTIVATE || !switched || n->previous_gen == 0)
		return;
	/* Take the dead-man switch back first; if it already fired, the node is doing this itself. */
	buf_reset(&nr->cmd);
	if (!nr->c.armed[0] || (remote_confirm(&nr->cmd, nr->c.armed) == 0 &&
				deploy_quiet_run(nr->job, nr->ex, nr->s, nr->cmd.data, &nr->res) == 0))
		restore_previous(nr->job, n, nr->ex, nr->s, "activation failed");
	else
		deploy_magic_wait(nr->job, n, nr->ex, &nr->c, "activation failed after the node's own switch had fired");
}

/* confirm: the profile as the command read it back, or (its marker lost) read again, must be the path. */
static int node_confirm(struct node_run *nr)
{
	struct deploy_job *job = nr->job;
	struct deploy_node *n = nr->n;
	/* switch and boot point the profile at the path; test and dry-activate leave it where it was. */
	const char *path = goal_sets_profile(n->goal) ? job->rep->path : n->previous;
	struct conv *c = &nr->c;
	struct gen_list gens;
	int64_t t0;
	int r = 0;

	gen_list_init(&gens);
	if (!c->confirmed) {
		deploy_job_enter(job, n, STEP_CONFIRM);
		t0 = clock_mono_ms();
		r = fleet_read_profile(&job->ctx->fleet, nr->ex, nr->s, "confirm", n->profile, path, &gens, &n->fail);
		n->step_ms[STEP_CONFIRM] = clock_mono_ms() - t0;
		if (r == 0)
			snprintf(c->profile, sizeof(c->profile), "%s", gens.current_path);
	}
	if (r == 0 && strcmp(c->profile, path) != 0) {
		r = err_set(ERR_IO, "the profile points at '%s', expected '%s'", c->profile[0] ? c->profile : "nothing",
			    path);
		fleet_fail(&n->fail, "confirm", r);
	}
	gen_list_release(&gens);
	return r;
}

/* What a dry activation printed, for the report: its stdout, then the end of stderr, cut to fit. */
static void keep_shown(struct deploy_node *n, const struct conv *c, const struct exec_result *res)
{
	size_t len = c->act_to > c->act_from && c->act_to <= res->out.len ? c->act_to - c->act_from : 0;
	size_t cap = sizeof(n->shown) - 1, take = len < cap / 2 ? len : cap / 2, err = res->err.len;

	memcpy(n->shown, res->out.data + c->act_from + (len - take), take);
	if (err > cap - take)
		err = cap - take;
	memcpy(n->shown + take, res->err.data + (res->err.len - err), err);
	n->shown[take + err] = '\0';
}

/* From the switch's result R on: the activation, confirm, magic rollback's confirmation, health. */
static int node_activated(struct node_run *nr, int r)
{
	struct deploy_job *job = nr->job;
	struct deploy_node *n = nr->n;
	const char *path = job->rep->path;
	int switched = deploy_switches(n, path);

	snprintf(n->activation, sizeof(n->activation), "%s", nr->c.kind[0] ? nr->c.kind : "unknown");
	if (r < 0) {
		node_activation_failed(nr, switched);
		return r;
	}
	if (n->goal == GOAL_DRY_ACTIVATE)
		keep_shown(n, &nr->c, &nr->res);
	deploy_job_record(job, n, "node.activate.complete",
			  json_pack("{s:s, s:s, s:s, s:I}", "path", path, "activation", n->activation, "goal",
				    goal_name(n->goal), "ms", (json_int_t)n->step_ms[STEP_ACTIVATE]));
	if ((r = node_confirm(nr)) < 0)
		return r;
	/* Magic rollback: the new configuration must still let the controller in. */
	if (nr->c.armed[0] && (r = deploy_magic_confirm(job, n, nr->ex, &nr->c)) < 0)
		return r;
	if (n->nchecks && (r = node_health(job, n, nr->ex, nr->s)) < 0) {
		if (!job->opts->keep_on_failure && switched && n->previous_gen > 0)
			restore_previous(job, n, nr->ex, nr->s, "health check failed");
		return r;
	}
	n->outcome = OUTCOME_DEPLOYED;
	return r;
}

/* Everything after connect, on an open session. Returns 0 when the node is deployed (or planned). */
static int node_steps(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s)
{
	struct node_run nr;
	int r;

	node_run_init(&nr, job, n, ex, s);
	deploy_job_enter(job, n, STEP_CHECK);
	r = node_check_copy(&nr);
	if (!nr.over)
		r = node_switch_again(&nr, r);
	if (!nr.over)
		r = node_activated(&nr, r);
	node_run_release(&nr);
	return r;
}

/* The caller's hooks around a node's steps. */
int deploy_node_hooked(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s)
{
	const struct deploy_opts *o = job->opts;
	int r;

	n->path = job->rep->path;
	n->deployment = job->rep->id;
	if (!o->dry_run && o->before && (r = o->before(n, ex, s, o->hook_arg)) < 0)
		return r;
	if (!o->dry_run && (o->repair || n->repair) && (r = deploy_repair_closure(job, n, ex, s)) < 0)
		return r;
	if ((r = node_steps(job, n, ex, s)) < 0)
		return r;
	if (o->dry_run && o->diff && n->outcome == OUTCOME_PLANNED)
		return deploy_diff_node(job, n, ex, s);
	if (n->outcome != OUTCOME_DEPLOYED || !o->after)
		return r;
	if ((r = o->after(n, ex, s, o->hook_arg)) < 0)
		n->outcome = OUTCOME_FAILED;
	return r;
}

/* After a node's steps (R their result): its outcome, and node.failed or node.deploy.complete. */
void deploy_node_finish(struct deploy_job *job, struct deploy_node *n, int r)
{
	if (r < 0 || (n->outcome != OUTCOME_DEPLOYED && n->outcome != OUTCOME_PLANNED)) {
		n->outcome = OUTCOME_FAILED;
		if (!n->fail.step)
			fleet_fail(&n->fail, deploy_step_name(n->step), r);
		deploy_job_record(job, n, "node.failed",
		       json_pack("{s:s, s:i, s:s, s:s, s:o, s:i, s:b}", "step", n->fail.step, "status", n->fail.status,
				 "error", n->fail.message, "stderr_tail", n->fail.stderr_tail, "steps", steps_json(n),
				 "restored", n->restored, "rolled_back_by_node", n->rolled_back_by_node));
		log_kv(LOG_WARN, "deploy", "node failed", "node", n->name, "step", n->fail.step, "error", n->fail.message,
		       (const char *)NULL);
	} else if (n->outcome == OUTCOME_DEPLOYED) {
		deploy_job_record(job, n, "node.deploy.complete",
		       json_pack("{s:s, s:s, s:s, s:I, s:I, s:o}", "path", job->rep->path, "previous", n->previous,
				 "profile", n->profile, "paths", (json_int_t)n->copy_paths, "bytes",
				 (json_int_t)n->copy_bytes, "steps", steps_json(n)));
	}
}
