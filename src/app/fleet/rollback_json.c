/* The rollback report as JSON: what `chimera rollback --json` prints. */
#include "app/fleet/rollback.h"
#include "util/json.h"

#include <jansson.h>
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
