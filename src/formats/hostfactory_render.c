/* HostFactory provider protocol: each operation's output (and input) from plain structs. */
#include "formats/hostfactory.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* Dump ROOT (stolen) into *OUT. A NULL ROOT is a failed build: out of memory. */
static int finish(json_t *root, char **out)
{
	*out = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	if (!*out)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* An attribute: ["Numeric", "N"] or ["String", "X"]. */
static json_t *attr(const char *kind, const char *value)
{
	return json_pack("[ss]", kind, value);
}

/* Entry I of the array ITEMS as JSON, or NULL when out of memory. */
typedef json_t *(*entry_json_fn)(const void *items, size_t i);

/* A JSON array of N entries made by ONE, or NULL when out of memory. */
static json_t *list_json(const void *items, size_t n, entry_json_fn one)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; list && i < n; i++)
		if (json_array_append_new(list, one(items, i)) < 0) {
			json_decref(list);
			list = NULL;
		}
	return list;
}

static json_t *template_json(const void *items, size_t i)
{
	const struct hf_template *t = (const struct hf_template *)items + i;
	char ncpus[24], nram[24];

	snprintf(ncpus, sizeof(ncpus), "%u", t->ncpus);
	snprintf(nram, sizeof(nram), "%lu", t->nram);
	return json_pack("{s:s, s:I, s:I, s:{s:o, s:o, s:o}}", "templateId", t->id, "maxNumber",
			 (json_int_t)t->max_number, "availableNumber", (json_int_t)t->available_number,
			 "attributes", "type", attr("String", t->type), "ncpus", attr("Numeric", ncpus), "nram",
			 attr("Numeric", nram));
}

int hf_render_templates(const struct hf_template *t, size_t n, char **out)
{
	json_t *list = list_json(t, n, template_json);

	return finish(list ? json_pack("{s:o}", "templates", list) : NULL, out);
}

int hf_render_request_ack(const struct hf_request_id *id, const char *message, char **out)
{
	return finish(json_pack("{s:s, s:s}", "requestId", id->text, "message", message), out);
}

static const char *request_state_name(enum hf_request_state s)
{
	return s == HF_REQ_RUNNING ? "running" : s == HF_REQ_COMPLETE ? "complete" : "complete_with_error";
}

static const char *result_name(enum hf_machine_result r)
{
	return r == HF_RESULT_EXECUTING ? "executing" : r == HF_RESULT_FAIL ? "fail" : "succeed";
}

static json_t *machine_json(const void *items, size_t i)
{
	const struct hf_machine *m = (const struct hf_machine *)items + i;

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "machineId", m->machine_id, "name", m->name,
			 "result", result_name(m->result), "status", m->status, "privateIpAddress", m->private_ip,
			 "publicIpAddress", "", "launchtime", (json_int_t)m->launchtime, "message", m->message);
}

static json_t *request_json(const void *items, size_t i)
{
	const struct hf_request_status *r = (const struct hf_request_status *)items + i;
	json_t *machines = list_json(r->machines, r->n_machines, machine_json);

	if (!machines)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:o}", "requestId", r->request_id, "status", request_state_name(r->status),
			 "message", r->message, "machines", machines);
}

int hf_render_request_status(const struct hf_request_status *r, size_t n, char **out)
{
	json_t *list = list_json(r, n, request_json);

	return finish(list ? json_pack("{s:o}", "requests", list) : NULL, out);
}

static json_t *return_json(const void *items, size_t i)
{
	const struct hf_return_request *r = (const struct hf_return_request *)items + i;

	return json_pack("{s:s, s:I}", "machine", r->machine, "gracePeriod", (json_int_t)r->grace_period);
}

int hf_render_return_requests(const struct hf_return_request *r, size_t n, const char *message, char **out)
{
	json_t *list = list_json(r, n, return_json);

	return finish(list ? json_pack("{s:s, s:s, s:o}", "status", "complete", "message", message, "requests", list)
			   : NULL, out);
}

int hf_render_failure(const char *message, char **out)
{
	return finish(json_pack("{s:s}", "message", message), out);
}

int hf_render_request_machines(const struct hf_request_machines *in, char **out)
{
	return finish(json_pack("{s:{s:s, s:I}}", "template", "templateId", in->template_id, "machineCount",
				(json_int_t)in->count), out);
}

static json_t *id_json(const void *items, size_t i)
{
	return json_pack("{s:s}", "requestId", ((const struct hf_request_id *)items)[i].text);
}

int hf_render_request_ids(const struct hf_request_ids *in, char **out)
{
	json_t *list = list_json(in->items, in->n, id_json);

	return finish(list ? json_pack("{s:o}", "requests", list) : NULL, out);
}

static json_t *ref_json(const void *items, size_t i)
{
	const struct hf_machine_ref *m = (const struct hf_machine_ref *)items + i;
	json_t *e = json_pack("{s:s}", "name", m->name);

	if (e && m->machine_id[0] && json_object_set_new(e, "machineId", json_string(m->machine_id)) < 0) {
		json_decref(e);
		e = NULL;
	}
	return e;
}

int hf_render_machines(const struct hf_machine_refs *in, char **out)
{
	json_t *list = list_json(in->items, in->n, ref_json);

	return finish(list ? json_pack("{s:o}", "machines", list) : NULL, out);
}
