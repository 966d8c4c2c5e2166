/* Dead-man switches left on a node by earlier operations: settled before acting on it, noticed at every contact. */
#include "app/fleet/deadman.h"
#include "util/clock.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define DEADMAN_FIRING_WAIT_MS 60000	/* how long a switch caught firing is waited for */
#define DEADMAN_POLL_MS 500

enum action { ACT_NONE, ACT_CONFIRMED, ACT_DISARMED, ACT_FIRED, ACT_CLEARED };

static const char *action_name(enum action a)
{
	static const char *const names[] = { "none", "confirmed", "disarmed", "fired", "cleared" };

	return names[a];
}

/* The node's switches into SW (*N of them). 0, or an error with FAIL filled. */
static int list_switches(const struct fleet *f, struct executor *ex, struct exec_session *s, struct remote_deadman *sw,
			 size_t *n, struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	int r;

	*n = 0;
	exec_result_init(&res);
	if ((r = remote_deadman_list(&cmd)) == 0 && (r = fleet_step(f, ex, s, "deadman", cmd.data, NULL, &res, fail)) == 0 &&
	    (r = remote_deadman_parse(&res.out, sw, REMOTE_DEADMAN_MAX, n)) < 0)
		fleet_fail(fail, "deadman", r);
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

/* Claim (CLAIM) or remove the N DIRS; RES keeps the output. 0, or an error with FAIL filled. */
static int act_on(const struct fleet *f, struct executor *ex, struct exec_session *s, int claim, char *const *dirs,
		  size_t n, struct exec_result *res, struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(0);
	int r;

	exec_result_release(res);
	exec_result_init(res);
	if ((r = claim ? remote_deadman_claim(&cmd, dirs, n) : remote_deadman_remove(&cmd, dirs, n)) == 0)
		r = fleet_step(f, ex, s, "deadman", cmd.data, NULL, res, fail);
	buf_release(&cmd);
	return r;
}

static int record(const struct fleet *f, const char *topic, const char *deployment, const char *node, json_t *p)
{
	if (!f->ledger) {
		json_decref(p);
		return 0;
	}
	return fleet_record(f->ledger, topic, deployment, node, p, NULL);
}

/* The switch SW that fired: the node's own rollback, under the operation that armed it. */
static int record_fired(const struct fleet *f, const char *node, const struct remote_deadman *sw, const char *by,
			const char *op)
{
	int ok = strcmp(sw->result, "rolled-back") == 0;
	json_t *p = json_pack("{s:b, s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "ok", ok, "by", "node", "path",
			      ok ? sw->now : "", "generation", (json_int_t)sw->gen, "from_path", sw->path, "result",
			      sw->result[0] ? sw->result : "unknown", "switch", sw->dir, "noticed_by", by);

	if (!ok && p)
		json_object_set_new(p, "error", json_string(sw->result[0] ? sw->result : "the switch left no result"));
	return record(f, "node.rollback.complete", sw->op[0] ? sw->op : op, node, p);
}

/* What OP found (SW) and did (A) on NODE. */
static int record_settled(const struct fleet *f, const char *node, const char *op, const struct remote_deadman *sw,
			  enum action a)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "armed_by", sw->op, "path", sw->path, "profile",
			      sw->profile, "action", action_name(a), "generation", (json_int_t)sw->gen, "deadline",
			      (json_int_t)sw->deadline, "switch", sw->dir);

	if (p && a == ACT_FIRED)
		json_object_set_new(p, "result", json_string(sw->result[0] ? sw->result : "unknown"));
	return record(f, "node.deadman.settled", op, node, p);
}

static void count(struct deadman_report *rep, enum action a, const struct remote_deadman *sw)
{
	if (a == ACT_CONFIRMED)
		rep->confirmed++;
	else if (a == ACT_DISARMED)
		rep->disarmed++;
	else if (a == ACT_CLEARED)
		rep->cleared++;
	else if (a == ACT_FIRED) {
		rep->fired++;
		snprintf(rep->fired_by, sizeof(rep->fired_by), "%s", sw->op);
		rep->fired_gen = sw->gen;
		snprintf(rep->fired_result, sizeof(rep->fired_result), "%s", sw->result);
	}
}

/* One pass over the listed switches: their actions decided into ACTS; the ones to claim and to remove listed. */
struct pass {
	struct remote_deadman sw[REMOTE_DEADMAN_MAX];
	enum action acts[REMOTE_DEADMAN_MAX];
	char *claim[REMOTE_DEADMAN_MAX], *rm[REMOTE_DEADMAN_MAX];
	size_t n, nclaim, nrm, firing, busy;
};

/* Decide for each switch of P; fired and cleared ones are recorded here (and removed once recorded). */
static void decide(const struct fleet *f, const char *node, const char *op, const char *want, int late, struct pass *p,
		   struct deadman_report *rep)
{
	size_t i;

