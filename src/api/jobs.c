/* Jobs: a thread each, per-node progress, cancel, and their life in the ledger (jobs.h). */
#include "api/jobs.h"
#include "api/api_internal.h"
#include "app/fleet/lease.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/banned.h"

struct api_job {
	struct api_jobs *js;
	char id[JOB_ID_LEN + 1];
	char kind[24];
	char caller[TOKEN_NAME_MAX];
	json_t *request;
	job_run_fn run;
	enum job_state state;
	int64_t created_ms, started_ms, finished_ms;
	struct job_node *nodes;
	size_t n;
	json_t *report;
	char error[1024];
	volatile sig_atomic_t stop;
	bool cancelled;
	bool recovered;			/* read back from the ledger: no thread, no nodes */
};

struct api_jobs {
	struct api *api;
	pthread_mutex_t lock;
	pthread_cond_t ended;
	pthread_cond_t changed;		/* broadcast when CHANGES moves (CLOCK_MONOTONIC) */
	uint64_t changes;		/* a job started, moved a node, ended or was cancelled */
	struct api_job **jobs;		/* oldest first */
	size_t n, cap;
	unsigned running;
};

static const char *const state_names[] = { "queued", "running", "succeeded", "partial", "failed", "cancelled",
					   "interrupted" };

const char *job_state_name(enum job_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "unknown";
}

static int state_parse(const char *s, enum job_state *out)
{
	size_t i;

	for (i = 0; s && i < sizeof(state_names) / sizeof(state_names[0]); i++)
		if (strcmp(s, state_names[i]) == 0) {
			*out = (enum job_state)i;
			return 0;
		}
	return -1;
}

struct api_jobs *jobs_new(struct api *a)
{
	struct api_jobs *js = calloc(1, sizeof(*js));
	pthread_condattr_t ca;

	if (!js)
		return NULL;
	js->api = a;
	pthread_mutex_init(&js->lock, NULL);
	pthread_cond_init(&js->ended, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&js->changed, &ca);
	pthread_condattr_destroy(&ca);
	return js;
}

/* Something about a job changed: those waiting in jobs_wait_change wake. Called with the lock held. */
static void changed(struct api_jobs *js)
{
	js->changes++;
	pthread_cond_broadcast(&js->changed);
}

int jobs_wait_change(struct api_jobs *js, uint64_t *seen, long timeout_ms)
{
	struct timespec until;
	int moved;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&js->lock);
	while (js->changes == *seen && pthread_cond_timedwait(&js->changed, &js->lock, &until) == 0)
		;
	moved = js->changes != *seen;
	*seen = js->changes;
	pthread_mutex_unlock(&js->lock);
	return moved;
}

static void job_free(struct api_job *j)
{
	json_decref(j->request);
	json_decref(j->report);
	free(j->nodes);
	free(j);
}

/* Add J (newest), dropping the oldest finished ones past JOBS_KEPT. Called with the lock held. */
static int keep(struct api_jobs *js, struct api_job *j)
{
	size_t i;

	if (js->n >= JOBS_KEPT) {
		for (i = 0; i < js->n; i++)
			if (js->jobs[i]->state > JOB_RUNNING) {
				job_free(js->jobs[i]);
				memmove(&js->jobs[i], &js->jobs[i + 1], (js->n - i - 1) * sizeof(*js->jobs));
				js->n--;
				break;
			}
	}
	if (js->n == js->cap) {
		size_t cap = js->cap ? js->cap * 2 : 32;
		struct api_job **p = realloc(js->jobs, cap * sizeof(*p));

		if (!p)
			return ERR_NOMEM;
		js->jobs = p;
		js->cap = cap;
	}
	js->jobs[js->n++] = j;
	return 0;
}

static struct api_job *find(struct api_jobs *js, const char *id)
{
	size_t i;

	for (i = 0; i < js->n; i++)
		if (strcmp(js->jobs[i]->id, id) == 0)
			return js->jobs[i];
	return NULL;
}

/* Append TOPIC for job J with PAYLOAD (taken). Returns 0 or the ledger's error. */
static int record(struct api_jobs *js, const char *id, const char *topic, json_t *payload)
{
	struct ledger *l = api_ledger(js->api);
	char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int r;

	json_decref(payload);
	if (!l)
		r = -1;
	else if (!text)
		r = err_set(ERR_NOMEM, "out of memory");
	else
		r = ledger_append1(l, topic, id, NULL, text, NULL);
	free(text);
	if (r < 0)
		log_warn("serve", "job %s: the ledger did not take %s: %s", id, topic, err_msg());
	return r;
}

