/* The fleet as witness: the text nodes keep, the write at the end of a change, and the check. */
#include "app/ledger/witness.h"
#include "app/ledger/trusted.h"
#include "remote/witness.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

int witness_text(struct ledger *l, struct buf *out)
{
	struct checkpoint cp;
	int r;

	if (!l->trust || !l->trust->checkpoint)
		return err_set(ERR_UNSUPPORTED, "the %s ledger keeps no checkpoints", l->ops->name);
	if ((r = l->trust->checkpoint(l, &cp)) < 0)
		return r;
	return checkpoint_format(&cp, out);
}

int witness_write(struct ledger *l, struct executor *ex, struct exec_session *s, const char *node)
{
	struct buf text = BUF_INIT(0), cmd = BUF_INIT(0);
	struct exec_result res;
	int r;

	if (!l->trust)
		return 0;	/* a bare back end (tests): nothing to witness */
	exec_result_init(&res);
	if ((r = witness_text(l, &text)) == 0 && (r = remote_witness_write(&cmd, text.data)) == 0 &&
	    (r = ex->ops->run(s, cmd.data, NULL, &res)) == 0 && res.status != 0)
		r = err_set(ERR_IO, "writing %s exited %d: %.200s", WITNESS_PATH, res.status,
			    res.err.data ? res.err.data : "");
	if (r < 0)
		log_kv(LOG_WARN, "ledger", "cannot leave the witness", "node", node, "error", err_msg(),
		       (const char *)NULL);
	exec_result_release(&res);
	buf_release(&text);
	buf_release(&cmd);
	return r;
}

