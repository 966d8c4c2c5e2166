/* Use case: `chimera run`: a command in a tmux session on every target, optionally from a closure copied first. */
#ifndef CHIMERA_APP_FLEET_RUN_H
#define CHIMERA_APP_FLEET_RUN_H

#include "app/fleet/deploy.h"
#include "app/fleet/sessions.h"

#define RUN_PROFILE_DIR "/nix/var/nix/profiles/chimera"

struct run_request {
	struct sessions_request sessions;	/* op START; spec (name, command, replace, env), nix_fd/len */
	const char *path;			/* a closure built on the controller, or NULL */
	const char *tmp_dir;			/* where its export is spooled */
};

struct run_report {
	struct deploy_report deploy;		/* with PATH: its copy to the run-SESSION profile */
	struct sessions_report sessions;
	char profile[sizeof(RUN_PROFILE_DIR) + SESSION_NAME_MAX + 8];	/* RUN_PROFILE_DIR/run-SESSION */
};

/*
 * With REQ->path: put every target's RUN_PROFILE_DIR/run-SESSION profile on it (no
 * activation; the system profile is never touched), then start the session in its PATH on
 * the nodes that got it; a node whose copy failed is reported with that failure. Without:
 * start the session. REP is filled (release it) whenever nodes were tried; returns an error
 * only when nothing could start.
 */
int run_session(const struct deploy_ctx *ctx, const struct target_list *targets, const struct run_request *req,
		struct run_report *rep);

void run_report_release(struct run_report *rep);

/*
 * The report as `chimera run --json` prints it: SESSION and CMD as started, PATH the closure
 * (may be NULL), NIX_FILE the --nix-shell file (may be NULL). The caller frees the text.
 */
char *run_report_json(const struct run_report *rep, const char *session, const char *cmd, const char *path,
		      const char *nix_file);

#endif
