/*
 * The Nix domain's routes: its projections read (flakes, builds, gc history: the same JSON
 * as `chimera nix flakes|builds|gc-history --json`), and nix build and nix gc as jobs.
 */
#include "api/act.h"
#include "api/api_internal.h"
#include "app/nix/build.h"
#include "app/nix/gc.h"
#include "app/nix/projection.h"
#include "core/gc_plan.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* --- reads --- */

/* The live projection (caught up with the ledger), or the error answered and NULL. */
static json_t *live_or_answer(struct api_call *c)
{
	struct world *w = api_world_get(c->api);
	struct ledger *l = api_ledger(c->api);
	const char *dir;
	json_t *p = NULL;

	if (!l)
		api_error(c, 503, "ledger_unavailable", "the ledger cannot be opened: %s", err_msg());
	else if (world_state_dir(w, &dir) < 0 || nix_proj_live(dir, l, &p) < 0)
		api_error(c, 500, "projection", "%s", err_msg());
	api_world_put(c->api, w);
	return p;
}

static void answer_view(struct api_call *c, json_t *p, json_t *doc)
{
	json_decref(p);
	if (doc)
		api_json(c, 200, doc);
	else
		api_error(c, 500, "internal", "out of memory");
}

static void get_flakes(struct api_call *c)
{
	const char *dir = httpd_request_query(c->rq, "dir");
	json_t *p = live_or_answer(c);

	if (p)
		answer_view(c, p, nix_proj_flakes_json(p, dir && *dir ? dir : NULL));
}

static void get_builds(struct api_call *c)
{
	long limit = 20;
	json_t *p;

	if (api_query_int(c, "limit", 1, 1000000, &limit) < 0 || !(p = live_or_answer(c)))
		return;
	answer_view(c, p, nix_proj_builds_json(p, (size_t)limit));
}

static void get_gc(struct api_call *c)
{
	const char *node = httpd_request_query(c->rq, "node");
	long limit = 20;
	json_t *p;

	if (api_query_int(c, "limit", 1, 1000000, &limit) < 0 || !(p = live_or_answer(c)))
		return;
	answer_view(c, p, nix_proj_gc_json(p, node && *node ? node : NULL, (size_t)limit));
}

/* --- POST /nix/build --- */

static int build_parse(json_t *body, struct nix_build_opts *o, char *msg, size_t len)
{
	static const char *const allowed[] = { "installable", "attr", NULL };

	memset(o, 0, sizeof(*o));
	if (act_check_fields(body, allowed, msg, len) < 0 || act_field_str(body, "installable", &o->installable, msg, len) < 0 ||
	    act_field_str(body, "attr", &o->attr, msg, len) < 0)
		return -1;
	if (!o->installable || (o->installable[0] != '/' && !strchr(o->installable, '#'))) {
		snprintf(msg, len, "field 'installable' is %s: expected a Nix file or directory on the server (an absolute"
			 " path) or a flake reference with its attribute (\"path:/srv/flake#hello\")",
			 o->installable ? "not an absolute path nor REF#ATTR" : "missing");
		return -1;
	}
	return 0;
}

static int build_check(json_t *body, char *msg, size_t len)
{
	struct nix_build_opts o;

	return build_parse(body, &o, msg, len);
}

static enum job_state run_build(struct api_job *j, json_t **report, char *msg, size_t len)
{
	struct nix_build_opts o;
	struct nix_build_report rep;
	struct ledger *l = NULL;
	struct nix *nx = NULL;
	struct world w;
	enum job_state st = JOB_FAILED;
	char *text;

