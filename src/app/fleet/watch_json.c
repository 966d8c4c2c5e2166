/* A watch round as one JSON line, what `chimera watch --json` prints each round; and --release's document. */
#include "app/fleet/watch.h"
#include "util/json.h"

#include <jansson.h>
#include <stdlib.h>
#include "util/banned.h"

char *watch_round_json(const struct watch_round *r, const struct watch_node *nodes, size_t n, const char *path)
{
	json_t *doc, *bad = json_array();
	char *text;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct watch_node *w = &nodes[i];

		if (w->state == WATCH_CONGRUENT)
			continue;
		json_array_append_new(bad, json_pack("{s:s, s:s, s:s, s:i, s:I, s:s}", "node", w->name, "state",
						     watch_state_name(w->state), "reason", w->reason, "heal_failures",
						     w->heal_failures, "heals", (json_int_t)w->heals, "expected",
						     w->expected));
	}
	/* PATH: the one configuration's; with several, each problem names its own expected path. */
	doc = json_pack("{s:I, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "round", (json_int_t)r->round,
			"path", path, "ms", (json_int_t)r->ms, "nodes", (json_int_t)r->nodes, "congruent",
			(json_int_t)r->congruent, "drifted", (json_int_t)r->drifted, "healed", (json_int_t)r->healed,
			"failed", (json_int_t)r->failed, "unreachable", (json_int_t)r->unreachable, "quarantined",
			(json_int_t)r->quarantined, "rss_kb", (json_int_t)r->rss_kb, "problems", bad);
	if (doc)
		json_object_set_new(doc, "held", json_integer((json_int_t)r->held));
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return text;
}

char *watch_release_json(const char *node)
{
	return json_render(json_pack("{s:s, s:b}", "released", node, "ok", 1));
}
