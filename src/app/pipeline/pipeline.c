/* The pipeline's state machine: transitions, the work of each state, and the events that record it. */
#include "app/pipeline/pipeline.h"
#include "app/fleet/fleet.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

void pipeline_record(struct pipeline *p, const char *topic, const char *node, json_t *payload)
{
	int r;

	if (!p->ledger) {
		json_decref(payload);
		return;
	}
	if (!payload) {
		/* json_pack fails on memory, or on a string that is not UTF-8. */
		r = err_set(ERR_INVALID, "could not build the payload of %s", topic);
	} else {
		r = fleet_record(p->ledger, topic, p->id, node, payload, NULL);
	}
	fleet_keep_ledger_error(r, &p->ledger_err, p->ledger_msg, sizeof(p->ledger_msg));
}

/*
 * Keep only whole, valid UTF-8 sequences of S, in place. Reasons quote files, servers and
 * Nix, and are cut to fit: a JSON payload cannot hold a broken character.
 */
static void utf8_fix(char *s)
{
	const unsigned char *r = (const unsigned char *)s;
	char *w = s;

	while (*r) {
		size_t n = *r < 0x80 ? 1 : (*r & 0xe0) == 0xc0 ? 2 : (*r & 0xf0) == 0xe0 ? 3 : (*r & 0xf8) == 0xf0 ? 4 : 0;
		size_t i;
		uint32_t cp;

		for (i = 1; i < n; i++)
			if ((r[i] & 0xc0) != 0x80)
				break;
		if (n == 0 || i < n) {
			r++;	/* a stray or cut sequence: dropped */
			continue;
		}
		cp = n == 1 ? r[0] : n == 2 ? (r[0] & 0x1fu) : n == 3 ? (r[0] & 0x0fu) : (r[0] & 0x07u);
		for (i = 1; i < n; i++)
			cp = cp << 6 | (r[i] & 0x3fu);
		/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff)) {
			r++;
			continue;
		}
		memmove(w, r, n);
		w += n;
		r += n;
	}
	*w = '\0';
}

static void set_reason(struct pipeline *p, const char *msg)
{
	snprintf(p->reason, sizeof(p->reason), "%s", msg);
	utf8_fix(p->reason);
}

/* Keep the state's report under NAME in p->stages (taking it), and return a new reference for an event. */
static json_t *keep_stage(struct pipeline *p, const char *name)
{
	json_t *st = p->stage ? p->stage : json_null();

	p->stage = NULL;
	json_object_set_new(p->stages, name, st);
	return json_incref(st);
}

/* A negative return from an op: an error, which rejects with its message. */
static int op_result(struct pipeline *p, int r)
{
	utf8_fix(p->reason);
	if (r >= 0)
		return r;
	set_reason(p, err_msg());
	return PL_FAILED;
}

/* Record TOPIC: whether the stage passed (outcome O), the reason, and STAGE's report. */
static void record_passed(struct pipeline *p, const char *topic, int o, const char *stage)
{
	pipeline_record(p, topic, NULL,
			json_pack("{s:b, s:s, s:o}", "passed", o == PL_OK, "reason", p->reason, "report",
				  keep_stage(p, stage)));
}

/* The work of state S; returns its outcome. */
static int work(struct pipeline *p, enum pipeline_state s)
{
	const struct pipeline_ops *ops = p->ops;
	int o;

	/* ROLLBACK starts with the reason that led to it: its events say why. */
	if (s != PL_ROLLBACK)
		p->reason[0] = '\0';
	switch (s) {
	case PL_SIMULATING:
		pipeline_record(p, "chimera.simulate.start", NULL,
				json_pack("{s:s, s:s}", "platform", ops->platform, "dir", p->dir ? p->dir : "."));
		o = op_result(p, ops->simulate(p));
		pipeline_record(p, "chimera.simulate.complete", NULL,
				json_pack("{s:b, s:s, s:s, s:o}", "passed", o == PL_OK, "outcome", pipeline_outcome_name(o), "reason",
					  p->reason, "report", keep_stage(p, "simulation")));
		return o;
	case PL_HEALING:
		pipeline_record(p, "deploy.heal.intent", NULL,
				json_pack("{s:o}", "fixable", p->intent ? json_incref(p->intent) : json_array()));
		o = op_result(p, ops->heal(p));
		record_passed(p, "deploy.heal.complete", o, "healing");
		return o;
	case PL_CERTIFYING:
		o = op_result(p, ops->certify(p));
		if (o == PL_OK)
			pipeline_record(p, "deploy.certified", NULL,
					json_pack("{s:o}", "certificate", keep_stage(p, "certification")));
		else
			pipeline_record(p, "deploy.certify.refused", NULL,
					json_pack("{s:s, s:o}", "reason", p->reason, "report",
						  keep_stage(p, "certification")));
		return o;
	case PL_DEPLOYING:
		/* The platform records chimera.deploy.start and .complete: nix deploys record their own. */
		o = op_result(p, ops->deploy(p));
		json_decref(keep_stage(p, "deploy"));
		return o;
	case PL_VERIFYING:
		o = op_result(p, ops->verify(p));
		record_passed(p, "chimera.verify.complete", o, "verify");
		return o;
	case PL_ROLLBACK:
		/* The platform records chimera.rollback.triggered and what it did. */
		o = op_result(p, ops->rollback(p));
		json_decref(keep_stage(p, "rollback"));
		p->rollback_failed = o != PL_OK;
		return o;
	default:
		return PL_OK;
	}
}

