/*
 * The MCP backend: a tool runs the API route its row names, in-process, as a request of the
 * session's role and caller would; an act tool then follows the job the route started,
 * reporting its nodes as progress and cancelling it when the client does (mcp_api.h).
 */
#include "api/api_internal.h"
#include "api/hub.h"
#include "api/jobs.h"
#include "api/mcp_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define FOLLOW_TICK_MS 200	/* how often a running tool looks for its cancel, at most */
#define QUERY_MAX 8

/* A route's answer's error message ({"error": {"code", "message"}}) into MSG. */
static void error_of(json_t *doc, int status, char *msg, size_t len)
{
	json_t *e = json_object_get(doc, "error");
	const char *m = json_string_value(json_object_get(e, "message"));

	snprintf(msg, len, "%s (HTTP %d %s)", m ? m : "the route gave no answer", status,
		 json_string_value(json_object_get(e, "code")) ?: "error");
}

/*
 * METHOD PATH with QUERY and BODY (may be NULL) through the API's own route, as M's caller.
 * The answer's status; its JSON into *DOC (a new reference, may be NULL); MSG on a refusal.
 */
static int route_call(struct mcp_api *m, const char *method, const char *path, const struct httpd_kv *q, size_t nq,
		      json_t *body, json_t **doc, char *msg, size_t len)
{
	static const struct httpd_kv hdr[] = { { "Content-Type", "application/json" } };
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct httpd_request rq = { .method = method, .path = path, .query = q, .nquery = nq, .headers = hdr,
				    .nheaders = 1, .body = text ? text : "", .body_len = text ? strlen(text) : 0,
				    .client = "mcp" };
	struct httpd_response res;
	struct api_call c = { .api = m->api, .rq = &rq, .res = &res, .role = m->role };
	char scratch[1024], allow[64];
	const char *b;
	size_t bl;

	*doc = NULL;
	memset(&res, 0, sizeof(res));
	snprintf(c.caller, sizeof(c.caller), "%s", m->caller);
	if (api_route_find(method, path, &c.route, c.param, &c.nparam, scratch, sizeof(scratch), allow,
			   sizeof(allow)) != 0) {
		snprintf(msg, len, "no route %s %s", method, path);
		res.status = 404;
	} else {
		api_route_run(&c);
		b = res.body ? res.body : res.shared;
		bl = res.body ? res.body_len : res.shared_len;
		if (b)
			*doc = json_loadb(b, bl, 0, NULL);
		if (res.status >= 400)
			error_of(*doc, res.status, msg, len);
	}
	free(res.body);
	if (res.shared_release)
		res.shared_release(res.shared_arg);
	if (res.stream)
		res.stream->ops->close(res.stream);
	free(text);
	return res.status;
}

/*
 * An argument as a query value into BUF: a string, strings joined with commas, an integer, a
 * boolean as 1 or 0. NULL when the value does not fit in LEN bytes (never cut: a cut list
 * of targets would name other nodes).
 */
static const char *query_value(json_t *v, char *buf, size_t len)
{
	size_t i, used = 0;
	json_t *e;

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%d", json_is_true(v));
	else {
		buf[0] = '\0';
		json_array_foreach(v, i, e) {
			if (used >= len)
				return NULL;
			used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "", json_string_value(e) ?: "");
		}
		if (used >= len)
			return NULL;
	}
	return buf;
}

/*
 * TOOL's path with each {NAME} filled from the argument NAME (taken out of ARGS) into PATH.
 * 0, or -1 with MSG naming the argument.
 */
static int fill_path(const struct mcp_tool *t, json_t *args, char *path, size_t len, char *msg, size_t mlen)
{
	const char *p = t->path, *open;
	size_t used = 0;

	while ((open = strchr(p, '{'))) {
		const char *close = strchr(open, '}');
		char name[32];
		const char *v;

		snprintf(name, sizeof(name), "%.*s", (int)(close - open - 1), open + 1);
		v = json_string_value(json_object_get(args, name));
		if (!v || !v[0] || strchr(v, '/')) {
			snprintf(msg, mlen, "tool '%s': argument '%s' must be a non-empty name without '/'", t->name, name);
			return -1;
		}
		used += (size_t)snprintf(path + used, used < len ? len - used : 0, "%.*s%s", (int)(open - p), p, v);
		json_object_del(args, name);
		p = close + 1;
	}
	used += (size_t)snprintf(path + used, used < len ? len - used : 0, "%s", p);
	if (used >= len) {
		snprintf(msg, mlen, "tool '%s': the arguments make too long a path", t->name);
		return -1;
	}
	return 0;
}

/* A job's nodes as progress: 0 not started, 1 at a step, 2 done, summed; the message lists them. */
static double job_progress(json_t *job, char *msg, size_t len)
{
	json_t *nodes = json_object_get(job, "nodes"), *n;
	size_t i, used, done = 0;
	double sum = 0;

	json_array_foreach(nodes, i, n)
		done += json_is_true(json_object_get(n, "done"));
	used = (size_t)snprintf(msg, len, "%zu/%zu nodes done", done, json_array_size(nodes));
	json_array_foreach(nodes, i, n) {
		const char *step = json_string_value(json_object_get(n, "step")) ?: "";

		sum += json_is_true(json_object_get(n, "done")) ? 2 : step[0] ? 1 : 0;
		if (step[0] && used < len)
			used += (size_t)snprintf(msg + used, len - used, "%s %s: %s", i ? "," : ";",
						 json_string_value(json_object_get(n, "node")) ?: "?", step);
	}
	return sum;
}

