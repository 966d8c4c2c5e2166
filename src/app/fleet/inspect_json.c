/* The status and generations reports as JSON: what `chimera status --json` and `generations --json` print. */
#include "app/fleet/inspect.h"
#include "util/clock.h"
#include "util/json.h"

#include <jansson.h>
#include <string.h>
#include <time.h>
#include "util/banned.h"

char *status_report_json(const struct status_report *rep, int cached)
{
	json_t *nodes = json_array(), *doc;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct status_node *n = &rep->nodes[i];
		json_t *o = json_pack("{s:s, s:s}", "node", n->name, "state", congruence_name(n->state));
		int known = n->state == NODE_CONGRUENT || n->state == NODE_DRIFTED;

		json_object_set_new(o, "actual", known && n->actual[0] ? json_string(n->actual) : json_null());
		json_object_set_new(o, "reason", known && !n->reason[0] ? json_null() : json_string(n->reason));
		if (cached) {
			char t[CLOCK_UTC_LEN];

			clock_format_utc(n->seen_ms, t);
			json_object_set_new(o, "seen", n->seen_ms ? json_string(t) : json_null());
			json_object_set_new(o, "last_deployed",
					    n->last_deployed[0] ? json_string(n->last_deployed) : json_null());
		} else {
			json_object_set_new(o, "generation", n->generation ? json_integer(n->generation) : json_null());
			json_object_set_new(o, "ms", json_integer(n->ms));
			json_object_set_new(o, "deadman",
					    n->deadman_by[0] ? json_pack("{s:s, s:I, s:s}", "armed_by", n->deadman_by,
									 "generation", (json_int_t)n->deadman_gen,
									 "result", n->deadman_result)
							     : json_null());
		}
		json_array_append_new(nodes, o);
	}
	doc = json_pack("{s:o, s:b, s:o, s:{s:I, s:I, s:I}}", "expected",
			rep->expected[0] ? json_string(rep->expected) : json_null(), "cached", cached, "nodes", nodes,
			"summary", "nodes", (json_int_t)rep->n, "congruent", (json_int_t)rep->congruent, "ms",
			(json_int_t)rep->ms);
	return json_render(doc);
}

char *gens_report_json(const struct gens_report *rep)
{
	json_t *nodes = json_array(), *doc;
	size_t i, j;

	for (i = 0; i < rep->n; i++) {
		const struct gens_node *n = &rep->nodes[i];
		json_t *o = json_pack("{s:s, s:b}", "node", n->name, "ok", n->ok), *gens = json_array();

		for (j = 0; n->ok && j < n->gens.n; j++) {
			const struct generation *g = &n->gens.items[j];
			char t[32];

			clock_format_utc_s(g->time, t, sizeof(t));
			json_array_append_new(gens, json_pack("{s:I, s:s, s:s, s:b}", "generation", (json_int_t)g->num, "date", t,
							      "path", g->path, "current", g->num == n->gens.current));
		}
		json_object_set_new(o, "generations", gens);
		json_object_set_new(o, "current", n->ok && n->gens.current ? json_integer(n->gens.current) : json_null());
		json_object_set_new(o, "error", n->ok ? json_null() : json_string(n->fail.message));
		json_object_set_new(o, "warning", n->ok && n->gens.warning[0] ? json_string(n->gens.warning) : json_null());
		json_array_append_new(nodes, o);
	}
	doc = json_pack("{s:o, s:{s:I, s:I, s:I}}", "nodes", nodes, "summary", "nodes", (json_int_t)rep->n, "ok",
			(json_int_t)rep->ok, "ms", (json_int_t)rep->ms);
	return json_render(doc);
}
