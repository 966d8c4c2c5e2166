/*
 * Unit tests for api/mcp.c and api/mcp_tools.c: the protocol core with a fake backend:
 * lifecycle and versions, JSON-RPC errors, tools/list by role, arguments against the
 * schemas, tool results, progress, cancel, resources.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/mcp.h"
#include "check.h"

/* What the session sent: each message parsed, in order. */
struct sent {
	pthread_mutex_t lock;
	json_t *msgs;
};

static void collect(void *arg, const char *text)
{
	struct sent *s = arg;
	json_t *m = json_loads(text, 0, NULL);

	assert_non_null(m);
	pthread_mutex_lock(&s->lock);
	json_array_append_new(s->msgs, m);
	pthread_mutex_unlock(&s->lock);
}

/* The fake backend: "fleet_status" answers {"nodes": []}; "deploy" reports progress twice, or waits for a cancel. */
static bool wait_for_cancel;
static int calls;

static json_t *fake_call(void *arg, struct mcp_call *call, const struct mcp_tool *tool, json_t *args, bool *is_error,
			 char *msg, size_t len)
{
	int i;

	(void)arg;
	(void)args;
	calls++;
	if (strcmp(tool->name, "deploy") == 0 && wait_for_cancel) {
		for (i = 0; i < 500 && !mcp_call_cancelled(call); i++)
			usleep(10000);
		*is_error = true;
		snprintf(msg, len, "cancelled");
		return NULL;
	}
	if (strcmp(tool->name, "deploy") == 0) {
		mcp_call_progress(call, 1, 4, "1/2 nodes");
		mcp_call_progress(call, 1, 4, "the same again");	/* raised: progress only grows */
		return json_pack("{s:s, s:s, s:s}", "job", "J1", "kind", "deploy", "state", "succeeded");
	}
	if (strcmp(tool->name, "exec") == 0) {
		*is_error = true;
		snprintf(msg, len, "host 'x' unreachable");
		return NULL;
	}
	return json_pack("{s:[]}", "nodes");
}

static json_t *fake_read(void *arg, const char *uri, int *code, char *msg, size_t len)
{
	(void)arg;
	if (strcmp(uri, "chimera://machines") == 0)
		return json_pack("{s:[]}", "machines");
	*code = MCP_RESOURCE_NOT_FOUND;
	snprintf(msg, len, "no resource '%s'", uri);
	return NULL;
}

static const struct mcp_backend fake = { fake_call, fake_read, NULL };

struct fixture {
	struct mcp_session *s;
	struct sent sent;
};

static struct fixture *fx_new(enum token_role role, bool init)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pthread_mutex_init(&f->sent.lock, NULL);
	f->sent.msgs = json_array();
	f->s = mcp_session_new(role, &fake);
	assert_non_null(f->s);
	if (init) {
		const char *m = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
				"\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

		assert_int_equal(mcp_session_handle(f->s, m, strlen(m), collect, &f->sent), 1);
		json_array_clear(f->sent.msgs);
	}
	return f;
}

static void fx_free(struct fixture *f)
{
	mcp_session_free(f->s);
	json_decref(f->sent.msgs);
	pthread_mutex_destroy(&f->sent.lock);
	free(f);
}

/* Send TEXT; the last message sent (borrowed), or NULL when none. */
static json_t *say(struct fixture *f, const char *text)
{
	size_t n;

	mcp_session_handle(f->s, text, strlen(text), collect, &f->sent);
	n = json_array_size(f->sent.msgs);
	return n ? json_array_get(f->sent.msgs, n - 1) : NULL;
}

static int error_code(json_t *m)
{
	return (int)json_integer_value(json_object_get(json_object_get(m, "error"), "code"));
}

static const char *error_msg(json_t *m)
{
	return json_string_value(json_object_get(json_object_get(m, "error"), "message"));
}

