/*
 * The server's Prometheus metrics (docs/metrics.md): what the hub, the router and the
 * server feed in, kept under one mutex, rendered as text format 0.0.4. Payloads are
 * parsed before the lock is taken, /proc is read outside it: the lock only guards adds.
 */
#include "api/metrics.h"
#include "api/metrics_internal.h"
#include "app/fleet/deploy.h"
#include "core/topics.h"
#include "util/buf.h"
#include "util/err.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define HIST_MAX 16		/* finite bucket bounds at most; +Inf is kept past them */
#define ROUTES_MAX 64		/* distinct route labels; the rest are counted as route="other" */
#define ROUTE_LEN_MAX 200	/* a longer route is counted as route="other" */
#define RESULT_OTHER "other"

struct hist {
	uint64_t bucket[HIST_MAX + 1];	/* per bucket, not cumulative; [n] is past the last bound */
	double sum;
	uint64_t count;
};

/* Bucket bounds, in seconds. */
static const double watch_round_le[] = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600 };
static const double deploy_step_le[] = { 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600 };
static const double request_le[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NLE(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(NLE(watch_round_le) <= HIST_MAX && NLE(deploy_step_le) <= HIST_MAX && NLE(request_le) <= HIST_MAX,
	       "more bucket bounds than struct hist holds");

/* The gauges metrics_gauge takes, with their HELP. */
static const struct {
	const char *name, *help;
} gauge_table[] = {
	{ "chimera_api_connections", "HTTP connections the server has open now." },
	{ "chimera_sse_subscribers", "Server-Sent Events streams open now (GET /api/v1/events/stream)." },
	{ "chimera_jobs_running", "Jobs started by POST requests that are running now." },
};
#define NGAUGES (sizeof(gauge_table) / sizeof(gauge_table[0]))

/* chimera.deploy.complete's results (app/fleet/deploy.c, app/pipeline/platform_web.c). */
static const char *const deploy_results[] = { "success", "partial", "failed", "build failed" };
#define NRESULTS (sizeof(deploy_results) / sizeof(deploy_results[0]))

struct code_count {
	int code;		/* 100..599, or 0: any other, rendered "other" */
	uint64_t n;
};

struct route {
	char *name;
	struct hist h;
	struct code_count *codes;	/* sorted by code */
	size_t ncodes, capcodes;
};

struct topic_count {
	char name[LEDGER_TOPIC_MAX + 1];
	uint64_t n;
};

struct api_metrics {
	pthread_mutex_t lock;
	struct metrics_nodes nodes;
	struct hist watch_round;
	uint64_t watch_rounds;
	struct hist step[STEP_COUNT + 1];	/* by enum deploy_step; [STEP_COUNT]: step="other" */
	uint64_t heals_healed, heals_failed;
	uint64_t deployments[NRESULTS + 1];	/* [NRESULTS]: result="other" */
	struct topic_count *topics;		/* cap: the catalog's size */
	size_t ntopics, captopics;
	uint64_t topics_other;
	int64_t head_seq;
	struct route routes[ROUTES_MAX + 1];	/* [ROUTES_MAX]: route="other" */
	size_t nroutes;
	double gauge[NGAUGES];
	struct metrics_process_start start;
};

struct api_metrics *metrics_new(void)
{
	struct api_metrics *m = calloc(1, sizeof(*m));
	size_t ncat;

	if (!m)
		return NULL;
	topics_all(&ncat);
	m->captopics = ncat;
	m->topics = calloc(ncat ? ncat : 1, sizeof(*m->topics));
	m->routes[ROUTES_MAX].name = strdup("other");
	if (!m->topics || !m->routes[ROUTES_MAX].name || pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m->topics);
		free(m->routes[ROUTES_MAX].name);
		free(m);
		return NULL;
	}
	metrics_process_start(&m->start);
	return m;
}

void metrics_free(struct api_metrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i <= ROUTES_MAX; i++) {
		free(m->routes[i].name);
		free(m->routes[i].codes);
	}
	free(m->topics);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Count V (seconds) into H with bounds LE (N of them). Not finite: not counted; below 0: counted as 0. */
static void hist_observe(struct hist *h, const double *le, size_t n, double v)
{
	size_t i;

	if (!isfinite(v))
		return;
	if (v < 0)
		v = 0;
	for (i = 0; i < n && v > le[i]; i++)
		;
	h->bucket[i]++;
	h->sum += v;
	h->count++;
}

/* --- ledger events --- */

/* What one event adds, read from its payload before the lock is taken. */
struct event_adds {
	double round_s;		/* watch.round's seconds; < 0 when none */
	int is_round;
	int heal;		/* 1 healed, -1 failed, 0 neither */
	int result;		/* index in deploy_results (NRESULTS: other), -1 when no deployment to count */
	size_t nsteps;
	struct {
		int step;	/* enum deploy_step, STEP_COUNT for other */
		double s;
	} steps[STEP_COUNT * 2];
};

/* A JSON number's value, or -1 when J is not a number. */
static double json_num(const json_t *j)
{
	return json_is_number(j) ? json_number_value(j) : -1;
}

static int step_index(const char *name)
{
	int s;

	for (s = 0; s < STEP_COUNT; s++)
		if (strcmp(deploy_step_name((enum deploy_step)s), name) == 0)
			return s;
	return STEP_COUNT;
}

/* The "steps" of node.deploy.complete or node.failed (app/fleet/deploy_node.c): step name -> milliseconds. */
static void read_steps(const json_t *p, struct event_adds *a)
{
	const json_t *steps = json_object_get(p, "steps"), *v;
	const char *k;

	json_object_foreach((json_t *)steps, k, v) {
		double ms = json_num(v);

		if (ms < 0 || a->nsteps >= sizeof(a->steps) / sizeof(a->steps[0]))
			continue;
		a->steps[a->nsteps].step = step_index(k);
		a->steps[a->nsteps].s = ms / 1000.0;
		a->nsteps++;
	}
}

/* chimera.deploy.complete's "result"; a dry run is not counted. */
static int read_result(const json_t *p)
{
	const char *r = json_string_value(json_object_get(p, "result"));
	size_t i;

	if (json_is_true(json_object_get(p, "dry_run")))
		return -1;
	for (i = 0; r && i < NRESULTS; i++)
		if (strcmp(r, deploy_results[i]) == 0)
			return (int)i;
	return (int)NRESULTS;
}

static void read_event(const char *topic, const char *payload, struct event_adds *a)
{
	json_t *p = NULL;

	memset(a, 0, sizeof(*a));
	a->round_s = -1;
	a->result = -1;
	if (strcmp(topic, "watch.node.healed") == 0)
		a->heal = 1;
	else if (strcmp(topic, "watch.node.heal_failed") == 0)
		a->heal = -1;
	a->is_round = strcmp(topic, "watch.round") == 0;
	if (!a->is_round && strcmp(topic, "node.deploy.complete") != 0 && strcmp(topic, "node.failed") != 0 &&
	    strcmp(topic, "chimera.deploy.complete") != 0)
		return;
	if (!payload || !(p = json_loads(payload, 0, NULL)))
		return;
	if (a->is_round) {
		double ms = json_num(json_object_get(p, "ms"));

		a->round_s = ms >= 0 ? ms / 1000.0 : -1;
	} else if (strcmp(topic, "chimera.deploy.complete") == 0) {
		a->result = read_result(p);
	} else {
		read_steps(p, a);
	}
	json_decref(p);
}

/* Count TOPIC; the catalog's size of distinct topics at most, the rest as "other". Under the lock. */
static void count_topic(struct api_metrics *m, const char *topic)
{
	size_t i;

	for (i = 0; i < m->ntopics; i++)
		if (strcmp(m->topics[i].name, topic) == 0) {
			m->topics[i].n++;
			return;
		}
	if (m->ntopics >= m->captopics || strlen(topic) > LEDGER_TOPIC_MAX) {
		m->topics_other++;
		return;
	}
	snprintf(m->topics[m->ntopics].name, sizeof(m->topics[0].name), "%s", topic);
	m->topics[m->ntopics++].n = 1;
}

void metrics_head(struct api_metrics *m, int64_t seq)
{
	pthread_mutex_lock(&m->lock);
	if (seq > m->head_seq)
		m->head_seq = seq;
	pthread_mutex_unlock(&m->lock);
}

void metrics_event(struct api_metrics *m, const struct ledger_event *ev)
{
	struct event_adds a;
	size_t i;

	if (!m || !ev || !ev->topic)
		return;
	read_event(ev->topic, ev->payload, &a);
	pthread_mutex_lock(&m->lock);
	count_topic(m, ev->topic);
	if (ev->seq > m->head_seq)
		m->head_seq = ev->seq;
	if (a.is_round) {
		m->watch_rounds++;
		if (a.round_s >= 0)
			hist_observe(&m->watch_round, watch_round_le, NLE(watch_round_le), a.round_s);
	}
	for (i = 0; i < a.nsteps; i++)
		hist_observe(&m->step[a.steps[i].step], deploy_step_le, NLE(deploy_step_le), a.steps[i].s);
	if (a.heal > 0)
		m->heals_healed++;
	else if (a.heal < 0)
		m->heals_failed++;
	if (a.result >= 0)
		m->deployments[a.result]++;
	pthread_mutex_unlock(&m->lock);
}

/* --- requests, nodes, gauges --- */

/* ROUTE's slot: found, added while there is room, or the "other" one. Under the lock. */
static struct route *route_slot(struct api_metrics *m, const char *route)
{
	size_t i;

	if (!route || !*route)
		route = "unmatched";
	for (i = 0; i < m->nroutes; i++)
		if (strcmp(m->routes[i].name, route) == 0)
			return &m->routes[i];
	if (m->nroutes >= ROUTES_MAX || strlen(route) > ROUTE_LEN_MAX || strcmp(route, "other") == 0 ||
	    !(m->routes[m->nroutes].name = strdup(route)))
		return &m->routes[ROUTES_MAX];
	return &m->routes[m->nroutes++];
}

/* Count CODE on R, the codes kept sorted. Out of memory: not counted. Under the lock. */
static void route_code(struct route *r, int code)
{
	size_t i;

	if (code < 100 || code > 599)
		code = 0;
	for (i = 0; i < r->ncodes && r->codes[i].code < code; i++)
		;
	if (i < r->ncodes && r->codes[i].code == code) {
		r->codes[i].n++;
		return;
	}
	if (r->ncodes == r->capcodes) {
		size_t cap = r->capcodes ? r->capcodes * 2 : 4;
		struct code_count *c = realloc(r->codes, cap * sizeof(*c));

		if (!c)
			return;
		r->codes = c;
		r->capcodes = cap;
	}
	memmove(&r->codes[i + 1], &r->codes[i], (r->ncodes - i) * sizeof(*r->codes));
	r->codes[i].code = code;
	r->codes[i].n = 1;
	r->ncodes++;
}

void metrics_request(struct api_metrics *m, const char *route, int code, double seconds)
{
	struct route *r;

	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	r = route_slot(m, route);
	route_code(r, code);
	hist_observe(&r->h, request_le, NLE(request_le), seconds);
	pthread_mutex_unlock(&m->lock);
}

void metrics_nodes(struct api_metrics *m, const struct metrics_nodes *n)
{
	if (!m || !n)
		return;
	pthread_mutex_lock(&m->lock);
	m->nodes = *n;
	pthread_mutex_unlock(&m->lock);
}

static int gauge_index(const char *name)
{
	size_t i;

	for (i = 0; name && i < NGAUGES; i++)
		if (strcmp(gauge_table[i].name, name) == 0)
			return (int)i;
	return -1;
}

int metrics_gauge_known(const char *name)
{
	return gauge_index(name) >= 0;
}

void metrics_gauge(struct api_metrics *m, const char *name, double value)
{
	int i = gauge_index(name);

	if (!m || i < 0)
		return;
	pthread_mutex_lock(&m->lock);
	m->gauge[i] = value;
	pthread_mutex_unlock(&m->lock);
}

/* --- rendering --- */

/* The text being rendered; the first failure to grow it sticks. */
struct out {
	struct buf b;
	int err;
};

static void oadd(struct out *o, const char *s)
{
	int r = buf_adds(&o->b, s);

	if (r < 0 && !o->err)
		o->err = r;
}

static void oprintf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void oprintf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(&o->b, fmt, ap);
	va_end(ap);
	if (r < 0 && !o->err)
		o->err = r;
}