const char *witness_state_name(enum witness_state s)
{
	static const char *const names[] = { "ok", "absent", "unaccounted", "unreachable" };

	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

struct witness_job {
	const struct fleet *f;
	struct witness_report *rep;
	pthread_mutex_t lock;
};

/* Judge N's checkpoint (read into N->cp) against the ledger. */
static void judge(struct witness_job *job, struct witness_node *n)
{
	struct ledger *l = job->f->ledger;
	char have[SHA3_256_HEX];
	int r;

	if (l->trust && l->trust->check && (r = l->trust->check(l, &n->cp)) < 0) {
		n->state = WITNESS_UNACCOUNTED;
		snprintf(n->message, sizeof(n->message), "its checkpoint (seq %" PRId64 ", by %s) is not ours: %s",
			 n->cp.seq, n->cp.host, err_msg());
		return;
	}
	if (n->cp.seq > job->rep->head) {
		n->state = WITNESS_UNACCOUNTED;
		snprintf(n->message, sizeof(n->message), "witnessed seq %" PRId64 " (signed by %s at %s), beyond the "
			 "ledger's head %" PRId64 ": the ledger lost events this node saw", n->cp.seq, n->cp.host,
			 n->cp.time, job->rep->head);
		return;
	}
	if ((r = checkpoint_accounted(l, &n->cp, have)) < 0) {
		n->state = WITNESS_UNREACHABLE;
		snprintf(n->message, sizeof(n->message), "cannot read the ledger: %s", err_msg());
	} else if (r == 0) {
		n->state = WITNESS_UNACCOUNTED;
		snprintf(n->message, sizeof(n->message), "witnessed hash %.16s... at seq %" PRId64 " (signed at %s), "
			 "but the ledger's event %" PRId64 " has %.16s...: the ledger was rewritten", n->cp.hash,
			 n->cp.seq, n->cp.time, n->cp.seq, have);
	} else {
		n->state = WITNESS_OK;
		snprintf(n->message, sizeof(n->message), "seq %" PRId64 " accounted for", n->cp.seq);
	}
}

static void read_one(size_t i, void *arg)
{
	struct witness_job *job = arg;
	struct witness_node *n = &job->rep->nodes[i];
	struct fleet_failure fail = { 0 };
	struct buf cmd = BUF_INIT(0);
	struct exec_session *s = NULL;
	struct executor *ex = NULL;
	struct exec_result res;
	const char *out;
	int r;

	exec_result_init(&res);
	err_clear();
	if ((r = fleet_connect(job->f, &n->target, &ex, &s, &fail)) < 0) {
		n->state = WITNESS_UNREACHABLE;
		snprintf(n->message, sizeof(n->message), "%s", fail.message);
		goto out;
	}
	if ((r = remote_witness_read(&cmd)) == 0)
		r = fleet_step(job->f, ex, s, "witness", cmd.data, NULL, &res, &fail);
	ex->ops->disconnect(s);
	out = res.out.data ? res.out.data : "";
	if (r < 0) {
		n->state = WITNESS_UNREACHABLE;
		snprintf(n->message, sizeof(n->message), "%s", fail.message);
	} else if (strncmp(out, WITNESS_NONE, strlen(WITNESS_NONE)) == 0) {
		n->state = WITNESS_ABSENT;
		snprintf(n->message, sizeof(n->message), "no witness at %s", WITNESS_PATH);
	} else if (checkpoint_parse(out, res.out.len, WITNESS_PATH, &n->cp) < 0) {
		n->state = WITNESS_UNACCOUNTED;
		snprintf(n->message, sizeof(n->message), "a malformed witness: %s", err_msg());
	} else {
		judge(job, n);
	}
out:
	pthread_mutex_lock(&job->lock);
	job->rep->ok += n->state == WITNESS_OK;
	job->rep->absent += n->state == WITNESS_ABSENT;
	job->rep->unaccounted += n->state == WITNESS_UNACCOUNTED;
	job->rep->unreachable += n->state == WITNESS_UNREACHABLE;
	pthread_mutex_unlock(&job->lock);
	exec_result_release(&res);
	buf_release(&cmd);
}

static int head_seq(const struct ledger_event *ev, void *arg)
{
	*(int64_t *)arg = ev->seq;
	return 0;
}

int witness_verify(const struct fleet *f, const struct target_list *targets, struct witness_report *rep)
{
	struct witness_job job = { .f = f, .rep = rep };
	int64_t t0 = clock_mono_ms();
	size_t i;
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = ledger_last(f->ledger, NULL, head_seq, &rep->head)) < 0)
		return r;
	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes))))
		return err_set(ERR_NOMEM, "out of memory");
	rep->n = targets->n;
	for (i = 0; i < targets->n; i++) {
		rep->nodes[i].target = targets->items[i];
		fleet_node_name(&targets->items[i], rep->nodes[i].name, sizeof(rep->nodes[i].name));
	}
	r = fleet_fanout(rep->n, f->parallel, read_one, &job, &job.lock);
	rep->ms = clock_mono_ms() - t0;
	return r < 0 ? r : 0;
}

void witness_report_release(struct witness_report *rep)
{
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}

char *witness_report_json(const struct witness_report *rep)
{
	json_t *doc, *nodes = json_array();
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct witness_node *n = &rep->nodes[i];
		json_t *o = json_pack("{s:s, s:s, s:s}", "node", n->name, "state", witness_state_name(n->state), "message",
				      n->message);

		if (o && n->cp.time[0]) {
			json_object_set_new(o, "seq", json_integer((json_int_t)n->cp.seq));
			json_object_set_new(o, "host", json_string(n->cp.host));
			json_object_set_new(o, "time", json_string(n->cp.time));
		}
		json_array_append_new(nodes, o);
	}
	doc = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "ok", rep->unaccounted == 0,
			"head", (json_int_t)rep->head, "witnessed", (json_int_t)rep->ok, "absent", (json_int_t)rep->absent,
			"unaccounted", (json_int_t)rep->unaccounted, "unreachable", (json_int_t)rep->unreachable, "ms",
			(json_int_t)rep->ms, "nodes", nodes);
	return json_render(doc);
}
