/* The pipeline's nix: build the file, deploy the certified store path to the fleet, check each node, roll back. */
#include "app/fleet/fleet.h"
#include "app/fleet/health.h"
#include "app/pipeline/platforms.h"
#include "platform/nix/nix.h"
#include "util/err.h"
#include "util/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static int nix_build_sim(struct pl_platform *pp)
{
	const struct pl_config *c = pp->cfg;

	sim_report_release(&pp->sim);
	sim_report_init(&pp->sim, "nix");
	return sim_nix(c->deploy->nix, c->deploy_opts.source, c->nix_name, pp->artifact, &pp->sim);
}

static int nix_simulate(struct pipeline *p)
{
	struct pl_platform *pp = pl_platform_of(p);
	int r;

	if ((r = nix_build_sim(pp)) < 0)
		return r;
	p->stage = sim_report_json(&pp->sim);
	if (p->stage && pp->artifact[0])
		json_object_set_new(p->stage, "built", json_string(pp->artifact));
	if (sim_passed(&pp->sim) && pp->artifact[0])
		return PL_OK;
	pl_blocking_reason(p, &pp->sim, "the Nix configuration did not build");
	return PL_FAILED;
}

static int nix_heal(struct pipeline *p)
{
	snprintf(p->reason, sizeof(p->reason), "nothing in a Nix configuration is healed automatically");
	return PL_FAILED;
}

/* No second simulation: the build SIMULATING made is what the certificate names. */
static int nix_certify(struct pipeline *p)
{
	return pl_certify(p, NULL);
}

static json_t *node_summary(const struct deploy_node *n, const char *path)
{
	json_t *o = json_pack("{s:s, s:s, s:s*, s:b}", "node", n->name, "outcome",
			      n->outcome == OUTCOME_DEPLOYED ? "deployed"
			      : n->outcome == OUTCOME_PLANNED ? "planned"
			      : n->outcome == OUTCOME_FAILED	? "failed"
								: "pending",
			      "previous", n->previous[0] ? n->previous : NULL, "changed",
			      n->outcome == OUTCOME_DEPLOYED && strcmp(n->previous, path) != 0);

	if (o && n->outcome == OUTCOME_FAILED)
		json_object_set_new(o, "error", json_sprintf("%s: %s", n->fail.step ? n->fail.step : "?", n->fail.message));
	return o;
}

static int nix_deploy(struct pipeline *p)
{
	struct pl_platform *pp = pl_platform_of(p);
	const struct pl_config *c = pp->cfg;
	struct deploy_opts o = c->deploy_opts;
	json_t *nodes;
	size_t i, changed = 0;
	int r;

	if (!c->dry_run && (r = pl_gate(p)) != PL_OK)
		return r;
	o.expect = pp->artifact;
	o.id = p->id;
	o.dry_run = c->dry_run;
	if ((r = deploy_run(c->deploy, c->targets, &o, &pp->dep)) < 0)
		return r;
	pp->deployed = true;
	if (pp->dep.ledger_err && !p->ledger_err) {
		p->ledger_err = pp->dep.ledger_err;
		snprintf(p->ledger_msg, sizeof(p->ledger_msg), "%s", pp->dep.ledger_msg);
	}
	nodes = json_array();
	for (i = 0; i < pp->dep.n; i++) {
		const struct deploy_node *n = &pp->dep.nodes[i];

		json_array_append_new(nodes, node_summary(n, pp->dep.path));
		if (n->outcome == OUTCOME_DEPLOYED && strcmp(n->previous, pp->dep.path) != 0)
			changed++;
	}
	p->stage = json_pack("{s:s, s:o, s:I, s:I, s:I, s:I}", "path", pp->dep.path, "nodes", nodes, "ok",
			     (json_int_t)pp->dep.ok, "failed", (json_int_t)pp->dep.failed, "changed", (json_int_t)changed,
			     "ms", (json_int_t)pp->dep.ms);
	if (pp->dep.failed == 0)
		return PL_OK;
	for (i = 0; i < pp->dep.n; i++) {
		const struct deploy_node *n = &pp->dep.nodes[i];

		if (n->outcome == OUTCOME_FAILED) {
			snprintf(p->reason, sizeof(p->reason), "%zu of %zu nodes failed; first: %s at %s: %s", pp->dep.failed,
				 pp->dep.n, n->name, n->fail.step ? n->fail.step : "?", n->fail.message);
			break;
		}
	}
	return changed ? PL_CHANGED : PL_FAILED;
}

struct verify_job {
	const struct pl_config *c;
	struct deploy_report *dep;
	json_t **results;	/* per node */
	bool *ok;
	char (*fail)[700];
	int *err;
};

static void verify_node(size_t i, void *arg)
{
	struct verify_job *job = arg;
	const struct deploy_node *n = &job->dep->nodes[i];
	struct fleet_failure f = { 0 };
	struct executor *ex = NULL;
	struct exec_session *s = NULL;
	bool need_cmd = false;
	size_t k;

	job->ok[i] = true;
	if (n->outcome != OUTCOME_DEPLOYED)
		return;
	for (k = 0; k < job->c->nchecks; k++)
		need_cmd |= job->c->checks[k].kind == HEALTH_CMD;
	if (need_cmd)
		fleet_connect(&job->c->deploy->fleet, &n->target, &ex, &s, &f);
	job->err[i] = pl_run_checks(job->c, n->target.host, ex, s, job->results[i], &job->ok[i], job->fail[i],
				 sizeof(job->fail[i]));
	if (s)
		ex->ops->disconnect(s);
}

