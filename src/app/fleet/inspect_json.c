/* The status and generations reports as JSON: what `chimera status --json` and `generations --json` print. */
#include "app/fleet/inspect.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/json_read.h"

#include <jansson.h>
#include <stdlib.h>
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

/* NAME as a congruence state; -1 when it is none. */
static int congruence_parse(const char *name)
{
	int c;

	for (c = NODE_CONGRUENT; name && c <= NODE_UNKNOWN; c++)
		if (strcmp(congruence_name((enum congruence)c), name) == 0)
			return c;
	return -1;
}

static void status_node_from_json(struct json_read *r, const json_t *o, int cached, struct status_node *n)
{
	const char *state;
	const json_t *dm;
	int c;

	json_read_copy(r, o, "node", 0, n->name, sizeof(n->name));
	state = json_read_str(r, o, "state", 0);
	if (!r->err && (c = congruence_parse(state)) < 0)
		json_read_fail(r, "state", "is '%.40s': expected congruent, drifted, unreachable or unknown", state);
	else if (!r->err)
		n->state = (enum congruence)c;
	json_read_copy(r, o, "actual", JR_NULL, n->actual, sizeof(n->actual));
	json_read_copy(r, o, "reason", JR_NULL, n->reason, sizeof(n->reason));
	if (cached) {
		const char *seen = json_read_str(r, o, "seen", JR_NULL);

		if (seen && !(n->seen_ms = clock_parse_utc_ms(seen)))
			json_read_fail(r, "seen", "is '%.40s': expected a UTC time (YYYY-MM-DDTHH:MM:SS.mmmZ)", seen);
		json_read_copy(r, o, "last_deployed", JR_NULL, n->last_deployed, sizeof(n->last_deployed));
		return;
	}
	n->generation = (uint32_t)json_read_int(r, o, "generation", JR_NULL, 0, UINT32_MAX);
	n->ms = json_read_int(r, o, "ms", 0, 0, INT64_MAX);
	if ((dm = json_read_object(r, o, "deadman", JR_NULL))) {
		json_read_copy(r, dm, "armed_by", 0, n->deadman_by, sizeof(n->deadman_by));
		n->deadman_gen = (uint32_t)json_read_int(r, dm, "generation", 0, 0, UINT32_MAX);
		json_read_copy(r, dm, "result", 0, n->deadman_result, sizeof(n->deadman_result));
	}
}

int status_report_from_json(const json_t *doc, struct status_report *rep, int *cached)
{
	struct json_read r = JSON_READ_INIT("the status report");
	const json_t *nodes, *sum;
	size_t i;

	memset(rep, 0, sizeof(*rep));
	json_read_copy(&r, doc, "expected", JR_NULL, rep->expected, sizeof(rep->expected));
	*cached = json_read_bool(&r, doc, "cached", 0);
	nodes = json_read_array(&r, doc, "nodes", 0);
	sum = json_read_object(&r, doc, "summary", 0);
	if (r.err)
		return r.err;
	if (!(rep->nodes = calloc(json_array_size(nodes) + 1, sizeof(*rep->nodes))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(nodes) && !r.err; i++) {
		struct status_node *n = &rep->nodes[i];

		n->index = i;
		status_node_from_json(&r, json_array_get(nodes, i), *cached, n);
		rep->n++;
		/* From the ledger alone no node is counted unreachable (status_cached). */
		if (!*cached && n->state == NODE_UNREACHABLE)
			rep->unreachable++;
	}
	if ((size_t)json_read_int(&r, sum, "nodes", 0, 0, INT64_MAX) != rep->n && !r.err)
		json_read_fail(&r, "summary.nodes", "is not the number of nodes listed (%zu)", rep->n);
	rep->congruent = (size_t)json_read_int(&r, sum, "congruent", 0, 0, (int64_t)rep->n);
	rep->ms = json_read_int(&r, sum, "ms", 0, 0, INT64_MAX);
	if (r.err)
		status_report_release(rep);
	return r.err;
}
