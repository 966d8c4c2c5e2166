/*
 * The server's Prometheus metrics (src/api/metrics.c): fed the events deploy_run and
 * watch_run really record (against the fake fleet), requests, nodes and gauges; the text
 * checked sample by sample, every histogram cumulative, and passed to `promtool check
 * metrics`, which must print nothing.
 */
#include "check.h"
#include "fake_fleet.h"

#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/metrics.h"
#include "app/fleet/deploy.h"
#include "app/fleet/watch.h"
#include "core/topics.h"

#define PROMTOOL "/usr/bin/promtool"

/* --- reading the text --- */

static char *render(struct api_metrics *m)
{
	char *text = NULL;
	size_t len = 0;

	assert_int_equal(metrics_render(m, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

/* The value of the sample KEY (its name and labels as rendered), or NAN when there is none. */
static double sample_or_nan(const char *text, const char *key)
{
	size_t n = strlen(key);
	const char *line;

	for (line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line))
		if (strncmp(line, key, n) == 0 && line[n] == ' ')
			return strtod(line + n + 1, NULL);
	return NAN;
}

static double sample(const char *text, const char *key)
{
	double v = sample_or_nan(text, key);

	if (isnan(v))
		fail_msg("no sample '%s' in:\n%s", key, text);
	return v;
}

/* How many lines start with PREFIX. */
static int lines_with(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *line;
	int count = 0;

	for (line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line))
		count += strncmp(line, prefix, n) == 0;
	return count;
}

/*
 * Every histogram series in TEXT: its buckets' le ascending and ending at +Inf, their
 * counts never decreasing, and the +Inf bucket equal to the series' _count. Returns how
 * many series were checked.
 */
static int check_histograms(const char *text)
{
	const char *line, *next;
	char series[512] = "", key[600];
	double last_le = -INFINITY, last_v = 0;
	int nseries = 0;

	for (line = text; *line; line = next) {
		const char *b = strstr(line, "_bucket{"), *le, *eol = strchr(line, '\n');
		size_t slen;

		next = eol ? eol + 1 : line + strlen(line);
		if (!b || b > next || line[0] == '#')
			continue;
		assert_non_null(le = strstr(line, "le=\""));
		slen = (size_t)(le - line);
		assert_true(slen < sizeof(series));
		if (strncmp(series, line, slen) != 0 || series[slen]) {
			assert_true(last_le == -INFINITY || isinf(last_le));	/* the previous series ended at +Inf */
			memcpy(series, line, slen);
			series[slen] = 0;
			last_le = -INFINITY;
			last_v = 0;
			nseries++;
		}
		{
			double l = strncmp(le + 4, "+Inf", 4) == 0 ? INFINITY : strtod(le + 4, NULL);
			double v = strtod(strchr(le, '}') + 2, NULL);

			if (!(l > last_le) || v < last_v)
				fail_msg("histogram buckets not cumulative at: %.*s", (int)(next - line), line);
			last_le = l;
			last_v = v;
			if (isinf(l)) {
				/* NAME_bucket{LABELS,le="+Inf"} -> NAME_count{LABELS} */
				size_t nlen = (size_t)(b - line), llen = slen - nlen - strlen("_bucket{");

				if (llen)
					snprintf(key, sizeof(key), "%.*s_count{%.*s}", (int)nlen, line, (int)llen - 1,
						 b + strlen("_bucket{"));
				else
					snprintf(key, sizeof(key), "%.*s_count", (int)nlen, line);
				assert_true(sample(text, key) == v);
			}
		}
	}
	assert_true(nseries == 0 || isinf(last_le));
	return nseries;
}

/* Run promtool check metrics on TEXT: its exit status, and what it printed into OUT. */
static int promtool(const char *text, char *out, size_t len)
{
	char dir[4096], file[4200], cmd[4400];
	FILE *p;
	size_t n = 0, got;
	int status;

	if (access(PROMTOOL, X_OK) != 0)
		fail_msg("%s is missing: install the prometheus package (scripts/deps.sh)", PROMTOOL);
	assert_int_equal(scratch_make(dir, sizeof(dir), "metrics"), 0);
	snprintf(file, sizeof(file), "%s/metrics.txt", dir);
	assert_int_equal(fs_write_file(file, text, strlen(text), 0600), 0);
	snprintf(cmd, sizeof(cmd), "%s check metrics < '%s' 2>&1", PROMTOOL, file);
	assert_non_null(p = popen(cmd, "r"));
	while (n + 1 < len && (got = fread(out + n, 1, len - 1 - n, p)) > 0)
		n += got;
	out[n] = 0;
	status = pclose(p);
	unlink(file);
	rmdir(dir);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void assert_promtool_clean(const char *text)
{
	char out[8192];
	int status = promtool(text, out, sizeof(out));

	if (status != 0 || out[0])
		fail_msg("promtool check metrics said (status %d):\n%s\non:\n%s", status, out, text);
}

/* --- feeding the events a fake fleet's ledger recorded --- */

struct feed {
	struct api_metrics *m;
	int64_t base;		/* seqs go on from the previous ledger's */
	int64_t last;
};

static int feed_one(const struct ledger_event *ev, void *arg)
{
	struct feed *f = arg;
	struct ledger_event e = *ev;

	e.seq = f->base + ev->seq;
	f->last = e.seq;
	metrics_event(f->m, &e);
	return 0;
}

/* Every event FL kept, in order, as the hub hands them over. */
static void feed_ledger(struct feed *f, struct fake_ledger *fl)
{
	struct ledger_filter all = { 0 };

	fl->replay = 1;
	assert_int_equal(fl->base.ops->scan(&fl->base, &all, feed_one, f), 0);
	f->base = f->last;
}

/* One more event of TOPIC with payload P (a reference is taken), after the last one fed. */
static void feed_payload(struct feed *f, const char *topic, const char *node, json_t *p)
{
	char *text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	struct ledger_event ev = { .seq = ++f->base, .topic = topic, .node = node, .payload = text };

	assert_non_null(text);
	f->last = ev.seq;
	metrics_event(f->m, &ev);
	free(text);
	json_decref(p);
}

static struct deploy_opts opts_for(struct fake_fleet *ff)
{
	return (struct deploy_opts){ .source = &ff->source, .profile = PROFILE_DEFAULT, .activate = "auto",
				     .tmp_dir = ff->dir };
}

/* A deploy to web1, web2 and web3 (web2 unreachable, web3's activation failing): a partial one. */
static struct fake_fleet *partial_deploy(void)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2,web3");
	struct deploy_opts o = opts_for(ff);
	struct deploy_report rep;

	ff->nodes[1].unreachable = 1;
	snprintf(ff->nodes[2].fail_activate, sizeof(ff->nodes[2].fail_activate), "%s", P_NEW);
	assert_int_equal(deploy_run(&ff->ctx, &ff->targets, &o, &rep), 0);
	assert_int_equal(rep.ok, 1);
	assert_int_equal(rep.failed, 2);
	deploy_report_release(&rep);
	return ff;
}

/* One watch round with healing over web1 (congruent), web2 (drifted), web3 (unreachable); web2's heal fails when FAIL. */
static struct fake_fleet *watch_round(int fail)
{
	struct fake_fleet *ff = fake_fleet_new("web1,web2,web3");
	struct watch_config cfg = { .source = &ff->source };
	struct watch_opts o = { .configs = &cfg, .nconfigs = 1, .profile = PROFILE_DEFAULT, .activate = "auto",
				.probe_timeout_s = 5, .rounds = 1, .heal = 1, .max_heal_attempts = 3,
				.tmp_dir = ff->dir };
	struct watch_hooks hooks = { 0 };
	volatile sig_atomic_t stop = 0, reload = 0;
	struct watch_round last;
	size_t i;

	for (i = 0; i < ff->nix.nclosure; i++)
		fake_node_store(&ff->nodes[0], ff->nix.closure[i]);
	fake_node_gen(&ff->nodes[0], 2, P_NEW);
	snprintf(ff->nodes[0].system, sizeof(ff->nodes[0].system), "%s", P_NEW);
	ff->nodes[2].unreachable = 1;
	if (fail)
		snprintf(ff->nodes[1].fail_activate, sizeof(ff->nodes[1].fail_activate), "%s", P_NEW);
	assert_int_equal(watch_run(&ff->ctx, &ff->targets, &o, &hooks, &stop, &reload, &last), 0);
	assert_int_equal(last.healed, fail ? 0 : 1);
	assert_int_equal(last.failed, fail ? 1 : 0);
	return ff;
}

/* The step seconds the node events of FL carry, as the metrics must count them: count and sum per step. */
static void steps_of(const struct fake_ledger *fl, size_t count[STEP_COUNT], double sum[STEP_COUNT])
{
	int i, s;

	memset(count, 0, sizeof(size_t) * STEP_COUNT);
	memset(sum, 0, sizeof(double) * STEP_COUNT);
	for (i = 0; i < fl->n; i++) {
		json_t *steps = json_object_get(fl->payload[i], "steps");

		if (strcmp(fl->topic[i], "node.deploy.complete") != 0 && strcmp(fl->topic[i], "node.failed") != 0)
			continue;
		assert_true(json_is_object(steps));
		for (s = 0; s < STEP_COUNT; s++) {
			json_t *v = json_object_get(steps, deploy_step_name((enum deploy_step)s));

			if (v) {
				assert_true(json_is_integer(v));
				count[s]++;
				sum[s] += (double)json_integer_value(v) / 1000.0;
			}
		}
	}
}

/* How many distinct topics FL kept. */
static int distinct_topics(const struct fake_ledger *fl)
{
	int i, j, n = 0;

	for (i = 0; i < fl->n; i++) {
		for (j = 0; j < i && strcmp(fl->topic[i], fl->topic[j]) != 0; j++)
			;
		n += j == i;
	}
	return n;
}

static double step_sample(const char *text, const char *what, const char *step, const char *le)
{
	char key[256];

	if (le)
		snprintf(key, sizeof(key), "chimera_deploy_step_seconds_bucket{step=\"%s\",le=\"%s\"}", step, le);
	else
		snprintf(key, sizeof(key), "chimera_deploy_step_seconds_%s{step=\"%s\"}", what, step);
	return sample(text, key);
}

/* --- the tests --- */

/* A partial deploy's own events: its result, each node's step seconds, the topics and the head. */
static void test_deploy_events(void **state)
{
	struct fake_fleet *ff = partial_deploy();
	struct api_metrics *m = metrics_new();
	struct feed f = { .m = m };
	size_t count[STEP_COUNT], total = 0;
	double sum[STEP_COUNT], le1, le25;
	json_t *p;
	char *text;
	int s;

	(void)state;
	assert_non_null(m);
	feed_ledger(&f, &ff->fl);
	text = render(m);
	assert_true(sample(text, "chimera_deployments_total{result=\"partial\"}") == 1);
	assert_true(sample(text, "chimera_deployments_total{result=\"success\"}") == 0);
	assert_true(sample(text, "chimera_deployments_total{result=\"failed\"}") == 0);
	assert_true(sample(text, "chimera_deployments_total{result=\"build failed\"}") == 0);
	assert_true(sample(text, "chimera_ledger_events_total{topic=\"node.failed\"}") == 2);
	assert_true(sample(text, "chimera_ledger_events_total{topic=\"deploy.initiated\"}") == 1);
	assert_true(sample(text, "chimera_ledger_events_total{topic=\"node.deploy.complete\"}") == 1);
	assert_true(sample(text, "chimera_ledger_head_seq") == ff->fl.n);
	assert_int_equal(lines_with(text, "chimera_ledger_events_total{"), distinct_topics(&ff->fl));

	/*
	 * Each step each node finished: all three connected, web1 and web3 copied, only web1
	 * activated (a step that fails has no time in node.failed's steps).
	 */
	steps_of(&ff->fl, count, sum);
	assert_int_equal(count[STEP_CONNECT], 3);
	assert_int_equal(count[STEP_COPY], 2);
	assert_int_equal(count[STEP_ACTIVATE], 1);
	for (s = 0; s < STEP_COUNT; s++) {
		const char *name = deploy_step_name((enum deploy_step)s);

		total += count[s];
		assert_true(step_sample(text, "count", name, NULL) == (double)count[s]);
		assert_true(step_sample(text, NULL, name, "+Inf") == (double)count[s]);
		assert_true(fabs(step_sample(text, "sum", name, NULL) - sum[s]) < 1e-9);
	}
	assert_true(total >= 7);
	assert_int_equal(check_histograms(text), STEP_COUNT + 1);
	le1 = step_sample(text, NULL, "copy", "1");
	le25 = step_sample(text, NULL, "copy", "2.5");
	free(text);

	/* The same payload with a copy of 1.5 s lands between le="1" and le="2.5". */
	p = json_deep_copy(events_payload(&ff->fl, "node.deploy.complete", "root@web1:22"));
	assert_non_null(p);
	json_object_set_new(json_object_get(p, "steps"), "copy", json_integer(1500));
	feed_payload(&f, "node.deploy.complete", "root@web1:22", p);
	text = render(m);
	assert_true(step_sample(text, NULL, "copy", "1") == le1);
	assert_true(step_sample(text, NULL, "copy", "2.5") == le25 + 1);
	assert_true(step_sample(text, "count", "copy", NULL) == (double)count[STEP_COPY] + 1);
	assert_true(fabs(step_sample(text, "sum", "copy", NULL) - sum[STEP_COPY] - 1.5) < 1e-9);
	assert_true(sample(text, "chimera_ledger_head_seq") == ff->fl.n + 1);
	assert_promtool_clean(text);
	free(text);
	metrics_free(m);
	fake_fleet_free(ff);
}

/* A successful deploy counts as success; a dry run is not a deployment. */
static void test_deploy_results(void **state)
{
	struct fake_fleet *ok = fake_fleet_new("web1,web2"), *dry = fake_fleet_new("web1");
	struct deploy_opts o = opts_for(ok), d = opts_for(dry);
	struct api_metrics *m = metrics_new();
	struct feed f = { .m = m };
	struct deploy_report rep;
	char *text;

	(void)state;
	assert_int_equal(deploy_run(&ok->ctx, &ok->targets, &o, &rep), 0);
	assert_int_equal(rep.failed, 0);
	deploy_report_release(&rep);
	d.dry_run = 1;
	assert_int_equal(deploy_run(&dry->ctx, &dry->targets, &d, &rep), 0);
	deploy_report_release(&rep);
	assert_string_equal(events_str(events_payload(&dry->fl, "chimera.deploy.complete", NULL), "result"), "success");
	feed_ledger(&f, &ok->fl);
	feed_ledger(&f, &dry->fl);
	text = render(m);
	assert_true(sample(text, "chimera_deployments_total{result=\"success\"}") == 1);
	assert_true(sample(text, "chimera_deployments_total{result=\"partial\"}") == 0);
	assert_true(sample(text, "chimera_ledger_events_total{topic=\"chimera.deploy.complete\"}") == 2);
	assert_true(sample(text, "chimera_ledger_head_seq") == ok->fl.n + dry->fl.n);
	free(text);
	metrics_free(m);
	fake_fleet_free(ok);
	fake_fleet_free(dry);
}

/* Two watch rounds, one heal that worked and one that failed; a round's ms into the histogram. */
static void test_watch_events(void **state)
{
	struct fake_fleet *healed = watch_round(0), *failed = watch_round(1);
	struct api_metrics *m = metrics_new();
	struct feed f = { .m = m };
	double le5, le10, sum;
	json_t *p;
	char *text;

	(void)state;
	feed_ledger(&f, &healed->fl);
	feed_ledger(&f, &failed->fl);
	text = render(m);
	assert_true(sample(text, "chimera_heals_total{result=\"healed\"}") == 1);
	assert_true(sample(text, "chimera_heals_total{result=\"failed\"}") == 1);
	assert_true(sample(text, "chimera_watch_rounds_total") == 2);
	assert_true(sample(text, "chimera_watch_round_seconds_count") == 2);
	assert_true(sample(text, "chimera_watch_round_seconds_bucket{le=\"+Inf\"}") == 2);
	assert_true(sample(text, "chimera_ledger_events_total{topic=\"watch.round\"}") == 2);
	assert_true(sample(text, "chimera_ledger_events_total{topic=\"watch.node.unreachable\"}") == 2);
	/* The heals deployed: their steps are deploy steps too (the failed one's activation has no time). */
	assert_true(sample(text, "chimera_deploy_step_seconds_count{step=\"copy\"}") == 2);
	assert_true(sample(text, "chimera_deploy_step_seconds_count{step=\"activate\"}") == 1);
	assert_true(sample(text, "chimera_ledger_head_seq") == healed->fl.n + failed->fl.n);
	assert_true(check_histograms(text) >= 1 + STEP_COUNT);
	le5 = sample(text, "chimera_watch_round_seconds_bucket{le=\"5\"}");
	le10 = sample(text, "chimera_watch_round_seconds_bucket{le=\"10\"}");
	sum = sample(text, "chimera_watch_round_seconds_sum");
	free(text);

	/* A real round's payload that took 7 s. */
	p = json_deep_copy(events_payload(&healed->fl, "watch.round", NULL));
	assert_non_null(p);
	assert_true(json_is_integer(json_object_get(p, "ms")));
	json_object_set_new(p, "ms", json_integer(7000));
	feed_payload(&f, "watch.round", NULL, p);
	text = render(m);
	assert_true(sample(text, "chimera_watch_rounds_total") == 3);
	assert_true(sample(text, "chimera_watch_round_seconds_bucket{le=\"5\"}") == le5);
	assert_true(sample(text, "chimera_watch_round_seconds_bucket{le=\"10\"}") == le10 + 1);
	assert_true(fabs(sample(text, "chimera_watch_round_seconds_sum") - sum - 7) < 1e-9);
	assert_promtool_clean(text);
	free(text);
	metrics_free(m);
	fake_fleet_free(healed);
	fake_fleet_free(failed);
}

/* Requests by route pattern and status, their latency buckets, and label values escaped. */
static void test_requests(void **state)
{
	struct api_metrics *m = metrics_new();
	char *text;

	(void)state;
	metrics_request(m, "/api/v1/machines/{name}", 200, 0.003);
	metrics_request(m, "/api/v1/machines/{name}", 200, 0.004);
	metrics_request(m, "/api/v1/machines/{name}", 404, 0.0001);
	metrics_request(m, "/api/v1/status", 200, 0.2);
	metrics_request(m, NULL, 404, 0.00001);
	metrics_request(m, "/x\"y\\z\nw", 503, 0.5);
	metrics_request(m, "/api/v1/status", 42, 0.001);
	text = render(m);
	assert_true(sample(text, "chimera_api_requests_total{route=\"/api/v1/machines/{name}\",code=\"200\"}") == 2);
	assert_true(sample(text, "chimera_api_requests_total{route=\"/api/v1/machines/{name}\",code=\"404\"}") == 1);
	assert_true(sample(text, "chimera_api_requests_total{route=\"/api/v1/status\",code=\"200\"}") == 1);
	assert_true(sample(text, "chimera_api_requests_total{route=\"/api/v1/status\",code=\"other\"}") == 1);
	assert_true(sample(text, "chimera_api_requests_total{route=\"unmatched\",code=\"404\"}") == 1);
	assert_true(sample(text, "chimera_api_requests_total{route=\"/x\\\"y\\\\z\\nw\",code=\"503\"}") == 1);
	assert_true(sample(text, "chimera_api_request_seconds_bucket{route=\"/api/v1/machines/{name}\",le=\"0.0005\"}") ==
		    1);
	assert_true(sample(text, "chimera_api_request_seconds_bucket{route=\"/api/v1/machines/{name}\",le=\"0.0025\"}") ==
		    1);
	assert_true(sample(text, "chimera_api_request_seconds_bucket{route=\"/api/v1/machines/{name}\",le=\"0.005\"}") ==
		    3);
	assert_true(sample(text, "chimera_api_request_seconds_count{route=\"/api/v1/machines/{name}\"}") == 3);
	assert_true(fabs(sample(text, "chimera_api_request_seconds_sum{route=\"/api/v1/machines/{name}\"}") - 0.0071) <
		    1e-12);
	assert_true(sample(text, "chimera_api_request_seconds_bucket{route=\"/api/v1/status\",le=\"0.1\"}") == 1);
	assert_true(sample(text, "chimera_api_request_seconds_bucket{route=\"/api/v1/status\",le=\"0.25\"}") == 2);
	assert_true(sample(text, "chimera_api_request_seconds_bucket{route=\"/x\\\"y\\\\z\\nw\",le=\"+Inf\"}") == 1);
	assert_int_equal(check_histograms(text), 4 + STEP_COUNT + 1);
	assert_promtool_clean(text);
	free(text);
	metrics_free(m);
}

/* Routes past the cap are counted as route="other"; topics past the catalog's size as topic="other". */
static void test_caps(void **state)
{
	struct api_metrics *m = metrics_new();
	struct ledger_event ev = { 0 };
	size_t ncat, i;
	char name[64], *text;

	(void)state;
	topics_all(&ncat);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "/api/v1/r%zu", i);
		metrics_request(m, name, 200, 0.001);
	}
	for (i = 0; i < ncat + 10; i++) {
		snprintf(name, sizeof(name), "test.t%zu", i);
		ev.seq = (int64_t)i + 1;
		ev.topic = name;
		ev.payload = "{}";
		metrics_event(m, &ev);
	}
	text = render(m);
	assert_int_equal(lines_with(text, "chimera_api_requests_total{route=\"/api/v1/r"), 64);
	assert_true(sample(text, "chimera_api_requests_total{route=\"other\",code=\"200\"}") == 36);
	assert_true(sample(text, "chimera_api_request_seconds_count{route=\"other\"}") == 36);
	assert_int_equal(lines_with(text, "chimera_ledger_events_total{topic=\"test.t"), (int)ncat);
	assert_true(sample(text, "chimera_ledger_events_total{topic=\"other\"}") == 10);
	assert_true(sample(text, "chimera_ledger_head_seq") == (double)(ncat + 10));
	assert_promtool_clean(text);
	free(text);
	metrics_free(m);
}

