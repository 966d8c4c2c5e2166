/* Projections of the ledger: deployments and their per-node outcomes. */
#ifndef CHIMERA_APP_HISTORY_H
#define CHIMERA_APP_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "ports/ledger.h"

struct history_node {
	char *node;
	char *outcome;		/* "deployed", "failed", "interrupted" or "pending" */
	char *state;		/* interrupted: where it was left (new, old, other, none, unreachable), else NULL */
	char *step;		/* the failed step, or NULL */
	char *error;		/* or NULL */
	int64_t seq;
};

struct history_deployment {
	char *id;
	char time[CLOCK_UTC_LEN];	/* of deploy.initiated */
	char *path;			/* NULL until built */
	char *result;			/* "success", "partial", "failed", "build failed"; a pipeline's "rejected",
					   "rolled back", "rollback failed"; "interrupted" (its controller
					   died: deploy.interrupted); NULL while unfinished */
	int dry_run;
	size_t nodes, ok, failed;
	int64_t ms;
	struct history_node *outcomes;	/* only filled by history_deployment */
	size_t n;
};

struct history_list {
	struct history_deployment *items;	/* oldest first */
	size_t n;
};

/* Every deployment in the ledger, without per-node outcomes. Release with history_list_release. */
int history_deployments(struct ledger *l, struct history_list *out);

/* One deployment (ID) with each node's outcome. Returns ERR_NOTFOUND when the ledger has no such id. */
int history_deployment(struct ledger *l, const char *id, struct history_deployment *out);

void history_deployment_release(struct history_deployment *d);
void history_list_release(struct history_list *l);

#endif
