/*
 * Use case: `chimera pipeline` for one project. The opened parts and the request in, the
 * run (struct pipeline: its states, reason and each state's report) out.
 */
#ifndef CHIMERA_APP_PIPELINE_PIPELINE_PROJECT_H
#define CHIMERA_APP_PIPELINE_PIPELINE_PROJECT_H

#include <stdbool.h>
#include <stddef.h>

#include "app/fleet/deploy.h"
#include "app/pipeline/hook.h"
#include "app/pipeline/pipeline.h"
#include "core/healthspec.h"
#include "core/target.h"
#include "ports/http.h"
#include "ports/ledger.h"
#include "ports/signer.h"

/* The opened parts the pipeline runs on; what a platform does not use may be NULL. */
struct pipeline_parts {
	struct ledger *ledger;		/* every event; NULL: nothing recorded */
	struct http *http;		/* the hooks, and http: and tcp: checks */
	struct signer *signer;		/* signs and checks the certificate */
	struct executor *local;		/* netlify, render: runs cmd: checks on the controller */
	const struct deploy_ctx *deploy;	/* nix: the fleet (its executors, ledger, http) and Nix */
};

/* What to run: checked by the caller (pipeline_platform_known, the hook URLs, the files). */
struct pipeline_request {
	const char *platform;		/* "netlify", "render" or "nix" */
	const char *dir;		/* the project directory */
	const char *cert_file;		/* where the certificate is written */
	bool no_heal;
	bool dry_run;
	/* netlify, render */
	const char *hook_url;		/* NULL only with dry_run */
	const char *rollback_hook_url;	/* NULL: none, and a failed verify is REJECTED */
	struct hook_opts hook;
	long verify_wait_ms;
	/* nix */
	const struct target_list *targets;
	const struct nix_source *source;
	const char *nix_file;		/* the file as given, for deploy.initiated */
	const char *nix_name;		/* the file as the report names it, relative to DIR */
	const char *profile;
	const char *activate;
	enum goal goal;			/* as deploy's */
	long confirm_s;			/* magic rollback; 0: off */
	const char *tmp_dir;
	/* every platform */
	const struct health_spec *checks;
	size_t nchecks;
	/* Progress: called on the calling thread as each state is entered; may be NULL. */
	void (*on_state)(const struct pipeline *p, void *arg);
	void *arg;
};

/* True for a platform the pipeline knows: "netlify", "render", "nix". */
bool pipeline_platform_known(const char *platform);

/*
 * Run the pipeline for RQ on PARTS, from IDLE to a final state, into *OUT (cleared first;
 * the caller releases it with pipeline_release, also after a failure). Nothing is
 * printed. Returns 0 once a final state is reached, whatever it is (OUT's state, reason
 * and ledger_err say how it went), ERR_INVALID for an unknown platform, or ERR_NOMEM.
 */
int pipeline_project(const struct pipeline_parts *parts, const struct pipeline_request *rq, struct pipeline *out);

#endif