/* Nodes by state, and the gauges the server sets (an unknown name refused). */
static void test_nodes_and_gauges(void **state)
{
	struct api_metrics *m = metrics_new();
	struct metrics_nodes n = { .congruent = 3, .drifted = 1, .unreachable = 2, .quarantined = 0, .unknown = 4 };
	char *text;

	(void)state;
	text = render(m);
	assert_true(sample(text, "chimera_nodes{state=\"congruent\"}") == 0);
	assert_true(sample(text, "chimera_sse_subscribers") == 0);
	free(text);
	metrics_nodes(m, &n);
	metrics_gauge(m, "chimera_sse_subscribers", 7);
	metrics_gauge(m, "chimera_jobs_running", 2);
	metrics_gauge(m, "chimera_api_connections", 12);
	metrics_gauge(m, "chimera_bogus", 5);
	assert_true(metrics_gauge_known("chimera_jobs_running"));
	assert_false(metrics_gauge_known("chimera_bogus"));
	assert_false(metrics_gauge_known(NULL));
	text = render(m);
	assert_true(sample(text, "chimera_nodes{state=\"congruent\"}") == 3);
	assert_true(sample(text, "chimera_nodes{state=\"drifted\"}") == 1);
	assert_true(sample(text, "chimera_nodes{state=\"unreachable\"}") == 2);
	assert_true(sample(text, "chimera_nodes{state=\"quarantined\"}") == 0);
	assert_true(sample(text, "chimera_nodes{state=\"unknown\"}") == 4);
	assert_true(sample(text, "chimera_sse_subscribers") == 7);
	assert_true(sample(text, "chimera_jobs_running") == 2);
	assert_true(sample(text, "chimera_api_connections") == 12);
	assert_null(strstr(text, "chimera_bogus"));
	assert_promtool_clean(text);
	free(text);
	metrics_free(m);
}