/* The report's counts, for job.finished. */
static json_t *summary(const struct api_job *j)
{
	size_t i, ok = 0, failed = 0;

	for (i = 0; i < j->n; i++) {
		if (j->nodes[i].done && j->nodes[i].ok)
			ok++;
		else if (j->nodes[i].done)
			failed++;
	}
	return json_pack("{s:I, s:I, s:I}", "nodes", (json_int_t)j->n, "ok", (json_int_t)ok, "failed",
			 (json_int_t)failed);
}

/* The operations a job's report names (a deployment's or a rollback's id, each configuration's): a new array. */
static json_t *report_ids(const json_t *report)
{
	static const char *const keys[] = { "deployment", "rollback" };
	json_t *ids = json_array(), *groups = json_object_get(report, "configurations"), *g;
	size_t i, k;

	for (k = 0; ids && k < sizeof(keys) / sizeof(keys[0]); k++)
		if (json_is_string(json_object_get(report, keys[k])))
			json_array_append(ids, json_object_get(report, keys[k]));
	json_array_foreach(groups, i, g) {
		json_t *id = json_object_get(json_object_get(g, "deployment"), "deployment");

		if (ids && json_is_string(id))
			json_array_append(ids, id);
	}
	return ids;
}

static void *job_thread(void *arg)
{
	struct api_job *j = arg;
	struct api_jobs *js = j->js;
	json_t *report = NULL;
	char msg[1024] = "";
	enum job_state st;
	json_t *p;

	api_work_nice();
	pthread_mutex_lock(&js->lock);
	j->state = JOB_RUNNING;
	j->started_ms = clock_wall_ms();
	changed(js);
	pthread_mutex_unlock(&js->lock);
	st = j->run(j, &report, msg, sizeof(msg));
	pthread_mutex_lock(&js->lock);
	/* Stopped by the server rather than by a caller: whatever was left is interrupted. */
	if (j->stop && !j->cancelled && st != JOB_SUCCEEDED)
		st = JOB_INTERRUPTED;
	else if (j->cancelled && st != JOB_SUCCEEDED)
		st = JOB_CANCELLED;
	j->state = st;
	j->report = report;
	snprintf(j->error, sizeof(j->error), "%s", msg);
	j->finished_ms = clock_wall_ms();
	/* Who asked, and what it did: the operations' own events carry their ids, not the token's name. */
	p = json_pack("{s:s, s:s, s:s, s:o, s:o}", "kind", j->kind, "by", j->caller, "state", job_state_name(st),
		      "result", summary(j), "operations", report_ids(report));
	if (p && msg[0])
		json_object_set_new(p, "error", json_string(msg));
	pthread_mutex_unlock(&js->lock);
	if (st == JOB_INTERRUPTED)
		record(js, j->id, "job.interrupted",
		       json_pack("{s:s, s:s, s:s}", "kind", j->kind, "by", j->caller, "reason",
				 "the server stopped (SIGTERM): nodes in flight finished, the rest were not started"));
	record(js, j->id, "job.finished", p);
	pthread_mutex_lock(&js->lock);
	js->running--;
	pthread_cond_broadcast(&js->ended);
	changed(js);
	pthread_mutex_unlock(&js->lock);
	return NULL;
}

int jobs_start(struct api_jobs *js, const char *kind, const char *caller, json_t *request, job_run_fn run, char *id)
{
	struct api_job *j = calloc(1, sizeof(*j));
	pthread_attr_t attr;
	pthread_t t;
	int r;

	id[0] = '\0';
	if (!j) {
		json_decref(request);
		return err_set(ERR_NOMEM, "out of memory");
	}
	j->js = js;
	j->request = request;
	j->run = run;
	j->created_ms = clock_wall_ms();
	snprintf(j->kind, sizeof(j->kind), "%s", kind);
	snprintf(j->caller, sizeof(j->caller), "%s", caller);
	if ((r = fleet_op_new_id(j->id, sizeof(j->id))) < 0 ||
	    (r = record(js, j->id, "job.accepted",
			json_pack("{s:s, s:s, s:O}", "kind", kind, "by", caller, "request", request))) < 0) {
		job_free(j);
		return r;
	}
	pthread_mutex_lock(&js->lock);
	if ((r = keep(js, j)) < 0) {
		pthread_mutex_unlock(&js->lock);
		job_free(j);
		return r;
	}
	js->running++;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, job_thread, j) != 0) {
		js->running--;
		j->state = JOB_FAILED;
		snprintf(j->error, sizeof(j->error), "cannot start a thread");
		r = err_set(ERR_IO, "cannot start the job's thread");
	}
	pthread_attr_destroy(&attr);
	pthread_mutex_unlock(&js->lock);
	snprintf(id, JOB_ID_LEN + 1, "%s", j->id);
	return r;
}

