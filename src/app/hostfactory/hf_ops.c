/* HostFactory: the operations' table, getAvailableTemplates and requestMachines. */
#include "app/hostfactory/hf_internal.h"
#include "core/ids.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

int hf_fail(struct hf_report *rep, int r)
{
	rep->ok = false;
	snprintf(rep->message, sizeof(rep->message), "%s", err_msg());
	free(rep->json);
	rep->json = NULL;
	hf_render_failure(rep->message, &rep->json);
	return r;
}

int hf_done(struct hf_report *rep, char *text)
{
	if (!text)
		return hf_fail(rep, err_set(ERR_NOMEM, "out of memory"));
	free(rep->json);
	rep->json = text;
	rep->ok = true;
	return 0;
}

void hf_report_release(struct hf_report *rep)
{
	free(rep->json);
	memset(rep, 0, sizeof(*rep));
}

int64_t hf_now(const struct hf_ctx *c)
{
	return c->now_s ? c->now_s : clock_wall_ms() / 1000;
}

int hf_provider(const struct hf_ctx *c, const char *name, struct provider **out)
{
	*out = NULL;
	if (!c->provider)
		return err_set(ERR_UNSUPPORTED, "no provider '%s' here", name);
	return c->provider(c->arg, name, out);
}

struct provider_machine hf_pm(const struct hf_mach *m)
{
	struct provider_machine pm = { 0 };

	snprintf(pm.name, sizeof(pm.name), "%s", m->name);
	snprintf(pm.target, sizeof(pm.target), "%s", m->target);
	snprintf(pm.address, sizeof(pm.address), "%s", m->address);
	return pm;
}

int hf_take_back(const struct hf_ctx *c, struct hf_proj *p, struct hf_mach *m, enum hfs_machine to, const char *message)
{
	struct provider_machine pm = hf_pm(m);
	struct provider *pv;
	char why[600];
	int r;

	if (m->state != HFS_M_SHUTTING_DOWN && to != HFS_M_FAILED &&
	    (r = hf_ev_machine_state(c->ledger, p, m, HFS_M_SHUTTING_DOWN, message)) < 0)
		return r;
	if ((r = hf_provider(c, m->provider, &pv)) == 0 && (!m->target[0] || (r = pv->ops->destroy(pv, &pm)) == 0)) {
		log_kv(LOG_INFO, "hostfactory", "machine taken back", "machine", m->name, "state", hfs_machine_name(to),
		       (const char *)NULL);
		return hf_ev_machine_state(c->ledger, p, m, to, message);
	}
	snprintf(why, sizeof(why), "%s: %s", message, err_msg());
	log_kv(LOG_WARN, "hostfactory", "taking a machine back failed", "machine", m->name, "error", err_msg(),
	       (const char *)NULL);
	return hf_ev_machine_state(c->ledger, p, m, HFS_M_FAILED, why);
}

int hf_get_templates(const struct hf_ctx *c, struct hf_report *rep)
{
	struct hf_template *t = calloc(c->templates->n ? c->templates->n : 1, sizeof(*t));
	struct hf_proj p;
	char *text = NULL;
	size_t i;
	int r;

	memset(rep, 0, sizeof(*rep));
	hf_proj_init(&p);
	if (!t)
		return hf_fail(rep, err_set(ERR_NOMEM, "out of memory"));
	if ((r = hf_proj_load(c->ledger, &p)) < 0)
		goto out;
	for (i = 0; i < c->templates->n; i++) {
		const struct hf_tmpl *s = &c->templates->items[i];
		size_t alive = hf_proj_alive(&p, s->id);

		t[i] = (struct hf_template){ .id = s->id, .max_number = s->max_number, .type = s->type, .ncpus = s->ncpus,
					     .nram = s->nram,
					     .available_number = alive >= s->max_number ? 0 : s->max_number - (unsigned)alive };
	}
	if ((r = hf_render_templates(t, c->templates->n, &text)) == 0)
		r = hf_done(rep, text);
out:
	free(t);
	hf_proj_release(&p);
	return r < 0 && !rep->json ? hf_fail(rep, r) : r;
}

/* The template named ID, or ERR_INVALID naming it and listing those there are. */
static int find_template(const struct hf_ctx *c, const char *id, const struct hf_tmpl **out)
{
	char list[512] = "", q[128];
	size_t i, k = 0;

	if ((*out = hf_templates_find(c->templates, id)))
		return 0;
	for (i = 0; i < c->templates->n && k < sizeof(list) - 1; i++)
		k += (size_t)snprintf(list + k, sizeof(list) - k, "%s%s", i ? ", " : "", c->templates->items[i].id);
	return err_set(ERR_INVALID, "unknown template '%s' (templates: %s)", err_quote(q, sizeof(q), id, strlen(id)),
		       c->templates->n ? list : "none");
}