static void *parked(void *arg)
{
	int *fds = arg;
	char c;

	return read(fds[0], &c, 1) == 1 ? arg : NULL;
}

/* The process figures follow the process: two more descriptors, one more thread. */
static void test_process(void **state)
{
	struct api_metrics *m = metrics_new();
	double fds, threads, now = (double)time(NULL);
	pthread_t t;
	int pipefd[2];
	char *text;

	(void)state;
	text = render(m);
	fds = sample(text, "process_open_fds");
	threads = sample(text, "process_threads");
	assert_true(fds >= 3);
	assert_true(threads >= 1);
	assert_true(sample(text, "process_resident_memory_bytes") > 0);
	assert_true(sample(text, "process_virtual_memory_bytes") >= sample(text, "process_resident_memory_bytes"));
	assert_true(sample(text, "process_cpu_seconds_total") >= 0);
	assert_true(sample(text, "process_max_fds") >= fds);
	assert_true(fabs(sample(text, "process_start_time_seconds") - now) < 120);
	free(text);
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(pthread_create(&t, NULL, parked, pipefd), 0);
	text = render(m);
	assert_true(sample(text, "process_open_fds") == fds + 2);
	assert_true(sample(text, "process_threads") == threads + 1);
	free(text);
	assert_int_equal(write(pipefd[1], "x", 1), 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(pipefd[0]);
	close(pipefd[1]);
	metrics_free(m);
}

struct hammer {
	struct api_metrics *m;
	int id;
	int failed;	/* renders that failed (checked by the main thread) */
};

static void *hammer(void *arg)
{
	struct hammer *h = arg;
	struct ledger_event ev = { .topic = "watch.node.healed", .payload = "{\"drift\":\"x\",\"path\":\"y\"}" };
	int i;

	for (i = 0; i < 1000; i++) {
		char *text = NULL;

		metrics_request(h->m, h->id % 2 ? "/api/v1/status" : "/api/v1/machines", 200, 0.001);
		ev.seq = h->id * 1000 + i + 1;
		metrics_event(h->m, &ev);
		if (i % 100 == 0) {
			h->failed += metrics_render(h->m, &text, NULL) != 0 || !text;
			free(text);
		}
	}
	return NULL;
}

/* Four threads feeding and rendering at once lose nothing. */
static void test_threads(void **state)
{
	struct api_metrics *m = metrics_new();
	struct hammer h[4];
	pthread_t t[4];
	char *text;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		h[i] = (struct hammer){ .m = m, .id = i };
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(h[i].failed, 0);
	}
	text = render(m);
	assert_true(sample(text, "chimera_api_requests_total{route=\"/api/v1/status\",code=\"200\"}") == 2000);
	assert_true(sample(text, "chimera_api_requests_total{route=\"/api/v1/machines\",code=\"200\"}") == 2000);
	assert_true(sample(text, "chimera_heals_total{result=\"healed\"}") == 4000);
	assert_true(sample(text, "chimera_ledger_head_seq") == 4000);
	free(text);
	metrics_free(m);
}

/* The promtool check itself fails on bad text, so a clean answer means something. */
static void test_promtool_catches(void **state)
{
	char out[8192];

	(void)state;
	assert_int_not_equal(promtool("# TYPE x counter\nx{a=\"b} 1\n", out, sizeof(out)), 0);
	assert_true(out[0] != 0);
	assert_int_equal(promtool("# HELP y_total Y.\n# TYPE y_total counter\ny_total 1\n", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* its lint, which the metrics must not trip either */
	promtool("# HELP z_ms Z.\n# TYPE z_ms counter\nz_ms 1\n", out, sizeof(out));
	assert_true(out[0] != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deploy_events), cmocka_unit_test(test_deploy_results),
		cmocka_unit_test(test_watch_events),  cmocka_unit_test(test_requests),
		cmocka_unit_test(test_caps),	      cmocka_unit_test(test_nodes_and_gauges),
		cmocka_unit_test(test_process),	      cmocka_unit_test(test_threads),
		cmocka_unit_test(test_promtool_catches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
