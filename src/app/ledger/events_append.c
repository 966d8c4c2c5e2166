/* Use case: `chimera ledger append`: events appended by hand (drills, tests, benchmarks). */
#include "app/ledger/events_append.h"
#include "util/err.h"

#include <jansson.h>
#include <stdlib.h>
#include "util/banned.h"

int events_append(struct ledger *l, const struct ledger_new *ev, size_t count, bool batch, int64_t *last_seq)
{
	struct ledger_new *evs;
	size_t i;
	int r = 0;

	*last_seq = 0;
	if (!batch) {
		for (i = 0; i < count && r == 0; i++)
			r = ledger_append(l, ev, 1, last_seq);
		return r;
	}
	if (!(evs = calloc(count ? count : 1, sizeof(*evs))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < count; i++)
		evs[i] = *ev;
	r = ledger_append(l, evs, count, last_seq);
	free(evs);
	return r;
}

char *events_append_json(size_t count, int64_t last_seq)
{
	json_t *doc = json_pack("{s:b, s:I, s:I}", "ok", 1, "appended", (json_int_t)count, "last_seq",
				(json_int_t)last_seq);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	return text;
}
