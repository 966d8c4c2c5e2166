/* HostFactory requestReturnMachines (machines handed back) and getReturnRequests (machines chimera takes back). */
#include "app/hostfactory/hf_internal.h"
#include "app/fleet/watch_fold.h"
#include "core/ids.h"
#include "core/target.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* The machine named in REF, alive and not being returned already; else ERR_INVALID naming it. */
static int returnable(const struct hf_proj *p, const struct hf_machine_ref *ref, struct hf_mach **out)
{
	struct hf_mach *m = hf_proj_mach(p, ref->name);
	char q[128];

	*out = NULL;
	if (!m && ref->machine_id[0])
		m = hf_proj_mach(p, ref->machine_id);
	if (!m)
		return err_set(ERR_INVALID, "unknown machine '%s': no machine of this provider has that name",
			       err_quote(q, sizeof(q), ref->name, strlen(ref->name)));
	if (m->returned_by[0])
		return err_set(ERR_INVALID, "machine '%s' is returned already (request %s)", m->name, m->returned_by);
	if (hfs_machine_lost(m->state))
		return err_set(ERR_INVALID, "machine '%s' is %s already: there is nothing to return", m->name,
			       hfs_machine_name(m->state));
	*out = m;
	return 0;
}

/* Take back machines NAMES (N) for return request R; then R completed, or partial when one failed. */
static int take_back_all(const struct hf_ctx *c, struct hf_proj *p, const char *id, char **names, size_t n)
{
	size_t i, failed = 0;
	struct provider *pv;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		struct hf_mach *m = hf_proj_mach(p, names[i]);
		bool keeps = hf_provider(c, m->provider, &pv) == 0 && pv->ops->keeps;

		r = hf_take_back(c, p, m, keeps ? HFS_M_RETURNED : HFS_M_TERMINATED, "returned by HostFactory");
		failed += m->state == HFS_M_FAILED;
	}
	if (r == 0)
		r = hf_ev_request_state(c->ledger, p, hf_proj_req(p, id), failed ? HFS_REQ_PARTIAL : HFS_REQ_COMPLETED);
	return r;
}

int hf_return_machines(const struct hf_ctx *c, const char *input, size_t len, struct hf_report *rep)
{
	struct hf_machine_refs refs = { 0 };
	struct hf_req req = { .ret = true, .state = HFS_REQ_PENDING };
	struct hf_request_id id;
	struct session_id rnd;
	struct hf_mach *m;
	struct hf_proj p;
	char **names = NULL, msg[256], *text = NULL;
	size_t i, k;
	int r;

	memset(rep, 0, sizeof(*rep));
	hf_proj_init(&p);
	if ((r = hf_parse_machines(input, len, HF_OP_RETURN_MACHINES, &refs)) < 0 || (r = hf_proj_load(c->ledger, &p)) < 0)
		goto out;
	if (!(names = calloc(refs.n, sizeof(*names)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < refs.n; i++) {
		if ((r = returnable(&p, &refs.items[i], &m)) < 0)
			goto out;
		for (k = 0; k < i; k++)
			if (strcmp(names[k], m->name) == 0) {
				r = err_set(ERR_INVALID, "machine '%s' is named twice in requestReturnMachines input", m->name);
				goto out;
			}
		names[i] = m->name;
	}
	if ((r = session_id_generate(&rnd)) < 0)
		goto out;
	hf_id_make(HF_ID_RETURN, rnd.b, &id);
	snprintf(req.id, sizeof(req.id), "%s", id.text);
	req.count = (unsigned)refs.n;
	if ((r = hf_ev_request(c->ledger, &p, &req, (const char *const *)names, refs.n)) < 0 ||
	    (r = take_back_all(c, &p, req.id, names, refs.n)) < 0)
		goto out;
	snprintf(msg, sizeof(msg), "returning %zu machines", refs.n);
	if ((r = hf_render_request_ack(&id, msg, &text)) == 0)
		r = hf_done(rep, text);
out:
	free(names);
	hf_machine_refs_release(&refs);
	hf_proj_release(&p);
	return r < 0 ? hf_fail(rep, r) : r;
}

static int on_node_event(const struct ledger_event *ev, void *arg)
{
	watch_fold_event(arg, ev);
	return 0;
}

/*
 * Whether watch holds M quarantined: its node's events since M was made folded as a watch
 * folds them when it starts (a release or a deploy ends a quarantine).
 */
static int quarantined(const struct hf_ctx *c, const struct hf_mach *m, bool *out)
{
	struct watch_node *w = calloc(1, sizeof(*w));
	char node[TARGET_FORMAT_MAX];
	struct target t;
	int r;

	*out = false;
	if (!w)
		return err_set(ERR_NOMEM, "out of memory");
	if (target_parse(&t, m->target, strlen(m->target)) < 0 || target_format(&t, node, sizeof(node)) < 0) {
		free(w);
		return 0;
	}
	r = ledger_scan(c->ledger, &(struct ledger_filter){ .node = node, .since = m->seq }, on_node_event, w);
	*out = w->quarantined != 0;
	free(w);
	return r;
}

/* Whether chimera takes M back, and its grace period: gone out of band (0 s), or quarantined by watch. */
static int taken_back(const struct hf_ctx *c, const struct hf_mach *m, bool *yes, unsigned *grace)
{
	struct provider_machine pm = hf_pm(m);
	enum provider_state st = PROVIDER_READY;
	struct provider *pv;
	char why[256];
	int r;

	*yes = false;
	*grace = 0;
	if (hfs_machine_lost(m->state) || m->returned_by[0] || m->state == HFS_M_SHUTTING_DOWN)
		return 0;
	if (m->state != HFS_M_PENDING && hf_provider(c, m->provider, &pv) == 0 &&
	    pv->ops->state(pv, &pm, 0, &st, why, sizeof(why)) == 0 && st == PROVIDER_GONE) {
		*yes = true;
		return 0;
	}
	if ((r = quarantined(c, m, yes)) == 0 && *yes)
		*grace = (unsigned)c->grace_period_s;
	return r;
}

int hf_return_requests(const struct hf_ctx *c, const char *input, size_t len, struct hf_report *rep)
{
	struct hf_machine_refs refs = { 0 };
	struct hf_return_request *out = NULL;
	struct hf_proj p;
	char *text = NULL;
	size_t i, n = 0;
	int r;

	memset(rep, 0, sizeof(*rep));
	hf_proj_init(&p);
	if ((r = hf_parse_machines(input, len, HF_OP_GET_RETURN_REQUESTS, &refs)) < 0 || (r = hf_proj_load(c->ledger, &p)) < 0)
		goto out;
	if (!(out = calloc(p.nmachs + 1, sizeof(*out)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < p.nmachs && r == 0; i++) {
		const struct hf_mach *m = &p.machs[i];
		bool named = refs.n == 0, yes;
		size_t k;

		for (k = 0; k < refs.n && !named; k++)
			named = strcmp(refs.items[k].name, m->name) == 0 || strcmp(refs.items[k].machine_id, m->name) == 0;
		if (named && (r = taken_back(c, m, &yes, &out[n].grace_period)) == 0 && yes)
			out[n++].machine = m->name;
	}
	if (r == 0 && (r = hf_render_return_requests(out, n, n ? "machines chimera takes back" : "", &text)) == 0)
		r = hf_done(rep, text);
out:
	free(out);
	hf_machine_refs_release(&refs);
	hf_proj_release(&p);
	return r < 0 ? hf_fail(rep, r) : r;
}
