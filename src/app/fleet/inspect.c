/* Use cases that read the fleet: congruence status and generation lists. */
#include "app/fleet/inspect.h"
#include "app/fleet/deadman.h"
#include "core/ids.h"
#include "remote/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/pool.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

const char *congruence_name(enum congruence c)
{
	switch (c) {
	case NODE_CONGRUENT: return "congruent";
	case NODE_DRIFTED: return "drifted";
	case NODE_UNREACHABLE: return "unreachable";
	default: return "unknown";
	}
}

/*
 * Connect to T and probe it as step "probe": with CMD, run it once into RES; without, read
 * PROFILE into GENS (see fleet_read_profile). Returns 0, or an error with FAIL filled.
 */
static int probe(const struct fleet *f, const struct target *t, const char *cmd, struct exec_result *res,
		 const char *profile, const char *expected, struct gen_list *gens, struct fleet_failure *fail)
{
	struct executor *ex;
	struct exec_session *s;
	int r;

	if ((r = fleet_connect(f, t, &ex, &s, fail)) < 0)
		return r;
	if (cmd)
		r = fleet_step(f, ex, s, "probe", cmd, NULL, res, fail);
	else
		r = fleet_read_profile(f, ex, s, "probe", profile, "", gens, fail);	/* in full: drifted, or no profile */
	ex->ops->disconnect(s);
	return r;
}

/* OUT without its remote_deadman_fired lines, in REST. */
static int without_fired(const struct buf *out, struct buf *rest)
{
	const char *p = out->data, *end = out->data + out->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		if (!(len >= 14 && memcmp(p, "deadman-fired ", 14) == 0) && buf_add(rest, p, len) < 0)
			return err_set(ERR_NOMEM, "out of memory");
		p += len;
	}
	return 0;
}

/*
 * Status's probe of N in one command: the dead-man glob, then the profile resolved (with
 * EXPECTED) or in full. A switch seen fired is recorded (deadman_notice) and named in N. On
 * EXPECTED but with its files gone from the disk, N->reason says so.
 */
static int probe_status(const struct fleet *f, struct status_node *n, const char *profile, const char *expected,
			struct gen_list *gens, struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(0), rest = BUF_INIT(0);
	struct exec_result res;
	struct executor *ex;
	struct exec_session *s;
	size_t len;
	int r, seen = 0, absent = 0;

	if ((r = fleet_connect(f, &n->target, &ex, &s, fail)) < 0)
		return r;
	exec_result_init(&res);
	if ((r = remote_deadman_fired(&cmd)) < 0 ||
	    (r = expected[0] ? remote_probe_present(&cmd, profile) : remote_probe_current(&cmd, profile)) < 0)
		goto out;
	r = fleet_step(f, ex, s, "probe", cmd.data, NULL, &res, fail);
	seen = deadman_fired_seen(&res.out);
	if (r == 0 && (r = without_fired(&res.out, &rest)) == 0) {
		absent = expected[0] && remote_absent_take(&rest);
		for (len = rest.len; len && rest.data[len - 1] == '\n'; len--)
			;
		if (!expected[0]) {
			if ((r = fleet_parse_probe(profile, &rest, gens, NULL, NULL)) < 0)
				fleet_fail(fail, "probe", r);
		} else if (len == strlen(expected) && memcmp(rest.data, expected, len) == 0) {
			snprintf(gens->current_path, sizeof(gens->current_path), "%s", expected);
			if (absent)
				snprintf(n->reason, sizeof(n->reason), "the profile's path %s is missing on disk", expected);
		} else {
			r = -1;
		}
	}
	if (r != 0 && expected[0]) {
		memset(fail, 0, sizeof(*fail));
		r = fleet_read_profile(f, ex, s, "probe", profile, "", gens, fail);	/* in full: drifted, or no profile */
	}
	if (seen) {
		struct deadman_report dr;

		if (deadman_notice(f, ex, s, n->name, "status", &dr) == 0 && dr.fired) {
			snprintf(n->deadman_by, sizeof(n->deadman_by), "%s", dr.fired_by);
			n->deadman_gen = dr.fired_gen;
			snprintf(n->deadman_result, sizeof(n->deadman_result), "%s", dr.fired_result);
		}
	}
out:
	ex->ops->disconnect(s);
	exec_result_release(&res);
	buf_release(&cmd);
	buf_release(&rest);
	return r;
}

struct status_job {
	const struct fleet *f;
	const char *profile;
	struct status_report *rep;
	status_done_fn done_fn;
	void *arg;
	pthread_mutex_t lock;
	size_t done;
};

