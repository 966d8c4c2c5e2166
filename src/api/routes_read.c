/* GET routes: the inventory, status, generations, deployments, events, the ledger's check, the watch. */
#include "api/api_internal.h"
#include "api/hub.h"
#include "app/config/machines.h"
#include "app/fleet/inspect.h"
#include "app/fleet/machine_detail.h"
#include "app/ledger/deployments.h"
#include "app/ledger/events.h"
#include "app/ledger/trust_verify.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define EVENTS_LIMIT_DEFAULT 100
#define EVENTS_LIMIT_MAX 10000

/*
 * SPEC's targets (NULL: every machine of the inventory) less the request's ?exclude= into T;
 * answers 400/500 and returns -1 on failure.
 */
int api_targets(struct api_call *c, struct world *w, const char *spec, struct target_list *t)
{
	const char *exclude = httpd_request_query(c->rq, "exclude");
	const struct inventory *inv;
	int r;

	if (exclude && !*exclude)
		exclude = NULL;
	if (!spec) {
		world_inventory(w, &inv);
		if (inv->n == 0) {
			memset(t, 0, sizeof(*t));
			return 0;
		}
		spec = "all";
	}
	api_world_lock(c->api);
	r = world_targets(w, spec, exclude, NULL, t);
	api_world_unlock(c->api);
	if (r < 0) {
		if (r == ERR_INVALID)
			api_error(c, 400, "bad_targets", "%s", err_msg());
		else
			api_error(c, 500, "internal", "%s", err_msg());
		return -1;
	}
	return 0;
}

static int open_fleet(struct api_call *c, struct world *w, struct world_reach *reach, const struct target_list *t,
		      struct world_fleet *wf)
{
	int r;

	api_world_lock(c->api);
	r = world_open_fleet(w, reach, t, wf);
	api_world_unlock(c->api);
	return r;
}

/* The thread's ledger, or a 503 answered and NULL. */
static struct ledger *ledger_or_answer(struct api_call *c)
{
	struct ledger *l = api_ledger(c->api);

	if (!l)
		api_error(c, 503, "ledger_unavailable", "the ledger cannot be opened: %s", err_msg());
	return l;
}

static void get_machines(struct api_call *c)
{
	struct world *w = api_world_get(c->api);
	const struct inventory *inv;

	world_inventory(w, &inv);
	api_json_text(c, 200, machines_list_json(inv));
	api_world_put(c->api, w);
}

static void get_machine(struct api_call *c)
{
	struct world *w = api_world_get(c->api);
	const struct inventory *inv;
	const struct inv_machine *m;
	struct ledger *l;
	json_t *doc;

	world_inventory(w, &inv);
	if (!(m = inventory_find(inv, c->param[0]))) {
		api_error(c, 404, "not_found", "no machine '%s' in chimera.toml (GET %s/machines lists them)",
			  c->param[0], API_PREFIX);
		goto out;
	}
	if (!(l = ledger_or_answer(c)))
		goto out;
	if (!(doc = machine_detail_json(l, inv, m, hub_head(api_hub_of(c->api))))) {
		api_error(c, 500, "ledger", "%s", err_msg());
		goto out;
	}
	api_json(c, 200, doc);
out:
	api_world_put(c->api, w);
}

/*
 * GET /status from the ledger is cached per (world, head): thousands of asks a second read
 * it, and a fleet's document is hundreds of KiB. Each answer sends the cached bytes
 * themselves (httpd_response.shared), held by a count, never a copy.
 */
struct status_doc {
	unsigned refs;		/* the cache's own, and one per answer being sent */
	size_t len;
	char text[];
};

static struct {
	pthread_mutex_t lock;
	uint64_t gen;		/* the world's (api_world_gen): its address could be a later world's */
	int64_t head;
	struct status_doc *doc;
} status_cache = { PTHREAD_MUTEX_INITIALIZER, 0, -1, NULL };

static void status_doc_put(void *arg)
{
	struct status_doc *d = arg;
	bool last;

	pthread_mutex_lock(&status_cache.lock);
	last = --d->refs == 0;
	pthread_mutex_unlock(&status_cache.lock);
	if (last)
		free(d);
}

/* Answer with D (a reference taken for the answer; called with the cache's lock held). */
static void send_doc(struct api_call *c, struct status_doc *d)
{
	d->refs++;
	c->res->status = 200;
	c->res->content_type = "application/json";
	c->res->shared = d->text;
	c->res->shared_len = d->len;
	c->res->shared_release = status_doc_put;
	c->res->shared_arg = d;
}

