/* The exec report as JSON: what `chimera exec --json` prints. */
#include "app/fleet/exec.h"
#include "util/json.h"

#include <jansson.h>
#include <string.h>
#include <time.h>
#include "util/banned.h"

char *exec_report_json(const struct exec_report *rep, const char *cmd)
{
	json_t *nodes = json_array(), *doc;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct exec_node *n = &rep->nodes[i];
		json_t *o = json_object();

		json_object_set_new(o, "target", json_string(n->name));
		json_object_set_new(o, "ok", json_boolean(exec_node_ok(n)));
		json_object_set_new(o, "exit", n->err == 0 && n->res.status >= 0 ? json_integer(n->res.status)
									 : json_null());
		json_object_set_new(o, "signal", n->res.signal[0] ? json_string(n->res.signal) : json_null());
		json_object_set_new(o, "step", n->step ? json_string(n->step) : json_null());
		json_object_set_new(o, "error", n->err ? json_string(n->message) : json_null());
		json_object_set_new(o, "stdout", json_utf8_string(n->res.out.data, n->res.out.len));
		json_object_set_new(o, "stderr", json_utf8_string(n->res.err.data, n->res.err.len));
		json_object_set_new(o, "truncated", json_boolean(n->res.truncated));
		json_object_set_new(o, "connect_ms", json_integer(n->connect_ms));
		json_object_set_new(o, "run_ms", json_integer(n->res.ms));
		json_object_set_new(o, "seq", json_integer(n->seq));
		json_array_append_new(nodes, o);
	}
	doc = json_pack("{s:s, s:s, s:o, s:{s:I, s:I, s:I, s:I}}", "run", rep->run_id, "command", cmd,
			"nodes", nodes, "summary", "nodes", (json_int_t)rep->n, "ok", (json_int_t)rep->ok,
			"failed", (json_int_t)rep->failed, "ms", (json_int_t)rep->ms);
	return json_render(doc);
}