/* Follow job ID until it ends: progress as its nodes move, cancelled when the client cancels. */
static json_t *follow(struct mcp_api *m, struct mcp_call *call, const char *id, bool *is_error, char *msg,
		      size_t len)
{
	struct api_jobs *js = api_jobs_of(m->api);
	double last = 0, now;
	bool asked = false, fresh = true;
	uint64_t seen = 0;
	char text[1024];
	json_t *job, *out;
	const char *st;

	/* The job is read again only when some job changed; a cancel is looked for every tick. */
	for (;;) {
		if (fresh) {
			if (!(job = jobs_get_json(js, id))) {
				snprintf(msg, len, "job %s is no longer kept", id);
				*is_error = true;
				return NULL;
			}
			st = json_string_value(json_object_get(job, "state")) ?: "";
			if (strcmp(st, "queued") != 0 && strcmp(st, "running") != 0)
				break;
			now = job_progress(job, text, sizeof(text));
			if (now > last)
				mcp_call_progress(call, now, 2.0 * (double)json_array_size(json_object_get(job, "nodes")),
						  text);
			last = now > last ? now : last;
			json_decref(job);
		}
		if (mcp_call_cancelled(call) && !asked) {
			asked = true;
			jobs_cancel(js, id, m->caller);
		}
		fresh = jobs_wait_change(js, &seen, FOLLOW_TICK_MS);
	}
	out = json_pack("{s:O, s:O, s:s, s:O, s:O, s:O}", "job", json_object_get(job, "id"), "kind",
			json_object_get(job, "kind"), "state", st, "error",
			json_object_get(job, "error") ?: json_null(), "nodes",
			json_object_get(job, "nodes") ?: json_array(), "report",
			json_object_get(job, "report") ?: json_null());
	*is_error = strcmp(st, "succeeded") != 0;
	if (*is_error)
		snprintf(msg, len, "job %s (%s) %s: %s", id, json_string_value(json_object_get(job, "kind")) ?: "", st,
			 json_string_value(json_object_get(job, "error")) ?: "see its report for each node");
	json_decref(job);
	return out;
}

static json_t *call(void *arg, struct mcp_call *c, const struct mcp_tool *t, json_t *args_in, bool *is_error,
		    char *msg, size_t len)
{
	struct mcp_api *m = arg;
	json_t *args = args_in ? json_deep_copy(args_in) : json_object(), *doc = NULL, *v;
	struct httpd_kv q[QUERY_MAX];
	char path[512], vals[QUERY_MAX][512];
	const char *key;
	size_t nq = 0;
	int status;

	*is_error = true;
	if (!args || fill_path(t, args, path, sizeof(path), msg, len) < 0 ||
	    (t->adapt && t->adapt(args, msg, len) < 0))
		goto out;
	if (t->kind == MCP_TOOL_READ)
		json_object_foreach(args, key, v) {
			if (nq == QUERY_MAX) {
				snprintf(msg, len, "too many arguments: at most %d", QUERY_MAX);
				goto out;
			}
			q[nq].name = key;
			if (!(q[nq].value = query_value(v, vals[nq], sizeof(vals[nq])))) {
				snprintf(msg, len, "argument '%.64s' is too long: at most %zu bytes as a query value", key,
					 sizeof(vals[nq]) - 1);
				goto out;
			}
			nq++;
		}
	status = route_call(m, t->method, path, q, nq, t->kind == MCP_TOOL_READ ? NULL : args, &doc, msg, len);
	if (status >= 400 || !doc) {
		/* The route's {"error": ...} is not the tool's output: the message says it all. */
		json_decref(doc);
		doc = NULL;
		if (!msg[0])
			snprintf(msg, len, "%s %s answered %d", t->method, path, status);
		goto out;
	}
	if (t->kind == MCP_TOOL_JOB) {
		const char *id = json_string_value(json_object_get(doc, "job"));
		char jid[JOB_ID_LEN + 1];

		snprintf(jid, sizeof(jid), "%s", id ?: "");
		json_decref(doc);
		doc = jid[0] ? follow(m, c, jid, is_error, msg, len) : NULL;
		goto out;
	}
	*is_error = false;
out:
	json_decref(args);
	return doc;
}

static json_t *read_resource(void *arg, const char *uri, int *code, char *msg, size_t len)
{
	struct mcp_api *m = arg;
	struct httpd_kv q[2];
	char path[512], after[32];
	const char *method;
	size_t nq = 0;
	json_t *doc;
	int status;

	*code = MCP_RESOURCE_NOT_FOUND;
	if (mcp_resource_route(uri, &method, path, sizeof(path)) < 0) {
		snprintf(msg, len, "no resource '%.200s' (resources/list and resources/templates/list name them)", uri);
		return NULL;
	}
	if (strcmp(uri, "chimera://ledger/head") == 0) {
		int64_t head = hub_head(api_hub_of(m->api));

		snprintf(after, sizeof(after), "%" PRId64, head > 0 ? head - 1 : 0);
		q[nq++] = (struct httpd_kv){ "after", after };
		q[nq++] = (struct httpd_kv){ "limit", "1" };
	}
	status = route_call(m, method, path, q, nq, NULL, &doc, msg, len);
	if (status == 200 && doc)
		return doc;
	if (status != 404)
		*code = MCP_INTERNAL_ERROR;
	snprintf(msg + strlen(msg), len - strlen(msg), " (resource '%.200s')", uri);
	json_decref(doc);
	return NULL;
}

void mcp_api_backend(struct mcp_api *m, struct mcp_backend *be)
{
	be->call = call;
	be->read = read_resource;
	be->arg = m;
}