/* The cached document for (W's load, HEAD) sent, or a new one made, cached and sent. */
static void cached_status(struct api_call *c, struct world *w, struct ledger *l)
{
	int64_t head = hub_head(api_hub_of(c->api));
	struct target_list t = { 0 };
	struct status_report rep = { 0 };
	struct status_doc *d = NULL, *old = NULL;
	char *text = NULL;
	size_t n;

	pthread_mutex_lock(&status_cache.lock);
	if (status_cache.gen == api_world_gen(w) && status_cache.head == head && status_cache.doc) {
		send_doc(c, status_cache.doc);
		pthread_mutex_unlock(&status_cache.lock);
		return;
	}
	pthread_mutex_unlock(&status_cache.lock);
	if (api_targets(c, w, NULL, &t) < 0)
		return;
	if (status_cached(l, &t, "", &rep) < 0 || !(text = status_report_json(&rep, 1))) {
		api_error(c, 500, "ledger", "%s", err_msg());
		goto out;
	}
	n = strlen(text);
	if (!(d = malloc(sizeof(*d) + n + 2))) {
		api_error(c, 500, "internal", "out of memory");
		goto out;
	}
	d->refs = 1;
	memcpy(d->text, text, n);
	d->text[n] = '\n';
	d->text[n + 1] = '\0';
	d->len = n + 1;
	pthread_mutex_lock(&status_cache.lock);
	old = status_cache.doc;
	status_cache.doc = d;
	status_cache.gen = api_world_gen(w);
	status_cache.head = head;
	send_doc(c, d);
	if (old && --old->refs == 0) {
		pthread_mutex_unlock(&status_cache.lock);
		free(old);
	} else {
		pthread_mutex_unlock(&status_cache.lock);
	}
out:
	free(text);
	status_report_release(&rep);
	target_list_release(&t);
}

/* ?refresh=1: every node probed (its profile read), as `chimera status` does. */
static void refreshed_status(struct api_call *c, struct world *w, const char *spec)
{
	struct world_reach reach;
	struct world_fleet wf = { 0 };
	struct target_list t = { 0 };
	struct status_report rep = { 0 };
	const char *expect = httpd_request_query(c->rq, "expect");

	world_reach_init(&reach);
	if (api_targets(c, w, spec, &t) < 0)
		return;
	if (open_fleet(c, w, &reach, &t, &wf) < 0)
		api_error(c, 500, "internal", "%s", err_msg());
	else if (status_run(&wf.fleet, &t, reach.profile, expect ? expect : "", NULL, NULL, &rep) < 0)
		api_error(c, 500, "internal", "%s", err_msg());
	else
		api_json_text(c, 200, status_report_json(&rep, 0));
	status_report_release(&rep);
	world_fleet_close(&wf);
	target_list_release(&t);
}

static void get_status(struct api_call *c)
{
	struct world *w = api_world_get(c->api);
	const char *spec = httpd_request_query(c->rq, "targets");
	long refresh = 0;
	struct ledger *l;

	if (api_query_int(c, "refresh", 0, 1, &refresh) < 0)
		goto out;
	if (refresh) {
		refreshed_status(c, w, spec);
		goto out;
	}
	if (!(l = ledger_or_answer(c)))
		goto out;
	/* The whole inventory's answer is cached; a chosen set is not. */
	if (spec || httpd_request_query(c->rq, "exclude")) {
		struct target_list t = { 0 };
		struct status_report rep = { 0 };

		if (api_targets(c, w, spec, &t) == 0) {
			if (status_cached(l, &t, "", &rep) < 0)
				api_error(c, 500, "ledger", "%s", err_msg());
			else
				api_json_text(c, 200, status_report_json(&rep, 1));
		}
		status_report_release(&rep);
		target_list_release(&t);
		goto out;
	}
	cached_status(c, w, l);
out:
	api_world_put(c->api, w);
}

static void get_generations(struct api_call *c)
{
	struct world *w = api_world_get(c->api);
	const char *spec = httpd_request_query(c->rq, "targets");
	struct world_reach reach;
	struct world_fleet wf = { 0 };
	struct target_list t = { 0 };
	struct gens_report rep = { 0 };

	world_reach_init(&reach);
	if (!spec || !*spec) {
		api_error(c, 400, "bad_query", "?targets= is missing: expected machine names, @TAG or all");
		goto out;
	}
	if (api_targets(c, w, spec, &t) < 0)
		goto out;
	if (open_fleet(c, w, &reach, &t, &wf) < 0)
		api_error(c, 500, "internal", "%s", err_msg());
	else if (generations_run(&wf.fleet, &t, reach.profile, &rep) < 0)
		api_error(c, 500, "internal", "%s", err_msg());
	else
		api_json_text(c, 200, gens_report_json(&rep));
	gens_report_release(&rep);
	world_fleet_close(&wf);
out:
	target_list_release(&t);
	api_world_put(c->api, w);
}

static void get_deployments(struct api_call *c)
{
	struct deployments_report rep = { 0 };
	long limit = 50;
	struct ledger *l;

	if (api_query_int(c, "limit", 1, 10000, &limit) < 0 || !(l = ledger_or_answer(c)))
		return;
	if (deployments_list(l, limit, &rep) < 0)
		api_error(c, 500, "ledger", "%s", err_msg());
	else
		api_json_text(c, 200, deployments_report_json(&rep));
	deployments_report_release(&rep);
}

