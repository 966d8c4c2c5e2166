/* Use case: take a set of nodes back to a generation, all of them or none. */
#include "app/fleet/rollback.h"
#include "app/fleet/lease.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/pool.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

const char *rollback_state_name(enum rollback_state s)
{
	static const char *const names[] = { "pending", "missing-generation", "unreachable", "switched", "failed",
					     "reverted", "revert-failed", "skipped", "held" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

struct rb_job {
	const struct fleet *f;
	const char *profile;
	const char *activate;
	enum goal goal;
	uint32_t gen;
	const uint32_t *gens;
	struct rollback_report *rep;
	struct exec_session **sessions;
	struct fleet_op op;	/* the node leases, each taken in phase 1 and kept to the end */
	char *leased;		/* per node: its lease is taken */
	int abort;		/* a node failed: start no more */
	pthread_mutex_t lock;
};

static struct executor *exec_of(struct rb_job *job, size_t i)
{
	return fleet_executor(job->f, &job->rep->nodes[i].target);
}

/* Phase 1: connect, list generations, pick the target generation. */
static void rb_check(size_t i, void *arg)
{
	struct rb_job *job = arg;
	struct rollback_node *n = &job->rep->nodes[i];
	struct executor *ex;
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct gen_list gens;
	const struct generation *g;
	uint32_t want;
	int r;

	exec_result_init(&res);
	gen_list_init(&gens);
	/* Stopped before this node was checked: the rollback, all or none, goes nowhere. */
	if (fleet_stopped(job->f)) {
		fleet_fail_cancelled(&n->fail);
		n->state = RB_UNREACHABLE;
		goto out;
	}
	if ((r = fleet_connect(job->f, &n->target, &ex, &job->sessions[i], &n->fail)) < 0) {
		n->state = RB_UNREACHABLE;
		goto out;
	}
	/* Held by another operation past the lock wait: the rollback is refused, all or none. */
	if ((r = fleet_node_begin(&job->op, &n->target, n->name, NULL, ex, job->sessions[i], &n->fail)) < 0) {
		n->state = r == ERR_BUSY ? RB_HELD : RB_UNREACHABLE;
		goto out;
	}
	job->leased[i] = 1;
	if ((r = remote_probe_generations(&cmd, fleet_profile(job->f, &n->target, job->profile))) < 0 ||
	    (r = fleet_step(job->f, ex, job->sessions[i], "check", cmd.data, NULL, &res, &n->fail)) < 0) {
		n->state = RB_UNREACHABLE;
		goto out;
	}
	if ((r = fleet_parse_probe(fleet_profile(job->f, &n->target, job->profile), &res.out, &gens, NULL, NULL)) < 0) {
		fleet_fail(&n->fail, "check", r);
		n->state = RB_UNREACHABLE;
		goto out;
	}
	n->from_gen = n->end_gen = gens.current;
	snprintf(n->from_path, sizeof(n->from_path), "%s", gens.current_path);
	snprintf(n->end_path, sizeof(n->end_path), "%s", gens.current_path);
	want = job->gens ? job->gens[i] : job->gen;
	g = want ? gen_list_find(&gens, want) : gen_list_previous(&gens);
	if (!g) {
		n->state = RB_MISSING;
		n->fail.step = "check";
		n->fail.status = -1;
		if (want)
			snprintf(n->fail.message, sizeof(n->fail.message), "has no generation %u", want);
		else if (gens.current)
			snprintf(n->fail.message, sizeof(n->fail.message), "has no generation before its current one (%u)",
				 gens.current);
		else
			snprintf(n->fail.message, sizeof(n->fail.message), "has no generations of this profile");
		goto out;
	}
	n->to_gen = g->num;
	snprintf(n->to_path, sizeof(n->to_path), "%s", g->path);
	n->state = RB_PENDING;
out:
	gen_list_release(&gens);
	exec_result_release(&res);
	buf_release(&cmd);
}

/* Switch node I to generation GEN (path PATH), activate, confirm. Returns 0 or an error with FAIL set. */
static int rb_switch(struct rb_job *job, size_t i, uint32_t gen, const char *path, struct fleet_failure *fail)
{
	struct rollback_node *n = &job->rep->nodes[i];
	struct executor *ex = exec_of(job, i);
	struct exec_session *s = job->sessions[i];
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct gen_list gens;
	enum goal goal = fleet_goal(job->f, &n->target, job->goal);
	int r;

	exec_result_init(&res);
	gen_list_init(&gens);
	/* test and dry-activate leave the profile where it is: only the activation sees GEN. */
	if (goal_sets_profile(goal) &&
	    ((r = remote_switch_generation(&cmd, fleet_profile(job->f, &n->target, job->profile), gen)) < 0 ||
	     (r = fleet_step(job->f, ex, s, "switch", cmd.data, NULL, &res, fail)) < 0))
		goto out;
	buf_reset(&cmd);
	exec_result_release(&res);
	exec_result_init(&res);
	if ((r = remote_activate(&cmd, path,
				 &(struct remote_act){ fleet_activate(job->f, &n->target, job->activate), goal })) < 0)
		goto out;
	r = fleet_step_activation(job->f, ex, s, "activate", cmd.data, &res, fail);
	remote_activation_kind(&res.out, n->activation, sizeof(n->activation));
	if (r < 0)
		goto out;
	buf_reset(&cmd);
	exec_result_release(&res);
	exec_result_init(&res);
	if ((r = remote_probe_current(&cmd, fleet_profile(job->f, &n->target, job->profile))) < 0 ||
	    (r = fleet_step(job->f, ex, s, "confirm", cmd.data, NULL, &res, fail)) < 0)
		goto out;
	if ((r = fleet_parse_probe(fleet_profile(job->f, &n->target, job->profile), &res.out, &gens, NULL, NULL)) < 0) {
		fleet_fail(fail, "confirm", r);
		goto out;
	}
	n->end_gen = gens.current;
	snprintf(n->end_path, sizeof(n->end_path), "%s", gens.current_path);
	if (goal_sets_profile(goal) && strcmp(gens.current_path, path) != 0) {
		r = err_set(ERR_IO, "the profile points at '%s', expected '%s'",
			    gens.current_path[0] ? gens.current_path : "nothing", path);
		fleet_fail(fail, "confirm", r);
	}
out:
	gen_list_release(&gens);
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

/* Phase 2: switch every node unless another already failed. */
static void rb_apply(size_t i, void *arg)
{
	struct rb_job *job = arg;
	struct rollback_node *n = &job->rep->nodes[i];
	int64_t t0 = clock_mono_ms();
	int stop;

	pthread_mutex_lock(&job->lock);
	stop = job->abort;
	pthread_mutex_unlock(&job->lock);
	if (stop) {
		n->state = RB_SKIPPED;
		return;
	}
	if (rb_switch(job, i, n->to_gen, n->to_path, &n->fail) < 0) {
		n->state = RB_FAILED;
		pthread_mutex_lock(&job->lock);
		job->abort = 1;
		pthread_mutex_unlock(&job->lock);
	} else {
		n->state = RB_SWITCHED;
	}
	n->ms = clock_mono_ms() - t0;
}

/* Phase 3: put back every node that was touched. */
static void rb_revert(size_t i, void *arg)
{
	struct rb_job *job = arg;
	struct rollback_node *n = &job->rep->nodes[i];
	struct fleet_failure fail = { 0 };

	if (n->state != RB_SWITCHED && n->state != RB_FAILED)
		return;
	if (!n->from_gen) {
		n->state = RB_REVERT_FAILED;
		snprintf(n->fail.message, sizeof(n->fail.message), "was on no generation before; left on %u", n->end_gen);
		return;
	}
	if (rb_switch(job, i, n->from_gen, n->from_path, &fail) < 0) {
		n->state = RB_REVERT_FAILED;
		if (!n->fail.step)
			n->fail = fail;
		else
			snprintf(n->fail.message + strlen(n->fail.message), sizeof(n->fail.message) - strlen(n->fail.message),
				 "; putting it back failed too: %s", fail.message);
		return;
	}
	n->state = RB_REVERTED;
}

static void rb_record(struct rb_job *job, const char *topic, const char *node, json_t *p)
{
	int r = fleet_record(job->f->ledger, topic, job->rep->id, node, p, NULL);

	fleet_keep_ledger_error(r, &job->rep->ledger_err, job->rep->ledger_msg, sizeof(job->rep->ledger_msg));
}

int rollback_run(const struct fleet *f, const struct target_list *targets, const struct rollback_opts *o,
		 struct rollback_report *rep)
{
	struct rb_job job = { .f = f, .profile = o->profile, .activate = o->activate, .goal = o->goal, .gen = o->gen, .gens = o->gens,
			      .rep = rep };
	const char *profile = o->profile;
	struct deployment_id id;
	int64_t t0 = clock_mono_ms();
	json_t *names;
	size_t i, failed = 0;
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = profile_path_check(profile)) < 0 || (r = ledger_writable(f->ledger)) < 0)
		return r;
	if (o->id)
		snprintf(rep->id, sizeof(rep->id), "%s", o->id);
	else if ((r = deployment_id_generate(&id, (uint64_t)clock_wall_ms())) < 0)
		return r;
	else
		deployment_id_format(&id, rep->id, sizeof(rep->id));
	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes))) ||
	    !(job.sessions = calloc(targets->n ? targets->n : 1, sizeof(*job.sessions))) ||
	    !(job.leased = calloc(targets->n ? targets->n : 1, 1))) {
		free(job.sessions);
		free(rep->nodes);
		rep->nodes = NULL;
		return err_set(ERR_NOMEM, "out of memory");
	}
	rep->n = targets->n;
	names = json_array();
	for (i = 0; i < rep->n; i++) {
		fleet_node_ident(targets, i, &rep->nodes[i].index, &rep->nodes[i].target, rep->nodes[i].name);
		json_array_append_new(names, json_string(rep->nodes[i].name));
	}
	pthread_mutex_init(&job.lock, NULL);
	rb_record(&job, "chimera.rollback.triggered", NULL,
		  json_pack("{s:s, s:s, s:I, s:o}", "reason", o->reason ? o->reason : "requested", "profile", profile,
			    "generation", (json_int_t)o->gen, "nodes", names));
	if ((r = fleet_op_begin(&job.op, f, "rollback", rep->id)) < 0 ||
	    (r = pool_run(rep->n, f->parallel, rb_check, &job)) < 0)
		goto out;
	for (i = 0; i < rep->n; i++)
		if (rep->nodes[i].state != RB_PENDING)
			rep->refused = 1;
	if (!rep->refused) {
		if ((r = pool_run(rep->n, f->parallel, rb_apply, &job)) < 0)
			goto out;
		if (job.abort && (r = pool_run(rep->n, f->parallel, rb_revert, &job)) < 0)
			goto out;
	}
	for (i = 0; i < rep->n; i++) {
		struct rollback_node *n = &rep->nodes[i];

		if (n->state == RB_SWITCHED)
			rep->switched++;
		if (n->state == RB_REVERTED)
			rep->reverted++;
		if (n->state != RB_SWITCHED && n->state != RB_PENDING)
			failed++;
		if (rep->refused && n->state == RB_PENDING)
			continue;
		rb_record(&job, "node.rollback.complete", n->name,
			  json_pack("{s:b, s:s, s:I, s:s, s:I, s:s, s:I, s:s, s:s, s:s}", "ok", n->state == RB_SWITCHED,
				    "state", rollback_state_name(n->state), "from_generation", (json_int_t)n->from_gen,
				    "from_path", n->from_path, "to_generation", (json_int_t)n->to_gen, "to_path", n->to_path,
				    "ended_generation", (json_int_t)n->end_gen, "ended_path", n->end_path, "step",
				    n->fail.step ? n->fail.step : "", "error", n->fail.message));
	}
	rep->ms = clock_mono_ms() - t0;
	rb_record(&job, "chimera.rollback.complete", NULL,
		  json_pack("{s:s, s:I, s:I, s:I, s:I}", "result",
			    rep->refused ? "refused" : job.abort ? "reverted" : "success", "nodes", (json_int_t)rep->n,
			    "switched", (json_int_t)rep->switched, "failed", (json_int_t)failed, "ms", (json_int_t)rep->ms));
	log_kv(LOG_INFO, "rollback", rep->refused ? "refused" : job.abort ? "reverted" : "done", "id", rep->id,
	       (const char *)NULL);
out:
	for (i = 0; i < rep->n; i++) {
		struct executor *ex = exec_of(&job, i);

		if (job.leased[i])
			fleet_node_end(&job.op, &rep->nodes[i].target, rep->nodes[i].name, ex, job.sessions[i]);
		if (job.sessions[i] && ex)
			ex->ops->disconnect(job.sessions[i]);
	}
	fleet_op_end(&job.op);
	free(job.leased);
	free(job.sessions);
	pthread_mutex_destroy(&job.lock);
	return r;
}

void rollback_report_release(struct rollback_report *rep)
{
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}
