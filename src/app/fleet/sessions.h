/* Use case: long-running commands in tmux sessions on nodes (socket "chimera"), that outlive the connection. */
#ifndef CHIMERA_APP_SESSIONS_H
#define CHIMERA_APP_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/fleet/fleet.h"
#include "remote/sessions.h"
#include "core/target.h"
#include "ports/executor.h"
#include "util/buf.h"

/*
 * Node-side operations over a session S the caller holds (from fleet_connect). NODE names the
 * node in messages (may be NULL). Each runs one command with the executor's default timeout;
 * on failure FAIL is filled (step "start", "list", "kill", "has" or "stage") and the error
 * returned.
 */

/*
 * Start SPEC's session. Returns 0 (*REPLACED, which may be NULL, says whether an old one was
 * killed), ERR_BUSY when the name is taken and SPEC->replace is false ("session 'NAME' already
 * exists on NODE (use --replace)"), ERR_INVALID for a bad SPEC, or the executor's error.
 */
int sessions_start(struct executor *ex, struct exec_session *s, const char *node, const struct session_spec *spec,
		   bool *replaced, struct fleet_failure *fail);

/* Fill L (release it) with the node's sessions, in tmux's order. */
int sessions_list(struct executor *ex, struct exec_session *s, const char *node, struct session_list *l,
		  struct fleet_failure *fail);

/* Kill session NAME; ERR_NOTFOUND when there is none ("no session 'NAME' on NODE"). */
int sessions_kill(struct executor *ex, struct exec_session *s, const char *node, const char *name,
		  struct fleet_failure *fail);

/* 1 when session NAME exists, 0 when not, or an error. */
int sessions_has(struct executor *ex, struct exec_session *s, const char *node, const char *name,
		 struct fleet_failure *fail);

/*
 * Write LEN bytes of FD (from offset 0) to the node as NAME.SUFFIX (see sessions_cmd_stage);
 * PATH (LEN_PATH bytes) gets where it went.
 */
int sessions_stage(struct executor *ex, struct exec_session *s, const char *node, const char *name,
		   const char *suffix, int fd, uint64_t len, char *path, size_t path_len, struct fleet_failure *fail);

/* The fleet form: one operation on many nodes in parallel, one event per node. */

enum session_op { SESSION_OP_START, SESSION_OP_LIST, SESSION_OP_KILL };

struct sessions_request {
	enum session_op op;
	struct session_spec spec;	/* START: what to start; KILL: spec.name */
	/*
	 * START with nix_fd >= 0: those NIX_LEN bytes go to each node (sessions_stage, suffix
	 * "nix") and the session runs `nix-shell FILE --run COMMAND`.
	 */
	int nix_fd;
	uint64_t nix_len;
	const char *store_path;		/* START: recorded in the event (the closure run from), may be NULL */
	/*
	 * NULL, or one entry per target: an entry whose step is set failed before this (a
	 * closure copy): the node is not contacted and reported with that failure.
	 */
	const struct fleet_failure *prior;
	const char *id;			/* the events' deployment column; NULL: a new id */
};

enum session_outcome {
	SESSION_DONE,		/* started, listed or killed */
	SESSION_REPLACED,	/* START with replace: an old one was killed first */
	SESSION_EXISTS,		/* START: the name was taken */
	SESSION_MISSING,	/* KILL: no such session */
	SESSION_FAILED,
};

/* "started"/"listed"/"killed", "replaced", "exists", "missing", "failed" for OP. */
const char *session_outcome_name(enum session_op op, enum session_outcome o);

struct sessions_node {
	struct target target;
	char name[TARGET_FORMAT_MAX];	/* fleet_node_name */
	enum session_outcome outcome;
	struct fleet_failure fail;	/* step set unless DONE or REPLACED */
	struct session_list list;	/* LIST */
	char file[512];			/* START with nix_fd: the file on the node */
	int64_t ms;
	int64_t seq;			/* its event (session.start or session.kill); 0 for none */
};

struct sessions_report {
	char id[32];
	struct sessions_node *nodes;	/* in target order; owned */
	size_t n;
	size_t ok;			/* DONE or REPLACED */
	size_t failed;
	int64_t ms;
	int ledger_err;
	char ledger_msg[256];
};

/*
 * Run REQ on every target, at most F->parallel at once: connect with fleet_connect, then
 * start, list or kill. START records session.start and KILL session.kill per node (with F's
 * ledger, which may be NULL for none). REP is filled (release it) even when nodes fail;
 * returns an error only when nothing could be started.
 */
int sessions_run(const struct fleet *f, const struct target_list *targets, const struct sessions_request *req,
		 struct sessions_report *rep);

void sessions_report_release(struct sessions_report *rep);

/* REP (a LIST) as `chimera sessions --json` prints it. The caller frees the text; NULL when out of memory. */
char *sessions_list_json(const struct sessions_report *rep);

/* REP (a KILL of SESSION) as `chimera sessions kill --json` prints it. The caller frees the text. */
char *sessions_kill_json(const struct sessions_report *rep, const char *session);

/* `chimera attach --print --json`: {"node", "session", "argv"}, the N words of ARGV that would attach. */
char *sessions_attach_json(const char *node, const char *session, char *const *argv, size_t n);

#endif
