/* The deployments as JSON: what `chimera deployments --json` and `deployments show ID --json` print. */
#include "app/ledger/deployments.h"
#include "util/json.h"

#include <jansson.h>
#include "util/banned.h"

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *record_json(const struct deployment_record *d)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:b, s:I, s:I, s:I, s:I}", "deployment", d->id, "time", d->time, "path",
			 str_or_null(d->path), "result", str_or_null(d->result), "dry_run", d->dry_run, "nodes",
			 (json_int_t)d->nodes, "ok", (json_int_t)d->ok, "failed", (json_int_t)d->failed, "ms",
			 (json_int_t)d->ms);
}

char *deployments_report_json(const struct deployments_report *rep)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < rep->n; i++)
		json_array_append_new(arr, record_json(&rep->items[i]));
	return json_render(json_pack("{s:o}", "deployments", arr));
}

char *deployment_record_json(const struct deployment_record *d)
{
	json_t *doc = record_json(d), *nodes = json_array();
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct deployment_outcome *o = &d->outcomes[i];

		json_array_append_new(nodes, json_pack("{s:o, s:s, s:o, s:o, s:o, s:I}", "node", str_or_null(o->node),
						       "outcome", o->outcome, "state", str_or_null(o->state), "step",
						       str_or_null(o->step), "error", str_or_null(o->error), "seq",
						       (json_int_t)o->seq));
	}
	json_object_set_new(doc, "outcomes", nodes);
	return json_render(doc);
}
