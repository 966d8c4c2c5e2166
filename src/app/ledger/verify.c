/* Use case: `chimera ledger verify`, and its JSON. */
#include "app/ledger/verify.h"
#include "util/clock.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

int verify_chain(struct ledger *l, struct verify_report *rep)
{
	int64_t t0 = clock_mono_ms();
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = ledger_verify(l, &rep->chain)) < 0)
		return r;
	rep->ms = clock_mono_ms() - t0;
	return 0;
}

char *verify_report_json(const struct verify_report *rep)
{
	const struct ledger_verify_report *c = &rep->chain;
	json_t *doc;
	char *text;

	if (c->broken_seq)
		doc = json_pack("{s:b, s:I, s:I, s:s, s:I}", "ok", 0, "checked", (json_int_t)c->checked, "broken_seq",
				(json_int_t)c->broken_seq, "reason", c->reason, "ms", (json_int_t)rep->ms);
	else
		doc = json_pack("{s:b, s:I, s:I}", "ok", 1, "checked", (json_int_t)c->checked, "ms", (json_int_t)rep->ms);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return text;
}