int jobs_cancel(struct api_jobs *js, const char *id, const char *caller)
{
	struct api_job *j;
	int r = 0;

	pthread_mutex_lock(&js->lock);
	if (!(j = find(js, id)))
		r = err_set(ERR_NOTFOUND, "no job '%s' (GET /api/v1/jobs lists them)", id);
	else if (j->state > JOB_RUNNING)
		r = err_set(ERR_INVALID, "job %s has already ended (%s)", id, job_state_name(j->state));
	else {
		j->cancelled = true;
		j->stop = 1;
		changed(js);
	}
	pthread_mutex_unlock(&js->lock);
	if (r == 0)
		record(js, id, "job.cancel", json_pack("{s:s}", "by", caller));
	return r;
}

unsigned jobs_running(struct api_jobs *js)
{
	unsigned n;

	pthread_mutex_lock(&js->lock);
	n = js->running;
	pthread_mutex_unlock(&js->lock);
	return n;
}

void jobs_stop(struct api_jobs *js)
{
	size_t i;

	pthread_mutex_lock(&js->lock);
	for (i = 0; i < js->n; i++)
		if (js->jobs[i]->state <= JOB_RUNNING)
			js->jobs[i]->stop = 1;
	while (js->running)
		pthread_cond_wait(&js->ended, &js->lock);
	pthread_mutex_unlock(&js->lock);
}

void jobs_free(struct api_jobs *js)
{
	size_t i;

	if (!js)
		return;
	jobs_stop(js);
	for (i = 0; i < js->n; i++)
		job_free(js->jobs[i]);
	free(js->jobs);
	pthread_mutex_destroy(&js->lock);
	pthread_cond_destroy(&js->ended);
	pthread_cond_destroy(&js->changed);
	free(js);
}

/* --- what run functions use --- */

json_t *job_request(struct api_job *j) { return j->request; }
struct api *job_api(struct api_job *j) { return j->js->api; }
const char *job_id(struct api_job *j) { return j->id; }
const char *job_caller(struct api_job *j) { return j->caller; }
volatile sig_atomic_t *job_stop_flag(struct api_job *j) { return &j->stop; }
bool job_cancelled(struct api_job *j) { return j->stop != 0; }

int job_nodes_set(struct api_job *j, const char *const *names, size_t n)
{
	struct job_node *nodes = calloc(n ? n : 1, sizeof(*nodes));
	size_t i;

	if (!nodes)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		snprintf(nodes[i].name, sizeof(nodes[i].name), "%s", names[i]);
	pthread_mutex_lock(&j->js->lock);
	free(j->nodes);
	j->nodes = nodes;
	j->n = n;
	changed(j->js);
	pthread_mutex_unlock(&j->js->lock);
	return 0;
}

void job_node_step(struct api_job *j, size_t i, const char *step, bool done, bool ok)
{
	pthread_mutex_lock(&j->js->lock);
	if (i < j->n) {
		snprintf(j->nodes[i].step, sizeof(j->nodes[i].step), "%s", step);
		j->nodes[i].done = done;
		j->nodes[i].ok = ok;
		changed(j->js);
	}
	pthread_mutex_unlock(&j->js->lock);
}

/* --- views --- */

static json_t *time_or_null(int64_t ms)
{
	char t[CLOCK_UTC_LEN];

	if (!ms)
		return json_null();
	clock_format_utc(ms, t);
	return json_string(t);
}

