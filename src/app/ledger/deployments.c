/* The deployments projection of the ledger: deployments and their per-node outcomes. */
#include "app/ledger/deployments.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Fold one deployment-level event into D. */
static void fold_edge(struct deployment_record *d, const struct ledger_event *ev, json_t *p)
{
	if (strcmp(ev->topic, "deploy.initiated") == 0) {
		memcpy(d->time, ev->time, sizeof(d->time));
		d->dry_run = json_is_true(json_object_get(p, "dry_run"));
		d->nodes = json_array_size(json_object_get(p, "nodes"));
	} else if (strcmp(ev->topic, "chimera.deploy.start") == 0) {
		free(d->path);
		d->path = dup_or_null(json_string_value(json_object_get(p, "path")));
	} else if (strcmp(ev->topic, "chimera.deploy.complete") == 0) {
		free(d->result);
		d->result = dup_or_null(json_string_value(json_object_get(p, "result")));
		d->ok = (size_t)json_integer_value(json_object_get(p, "ok"));
		d->failed = (size_t)json_integer_value(json_object_get(p, "failed"));
		d->ms = json_integer_value(json_object_get(p, "ms"));
	} else if (strcmp(ev->topic, "deploy.interrupted") == 0) {
		free(d->result);
		d->result = strdup("interrupted");
	} else if (strcmp(ev->topic, "pipeline.complete") == 0) {
		/* A pipeline's end says more than its deploy step: rejected before it, or rolled back after. */
		const char *st = json_string_value(json_object_get(p, "state"));

		free(d->result);
		d->result = strdup(!st			       ? "unknown"
				   : strcmp(st, "SUCCESS") == 0  ? "success"
				   : strcmp(st, "REJECTED") == 0 ? "rejected"
				   : json_is_true(json_object_get(p, "rollback_failed")) ? "rollback failed"
									   : "rolled back");
		d->ms = json_integer_value(json_object_get(p, "ms"));
	}
}

static int is_deploy_topic(const char *t)
{
	return strcmp(t, "deploy.initiated") == 0 || strcmp(t, "chimera.deploy.start") == 0 ||
	       strcmp(t, "chimera.deploy.complete") == 0 || strcmp(t, "pipeline.complete") == 0 ||
	       strcmp(t, "deploy.interrupted") == 0;
}

/* First pass: one entry per deploy.initiated, in ledger order. */
static int list_add(const struct ledger_event *ev, void *arg)
{
	struct deployments_report *l = arg;
	struct deployment_record *d, *m;
	json_t *p;

	if (!ev->deployment)
		return 0;
	if (!(m = realloc(l->items, (l->n + 1) * sizeof(*m))))
		return err_set(ERR_NOMEM, "out of memory");
	l->items = m;
	d = &l->items[l->n++];
	memset(d, 0, sizeof(*d));
	if (!(d->id = strdup(ev->deployment)))
		return err_set(ERR_NOMEM, "out of memory");
	if ((p = json_loads(ev->payload, 0, NULL))) {
		fold_edge(d, ev, p);
		json_decref(p);
	}
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct deployment_record *)a)->id, ((const struct deployment_record *)b)->id);
}

static int id_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct deployment_record *)elem)->id);
}

/* Second pass: fold chimera.deploy.* into the entry with its id (the list sorted by id). */
static int list_update(const struct ledger_event *ev, void *arg)
{
	struct deployments_report *l = arg;
	struct deployment_record *d;
	json_t *p;

	if (!ev->deployment || !l->n || !(d = bsearch(ev->deployment, l->items, l->n, sizeof(*l->items), id_key_cmp)))
		return 0;
	if ((p = json_loads(ev->payload, 0, NULL))) {
		fold_edge(d, ev, p);
		json_decref(p);
	}
	return 0;
}

static int time_cmp(const void *a, const void *b)
{
	const struct deployment_record *x = a, *y = b;
	int c = strcmp(x->time, y->time);

	return c ? c : strcmp(x->id, y->id);
}

static int deployments_scan(struct ledger *l, struct deployments_report *out)
{
	struct ledger_filter f = { .topic = "deploy.initiated" };
	int r;

	memset(out, 0, sizeof(*out));
	/* The filter takes one topic or prefix: initiations first, then their outcomes. */
	if ((r = ledger_scan(l, &f, list_add, out)) == 0) {
		/* qsort's array may not be NULL, even for none (UBSan: a ledger without deployments). */
		if (out->n > 1)
			qsort(out->items, out->n, sizeof(*out->items), id_cmp);
		f.topic = "chimera.deploy.*";
		r = ledger_scan(l, &f, list_update, out);
		f.topic = "pipeline.complete";
		if (r == 0)
			r = ledger_scan(l, &f, list_update, out);
		f.topic = "deploy.interrupted";
		if (r == 0)
			r = ledger_scan(l, &f, list_update, out);
		if (out->n > 1)
			qsort(out->items, out->n, sizeof(*out->items), time_cmp);
	}
	if (r < 0)
		deployments_report_release(out);
	return r;
}

