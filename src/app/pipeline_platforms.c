/*
 * The pipeline's platforms: netlify and render (a build hook deploys) and nix (the fleet
 * deploy). Each state's work, on the simulator, healer, certifier, hook and deploy.
 */
#include "app/fleet.h"
#include "app/health.h"
#include "app/pipeline.h"
#include "platform/netlify/netlify.h"
#include "platform/nix/nix.h"
#include "platform/render/render.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct pl_platform *plat(struct pipeline *p)
{
	return p->platform;
}

void pl_platform_init(struct pl_platform *pp, const struct pl_config *cfg)
{
	memset(pp, 0, sizeof(*pp));
	pp->cfg = cfg;
	sim_report_init(&pp->sim, cfg->platform);
	heal_result_init(&pp->heal, cfg->platform);
}

void pl_platform_release(struct pl_platform *pp)
{
	sim_report_release(&pp->sim);
	heal_result_release(&pp->heal);
	json_decref(pp->cert);
	if (pp->deployed)
		deploy_report_release(&pp->dep);
	memset(pp, 0, sizeof(*pp));
}

/* "3 critical, 1 high; first: netlify.toml:4:1 NTL-REDIR-3: ..." for a report that did not pass. */
static void blocking_reason(struct pipeline *p, const struct sim_report *rep, const char *what)
{
	const struct sim_issue *first = NULL;
	size_t i;

	for (i = 0; i < rep->n && !first; i++)
		if (rep->issues[i].severity <= SIM_HIGH)
			first = &rep->issues[i];
	if (!first) {
		snprintf(p->reason, sizeof(p->reason), "%s", what);
		return;
	}
	snprintf(p->reason, sizeof(p->reason), "%s: %zu critical, %zu high; first: %s:%d:%d %s: %s", what,
		 rep->count[SIM_CRITICAL], rep->count[SIM_HIGH], first->file, first->line, first->col, first->rule,
		 first->message);
}

/* ---- netlify and render ---- */

/* Simulate what is on disk now, into pp->sim. */
static int web_resimulate(struct pl_platform *pp)
{
	const struct pl_config *c = pp->cfg;

	sim_report_release(&pp->sim);
	sim_report_init(&pp->sim, c->platform);
	return strcmp(c->platform, "netlify") == 0 ? sim_netlify(c->dir, &pp->sim) : sim_render(c->dir, &pp->sim);
}

static int web_simulate(struct pipeline *p)
{
	struct pl_platform *pp = plat(p);
	json_t *fixable;
	size_t i;
	int r;

	if ((r = web_resimulate(pp)) < 0)
		return r;
	p->stage = sim_report_json(&pp->sim);
	if (sim_passed(&pp->sim))
		return PL_OK;
	blocking_reason(p, &pp->sim, "the simulation did not pass");
	if (!(fixable = json_array()))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < pp->sim.n; i++) {
		const struct sim_issue *is = &pp->sim.issues[i];

		if (is->severity <= SIM_HIGH && is->fix == SIM_FIX_HEAL)
			json_array_append_new(fixable, json_pack("{s:s, s:s, s:i, s:i, s:s}", "rule", is->rule, "file",
								 is->file, "line", is->line, "col", is->col, "fix",
								 is->fix_text));
	}
	json_decref(p->intent);
	p->intent = fixable;
	return json_array_size(fixable) ? PL_FIXABLE : PL_FAILED;
}

static int web_heal(struct pipeline *p)
{
	struct pl_platform *pp = plat(p);
	const struct pl_config *c = pp->cfg;
	const char *name = sim_config_file(c->platform);
	struct buf orig = BUF_INIT(0), diff = BUF_INIT(1 << 20);
	char path[PATH_MAX];
	bool written = false;
	int r;

	snprintf(path, sizeof(path), "%s/%s", c->dir, name);
	heal_result_release(&pp->heal);
	heal_result_init(&pp->heal, c->platform);
	if ((r = fs_read_file(path, &orig)) < 0)
		goto out;
	r = strcmp(c->platform, "render") == 0 ? heal_render_text(name, orig.data, orig.len, &pp->heal)
					       : heal_netlify_text(name, orig.data, orig.len, c->dir, &pp->heal);
	if (r < 0 || (r = heal_diff(name, &orig, &pp->heal.text, &diff)) < 0)
		goto out;
	pp->healed = true;
	/* Only a healing that passes is written: a half-healed file helps nobody. */
	if (sim_passed(&pp->heal.after) && diff.len && !c->dry_run) {
		if ((r = heal_write(path, &orig, &pp->heal.text)) < 0)
			goto out;
		written = true;
	}
	p->stage = json_pack("{s:o, s:s, s:b, s:s, s:o}", "actions", heal_report_json(&pp->heal), "diff",
			     diff.data ? diff.data : "", "written", written, "backup", written ? ".bak" : "", "after",
			     sim_report_json(&pp->heal.after));
	if (sim_passed(&pp->heal.after)) {
		r = PL_OK;
	} else {
		blocking_reason(p, &pp->heal.after, "healing did not make it pass");
		r = PL_FAILED;
	}
out:
	buf_release(&orig);
	buf_release(&diff);
	return r;
}

