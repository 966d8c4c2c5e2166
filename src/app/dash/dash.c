/* The dashboard's state: the fleet table folded from machines, status documents and events. */
#include "app/dash/dash.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

void dash_init(struct dash *d, const char *source)
{
	memset(d, 0, sizeof(*d));
	d->interval_s = DASH_INTERVAL_DEFAULT;
	snprintf(d->source, sizeof(d->source), "%s", source);
}

void dash_release(struct dash *d)
{
	free(d->rows);
	free(d->by_node);
	free(d->view);
	json_decref(d->detail);
	memset(d, 0, sizeof(*d));
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static struct dash_row *row_of_node(struct dash *d, const char *node)
{
	size_t lo = 0, hi = d->by_node ? d->n : 0, mid;
	int c;

	while (node && lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(node, d->rows[d->by_node[mid]].node)) == 0)
			return &d->rows[d->by_node[mid]];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int cmp_node(const void *a, const void *b, void *arg)
{
	const struct dash_row *rows = arg;

	return strcmp(rows[*(const size_t *)a].node, rows[*(const size_t *)b].node);
}

const struct dash_row *dash_find(const struct dash *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->rows[i].name, name) == 0)
			return &d->rows[i];
	return NULL;
}

int dash_set_machines(struct dash *d, const json_t *doc)
{
	const json_t *m, *list = json_object_get(doc, "machines");
	struct dash_row *rows, *old;
	size_t i, n = json_array_size(list), *by_node;

	if (!(rows = calloc(n ? n : 1, sizeof(*rows))))
		return err_set(ERR_NOMEM, "out of memory");
	if (!(by_node = calloc(n ? n : 1, sizeof(*by_node)))) {
		free(rows);
		return err_set(ERR_NOMEM, "out of memory");
	}
	json_array_foreach(list, i, m) {
		if ((old = row_of_node(d, str(m, "target"))))
			rows[i] = *old;
		else
			snprintf(rows[i].state, sizeof(rows[i].state), "unknown");
		snprintf(rows[i].name, sizeof(rows[i].name), "%s", str(m, "name"));
		snprintf(rows[i].node, sizeof(rows[i].node), "%s", str(m, "target"));
		by_node[i] = i;
	}
	qsort_r(by_node, n, sizeof(*by_node), cmp_node, rows);
	free(d->rows);
	free(d->by_node);
	d->rows = rows;
	d->by_node = by_node;
	d->n = d->cap = n;
	dash_refilter(d);
	return 0;
}

/*
 * What a probe without an expected path alone can tell: the machine could not be reached
 * (or read). It calls every other machine drifted; whether one is on what was deployed
 * there is the ledger's answer (status_cached).
 */
static bool probe_says(const char *state)
{
	return strcmp(state, "unreachable") == 0 || strcmp(state, "unknown") == 0;
}

void dash_set_status(struct dash *d, const json_t *doc, const char *now)
{
	bool probe_only = !json_is_true(json_object_get(doc, "cached")) && !json_is_string(json_object_get(doc, "expected"));
	const json_t *o, *g;
	struct dash_row *r;
	size_t i;

	json_array_foreach(json_object_get(doc, "nodes"), i, o) {
		if (!(r = row_of_node(d, str(o, "node"))))
			continue;
		if (!probe_only)
			snprintf(r->state, sizeof(r->state), "%s", str(o, "state")[0] ? str(o, "state") : "unknown");
		/* Only a probe knows a machine cannot be reached; the ledger's answer does not undo that. */
		if (!json_is_true(json_object_get(doc, "cached")))
			snprintf(r->lost, sizeof(r->lost), "%s", probe_says(str(o, "state")) ? str(o, "state") : "");
		if (json_is_string(json_object_get(o, "actual")))
			snprintf(r->path, sizeof(r->path), "%s", str(o, "actual"));
		if (json_is_integer(g = json_object_get(o, "generation")))
			r->generation = (uint32_t)json_integer_value(g);
		if (json_is_string(json_object_get(o, "seen")))
			snprintf(r->check, sizeof(r->check), "%s", str(o, "seen"));
		else if (!json_object_get(o, "seen") && now)
			snprintf(r->check, sizeof(r->check), "%s", now);
	}
	dash_refilter(d);
}

enum dash_sev dash_severity(const char *topic, const json_t *payload)
{
	static const char *const bad[] = { "failed", "quarantined", "unreachable", "interrupted", "refused" };
	static const char *const warn[] = { "drifted", "rollback", "held", "takeover", "deadman", "healed", "cancel" };
	const char *result = json_string_value(json_object_get(payload, "result"));
	const json_t *ok = json_object_get(payload, "ok");
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(topic, bad[i]))
			return DASH_ERROR;
	if (json_is_false(ok) || (result && strcmp(result, "success") != 0 && strcmp(result, "ok") != 0))
		return DASH_ERROR;
	for (i = 0; i < sizeof(warn) / sizeof(warn[0]); i++)
		if (strstr(topic, warn[i]))
			return DASH_WARN;
	return DASH_INFO;
}