static void test_versions(void **state)
{
	static const char *const asked[][2] = {
		{ "2025-06-18", "2025-06-18" }, { "2025-03-26", "2025-03-26" }, { "2024-11-05", "2024-11-05" },
		{ "1999-01-01", "2025-06-18" },
	};
	char text[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		struct fixture *f = fx_new(TOKEN_ROLE_ADMIN, false);
		json_t *r;

		snprintf(text, sizeof(text), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
			 "{\"protocolVersion\":\"%s\",\"capabilities\":{}}}", asked[i][0]);
		r = json_object_get(say(f, text), "result");
		assert_string_equal(json_string_value(json_object_get(r, "protocolVersion")), asked[i][1]);
		assert_string_equal(json_string_value(json_object_get(json_object_get(r, "serverInfo"), "name")), "chimera");
		assert_non_null(json_object_get(json_object_get(r, "capabilities"), "tools"));
		assert_non_null(json_object_get(json_object_get(r, "capabilities"), "resources"));
		assert_true(mcp_session_ready(f->s));
		fx_free(f);
	}
	assert_true(mcp_version_supported("2025-06-18"));
	assert_true(mcp_version_supported("2024-11-05"));
	assert_false(mcp_version_supported("2099-01-01"));
	assert_false(mcp_version_supported(NULL));
}

static void test_lifecycle(void **state)
{
	struct fixture *f = fx_new(TOKEN_ROLE_ADMIN, false);
	json_t *m;

	(void)state;
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
	assert_true(json_is_object(json_object_get(m, "result")));
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}");
	assert_int_equal(error_code(m), MCP_INVALID_REQUEST);
	assert_non_null(strstr(error_msg(m), "initialize"));
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"initialize\",\"params\":{}}");
	assert_int_equal(error_code(m), MCP_INVALID_PARAMS);
	assert_non_null(strstr(error_msg(m), "protocolVersion"));
	assert_false(mcp_session_ready(f->s));
	fx_free(f);
}

