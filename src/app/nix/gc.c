/* Use case: `chimera nix gc`: delete the profile generations that are old and not needed, then collect garbage, on every node. */
#include "app/nix/gc.h"
#include "app/fleet/deadman.h"
#include "app/fleet/lease.h"
#include "app/ledger/witness.h"
#include "app/nix/gc_needs.h"
#include "remote/gc.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

struct gc_job {
	const struct fleet *f;
	const struct gc_opts *o;
	struct gc_report *rep;
	struct gc_needs needs;	/* what running watches and rollbacks in progress need, every node's */
	struct fleet_op op;
	pthread_mutex_t lock;
};

/* Run CMD as STEP on node N; RES keeps the output. 0, or the error with N's failure filled. */
static int run_step(struct gc_job *job, struct gc_node *n, struct executor *ex, struct exec_session *s,
		    const char *step, int built, const struct buf *cmd, struct exec_result *res)
{
	if (built < 0) {
		fleet_fail(&n->fail, step, built);
		return built;
	}
	return fleet_step(job->f, ex, s, step, cmd->data, NULL, res, &n->fail);
}

/* The node's clock, generations and dead-man switches (room for REMOTE_DEADMAN_MAX). */
static int probe(struct gc_job *job, struct gc_node *n, struct executor *ex, struct exec_session *s,
		 struct gen_list *gens, struct remote_deadman *sw, size_t *nsw, int64_t *now)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	int r;

	exec_result_init(&res);
	if ((r = run_step(job, n, ex, s, "probe", remote_gc_probe(&cmd, n->profile), &cmd, &res)) == 0 &&
	    (r = remote_gc_probe_parse(&res.out, strrchr(n->profile, '/') + 1, now, gens, sw, REMOTE_DEADMAN_MAX, nsw)) <
		    0)
		fleet_fail(&n->fail, "probe", r);
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

/*
 * What node N needs kept besides its current and newest generations: the needs read from the
 * ledger for it, and the generation each of its live switches (armed, or firing now) on
 * N's profile goes back to. The array borrows their strings; NULL (*NP 0) when none or out of memory.
 */
static struct gc_protect *protections(const struct gc_job *job, const struct gc_node *n,
				      const struct remote_deadman *sw, size_t nsw, size_t *np)
{
	struct gc_protect *p = calloc(job->needs.n + nsw + 1, sizeof(*p));
	size_t i;

	*np = 0;
	if (!p)
		return NULL;
	for (i = 0; i < job->needs.n; i++) {
		const struct gc_need *nd = &job->needs.items[i];

		if (strcmp(nd->node, n->name) == 0)
			p[(*np)++] = (struct gc_protect){ nd->why, nd->gen, nd->previous, nd->path, nd->by };
	}
	for (i = 0; i < nsw; i++) {
		const struct remote_deadman *w = &sw[i];

		if (w->fired || (w->claimed && !w->alive) || !w->gen || (w->profile[0] && strcmp(w->profile, n->profile) != 0))
			continue;
		p[(*np)++] = (struct gc_protect){ GC_WHY_DEADMAN, w->gen, false, NULL, w->op[0] ? w->op : NULL };
	}
	return p;
}

/* Read R, the output of the collect (or dry run) command, into N. */
static void take_result(struct gc_job *job, struct gc_node *n, const struct remote_gc_result *r)
{
	bool dry = job->o->dry_run;

	n->deleted = !dry && r->deleted;
	n->collected = !dry && r->done;
	n->nix_known = r->nix_summary;
	n->nix_freed_bytes = r->nix_bytes;
	n->paths_known = true;
	if (dry) {
		/* What would be dead, measured. */
		if (r->measured && r->dead_bytes_known) {
			n->measure = GC_MEASURE_DU;
			n->freed_bytes = r->dead_bytes;
		}
		n->paths_removed = r->dead_paths;
		n->paths_known = r->measured;
		return;
	}
	/* What was dead and measured before the collector ran, and is gone after it. */
	if (r->freed) {
		n->measure = GC_MEASURE_DU;
		n->freed_bytes = r->freed_bytes;
	} else if (r->done && r->nix_summary) {
		n->measure = GC_MEASURE_NIX;
		n->freed_bytes = r->nix_bytes;
	}
	if (r->nix_summary)
		n->paths_removed = r->nix_paths;
	else if (r->freed)
		n->paths_removed = r->freed_paths;
	else if (r->counted)
		n->paths_removed = r->removed;
	else
		n->paths_known = false;
}

