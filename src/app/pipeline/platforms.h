/* The pipeline's platforms (netlify, render, nix): their configuration, their state, their ops. */
#ifndef CHIMERA_APP_PIPELINE_PLATFORMS_H
#define CHIMERA_APP_PIPELINE_PLATFORMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "app/fleet/deploy.h"
#include "platform/heal.h"
#include "app/pipeline/certify.h"
#include "app/pipeline/hook.h"
#include "app/pipeline/pipeline.h"
#include "app/fleet/rollback.h"
#include "platform/sim.h"
#include "core/healthspec.h"
#include "ports/http.h"
#include "ports/signer.h"

/* What the platform stages need, set by the command. */
struct pl_config {
	const char *platform;		/* "netlify", "render" or "nix" */
	const char *dir;
	struct signer *signer;		/* signs and checks the certificate */
	const char *cert_file;		/* where the certificate is written */
	bool dry_run;
	/* netlify, render */
	const char *hook_url;
	const char *rollback_hook_url;	/* NULL: none */
	struct hook_opts hook;
	long verify_wait_ms;		/* pause before the first check: the platform builds first */
	struct executor *local;		/* runs cmd: checks on the controller; NULL: they fail */
	struct http *http;		/* the hooks, and http: and tcp: checks; NULL: they fail */
	/* nix */
	const struct deploy_ctx *deploy;
	const struct target_list *targets;
	struct deploy_opts deploy_opts;	/* source, profile, activate, confirm_s, tmp_dir; id is set here */
	const char *nix_name;		/* the Nix file as the report names it, relative to DIR */
	/* every platform */
	const struct health_spec *checks;
	size_t nchecks;
};

/* The platforms' state, behind pipeline.platform. */
struct pl_platform {
	const struct pl_config *cfg;
	struct sim_report sim;		/* the last simulation (after healing, when it ran) */
	struct heal_result heal;
	bool healed;			/* heal ran */
	json_t *cert;			/* the certificate made */
	char artifact[STOREPATH_MAX];	/* nix: the store path built */
	struct deploy_report dep;	/* nix */
	bool deployed;			/* nix: deploy_run filled dep */
	struct hook_result hook, rollback_hook;
};

/* The ops for CFG->platform, or NULL for an unknown one. */
const struct pipeline_ops *pl_platform_ops(const char *platform);

void pl_platform_init(struct pl_platform *pp, const struct pl_config *cfg);
void pl_platform_release(struct pl_platform *pp);

/* ---- For the platform files: the ops, and the work they share ---- */

/* The web platforms' ops (their .platform is set per platform by pl_platform_ops) and the build platforms'. */
extern const struct pipeline_ops pl_web_ops, pl_nix_ops;

/* P's platform state (p->platform). */
struct pl_platform *pl_platform_of(struct pipeline *p);

/* P's reason for REP that did not pass: "WHAT: 3 critical, 1 high; first: FILE:L:C RULE: message". */
void pl_blocking_reason(struct pipeline *p, const struct sim_report *rep, const char *what);

/*
 * CERTIFYING: certify what is on disk now, SIMULATE-ing it again first when given (the
 * healed file was written), sign it and write the certificate; a dry run only runs the
 * checks. Returns a pipeline_outcome with p->reason and p->stage set, or an error.
 */
int pl_certify(struct pipeline *p, int (*simulate)(struct pl_platform *pp));

/*
 * The gate before any deploy: the certificate made in this run must still match the files
 * on disk (and, for nix, name the store path about to be deployed). PL_OK, or PL_FAILED
 * with p->reason saying why.
 */
int pl_gate(struct pipeline *p);

/*
 * Run every check of C once for HOST (NULL: no node), cmd: checks in S of EX. *OK is
 * cleared when one fails, FIRST_FAIL (LEN bytes) says which; RESULTS gets each result's
 * JSON. Returns 0, or ERR_NOMEM.
 */
int pl_run_checks(const struct pl_config *c, const char *host, struct executor *ex, struct exec_session *s,
		  json_t *results, bool *ok, char *first_fail, size_t len);

#endif