static int nix_verify(struct pipeline *p)
{
	struct pl_platform *pp = pl_platform_of(p);
	const struct pl_config *c = pp->cfg;
	struct deploy_report *dep = &pp->dep;
	struct verify_job job = { .c = c, .dep = dep };
	json_t *nodes = NULL;
	size_t i, bad = 0, first = 0;
	int r = 0;

	job.results = calloc(dep->n ? dep->n : 1, sizeof(*job.results));
	job.ok = calloc(dep->n ? dep->n : 1, sizeof(*job.ok));
	job.fail = calloc(dep->n ? dep->n : 1, sizeof(*job.fail));
	job.err = calloc(dep->n ? dep->n : 1, sizeof(*job.err));
	if (!job.results || !job.ok || !job.fail || !job.err || !(nodes = json_array())) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < dep->n; i++)
		if (!(job.results[i] = json_array())) {
			r = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
	if ((r = pool_run(dep->n, c->deploy->fleet.parallel, verify_node, &job)) < 0)
		goto out;
	for (i = 0; i < dep->n; i++) {
		if (job.err[i] < 0) {
			r = job.err[i];
			goto out;
		}
		if (dep->nodes[i].outcome != OUTCOME_DEPLOYED)
			continue;
		json_array_append_new(nodes, json_pack("{s:s, s:b, s:O}", "node", dep->nodes[i].name, "passed", job.ok[i],
						       "checks", job.results[i]));
		if (!job.ok[i] && bad++ == 0)
			first = i;
	}
	p->stage = json_pack("{s:b, s:O}", "passed", bad == 0, "nodes", nodes);
	if (bad) {
		snprintf(p->reason, sizeof(p->reason), "verification failed on %zu of %zu nodes; first: %s: %s", bad,
			 dep->ok, dep->nodes[first].name, job.fail[first]);
		r = PL_FAILED;
	} else {
		r = PL_OK;
	}
out:
	for (i = 0; job.results && i < dep->n; i++)
		json_decref(job.results[i]);
	json_decref(nodes);
	free(job.results);
	free(job.ok);
	free(job.fail);
	free(job.err);
	return r;
}

/*
 * Put back every node this deploy switched: the generation before the new one is where it
 * was. A node with no profile before has nothing to go back to and is named.
 */
static int nix_rollback(struct pipeline *p)
{
	struct pl_platform *pp = pl_platform_of(p);
	const struct pl_config *c = pp->cfg;
	struct target_list back;
	struct rollback_report rb = { 0 };
	struct rollback_opts ro = { .profile = c->deploy_opts.profile, .activate = c->deploy_opts.activate, .goal = c->deploy_opts.goal,
				    .id = p->id, .reason = p->reason };
	json_t *stuck = json_array(), *nodes;
	uint32_t *gens = calloc(pp->dep.n ? pp->dep.n : 1, sizeof(*gens));
	size_t i;
	int r;

	target_list_init(&back);
	if (!gens) {
		json_decref(stuck);
		return err_set(ERR_NOMEM, "out of memory");
	}
	/* Each node back to the generation it was on: not "the one before", which may be older or newer. */
	ro.gens = gens;
	for (i = 0; i < pp->dep.n; i++) {
		const struct deploy_node *n = &pp->dep.nodes[i];

		if (n->outcome != OUTCOME_DEPLOYED || strcmp(n->previous, pp->dep.path) == 0)
			continue;
		if (!n->previous[0])
			json_array_append_new(stuck, json_string(n->name));
		else if ((r = target_list_add(&back, &n->target)) < 0)
			goto out;
		else
			gens[back.n - 1] = n->previous_gen;
	}
	if (back.n && (r = rollback_run(&c->deploy->fleet, &back, &ro, &rb)) < 0)
		goto out;
	nodes = json_array();
	for (i = 0; i < rb.n; i++)
		json_array_append_new(nodes, json_pack("{s:s, s:s, s:I, s:I}", "node", rb.nodes[i].name, "state",
						       rollback_state_name(rb.nodes[i].state), "from_generation",
						       (json_int_t)rb.nodes[i].from_gen, "ended_generation",
						       (json_int_t)rb.nodes[i].end_gen));
	p->stage = json_pack("{s:s, s:o, s:I, s:O, s:b}", "rollback", rb.id, "nodes", nodes, "switched",
			     (json_int_t)rb.switched, "no_previous", stuck, "refused", rb.refused);
	if (!rb.refused && rb.switched == back.n && json_array_size(stuck) == 0) {
		r = PL_OK;
	} else {
		snprintf(p->reason, sizeof(p->reason), "%zu of %zu switched nodes went back%s%s",
			 rb.refused ? 0 : rb.switched, back.n + json_array_size(stuck),
			 json_array_size(stuck) ? "; some had no earlier generation" : "",
			 rb.refused ? "; the rollback was refused (a node lacks its previous generation or is unreachable)"
				    : "");
		r = PL_FAILED;
	}
out:
	rollback_report_release(&rb);
	target_list_release(&back);
	json_decref(stuck);
	free(gens);
	return r;
}

const struct pipeline_ops pl_nix_ops = {
	.platform = "nix",
	.simulate = nix_simulate,
	.heal = nix_heal,
	.certify = nix_certify,
	.deploy = nix_deploy,
	.verify = nix_verify,
	.rollback = nix_rollback,
};
