/* The deploy report as JSON: what `chimera deploy --json` prints and the API serves. */
#include "app/fleet/deploy_fleet.h"
#include "app/fleet/deploy_internal.h"
#include "util/err.h"
#include "util/json.h"
#include "util/json_read.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

const char *deploy_outcome_name(enum deploy_outcome o)
{
	switch (o) {
	case OUTCOME_DEPLOYED: return "deployed";
	case OUTCOME_PLANNED: return "planned";
	case OUTCOME_FAILED: return "failed";
	default: return "pending";
	}
}

static json_t *node_json(const struct deploy_node *n, const char *path)
{
	json_t *o = json_object(), *steps = json_object();
	int s;

	for (s = 0; s < STEP_COUNT; s++)
		if (n->step_ms[s] >= 0)
			json_object_set_new(steps, deploy_step_name(s), json_integer(n->step_ms[s]));
	json_object_set_new(o, "node", json_string(n->name));
	json_object_set_new(o, "outcome", json_string(deploy_outcome_name(n->outcome)));
	json_object_set_new(o, "previous", n->previous[0] ? json_string(n->previous) : json_null());
	json_object_set_new(o, "would_switch", json_boolean(strcmp(n->previous, path) != 0));
	json_object_set_new(o, "copy", json_pack("{s:I, s:I}", "paths", (json_int_t)n->copy_paths, "bytes",
						 (json_int_t)n->copy_bytes));
	json_object_set_new(o, "activation", n->activation[0] ? json_string(n->activation) : json_null());
	json_object_set_new(o, "goal", json_string(goal_name(n->goal)));
	if (n->goal == GOAL_DRY_ACTIVATE && n->outcome != OUTCOME_FAILED)
		json_object_set_new(o, "dry_activation", json_string(n->shown));
	if (n->diff)
		json_object_set_new(o, "diff", deploy_diff_json(n, path));
	json_object_set_new(o, "steps_ms", steps);
	json_object_set_new(o, "ms", json_integer(n->ms));
	if (n->outcome == OUTCOME_FAILED) {
		json_object_set_new(o, "failed_step", json_string(n->fail.step));
		json_object_set_new(o, "status", n->fail.status >= 0 ? json_integer(n->fail.status) : json_null());
		json_object_set_new(o, "error", json_string(n->fail.message));
		json_object_set_new(o, "stderr_tail", json_string(n->fail.stderr_tail));
		json_object_set_new(o, "restored_previous", n->restored ? json_boolean(n->restored > 0) : json_null());
		json_object_set_new(o, "rolled_back_by_node", json_boolean(n->rolled_back_by_node));
		json_object_set_new(o, "restore_error", n->restored < 0 ? json_string(n->restore_error) : json_null());
		/* The generation it went (or was to go) back to: text output names it. */
		json_object_set_new(o, "previous_generation",
				    n->previous_gen ? json_integer((json_int_t)n->previous_gen) : json_null());
	}
	return o;
}

/* One deployment's document. */
static json_t *deployment_json(const struct deploy_report *rep, int dry_run)
{
	json_t *nodes = json_array();
	size_t i;

	for (i = 0; i < rep->n; i++)
		json_array_append_new(nodes, node_json(&rep->nodes[i], rep->path));
	return json_pack("{s:s, s:s, s:b, s:I, s:{s:I, s:I}, s:o, s:{s:I, s:I, s:I, s:I}}", "deployment", rep->id, "path",
			 rep->path, "dry_run", dry_run, "build_ms", (json_int_t)rep->build_ms, "closure", "paths",
			 (json_int_t)rep->closure_paths, "bytes", (json_int_t)rep->closure_bytes, "nodes", nodes, "summary",
			 "nodes", (json_int_t)rep->n, "ok", (json_int_t)rep->ok, "failed", (json_int_t)rep->failed, "ms",
			 (json_int_t)rep->ms);
}

/* One configuration's entry of the grouped document. */
static json_t *group_json(const struct fleet_deploy_group *g, int dry_run)
{
	json_t *machines = json_array();
	size_t k;

	for (k = 0; k < g->targets.n; k++) {
		char name[TARGET_FORMAT_MAX];

		fleet_node_name(&g->targets.items[k], name, sizeof(name));
		json_array_append_new(machines, json_string(name));
	}
	return json_pack("{s:o, s:o, s:o, s:o}", "source", deploy_source_json(&g->src), "nodes", machines, "error",
			 g->err ? json_string(g->msg) : json_null(), "deployment",
			 g->err ? json_null() : deployment_json(&g->rep, dry_run));
}

