/* What deploy, status, generations and rollback share: executors per target, node probes. */
#ifndef CHIMERA_APP_FLEET_H
#define CHIMERA_APP_FLEET_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/profile.h"
#include "core/goal.h"
#include "core/target.h"
#include "remote/nix.h"
#include "ports/executor.h"
#include "ports/http.h"
#include "ports/ledger.h"
#include "util/buf.h"
#include "util/pool.h"

#define FLEET_TAIL 2048		/* bytes of stderr kept for a failed step */
#define FLEET_PARALLEL_DEFAULT 64

/* A node's own settings; NULL: the operation's. */
struct node_settings {
	const char *profile;
	const char *activate;		/* "auto", "none" or a command */
	const char *goal;		/* a name core/goal.h parses */
};

/* The parts a fleet operation runs on. */
struct fleet {
	struct executor_set executors;	/* one per transport; a target's transport picks one */
	struct ledger *ledger;
	struct http *http;		/* health checks' http: and tcp: (NULL: they fail) */
	int parallel;		/* nodes in flight at once */
	long step_timeout_s;	/* one step on one node; 0: the executor's default */
	long activation_timeout_s;	/* a deploy's activation step; 0: step_timeout_s */
	long lock_wait_s;	/* how long an operation waits for a node another one holds (app/fleet/lease.h) */
	/*
	 * A target's own settings (from its machine in the inventory), over the operation's:
	 * fills the fields it has and leaves the others NULL. May be NULL.
	 */
	void (*node_settings)(const struct target *t, struct node_settings *out, void *arg);
	void *node_settings_arg;
	/*
	 * Once set (a server's job cancelled, or the server stopping), deploy and rollback start
	 * no further node: each not started fails at step "cancelled", nothing done to it; nodes
	 * in flight finish. May be NULL.
	 */
	volatile sig_atomic_t *stop;
};

/* Whether F was told to start no further node (fleet.stop). */
static inline bool fleet_stopped(const struct fleet *f)
{
	return f->stop && *f->stop;
}


/* T's profile: its own (f->node_settings), else DFLT. */
const char *fleet_profile(const struct fleet *f, const struct target *t, const char *dflt);

/* T's activation: its own, else DFLT. */
const char *fleet_activate(const struct fleet *f, const struct target *t, const char *dflt);

/* T's own settings, each NULL when it has none: one look-up for all of them. */
struct node_settings fleet_settings(const struct fleet *f, const struct target *t);

/* The goal NS names, else DFLT. */
enum goal node_settings_goal(const struct node_settings *ns, enum goal dflt);

/* T's goal: its own, else DFLT. */
enum goal fleet_goal(const struct fleet *f, const struct target *t, enum goal dflt);

/* True for a target of the transport "local": the controller itself, reached without SSH. */
bool fleet_is_local(const struct target *t);

/*
 * The executor of T's transport, or NULL with ERR_UNSUPPORTED set (naming the transport and
 * the ones there are) when the fleet has none.
 */
struct executor *fleet_executor(const struct fleet *f, const struct target *t);

/* The same in SET. */
struct executor *fleet_executor_in(const struct executor_set *set, const struct target *t);

/* A node's name in reports and events: target_format's ("local", user@host:port, TRANSPORT:NAME). */
void fleet_node_name(const struct target *t, char *buf, size_t len);

/* Node I of TARGETS as a report's node keeps it: its INDEX, a copy of its TARGET and its NAME. */
void fleet_node_ident(const struct target_list *targets, size_t i, size_t *index, struct target *target,
		      char name[TARGET_FORMAT_MAX]);

/*
 * Run FN(i, JOB) for every node i in [0, N), at most PARALLEL at once, with LOCK (the job's
 * lock over its report) initialised before and destroyed after. Returns pool_run's answer.
 */
int fleet_fanout(size_t n, int parallel, pool_job_fn fn, void *job, pthread_mutex_t *lock);