static void enter(struct pipeline *p, enum pipeline_state s)
{
	p->state = s;
	p->path[p->npath++] = s;
	p->state_ms[s] = 0;
	if (p->on_state)
		p->on_state(p, p->arg);
}

static json_t *path_json(const struct pipeline *p)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < p->npath; i++)
		json_array_append_new(a, json_string(pipeline_state_name(p->path[i])));
	return a;
}

int pipeline_run(struct pipeline *p)
{
	struct deployment_id did;
	int64_t t0 = clock_mono_ms(), ts;
	char why[sizeof(p->reason)] = "";
	json_t *init;
	int i, r;

	for (i = 0; i < PL_STATES; i++)
		p->state_ms[i] = -1;
	p->npath = 0;
	p->rollback_failed = false;
	json_decref(p->stages);
	if (!(p->stages = json_object()))
		return err_set(ERR_NOMEM, "out of memory");
	if (!p->id[0]) {
		if ((r = deployment_id_generate(&did, (uint64_t)clock_wall_ms())) < 0)
			return r;
		deployment_id_format(&did, p->id, sizeof(p->id));
	}
	init = json_pack("{s:s, s:s, s:b, s:b, s:b}", "platform", p->ops->platform, "dir", p->dir ? p->dir : ".",
			 "pipeline", 1, "dry_run", p->flags.dry_run, "no_heal", p->flags.no_heal);
	if (init && p->initiated)
		json_object_update(init, p->initiated);
	json_decref(p->initiated);
	p->initiated = NULL;
	pipeline_record(p, "deploy.initiated", NULL, init);
	enter(p, PL_IDLE);
	while (!pipeline_state_is_final(p->state)) {
		enum pipeline_state from = p->state, to;
		int o;

		ts = clock_mono_ms();
		o = work(p, from);
		p->state_ms[from] = clock_mono_ms() - ts;
		to = pipeline_state_next(from, (enum pipeline_outcome)o, &p->flags);
		if (o != PL_OK)
			snprintf(why, sizeof(why), "%s", p->reason);
		pipeline_record(p, "pipeline.state", NULL,
				json_pack("{s:s, s:s, s:s, s:s, s:I}", "from", pipeline_state_name(from), "to", pipeline_state_name(to),
					  "outcome", pipeline_outcome_name(o), "reason", o == PL_OK ? "" : p->reason, "ms",
					  (json_int_t)p->state_ms[from]));
		enter(p, to);
		if (to == PL_ROLLBACK) {
			ts = clock_mono_ms();
			work(p, PL_ROLLBACK);
			p->state_ms[PL_ROLLBACK] = clock_mono_ms() - ts;
		}
	}
	/* The reason that ended it: the failure that led here, with the rollback's trouble after it. */
	if (p->state == PL_ROLLBACK && p->rollback_failed && p->reason[0] && strcmp(p->reason, why) != 0) {
		char both[sizeof(p->reason)];

		snprintf(both, sizeof(both), "%s; rollback: %s", why, p->reason);
		set_reason(p, both);
	} else if (p->state != PL_SUCCESS) {
		set_reason(p, why);
	} else {
		p->reason[0] = '\0';
	}
	p->ms = clock_mono_ms() - t0;
	pipeline_record(p, "pipeline.complete", NULL,
			json_pack("{s:s, s:o, s:s, s:b, s:I, s:b}", "state", pipeline_state_name(p->state), "states",
				  path_json(p), "reason", p->reason, "rollback_failed", p->rollback_failed, "ms",
				  (json_int_t)p->ms, "dry_run", p->flags.dry_run));
	log_kv(LOG_INFO, "pipeline", pipeline_state_name(p->state), "id", p->id, (const char *)NULL);
	return 0;
}

void pipeline_release(struct pipeline *p)
{
	json_decref(p->stage);
	json_decref(p->stages);
	json_decref(p->intent);
	json_decref(p->initiated);
	p->stage = p->stages = p->intent = p->initiated = NULL;
}

json_t *pipeline_json(const struct pipeline *p)
{
	json_t *ms = json_object();
	size_t i;

	for (i = 0; i < PL_STATES; i++)
		if (p->state_ms[i] >= 0 && !pipeline_state_is_final((enum pipeline_state)i))
			json_object_set_new(ms, pipeline_state_name((enum pipeline_state)i), json_integer(p->state_ms[i]));
	if (p->state == PL_ROLLBACK && p->state_ms[PL_ROLLBACK] >= 0)
		json_object_set_new(ms, "ROLLBACK", json_integer(p->state_ms[PL_ROLLBACK]));
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:b, s:b, s:I, s:o, s:o}", "pipeline", p->id, "platform",
			 p->ops->platform, "state", pipeline_state_name(p->state), "states", path_json(p), "reason", p->reason,
			 "rollback_failed", p->rollback_failed, "dry_run", p->flags.dry_run, "ms", (json_int_t)p->ms,
			 "state_ms", ms, "stages", p->stages ? json_incref(p->stages) : json_object());
}