	p->nclaim = p->nrm = p->firing = p->busy = 0;
	for (i = 0; i < p->n; i++) {
		struct remote_deadman *sw = &p->sw[i];

		p->acts[i] = ACT_NONE;
		if (sw->fired) {
			p->acts[i] = ACT_FIRED;
			/* Removed only once both are in the ledger: else the next contact records it. */
			if (record_settled(f, node, op, sw, ACT_FIRED) == 0 && record_fired(f, node, sw, "settle", op) == 0)
				p->rm[p->nrm++] = sw->dir;
			count(rep, ACT_FIRED, sw);
		} else if (sw->claimed && sw->alive && !late) {
			p->firing++;
		} else if (sw->claimed) {
			p->acts[i] = ACT_CLEARED;
			if (record_settled(f, node, op, sw, ACT_CLEARED) == 0)
				p->rm[p->nrm++] = sw->dir;
			count(rep, ACT_CLEARED, sw);
		} else {
			p->acts[i] = want && sw->path[0] && strcmp(sw->now, sw->path) == 0 && strcmp(want, sw->path) == 0
					     ? ACT_CONFIRMED
					     : ACT_DISARMED;
			p->claim[p->nclaim++] = sw->dir;
		}
	}
}

/* The claim's answer in OUT: each switch claimed is recorded with its action; "busy" ones counted. */
static void claimed(const struct fleet *f, const char *node, const char *op, const struct buf *out, struct pass *p,
		    struct deadman_report *rep)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		char line[sizeof(p->sw[i].dir) + 16];

		if (p->acts[i] != ACT_CONFIRMED && p->acts[i] != ACT_DISARMED)
			continue;
		snprintf(line, sizeof(line), "claimed %s\n", p->sw[i].dir);
		if (out->len && strstr(out->data, line)) {
			record_settled(f, node, op, &p->sw[i], p->acts[i]);
			count(rep, p->acts[i], &p->sw[i]);
		} else {
			p->busy++;	/* it claimed itself first: firing, seen on the next pass */
		}
	}
}

int deadman_settle(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *node,
		   const char *op, const char *want, struct deadman_report *rep, struct fleet_failure *fail)
{
	struct deadman_report own;
	struct exec_result res;
	struct pass *p = calloc(1, sizeof(*p));
	int64_t give_up = clock_mono_ms() + DEADMAN_FIRING_WAIT_MS;
	int r = 0;

	if (!rep)
		rep = &own;
	memset(rep, 0, sizeof(*rep));
	if (!p)
		return err_set(ERR_NOMEM, "out of memory");
	exec_result_init(&res);
	for (;;) {
		if ((r = list_switches(f, ex, s, p->sw, &p->n, fail)) < 0)
			break;
		decide(f, node, op, want, clock_mono_ms() >= give_up, p, rep);
		if (p->nclaim && (r = act_on(f, ex, s, 1, p->claim, p->nclaim, &res, fail)) < 0)
			break;
		if (p->nclaim)
			claimed(f, node, op, &res.out, p, rep);
		if (p->nrm && (r = act_on(f, ex, s, 0, p->rm, p->nrm, &res, fail)) < 0)
			break;
		if (!p->firing && !p->busy)
			break;
		clock_sleep_ms(DEADMAN_POLL_MS);
	}
	exec_result_release(&res);
	free(p);
	return r;
}

int deadman_notice(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *node,
		   const char *by, struct deadman_report *rep)
{
	struct deadman_report own;
	struct fleet_failure fail = { 0 };
	struct exec_result res;
	struct pass *p = calloc(1, sizeof(*p));
	size_t i;
	int r;

	if (!rep)
		rep = &own;
	memset(rep, 0, sizeof(*rep));
	if (!p)
		return err_set(ERR_NOMEM, "out of memory");
	exec_result_init(&res);
	if ((r = list_switches(f, ex, s, p->sw, &p->n, &fail)) == 0) {
		for (i = 0; i < p->n; i++)
			if (p->sw[i].fired && record_fired(f, node, &p->sw[i], by, NULL) == 0) {
				p->rm[p->nrm++] = p->sw[i].dir;
				count(rep, ACT_FIRED, &p->sw[i]);
			}
		if (p->nrm)
			r = act_on(f, ex, s, 0, p->rm, p->nrm, &res, &fail);
	}
	exec_result_release(&res);
	free(p);
	return r;
}

int deadman_fired_seen(const struct buf *out)
{
	static const char mark[] = "deadman-fired ";

	return out->len >= sizeof(mark) - 1 &&
	       (memcmp(out->data, mark, sizeof(mark) - 1) == 0 || strstr(out->data, "\ndeadman-fired ") != NULL);
}
