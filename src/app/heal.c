/* The heal result, shared by the platform healers. */
#include "app/heal.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void heal_result_init(struct heal_result *h, const char *platform)
{
	memset(h, 0, sizeof(*h));
	h->text = (struct buf)BUF_INIT(0);
	sim_report_init(&h->before, platform);
	sim_report_init(&h->after, platform);
}

void heal_result_release(struct heal_result *h)
{
	buf_release(&h->text);
	free(h->actions);
	h->actions = NULL;
	h->n = h->cap = 0;
	sim_report_release(&h->before);
	sim_report_release(&h->after);
}

json_t *heal_report_json(const struct heal_result *h)
{
	json_t *actions = json_array();
	size_t i;

	for (i = 0; actions && i < h->n; i++) {
		const struct heal_action *a = &h->actions[i];

		json_array_append_new(actions, json_pack("{s:s, s:i, s:i, s:s, s:i, s:b, s:s}", "rule", a->rule, "line",
							 a->line, "col", a->col, "fix", a->what, "attempts", a->attempts,
							 "fixed", a->fixed, "why", a->why));
	}
	return actions;
}

struct heal_action *heal_add(struct heal_result *h, const struct sim_issue *is)
{
	struct heal_action *a;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		struct heal_action *m = realloc(h->actions, cap * sizeof(*m));

		if (!m) {
			err_set(ERR_NOMEM, "out of memory");
			return NULL;
		}
		h->actions = m;
		h->cap = cap;
	}
	a = &h->actions[h->n++];
	memset(a, 0, sizeof(*a));
	snprintf(a->rule, sizeof(a->rule), "%s", is->rule);
	a->line = is->line;
	a->col = is->col;
	snprintf(a->what, sizeof(a->what), "%s", is->fix_text);
	return a;
}
