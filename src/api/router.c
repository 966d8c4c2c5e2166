/* The route table: look-up with {param} capture, then the token, the role, the handler, the counters. */
#include "api/api.h"
#include "api/api_internal.h"
#include "api/mcp_api.h"
#include "api/metrics.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "util/banned.h"

static const struct api_route *const groups[] = {
	api_routes_meta, api_routes_read, api_routes_events, api_routes_act, api_routes_jobs, api_routes_secrets,
	api_routes_nix, api_routes_hostfactory, api_routes_web, NULL,
};

void api_routes_each(void (*fn)(const struct api_route *r, void *arg), void *arg)
{
	const struct api_route *const *g;
	const struct api_route *r;

	for (g = groups; *g; g++)
		for (r = *g; r->method; r++)
			fn(r, arg);
}

/*
 * Whether PATH matches PATTERN, segment by segment; each {..} segment's text is copied
 * into SCRATCH (advancing *USED) and pointed at from PARAM.
 */
static bool match(const char *pattern, const char *path, const char **param, size_t *nparam, char *scratch,
		  size_t len, size_t *used)
{
	const char *p = pattern, *q = path;

	*nparam = 0;
	while (*p && *q) {
		const char *pe = strchr(p + 1, '/'), *qe = strchr(q + 1, '/');
		size_t pl, ql;

		if (*p != '/' || *q != '/')
			return false;
		p++, q++;
		pl = pe ? (size_t)(pe - p) : strlen(p);
		ql = qe ? (size_t)(qe - q) : strlen(q);
		if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
			if (ql == 0 || *nparam >= API_PARAMS_MAX || *used + ql + 1 > len)
				return false;
			memcpy(scratch + *used, q, ql);
			scratch[*used + ql] = '\0';
			param[(*nparam)++] = scratch + *used;
			*used += ql + 1;
		} else if (pl != ql || memcmp(p, q, pl) != 0) {
			return false;
		}
		p += pl, q += ql;
	}
	return *p == '\0' && *q == '\0';
}

int api_route_find(const char *method, const char *path, const struct api_route **out, const char **param,
		   size_t *nparam, char *scratch, size_t len, char *allow, size_t allow_len)
{
	const struct api_route *const *g;
	const struct api_route *r;
	size_t used, al = 0;
	int found = 404;

	*out = NULL;
	*nparam = 0;
	if (allow_len)
		allow[0] = '\0';
	for (g = groups; *g; g++)
		for (r = *g; r->method; r++) {
			used = 0;
			if (!match(r->pattern, path, param, nparam, scratch, len, &used))
				continue;
			if (strcmp(r->method, method) == 0) {
				*out = r;
				return 0;
			}
			found = 405;
			if (allow_len && al + strlen(r->method) + 3 < allow_len && !strstr(allow, r->method))
				al += (size_t)snprintf(allow + al, allow_len - al, "%s%s", al ? ", " : "", r->method);
		}
	*nparam = 0;
	return found;
}

/* /mcp (mcp_http.c) is not under the API's prefix nor in its table: found here, before it. */
static int route_find(const char *method, const char *path, struct api_call *c, char *scratch, size_t len,
		      char *allow, size_t allow_len)
{
	const struct api_route *r;

	if (strcmp(path, "/mcp") != 0)
		return api_route_find(method, path, &c->route, c->param, &c->nparam, scratch, len, allow, allow_len);
	for (r = api_routes_mcp; r->method; r++)
		if (strcmp(r->method, method) == 0) {
			c->route = r;
			return 0;
		}
	snprintf(allow, allow_len, "POST, DELETE, GET");
	return 405;
}

static void handle_routed(struct api *a, const struct httpd_request *rq, struct httpd_response *res,
			  const char **route_name)
{
	struct api_call c = { .api = a, .rq = rq, .res = res };
	char scratch[1024], allow[64];
	int r;

	r = route_find(rq->method, rq->path, &c, scratch, sizeof(scratch), allow, sizeof(allow));
	if (r == 404) {
		api_error_res(res, 404, "not_found", "no route %.200s (the API is under %s; %s/openapi.json lists it)",
			      rq->path, API_PREFIX, API_PREFIX);
		return;
	}
	if (r == 405) {
		httpd_response_header(res, "Allow", "%s", allow);
		api_error_res(res, 405, "method_not_allowed", "%s %.200s: expected %s", rq->method, rq->path, allow);
		return;
	}
	*route_name = c.route->pattern;
	if (api_auth(&c) < 0)
		return;
	api_route_run(&c);
}

void api_route_run(struct api_call *c)
{
	if (c->role < c->route->role) {
		api_error(c, 403, "forbidden", "%s %s needs the %s role; token '%s' is %s", c->rq->method,
			  c->route->pattern, token_role_name(c->route->role), c->caller, token_role_name(c->role));
		return;
	}
	if (c->route->changes && api_stopping(c->api)) {
		httpd_response_header(c->res, "Retry-After", "5");
		api_error(c, 503, "stopping", "the server is stopping and takes no new work");
		return;
	}
	c->route->fn(c);
}

static bool response_has(const struct httpd_response *res, const char *name)
{
	size_t i;

	for (i = 0; i < res->nheaders; i++)
		if (strcasecmp(res->headers[i].name, name) == 0)
			return true;
	return false;
}

void api_handle(const struct httpd_request *rq, struct httpd_response *res, void *arg)
{
	struct api *a = arg;
	const char *route = "unmatched";
	int64_t t0 = clock_mono_us();

	handle_routed(a, rq, res, &route);
	if (!res->status)
		api_error_res(res, 500, "internal", "the handler gave no answer");
	/* No answer is kept by a cache: each depends on the token that asked. */
	if (!response_has(res, "Cache-Control"))
		httpd_response_header(res, "Cache-Control", "no-store");
	httpd_response_header(res, "X-Content-Type-Options", "nosniff");
	metrics_request(api_metrics_of(a), route, res->status, (double)(clock_mono_us() - t0) / 1e6);
}

void api_refusal(int status, const char *why, struct httpd_response *res, void *arg)
{
	struct api *a = arg;
	const char *code = status == 413 ? "too_large"
			   : status == 431 ? "headers_too_large"
			   : status == 503 ? "busy"
			   : status == 408 ? "timeout"
					   : "refused";

	api_error_res(res, status, code, "%s", why);
	if (a)
		metrics_request(api_metrics_of(a), "refused", status, 0);
}
