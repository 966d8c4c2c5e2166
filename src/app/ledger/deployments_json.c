/* The deployments as JSON: what `chimera deployments --json` and `deployments show ID --json` print. */
#include "app/ledger/deployments.h"
#include "util/err.h"
#include "util/json.h"
#include "util/json_read.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
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

/* S copied for a record (NULL stays NULL); 0, or ERR_NOMEM recorded in R. */
static char *dup_or_null(struct json_read *r, const char *s)
{
	char *d;

	if (!s || r->err)
		return NULL;
	if (!(d = strdup(s)))
		r->err = err_set(ERR_NOMEM, "out of memory");
	return d;
}

static void record_from_json(struct json_read *r, const json_t *o, struct deployment_record *d)
{
	d->id = dup_or_null(r, json_read_str(r, o, "deployment", 0));
	json_read_copy(r, o, "time", 0, d->time, sizeof(d->time));
	d->path = dup_or_null(r, json_read_str(r, o, "path", JR_NULL));
	d->result = dup_or_null(r, json_read_str(r, o, "result", JR_NULL));
	d->dry_run = json_read_bool(r, o, "dry_run", 0);
	d->nodes = (size_t)json_read_int(r, o, "nodes", 0, 0, INT64_MAX);
	d->ok = (size_t)json_read_int(r, o, "ok", 0, 0, INT64_MAX);
	d->failed = (size_t)json_read_int(r, o, "failed", 0, 0, INT64_MAX);
	d->ms = json_read_int(r, o, "ms", 0, 0, INT64_MAX);
}

int deployments_report_from_json(const json_t *doc, struct deployments_report *rep)
{
	struct json_read r = JSON_READ_INIT("the deployments list");
	const json_t *arr = json_read_array(&r, doc, "deployments", 0);
	size_t i;

	memset(rep, 0, sizeof(*rep));
	if (r.err)
		return r.err;
	if (!(rep->items = calloc(json_array_size(arr) + 1, sizeof(*rep->items))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < json_array_size(arr) && !r.err; i++) {
		rep->n++;
		record_from_json(&r, json_array_get(arr, i), &rep->items[i]);
	}
	if (r.err)
		deployments_report_release(rep);
	return r.err;
}

int deployment_record_from_json(const json_t *doc, struct deployment_record *d)
{
	struct json_read r = JSON_READ_INIT("the deployment");
	const json_t *arr;
	size_t i;

	memset(d, 0, sizeof(*d));
	record_from_json(&r, doc, d);
	arr = json_read_array(&r, doc, "outcomes", 0);
	if (!r.err && !(d->outcomes = calloc(json_array_size(arr) + 1, sizeof(*d->outcomes))))
		r.err = err_set(ERR_NOMEM, "out of memory");
	for (i = 0; !r.err && i < json_array_size(arr); i++) {
		const json_t *o = json_array_get(arr, i);
		struct deployment_outcome *out = &d->outcomes[i];

		d->n++;
		out->node = dup_or_null(&r, json_read_str(&r, o, "node", JR_NULL));
		out->outcome = dup_or_null(&r, json_read_str(&r, o, "outcome", 0));
		out->state = dup_or_null(&r, json_read_str(&r, o, "state", JR_NULL));
		out->step = dup_or_null(&r, json_read_str(&r, o, "step", JR_NULL));
		out->error = dup_or_null(&r, json_read_str(&r, o, "error", JR_NULL));
		out->seq = json_read_int(&r, o, "seq", 0, 0, INT64_MAX);
	}
	if (r.err)
		deployment_record_release(d);
	return r.err;
}
