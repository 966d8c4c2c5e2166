/* Use case: run one command on many nodes in parallel and record each outcome in the ledger. */
#ifndef CHIMERA_APP_EXEC_H
#define CHIMERA_APP_EXEC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/target.h"
#include "ports/cipher.h"
#include "ports/executor.h"
#include "ports/ledger.h"

#define EXEC_TAIL 2048	/* bytes of each stream kept in the ledger event, with record_output */

struct exec_node {
	struct target target;
	char name[TARGET_FORMAT_MAX];
	const char *step;	/* where it failed: "connect" or "run"; NULL when it ran */
	int err;		/* 0, or the ERR_* of that step */
	char message[512];	/* the error message when err != 0 */
	struct exec_result res;
	int64_t connect_ms;
	int64_t seq;		/* the node.exec event */
};

/* True when the command ran and exited 0. */
int exec_node_ok(const struct exec_node *n);

struct exec_progress {
	void (*node_done)(const struct exec_node *n, size_t done, size_t total, void *arg);
	void *arg;
};

struct exec_ctx {
	const struct executor_set *executors;	/* a target's transport picks one */
	struct ledger *ledger;
	int parallel;
	struct exec_progress progress;	/* may be all NULL */
	const struct cipher *cipher;	/* its SHA-256 digests each node's output for the events */
	/*
	 * false (the default): a node.exec event keeps the output's sizes and SHA-256 digests
	 * only, never its text (a command may print a secret, and the ledger keeps everything
	 * for good); true: also the last EXEC_TAIL bytes of each stream.
	 */
	bool record_output;
	/* Once set (a server's job cancelled or stopping), nodes not yet started fail at "cancelled"; may be NULL. */
	volatile sig_atomic_t *stop;
};

struct exec_report {
	char run_id[32];	/* groups this run's events (their deployment column) */
	struct exec_node *nodes;	/* in target order; owned */
	size_t n;
	size_t ok;
	size_t failed;
	int64_t ms;
	int ledger_err;		/* 0, or the first error writing the ledger */
	char ledger_msg[256];
};

/*
 * Run CMD (a shell command line) on every target with at most ctx->parallel at once. One
 * node failing never stops the others. Appends exec.start, a node.exec per node as it
 * finishes (its output as ctx->record_output says), and exec.complete. REP is filled
 * (release it with exec_report_release) even when nodes fail; returns an error only when
 * nothing could be started (ERR_UNSUPPORTED when ctx->cipher has no SHA-256).
 */
int exec_run(const struct exec_ctx *ctx, const struct target_list *targets, const char *cmd,
	     struct exec_report *rep);

void exec_report_release(struct exec_report *rep);

/* REP as `chimera exec --json` prints it, CMD the command run. The caller frees the text; NULL when out of memory. */
char *exec_report_json(const struct exec_report *rep, const char *cmd);

#endif
