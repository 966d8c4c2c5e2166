/* The HostFactory projection: requests and machines folded from hostfactory.* events. */
#include "app/hostfactory/hf_proj.h"
#include "util/err.h"
#include "util/grow.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

void hf_proj_init(struct hf_proj *p)
{
	memset(p, 0, sizeof(*p));
}

void hf_proj_release(struct hf_proj *p)
{
	free(p->reqs);
	free(p->machs);
	hf_proj_init(p);
}

struct hf_req *hf_proj_req(const struct hf_proj *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nreqs; i++)
		if (strcmp(p->reqs[i].id, id) == 0)
			return &p->reqs[i];
	return NULL;
}

struct hf_mach *hf_proj_mach(const struct hf_proj *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nmachs; i++)
		if (strcmp(p->machs[i].name, name) == 0)
			return &p->machs[i];
	return NULL;
}

size_t hf_proj_alive(const struct hf_proj *p, const char *template_id)
{
	size_t i, n = 0;

	for (i = 0; i < p->nmachs; i++)
		if (strcmp(p->machs[i].template_id, template_id) == 0 && !hfs_machine_lost(p->machs[i].state))
			n++;
	return n;
}

struct hfs_machine_view hf_mach_view(const struct hf_mach *m)
{
	return (struct hfs_machine_view){ .state = m->state, .configured = m->configured, .congruent = m->congruent };
}

/* Copy the string member KEY of O into OUT (LEN bytes); false when absent or not a string. */
static bool str_of(const json_t *o, const char *key, char *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		return false;
	snprintf(out, len, "%s", s);
	return true;
}

static int fold_request(struct hf_proj *p, const json_t *o, int64_t seq)
{
	const json_t *ms = json_object_get(o, "machines");
	const char *kind = json_string_value(json_object_get(o, "kind"));
	struct hf_req r = { .seq = seq, .state = HFS_REQ_PENDING };
	size_t i;
	void *grown;

	if (!str_of(o, "request", r.id, sizeof(r.id)) || !kind || hf_proj_req(p, r.id))
		return 1;
	r.ret = strcmp(kind, "return") == 0;
	str_of(o, "template", r.template_id, sizeof(r.template_id));
	r.count = (unsigned)json_integer_value(json_object_get(o, "count"));
	if (!(grown = grow_array(p->reqs, &p->capreqs, p->nreqs, sizeof(r), 16)))
		return ERR_NOMEM;
	p->reqs = grown;
	p->reqs[p->nreqs++] = r;
	for (i = 0; r.ret && i < json_array_size(ms); i++) {
		struct hf_mach *m = hf_proj_mach(p, json_string_value(json_array_get(ms, i)) ?: "");

		if (m)
			snprintf(m->returned_by, sizeof(m->returned_by), "%s", r.id);
	}
	return 0;
}

static int fold_request_state(struct hf_proj *p, const json_t *o)
{
	const char *st = json_string_value(json_object_get(o, "state"));
	char id[HF_ID_LEN + 1];
	struct hf_req *r;

	if (!str_of(o, "request", id, sizeof(id)) || !(r = hf_proj_req(p, id)) || !st ||
	    hfs_request_parse(st, strlen(st), &r->state) < 0)
		return 1;
	return 0;
}

static int fold_machine(struct hf_proj *p, const json_t *o, int64_t seq)
{
	struct hf_mach m = { .state = HFS_M_PENDING, .seq = seq };
	void *grown;

	if (!str_of(o, "machine", m.name, sizeof(m.name)) || !str_of(o, "request", m.request, sizeof(m.request)) ||
	    hf_proj_mach(p, m.name))
		return 1;
	str_of(o, "template", m.template_id, sizeof(m.template_id));
	str_of(o, "provider", m.provider, sizeof(m.provider));
	str_of(o, "target", m.target, sizeof(m.target));
	str_of(o, "address", m.address, sizeof(m.address));
	m.launchtime = json_integer_value(json_object_get(o, "launchtime"));
	if (!(grown = grow_array(p->machs, &p->capmachs, p->nmachs, sizeof(m), 16)))
		return ERR_NOMEM;
	p->machs = grown;
	p->machs[p->nmachs++] = m;
	return 0;
}

static int fold_machine_state(struct hf_proj *p, const json_t *o)
{
	const char *st = json_string_value(json_object_get(o, "state"));
	char name[PROVIDER_NAME_MAX + 1];
	struct hf_mach *m;

	if (!str_of(o, "machine", name, sizeof(name)) || !(m = hf_proj_mach(p, name)) || !st ||
	    hfs_machine_parse(st, strlen(st), &m->state) < 0)
		return 1;
	str_of(o, "message", m->message, sizeof(m->message));
	return 0;
}

static int fold_configured(struct hf_proj *p, const json_t *o)
{
	char name[PROVIDER_NAME_MAX + 1];
	struct hf_mach *m;

	if (!str_of(o, "machine", name, sizeof(name)) || !(m = hf_proj_mach(p, name)))
		return 1;
	m->configured = json_is_true(json_object_get(o, "deployed"));
	m->congruent = m->configured && json_is_true(json_object_get(o, "congruent"));
	m->configuring_pid = m->configuring_start = 0;
	str_of(o, "message", m->message, sizeof(m->message));
	return 0;
}

static int fold_configuring(struct hf_proj *p, const json_t *o)
{
	const json_t *pid = json_object_get(o, "pid"), *start = json_object_get(o, "start");
	char name[PROVIDER_NAME_MAX + 1];
	struct hf_mach *m;

	if (!str_of(o, "machine", name, sizeof(name)) || !(m = hf_proj_mach(p, name)) || !json_is_integer(pid) ||
	    json_integer_value(pid) <= 0 || !json_is_integer(start))
		return 1;
	m->configuring_pid = json_integer_value(pid);
	m->configuring_start = json_integer_value(start);
	return 0;
}

int hf_proj_fold(struct hf_proj *p, const char *topic, const char *payload, int64_t seq)
{
	static const char ns[] = "hostfactory.";
	json_t *o;
	int r = 1;

	if (strncmp(topic, ns, sizeof(ns) - 1) != 0)
		return 0;
	topic += sizeof(ns) - 1;
	if (seq > p->seq)
		p->seq = seq;
	if (!(o = json_loads(payload ? payload : "", 0, NULL)) || !json_is_object(o))
		r = 1;
	else if (strcmp(topic, "request.created") == 0)
		r = fold_request(p, o, seq);
	else if (strcmp(topic, "request.updated") == 0)
		r = fold_request_state(p, o);
	else if (strcmp(topic, "machine.created") == 0)
		r = fold_machine(p, o, seq);
	else if (strcmp(topic, "machine.updated") == 0)
		r = fold_machine_state(p, o);
	else if (strcmp(topic, "machine.configured") == 0)
		r = fold_configured(p, o);
	else if (strcmp(topic, "machine.configuring") == 0)
		r = fold_configuring(p, o);
	json_decref(o);
	if (r > 0)
		p->skipped++;
	return r < 0 ? r : 0;
}

static int load_one(const struct ledger_event *ev, void *arg)
{
	return hf_proj_fold(arg, ev->topic, ev->payload, ev->seq);
}

int hf_proj_load(struct ledger *l, struct hf_proj *p)
{
	struct ledger_filter f = { .topic = "hostfactory.*" };

	return ledger_scan(l, &f, load_one, p);
}
