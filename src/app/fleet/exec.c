/* Use case: run one command on many nodes in parallel and record each outcome in the ledger. */
#include "app/fleet/exec.h"
#include "app/fleet/fleet.h"
#include "core/ids.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/log.h"
#include "util/pool.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

struct exec_job {
	const struct exec_ctx *ctx;
	struct exec_report *rep;
	const char *cmd;
	const char *cmd_text;	/* CMD as valid UTF-8, for events */
	pthread_mutex_t lock;
	size_t done;
};

int exec_node_ok(const struct exec_node *n)
{
	return n->err == 0 && n->res.status == 0;
}

/* Valid UTF-8 text of the last EXEC_TAIL bytes of B; the caller frees it. */
static char *tail_text(const struct buf *b)
{
	struct buf out = BUF_INIT(0);
	size_t start = b->len > EXEC_TAIL ? b->len - EXEC_TAIL : 0;

	/* Start on a character boundary. */
	while (start > 0 && start < b->len && ((unsigned char)b->data[start] & 0xc0) == 0x80)
		start++;
	json_utf8_clean(b->data + start, b->len - start, &out);
	return buf_detach(&out, NULL);
}

/* STREAM's size and SHA-256 into P as NAME_bytes and NAME_sha256 (null when it cannot be digested). */
static void output_digest(const struct exec_job *job, json_t *p, const char *name, const struct buf *stream)
{
	uint8_t md[CIPHER_SHA256_LEN];
	char hex[CIPHER_SHA256_LEN * 2 + 1], key[32];

	snprintf(key, sizeof(key), "%s_bytes", name);
	json_object_set_new(p, key, json_integer((json_int_t)stream->len));
	snprintf(key, sizeof(key), "%s_sha256", name);
	if (job->ctx->cipher->ops->sha256(job->ctx->cipher, stream->data, stream->len, md) < 0) {
		json_object_set_new(p, key, json_null());
		return;
	}
	hex_encode(md, sizeof(md), hex);
	json_object_set_new(p, key, json_string(hex));
}

/*
 * Append N's node.exec event: the output's sizes and digests, and its text only when the
 * run records output. Returns 0 or the ledger's error (message in err_msg).
 */
static int record_node(struct exec_job *job, struct exec_node *n)
{
	json_t *p = json_object();
	char *so = NULL, *se = NULL;
	int r;

	json_object_set_new(p, "command", json_string(job->cmd_text));
	json_object_set_new(p, "ok", json_boolean(exec_node_ok(n)));
	json_object_set_new(p, "exit", n->err == 0 && n->res.status >= 0 ? json_integer(n->res.status) : json_null());
	if (n->res.signal[0])
		json_object_set_new(p, "signal", json_string(n->res.signal));
	if (n->err) {
		json_object_set_new(p, "step", json_string(n->step));
		json_object_set_new(p, "error", json_string(n->message));
	}
	json_object_set_new(p, "connect_ms", json_integer(n->connect_ms));
	json_object_set_new(p, "run_ms", json_integer(n->res.ms));
	output_digest(job, p, "stdout", &n->res.out);
	output_digest(job, p, "stderr", &n->res.err);
	json_object_set_new(p, "truncated", json_boolean(n->res.truncated));
	if (job->ctx->record_output) {
		so = tail_text(&n->res.out);
		se = tail_text(&n->res.err);
		json_object_set_new(p, "stdout_tail", json_string(so ? so : ""));
		json_object_set_new(p, "stderr_tail", json_string(se ? se : ""));
	}
	r = fleet_record_ordered(job->ctx->ledger, "node.exec", job->rep->run_id, n->name, p, &n->seq);
	free(so);
	free(se);
	return r;
}