struct fleet_failure;

/*
 * Connect to T with its executor: *EX and *S on success; else FAIL says why (step
 * "connect") and the error is returned.
 */
int fleet_connect(const struct fleet *f, const struct target *t, struct executor **ex, struct exec_session **s,
		  struct fleet_failure *fail);

/* Why a step failed, kept for the report and the node.failed event. */
struct fleet_failure {
	const char *step;	/* NULL while nothing failed */
	int err;		/* the ERR_* code, 0 when the command ran and exited non-zero */
	int status;		/* the command's exit status, -1 when it did not run to its end */
	char message[512];
	char stderr_tail[FLEET_TAIL + 1];
};

/*
 * Run CMD as step STEP in S. Returns 0 when it ran and exited 0; otherwise fills F (step,
 * status, message, stderr tail) and returns the error, or ERR_IO for a non-zero exit.
 * RES (initialised and released by the caller) keeps the output.
 */
int fleet_step(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *step,
	       const char *cmd, const struct exec_input *in, struct exec_result *res, struct fleet_failure *fail);

/* An activation's limit: the activation timeout, or the step timeout when that is shorter. */
long fleet_activation_limit(const struct fleet *f);

/* fleet_step for an activation, within fleet_activation_limit. */
int fleet_step_activation(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *step,
			  const char *cmd, struct exec_result *res, struct fleet_failure *fail);

/*
 * Judge a command run as step STEP: R is what the executor's run returned, RES what the
 * command did. Returns and fills FAIL as fleet_step does; when the command's stderr names a
 * full disk, an exceeded quota, a read-only file system or a refused permission, the message
 * says that ("copy failed: No space left on device (the node's disk is full)") instead of
 * only the exit status.
 */
int fleet_judge(struct fleet_failure *fail, const char *step, int r, const struct exec_result *res);

/*
 * Read PROFILE in S into GENS, as step STEP. With EXPECTED (may be ""), first `readlink -f`
 * alone: a node on the expected path (the usual case) answers with one exec and no fork,
 * and GENS then holds only current_path. Any other answer gets the full probe (link,
 * generation, path) on the same session. Returns 0, or an error with FAIL filled.
 */
int fleet_read_profile(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *step,
		       const char *profile, const char *expected, struct gen_list *gens, struct fleet_failure *fail);

/* Fill F for a step that failed with error R (message from err_msg()). */
void fleet_fail(struct fleet_failure *fail, const char *step, int r);
/* FAIL as a node not started because the operation was stopped (step "cancelled"). */
void fleet_fail_cancelled(struct fleet_failure *fail);

/*
 * Split probe output: lines starting with "/nix/store/" go to MISSING (may be NULL: then
 * they are an error), the rest to gen_list_parse for PROFILE. Returns 0 or ERR_INVALID.
 */
int fleet_parse_probe(const char *profile, const struct buf *out, struct gen_list *gens, char ***missing,
		      size_t *nmissing);

/* Free a list from fleet_parse_probe. */
void fleet_free_paths(char **paths, size_t n);

/*
 * Append a JSON event with a payload built by the caller, its keys sorted; takes the reference
 * to PAYLOAD (even on failure). Returns 0 (the event's seq in *SEQ when not NULL), ERR_NOMEM,
 * or the ledger's error with its message in err_msg().
 */
int fleet_record(struct ledger *l, const char *topic, const char *deployment, const char *node, void *payload,
		 int64_t *seq);

/* The same with the payload's keys in the order the caller set them. */
int fleet_record_ordered(struct ledger *l, const char *topic, const char *deployment, const char *node, void *payload,
			 int64_t *seq);

/*
 * Keep a report's first ledger error: when R is an error and *ERR is still 0, R goes to *ERR
 * and err_msg() to MSG (LEN bytes). Call it under the report's lock when nodes run in parallel.
 */
void fleet_keep_ledger_error(int r, int *err, char *msg, size_t len);

#endif