static json_t *checks_json(const struct cert_checks *k)
{
	return json_pack("{s:b, s:b, s:b, s:b}", "configuration_valid", k->configuration_valid, "no_critical_issues",
			 k->no_critical_issues, "simulation_passed", k->simulation_passed, "healing_successful",
			 k->healing_successful);
}

static void checks_reason(struct pipeline *p, const struct cert_checks *k)
{
	snprintf(p->reason, sizeof(p->reason), "not certified:%s%s%s%s", k->configuration_valid ? "" : " configuration_valid",
		 k->no_critical_issues ? "" : " no_critical_issues", k->simulation_passed ? "" : " simulation_passed",
		 k->healing_successful ? "" : " healing_successful");
	snprintf(p->reason + strlen(p->reason), sizeof(p->reason) - strlen(p->reason), " failed");
}

/*
 * Certify what is on disk now: SIMULATE it again when given (the healed file was written) and sign.
 * A dry run only runs the checks, on the healed text in memory: nothing is signed.
 */
static int certify(struct pipeline *p, int (*simulate)(struct pl_platform *pp))
{
	struct pl_platform *pp = plat(p);
	const struct pl_config *c = pp->cfg;
	struct cert_checks k;
	json_t *healing = NULL;
	int r;

	if (c->dry_run) {
		bool ok = cert_checks_run(pp->healed ? &pp->heal.after : &pp->sim, &k);

		p->stage = json_pack("{s:b, s:o, s:s}", "certified", 0, "checks", checks_json(&k), "note",
				     "dry run: checked, nothing signed");
		if (!ok)
			checks_reason(p, &k);
		return ok ? PL_OK : PL_FAILED;
	}
	if (simulate && (r = simulate(pp)) < 0)
		return r;
	if (pp->healed && !(healing = heal_report_json(&pp->heal)))
		return err_set(ERR_NOMEM, "out of memory");
	r = cert_project(c->state_dir, c->dir, &pp->sim, healing, pp->artifact[0] ? pp->artifact : NULL, &k, &pp->cert);
	json_decref(healing);
	if (r < 0)
		return r;
	if (r == 1) {
		checks_reason(p, &k);
		p->stage = json_pack("{s:b, s:o, s:o}", "certified", 0, "checks", checks_json(&k), "simulation",
				     sim_report_json(&pp->sim));
		return PL_FAILED;
	}
	if ((r = cert_write(c->cert_file, pp->cert)) < 0)
		return r;
	p->stage = json_pack("{s:b, s:s, s:O}", "certified", 1, "file", c->cert_file, "content", pp->cert);
	return PL_OK;
}

static int web_certify(struct pipeline *p)
{
	return certify(p, web_resimulate);
}

/*
 * The gate before any deploy: the certificate made in this run must still match the files
 * on disk (and, for nix, name the store path about to be deployed). Nothing uncertified
 * goes out, whatever happened between certifying and deploying.
 */
static int gate(struct pipeline *p)
{
	struct pl_platform *pp = plat(p);
	const struct pl_config *c = pp->cfg;
	const char *art;

	if (!pp->cert) {
		snprintf(p->reason, sizeof(p->reason), "refused to deploy: no certificate");
		return PL_FAILED;
	}
	if (cert_verify(c->state_dir, c->dir, pp->cert) < 0) {
		snprintf(p->reason, sizeof(p->reason), "refused to deploy: the certificate does not hold: %s", err_msg());
		return PL_FAILED;
	}
	art = json_string_value(json_object_get(pp->cert, "artifact"));
	if (pp->artifact[0] && (!art || strcmp(art, pp->artifact) != 0)) {
		snprintf(p->reason, sizeof(p->reason), "refused to deploy: %s is not the certified artifact", pp->artifact);
		return PL_FAILED;
	}
	return PL_OK;
}

