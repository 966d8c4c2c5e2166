/* Use case: `chimera deployments`: the ledger's deployments and, for one, each node's outcome. */
#ifndef CHIMERA_APP_LEDGER_DEPLOYMENTS_H
#define CHIMERA_APP_LEDGER_DEPLOYMENTS_H

#include <stddef.h>
#include <stdint.h>

#include "ports/ledger.h"

struct deployment_outcome {
	char *node;
	char *outcome;		/* "deployed", "failed", "interrupted" or "pending" */
	char *state;		/* interrupted: where it was left (new, old, other, none, unreachable), else NULL */
	char *step;		/* the failed step, or NULL */
	char *error;		/* or NULL */
	int64_t seq;
};

struct deployment_record {
	char *id;
	char time[CLOCK_UTC_LEN];	/* of deploy.initiated */
	char *path;			/* NULL until built */
	char *result;			/* "success", "partial", "failed", "build failed"; a pipeline's "rejected",
					   "rolled back", "rollback failed"; "interrupted" (its controller
					   died: deploy.interrupted); NULL while unfinished */
	int dry_run;
	size_t nodes, ok, failed;
	int64_t ms;
	struct deployment_outcome *outcomes;	/* only filled by deployments_show */
	size_t n;
};

struct deployments_report {
	struct deployment_record *items;	/* oldest first */
	size_t n;
};

/*
 * The deployments in the ledger, oldest first, without per-node outcomes; with LIMIT > 0
 * only the last LIMIT of them. Release with deployments_report_release.
 */
int deployments_list(struct ledger *l, long limit, struct deployments_report *out);

/* One deployment (ID) with each node's outcome. Returns ERR_NOTFOUND when the ledger has no such id. */
int deployments_show(struct ledger *l, const char *id, struct deployment_record *out);

void deployment_record_release(struct deployment_record *d);
void deployments_report_release(struct deployments_report *l);

/* REP as `chimera deployments --json` prints it: {"deployments": [...]}. The caller frees the text. */
char *deployments_report_json(const struct deployments_report *rep);

/* D (from deployments_show) as `chimera deployments show ID --json` prints it, with its outcomes. */
char *deployment_record_json(const struct deployment_record *d);

/*
 * The documents the two above wrote (a server's GET /deployments and /deployments/{id})
 * back into REP (release with deployments_report_release) and D (deployment_record_release),
 * so that they print as the local command prints them. Returns 0, ERR_INVALID naming the
 * bad field, or ERR_NOMEM.
 */
struct json_t;
int deployments_report_from_json(const struct json_t *doc, struct deployments_report *rep);
int deployment_record_from_json(const struct json_t *doc, struct deployment_record *d);

#endif