/* J as GET /jobs/{id} answers it (FULL: with its nodes and report). Called with the lock held. */
static json_t *job_json(const struct api_job *j, bool full)
{
	json_t *doc, *nodes;
	size_t i, done = 0, ok = 0;

	for (i = 0; i < j->n; i++) {
		done += j->nodes[i].done;
		ok += j->nodes[i].done && j->nodes[i].ok;
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I}}", "id", j->id, "kind", j->kind,
			"by", j->caller, "state", job_state_name(j->state), "created", time_or_null(j->created_ms),
			"started", time_or_null(j->started_ms), "finished", time_or_null(j->finished_ms), "progress",
			"nodes", (json_int_t)j->n, "done", (json_int_t)done, "ok", (json_int_t)ok, "failed",
			(json_int_t)(done - ok));
	if (!doc)
		return NULL;
	json_object_set_new(doc, "error", j->error[0] ? json_string(j->error) : json_null());
	if (!full)
		return doc;
	nodes = json_array();
	for (i = 0; nodes && i < j->n; i++)
		json_array_append_new(nodes, json_pack("{s:s, s:s, s:b, s:b}", "node", j->nodes[i].name, "step",
						       j->nodes[i].step, "done", j->nodes[i].done, "ok", j->nodes[i].ok));
	json_object_set_new(doc, "nodes", nodes ? nodes : json_null());
	json_object_set(doc, "request", j->request ? j->request : json_null());
	json_object_set(doc, "report", j->report ? j->report : json_null());
	return doc;
}

json_t *jobs_get_json(struct api_jobs *js, const char *id)
{
	struct api_job *j;
	json_t *doc = NULL;

	pthread_mutex_lock(&js->lock);
	if ((j = find(js, id)))
		doc = job_json(j, true);
	pthread_mutex_unlock(&js->lock);
	return doc;
}

json_t *jobs_list_json(struct api_jobs *js)
{
	json_t *arr = json_array();
	size_t i;

	pthread_mutex_lock(&js->lock);
	for (i = js->n; arr && i-- > 0;)
		json_array_append_new(arr, job_json(js->jobs[i], false));
	pthread_mutex_unlock(&js->lock);
	return json_pack("{s:o}", "jobs", arr);
}

/* --- after a restart --- */

/* One job.* event read back into the jobs kept (ARG: the jobs). */
static int recover_event(const struct ledger_event *ev, void *arg)
{
	struct api_jobs *js = arg;
	json_t *p = json_loads(ev->payload, 0, NULL);
	const char *kind = json_string_value(json_object_get(p, "kind"));
	const char *by = json_string_value(json_object_get(p, "by"));
	struct api_job *j;

	if (!ev->deployment) {
		json_decref(p);
		return 0;
	}
	pthread_mutex_lock(&js->lock);
	j = find(js, ev->deployment);
	if (!j && strcmp(ev->topic, "job.accepted") == 0 && (j = calloc(1, sizeof(*j)))) {
		j->js = js;
		j->recovered = true;
		j->state = JOB_RUNNING;
		snprintf(j->id, sizeof(j->id), "%s", ev->deployment);
		snprintf(j->kind, sizeof(j->kind), "%s", kind ? kind : "");
		snprintf(j->caller, sizeof(j->caller), "%s", by ? by : "");
		j->request = json_incref(json_object_get(p, "request"));
		j->created_ms = clock_parse_utc_ms(ev->time);
		if (keep(js, j) < 0)
			job_free(j), j = NULL;
	}
	if (j && strcmp(ev->topic, "job.finished") == 0) {
		state_parse(json_string_value(json_object_get(p, "state")), &j->state);
		j->finished_ms = clock_parse_utc_ms(ev->time);
		snprintf(j->error, sizeof(j->error), "%s", json_string_value(json_object_get(p, "error")) ?: "");
	} else if (j && strcmp(ev->topic, "job.interrupted") == 0) {
		j->state = JOB_INTERRUPTED;
		j->finished_ms = clock_parse_utc_ms(ev->time);
	}
	pthread_mutex_unlock(&js->lock);
	json_decref(p);
	return 0;
}

int jobs_recover(struct api_jobs *js)
{
	struct ledger *l = api_ledger(js->api);
	struct ledger_filter f = { .topic = "job.*" };
	size_t i;
	int r;

	if (!l)
		return -1;
	if ((r = ledger_scan(l, &f, recover_event, js)) < 0)
		return r;
	for (i = 0; i < js->n; i++) {
		struct api_job *j = js->jobs[i];

		if (j->state > JOB_RUNNING)
			continue;
		j->state = JOB_INTERRUPTED;
		j->finished_ms = clock_wall_ms();
		snprintf(j->error, sizeof(j->error), "its server stopped before it ended");
		log_warn("serve", "job %s (%s) was left running by a server that stopped: recorded interrupted", j->id,
			 j->kind);
		if ((r = record(js, j->id, "job.interrupted",
				json_pack("{s:s, s:s, s:s}", "kind", j->kind, "by", j->caller, "reason",
					  "its server stopped before it ended; the nodes' leases say where each was left"))) < 0)
			return r;
	}
	return 0;
}