/* Machine I of request R as it starts: named after the request, made by P, recorded (pending, or failed). */
static int make_machine(const struct hf_ctx *c, struct hf_proj *p, const struct hf_req *r, const struct hf_tmpl *t,
			struct provider *pv, const char *name)
{
	struct provider_spec spec = { .name = name, .cpus = t->cpus, .memory_mib = t->memory_mib, .disk_gib = t->disk_gib,
				      .boot_timeout_ms = c->boot_timeout_s * 1000 };
	struct provider_machine pm = { 0 };
	struct hf_mach m = { .state = HFS_M_PENDING, .launchtime = hf_now(c) };
	int made, e;

	snprintf(m.name, sizeof(m.name), "%s", name);
	snprintf(m.request, sizeof(m.request), "%s", r->id);
	snprintf(m.template_id, sizeof(m.template_id), "%s", t->id);
	snprintf(m.provider, sizeof(m.provider), "%s", t->provider);
	if ((made = pv->ops->create(pv, &spec, &pm)) == 0) {
		snprintf(m.target, sizeof(m.target), "%s", pm.target);
		snprintf(m.address, sizeof(m.address), "%s", pm.address);
	}
	if (made < 0)
		snprintf(m.message, sizeof(m.message), "%s", err_msg());
	if ((e = hf_ev_machine(c->ledger, p, &m)) < 0)
		return e;
	log_kv(LOG_INFO, "hostfactory", made < 0 ? "machine not made" : "machine made", "machine", name, "target",
	       m.target, "error", made < 0 ? m.message : "", (const char *)NULL);
	return made < 0 ? hf_ev_machine_state(c->ledger, p, hf_proj_mach(p, name), HFS_M_FAILED, m.message) : 0;
}

int hf_request_machines(const struct hf_ctx *c, const char *input, size_t len, struct hf_report *rep)
{
	struct hf_request_machines in;
	const struct hf_tmpl *t;
	struct hf_request_id id;
	struct session_id rnd;
	struct hf_req req = { .state = HFS_REQ_PENDING };
	struct provider *pv;
	struct hf_proj p;
	char (*names)[PROVIDER_NAME_MAX + 1] = NULL, msg[512], *text = NULL;
	const char **np = NULL;
	size_t alive, i;
	int r;

	memset(rep, 0, sizeof(*rep));
	hf_proj_init(&p);
	if ((r = hf_parse_request_machines(input, len, HF_LIST_MAX, &in)) < 0 || (r = find_template(c, in.template_id, &t)) < 0 ||
	    (r = hf_proj_load(c->ledger, &p)) < 0)
		goto out;
	alive = hf_proj_alive(&p, t->id);
	if (in.count + alive > t->max_number) {
		r = err_set(ERR_INVALID, "requestMachines asks for %u machines of template '%s': %zu available (maxNumber %u, %zu in use)",
			    in.count, t->id, alive >= t->max_number ? 0 : t->max_number - alive, t->max_number, alive);
		goto out;
	}
	if ((r = hf_provider(c, t->provider, &pv)) < 0 || (r = session_id_generate(&rnd)) < 0)
		goto out;
	hf_id_make(HF_ID_REQUEST, rnd.b, &id);
	snprintf(req.id, sizeof(req.id), "%s", id.text);
	snprintf(req.template_id, sizeof(req.template_id), "%s", t->id);
	req.count = in.count;
	if (!(names = calloc(in.count, sizeof(*names))) || !(np = calloc(in.count, sizeof(*np)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < in.count; i++) {
		/* hf-, the UUID's first 8 hex digits, the machine's number: unique, and a valid machine name. */
		snprintf(names[i], sizeof(names[i]), "hf-%.8s-%zu", id.text + 4, i + 1);
		np[i] = names[i];
	}
	if ((r = hf_ev_request(c->ledger, &p, &req, np, in.count)) < 0)
		goto out;
	for (i = 0; i < in.count; i++)
		if ((r = make_machine(c, &p, hf_proj_req(&p, req.id), t, pv, names[i])) < 0)
			goto out;
	snprintf(msg, sizeof(msg), "requested %u machines of template '%s' (provider %s)", in.count, t->id, t->provider);
	if ((r = hf_render_request_ack(&id, msg, &text)) == 0)
		r = hf_done(rep, text);
out:
	free(names);
	free(np);
	hf_proj_release(&p);
	return r < 0 ? hf_fail(rep, r) : r;
}

/* getAvailableTemplates takes no input file. */
static int templates_op(const struct hf_ctx *c, const char *input, size_t len, struct hf_report *rep)
{
	(void)input;
	(void)len;
	return hf_get_templates(c, rep);
}

const struct hf_op hf_ops[] = {
	{ "getAvailableTemplates", "templates", false, templates_op },
	{ "requestMachines", "requests", true, hf_request_machines },
	{ "getRequestStatus", "requests/status", true, hf_request_status },
	{ "requestReturnMachines", "returns", true, hf_return_machines },
	{ "getReturnRequests", "returns/status", true, hf_return_requests },
	{ NULL, NULL, false, NULL },
};

const struct hf_op *hf_op_find(const char *name)
{
	const struct hf_op *o;

	for (o = hf_ops; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}
