/*
 * The HostFactory provider's operations over HTTP: the body is the operation's input file,
 * the answer its reply (the same JSON `chimera hostfactory OPERATION -f FILE` prints). Each
 * call opens a world of its own from the server's options (the provider's files from
 * $HF_PROVIDER_CONFDIR, else STATE_DIR/hostfactory) and holds the provider's lock while it
 * runs, as the CLI does; without a templates file there are no templates. Bad input answers
 * 400 "bad_input", naming the problem.
 */
#include "api/api_internal.h"
#include "app/hostfactory/hostfactory.h"
#include "runtime/hostfactory.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* Where the provider's files are: $HF_PROVIDER_CONFDIR, else STATE_DIR/hostfactory. */
static int confdir(struct world *w, char *buf, size_t len)
{
	const char *env = getenv("HF_PROVIDER_CONFDIR"), *state;
	int r;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return 0;
	}
	if ((r = world_state_dir(w, &state)) < 0)
		return r;
	snprintf(buf, len, "%s/hostfactory", state);
	return 0;
}

/* Run OP on INPUT (LEN bytes) in a world of its own; answer its reply or its error. */
static void run_op(struct api_call *c, const struct hf_op *op, const char *input, size_t len)
{
	/* A server without a templates file has no templates: every request names an unknown one. */
	struct hf_call call = { .templates_optional = true };
	struct hf_report rep = { 0 };
	struct world w;
	char dir[PATH_MAX];
	int r;

	world_init(&w, api_world_options(c->api));
	if ((r = confdir(&w, dir, sizeof(dir))) < 0) {
		api_error(c, 503, "hostfactory_unavailable", "%s", err_msg());
		goto out;
	}
	call.confdir = dir;
	r = hf_run(&w, op, &call, input, len, &rep);
	if (r == 0) {
		api_json_text(c, 200, rep.json);
		rep.json = NULL;
	} else if (r == HF_UNAVAILABLE) {
		api_error(c, 503, "hostfactory_unavailable", "%s", rep.message);
	} else {
		api_error(c, r == ERR_INVALID ? 400 : 500, r == ERR_INVALID ? "bad_input" : "hostfactory", "%s", rep.message);
	}
out:
	hf_report_release(&rep);
	world_close(&w);
}

/* The operation of C's route (its path after /api/v1/hostfactory/). */
static const struct hf_op *op_of(struct api_call *c)
{
	static const char prefix[] = API_PREFIX "/hostfactory/";
	const struct hf_op *op;

	for (op = hf_ops; op->name; op++)
		if (strcmp(c->route->pattern + sizeof(prefix) - 1, op->path) == 0)
			return op;
	return NULL;
}

static void get_op(struct api_call *c)
{
	run_op(c, op_of(c), "", 0);
}

/* getReturnRequests' input from ?machines=NAME,NAME (absent: every machine). */
static void get_returns(struct api_call *c)
{
	const char *q = httpd_request_query(c->rq, "machines");
	json_t *in = json_pack("{s:[]}", "machines"), *list = json_object_get(in, "machines");
	char *text;

	while (q && *q && list) {
		size_t n = strcspn(q, ",");

		if (n)
			json_array_append_new(list, json_pack("{s:s%}", "name", q, n));
		q += n + (q[n] == ',');
	}
	text = in ? json_dumps(in, JSON_COMPACT) : NULL;
	json_decref(in);
	if (!text) {
		api_error(c, 500, "internal", "out of memory");
		return;
	}
	run_op(c, op_of(c), text, strlen(text));
	free(text);
}

static void post_op(struct api_call *c)
{
	const struct hf_op *op = op_of(c);
	json_t *body;
	char *text;

	if (api_body(c, &body) < 0)
		return;
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text) {
		api_error(c, 500, "internal", "out of memory");
		return;
	}
	run_op(c, op, text, strlen(text));
	free(text);
}

const struct api_route api_routes_hostfactory[] = {
	{ "GET", API_PREFIX "/hostfactory/templates", TOKEN_ROLE_VIEWER, get_op, false },
	{ "POST", API_PREFIX "/hostfactory/requests", TOKEN_ROLE_OPERATOR, post_op, true },
	{ "POST", API_PREFIX "/hostfactory/requests/status", TOKEN_ROLE_OPERATOR, post_op, true },
	{ "POST", API_PREFIX "/hostfactory/returns", TOKEN_ROLE_OPERATOR, post_op, true },
	{ "GET", API_PREFIX "/hostfactory/returns/status", TOKEN_ROLE_VIEWER, get_returns, false },
	{ NULL, NULL, 0, NULL, false },
};
