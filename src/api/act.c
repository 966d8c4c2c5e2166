/* The act routes' shared parts: fleet fields, the job's fleet, the 202 (act.h). */
#include "api/act.h"
#include "api/api_internal.h"
#include "core/goal.h"
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static const char *type_of(const json_t *v)
{
	return json_is_object(v) ? "an object" : json_is_array(v) ? "an array" : json_is_string(v) ? "a string"
	       : json_is_integer(v) ? "an integer" : json_is_boolean(v) ? "a boolean" : json_is_null(v) ? "null" : "a number";
}

/* Field NAME of BODY as a non-empty string into *OUT (kept when absent). 0 or -1 with MSG. */
static int str_field(json_t *body, const char *name, const char **out, char *msg, size_t len)
{
	json_t *v = json_object_get(body, name);

	if (!v)
		return 0;
	if (!json_is_string(v) || !json_string_length(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(msg, len, "field '%s' is %s: expected a non-empty string", name,
			 json_is_string(v) ? "empty or holds a NUL" : type_of(v));
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

static int int_field(json_t *body, const char *name, long min, long max, long *out, char *msg, size_t len)
{
	json_t *v = json_object_get(body, name);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(msg, len, "field '%s' is %s: expected an integer from %ld to %ld", name,
			 json_is_integer(v) ? "out of range" : type_of(v), min, max);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 0;
}

static int bool_field(json_t *body, const char *name, bool *out, char *msg, size_t len)
{
	json_t *v = json_object_get(body, name);

	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		snprintf(msg, len, "field '%s' is %s: expected true or false", name, type_of(v));
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

int act_field_str(json_t *body, const char *name, const char **out, char *msg, size_t len)
{
	return str_field(body, name, out, msg, len);
}

int act_field_int(json_t *body, const char *name, long min, long max, long *out, char *msg, size_t len)
{
	return int_field(body, name, min, max, out, msg, len);
}

int act_field_bool(json_t *body, const char *name, bool *out, char *msg, size_t len)
{
	return bool_field(body, name, out, msg, len);
}

int act_check_fields(json_t *body, const char *const *allowed, char *msg, size_t len)
{
	struct buf names = BUF_INIT(0);
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(body, k, v) {
		for (i = 0; allowed[i] && strcmp(allowed[i], k) != 0; i++)
			;
		if (allowed[i])
			continue;
		for (i = 0; allowed[i]; i++)
			buf_printf(&names, "%s%s", i ? ", " : "", allowed[i]);
		if (i)
			snprintf(msg, len, "field '%.80s' is not one this route takes: expected only %s", k, names.data);
		else
			snprintf(msg, len, "field '%.80s' is not one this route takes: expected no body, or {}", k);
		buf_release(&names);
		return -1;
	}
	return 0;
}

/* NAME (targets, exclude): "a,b" or ["a", "b"] into a malloc'd comma-separated list (NULL when absent and not REQUIRED). */
static int targets_field(json_t *body, const char *name, bool required, char **out, char *msg, size_t len)
{
	json_t *v = json_object_get(body, name), *e;
	struct buf b = BUF_INIT(HTTPD_BODY_MAX);
	size_t i;

	*out = NULL;
	if (!v && !required)
		return 0;
	if (v && json_is_string(v) && json_string_length(v) && strlen(json_string_value(v)) == json_string_length(v))
		return (*out = strdup(json_string_value(v))) ? 0 : (snprintf(msg, len, "out of memory"), -1);
	if (!v || !json_is_array(v) || !json_array_size(v)) {
		snprintf(msg, len, "field '%s' is %s: expected machine names, @TAG, globs or all, as a string"
			 " (\"web-1,@db\") or an array ([\"web-1\", \"@db\"])", name,
			 !v ? "missing" : json_is_array(v) ? "an empty array" : type_of(v));
		return -1;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || !json_string_length(e) || strchr(json_string_value(e), ',')) {
			snprintf(msg, len, "field '%s'[%zu] is %s: expected one name without commas", name, i,
				 json_is_string(e) ? "empty or holds a comma" : type_of(e));
			buf_release(&b);
			return -1;
		}
		if ((i && buf_addc(&b, ',') < 0) || buf_adds(&b, json_string_value(e)) < 0) {
			snprintf(msg, len, "field '%s' is too long", name);
			buf_release(&b);
			return -1;
		}
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

static int parse_fleet(json_t *body, bool targets_required, struct act_req *r, char *msg, size_t len)
{
	struct world_reach *w = &r->reach;
	const char *goal = NULL;
	enum goal g;
	bool sudo = false, accept = false;

	world_reach_init(w);
	if (targets_field(body, "targets", targets_required, &r->targets, msg, len) < 0 ||
	    targets_field(body, "exclude", false, &r->exclude, msg, len) < 0 || str_field(body, "profile", &w->profile, msg, len) < 0 ||
	    str_field(body, "activate", &w->activate, msg, len) < 0 || str_field(body, "goal", &goal, msg, len) < 0 ||
	    int_field(body, "parallel", 1, 10000, &w->parallel, msg, len) < 0 ||
	    int_field(body, "connect_timeout", 1, 3600, &w->connect_timeout, msg, len) < 0 ||
	    int_field(body, "timeout", 1, 86400, &w->timeout, msg, len) < 0 ||
	    int_field(body, "lock_wait", 0, 86400, &w->lock_wait, msg, len) < 0 ||
	    int_field(body, "stall_timeout", 0, 86400, &w->stall_timeout, msg, len) < 0 ||
	    int_field(body, "activation_timeout", 1, 86400 * 7, &w->activation_timeout, msg, len) < 0 ||
	    bool_field(body, "sudo", &sudo, msg, len) < 0 ||
	    bool_field(body, "accept_new_host_keys", &accept, msg, len) < 0)
		return -1;
	if (goal && goal_parse(goal, &g) < 0) {
		snprintf(msg, len, "field 'goal' is '%.40s': expected switch, boot, test or dry-activate", goal);
		return -1;
	}
	w->goal = goal;
	w->set_profile = json_object_get(body, "profile") != NULL;
	w->set_parallel = json_object_get(body, "parallel") != NULL;
	w->set_connect_timeout = json_object_get(body, "connect_timeout") != NULL;
	w->sudo = sudo;
	w->accept_new = accept;
	return 0;
}

int act_parse_fleet(json_t *body, struct act_req *r, char *msg, size_t len)
{
	return parse_fleet(body, true, r, msg, len);
}

int act_parse_fleet_opt(json_t *body, struct act_req *r, char *msg, size_t len)
{
	return parse_fleet(body, false, r, msg, len);
}

/* args / argstrs: {NAME: VALUE} into R's source. */
static int args_field(json_t *body, const char *name, int is_str, struct act_req *r, char *msg, size_t len)
{
	json_t *v = json_object_get(body, name), *e;
	const char *k;

	if (!v)
		return 0;
	if (!json_is_object(v)) {
		snprintf(msg, len, "field '%s' is %s: expected an object {\"NAME\": \"VALUE\"}", name, type_of(v));
		return -1;
	}
	json_object_foreach(v, k, e) {
		if (!json_is_string(e)) {
			snprintf(msg, len, "field '%s'.%s is %s: expected a string", name, k, type_of(e));
			return -1;
		}
		if (r->src.nargs >= NIX_ARGS_MAX) {
			snprintf(msg, len, "field '%s': at most %d arguments in all", name, NIX_ARGS_MAX);
			return -1;
		}
		r->src.args[r->src.nargs++] = (struct nix_arg){ is_str, k, json_string_value(e) };
	}
	return 0;
}

static int checks_field(json_t *body, struct act_req *r, char *msg, size_t len)
{
	json_t *v = json_object_get(body, "checks"), *e;
	size_t i;

	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > ACT_CHECKS_MAX) {
		snprintf(msg, len, "field 'checks' is %s: expected an array of at most %d check specs (\"http:URL\","
			 " \"tcp:HOST:PORT\", \"cmd:COMMAND\")", json_is_array(v) ? "too long" : type_of(v), ACT_CHECKS_MAX);
		return -1;
	}
	if (!(r->checks = calloc(json_array_size(v) + 1, sizeof(*r->checks)))) {
		snprintf(msg, len, "out of memory");
		return -1;
	}
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || health_spec_parse(json_string_value(e), &r->checks[i]) < 0) {
			snprintf(msg, len, "field 'checks'[%zu]: %s", i, json_is_string(e) ? err_msg() : "expected a string");
			return -1;
		}
		r->nchecks++;
	}
	return 0;
}

int act_parse_args(json_t *body, struct act_req *r, char *msg, size_t len)
{
	return args_field(body, "args", 0, r, msg, len) < 0 || args_field(body, "argstrs", 1, r, msg, len) < 0 ? -1 : 0;
}

int act_parse_checks(json_t *body, struct act_req *r, char *msg, size_t len)
{
	return checks_field(body, r, msg, len);
}

int act_parse_source(json_t *body, struct act_req *r, char *msg, size_t len)
{
	int given;

	if (str_field(body, "file", &r->src.file, msg, len) < 0 || str_field(body, "attr", &r->src.attr, msg, len) < 0 ||
	    str_field(body, "flake", &r->src.flake, msg, len) < 0 || str_field(body, "expect", &r->expect, msg, len) < 0 ||
	    act_parse_args(body, r, msg, len) < 0 || checks_field(body, r, msg, len) < 0)
		return -1;
	given = !!r->src.file + !!r->src.flake + !!r->expect;
	if (given > 1) {
		snprintf(msg, len, "give one source: 'file' (with 'attr', 'args'), 'flake' or 'expect'");
		return -1;
	}
	if ((r->src.attr || r->src.nargs) && !r->src.file) {
		snprintf(msg, len, "fields 'attr', 'args' and 'argstrs' go with 'file'");
		return -1;
	}
	if (r->expect && (strncmp(r->expect, "/nix/store/", 11) != 0 || strchr(r->expect + 11, '/'))) {
		snprintf(msg, len, "field 'expect' is '%.200s': expected a store path (/nix/store/HASH-NAME)", r->expect);
		return -1;
	}
	r->have_source = r->src.file || r->src.flake;
	if (r->have_source && nix_source_check(&r->src) < 0) {
		snprintf(msg, len, "%s", err_msg());
		return -1;
	}
	return 0;
}

int act_parse_deploy(json_t *body, struct act_req *r, char *msg, size_t len)
{
	r->confirm_s = 30;
	return bool_field(body, "dry_run", &r->dry_run, msg, len) < 0 ||
			       bool_field(body, "repair", &r->repair, msg, len) < 0 ||
			       int_field(body, "confirm_timeout", 0, 3600, &r->confirm_s, msg, len) < 0
		       ? -1
		       : 0;
}

void act_req_release(struct act_req *r)
{
	free(r->targets);
	free(r->exclude);
	free(r->checks);
	memset(r, 0, sizeof(*r));
}

int act_open(struct api_job *j, struct act_req *r, bool nix, struct act_fleet *f, char *msg, size_t len)
{
	int bad;

	memset(f, 0, sizeof(*f));
	f->api = job_api(j);
	f->world = api_world_get(f->api);
	f->opened = true;
	api_world_lock(f->api);
	bad = world_targets(f->world, r->targets, r->exclude, NULL, &f->targets) < 0 ||
	    world_open_fleet(f->world, &r->reach, &f->targets, &f->wf) < 0 ||
	    (nix && (world_spool_dir(f->world, f->tmp, sizeof(f->tmp)) < 0 || world_open_nix(f->world, &f->ctx.nix) < 0));
	if (bad)
		snprintf(msg, len, "%s", err_msg());
	api_world_unlock(f->api);
	if (bad)
		return -1;
	f->wf.fleet.stop = job_stop_flag(j);
	f->ctx.fleet = f->wf.fleet;
	return act_nodes(j, &f->targets);
}

void act_close(struct act_fleet *f)
{
	if (!f->opened)
		return;
	if (f->ctx.nix)
		f->ctx.nix->ops->close(f->ctx.nix);
	world_fleet_close(&f->wf);
	target_list_release(&f->targets);
	api_world_put(f->api, f->world);
	f->opened = false;
}

int act_nodes(struct api_job *j, const struct target_list *t)
{
	const char **names = calloc(t->n ? t->n : 1, sizeof(*names));
	char (*buf)[TARGET_FORMAT_MAX] = calloc(t->n ? t->n : 1, sizeof(*buf));
	size_t i;
	int r;

	if (!names || !buf) {
		free(names);
		free(buf);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < t->n; i++) {
		fleet_node_name(&t->items[i], buf[i], sizeof(buf[i]));
		names[i] = buf[i];
	}
	r = job_nodes_set(j, names, t->n);
	free(names);
	free(buf);
	return r;
}

void act_bad(struct api_call *c, const char *msg)
{
	api_error(c, 400, "bad_field", "%s", msg);
}

void act_accept(struct api_call *c, const char *kind, json_t *body, job_run_fn run)
{
	char id[JOB_ID_LEN + 1], loc[64];

	if (jobs_start(api_jobs_of(c->api), kind, c->caller, body, run, id) < 0) {
		api_error(c, 503, "ledger", "the job could not be recorded: %s", err_msg());
		return;
	}
	snprintf(loc, sizeof(loc), "%s/jobs/%s", API_PREFIX, id);
	httpd_response_header(c->res, "Location", "%s", loc);
	api_json(c, 202, json_pack("{s:s, s:s, s:s, s:s}", "job", id, "kind", kind, "state", "queued", "location", loc));
}

void act_post(struct api_call *c, const char *kind, act_check_fn check, job_run_fn run)
{
	char msg[1024];
	json_t *body;

	if (api_body(c, &body) < 0)
		return;
	if (check(body, msg, sizeof(msg)) < 0) {
		act_bad(c, msg);
		json_decref(body);
		return;
	}
	act_accept(c, kind, body, run);
}
