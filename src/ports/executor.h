/* The executor port: sessions to nodes that run commands, behind a struct of function pointers. */
#ifndef CHIMERA_PORTS_EXECUTOR_H
#define CHIMERA_PORTS_EXECUTOR_H

#include <stdint.h>
#include <string.h>

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

/* Empty R, status -1, with output buffers capped at EXEC_OUTPUT_MAX. */
static inline void exec_result_init(struct exec_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = -1;
	buf_init(&r->out, EXEC_OUTPUT_MAX);
	buf_init(&r->err, EXEC_OUTPUT_MAX);
}

static inline void exec_result_release(struct exec_result *r)
{
	buf_release(&r->out);
	buf_release(&r->err);
}

struct executor;
struct exec_session;

/*
 * Bytes streamed to a command's stdin: HEAD_LEN bytes of HEAD (a line the command reads
 * first; may be NULL), then LEN bytes of the file FD from offset 0 (read with pread).
 */
struct exec_input {
	const char *head;
	size_t head_len;
	int fd;
	uint64_t len;
	/* Called now and then from the running thread with the bytes sent so far; may be NULL. */
	void (*sent)(uint64_t bytes, void *arg);
	void *arg;
};

#define EXEC_WATCH_RESTART 1u	/* the timeout counts again from now */
#define EXEC_WATCH_RELEASE 2u	/* send the held input now */

/* How to run one command; a NULL pointer means all defaults. */
struct exec_opts {
	long timeout_s;			/* cut the command after this long; 0: the executor's default */
	const struct exec_input *input;	/* NULL: stdin is empty */
	/*
	 * A conversation: with HOLD_INPUT, stdin stays open and empty until WATCH returns
	 * EXEC_WATCH_RELEASE; INPUT as it is then (NULL or empty: nothing) is sent, then EOF.
	 */
	int hold_input;
	/*
	 * Called on the running thread after new output has arrived, with all of it so far in
	 * RES; returns EXEC_WATCH_* flags. May be NULL.
	 */
	unsigned (*watch)(const struct exec_result *res, void *arg);
	void *watch_arg;
	/*
	 * With EXEC_WATCH_RESTART, the limit from then on, read at each restart (the watch may
	 * change it: a long step after a short one). NULL, or a value of 0: TIMEOUT_S again.
	 */
	const long *restart_timeout_s;
};

struct executor_ops {
	const char *name;
	/*
	 * Open a session to T. On success *OUT is the session, to be closed with
	 * disconnect. On failure returns ERR_IO (cannot reach), ERR_TIMEOUT or ERR_AUTH
	 * with a message naming the target.
	 */
	int (*connect)(struct executor *ex, const struct target *t, struct exec_session **out);
	/*
	 * Run the shell command CMD in S and wait for it (at most O's timeout, else the
	 * executor's). With O->input, its bytes go to the command's stdin, then EOF. RES
	 * (initialised by the caller) gets status and output. Returns 0 when the command ran
	 * to its end whatever its status; ERR_TIMEOUT when it was cut (the session may then
	 * be unusable); ERR_IO when it could not run or the connection was lost.
	 */
	int (*run)(struct exec_session *s, const char *cmd, const struct exec_opts *o, struct exec_result *res);
	void (*disconnect)(struct exec_session *s);
	void (*close)(struct executor *ex);
};

struct executor {
	const struct executor_ops *ops;
};

#define EXECUTOR_TRANSPORTS_MAX 8

/* The executors an operation runs on, one per transport ("ssh", "local", ...). */
struct executor_set {
	struct {
		char transport[TARGET_TRANSPORT_MAX + 1];
		struct executor *ex;	/* owned by whoever filled the set */
	} items[EXECUTOR_TRANSPORTS_MAX];
	size_t n;
};

/* Add EX (still owned by the caller) as TRANSPORT's executor. Returns 0, or -1 when S is full. */
static inline int executor_set_add(struct executor_set *s, const char *transport, struct executor *ex)
{
	size_t len = strlen(transport);

	if (s->n == EXECUTOR_TRANSPORTS_MAX || len > TARGET_TRANSPORT_MAX)
		return -1;
	memcpy(s->items[s->n].transport, transport, len + 1);
	s->items[s->n++].ex = ex;
	return 0;
}

/* The executor of TRANSPORT ("" means "ssh") in S, or NULL. */
static inline struct executor *executor_set_find(const struct executor_set *s, const char *transport)
{
	size_t i;

	if (!transport[0])
		transport = TARGET_TRANSPORT_SSH;
	for (i = 0; i < s->n; i++)
		if (strcmp(s->items[i].transport, transport) == 0)
			return s->items[i].ex;
	return NULL;
}

#endif
