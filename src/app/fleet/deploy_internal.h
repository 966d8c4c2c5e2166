/* Private to deploy*.c: the job shared by a deployment's nodes, the export spool, one node's conversation. */
#ifndef CHIMERA_APP_FLEET_DEPLOY_INTERNAL_H
#define CHIMERA_APP_FLEET_DEPLOY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "app/fleet/deploy.h"
#include "app/fleet/lease.h"
#include "util/buf.h"

/*
 * Exports of closure paths, one spooled file per distinct set of missing paths: nodes that
 * lack the same paths (the usual case) share one `nix-store --export`.
 */
struct spool_entry {
	struct spool_entry *next;
	char *key;		/* the sorted paths, one a line */
	int state;		/* 0 being made, 1 ready, < 0 failed with that error */
	int fd;
	uint64_t len;
	char msg[512];
};

struct spool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct spool_entry *head;
	struct nix *nix;
	const char *dir;
};

/*
 * The export of the N PATHS (sorted in place), made once per distinct set: *FD (owned by
 * the spool: not to be closed) and its *LEN. Returns
 * 0, or the error of the one export that was tried for that set (message set).
 */
int deploy_spool_get(struct spool *sp, char **paths, size_t n, int *fd, uint64_t *len);
/* Close and free every export. */
void deploy_spool_release(struct spool *sp);

struct deploy_job {
	const struct deploy_ctx *ctx;
	const struct deploy_opts *opts;
	struct deploy_report *rep;
	struct nix_closure closure;	/* sorted by path */
	char **closure_paths;		/* pointers into closure, for the check command */
	struct buf closure_list;	/* the same, one a line: sent as a file when too long for a command line */
	struct buf deploy_cmd;		/* the node command when the paths fit in it: the same for every node */
	struct spool spool;
	struct fleet_op op;		/* the deployment's node leases (none in a dry run, nor for a plan) */
	pthread_mutex_t lock;
	size_t done;
};

/* Record TOPIC for node N (NULL: the deployment) with PAYLOAD (taken); the first ledger error goes in the report. */
void deploy_job_record(struct deploy_job *job, const struct deploy_node *n, const char *topic, json_t *payload);
/* N enters step S, and the progress callback hears of it. */
void deploy_job_enter(struct deploy_job *job, struct deploy_node *n, enum deploy_step s);
/* The NAR size of PATH in the closure, 0 when it is not there. */
uint64_t deploy_job_nar_size(const struct deploy_job *job, const char *path);

/* Add the time since T0 to STEP's (a step may run more than once: a copy after a refused switch). */
void deploy_add_step_ms(struct deploy_node *n, enum deploy_step step, int64_t t0);

/* True when N's deploy to PATH moves its profile: its goal sets the profile, which is elsewhere now. */
static inline bool deploy_switches(const struct deploy_node *n, const char *path)
{
	return goal_sets_profile(n->goal) && strcmp(n->previous, path) != 0;
}
/* Run one step's command, timing it (RES re-initialised; N->fail filled on failure). */
int deploy_run_step(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
		    enum deploy_step step, const char *cmd, const struct exec_input *in, struct exec_result *res);
/* Run CMD in S as a step of its own (RES re-initialised); 0 when it ran and exited 0. */
int deploy_quiet_run(const struct deploy_job *job, struct executor *ex, struct exec_session *s, const char *cmd,
		     struct exec_result *res);

/*
 * One node's deploy command while it runs (remote_deploy): which step markers have come,
 * what the check found, and the input the controller answers the check with.
 */
struct conv {
	struct deploy_job *job;
	struct deploy_node *n;
	struct exec_input in;
	struct buf head;	/* the answer: "copy MODE GEN" or "- MODE GEN", the witness, WITNESS_END */
	size_t scanned;		/* bytes of stdout already taken as lines */
	long limit_s;		/* the current step's limit: the activation's own, else the fleet's step timeout */
	size_t act_from, act_to;	/* the activation's own stdout: after its "chimera-activation" line, up to "chimera-activated" */
	int64_t t;		/* when the current step began */
	int ready, copying, copied, switched, activated, confirmed;
	int stop;		/* the controller stopped after check (dry run, a switch to settle, or an error in FAIL) */
	int settle;		/* it stopped for dead-man switches on the node: settle them, then again */
	int settled;		/* they were settled: go on whatever the check says of switches */
	int err;		/* that error, 0 for a dry run */
	struct gen_list gens;
	char **missing;
	size_t nmissing;
	char kind[32];		/* the activation that ran */
	char profile[STOREPATH_MAX];	/* the profile resolved, from the confirm marker */
	char armed[REMOTE_TOKEN_MAX + 1];	/* the dead-man switch's directory, "" when none was armed */
	int64_t armed_at;
};

/* A conversation not yet started for node N of JOB; release with deploy_conv_release. */
void deploy_conv_init(struct conv *c, struct deploy_job *job, struct deploy_node *n);
/* Back to a conversation not yet started (the session and node stay; N->fail cleared). */
void deploy_conv_reset(struct conv *c);
/* Free what the conversation found (the missing paths, the generations). */
void deploy_conv_release(struct conv *c);
/*
 * Run CMD (a remote_deploy command) and judge it by the step it was in (RES re-initialised,
 * N->fail filled on failure). With CHECK, the command starts with the check and waits for
 * the controller's answer on stdin.
 */
int deploy_converse(struct conv *c, struct executor *ex, struct exec_session *s, const char *cmd, int check,
		    struct exec_result *res);

/*
 * The node was not confirmed (WHY says how that went): wait for its dead-man switch, then
 * see whether it rolled itself back. Records the rollback events; always returns ERR_IO
 * with N->fail filled.
 */
int deploy_magic_wait(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct conv *c,
		      const char *why);
/* Confirm the activation over a new connection; 0 when confirmed, else deploy_magic_wait's error. */
int deploy_magic_confirm(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct conv *c);

/*
 * After a failed switch: send the closure paths Nix finds invalid on the node (LIST: the
 * node's file of closure paths, or NULL). Returns 1 when paths were sent, 0 when none were
 * invalid, or an error with N->fail filled.
 */
int deploy_copy_invalid(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
			const char *list, struct exec_result *res);
/* Paths gone from the node's disk yet registered, or changed there: app/fleet/repair.h. */

/*
 * Everything after connect on an open session, with the caller's hooks around it. Returns
 * 0 when the node is deployed (or planned); an error with N->fail filled otherwise.
 */
int deploy_node_hooked(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s);
/* After a node's steps (R their result): its outcome, and node.failed or node.deploy.complete. */
void deploy_node_finish(struct deploy_job *job, struct deploy_node *n, int r);

/*
 * A dry run's --diff (deploy_diff.c): the closure of N's profile's current path, read on the
 * node over S, against the job's, into N->diff. Returns 0, or an error with N->fail filled
 * (step "diff").
 */
int deploy_diff_node(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s);
/* Free N's diff. */
void deploy_diff_free(struct deploy_node *n);
/* N's diff as the report's JSON: closure_diff_json's, "a" and "b" with their paths (PATH: the new one). */
json_t *deploy_diff_json(const struct deploy_node *n, const char *path);

#endif
