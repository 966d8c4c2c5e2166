/*
 * Fuzz target for what `chimera serve` takes from the network after libmicrohttpd has parsed
 * it: the route look-up with its {param} capture (api_route_find), the JSON body
 * (api_body), and the act routes' field checks (act_parse_*), with the properties each
 * promises. The input is "METHOD PATH\nBODY".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/act.h"
#include "api/act_parse.h"
#include "api/api.h"
#include "fuzz.h"

const char *const fuzz_seeds[] = {
	"GET /api/v1/machines\n",
	"GET /api/v1/machines/web-1\n",
	"GET /api/v1/machines/\n",
	"GET /api/v1/machines/a/b\n",
	"DELETE /api/v1/machines\n",
	"GET /api/v1/jobs/01M97FRVHAMPYT67Q6GMH2KHD9\n",
	"DELETE /api/v1/jobs/x\n",
	"GET //api//v1\n",
	"GET /api/v1/events/stream\n",
	"GET /metrics\n",
	"POST /api/v1/deployments\n{\"targets\": \"web-1,@db\", \"expect\": \"/nix/store/abc-x\"}",
	"POST /api/v1/deployments\n{\"targets\": [\"a\", \"b\"], \"file\": \"/x.nix\", \"attr\": \"a.b\", "
	"\"args\": {\"n\": \"1\"}, \"argstrs\": {\"s\": \"v\"}, \"goal\": \"boot\", \"checks\": [\"tcp:{host}:22\"], "
	"\"parallel\": 4, \"dry_run\": true, \"confirm_timeout\": 0}",
	"POST /api/v1/deployments\n{\"targets\": 5}",
	"POST /api/v1/deployments\n{\"targets\": [\"a,b\"]}",
	"POST /api/v1/deployments\n{\"targets\": \"a\", \"flake\": \"path:/x#y\", \"expect\": \"/nix/store/a-b\"}",
	"POST /api/v1/deployments\n{\"targets\": \"a\", \"goal\": \"sideways\", \"parallel\": -1}",
	"POST /api/v1/deployments\n{\"targets\": \"a\", \"checks\": [\"http:\"]}",
	"POST /api/v1/deployments\n[1, 2",
	"POST /api/v1/deployments\n{\"a\": 1, \"a\": 2}",
	"POST /api/v1/deployments\n\"\\u0000\"",
	"PATCH /api/v1/status\n",
	"POST /api/v1/rollback\n{\"targets\": \"@web\", \"generation\": 3}",
	"POST /api/v1/exec\n{\"targets\": \"local\", \"command\": \"uptime\", \"record_output\": true}",
	"POST /api/v1/facts/refresh\n{}",
	"POST /api/v1/secrets/db/grant\n{\"keys\": [\"web-1\"]}",
	"POST /api/v1/simulate\n{\"platform\": \"netlify\", \"dir\": \"/tmp\"}",
	"POST /api/v1/pipeline\n{\"platform\": \"nix\", \"dir\": \"/\", \"targets\": \"local\", \"dry_run\": true}",
	"POST /api/v1/certify\n{\"platform\": \"render\", \"dir\": \"/tmp\", \"out\": \"../x\"}",
	NULL,
};

/* A response with a JSON error body: status 4xx and {"error": {"code", "message"}}. */
static void check_error(const struct httpd_response *res, int status)
{
	json_t *doc;

	FUZZ_CHECK(res->status == status, "status %d, expected %d", res->status, status);
	FUZZ_CHECK(res->body != NULL, "error without a body");
	doc = json_loadb(res->body, res->body_len, 0, NULL);
	FUZZ_CHECK(json_is_string(json_object_get(json_object_get(doc, "error"), "code")) &&
			   json_is_string(json_object_get(json_object_get(doc, "error"), "message")),
		   "error body without error.code and error.message: %s", res->body);
	json_decref(doc);
}

static void route(const char *method, const char *path)
{
	const struct api_route *r = NULL;
	const char *param[API_PARAMS_MAX];
	char scratch[256], allow[64];
	size_t n, i;
	int st = api_route_find(method, path, &r, param, &n, scratch, sizeof(scratch), allow, sizeof(allow));

	FUZZ_CHECK(st == 0 || st == 404 || st == 405, "route status %d", st);
	FUZZ_CHECK((st == 0) == (r != NULL), "a route only when found");
	if (st == 0) {
		FUZZ_CHECK(strcmp(r->method, method) == 0, "found %s for %s", r->method, method);
		for (i = 0; i < n; i++)
			FUZZ_CHECK(param[i][0] && !strchr(param[i], '/') && strstr(path, param[i]),
				   "param '%s' is not a segment of '%s'", param[i], path);
	} else {
		FUZZ_CHECK(n == 0, "params on a miss");
	}
	if (st == 405)
		FUZZ_CHECK(allow[0], "405 without Allow");
}

