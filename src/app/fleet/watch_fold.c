/* What a watch reads back from the ledger when it starts: each node's quarantine and its failed heals in a row. */
#include "app/fleet/watch_fold.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

struct fold {
	struct watch_node **by_name;
	size_t n;
	int64_t *seen;
};

static int name_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct watch_node *const *)elem)->name);
}

/* The "failures" of a watch.node.heal_failed PAYLOAD, or -1 when it has none. */
static int failures_of(const char *payload)
{
	json_t *p = json_loads(payload, 0, NULL);
	json_t *f = json_object_get(p, "failures");
	int n = json_is_integer(f) && json_integer_value(f) > 0 && json_integer_value(f) < 1000000
			? (int)json_integer_value(f)
			: -1;

	json_decref(p);
	return n;
}

void watch_fold_event(struct watch_node *w, const struct ledger_event *ev)
{
	const char *t = ev->topic;
	int f;

	if (strcmp(t, "watch.node.quarantined") == 0) {
		w->quarantined = 1;
	} else if (strcmp(t, "watch.node.heal_failed") == 0) {
		f = failures_of(ev->payload);
		w->heal_failures = f > 0 ? f : w->heal_failures + 1;
	} else if (strcmp(t, "watch.node.released") == 0 || strcmp(t, "node.deploy.complete") == 0) {
		w->quarantined = 0;
		w->heal_failures = 0;
	} else if (strcmp(t, "watch.node.healed") == 0 || strcmp(t, "watch.node.recovered") == 0) {
		w->heal_failures = 0;
	}
}

static int on_event(const struct ledger_event *ev, void *arg)
{
	struct fold *fd = arg;
	struct watch_node **hit;
	const char *t = ev->topic;

	*fd->seen = ev->seq;
	if (!ev->node || (strncmp(t, "watch.node.", 11) != 0 && strcmp(t, "node.deploy.complete") != 0) ||
	    !(hit = bsearch(ev->node, fd->by_name, fd->n, sizeof(*fd->by_name), name_key_cmp)))
		return 0;
	watch_fold_event(*hit, ev);
	return 0;
}

int watch_fold_ledger(struct ledger *l, struct watch_node **by_name, size_t n, int64_t *seen)
{
	struct ledger_filter all = { .topic = NULL };
	struct fold fd = { by_name, n, seen };

	return ledger_scan(l, &all, on_event, &fd);
}
