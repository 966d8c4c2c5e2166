/* The HostFactory aggregates' changes: each appended to the ledger as a hostfactory.* event, then folded in. */
#include "app/hostfactory/hf_proj.h"
#include "util/err.h"

#include <jansson.h>
#include <stdlib.h>
#include "util/banned.h"

/* Append TOPIC with payload O (taken) for NODE, and fold it into P. */
static int emit(struct ledger *l, struct hf_proj *p, const char *topic, const char *node, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int64_t seq = 0;
	int r;

	json_decref(o);
	if (!text)
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = ledger_append1(l, topic, NULL, node, text, &seq)) == 0)
		r = hf_proj_fold(p, topic, text, seq);
	free(text);
	return r;
}

int hf_ev_request(struct ledger *l, struct hf_proj *p, const struct hf_req *r, const char *const *machines, size_t n)
{
	json_t *ms = json_array();
	size_t i;

	for (i = 0; ms && i < n; i++)
		json_array_append_new(ms, json_string(machines[i]));
	return emit(l, p, "hostfactory.request.created", NULL,
		    json_pack("{s:s, s:s, s:s?, s:i, s:o*}", "request", r->id, "kind", r->ret ? "return" : "machines",
			      "template", r->ret ? NULL : r->template_id, "count", (json_int_t)r->count, "machines", ms));
}

int hf_ev_request_state(struct ledger *l, struct hf_proj *p, struct hf_req *r, enum hfs_request to)
{
	enum hfs_request s = r->state;
	int e;

	if ((e = hfs_request_move(&s, to)) < 0)
		return e;
	return emit(l, p, "hostfactory.request.updated", NULL,
		    json_pack("{s:s, s:s, s:s}", "request", r->id, "from", hfs_request_name(r->state), "state",
			      hfs_request_name(to)));
}

int hf_ev_machine(struct ledger *l, struct hf_proj *p, const struct hf_mach *m)
{
	return emit(l, p, "hostfactory.machine.created", m->name,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "machine", m->name, "request", m->request, "template",
			      m->template_id, "provider", m->provider, "target", m->target, "address", m->address,
			      "launchtime", (json_int_t)m->launchtime));
}

int hf_ev_machine_state(struct ledger *l, struct hf_proj *p, struct hf_mach *m, enum hfs_machine to, const char *message)
{
	enum hfs_machine s = m->state;
	int e;

	if ((e = hfs_machine_move(&s, to)) < 0)
		return e;
	return emit(l, p, "hostfactory.machine.updated", m->name,
		    json_pack("{s:s, s:s, s:s, s:s}", "machine", m->name, "from", hfs_machine_name(m->state), "state",
			      hfs_machine_name(to), "message", message ? message : ""));
}

int hf_ev_configured(struct ledger *l, struct hf_proj *p, struct hf_mach *m, const struct hf_configured *cf)
{
	return emit(l, p, "hostfactory.machine.configured", m->name,
		    json_pack("{s:s, s:b, s:b, s:s, s:s, s:s}", "machine", m->name, "deployed", cf->deployed, "congruent",
			      cf->congruent, "deployment", cf->deployment, "path", cf->path, "message", cf->message));
}

int hf_ev_configuring(struct ledger *l, struct hf_proj *p, struct hf_mach *m, int64_t pid, int64_t start)
{
	return emit(l, p, "hostfactory.machine.configuring", m->name,
		    json_pack("{s:s, s:I, s:I}", "machine", m->name, "pid", (json_int_t)pid, "start", (json_int_t)start));
}