/* Delete the N generations DEL of node N's profile and collect, or (a dry run) measure what that would free. */
static int collect(struct gc_job *job, struct gc_node *n, struct executor *ex, struct exec_session *s,
		   const uint32_t *del, size_t ndel)
{
	const char *step = job->o->dry_run ? "measure" : "collect";
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct remote_gc_result gr;
	int r, pr;

	exec_result_init(&res);
	r = job->o->dry_run ? remote_gc_dry(&cmd, n->profile, del, ndel) : remote_gc_collect(&cmd, n->profile, del, ndel);
	r = run_step(job, n, ex, s, step, r, &cmd, &res);
	/* Read even a failed command's output: what it did before it failed is in it. */
	if ((pr = remote_gc_result_parse(&res.out, &gr)) == 0)
		take_result(job, n, &gr);
	if (r == 0 && pr < 0)
		fleet_fail(&n->fail, step, r = pr);
	else if (r == 0 && !gr.done)
		fleet_fail(&n->fail, step, r = err_set(ERR_IO, "the %s command stopped before its end (no 'chimera-gc-done')", step));
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

/* Node N's work on its open session: probe, plan, then collect (or measure). */
static int gc_node(struct gc_job *job, struct gc_node *n, struct executor *ex, struct exec_session *s)
{
	struct remote_deadman *sw = calloc(REMOTE_DEADMAN_MAX, sizeof(*sw));
	struct gen_list gens;
	struct gc_protect *prot = NULL;
	uint32_t *del = NULL;
	size_t nsw = 0, np = 0, ndel = 0, fired, i;
	int64_t now = 0;
	int r;

	gen_list_init(&gens);
	if (!sw) {
		fleet_fail(&n->fail, "probe", r = err_set(ERR_NOMEM, "out of memory"));
		goto out;
	}
	if ((r = probe(job, n, ex, s, &gens, sw, &nsw, &now)) < 0)
		goto out;
	n->current = gens.current;
	snprintf(n->warning, sizeof(n->warning), "%s", gens.warning);
	for (i = 0, fired = 0; i < nsw; i++) {
		n->switches += !sw[i].fired && !sw[i].claimed;
		fired += sw[i].fired;
	}
	/* A switch that fired is the node's own rollback: recorded once, as status does. */
	if (fired && deadman_notice(job->f, ex, s, n->name, "gc", NULL) < 0)
		log_kv(LOG_WARN, "gc", "cannot record a dead-man switch that fired", "node", n->name, "error", err_msg(),
		       (const char *)NULL);
	prot = protections(job, n, sw, nsw, &np);
	if (!prot ||
	    (r = gc_plan_make(&gens, &(struct gc_plan_opts){ now, job->o->older_than_s, job->o->keep }, prot, np,
			      &n->plan)) < 0 ||
	    !(del = calloc(n->plan.ndelete + 1, sizeof(*del)))) {
		fleet_fail(&n->fail, "plan", r = err_set(ERR_NOMEM, "out of memory"));
		goto out;
	}
	for (i = 0; i < n->plan.n; i++)
		if (!n->plan.items[i].why)
			del[ndel++] = n->plan.items[i].num;
	r = collect(job, n, ex, s, del, ndel);
out:
	free(del);
	free(prot);
	free(sw);
	gen_list_release(&gens);
	return r;
}

static int record(struct gc_job *job, const struct gc_node *n)
{
	if (!job->f->ledger)
		return 0;
	return fleet_record(job->f->ledger, "nix.gc.completed", job->rep->id, n->name, gc_node_json(job->rep, n), NULL);
}

static void gc_one(size_t i, void *arg)
{
	struct gc_job *job = arg;
	struct gc_node *n = &job->rep->nodes[i];
	struct executor *ex = NULL;
	struct exec_session *s = NULL;
	int64_t t0 = clock_mono_ms();
	int r;

	err_clear();
	if (fleet_stopped(job->f)) {
		fleet_fail_cancelled(&n->fail);
		r = ERR_BUSY;
	} else if ((r = profile_path_check(n->profile)) < 0) {
		fleet_fail(&n->fail, "profile", r);
	} else if ((r = fleet_connect(job->f, &n->target, &ex, &s, &n->fail)) == 0) {
		/* A dry run changes nothing, so it takes no lease (as deploy --dry-run). */
		if (job->o->dry_run) {
			r = gc_node(job, n, ex, s);
		} else if ((r = fleet_node_begin(&job->op, &n->target, n->name, NULL, ex, s, &n->fail)) == 0) {
			r = gc_node(job, n, ex, s);
			/* The node keeps the ledger's signed head, as fleet_node_end would give it. */
			if ((n->deleted || n->collected) && job->op.on)
				witness_write(job->f->ledger, ex, s, n->name);
			fleet_node_end(&job->op, &n->target, n->name, ex, s);
		}
		ex->ops->disconnect(s);
	}
	n->ok = r == 0 && !n->fail.step;
	n->ms = clock_mono_ms() - t0;
	log_kv(n->ok ? LOG_INFO : LOG_WARN, "gc", n->ok ? "node done" : "node failed", "node", n->name, "error",
	       n->fail.message, (const char *)NULL);
	r = record(job, n);
	pthread_mutex_lock(&job->lock);
	fleet_keep_ledger_error(r, &job->rep->ledger_err, job->rep->ledger_msg, sizeof(job->rep->ledger_msg));
	if (n->ok)
		job->rep->ok++;
	else
		job->rep->failed++;
	pthread_mutex_unlock(&job->lock);
}

/* REP's header from O, and its nodes from TARGETS. */
static int report_init(const struct fleet *f, const struct target_list *targets, const struct gc_opts *o,
		       struct gc_report *rep)
{
	size_t i;
	int r;

	snprintf(rep->profile, sizeof(rep->profile), "%s", o->profile);
	rep->dry_run = o->dry_run;
	rep->older_than_s = o->older_than ? o->older_than_s : -1;
	snprintf(rep->older_than, sizeof(rep->older_than), "%s", o->older_than ? o->older_than : "");
	rep->keep = o->keep;
	if ((r = fleet_op_new_id(rep->id, sizeof(rep->id))) < 0)
		return r;
	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes))))
		return err_set(ERR_NOMEM, "out of memory");
	rep->n = targets->n;
	for (i = 0; i < rep->n; i++) {
		struct gc_node *n = &rep->nodes[i];

		n->target = targets->items[i];
		fleet_node_name(&n->target, n->name, sizeof(n->name));
		snprintf(n->profile, sizeof(n->profile), "%s", fleet_profile(f, &n->target, o->profile));
	}
	return 0;
}