static void get_deployment(struct api_call *c)
{
	struct deployment_record d = { 0 };
	struct ledger *l;
	int r;

	if (!(l = ledger_or_answer(c)))
		return;
	if ((r = deployments_show(l, c->param[0], &d)) == ERR_NOTFOUND || r == ERR_INVALID)
		api_error(c, r == ERR_NOTFOUND ? 404 : 400, r == ERR_NOTFOUND ? "not_found" : "bad_id", "%s", err_msg());
	else if (r < 0)
		api_error(c, 500, "ledger", "%s", err_msg());
	else
		api_json_text(c, 200, deployment_record_json(&d));
	deployment_record_release(&d);
}

static void get_events(struct api_call *c)
{
	struct ledger_filter f = { .topic = httpd_request_query(c->rq, "topic"),
				   .node = httpd_request_query(c->rq, "node"),
				   .deployment = httpd_request_query(c->rq, "deployment") };
	long after = 0, limit = EVENTS_LIMIT_DEFAULT;
	json_t *doc, *arr;
	struct ledger *l;
	int r;

	if (api_query_int(c, "after", 0, INT64_MAX > LONG_MAX ? LONG_MAX : (long)INT64_MAX, &after) < 0 ||
	    api_query_int(c, "limit", 1, EVENTS_LIMIT_MAX, &limit) < 0 || !(l = ledger_or_answer(c)))
		return;
	if (f.topic && topics_check(f.topic) < 0 && !(strlen(f.topic) > 2 && strcmp(f.topic + strlen(f.topic) - 2, ".*") == 0)) {
		api_error(c, 400, "bad_query", "?topic=%.100s: %s", f.topic, err_msg());
		return;
	}
	f.since = after;
	f.limit = limit;
	arr = json_array();
	if (!arr || (r = events_query(l, &f, events_append_object, arr)) != 0) {
		json_decref(arr);
		api_error(c, 500, "ledger", "%s", err_msg());
		return;
	}
	doc = json_pack("{s:o, s:I}", "events", arr, "head", (json_int_t)hub_head(api_hub_of(c->api)));
	if (doc && json_array_size(arr))
		json_object_set_new(doc, "next_after",
				    json_object_get(json_array_get(arr, json_array_size(arr) - 1), "seq")
					    ? json_incref(json_object_get(json_array_get(arr, json_array_size(arr) - 1), "seq"))
					    : json_null());
	api_json(c, 200, doc);
}

static void get_verify(struct api_call *c)
{
	struct trust_verify_report rep;
	struct ledger *l;

	memset(&rep, 0, sizeof(rep));
	if (!(l = ledger_or_answer(c)))
		return;
	if (trust_verify(l, &rep) < 0) {
		api_error(c, 500, "ledger", "%s", err_msg());
		return;
	}
	api_json_text(c, 200, trust_verify_json(&rep));
}

static json_t *watch_node_json(const struct api_watch_node *n)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b}", "node", n->name, "state", watch_state_name(n->state),
			 "reason", n->reason, "actual", n->actual, "expected", n->expected, "checked_ms",
			 (json_int_t)n->checked_ms, "heals", (json_int_t)n->heals, "quarantined", n->quarantined);
}

static void get_watch(struct api_call *c)
{
	struct api_watch *wt = &c->api->watch;
	json_t *nodes = json_array(), *doc;
	size_t i;

	pthread_mutex_lock(&wt->lock);
	for (i = 0; nodes && i < wt->n; i++)
		json_array_append_new(nodes, watch_node_json(&wt->nodes[i]));
	doc = json_pack("{s:b, s:b, s:s, s:I, s:I, s:o}", "enabled", wt->enabled, "running", wt->running, "error",
			wt->error, "round", (json_int_t)wt->round.round, "round_ms", (json_int_t)wt->round.ms, "nodes",
			nodes);
	pthread_mutex_unlock(&wt->lock);
	api_json(c, 200, doc);
}

const struct api_route api_routes_read[] = {
	{ "GET", API_PREFIX "/machines", TOKEN_ROLE_VIEWER, get_machines, false },
	{ "GET", API_PREFIX "/machines/{name}", TOKEN_ROLE_VIEWER, get_machine, false },
	{ "GET", API_PREFIX "/status", TOKEN_ROLE_VIEWER, get_status, false },
	{ "GET", API_PREFIX "/generations", TOKEN_ROLE_VIEWER, get_generations, false },
	{ "GET", API_PREFIX "/deployments", TOKEN_ROLE_VIEWER, get_deployments, false },
	{ "GET", API_PREFIX "/deployments/{id}", TOKEN_ROLE_VIEWER, get_deployment, false },
	{ "GET", API_PREFIX "/events", TOKEN_ROLE_VIEWER, get_events, false },
	{ "GET", API_PREFIX "/ledger/verify", TOKEN_ROLE_VIEWER, get_verify, false },
	{ "GET", API_PREFIX "/watch", TOKEN_ROLE_VIEWER, get_watch, false },
	{ NULL, NULL, 0, NULL, false },
};