/* V as Prometheus writes a float: NaN, +Inf, -Inf, integers without a point, else the shortest exact form. */
static const char *fmt_num(char out[40], double v)
{
	int prec;

	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(out, 40, "%.0f", v);
		return out;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return out;
	}
	snprintf(out, 40, "%.17g", v);
	return out;
}

/* Append S as a label value: \\ " and newline escaped; other control and non-ASCII bytes as '?'. */
static void add_label_value(struct out *b, const char *s)
{
	char run[256];
	size_t n = 0;

	for (;; s++) {
		unsigned char c = (unsigned char)*s;

		if (n + 3 > sizeof(run) || !c) {
			run[n] = 0;
			oadd(b, run);
			n = 0;
		}
		if (!c)
			return;
		if (c == '\\' || c == '"')
			run[n++] = '\\', run[n++] = (char)c;
		else if (c == '\n')
			run[n++] = '\\', run[n++] = 'n';
		else
			run[n++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
}

static void add_head(struct out *b, const char *name, const char *type, const char *help)
{
	oprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample: NAME{LABEL="VALUE"} V, without braces when LABEL is NULL. */
static void add_sample(struct out *b, const char *name, const char *label, const char *value, double v)
{
	char num[40];

	oadd(b, name);
	if (label) {
		oprintf(b, "{%s=\"", label);
		add_label_value(b, value);
		oadd(b, "\"}");
	}
	oprintf(b, " %s\n", fmt_num(num, v));
}

/* H's series under NAME (the family's base name), with LABEL="VALUE" first when LABEL is not NULL. */
static void add_hist(struct out *b, const char *name, const char *label, const char *value, const struct hist *h,
		     const double *le, size_t n)
{
	char num[40];
	uint64_t cum = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		cum += h->bucket[i];
		oprintf(b, "%s_bucket{", name);
		if (label) {
			oprintf(b, "%s=\"", label);
			add_label_value(b, value);
			oadd(b, "\",");
		}
		oprintf(b, "le=\"%s\"} %llu\n", i < n ? fmt_num(num, le[i]) : "+Inf", (unsigned long long)cum);
	}
	oprintf(b, "%s_sum", name);
	if (label) {
		oprintf(b, "{%s=\"", label);
		add_label_value(b, value);
		oadd(b, "\"}");
	}
	oprintf(b, " %s\n%s_count", fmt_num(num, h->sum), name);
	if (label) {
		oprintf(b, "{%s=\"", label);
		add_label_value(b, value);
		oadd(b, "\"}");
	}
	oprintf(b, " %llu\n", (unsigned long long)h->count);
}

static void render_fleet(struct out *b, const struct api_metrics *m)
{
	static const char *const states[] = { "congruent", "drifted", "unreachable", "quarantined", "unknown" };
	const unsigned v[] = { m->nodes.congruent, m->nodes.drifted, m->nodes.unreachable, m->nodes.quarantined,
			       m->nodes.unknown };
	size_t i;

	add_head(b, "chimera_nodes", "gauge", "Nodes by their state now.");
	for (i = 0; i < 5; i++)
		add_sample(b, "chimera_nodes", "state", states[i], v[i]);
	add_head(b, "chimera_watch_round_seconds", "histogram", "How long each watch round took (watch.round's ms).");
	add_hist(b, "chimera_watch_round_seconds", NULL, NULL, &m->watch_round, watch_round_le, NLE(watch_round_le));
	add_head(b, "chimera_watch_rounds_total", "counter", "Watch rounds ended (watch.round events).");
	add_sample(b, "chimera_watch_rounds_total", NULL, NULL, (double)m->watch_rounds);
	add_head(b, "chimera_deploy_step_seconds", "histogram",
		 "How long each node's deploy steps took (the steps of node.deploy.complete and node.failed).");
	for (i = 0; i <= STEP_COUNT; i++)
		if (i < STEP_COUNT || m->step[i].count)
			add_hist(b, "chimera_deploy_step_seconds", "step",
				 i < STEP_COUNT ? deploy_step_name((enum deploy_step)i) : "other", &m->step[i],
				 deploy_step_le, NLE(deploy_step_le));
	add_head(b, "chimera_heals_total", "counter",
		 "Heals of watched nodes by result (watch.node.healed, watch.node.heal_failed).");
	add_sample(b, "chimera_heals_total", "result", "healed", (double)m->heals_healed);
	add_sample(b, "chimera_heals_total", "result", "failed", (double)m->heals_failed);
	add_head(b, "chimera_deployments_total", "counter",
		 "Deployments ended, by result (chimera.deploy.complete; dry runs not counted).");
	for (i = 0; i <= NRESULTS; i++)
		if (i < NRESULTS || m->deployments[i])
			add_sample(b, "chimera_deployments_total", "result", i < NRESULTS ? deploy_results[i] : RESULT_OTHER,
				   (double)m->deployments[i]);
}

static void render_ledger(struct out *b, const struct api_metrics *m)
{
	size_t i;

	add_head(b, "chimera_ledger_events_total", "counter", "Ledger events seen by the server, by topic.");
	for (i = 0; i < m->ntopics; i++)
		add_sample(b, "chimera_ledger_events_total", "topic", m->topics[i].name, (double)m->topics[i].n);
	if (m->topics_other)
		add_sample(b, "chimera_ledger_events_total", "topic", "other", (double)m->topics_other);
	add_head(b, "chimera_ledger_head_seq", "gauge", "The newest ledger event's seq the server has seen.");
	add_sample(b, "chimera_ledger_head_seq", NULL, NULL, (double)m->head_seq);
}

/* The K-th route with a label: those added in order, then (K == nroutes) route="other". */
static const struct route *route_at(const struct api_metrics *m, size_t k)
{
	return k < m->nroutes ? &m->routes[k] : &m->routes[ROUTES_MAX];
}

static void render_api(struct out *b, const struct api_metrics *m)
{
	size_t i, j;

	add_head(b, "chimera_api_requests_total", "counter", "API requests answered, by route pattern and status.");
	for (i = 0; i <= m->nroutes; i++) {
		const struct route *r = route_at(m, i);

		for (j = 0; j < r->ncodes; j++) {
			oadd(b, "chimera_api_requests_total{route=\"");
			add_label_value(b, r->name);
			if (r->codes[j].code)
				oprintf(b, "\",code=\"%d\"} %llu\n", r->codes[j].code, (unsigned long long)r->codes[j].n);
			else
				oprintf(b, "\",code=\"other\"} %llu\n", (unsigned long long)r->codes[j].n);
		}
	}
	add_head(b, "chimera_api_request_seconds", "histogram", "How long API requests took to answer, by route pattern.");
	for (i = 0; i <= m->nroutes; i++) {
		const struct route *r = route_at(m, i);

		if (r->h.count)
			add_hist(b, "chimera_api_request_seconds", "route", r->name, &r->h, request_le, NLE(request_le));
	}
	for (i = 0; i < NGAUGES; i++) {
		add_head(b, gauge_table[i].name, "gauge", gauge_table[i].help);
		add_sample(b, gauge_table[i].name, NULL, NULL, m->gauge[i]);
	}
}

static void render_process(struct out *b, const struct metrics_process *p)
{
	add_head(b, "process_cpu_seconds_total", "counter", "User and system CPU time the server has used, in seconds.");
	add_sample(b, "process_cpu_seconds_total", NULL, NULL, p->cpu_seconds);
	add_head(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	add_sample(b, "process_resident_memory_bytes", NULL, NULL, p->resident_bytes);
	add_head(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
	add_sample(b, "process_virtual_memory_bytes", NULL, NULL, p->virtual_bytes);
	add_head(b, "process_open_fds", "gauge", "Open file descriptors.");
	add_sample(b, "process_open_fds", NULL, NULL, p->open_fds);
	add_head(b, "process_max_fds", "gauge", "The most file descriptors the server may open (RLIMIT_NOFILE).");
	add_sample(b, "process_max_fds", NULL, NULL, p->max_fds);
	add_head(b, "process_start_time_seconds", "gauge", "When the server started, in seconds since the Unix epoch.");
	add_sample(b, "process_start_time_seconds", NULL, NULL, p->start_time_seconds);
	add_head(b, "process_threads", "gauge", "Threads in the server's process.");
	add_sample(b, "process_threads", NULL, NULL, p->threads);
}

int metrics_render(struct api_metrics *m, char **out, size_t *len)
{
	struct out b = { BUF_INIT(0), 0 };
	struct metrics_process p;

	*out = NULL;
	if (len)
		*len = 0;
	if (!m)
		return err_set(ERR_INVALID, "no metrics to render");
	metrics_process_read(&p, &m->start);
	pthread_mutex_lock(&m->lock);
	render_fleet(&b, m);
	render_ledger(&b, m);
	render_api(&b, m);
	pthread_mutex_unlock(&m->lock);
	render_process(&b, &p);
	if (b.err) {
		buf_release(&b.b);
		return err_set(ERR_NOMEM, "out of memory rendering the metrics");
	}
	if (!(*out = buf_detach(&b.b, len)))
		return err_set(ERR_NOMEM, "out of memory rendering the metrics");
	return 0;
}
