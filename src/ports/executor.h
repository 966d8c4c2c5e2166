/* The executor port: sessions to nodes that run commands, behind a struct of function pointers. */
#ifndef CHIMERA_PORTS_EXECUTOR_H
#define CHIMERA_PORTS_EXECUTOR_H

#include <stdint.h>

#include "core/target.h"
#include "util/buf.h"

#define EXEC_OUTPUT_MAX (1024 * 1024)	/* bytes kept of each output stream */

/* What one command did on one node. */
struct exec_result {
	int status;		/* exit status; -1 when it never ran or was killed by a signal */
	char signal[32];	/* the signal that ended it, "" if none */
	struct buf out;		/* stdout, first EXEC_OUTPUT_MAX bytes */
	struct buf err;		/* stderr, likewise */
	int truncated;		/* output went past the cap */
	int64_t ms;		/* wall time of the command */
};

void exec_result_init(struct exec_result *r);
void exec_result_release(struct exec_result *r);

struct executor;
struct exec_session;

struct executor_ops {
	const char *name;
	/*
	 * Open a session to T. On success *OUT is the session, to be closed with
	 * disconnect. On failure returns ERR_IO (cannot reach), ERR_TIMEOUT or ERR_AUTH
	 * with a message naming the target.
	 */
	int (*connect)(struct executor *ex, const struct target *t, struct exec_session **out);
	/*
	 * Run the shell command CMD in S and wait for it (at most the executor's command
	 * timeout). RES (initialised by the caller) gets status and output. Returns 0 when
	 * the command ran to its end whatever its status, or an error when it could not
	 * run or timed out.
	 */
	int (*run)(struct exec_session *s, const char *cmd, struct exec_result *res);
	void (*disconnect)(struct exec_session *s);
	void (*close)(struct executor *ex);
};

struct executor {
	const struct executor_ops *ops;
};

#endif