int gc_run(const struct fleet *f, const struct target_list *targets, const struct gc_opts *o, struct gc_report *rep)
{
	struct gc_job job = { .f = f, .o = o, .rep = rep };
	int64_t t0 = clock_mono_ms();
	size_t i, j;
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = profile_path_check(o->profile)) < 0)
		return r;
	if (o->keep < 1 || o->keep > GC_KEEP_MAX)
		return err_set(ERR_INVALID, "bad keep %u: expected a whole number from 1 to %d", o->keep, GC_KEEP_MAX);
	if ((r = report_init(f, targets, o, rep)) < 0 || (r = gc_needs_read(f->ledger, clock_wall_ms(), &job.needs)) < 0)
		goto out;
	if (!o->dry_run) {
		if ((r = fleet_op_begin(&job.op, f, "gc", rep->id)) < 0)
			goto out;
		/* Armed switches are left armed (their generation kept), and the witness is written here. */
		job.op.own_settle = true;
	}
	r = fleet_fanout(rep->n, f->parallel > 0 ? f->parallel : FLEET_PARALLEL_DEFAULT, gc_one, &job, &job.lock);
	fleet_op_end(&job.op);
	for (i = 0; i < rep->n; i++) {
		const struct gc_node *n = &rep->nodes[i];

		if (n->deleted || (o->dry_run && n->ok))
			for (j = 0; j < n->plan.n; j++)
				rep->generations_deleted += !n->plan.items[j].why;
		if (n->collected || (o->dry_run && n->ok)) {
			rep->freed_bytes += n->freed_bytes;
			rep->paths_removed += n->paths_removed;
		}
	}
	rep->ms = clock_mono_ms() - t0;
out:
	gc_needs_release(&job.needs);
	return r;
}

void gc_report_release(struct gc_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		gc_plan_release(&rep->nodes[i].plan);
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}
