/* `chimera deploy --resume ID`: the unfinished nodes of a deployment, its path and profile, from the ledger. */
#include "app/fleet/deploy_resume.h"
#include "app/ledger/deployments.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

struct resume_scan {
	const char *id;
	struct deploy_resume *out;
	char **resumers;	/* deployments whose deploy.initiated resumes ID */
	size_t nresumers;
	int err;
};

static char *dup_json(json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* deploy.initiated: ID's own (its profile and activation), and those of the runs resuming it. */
static int on_initiated(const struct ledger_event *ev, void *arg)
{
	struct resume_scan *rs = arg;
	json_t *p = json_loads(ev->payload, 0, NULL);
	const char *resumes = json_string_value(json_object_get(p, "resumes"));
	char **g;

	if (ev->deployment && strcmp(ev->deployment, rs->id) == 0 && !rs->out->profile) {
		rs->out->profile = dup_json(json_object_get(p, "profile"));
		rs->out->activate = dup_json(json_object_get(p, "activate"));
	} else if (ev->deployment && resumes && strcmp(resumes, rs->id) == 0) {
		if (!(g = realloc(rs->resumers, (rs->nresumers + 1) * sizeof(*g))) ||
		    !(g[rs->nresumers] = strdup(ev->deployment))) {
			if (g)
				rs->resumers = g;
			json_decref(p);
			return rs->err = err_set(ERR_NOMEM, "out of memory");
		}
		rs->resumers = g;
		rs->nresumers++;
	}
	json_decref(p);
	return 0;
}

/* Mark "deployed" in D every node that deployment OTHER deployed. */
static int take_deployed(struct ledger *l, const char *other, struct deployment_record *d)
{
	struct deployment_record o;
	size_t i, k;
	int r;

	if ((r = deployments_show(l, other, &o)) < 0)
		return r == ERR_NOTFOUND ? 0 : r;
	for (i = 0; i < o.n; i++) {
		if (!o.outcomes[i].node || strcmp(o.outcomes[i].outcome, "deployed") != 0)
			continue;
		for (k = 0; k < d->n; k++)
			if (d->outcomes[k].node && strcmp(d->outcomes[k].node, o.outcomes[i].node) == 0) {
				free(d->outcomes[k].outcome);
				d->outcomes[k].outcome = strdup("deployed");
			}
	}
	deployment_record_release(&o);
	return 0;
}

int deploy_resume_find(struct ledger *l, const char *id, struct deploy_resume *out)
{
	struct ledger_filter f = { .topic = "deploy.initiated" };
	struct resume_scan rs = { .id = id, .out = out };
	struct deployment_record d;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = deployments_show(l, id, &d)) < 0)
		return r == ERR_NOTFOUND ? err_set(r, "no deployment '%s' in the ledger (chimera deployments lists them)", id)
					 : r;
	if (d.dry_run) {
		r = err_set(ERR_INVALID, "deployment %s was a dry run: there is nothing to resume", id);
		goto out;
	}
	if (!d.path) {
		r = err_set(ERR_INVALID, "deployment %s never built its configuration: deploy it again instead", id);
		goto out;
	}
	snprintf(out->path, sizeof(out->path), "%s", d.path);
	if ((r = ledger_scan(l, &f, on_initiated, &rs)) < 0 || (r = rs.err) < 0)
		goto out;
	for (i = 0; i < rs.nresumers; i++)
		if ((r = take_deployed(l, rs.resumers[i], &d)) < 0)
			goto out;
	out->total = d.n;
	if (!(out->nodes = calloc(d.n ? d.n : 1, sizeof(*out->nodes)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < d.n; i++)
		if (d.outcomes[i].node && strcmp(d.outcomes[i].outcome, "deployed") != 0 &&
		    !(out->nodes[out->n++] = strdup(d.outcomes[i].node))) {
			r = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
	if (out->n == 0)
		r = err_set(ERR_INVALID, "deployment %s is finished: all %zu of its nodes were deployed and confirmed",
			    id, d.n);
out:
	for (i = 0; i < rs.nresumers; i++)
		free(rs.resumers[i]);
	free(rs.resumers);
	deployment_record_release(&d);
	return r;
}

void deploy_resume_release(struct deploy_resume *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->nodes[i]);
	free(r->nodes);
	free(r->profile);
	free(r->activate);
	memset(r, 0, sizeof(*r));
}
