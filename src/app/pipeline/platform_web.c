/* The pipeline's netlify and render: simulator and healer on the file, a build hook deploys and rolls back. */
#include "app/fleet/health.h"
#include "platform/platform.h"
#include "app/pipeline/platforms.h"
#include "platform/netlify/netlify.h"
#include "platform/render/render.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* Simulate what is on disk now, into pp->sim. */
static int web_resimulate(struct pl_platform *pp)
{
	const struct pl_config *c = pp->cfg;

	sim_report_release(&pp->sim);
	sim_report_init(&pp->sim, c->platform);
	return platform_find(c->platform)->simulate(c->dir, &pp->sim);
}

static int web_simulate(struct pipeline *p)
{
	struct pl_platform *pp = pl_platform_of(p);
	json_t *fixable;
	size_t i;
	int r;

	if ((r = web_resimulate(pp)) < 0)
		return r;
	p->stage = sim_report_json(&pp->sim);
	if (sim_passed(&pp->sim))
		return PL_OK;
	pl_blocking_reason(p, &pp->sim, "the simulation did not pass");
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
	struct pl_platform *pp = pl_platform_of(p);
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
	r = platform_find(c->platform)->heal_text(name, orig.data, orig.len, c->dir, &pp->heal);
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
		pl_blocking_reason(p, &pp->heal.after, "healing did not make it pass");
		r = PL_FAILED;
	}
out:
	buf_release(&orig);
	buf_release(&diff);
	return r;
}

static int web_certify(struct pipeline *p)
{
	return pl_certify(p, web_resimulate);
}

/* What the hook is sent: enough for the build to tell which certified configuration it was. */
static char *hook_body(struct pipeline *p)
{
	struct pl_platform *pp = pl_platform_of(p);
	json_t *b = json_pack("{s:{s:s, s:s, s:O*, s:O*, s:O*}}", "chimera", "pipeline", p->id, "platform",
			      pp->cfg->platform, "key_id", json_object_get(pp->cert, "key_id"), "nonce",
			      json_object_get(pp->cert, "nonce"), "files", json_object_get(pp->cert, "files"));
	char *s = b ? json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(b);
	return s;
}

static int web_deploy(struct pipeline *p)
{
	struct pl_platform *pp = pl_platform_of(p);
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
	if ((r = pl_gate(p)) != PL_OK)
		return r;
	if (!(body = hook_body(p)))
		return err_set(ERR_NOMEM, "out of memory");
	ho.body = body;
	pipeline_record(p, "chimera.deploy.start", NULL,
			json_pack("{s:s, s:s, s:O*}", "hook", shown, "platform", c->platform, "certificate_nonce",
				  json_object_get(pp->cert, "nonce")));
	r = hook_post(c->http, c->hook_url, &ho, &pp->hook);
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

static int web_verify(struct pipeline *p)
{
	struct pl_platform *pp = pl_platform_of(p);
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
	r = pl_run_checks(c, NULL, c->local, s, results, &ok, fail, sizeof(fail));
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
	struct pl_platform *pp = pl_platform_of(p);
	const struct pl_config *c = pp->cfg;
	char shown[HOOK_URL_MAX];
	int r;

	hook_redact(c->rollback_hook_url, shown, sizeof(shown));
	pipeline_record(p, "chimera.rollback.triggered", NULL,
			json_pack("{s:s, s:s}", "reason", p->reason, "hook", shown));
	r = hook_post(c->http, c->rollback_hook_url, &c->hook, &pp->rollback_hook);
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

/* netlify and render differ only in their simulator and healer, which web_* pick by name. */
#define WEB_OPS(name)                                                                                       \
	{ .platform = name, .simulate = web_simulate, .heal = web_heal, .certify = web_certify,              \
	  .deploy = web_deploy, .verify = web_verify, .rollback = web_rollback }

const struct pipeline_ops pl_web_ops = WEB_OPS(NULL);
