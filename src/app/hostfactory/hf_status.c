/* HostFactory getRequestStatus: each request reconciled with its machines' providers, then reported. */
#include "app/hostfactory/hf_internal.h"
#include "util/err.h"
#include "util/log.h"
#include "util/proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

#define READY_WAIT_MS 1000	/* how long one status call waits for a booting machine's sshd */

/* One pending machine asked of its provider: running when its sshd answers, failed past the boot timeout or gone. */
static int advance_pending(const struct hf_ctx *c, struct hf_proj *p, struct hf_mach *m)
{
	struct provider_machine pm = hf_pm(m);
	enum provider_state st = PROVIDER_BOOTING;
	struct provider *pv;
	char why[512] = "", msg[700];
	int r;

	if ((r = hf_provider(c, m->provider, &pv)) < 0 || (r = pv->ops->state(pv, &pm, READY_WAIT_MS, &st, why, sizeof(why))) < 0) {
		log_kv(LOG_WARN, "hostfactory", "machine state unknown", "machine", m->name, "error", err_msg(),
		       (const char *)NULL);
		return 0;	/* asked again at the next status call, or timed out then */
	}
	if (st == PROVIDER_READY)
		return hf_ev_machine_state(c->ledger, p, m, HFS_M_RUNNING, "its sshd answers");
	if (st == PROVIDER_GONE) {
		snprintf(msg, sizeof(msg), "the machine is gone: %s", why);
		return hf_take_back(c, p, m, HFS_M_FAILED, msg);
	}
	if (hf_now(c) - m->launchtime <= c->boot_timeout_s)
		return 0;
	snprintf(msg, sizeof(msg), "not ready within the boot timeout of %ld s (its sshd never answered)", c->boot_timeout_s);
	return hf_take_back(c, p, m, HFS_M_FAILED, msg);
}

/* Whether the process M's configuring mark names still runs (the same pid, started at the same time). */
static bool configuring_alive(const struct hf_mach *m)
{
	int64_t start = 0;

	return m->configuring_pid > 0 && proc_alive((pid_t)m->configuring_pid) &&
	       proc_start_time((pid_t)m->configuring_pid, &start) == 0 && start == m->configuring_start;
}

/* The machines to configure: names and targets of N of them, room for p->nmachs each. */
struct batch {
	const char **targets;
	char **names;
	struct hf_configured *out;
	size_t n;
};