/* What a node's event says about it: its activity, generation, path, last check, heals. */
static void fold_node(struct dash_row *r, const struct ledger_event *ev, const json_t *p)
{
	const char *t = ev->topic;
	const json_t *g;

	if (strcmp(t, "node.copy.complete") == 0 || strcmp(t, "node.activate.complete") == 0) {
		snprintf(r->activity, sizeof(r->activity), "deploying");
		snprintf(r->op, sizeof(r->op), "%s", ev->deployment ? ev->deployment : "");
	} else if (strcmp(t, "node.deploy.complete") == 0) {
		r->activity[0] = '\0';
		if (json_is_string(json_object_get(p, "path")))
			snprintf(r->path, sizeof(r->path), "%s", str(p, "path"));
		r->generation = 0;	/* a new one, its number known at the next probe */
	} else if (strcmp(t, "node.failed") == 0) {
		snprintf(r->activity, sizeof(r->activity), "failed");
	} else if (strcmp(t, "node.rollback.complete") == 0) {
		r->activity[0] = '\0';
		if (json_is_integer(g = json_object_get(p, "ended_generation")) && json_integer_value(g) > 0)
			r->generation = (uint32_t)json_integer_value(g);
		if (json_is_string(json_object_get(p, "ended_path")))
			snprintf(r->path, sizeof(r->path), "%s", str(p, "ended_path"));
	} else if (strcmp(t, "node.observed") == 0) {
		if (strcmp(r->activity, "failed") == 0)
			r->activity[0] = '\0';	/* looked at again since */
		snprintf(r->lost, sizeof(r->lost), "%s", probe_says(str(p, "state")) ? str(p, "state") : "");
		if (str(p, "expected")[0] && !probe_says(str(p, "state")))
			snprintf(r->state, sizeof(r->state), "%s", str(p, "state"));
		if (json_is_integer(g = json_object_get(p, "generation")) && json_integer_value(g) > 0)
			r->generation = (uint32_t)json_integer_value(g);
		if (json_is_string(json_object_get(p, "path")))
			snprintf(r->path, sizeof(r->path), "%s", str(p, "path"));
		snprintf(r->check, sizeof(r->check), "%s", ev->time);
	} else if (strcmp(t, "watch.node.healed") == 0) {
		r->heals++;
	} else if (strcmp(t, "watch.node.drifted") == 0) {
		snprintf(r->state, sizeof(r->state), "drifted");
	}
}

/*
 * A deploy or rollback as a whole: its nodes (their names in the payload) marked at its
 * start, and what is still marked with its id cleared at its end (a failed node stays so).
 */
static void fold_operation(struct dash *d, const struct ledger_event *ev, const json_t *p)
{
	const char *t = ev->topic, *mark = NULL, *op = ev->deployment ? ev->deployment : "";
	const json_t *v;
	struct dash_row *r;
	size_t i;

	if (strcmp(t, "deploy.initiated") == 0 && !json_is_true(json_object_get(p, "dry_run")))
		mark = "deploying";
	else if (strcmp(t, "chimera.rollback.triggered") == 0)
		mark = "rolling back";
	else if (strcmp(t, "chimera.deploy.complete") != 0 && strcmp(t, "chimera.rollback.complete") != 0)
		return;
	if (!mark) {
		for (i = 0; i < d->n; i++)
			if (strcmp(d->rows[i].activity, "failed") != 0 && (!op[0] || strcmp(d->rows[i].op, op) == 0))
				d->rows[i].activity[0] = '\0';
		return;
	}
	json_array_foreach(json_object_get(p, "nodes"), i, v) {
		if ((r = row_of_node(d, json_string_value(v)))) {
			snprintf(r->activity, sizeof(r->activity), "%s", mark);
			snprintf(r->op, sizeof(r->op), "%s", op);
		}
	}
}

/* The log's line of EV: "HH:MM:SS topic machine payload". */
static void log_line(struct dash *d, const struct ledger_event *ev, const json_t *p)
{
	struct dash_log *l;
	const struct dash_row *r = row_of_node(d, ev->node);
	const char *who = r ? r->name : ev->node ? ev->node : "-";

	if (d->log_n < DASH_LOG_MAX) {
		l = &d->log[(d->log_start + d->log_n) % DASH_LOG_MAX];
		d->log_n++;
	} else {
		l = &d->log[d->log_start];
		d->log_start = (d->log_start + 1) % DASH_LOG_MAX;
	}
	l->seq = ev->seq;
	l->sev = dash_severity(ev->topic, p);
	snprintf(l->text, sizeof(l->text), "%.8s %s %s %s", strlen(ev->time) > 11 ? ev->time + 11 : ev->time,
		 ev->topic, who, ev->payload ? ev->payload : "");
}

void dash_event(struct dash *d, const struct ledger_event *ev)
{
	json_t *p = ev->payload ? json_loads(ev->payload, 0, NULL) : NULL;
	struct dash_row *r;

	if (ev->seq <= d->seq && ev->seq > 0) {
		json_decref(p);
		return;
	}
	d->seq = ev->seq;
	fold_operation(d, ev, p);
	if ((r = row_of_node(d, ev->node)))
		fold_node(r, ev, p);
	/* The dash's own probes would fill the log: they show in the table instead. */
	if (strcmp(ev->topic, "node.observed") != 0 && strcmp(ev->topic, "status.complete") != 0)
		log_line(d, ev, p);
	json_decref(p);
}

const char *dash_row_state(const struct dash_row *r)
{
	return r->activity[0] ? r->activity : r->lost[0] ? r->lost : r->state;
}

size_t dash_count(const struct dash *d, const char *state)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		if (strcmp(dash_row_state(&d->rows[i]), state) == 0)
			n++;
	return n;
}

const struct dash_row *dash_selected(const struct dash *d)
{
	return d->sel < d->nview ? &d->rows[d->view[d->sel]] : NULL;
}

void dash_message(struct dash *d, bool bad, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	d->message_bad = bad;
}

void dash_set_detail(struct dash *d, json_t *doc)
{
	json_decref(d->detail);
	d->detail = doc;
	d->detail_top = 0;
}
