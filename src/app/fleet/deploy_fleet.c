/* Use case: `chimera deploy` as a whole: single or per-machine configurations, hooks, report. */
#include "app/fleet/deploy_fleet.h"
#include "app/config/machines.h"
#include "app/fleet/deploy_hooks.h"
#include "util/err.h"
#include "util/json.h"
#include "util/pool.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* Each group's progress, mapped to the node's slot in the whole selection. */
struct group_run {
	struct fleet_deploy_group *g;
	struct deploy_ctx ctx;
	struct deploy_opts opts;
	const struct fleet_deploy_progress *prog;
};

static void group_step(const struct deploy_node *n, void *arg)
{
	const struct group_run *gr = arg;

	if (gr->prog && gr->prog->step)
		gr->prog->step(gr->g->slot[n->index], n, gr->prog->arg);
}

static void group_done(const struct deploy_node *n, size_t done, size_t total, void *arg)
{
	const struct group_run *gr = arg;

	(void)done;
	(void)total;
	if (gr->prog && gr->prog->done)
		gr->prog->done(gr->g->slot[n->index], n, gr->prog->arg);
}

static void groups_free(struct fleet_deploy_group *g, size_t n)
{
	size_t i;

	for (i = 0; g && i < n; i++) {
		target_list_release(&g[i].targets);
		free(g[i].nodes);
		free(g[i].slot);
		deploy_report_release(&g[i].rep);
	}
	free(g);
}

/* Add target I of TARGETS to group G, with its own options from NODES (may be NULL). */
static int group_add(struct fleet_deploy_group *g, const struct target_list *targets,
		     const struct deploy_node_opts *nodes, size_t i)
{
	size_t k = g->targets.n;
	struct deploy_node_opts *v;
	size_t *slot;
	int r;

	if ((r = target_list_add(&g->targets, &targets->items[i])) < 0)
		return r;
	if (!(v = realloc(g->nodes, (k + 1) * sizeof(*v))))
		return err_set(ERR_NOMEM, "out of memory");
	g->nodes = v;
	if (!(slot = realloc(g->slot, (k + 1) * sizeof(*slot))))
		return err_set(ERR_NOMEM, "out of memory");
	g->slot = slot;
	memset(&g->nodes[k], 0, sizeof(g->nodes[k]));
	if (nodes)
		g->nodes[k] = nodes[i];
	g->slot[k] = i;
	return 0;
}

