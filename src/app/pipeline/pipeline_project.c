/* Use case: `chimera pipeline` for one project: the platform's configuration made, the run started. */
#include "app/pipeline/pipeline_project.h"
#include "platform/platform.h"
#include "app/pipeline/platforms.h"
#include "app/fleet/fleet.h"
#include "util/err.h"

#include <string.h>
#include "util/banned.h"

bool pipeline_platform_known(const char *platform)
{
	return platform && pl_platform_ops(platform) != NULL;
}

/* The platform stages' configuration, from the parts and the request. */
static void make_config(const struct pipeline_parts *w, const struct pipeline_request *rq, struct pl_config *c)
{
	*c = (struct pl_config){
		.platform = rq->platform,
		.dir = rq->dir,
		.signer = w->signer,
		.cert_file = rq->cert_file,
		.dry_run = rq->dry_run,
		.hook_url = rq->hook_url,
		.rollback_hook_url = rq->rollback_hook_url,
		.hook = rq->hook,
		.verify_wait_ms = rq->verify_wait_ms,
		.local = w->local,
		.http = w->http,
		.deploy = w->deploy,
		.targets = rq->targets,
		.deploy_opts = { .source = rq->source, .profile = rq->profile, .activate = rq->activate, .goal = rq->goal,
				 .confirm_s = rq->confirm_s, .tmp_dir = rq->tmp_dir },
		.nix_name = rq->nix_name,
		.checks = rq->checks,
		.nchecks = rq->nchecks,
	};
}

/* nix: what deploy.initiated adds, the nodes, the file and the profile. A new reference, NULL when out of memory. */
static json_t *nix_initiated(const struct pipeline_request *rq)
{
	json_t *names = json_array();
	size_t i;

	for (i = 0; names && i < rq->targets->n; i++) {
		char nm[TARGET_FORMAT_MAX];

		fleet_node_name(&rq->targets->items[i], nm, sizeof(nm));
		json_array_append_new(names, json_string(nm));
	}
	return json_pack("{s:o*, s:s, s:s}", "nodes", names, "file", rq->nix_file, "profile", rq->profile);
}

int pipeline_project(const struct pipeline_parts *w, const struct pipeline_request *rq, struct pipeline *out)
{
	const struct platform *plat = platform_find(rq->platform);
	bool nix = plat && platform_builds(plat);
	struct pl_config cfg;
	struct pl_platform pp;
	int r;

	memset(out, 0, sizeof(*out));
	if (!pipeline_platform_known(rq->platform))
		return err_set(ERR_INVALID, "unknown platform '%s': expected netlify, render or nix", rq->platform);
	make_config(w, rq, &cfg);
	pl_platform_init(&pp, &cfg);
	out->ops = pl_platform_ops(rq->platform);
	out->flags = (struct pipeline_flags){ .no_heal = rq->no_heal, .dry_run = rq->dry_run,
					      .can_rollback = nix || rq->rollback_hook_url };
	out->ledger = w->ledger;
	out->dir = rq->dir;
	out->platform = &pp;
	out->on_state = rq->on_state;
	out->arg = rq->arg;
	if (nix && !(out->initiated = nix_initiated(rq))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	r = pipeline_run(out);
out:
	pl_platform_release(&pp);
	/* The platform's state is gone with this call: nothing may reach it through OUT. */
	out->platform = NULL;
	return r;
}