static void test_jsonrpc_errors(void **state)
{
	struct fixture *f = fx_new(TOKEN_ROLE_ADMIN, true);
	json_t *m;
	size_t n;

	(void)state;
	m = say(f, "{\"jsonrpc\": ");
	assert_int_equal(error_code(m), MCP_PARSE_ERROR);
	assert_true(json_is_null(json_object_get(m, "id")));
	assert_int_equal(error_code(say(f, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]")), MCP_INVALID_REQUEST);
	assert_int_equal(error_code(say(f, "42")), MCP_INVALID_REQUEST);
	m = say(f, "{\"id\":7,\"method\":\"ping\"}");
	assert_int_equal(error_code(m), MCP_INVALID_REQUEST);
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 7);
	assert_int_equal(error_code(say(f, "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}")), MCP_INVALID_REQUEST);
	assert_int_equal(error_code(say(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}")), MCP_INVALID_REQUEST);
	assert_int_equal(error_code(say(f, "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"nope/x\"}")),
			 MCP_METHOD_NOT_FOUND);
	assert_int_equal(error_code(say(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":3}")),
			 MCP_INVALID_PARAMS);
	/* Notifications and responses get no answer. */
	n = json_array_size(f->sent.msgs);
	say(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
	say(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\",\"params\":{}}");
	say(f, "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}");
	assert_int_equal(json_array_size(f->sent.msgs), n);
	assert_false(mcp_message_has_request(LIT("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")));
	assert_true(mcp_message_has_request(LIT("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}")));
	assert_true(mcp_message_has_request(LIT("nope")));
	fx_free(f);
}

/* The tools/list a ROLE gets. */
static json_t *tools_of(struct fixture *f)
{
	return json_object_get(json_object_get(say(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"), "result"),
			       "tools");
}

static void test_tools_by_role(void **state)
{
	struct fixture *v = fx_new(TOKEN_ROLE_VIEWER, true), *o = fx_new(TOKEN_ROLE_OPERATOR, true);
	json_t *tools, *t;
	const struct mcp_tool *mt;
	size_t i, n = 0;

	(void)state;
	for (mt = mcp_tools; mt->name; mt++, n++) {
		json_t *in = json_loads(mt->input, 0, NULL), *out = json_loads(mt->output, 0, NULL);

		assert_non_null(in);
		assert_non_null(out);
		assert_false(mt->read_only && mt->destructive);
		assert_true(mt->kind == MCP_TOOL_READ ? mt->read_only : true);
		json_decref(in);
		json_decref(out);
	}
	assert_int_equal(n, 16);
	tools = tools_of(o);
	assert_int_equal(json_array_size(tools), 16);
	tools = tools_of(v);
	assert_int_equal(json_array_size(tools), 8);	/* exactly the viewer's tools */
	json_array_foreach(tools, i, t) {
		json_t *a = json_object_get(t, "annotations");

		assert_true(json_is_true(json_object_get(a, "readOnlyHint")));
		assert_true(json_is_false(json_object_get(a, "destructiveHint")));
		assert_true(json_is_object(json_object_get(t, "inputSchema")));
		assert_true(json_is_object(json_object_get(t, "outputSchema")));
	}
	fx_free(v);
	fx_free(o);
}

static void test_tool_calls(void **state)
{
	struct fixture *f = fx_new(TOKEN_ROLE_VIEWER, true);
	json_t *m, *r;

	(void)state;
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"fleet_status\"}}");
	r = json_object_get(m, "result");
	assert_true(json_is_false(json_object_get(r, "isError")));
	assert_true(json_is_array(json_object_get(json_object_get(r, "structuredContent"), "nodes")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(r, "content"), 0), "text")),
			    "{\"nodes\":[]}");
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\"}}");
	assert_int_equal(error_code(m), MCP_INVALID_PARAMS);
	assert_non_null(strstr(error_msg(m), "'nope'"));
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"machine\","
		   "\"arguments\":{}}}");
	assert_int_equal(error_code(m), MCP_INVALID_PARAMS);
	assert_non_null(strstr(error_msg(m), "'name' is required"));
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"fleet_status\","
		   "\"arguments\":{\"refresh\":\"yes\"}}}");
	assert_int_equal(error_code(m), MCP_INVALID_PARAMS);
	assert_non_null(strstr(error_msg(m), "'refresh' must be a boolean"));
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"fleet_status\","
		   "\"arguments\":{\"colour\":1}}}");
	assert_int_equal(error_code(m), MCP_INVALID_PARAMS);
	assert_non_null(strstr(error_msg(m), "'colour'"));
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"fleet_status\","
		   "\"arguments\":{\"targets\":[\"a\",2]}}}");
	assert_int_equal(error_code(m), MCP_INVALID_PARAMS);
	/* A viewer is refused an act tool by name, as a tool result naming the role; the backend is not called. */
	calls = 0;
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"deploy\","
		   "\"arguments\":{\"targets\":\"a\"}}}");
	r = json_object_get(m, "result");
	assert_true(json_is_true(json_object_get(r, "isError")));
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(json_object_get(r, "content"), 0), "text")),
			       "operator"));
	assert_null(json_object_get(r, "structuredContent"));
	assert_int_equal(calls, 0);
	fx_free(f);
}

static void test_tool_failure_and_progress(void **state)
{
	struct fixture *f = fx_new(TOKEN_ROLE_OPERATOR, true);
	json_t *m, *r, *p1, *p2;

	(void)state;
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"exec\","
		   "\"arguments\":{\"targets\":\"a\",\"command\":\"true\"}}}");
	r = json_object_get(m, "result");
	assert_true(json_is_true(json_object_get(r, "isError")));
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(json_object_get(r, "content"), 0), "text")),
			       "unreachable"));
	json_array_clear(f->sent.msgs);
	say(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"deploy\","
	       "\"arguments\":{\"targets\":\"a\"},\"_meta\":{\"progressToken\":\"tok\"}}}");
	assert_int_equal(json_array_size(f->sent.msgs), 3);
	p1 = json_object_get(json_array_get(f->sent.msgs, 0), "params");
	p2 = json_object_get(json_array_get(f->sent.msgs, 1), "params");
	assert_string_equal(json_string_value(json_object_get(json_array_get(f->sent.msgs, 0), "method")),
			    "notifications/progress");
	assert_string_equal(json_string_value(json_object_get(p1, "progressToken")), "tok");
	assert_true(json_number_value(json_object_get(p2, "progress")) > json_number_value(json_object_get(p1, "progress")));
	assert_string_equal(json_string_value(json_object_get(p1, "message")), "1/2 nodes");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f->sent.msgs, 2), "id")), 2);
	/* Without a progressToken: the result alone. */
	json_array_clear(f->sent.msgs);
	say(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"deploy\","
	       "\"arguments\":{\"targets\":\"a\"}}}");
	assert_int_equal(json_array_size(f->sent.msgs), 1);
	fx_free(f);
}