static void status_one(size_t i, void *arg)
{
	struct status_job *job = arg;
	struct status_node *n = &job->rep->nodes[i];
	struct fleet_failure fail = { 0 };
	struct gen_list gens;
	int64_t t0 = clock_mono_ms();
	int r;

	gen_list_init(&gens);
	r = probe_status(job->f, n, fleet_profile(job->f, &n->target, job->profile), job->rep->expected, &gens, &fail);
	if (r < 0) {
		n->state = fail.step && strcmp(fail.step, "connect") == 0 ? NODE_UNREACHABLE : NODE_UNKNOWN;
		snprintf(n->reason, sizeof(n->reason), "%s", fail.message);
	} else {
		snprintf(n->actual, sizeof(n->actual), "%s", gens.current_path);
		n->generation = gens.current;
		n->state = strcmp(n->actual, job->rep->expected) == 0 && !n->reason[0] ? NODE_CONGRUENT : NODE_DRIFTED;
		if (n->state == NODE_DRIFTED && !n->reason[0] && gens.warning[0])
			snprintf(n->reason, sizeof(n->reason), "%s", gens.warning);	/* a malformed generation link */
	}
	n->ms = clock_mono_ms() - t0;
	n->seen_ms = clock_wall_ms();
	gen_list_release(&gens);
	pthread_mutex_lock(&job->lock);
	if (n->state == NODE_CONGRUENT)
		job->rep->congruent++;
	else if (n->state == NODE_UNREACHABLE)
		job->rep->unreachable++;
	job->done++;
	if (job->done_fn)
		job->done_fn(n, job->done, job->rep->n, job->arg);
	pthread_mutex_unlock(&job->lock);
}

static int status_setup(struct status_report *rep, const struct target_list *targets, const char *expected)
{
	size_t i;

	memset(rep, 0, sizeof(*rep));
	snprintf(rep->expected, sizeof(rep->expected), "%s", expected ? expected : "");
	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes))))
		return err_set(ERR_NOMEM, "out of memory");
	rep->n = targets->n;
	for (i = 0; i < targets->n; i++) {
		fleet_node_ident(targets, i, &rep->nodes[i].index, &rep->nodes[i].target, rep->nodes[i].name);
		rep->nodes[i].state = NODE_UNKNOWN;
	}
	return 0;
}

/* Append one node.observed per node and status.complete, in one batch. */
static int status_record(struct ledger *l, const struct status_report *rep, const char *profile)
{
	struct ledger_new *evs = calloc(rep->n + 1, sizeof(*evs));
	char **texts = calloc(rep->n + 1, sizeof(*texts));
	struct deployment_id id;
	char run[DEPLOYMENT_ID_LEN + 1];
	size_t i;
	int r = 0;

	if (!evs || !texts) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = deployment_id_generate(&id, (uint64_t)clock_wall_ms())) < 0)
		goto out;
	deployment_id_format(&id, run, sizeof(run));
	for (i = 0; i <= rep->n; i++) {
		json_t *p;

		if (i < rep->n) {
			const struct status_node *n = &rep->nodes[i];

			p = json_pack("{s:s, s:s, s:s, s:s, s:I}", "profile", profile, "state", congruence_name(n->state),
				      "expected", rep->expected, "reason", n->reason, "generation", (json_int_t)n->generation);
			if (p && n->state != NODE_UNREACHABLE && n->state != NODE_UNKNOWN)
				json_object_set_new(p, "path", json_string(n->actual));
			evs[i].topic = "node.observed";
			evs[i].node = n->name;
		} else {
			p = json_pack("{s:s, s:s, s:I, s:I, s:I}", "profile", profile, "expected", rep->expected, "nodes",
				      (json_int_t)rep->n, "congruent", (json_int_t)rep->congruent, "ms", (json_int_t)rep->ms);
			evs[i].topic = "status.complete";
		}
		texts[i] = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(p);
		if (!texts[i]) {
			r = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		evs[i].deployment = run;
		evs[i].payload = texts[i];
	}
	r = ledger_append(l, evs, rep->n + 1, NULL);
out:
	if (texts)
		for (i = 0; i <= rep->n; i++)
			free(texts[i]);
	free(texts);
	free(evs);
	return r;
}

int status_run(const struct fleet *f, const struct target_list *targets, const char *profile, const char *expected,
	       status_done_fn done, void *arg, struct status_report *rep)
{
	struct status_job job = { .f = f, .profile = profile, .rep = rep, .done_fn = done, .arg = arg };
	int64_t t0 = clock_mono_ms();
	int r;

	if ((r = profile_path_check(profile)) < 0 || (r = status_setup(rep, targets, expected)) < 0)
		return r;
	r = fleet_fanout(rep->n, f->parallel, status_one, &job, &job.lock);
	rep->ms = clock_mono_ms() - t0;
	if (r == 0 && f->ledger)
		fleet_keep_ledger_error(status_record(f->ledger, rep, profile), &rep->ledger_err, rep->ledger_msg,
					sizeof(rep->ledger_msg));
	return r;
}

/* The last known profile target of each node, folded from the ledger. */
struct known {
	struct status_report *rep;
	const struct target_list *targets;
	struct status_node **by_name;	/* the report's nodes sorted by name, for bsearch */
};

static int node_name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct status_node *const *)a)->name, (*(struct status_node *const *)b)->name);
}

static int node_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct status_node *const *)elem)->name);
}