/* What the hook is sent: enough for the build to tell which certified configuration it was. */
static char *hook_body(struct pipeline *p)
{
	struct pl_platform *pp = plat(p);
	json_t *b = json_pack("{s:{s:s, s:s, s:O*, s:O*, s:O*}}", "chimera", "pipeline", p->id, "platform",
			      pp->cfg->platform, "key_id", json_object_get(pp->cert, "key_id"), "nonce",
			      json_object_get(pp->cert, "nonce"), "files", json_object_get(pp->cert, "files"));
	char *s = b ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(b);
	return s;
}

static int web_deploy(struct pipeline *p)
{
	struct pl_platform *pp = plat(p);
	const struct pl_config *c = pp->cfg;
	struct hook_opts ho = c->hook;
	char shown[HOOK_URL_MAX];
	char *body;
	int r;

	if (c->dry_run) {
		if (c->hook_url)
			hook_redact(c->hook_url, shown, sizeof(shown));
		p->stage = json_pack("{s:o, s:b}", "would_post", c->hook_url ? json_string(shown) : json_null(), "posted", 0);
		return PL_OK;
	}
	if (!c->hook_url)
		return err_set(ERR_INVALID, "no build hook: give --hook URL or set CHIMERA_BUILD_HOOK");
	hook_redact(c->hook_url, shown, sizeof(shown));
	if ((r = gate(p)) != PL_OK)
		return r;
	if (!(body = hook_body(p)))
		return err_set(ERR_NOMEM, "out of memory");
	ho.body = body;
	pipeline_record(p, "chimera.deploy.start", NULL,
			json_pack("{s:s, s:s, s:O*}", "hook", shown, "platform", c->platform, "certificate_nonce",
				  json_object_get(pp->cert, "nonce")));
	r = hook_post(c->hook_url, &ho, &pp->hook);
	free(body);
	if (r < 0)
		return r;
	pipeline_record(p, "chimera.deploy.complete", NULL,
			json_pack("{s:s, s:o, s:I, s:i, s:i}", "result", pp->hook.ok ? "success" : "failed", "hook",
				  hook_result_json(&pp->hook), "ms", (json_int_t)pp->hook.ms, "nodes", 0, "ok", 0));
	p->stage = json_pack("{s:o}", "hook", hook_result_json(&pp->hook));
	if (pp->hook.ok)
		return PL_OK;
	snprintf(p->reason, sizeof(p->reason), "the build hook %s did not accept the deploy after %d attempt%s: %s",
		 pp->hook.url, pp->hook.attempts, pp->hook.attempts == 1 ? "" : "s", pp->hook.detail);
	return PL_FAILED;
}

/* Run every check once for HOST (NULL: no node) in S. OK is cleared when one fails; RESULTS gets each. */
static int run_checks(const struct pl_config *c, const char *host, struct executor *ex, struct exec_session *s,
		      json_t *results, bool *ok, char *first_fail, size_t len)
{
	size_t i;
	int r;

	for (i = 0; i < c->nchecks; i++) {
		struct health_result hr;

		if ((r = health_run(&c->checks[i], host, ex, s, &hr)) < 0)
			return r;
		json_array_append_new(results, health_result_json(&c->checks[i], &hr));
		if (!hr.ok && *ok) {
			*ok = false;
			snprintf(first_fail, len, "%s: %s", c->checks[i].text, hr.detail);
		}
	}
	return 0;
}

static int web_verify(struct pipeline *p)
{
	struct pl_platform *pp = plat(p);
	const struct pl_config *c = pp->cfg;
	struct exec_session *s = NULL;
	struct target local;
	json_t *results = json_array();
	char fail[700] = "";
	bool ok = true, need_cmd = false;
	size_t i;
	int r = 0;

	if (!results)
		return err_set(ERR_NOMEM, "out of memory");
	if (c->verify_wait_ms > 0 && c->nchecks)
		clock_sleep_ms(c->verify_wait_ms);
	for (i = 0; i < c->nchecks; i++)
		need_cmd |= c->checks[i].kind == HEALTH_CMD;
	if (need_cmd && c->local && target_parse(&local, "local", 5) == 0)
		c->local->ops->connect(c->local, &local, &s);
	r = run_checks(c, NULL, c->local, s, results, &ok, fail, sizeof(fail));
	if (s)
		c->local->ops->disconnect(s);
	if (r < 0) {
		json_decref(results);
		return r;
	}
	p->stage = json_pack("{s:b, s:o, s:I}", "passed", ok, "checks", results, "waited_ms", (json_int_t)c->verify_wait_ms);
	if (ok)
		return PL_OK;
	snprintf(p->reason, sizeof(p->reason), "verification failed: %s", fail);
	return PL_FAILED;
}

