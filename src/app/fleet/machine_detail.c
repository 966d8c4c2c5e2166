/* One machine's document: its settings and facts, its last known status, its newest events. */
#include "app/fleet/machine_detail.h"
#include "app/config/machines.h"
#include "app/fleet/fleet.h"
#include "app/fleet/inspect.h"
#include "app/ledger/events.h"
#include "util/err.h"

#include <stdlib.h>
#include "util/banned.h"

/* The newest events, MACHINE_DETAIL_EVENTS of them, in a ring. */
struct detail_events {
	json_t *ring[MACHINE_DETAIL_EVENTS];
	size_t n;	/* how many seen */
};

static int add_event(const struct ledger_event *ev, void *arg)
{
	struct detail_events *nw = arg;
	json_t *e = events_event_object(ev);

	if (!e)
		return err_set(ERR_NOMEM, "out of memory");
	json_decref(nw->ring[nw->n % MACHINE_DETAIL_EVENTS]);
	nw->ring[nw->n++ % MACHINE_DETAIL_EVENTS] = e;
	return 0;
}

/* NODE's newest events before HEAD, oldest first, into a new array (NULL on failure). */
static json_t *node_events(struct ledger *l, const char *node, int64_t head)
{
	struct ledger_filter f = { .node = node, .since = head > MACHINE_DETAIL_SCAN ? head - MACHINE_DETAIL_SCAN : 0 };
	struct detail_events nw = { .n = 0 };
	json_t *out = NULL;
	size_t i, first;
	int r = events_query(l, &f, add_event, &nw);

	first = nw.n > MACHINE_DETAIL_EVENTS ? nw.n - MACHINE_DETAIL_EVENTS : 0;
	if (r == 0 && (out = json_array()))
		for (i = first; i < nw.n; i++)
			json_array_append(out, nw.ring[i % MACHINE_DETAIL_EVENTS]);
	for (i = 0; i < MACHINE_DETAIL_EVENTS; i++)
		json_decref(nw.ring[i]);
	return out;
}

/* M's last known status from the ledger: its node of status_cached's report, or null. */
static json_t *machine_status(struct ledger *l, const struct inv_machine *m)
{
	struct target_list t = { 0 };
	struct status_report rep = { 0 };
	json_t *doc = NULL, *nodes, *one = NULL;

	if (target_list_add(&t, &m->target) < 0)
		return NULL;
	if (status_cached(l, &t, "", &rep) == 0) {
		char *text = status_report_json(&rep, 1);

		doc = text ? json_loads(text, 0, NULL) : NULL;
		free(text);
	}
	status_report_release(&rep);
	target_list_release(&t);
	nodes = doc ? json_object_get(doc, "nodes") : NULL;
	if (nodes && json_array_size(nodes) == 1)
		one = json_incref(json_array_get(nodes, 0));
	json_decref(doc);
	return one ? one : json_null();
}

json_t *machine_detail_json(struct ledger *l, const struct inventory *inv, const struct inv_machine *m, int64_t head)
{
	struct machines_facts mf = { 0 };
	char name[TARGET_FORMAT_MAX], *text;
	json_t *doc;

	if (machines_facts(l, m, &mf) < 0)
		return NULL;
	text = machines_show_json(inv, m, &mf);
	machines_facts_release(&mf);
	doc = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	if (!doc) {
		err_set(ERR_NOMEM, "out of memory");
		return NULL;
	}
	fleet_node_name(&m->target, name, sizeof(name));
	json_object_set_new(doc, "status", machine_status(l, m));
	json_object_set_new(doc, "events", node_events(l, name, head));
	return doc;
}
