/* The rollback report as JSON: what `chimera rollback --json` prints. */
#include "app/fleet/rollback.h"
#include "util/err.h"
#include "util/json.h"
#include "util/json_read.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

char *rollback_report_json(const struct rollback_report *rep, const char *result)
{
	json_t *nodes = json_array(), *doc;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct rollback_node *n = &rep->nodes[i];
		json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:s}", "node", n->name, "state",
				      rollback_state_name(n->state), "from_generation", (json_int_t)n->from_gen, "from_path",
				      n->from_path, "to_generation", (json_int_t)n->to_gen, "ended_generation",
				      (json_int_t)n->end_gen, "ended_path", n->end_path);

		json_object_set_new(o, "error", n->fail.message[0] ? json_string(n->fail.message) : json_null());
		json_object_set_new(o, "failed_step", n->fail.step ? json_string(n->fail.step) : json_null());
		json_array_append_new(nodes, o);
	}
	doc = json_pack("{s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}}", "rollback", rep->id, "result", result, "nodes", nodes,
			"summary", "nodes", (json_int_t)rep->n, "switched", (json_int_t)rep->switched, "reverted",
			(json_int_t)rep->reverted, "ms", (json_int_t)rep->ms);
	return json_render(doc);
}

static void rollback_node_from_json(struct json_read *r, const json_t *o, struct rollback_node *n)
{
	const char *state;
	int s;

	json_read_copy(r, o, "node", 0, n->name, sizeof(n->name));
	state = json_read_str(r, o, "state", 0);
	for (s = RB_PENDING; state && s <= RB_HELD; s++)
		if (strcmp(rollback_state_name((enum rollback_state)s), state) == 0)
			break;
	if (!r->err && s > RB_HELD)
		json_read_fail(r, "state", "is '%.40s': expected a rollback state (switched, reverted, ...)", state);
	else if (!r->err)
		n->state = (enum rollback_state)s;
	n->from_gen = (uint32_t)json_read_int(r, o, "from_generation", 0, 0, UINT32_MAX);
	json_read_copy(r, o, "from_path", 0, n->from_path, sizeof(n->from_path));
	n->to_gen = (uint32_t)json_read_int(r, o, "to_generation", 0, 0, UINT32_MAX);
	n->end_gen = (uint32_t)json_read_int(r, o, "ended_generation", 0, 0, UINT32_MAX);
	json_read_copy(r, o, "ended_path", 0, n->end_path, sizeof(n->end_path));
	json_read_copy(r, o, "error", JR_NULL, n->fail.message, sizeof(n->fail.message));
	n->fail.step = json_read_str(r, o, "failed_step", JR_NULL);
}

int rollback_report_from_json(const json_t *doc, struct rollback_report *rep, const char **result)
{
	struct json_read r = JSON_READ_INIT("the rollback report");
	const json_t *nodes, *sum;
	size_t i;

	memset(rep, 0, sizeof(*rep));
	json_read_copy(&r, doc, "rollback", 0, rep->id, sizeof(rep->id));
	*result = json_read_str(&r, doc, "result", 0);
	nodes = json_read_array(&r, doc, "nodes", 0);
	sum = json_read_object(&r, doc, "summary", 0);
	if (r.err)
		return r.err;
	rep->refused = strcmp(*result, "refused") == 0;
	if (!(rep->nodes = calloc(json_array_size(nodes) + 1, sizeof(*rep->nodes))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(nodes) && !r.err; i++) {
		rep->nodes[i].index = i;
		rollback_node_from_json(&r, json_array_get(nodes, i), &rep->nodes[i]);
		rep->n++;
	}
	if ((size_t)json_read_int(&r, sum, "nodes", 0, 0, INT64_MAX) != rep->n && !r.err)
		json_read_fail(&r, "summary.nodes", "is not the number of nodes listed (%zu)", rep->n);
	rep->switched = (size_t)json_read_int(&r, sum, "switched", 0, 0, (int64_t)rep->n);
	rep->reverted = (size_t)json_read_int(&r, sum, "reverted", 0, 0, (int64_t)rep->n);
	rep->ms = json_read_int(&r, sum, "ms", 0, 0, INT64_MAX);
	if (r.err)
		rollback_report_release(rep);
	return r.err;
}
