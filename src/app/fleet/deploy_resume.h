/* `chimera deploy --resume ID`: what a deployment left unfinished, from the ledger. */
#ifndef CHIMERA_APP_FLEET_DEPLOY_RESUME_H
#define CHIMERA_APP_FLEET_DEPLOY_RESUME_H

#include <stddef.h>

#include "core/storepath.h"
#include "ports/ledger.h"

struct deploy_resume {
	char path[STOREPATH_MAX];	/* the store path the deployment built (chimera.deploy.start) */
	char *profile;			/* its deploy.initiated's profile and activation; NULL when not recorded */
	char *activate;
	char **nodes;			/* the nodes not deployed and confirmed, in the deployment's order */
	size_t n;
	size_t total;			/* the deployment's nodes */
};

/*
 * The nodes of deployment ID that did not finish: neither node.deploy.complete under ID
 * nor under a deployment that resumed it (deploy.initiated's "resumes"). Returns 0;
 * ERR_NOTFOUND for an unknown ID; ERR_INVALID naming ID when it was a dry run, never
 * built, or finished (every node deployed and confirmed). Release OUT with
 * deploy_resume_release, also after a failure.
 */
int deploy_resume_find(struct ledger *l, const char *id, struct deploy_resume *out);

void deploy_resume_release(struct deploy_resume *r);

#endif
