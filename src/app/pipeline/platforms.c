/* The pipeline's platforms: their table, and the work netlify, render and nix share (certify, the gate, checks). */
#include "app/pipeline/platforms.h"
#include "platform/platform.h"
#include "app/fleet/health.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

struct pl_platform *pl_platform_of(struct pipeline *p)
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
void pl_blocking_reason(struct pipeline *p, const struct sim_report *rep, const char *what)
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
int pl_certify(struct pipeline *p, int (*simulate)(struct pl_platform *pp))
{
	struct pl_platform *pp = pl_platform_of(p);
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
	r = cert_project(c->signer, c->dir, &pp->sim, healing, pp->artifact[0] ? pp->artifact : NULL, &k, &pp->cert);
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

/*
 * The gate before any deploy: the certificate made in this run must still match the files
 * on disk (and, for nix, name the store path about to be deployed). Nothing uncertified
 * goes out, whatever happened between certifying and deploying.
 */
int pl_gate(struct pipeline *p)
{
	struct pl_platform *pp = pl_platform_of(p);
	const struct pl_config *c = pp->cfg;
	const char *art;

	if (!pp->cert) {
		snprintf(p->reason, sizeof(p->reason), "refused to deploy: no certificate");
		return PL_FAILED;
	}
	if (cert_verify(c->signer, c->dir, pp->cert) < 0) {
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

/* Run every check once for HOST (NULL: no node) in S. OK is cleared when one fails; RESULTS gets each. */
int pl_run_checks(const struct pl_config *c, const char *host, struct executor *ex, struct exec_session *s,
		      json_t *results, bool *ok, char *first_fail, size_t len)
{
	size_t i;
	int r;

	for (i = 0; i < c->nchecks; i++) {
		struct health_result hr;

		if ((r = health_run(&c->checks[i], host, c->http, ex, s, &hr)) < 0)
			return r;
		json_array_append_new(results, health_result_json(&c->checks[i], &hr));
		if (!hr.ok && *ok) {
			*ok = false;
			snprintf(first_fail, len, "%s: %s", c->checks[i].text, hr.detail);
		}
	}
	return 0;
}

#define WEB_OPS_MAX 32	/* platforms pl_platform_ops can name at once */

const struct pipeline_ops *pl_platform_ops(const char *platform)
{
	static struct pipeline_ops web[WEB_OPS_MAX];
	const struct platform *p = platform ? platform_find(platform) : NULL;
	size_t i;

	if (!p)
		return NULL;
	if (platform_builds(p))
		return &pl_nix_ops;
	/* A web platform: the web ops under its own name (events and reports carry it). */
	for (i = 0; i < WEB_OPS_MAX && platform_at(i); i++) {
		if (platform_at(i) != p)
			continue;
		web[i] = pl_web_ops;
		web[i].platform = p->name;
		return &web[i];
	}
	return NULL;
}