	if (build_parse(job_request(j), &o, msg, len) < 0)
		return JOB_FAILED;
	world_init(&w, api_world_options(job_api(j)));
	if (world_open_ledger(&w, &l) < 0 || world_open_nix(&w, &nx) < 0) {
		snprintf(msg, len, "%s", err_msg());
		goto out;
	}
	if (nix_build_run(&(struct nix_build_ctx){ nx, l }, &o, &rep) < 0) {
		snprintf(msg, len, "%s", err_msg());
		goto out;
	}
	st = JOB_SUCCEEDED;
	if ((text = nix_build_report_json(&rep))) {
		*report = json_loads(text, 0, NULL);
		free(text);
	}
	if (rep.ledger_err)
		snprintf(msg, len, "the ledger did not take every event: %s", rep.ledger_msg);
out:
	if (nx)
		nx->ops->close(nx);
	ledger_close(l);
	world_close(&w);
	return st;
}

static void post_build(struct api_call *c)
{
	act_post(c, "nix-build", build_check, run_build);
}

/* --- POST /nix/gc --- */

static int gc_parse(json_t *body, struct act_req *r, struct gc_opts *o, char *msg, size_t len)
{
	static const char *const allowed[] = { ACT_FIELDS_REACH, ACT_FIELDS_LEASE, "profile", "older_than", "keep", "dry_run",
					       NULL };
	long keep = GC_KEEP_DEFAULT;

	*o = (struct gc_opts){ .older_than_s = -1, .keep = GC_KEEP_DEFAULT };
	if (act_check_fields(body, allowed, msg, len) < 0 || act_parse_fleet(body, r, msg, len) < 0 ||
	    act_field_str(body, "older_than", &o->older_than, msg, len) < 0 ||
	    act_field_int(body, "keep", 1, GC_KEEP_MAX, &keep, msg, len) < 0 ||
	    act_field_bool(body, "dry_run", &o->dry_run, msg, len) < 0)
		return -1;
	if (o->older_than && gc_age_parse("field 'older_than'", o->older_than, &o->older_than_s) < 0) {
		snprintf(msg, len, "%s", err_msg());
		return -1;
	}
	o->keep = (uint32_t)keep;
	o->profile = r->reach.set_profile ? r->reach.profile : NULL;
	return 0;
}

static int gc_check(json_t *body, char *msg, size_t len)
{
	struct act_req r = { 0 };
	struct gc_opts o;
	int rc = gc_parse(body, &r, &o, msg, len);

	act_req_release(&r);
	return rc;
}

static enum job_state run_gc(struct api_job *j, json_t **report, char *msg, size_t len)
{
	struct act_req r = { 0 };
	struct act_fleet f = { 0 };
	struct gc_opts o;
	struct gc_report rep = { 0 };
	enum job_state st = JOB_FAILED;
	char *text;

	if (gc_parse(job_request(j), &r, &o, msg, len) < 0 || act_open(j, &r, false, &f, msg, len) < 0)
		goto out;
	if (gc_run(&f.ctx.fleet, &f.targets, &o, &rep) < 0) {
		snprintf(msg, len, "%s", err_msg());
		goto out;
	}
	st = rep.ok == rep.n ? JOB_SUCCEEDED : rep.ok ? JOB_PARTIAL : JOB_FAILED;
	if ((text = gc_report_json(&rep))) {
		*report = json_loads(text, 0, NULL);
		free(text);
	}
	if (rep.ledger_err)
		snprintf(msg, len, "the ledger did not take every event: %s", rep.ledger_msg);
out:
	gc_report_release(&rep);
	act_close(&f);
	act_req_release(&r);
	return st;
}

static void post_gc(struct api_call *c)
{
	act_post(c, "nix-gc", gc_check, run_gc);
}

const struct api_route api_routes_nix[] = {
	{ "GET", API_PREFIX "/nix/flakes", TOKEN_ROLE_VIEWER, get_flakes, false },
	{ "GET", API_PREFIX "/nix/builds", TOKEN_ROLE_VIEWER, get_builds, false },
	{ "GET", API_PREFIX "/nix/gc", TOKEN_ROLE_VIEWER, get_gc, false },
	{ "POST", API_PREFIX "/nix/build", TOKEN_ROLE_OPERATOR, post_build, true },
	{ "POST", API_PREFIX "/nix/gc", TOKEN_ROLE_OPERATOR, post_gc, true },
	{ NULL, NULL, 0, NULL, false },
};