static int web_rollback(struct pipeline *p)
{
	struct pl_platform *pp = plat(p);
	const struct pl_config *c = pp->cfg;
	char shown[HOOK_URL_MAX];
	int r;

	hook_redact(c->rollback_hook_url, shown, sizeof(shown));
	pipeline_record(p, "chimera.rollback.triggered", NULL,
			json_pack("{s:s, s:s}", "reason", p->reason, "hook", shown));
	r = hook_post(c->rollback_hook_url, &c->hook, &pp->rollback_hook);
	if (r < 0)
		return r;
	pipeline_record(p, "chimera.rollback.complete", NULL,
			json_pack("{s:s, s:o}", "result", pp->rollback_hook.ok ? "success" : "failed", "hook",
				  hook_result_json(&pp->rollback_hook)));
	p->stage = json_pack("{s:o}", "hook", hook_result_json(&pp->rollback_hook));
	if (pp->rollback_hook.ok)
		return PL_OK;
	snprintf(p->reason, sizeof(p->reason), "the rollback hook %s failed after %d attempt%s: %s",
		 pp->rollback_hook.url, pp->rollback_hook.attempts, pp->rollback_hook.attempts == 1 ? "" : "s",
		 pp->rollback_hook.detail);
	return PL_FAILED;
}

/* ---- nix ---- */

static int nix_build_sim(struct pl_platform *pp)
{
	const struct pl_config *c = pp->cfg;

	sim_report_release(&pp->sim);
	sim_report_init(&pp->sim, "nix");
	return sim_nix(c->deploy->nix, c->deploy_opts.source, c->nix_name, pp->artifact, &pp->sim);
}

static int nix_simulate(struct pipeline *p)
{
	struct pl_platform *pp = plat(p);
	int r;

	if ((r = nix_build_sim(pp)) < 0)
		return r;
	p->stage = sim_report_json(&pp->sim);
	if (p->stage && pp->artifact[0])
		json_object_set_new(p->stage, "built", json_string(pp->artifact));
	if (sim_passed(&pp->sim) && pp->artifact[0])
		return PL_OK;
	blocking_reason(p, &pp->sim, "the Nix configuration did not build");
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
	return certify(p, NULL);
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
	struct pl_platform *pp = plat(p);
	const struct pl_config *c = pp->cfg;
	struct deploy_opts o = c->deploy_opts;
	json_t *nodes;
	size_t i, changed = 0;
	int r;

	if (!c->dry_run && (r = gate(p)) != PL_OK)
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
	job->err[i] = run_checks(job->c, n->target.host, ex, s, job->results[i], &job->ok[i], job->fail[i],
				 sizeof(job->fail[i]));
	if (s)
		ex->ops->disconnect(s);
}

static int nix_verify(struct pipeline *p)
{
	struct pl_platform *pp = plat(p);
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
	struct pl_platform *pp = plat(p);
	const struct pl_config *c = pp->cfg;
	struct target_list back;
	struct rollback_report rb = { 0 };
	struct rollback_opts ro = { .profile = c->deploy_opts.profile, .activate = c->deploy_opts.activate,
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

/* netlify and render differ only in their simulator and healer, which web_* pick by name. */
#define WEB_OPS(name)                                                                                       \
	{ .platform = name, .simulate = web_simulate, .heal = web_heal, .certify = web_certify,              \
	  .deploy = web_deploy, .verify = web_verify, .rollback = web_rollback }

static const struct pipeline_ops netlify_ops = WEB_OPS("netlify");
static const struct pipeline_ops render_ops = WEB_OPS("render");

static const struct pipeline_ops nix_ops = {
	.platform = "nix",
	.simulate = nix_simulate,
	.heal = nix_heal,
	.certify = nix_certify,
	.deploy = nix_deploy,
	.verify = nix_verify,
	.rollback = nix_rollback,
};

const struct pipeline_ops *pl_platform_ops(const char *platform)
{
	if (strcmp(platform, "netlify") == 0)
		return &netlify_ops;
	if (strcmp(platform, "render") == 0)
		return &render_ops;
	if (strcmp(platform, "nix") == 0)
		return &nix_ops;
	return NULL;
}