char *fleet_deploy_report_json(const struct fleet_deploy_report *rep)
{
	json_t *docs;
	size_t i;

	if (!rep->grouped)
		return json_render(deployment_json(&rep->single, rep->dry_run));
	docs = json_array();
	for (i = 0; i < rep->ngroups; i++)
		json_array_append_new(docs, group_json(&rep->groups[i], rep->dry_run));
	return json_render(json_pack("{s:o, s:b, s:{s:I, s:I, s:I, s:I}}", "configurations", docs, "dry_run",
				     rep->dry_run, "summary", "configurations", (json_int_t)rep->ngroups, "nodes",
				     (json_int_t)rep->total, "ok", (json_int_t)rep->ok, "failed",
				     (json_int_t)(rep->total - rep->ok)));
}

/* --- back from JSON --- */

static int outcome_parse(const char *s)
{
	int o;

	for (o = OUTCOME_PENDING; s && o <= OUTCOME_FAILED; o++)
		if (strcmp(deploy_outcome_name((enum deploy_outcome)o), s) == 0)
			return o;
	return -1;
}

/* The failure fields of a failed node. */
static void node_failure_from_json(struct json_read *r, const json_t *o, struct deploy_node *n)
{
	const json_t *restored = json_object_get(o, "restored_previous");

	n->fail.step = json_read_str(r, o, "failed_step", 0);
	n->fail.status = json_object_get(o, "status") && !json_is_null(json_object_get(o, "status"))
				 ? (int)json_read_int(r, o, "status", 0, INT32_MIN, INT32_MAX)
				 : -1;
	json_read_copy(r, o, "error", 0, n->fail.message, sizeof(n->fail.message));
	json_read_copy(r, o, "stderr_tail", 0, n->fail.stderr_tail, sizeof(n->fail.stderr_tail));
	if (restored && !json_is_null(restored))
		n->restored = json_read_bool(r, o, "restored_previous", 0) ? 1 : -1;
	n->rolled_back_by_node = json_read_bool(r, o, "rolled_back_by_node", 0);
	json_read_copy(r, o, "restore_error", JR_NULL, n->restore_error, sizeof(n->restore_error));
	n->previous_gen = (uint32_t)json_read_int(r, o, "previous_generation", JR_NULL | JR_ABSENT, 0, UINT32_MAX);
}

static void node_from_json(struct json_read *r, const json_t *o, struct deploy_node *n)
{
	const char *outcome, *goal;
	const json_t *copy, *steps;
	enum goal g = GOAL_SWITCH;
	int s;

	json_read_copy(r, o, "node", 0, n->name, sizeof(n->name));
	outcome = json_read_str(r, o, "outcome", 0);
	if (!r->err && (s = outcome_parse(outcome)) < 0)
		json_read_fail(r, "outcome", "is '%.40s': expected deployed, planned, failed or pending", outcome);
	else if (!r->err)
		n->outcome = (enum deploy_outcome)s;
	json_read_copy(r, o, "previous", JR_NULL, n->previous, sizeof(n->previous));
	if ((copy = json_read_object(r, o, "copy", 0))) {
		n->copy_paths = (size_t)json_read_int(r, copy, "paths", 0, 0, INT64_MAX);
		n->copy_bytes = (uint64_t)json_read_int(r, copy, "bytes", 0, 0, INT64_MAX);
	}
	json_read_copy(r, o, "activation", JR_NULL, n->activation, sizeof(n->activation));
	goal = json_read_str(r, o, "goal", 0);
	if (!r->err && goal_parse(goal, &g) < 0)
		json_read_fail(r, "goal", "is '%.40s': expected switch, boot, test or dry-activate", goal);
	n->goal = g;
	json_read_copy(r, o, "dry_activation", JR_ABSENT, n->shown, sizeof(n->shown));
	steps = json_read_object(r, o, "steps_ms", 0);
	for (s = 0; s < STEP_COUNT; s++)
		n->step_ms[s] = json_object_get(steps, deploy_step_name((enum deploy_step)s))
					? json_read_int(r, steps, deploy_step_name((enum deploy_step)s), 0, 0, INT64_MAX)
					: -1;
	n->ms = json_read_int(r, o, "ms", 0, 0, INT64_MAX);
	if (n->outcome == OUTCOME_FAILED)
		node_failure_from_json(r, o, n);
}