static void exec_one(size_t i, void *arg)
{
	struct exec_job *job = arg;
	struct executor *ex = NULL;
	struct exec_node *n = &job->rep->nodes[i];
	struct exec_session *s = NULL;
	int64_t t0 = clock_mono_ms();
	int r;

	err_clear();
	if (job->ctx->stop && *job->ctx->stop)
		r = err_set(ERR_BUSY, "not started: the operation was stopped before this node's turn (nothing was"
				      " run on it)");
	else if (!(ex = fleet_executor_in(job->ctx->executors, &n->target)))
		r = ERR_UNSUPPORTED;
	else
		r = ex->ops->connect(ex, &n->target, &s);
	n->connect_ms = clock_mono_ms() - t0;
	if (r < 0) {
		n->step = job->ctx->stop && *job->ctx->stop && !ex ? "cancelled" : "connect";
	} else {
		r = ex->ops->run(s, job->cmd, NULL, &n->res);
		if (r < 0)
			n->step = "run";
		ex->ops->disconnect(s);
	}
	if (r < 0) {
		n->err = r;
		snprintf(n->message, sizeof(n->message), "%s", err_msg());
	}
	if (log_enabled(LOG_INFO)) {
		char status[32];

		snprintf(status, sizeof(status), "%d", n->res.status);
		log_kv(n->err ? LOG_WARN : LOG_INFO, "exec", n->err ? "node failed" : "node done", "node", n->name,
		       "step", n->step ? n->step : "run", "exit", status, "error", n->err ? n->message : "",
		       (const char *)NULL);
	}
	/* The ledger orders appends itself; the lock only guards the report and progress. */
	r = record_node(job, n);
	pthread_mutex_lock(&job->lock);
	fleet_keep_ledger_error(r, &job->rep->ledger_err, job->rep->ledger_msg, sizeof(job->rep->ledger_msg));
	if (exec_node_ok(n))
		job->rep->ok++;
	else
		job->rep->failed++;
	job->done++;
	if (job->ctx->progress.node_done)
		job->ctx->progress.node_done(n, job->done, job->rep->n, job->ctx->progress.arg);
	pthread_mutex_unlock(&job->lock);
}

static int record_edge(struct exec_job *job, const char *topic, json_t *p)
{
	return fleet_record_ordered(job->ctx->ledger, topic, job->rep->run_id, NULL, p, NULL);
}

/* Give REP one node per target, named, with an empty result. Returns 0 or ERR_NOMEM. */
static int exec_nodes(struct exec_report *rep, const struct target_list *targets)
{
	size_t i;

	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes))))
		return err_set(ERR_NOMEM, "out of memory");
	rep->n = targets->n;
	for (i = 0; i < targets->n; i++) {
		rep->nodes[i].target = targets->items[i];
		target_format(&targets->items[i], rep->nodes[i].name, sizeof(rep->nodes[i].name));
		exec_result_init(&rep->nodes[i].res);
	}
	return 0;
}

int exec_run(const struct exec_ctx *ctx, const struct target_list *targets, const char *cmd,
	     struct exec_report *rep)
{
	struct exec_job job = { .ctx = ctx, .rep = rep, .cmd = cmd };
	struct buf cmd_text = BUF_INIT(0);
	struct deployment_id id;
	int64_t t0 = clock_mono_ms();
	int r;

	memset(rep, 0, sizeof(*rep));
	if (!ctx->cipher || !ctx->cipher->ops->sha256)
		return err_set(ERR_UNSUPPORTED, "exec: no SHA-256 to digest the output with");
	if ((r = deployment_id_generate(&id, (uint64_t)clock_wall_ms())) < 0)
		return r;
	if ((r = json_utf8_clean(cmd, strlen(cmd), &cmd_text)) < 0)
		return r;
	job.cmd_text = cmd_text.data;
	deployment_id_format(&id, rep->run_id, sizeof(rep->run_id));
	if ((r = exec_nodes(rep, targets)) < 0)
		goto out;
	if ((r = record_edge(&job, "exec.start",
			     json_pack("{s:s, s:I}", "command", job.cmd_text, "targets", (json_int_t)targets->n))) < 0)
		goto out;
	r = fleet_fanout(targets->n, ctx->parallel, exec_one, &job, &job.lock);
	if (r < 0)
		goto out;
	rep->ms = clock_mono_ms() - t0;
	r = record_edge(&job, "exec.complete",
			json_pack("{s:I, s:I, s:I}", "ok", (json_int_t)rep->ok, "failed", (json_int_t)rep->failed,
				  "ms", (json_int_t)rep->ms));
	fleet_keep_ledger_error(r, &rep->ledger_err, rep->ledger_msg, sizeof(rep->ledger_msg));
	r = 0;
out:
	buf_release(&cmd_text);
	return r;
}

void exec_report_release(struct exec_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		exec_result_release(&rep->nodes[i].res);
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}
