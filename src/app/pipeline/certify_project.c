/* Use case: `chimera certify`: simulate, check and sign a project, or verify its certificate. */
#include "app/pipeline/certify_project.h"
#include "platform/platform.h"
#include "platform/netlify/netlify.h"
#include "platform/render/render.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

bool certify_platform_known(const char *platform)
{
	const struct platform *p = platform ? platform_find(platform) : NULL;

	return p && platform_heals(p);
}

int certify_project(struct signer *sg, const struct certify_request *rq, struct certify_report *rep)
{
	int r;

	memset(rep, 0, sizeof(*rep));
	sim_report_init(&rep->sim, certify_platform_known(rq->platform) ? rq->platform : "netlify");
	if (!certify_platform_known(rq->platform))
		return err_set(ERR_INVALID, "unknown platform '%s': expected netlify or render",
			       rq->platform ? rq->platform : "");
	r = platform_find(rq->platform)->simulate(rq->dir, &rep->sim);
	if (r < 0)
		return r;
	rep->simulated = true;
	/* 1: a check failed, and there is never a certificate for what did not pass. */
	if ((r = cert_project(sg, rq->dir, &rep->sim, NULL, rq->artifact, &rep->checks, &rep->cert)) != 0)
		return r < 0 ? r : 0;
	if (rq->out_file)
		snprintf(rep->file, sizeof(rep->file), "%s", rq->out_file);
	else
		snprintf(rep->file, sizeof(rep->file), "%s/chimera-certificate.json", rq->dir);
	if ((r = cert_write(rep->file, rep->cert)) < 0)
		return r;
	rep->certified = true;
	return 0;
}

void certify_report_release(struct certify_report *rep)
{
	sim_report_release(&rep->sim);
	json_decref(rep->cert);
	rep->cert = NULL;
}

json_t *certify_report_json(const struct certify_report *rep)
{
	const struct cert_checks *k = &rep->checks;

	if (rep->certified)
		return json_pack("{s:b, s:s, s:O}", "certified", 1, "certificate", rep->file, "content", rep->cert);
	return json_pack("{s:b, s:{s:b, s:b, s:b, s:b}, s:o}", "certified", 0, "checks", "configuration_valid",
			 k->configuration_valid, "no_critical_issues", k->no_critical_issues, "simulation_passed",
			 k->simulation_passed, "healing_successful", k->healing_successful, "simulation",
			 sim_report_json(&rep->sim));
}

int certify_verify_file(struct signer *sg, const char *file, const char *dir)
{
	json_error_t jerr;
	json_t *cert = json_load_file(file, 0, &jerr);
	int r;

	if (!cert)
		return err_set(ERR_INVALID, "%s: not JSON: %s at %d:%d", file, jerr.text, jerr.line, jerr.column);
	if ((r = cert_verify(sg, dir, cert)) < 0) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err_msg());
		r = err_set(r, "%s: %s", file, why);
	}
	json_decref(cert);
	return r;
}

json_t *certify_verified_json(const char *file)
{
	return json_pack("{s:b, s:s}", "ok", 1, "certificate", file);
}