/* Group TARGETS by their machines' own configurations into REP's groups. */
static int group_machines(const struct fleet_deploy_request *req, const struct target_list *targets,
			  const struct deploy_node_opts *nodes, struct fleet_deploy_report *rep)
{
	struct fleet_deploy_group *g = NULL;
	struct nix_source *srcs;
	size_t ng = 0, *of, i;
	int r;

	if ((r = machines_configs(req->inv, targets, "deploy to", &srcs, &ng, &of)) < 0)
		return r;
	if (!(g = calloc(ng ? ng : 1, sizeof(*g)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ng; i++) {
		g[i].src = srcs[i];
		target_list_init(&g[i].targets);
	}
	for (i = 0; i < targets->n; i++)
		if ((r = group_add(&g[of[i]], targets, nodes, i)) < 0)
			goto out;
	rep->groups = g;
	rep->ngroups = ng;
	g = NULL;
out:
	groups_free(g, ng);
	free(srcs);
	free(of);
	return r;
}

static void group_run(size_t i, void *arg)
{
	struct group_run *gr = (struct group_run *)arg + i;
	struct fleet_deploy_group *g = gr->g;

	if ((g->err = deploy_run(&gr->ctx, &g->targets, &gr->opts, &g->rep)) < 0)
		snprintf(g->msg, sizeof(g->msg), "%s", err_msg());
}

/* Keep the first ledger error of D in REP. */
static void take_ledger_error(struct fleet_deploy_report *rep, const struct deploy_report *d)
{
	if (d->ledger_err && !rep->ledger_err) {
		rep->ledger_err = d->ledger_err;
		snprintf(rep->ledger_msg, sizeof(rep->ledger_msg), "%s", d->ledger_msg);
	}
}

/* Every group built once by its own deploy_run, up to FLEET_DEPLOY_GROUPS_AT_ONCE at a time. */
static int deploy_groups(const struct deploy_ctx *ctx, const struct deploy_opts *o,
			 const struct fleet_deploy_progress *prog, struct fleet_deploy_report *rep)
{
	size_t ng = rep->ngroups, i;
	struct group_run *gr = calloc(ng ? ng : 1, sizeof(*gr));
	int at_once = ng < FLEET_DEPLOY_GROUPS_AT_ONCE ? (int)ng : FLEET_DEPLOY_GROUPS_AT_ONCE, r;

	if (!gr)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < ng; i++) {
		gr[i].g = &rep->groups[i];
		gr[i].prog = prog;
		gr[i].ctx = *ctx;
		gr[i].ctx.fleet.parallel = ctx->fleet.parallel / at_once > 0 ? ctx->fleet.parallel / at_once : 1;
		gr[i].ctx.progress = (struct deploy_progress){ .step = group_step, .done = group_done, .arg = &gr[i] };
		gr[i].opts = *o;
		gr[i].opts.source = &rep->groups[i].src;
		gr[i].opts.nodes = rep->groups[i].nodes;
	}
	r = pool_run(ng, at_once, group_run, gr);
	free(gr);
	for (i = 0; r == 0 && i < ng; i++) {
		const struct fleet_deploy_group *g = &rep->groups[i];

		rep->total += g->targets.n;
		rep->ok += g->err ? 0 : g->rep.ok;
		if (!g->err)
			take_ledger_error(rep, &g->rep);
	}
	return r;
}

/* The single configuration's progress: a node's slot is its index. */
static void single_step(const struct deploy_node *n, void *arg)
{
	const struct fleet_deploy_progress *p = arg;

	if (p->step)
		p->step(n->index, n, p->arg);
}

static void single_done(const struct deploy_node *n, size_t done, size_t total, void *arg)
{
	const struct fleet_deploy_progress *p = arg;

	(void)done;
	(void)total;
	if (p->done)
		p->done(n->index, n, p->arg);
}

int fleet_deploy_run(const struct deploy_ctx *ctx, const struct target_list *targets,
		     const struct fleet_deploy_request *req, const struct fleet_deploy_progress *prog,
		     struct fleet_deploy_report *rep)
{
	struct deploy_hooks hooks;
	struct deploy_node_opts *nodes = NULL;
	struct deploy_opts o = req->opts;
	struct deploy_ctx c = *ctx;
	int r;

	memset(rep, 0, sizeof(*rep));
	rep->dry_run = o.dry_run;
	rep->grouped = req->own_configs;
	if (!req->flag_checks && !o.nchecks) {
		o.checks = req->inv->defaults.checks;
		o.nchecks = req->inv->defaults.nchecks;
	}
	if ((r = machines_node_opts(req->inv, targets, req->flag_checks, &nodes)) < 0)
		return r;
	o.nodes = nodes;
	if ((r = deploy_hooks_open(&hooks, req->inv, &c.fleet, req->state_dir, req->cipher, req->session, req->command, &o)) < 0)
		goto out;
	if (req->own_configs) {
		if ((r = group_machines(req, targets, nodes, rep)) == 0)
			r = deploy_groups(&c, &o, prog, rep);
		goto out;
	}
	c.progress = (struct deploy_progress){ 0 };
	if (prog)
		c.progress = (struct deploy_progress){ .step = single_step, .done = single_done, .arg = (void *)prog };
	if ((r = deploy_run(&c, targets, &o, &rep->single)) == 0) {
		rep->total = rep->single.n;
		rep->ok = rep->single.ok;
		take_ledger_error(rep, &rep->single);
	}
out:
	deploy_hooks_close(&hooks);
	free(nodes);
	return r;
}

void fleet_deploy_report_release(struct fleet_deploy_report *rep)
{
	deploy_report_release(&rep->single);
	groups_free(rep->groups, rep->ngroups);
	memset(rep, 0, sizeof(*rep));
}