static int batch_alloc(struct batch *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	if (!(b->targets = calloc(max + 1, sizeof(*b->targets))) || !(b->names = calloc(max + 1, sizeof(*b->names))) ||
	    !(b->out = calloc(max + 1, sizeof(*b->out))))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static void batch_free(struct batch *b)
{
	free(b->targets);
	free(b->names);
	free(b->out);
}

/* Whether M of request REQ waits for its configuration (running, not configured, not being returned). */
static bool unconfigured(const struct hf_mach *m, const char *req)
{
	return strcmp(m->request, req) == 0 && m->state == HFS_M_RUNNING && !m->configured && !m->returned_by[0];
}

/* B's machines configured with T (NULL: gone from the templates file): the outcomes into B->out. */
static void configure_batch(const struct hf_ctx *c, const struct hf_tmpl *t, const char *template_id, struct batch *b)
{
	size_t i;

	if (!t) {
		for (i = 0; i < b->n; i++)
			snprintf(b->out[i].message, sizeof(b->out[i].message), "its template '%s' is no longer in the templates file",
				 template_id);
	} else if (c->configure(c->arg, t, b->targets, b->n, b->out) < 0) {
		for (i = 0; i < b->n; i++)
			snprintf(b->out[i].message, sizeof(b->out[i].message), "deploying its configuration failed: %s", err_msg());
	}
}

/* B's outcomes recorded; a machine not deployed and congruent taken back. MINE: only machines still marked for PID/START. */
static int record_batch(const struct hf_ctx *c, struct hf_proj *p, const char *req, struct batch *b, bool mine,
			int64_t pid, int64_t start)
{
	size_t i;
	int e = 0;

	for (i = 0; i < b->n && e == 0; i++) {
		struct hf_mach *m = hf_proj_mach(p, b->names[i]);

		if (!m || !unconfigured(m, req) || (mine && (m->configuring_pid != pid || m->configuring_start != start)))
			continue;
		if ((e = hf_ev_configured(c->ledger, p, m, &b->out[i])) == 0 && !(b->out[i].deployed && b->out[i].congruent))
			e = hf_take_back(c, p, m, HFS_M_FAILED, b->out[i].message[0] ? b->out[i].message : "not congruent after its deploy");
	}
	return e;
}

/*
 * The running machines of R not configured yet: handed to a process of their own
 * (spawn_configure) when there is one, else deployed here, each outcome recorded. One marked
 * for a process that has ended without recording its outcome is taken back.
 */
static int configure_running(const struct hf_ctx *c, struct hf_proj *p, const struct hf_req *r)
{
	const struct hf_tmpl *t = hf_templates_find(c->templates, r->template_id);
	struct batch b;
	int64_t pid, start;
	size_t i;
	int e;

	if ((e = batch_alloc(&b, p->nmachs)) < 0)
		goto out;
	for (i = 0; i < p->nmachs && e == 0; i++) {
		struct hf_mach *m = &p->machs[i];

		if (!unconfigured(m, r->id))
			continue;
		if (!m->configuring_pid) {
			b.targets[b.n] = m->target;
			b.names[b.n++] = m->name;
		} else if (!configuring_alive(m)) {
			e = hf_take_back(c, p, m, HFS_M_FAILED,
					 "the process deploying its configuration ended without a result (killed, or this host restarted)");
		}
	}
	if (e < 0 || b.n == 0)
		goto out;
	if (t && c->spawn_configure) {
		if (c->spawn_configure(c->arg, r->id, &pid, &start) == 0) {
			for (i = 0; i < b.n && e == 0; i++)
				e = hf_ev_configuring(c->ledger, p, hf_proj_mach(p, b.names[i]), pid, start);
			goto out;
		}
		log_kv(LOG_WARN, "hostfactory", "cannot start the configuring process: configuring here", "request", r->id,
		       "error", err_msg(), (const char *)NULL);
	}
	configure_batch(c, t, r->template_id, &b);
	e = record_batch(c, p, r->id, &b, false, 0, 0);
out:
	batch_free(&b);
	return e;
}

int hf_configure_request(const struct hf_ctx *c, const char *req)
{
	int64_t pid = (int64_t)getpid(), start = 0;
	const struct hf_req *r;
	struct hf_proj p, now;
	struct batch b = { 0 };
	size_t i;
	int e;

	hf_proj_init(&p);
	if ((e = proc_start_time(getpid(), &start)) < 0 || (e = c->lock(c->arg)) < 0)
		return e;
	e = hf_proj_load(c->ledger, &p);
	c->unlock(c->arg);
	if (e < 0 || !(r = hf_proj_req(&p, req)) || (e = batch_alloc(&b, p.nmachs)) < 0)
		goto out;
	for (i = 0; i < p.nmachs; i++) {
		struct hf_mach *m = &p.machs[i];

		if (unconfigured(m, req) && m->configuring_pid == pid && m->configuring_start == start) {
			b.targets[b.n] = m->target;
			b.names[b.n++] = m->name;
		}
	}
	if (b.n == 0)
		goto out;
	log_kv(LOG_INFO, "hostfactory", "configuring in the background", "request", req, (const char *)NULL);
	configure_batch(c, hf_templates_find(c->templates, r->template_id), r->template_id, &b);
	/* Under the lock again, on what the ledger says now (a return may have come meanwhile); B points into P. */
	hf_proj_init(&now);
	if ((e = c->lock(c->arg)) < 0)
		goto out;
	if ((e = hf_proj_load(c->ledger, &now)) == 0)
		e = record_batch(c, &now, req, &b, true, pid, start);
	c->unlock(c->arg);
	hf_proj_release(&now);
out:
	batch_free(&b);
	hf_proj_release(&p);
	return e;
}

/* Bring request R's machines forward, then R's own state to what they make it. */
static int reconcile(const struct hf_ctx *c, struct hf_proj *p, struct hf_req *r)
{
	struct hfs_machine_view *v;
	enum hfs_request to;
	size_t i, n = 0;
	int e = 0;

	if (r->ret || hfs_request_terminal(r->state))
		return 0;
	for (i = 0; i < p->nmachs && e == 0; i++)
		if (strcmp(p->machs[i].request, r->id) == 0 && p->machs[i].state == HFS_M_PENDING)
			e = advance_pending(c, p, &p->machs[i]);
	if (e < 0 || (e = configure_running(c, p, r)) < 0)
		return e;
	if (!(v = calloc(p->nmachs + 1, sizeof(*v))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < p->nmachs; i++)
		if (strcmp(p->machs[i].request, r->id) == 0)
			v[n++] = hf_mach_view(&p->machs[i]);
	to = hfs_reconcile(v, n, hf_now(c), 0);
	free(v);
	r = hf_proj_req(p, r->id);
	if (to != r->state && hfs_request_can(r->state, to))
		e = hf_ev_request_state(c->ledger, p, r, to);
	return e;
}

static enum hf_machine_result result_of(const char *word)
{
	return strcmp(word, "succeed") == 0 ? HF_RESULT_SUCCEED : strcmp(word, "fail") == 0 ? HF_RESULT_FAIL
											     : HF_RESULT_EXECUTING;
}

static enum hf_request_state status_of(enum hfs_request s)
{
	const char *w = hfs_request_status(s);

	return strcmp(w, "complete") == 0 ? HF_REQ_COMPLETE : strcmp(w, "running") == 0 ? HF_REQ_RUNNING
											  : HF_REQ_COMPLETE_WITH_ERROR;
}

/* R's machines into MS (room for p->nmachs): those it made, or (a return) those it takes back. */
static size_t machines_of(const struct hf_proj *p, const struct hf_req *r, struct hf_machine *ms)
{
	size_t i, n = 0;

	for (i = 0; i < p->nmachs; i++) {
		const struct hf_mach *m = &p->machs[i];
		struct hfs_machine_view v = hf_mach_view(m);

		if (strcmp(r->ret ? m->returned_by : m->request, r->id) != 0)
			continue;
		ms[n++] = (struct hf_machine){ .machine_id = m->name, .name = m->name, .status = hfs_machine_status(m->state),
					       .result = result_of(r->ret ? hfs_return_result(m->state) : hfs_machine_result(&v)),
					       .private_ip = m->address, .launchtime = m->launchtime,
					       .message = m->message };
	}
	return n;
}

/* The reply for the requests IDS, from P. */
static int render(const struct hf_proj *p, const struct hf_request_ids *ids, char **text)
{
	struct hf_request_status *rs = calloc(ids->n ? ids->n : 1, sizeof(*rs));
	struct hf_machine *ms = calloc(ids->n * (p->nmachs + 1) + 1, sizeof(*ms));
	char (*msgs)[160] = calloc(ids->n ? ids->n : 1, sizeof(*msgs));
	size_t i, used = 0;
	int r;

	if (!rs || !ms || !msgs) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ids->n; i++) {
		const struct hf_req *q = hf_proj_req(p, ids->items[i].text);
		size_t n = machines_of(p, q, ms + used);

		snprintf(msgs[i], sizeof(msgs[i]), "%s %s: %zu machines", q->ret ? "return" : "request",
			 hfs_request_name(q->state), n);
		rs[i] = (struct hf_request_status){ .request_id = q->id, .status = status_of(q->state), .message = msgs[i],
						    .machines = ms + used, .n_machines = n };
		used += n;
	}
	r = hf_render_request_status(rs, ids->n, text);
out:
	free(rs);
	free(ms);
	free(msgs);
	return r;
}

int hf_request_status(const struct hf_ctx *c, const char *input, size_t len, struct hf_report *rep)
{
	struct hf_request_ids ids = { 0 };
	struct hf_proj p;
	char *text = NULL;
	size_t i;
	int r;

	memset(rep, 0, sizeof(*rep));
	hf_proj_init(&p);
	if ((r = hf_parse_request_status(input, len, &ids)) < 0 || (r = hf_proj_load(c->ledger, &p)) < 0)
		goto out;
	for (i = 0; i < ids.n; i++)
		if (!hf_proj_req(&p, ids.items[i].text)) {
			r = err_set(ERR_INVALID, "unknown request '%s': no request of this provider has that id", ids.items[i].text);
			goto out;
		}
	for (i = 0; i < ids.n && r == 0; i++)
		r = reconcile(c, &p, hf_proj_req(&p, ids.items[i].text));
	if (r == 0 && (r = render(&p, &ids, &text)) == 0)
		r = hf_done(rep, text);
out:
	hf_request_ids_release(&ids);
	hf_proj_release(&p);
	return r < 0 ? hf_fail(rep, r) : r;
}
