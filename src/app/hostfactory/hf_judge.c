/* HostFactory's verdict on a new machine: deployed, then congruent, else why not. */
#include "app/hostfactory/hostfactory.h"
#include "app/fleet/deploy.h"
#include "app/fleet/inspect.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

void hf_judge(const struct deploy_report *rep, const struct status_report *srep, size_t n, struct hf_configured *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct deploy_node *d = i < rep->n ? &rep->nodes[i] : NULL;
		const struct status_node *s = i < srep->n ? &srep->nodes[i] : NULL;

		memset(&out[i], 0, sizeof(out[i]));
		snprintf(out[i].deployment, sizeof(out[i].deployment), "%s", rep->id);
		snprintf(out[i].path, sizeof(out[i].path), "%s", rep->path);
		out[i].deployed = d && d->outcome == OUTCOME_DEPLOYED;
		out[i].congruent = out[i].deployed && s && s->state == NODE_CONGRUENT;
		if (d && !out[i].deployed)
			snprintf(out[i].message, sizeof(out[i].message), "its deploy failed at %s: %s", d->fail.step ? d->fail.step : "?",
				 d->fail.message);
		else if (!out[i].congruent)
			snprintf(out[i].message, sizeof(out[i].message), "its status after the deploy: %s%s%s",
				 s ? congruence_name(s->state) : "not read", s && s->reason[0] ? ": " : "", s ? s->reason : "");
		else
			snprintf(out[i].message, sizeof(out[i].message), "deployed %s and congruent", rep->path);
	}
}