/* One deployment's document (deployment_json) into REP and *DRY_RUN. */
static int deployment_from_json(struct json_read *r, const json_t *doc, struct deploy_report *rep, int *dry_run)
{
	const json_t *closure, *nodes, *sum;
	size_t i;

	json_read_copy(r, doc, "deployment", 0, rep->id, sizeof(rep->id));
	json_read_copy(r, doc, "path", 0, rep->path, sizeof(rep->path));
	*dry_run = json_read_bool(r, doc, "dry_run", 0);
	rep->build_ms = json_read_int(r, doc, "build_ms", 0, 0, INT64_MAX);
	if ((closure = json_read_object(r, doc, "closure", 0))) {
		rep->closure_paths = (size_t)json_read_int(r, closure, "paths", 0, 0, INT64_MAX);
		rep->closure_bytes = (uint64_t)json_read_int(r, closure, "bytes", 0, 0, INT64_MAX);
	}
	nodes = json_read_array(r, doc, "nodes", 0);
	sum = json_read_object(r, doc, "summary", 0);
	if (r->err)
		return r->err;
	if (!(rep->nodes = calloc(json_array_size(nodes) + 1, sizeof(*rep->nodes))))
		return r->err = err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(nodes) && !r->err; i++) {
		rep->nodes[i].index = i;
		node_from_json(r, json_array_get(nodes, i), &rep->nodes[i]);
		rep->n++;
	}
	if ((size_t)json_read_int(r, sum, "nodes", 0, 0, INT64_MAX) != rep->n && !r->err)
		json_read_fail(r, "summary.nodes", "is not the number of nodes listed (%zu)", rep->n);
	rep->ok = (size_t)json_read_int(r, sum, "ok", 0, 0, (int64_t)rep->n);
	rep->failed = (size_t)json_read_int(r, sum, "failed", 0, 0, (int64_t)rep->n);
	rep->ms = json_read_int(r, sum, "ms", 0, 0, INT64_MAX);
	return r->err;
}

/* One configuration's entry (group_json) into G; *DRY_RUN from its deployment when it has one. */
static int group_from_json(struct json_read *r, const json_t *o, struct fleet_deploy_group *g, int *dry_run)
{
	const json_t *src = json_read_object(r, o, "source", 0);
	const json_t *names = json_read_array(r, o, "nodes", 0), *dep;
	const char *error;
	size_t k;
	int rr;

	if (src && json_object_get(src, "flake")) {
		g->src.flake = json_read_str(r, src, "flake", 0);
	} else {
		g->src.file = json_read_str(r, src, "file", 0);
		g->src.attr = json_read_str(r, src, "attr", JR_NULL | JR_ABSENT);
	}
	for (k = 0; k < json_array_size(names) && !r->err; k++) {
		const json_t *e = json_array_get(names, k);
		struct target t;

		if (!json_is_string(e) || target_parse(&t, json_string_value(e), json_string_length(e)) < 0)
			return json_read_fail(r, "nodes", "has %s: expected user@host:port", json_read_type(e));
		if ((rr = target_list_add(&g->targets, &t)) < 0)
			return r->err = rr;
	}
	error = json_read_str(r, o, "error", JR_NULL);
	if (error) {
		g->err = -1;	/* the code itself is not in the document */
		snprintf(g->msg, sizeof(g->msg), "%s", error);
	}
	if ((dep = json_read_object(r, o, "deployment", JR_NULL)))
		deployment_from_json(r, dep, &g->rep, dry_run);
	return r->err;
}

int fleet_deploy_report_from_json(const json_t *doc, struct fleet_deploy_report *rep)
{
	struct json_read r = JSON_READ_INIT("the deploy report");
	const json_t *groups, *sum;
	size_t i;

	memset(rep, 0, sizeof(*rep));
	if (!json_object_get(doc, "configurations")) {
		if (deployment_from_json(&r, doc, &rep->single, &rep->dry_run) == 0) {
			rep->total = rep->single.n;
			rep->ok = rep->single.ok;
		}
		goto out;
	}
	rep->grouped = true;
	groups = json_read_array(&r, doc, "configurations", 0);
	sum = json_read_object(&r, doc, "summary", 0);
	if (r.err)
		goto out;
	if (!(rep->groups = calloc(json_array_size(groups) + 1, sizeof(*rep->groups)))) {
		r.err = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < json_array_size(groups) && !r.err; i++) {
		rep->ngroups++;
		group_from_json(&r, json_array_get(groups, i), &rep->groups[i], &rep->dry_run);
	}
	/* Written by this version; a report without it takes its deployments' word. */
	if (json_object_get(doc, "dry_run"))
		rep->dry_run = json_read_bool(&r, doc, "dry_run", 0);
	rep->total = (size_t)json_read_int(&r, sum, "nodes", 0, 0, INT64_MAX);
	rep->ok = (size_t)json_read_int(&r, sum, "ok", 0, 0, (int64_t)rep->total);
out:
	if (r.err)
		fleet_deploy_report_release(rep);
	return r.err;
}
