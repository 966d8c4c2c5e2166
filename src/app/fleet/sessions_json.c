/* The sessions reports as JSON: what `chimera sessions --json`, `sessions kill --json` and `attach --print --json` print. */
#include "app/fleet/sessions.h"
#include "util/json.h"

#include <jansson.h>
#include <string.h>
#include "util/banned.h"

static json_t *node_json(const struct sessions_node *n, enum session_op op)
{
	bool ok = n->outcome == SESSION_DONE || n->outcome == SESSION_REPLACED;

	return json_pack("{s:s, s:b, s:s, s:o, s:o, s:I}", "target", n->name, "ok", ok, "outcome",
			 session_outcome_name(op, n->outcome), "step",
			 ok || !n->fail.step ? json_null() : json_string(n->fail.step), "error",
			 ok ? json_null() : json_utf8_string(n->fail.message, strlen(n->fail.message)), "ms",
			 (json_int_t)n->ms);
}

static json_t *summary_json(const struct sessions_report *rep)
{
	return json_pack("{s:I, s:I, s:I, s:I}", "nodes", (json_int_t)rep->n, "ok", (json_int_t)rep->ok, "failed",
			 (json_int_t)rep->failed, "ms", (json_int_t)rep->ms);
}

char *sessions_list_json(const struct sessions_report *rep)
{
	json_t *nodes = json_array(), *all = json_array();
	size_t i, j;

	for (i = 0; i < rep->n; i++) {
		const struct sessions_node *n = &rep->nodes[i];
		json_t *o = node_json(n, SESSION_OP_LIST), *list = json_array();

		for (j = 0; j < n->list.n; j++) {
			const struct session_info *si = &n->list.items[j];
			json_t *s = json_pack("{s:s, s:I, s:i, s:o}", "name", si->name, "created", (json_int_t)si->created,
					      "attached", si->attached, "command",
					      json_utf8_string(si->command, strlen(si->command)));

			json_array_append(list, s);
			json_object_set_new(s, "node", json_string(n->name));
			json_array_append_new(all, s);
		}
		json_object_set_new(o, "sessions", list);
		json_array_append_new(nodes, o);
	}
	return json_render(json_pack("{s:o, s:o, s:o}", "sessions", all, "nodes", nodes, "summary", summary_json(rep)));
}

char *sessions_kill_json(const struct sessions_report *rep, const char *session)
{
	json_t *nodes = json_array();
	size_t i;

	for (i = 0; i < rep->n; i++) {
		json_t *o = node_json(&rep->nodes[i], SESSION_OP_KILL);

		json_object_set_new(o, "seq", rep->nodes[i].seq ? json_integer(rep->nodes[i].seq) : json_null());
		json_array_append_new(nodes, o);
	}
	return json_render(json_pack("{s:s, s:s, s:o, s:o}", "run", rep->id, "session", session, "nodes", nodes,
				     "summary", summary_json(rep)));
}

char *sessions_attach_json(const char *node, const char *session, char *const *argv, size_t n)
{
	json_t *v = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(v, json_string(argv[i]));
	return json_render(json_pack("{s:s, s:s, s:o}", "node", node, "session", session, "argv", v));
}
