/* Use case: `chimera run`: a command in a tmux session on every target, optionally from a closure copied first. */
#include "app/fleet/run.h"
#include "util/err.h"
#include "util/json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

int run_session(const struct deploy_ctx *ctx, const struct target_list *targets, const struct run_request *req,
		struct run_report *rep)
{
	struct sessions_request sq = req->sessions;
	struct fleet_failure *prior = NULL;
	struct deploy_opts dopts = { 0 };
	size_t k;
	int r;

	memset(rep, 0, sizeof(*rep));
	if (!req->path)
		return sessions_run(&ctx->fleet, targets, &sq, &rep->sessions);
	snprintf(rep->profile, sizeof(rep->profile), RUN_PROFILE_DIR "/run-%s", sq.spec.name);
	dopts.expect = req->path;
	dopts.profile = rep->profile;
	dopts.activate = "none";
	dopts.own_settings = true;	/* never the machine's system profile, nor its activation */
	dopts.tmp_dir = req->tmp_dir;
	if ((r = deploy_run(ctx, targets, &dopts, &rep->deploy)) < 0)
		return r;
	if (!(prior = calloc(rep->deploy.n ? rep->deploy.n : 1, sizeof(*prior))))
		return err_set(ERR_NOMEM, "out of memory");
	for (k = 0; k < rep->deploy.n && k < targets->n; k++) {
		if (rep->deploy.nodes[k].outcome != OUTCOME_FAILED)
			continue;
		prior[k] = rep->deploy.nodes[k].fail;
		if (!prior[k].step)
			prior[k].step = "copy";
	}
	sq.prior = prior;
	sq.id = rep->deploy.id;
	sq.store_path = req->path;
	sq.spec.path_dir = req->path;
	r = sessions_run(&ctx->fleet, targets, &sq, &rep->sessions);
	free(prior);
	return r;
}

void run_report_release(struct run_report *rep)
{
	deploy_report_release(&rep->deploy);
	sessions_report_release(&rep->sessions);
}

char *run_report_json(const struct run_report *rep, const char *session, const char *cmd, const char *path,
		      const char *nix_file)
{
	const struct sessions_report *sr = &rep->sessions;
	json_t *nodes = json_array();
	size_t i;

	for (i = 0; i < sr->n; i++) {
		const struct sessions_node *n = &sr->nodes[i];
		bool ok = n->outcome == SESSION_DONE || n->outcome == SESSION_REPLACED;

		json_array_append_new(nodes, json_pack("{s:s, s:b, s:s, s:o, s:o, s:o, s:I, s:o}", "target", n->name,
						       "ok", ok, "outcome", session_outcome_name(SESSION_OP_START, n->outcome),
						       "step", ok || !n->fail.step ? json_null() : json_string(n->fail.step),
						       "error", ok ? json_null() : json_utf8_string(n->fail.message, strlen(n->fail.message)),
						       "file", n->file[0] ? json_string(n->file) : json_null(),
						       "ms", (json_int_t)n->ms,
						       "seq", n->seq ? json_integer(n->seq) : json_null()));
	}
	return json_render(json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}}", "run", sr->id, "session",
				     session, "command", json_utf8_string(cmd, strlen(cmd)), "store_path",
				     path ? json_string(path) : json_null(), "nix_shell",
				     nix_file ? json_string(nix_file) : json_null(), "nodes", nodes, "summary", "nodes",
				     (json_int_t)sr->n, "ok", (json_int_t)sr->ok, "failed", (json_int_t)sr->failed, "ms",
				     (json_int_t)sr->ms));
}