/* A parser's verdict: 0, or -1 with a message. */
static void verdict(const char *what, int r, const char *msg)
{
	FUZZ_CHECK(r == 0 || r == -1, "%s returned %d", what, r);
	FUZZ_CHECK(r == 0 || msg[0], "%s refused without a message", what);
}

/* Every act route's body parser on DOC. */
static void every_parser(json_t *doc)
{
	struct act_req r;
	struct act_exec e;
	struct act_grant g;
	struct act_simulate sim;
	struct act_heal h;
	struct act_certify cert;
	struct act_pipeline *pl = calloc(1, sizeof(*pl));
	char msg[1024];
	uint32_t gen = 0;

#define RUN(what, call, release)                    \
	do {                                        \
		msg[0] = '\0';                      \
		verdict(what, (call), msg);         \
		release;                            \
	} while (0)
	memset(&r, 0, sizeof(r));
	RUN("deployment", act_parse_deployment(doc, &r, msg, sizeof(msg)), act_req_release(&r));
	RUN("rollback", act_parse_rollback(doc, &r, &gen, msg, sizeof(msg)), act_req_release(&r));
	memset(&e, 0, sizeof(e));
	RUN("exec", act_parse_exec(doc, &r, &e, msg, sizeof(msg)), act_req_release(&r));
	RUN("facts", act_parse_facts(doc, &r, msg, sizeof(msg)), act_req_release(&r));
	RUN("empty", act_parse_empty(doc, msg, sizeof(msg)), (void)0);
	memset(&g, 0, sizeof(g));
	RUN("grant", act_parse_grant("db-pass", doc, &g, msg, sizeof(msg)), act_grant_release(&g));
	memset(&sim, 0, sizeof(sim));
	RUN("simulate", act_parse_simulate(doc, &sim, msg, sizeof(msg)), (void)0);
	memset(&h, 0, sizeof(h));
	RUN("heal", act_parse_heal(doc, &h, msg, sizeof(msg)), (void)0);
	memset(&cert, 0, sizeof(cert));
	RUN("certify", act_parse_certify(doc, &cert, msg, sizeof(msg)), (void)0);
	if (pl)
		RUN("pipeline", act_parse_pipeline(doc, pl, msg, sizeof(msg)), act_pipeline_release(pl));
#undef RUN
	free(pl);
}

static void body(const char *text, size_t len)
{
	struct httpd_request rq = { .method = "POST", .path = "/", .body = text, .body_len = len, .client = "f" };
	struct httpd_response res = { 0 };
	struct api_call c = { .rq = &rq, .res = &res };
	struct act_req r = { 0 };
	char msg[1024];
	json_t *doc = NULL;

	if (api_body(&c, &doc) < 0) {
		check_error(&res, 400);
	} else {
		FUZZ_CHECK(json_is_object(doc), "api_body gave a non-object");
		if (act_parse_fleet(doc, &r, msg, sizeof(msg)) == 0 && act_parse_source(doc, &r, msg, sizeof(msg)) == 0 &&
		    act_parse_deploy(doc, &r, msg, sizeof(msg)) == 0) {
			FUZZ_CHECK(r.targets && r.targets[0], "accepted without targets");
			FUZZ_CHECK(!!r.src.file + !!r.src.flake + !!r.expect <= 1, "two sources accepted");
		} else {
			FUZZ_CHECK(msg[0] && (strstr(msg, "field") || strstr(msg, "give one") || strstr(msg, "'")),
				   "a refusal that names nothing: %s", msg);
		}
		act_req_release(&r);
		every_parser(doc);
	}
	json_decref(doc);
	free(res.body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *sp, *nl;

	fuzz_begin(data, size);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	sp = strchr(text, ' ');
	nl = strchr(text, '\n');
	if (sp && (!nl || sp < nl)) {
		*sp = '\0';
		if (nl)
			*nl = '\0';
		route(text, sp + 1);
	}
	if (nl)
		body(nl + 1, size - (size_t)(nl + 1 - text));
	free(text);
	return 0;
}
