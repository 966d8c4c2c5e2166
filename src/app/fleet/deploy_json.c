/* The deploy report as JSON: what `chimera deploy --json` prints and the API serves. */
#include "app/fleet/deploy_fleet.h"
#include "util/json.h"

#include <jansson.h>
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
	return json_render(json_pack("{s:o, s:{s:I, s:I, s:I, s:I}}", "configurations", docs, "summary",
				     "configurations", (json_int_t)rep->ngroups, "nodes", (json_int_t)rep->total, "ok",
				     (json_int_t)rep->ok, "failed", (json_int_t)(rep->total - rep->ok)));
}