static int fold_known(const struct ledger_event *ev, void *arg)
{
	struct known *k = arg;
	json_t *p;
	const char *path = NULL, *deployed = NULL;
	size_t i;

	struct status_node **hit;

	if (!ev->node || !(hit = bsearch(ev->node, k->by_name, k->rep->n, sizeof(*k->by_name), node_key_cmp)))
		return 0;
	i = (size_t)(*hit - k->rep->nodes);
	if (!(p = json_loads(ev->payload, 0, NULL)))
		return 0;
	if (strcmp(ev->topic, "node.deploy.complete") == 0) {
		path = deployed = json_string_value(json_object_get(p, "path"));
	} else if (strcmp(ev->topic, "node.rollback.complete") == 0) {
		path = json_string_value(json_object_get(p, "ended_path"));
		if (!path && json_is_true(json_object_get(p, "ok")))
			path = json_string_value(json_object_get(p, "path"));
		deployed = path;
	} else if (strcmp(ev->topic, "node.observed") == 0) {
		path = json_string_value(json_object_get(p, "path"));
	}
	if (path) {
		struct status_node *n = &k->rep->nodes[i];
		int y, mo, d, h, mi, s, ms;

		snprintf(n->actual, sizeof(n->actual), "%s", path);
		n->state = NODE_DRIFTED;
		if (sscanf(ev->time, "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms) == 7) {
			struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
					 .tm_sec = s };

			n->seen_ms = (int64_t)timegm(&tm) * 1000 + ms;
		}
		if (deployed)
			snprintf(n->last_deployed, sizeof(n->last_deployed), "%s", deployed);
	}
	json_decref(p);
	return 0;
}

int status_cached(struct ledger *l, const struct target_list *targets, const char *expected, struct status_report *rep)
{
	struct known k = { rep, targets, NULL };
	struct ledger_filter flt = { .topic = "node.*" };
	int64_t t0 = clock_mono_ms();
	size_t i;
	int r;

	if ((r = status_setup(rep, targets, expected)) < 0)
		return r;
	if (!(k.by_name = malloc((rep->n ? rep->n : 1) * sizeof(*k.by_name))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < rep->n; i++)
		k.by_name[i] = &rep->nodes[i];
	qsort(k.by_name, rep->n, sizeof(*k.by_name), node_name_cmp);
	r = ledger_scan(l, &flt, fold_known, &k);
	free(k.by_name);
	if (r < 0)
		return r;
	for (i = 0; i < rep->n; i++) {
		struct status_node *n = &rep->nodes[i];
		const char *want = rep->expected[0] ? rep->expected : n->last_deployed;

		if (!n->seen_ms) {
			n->state = NODE_UNKNOWN;
			snprintf(n->reason, sizeof(n->reason), "nothing known about this node in the ledger");
			continue;
		}
		n->state = want[0] && strcmp(n->actual, want) == 0 ? NODE_CONGRUENT : NODE_DRIFTED;
		if (n->state == NODE_CONGRUENT)
			rep->congruent++;
	}
	rep->ms = clock_mono_ms() - t0;
	return 0;
}

void status_report_release(struct status_report *rep)
{
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}

struct gens_job {
	const struct fleet *f;
	const char *profile;
	struct gens_report *rep;
	pthread_mutex_t lock;
};

static void gens_one(size_t i, void *arg)
{
	struct gens_job *job = arg;
	struct gens_node *n = &job->rep->nodes[i];
	const char *profile = fleet_profile(job->f, &n->target, job->profile);
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	int r;

	exec_result_init(&res);
	if ((r = remote_probe_generations(&cmd, profile)) == 0)
		r = probe(job->f, &n->target, cmd.data, &res, NULL, NULL, NULL, &n->fail);
	if (r == 0 && (r = fleet_parse_probe(profile, &res.out, &n->gens, NULL, NULL)) < 0)
		fleet_fail(&n->fail, "probe", r);
	n->ok = r == 0;
	exec_result_release(&res);
	buf_release(&cmd);
	pthread_mutex_lock(&job->lock);
	if (n->ok)
		job->rep->ok++;
	pthread_mutex_unlock(&job->lock);
}

int generations_run(const struct fleet *f, const struct target_list *targets, const char *profile,
		    struct gens_report *rep)
{
	struct gens_job job = { .f = f, .profile = profile, .rep = rep };
	int64_t t0 = clock_mono_ms();
	size_t i;
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((r = profile_path_check(profile)) < 0)
		return r;
	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes))))
		return err_set(ERR_NOMEM, "out of memory");
	rep->n = targets->n;
	for (i = 0; i < targets->n; i++) {
		fleet_node_ident(targets, i, &rep->nodes[i].index, &rep->nodes[i].target, rep->nodes[i].name);
		gen_list_init(&rep->nodes[i].gens);
	}
	r = fleet_fanout(rep->n, f->parallel, gens_one, &job, &job.lock);
	rep->ms = clock_mono_ms() - t0;
	return r;
}

void gens_report_release(struct gens_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		gen_list_release(&rep->nodes[i].gens);
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}