static void *call_thread(void *arg)
{
	struct fixture *f = arg;

	say(f, "{\"jsonrpc\":\"2.0\",\"id\":\"long\",\"method\":\"tools/call\",\"params\":{\"name\":\"deploy\","
	       "\"arguments\":{\"targets\":\"a\"}}}");
	return NULL;
}

static void test_cancel(void **state)
{
	struct fixture *f = fx_new(TOKEN_ROLE_OPERATOR, true);
	pthread_t t;
	int i;

	(void)state;
	wait_for_cancel = true;
	assert_int_equal(pthread_create(&t, NULL, call_thread, f), 0);
	for (i = 0; i < 500 && mcp_session_busy(f->s) == 0; i++)
		usleep(1000);
	assert_int_equal(mcp_session_busy(f->s), 1);
	/* Another id cancels nothing; the call's own id stops it, and then nothing is answered. */
	say(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"other\"}}");
	usleep(50000);
	assert_int_equal(mcp_session_busy(f->s), 1);
	say(f, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"long\","
	       "\"reason\":\"test\"}}");
	pthread_join(t, NULL);
	wait_for_cancel = false;
	assert_int_equal(mcp_session_busy(f->s), 0);
	assert_int_equal(json_array_size(f->sent.msgs), 0);
	fx_free(f);
}

static void test_resources(void **state)
{
	struct fixture *f = fx_new(TOKEN_ROLE_VIEWER, true);
	char path[256];
	const char *method;
	json_t *m, *c;

	(void)state;
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/list\"}");
	assert_int_equal(json_array_size(json_object_get(json_object_get(m, "result"), "resources")), 2);
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/templates/list\"}");
	assert_int_equal(json_array_size(json_object_get(json_object_get(m, "result"), "resourceTemplates")), 2);
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/read\",\"params\":{\"uri\":\"chimera://machines\"}}");
	c = json_array_get(json_object_get(json_object_get(m, "result"), "contents"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "uri")), "chimera://machines");
	assert_string_equal(json_string_value(json_object_get(c, "mimeType")), "application/json");
	assert_string_equal(json_string_value(json_object_get(c, "text")), "{\"machines\":[]}");
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/read\",\"params\":{\"uri\":\"chimera://x\"}}");
	assert_int_equal(error_code(m), MCP_RESOURCE_NOT_FOUND);
	m = say(f, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/read\",\"params\":{}}");
	assert_int_equal(error_code(m), MCP_INVALID_PARAMS);
	assert_int_equal(mcp_resource_route("chimera://machines/web-1", &method, path, sizeof(path)), 0);
	assert_string_equal(path, "/api/v1/machines/web-1");
	assert_int_equal(mcp_resource_route("chimera://deployments/01ABC", &method, path, sizeof(path)), 0);
	assert_string_equal(path, "/api/v1/deployments/01ABC");
	assert_int_equal(mcp_resource_route("chimera://ledger/head", &method, path, sizeof(path)), 0);
	assert_int_equal(mcp_resource_route("chimera://machines/a/b", &method, path, sizeof(path)), -1);
	assert_int_equal(mcp_resource_route("chimera://machines/", &method, path, sizeof(path)), -1);
	assert_int_equal(mcp_resource_route("chimera://machines/%2e%2e", &method, path, sizeof(path)), -1);
	assert_int_equal(mcp_resource_route("http://machines", &method, path, sizeof(path)), -1);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_jsonrpc_errors),
		cmocka_unit_test(test_tools_by_role),
		cmocka_unit_test(test_tool_calls),
		cmocka_unit_test(test_tool_failure_and_progress),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_resources),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