int deployments_list(struct ledger *l, long limit, struct deployments_report *out)
{
	size_t i, from;
	int r;

	if ((r = deployments_scan(l, out)) < 0)
		return r;
	from = limit > 0 && out->n > (size_t)limit ? out->n - (size_t)limit : 0;
	if (from == 0)
		return 0;
	for (i = 0; i < from; i++)
		deployment_record_release(&out->items[i]);
	memmove(out->items, out->items + from, (out->n - from) * sizeof(*out->items));
	out->n -= from;
	return 0;
}

/* deploy.interrupted (payload P): each node it lists was left where its state says. */
static void fold_interrupted(struct deployment_record *d, json_t *p, int64_t seq)
{
	json_t *v;
	size_t i, k;

	json_array_foreach(json_object_get(p, "nodes"), i, v) {
		const char *node = json_string_value(json_object_get(v, "node"));
		const char *state = json_string_value(json_object_get(v, "state"));

		for (k = 0; node && k < d->n; k++) {
			struct deployment_outcome *n = &d->outcomes[k];

			if (!n->node || strcmp(n->node, node) != 0 || strcmp(n->outcome, "pending") != 0)
				continue;
			free(n->outcome);
			free(n->state);
			n->outcome = strdup("interrupted");
			n->state = dup_or_null(state);
			n->seq = seq;
		}
	}
}

static int one_fold(const struct ledger_event *ev, void *arg)
{
	struct deployment_record *d = arg;
	struct deployment_outcome *n = NULL;
	json_t *p = json_loads(ev->payload, 0, NULL);
	size_t i;

	if (!p)
		return 0;
	if (is_deploy_topic(ev->topic)) {
		if (!d->time[0])
			memcpy(d->time, ev->time, sizeof(d->time));
		fold_edge(d, ev, p);
		if (strcmp(ev->topic, "deploy.initiated") == 0) {
			json_t *v;

			json_array_foreach(json_object_get(p, "nodes"), i, v) {
				struct deployment_outcome *m = realloc(d->outcomes, (d->n + 1) * sizeof(*m));

				if (!m) {
					json_decref(p);
					return err_set(ERR_NOMEM, "out of memory");
				}
				d->outcomes = m;
				m[d->n] = (struct deployment_outcome){ dup_or_null(json_string_value(v)), strdup("pending"), NULL,
								       NULL, NULL, ev->seq };
				d->n++;
			}
		} else if (strcmp(ev->topic, "deploy.interrupted") == 0) {
			fold_interrupted(d, p, ev->seq);
		}
	} else if (ev->node) {
		for (i = 0; i < d->n; i++)
			if (d->outcomes[i].node && strcmp(d->outcomes[i].node, ev->node) == 0)
				n = &d->outcomes[i];
		if (n && strcmp(ev->topic, "node.deploy.complete") == 0) {
			free(n->outcome);
			n->outcome = strdup("deployed");
			n->seq = ev->seq;
		} else if (n && strcmp(ev->topic, "node.failed") == 0) {
			free(n->outcome);
			free(n->step);
			free(n->error);
			n->outcome = strdup("failed");
			n->step = dup_or_null(json_string_value(json_object_get(p, "step")));
			n->error = dup_or_null(json_string_value(json_object_get(p, "error")));
			n->seq = ev->seq;
		}
	}
	json_decref(p);
	return 0;
}

int deployments_show(struct ledger *l, const char *id, struct deployment_record *out)
{
	struct ledger_filter f = { .deployment = id };
	int r;

	memset(out, 0, sizeof(*out));
	if (!(out->id = strdup(id)))
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = ledger_scan(l, &f, one_fold, out)) < 0) {
		deployment_record_release(out);
		return r;
	}
	if (!out->time[0]) {
		deployment_record_release(out);
		return err_set(ERR_NOTFOUND, "no deployment '%s' in the ledger", id);
	}
	/* A dry run plans, it does not deploy. */
	if (out->dry_run) {
		size_t i;

		for (i = 0; i < out->n; i++)
			if (strcmp(out->outcomes[i].outcome, "pending") == 0) {
				free(out->outcomes[i].outcome);
				out->outcomes[i].outcome = strdup("planned");
			}
	}
	return 0;
}

void deployment_record_release(struct deployment_record *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->outcomes[i].node);
		free(d->outcomes[i].outcome);
		free(d->outcomes[i].step);
		free(d->outcomes[i].error);
		free(d->outcomes[i].state);
	}
	free(d->outcomes);
	free(d->id);
	free(d->path);
	free(d->result);
	memset(d, 0, sizeof(*d));
}

void deployments_report_release(struct deployments_report *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		deployment_record_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}
