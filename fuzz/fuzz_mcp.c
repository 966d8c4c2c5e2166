/*
 * Fuzz target for the MCP protocol core (api/mcp.c): one JSON-RPC message from a client to
 * a session, initialized or not, of a viewer or an admin, with a backend that answers every
 * tool and resource at once. The properties: every message sent back is a JSON-RPC 2.0
 * object; a response carries the request's id (null only for a message without a usable
 * one) and exactly one of result and error; an error's code is one the protocol names; a
 * notification gets no answer; a viewer's tool results never come from the backend for a
 * tool it may not call. The first byte picks the session: bit 0 initialized, bit 1 viewer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/mcp.h"
#include "fuzz.h"

const char *const fuzz_seeds[] = {
	"\x01{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
	"\x00{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-03-26\","
	"\"capabilities\":{},\"clientInfo\":{\"name\":\"c\",\"version\":\"1\"}}}",
	"\x01{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"tools/call\",\"params\":{\"name\":\"deploy\",\"arguments\":"
	"{\"targets\":[\"a\",\"b\"],\"source\":\"/x.nix\",\"goal\":\"boot\",\"dry_run\":true},\"_meta\":"
	"{\"progressToken\":7}}}",
	"\x03{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"rollback\",\"arguments\":"
	"{\"targets\":\"x\"}}}",
	"\x01{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"fleet_status\",\"arguments\":"
	"{\"refresh\":1}}}",
	"\x01{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/read\",\"params\":{\"uri\":\"chimera://machines/a\"}}",
	"\x01{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/templates/list\"}",
	"\x01{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":1}}",
	"\x01{\"jsonrpc\":\"2.0\",\"id\":6,\"result\":{}}",
	"\x01[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
	"\x01{\"jsonrpc\":\"1.0\",\"id\":1.5,\"method\":null}",
	"\x01{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":[]}",
	"\x01{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"exec\",\"arguments\":"
	"{\"targets\":\"a\",\"command\":5}}}",
	"\x01\"\\u0000\"",
	NULL,
};

static int backend_calls;

static json_t *fake_call(void *arg, struct mcp_call *call, const struct mcp_tool *tool, json_t *args, bool *is_error,
			 char *msg, size_t len)
{
	(void)arg;
	(void)args;
	(void)msg;
	(void)len;
	backend_calls++;
	FUZZ_CHECK(!mcp_call_cancelled(call), "a call cancelled before it ran");
	mcp_call_progress(call, 1, 2, "half");
	*is_error = false;
	return json_pack("{s:s}", "tool", tool->name);
}

static json_t *fake_read(void *arg, const char *uri, int *code, char *msg, size_t len)
{
	(void)arg;
	(void)code;
	(void)msg;
	(void)len;
	return json_pack("{s:s}", "uri", uri);
}

static const struct mcp_backend fake = { fake_call, fake_read, NULL };

struct sent {
	json_t *id;		/* the request's id, or NULL */
	int responses;
};

static void check_code(int code)
{
	FUZZ_CHECK(code == MCP_PARSE_ERROR || code == MCP_INVALID_REQUEST || code == MCP_METHOD_NOT_FOUND ||
			   code == MCP_INVALID_PARAMS || code == MCP_INTERNAL_ERROR || code == MCP_RESOURCE_NOT_FOUND,
		   "error code %d is none the protocol names", code);
}

static void on_send(void *arg, const char *text)
{
	struct sent *s = arg;
	json_t *m = json_loads(text, 0, NULL), *id, *err;

	FUZZ_CHECK(json_is_object(m), "sent something that is not a JSON object: %s", text);
	FUZZ_CHECK(json_is_string(json_object_get(m, "jsonrpc")) &&
			   strcmp(json_string_value(json_object_get(m, "jsonrpc")), "2.0") == 0,
		   "sent a message without jsonrpc 2.0: %s", text);
	if (json_object_get(m, "method")) {
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(m, "method")), "notifications/progress") == 0,
			   "sent a request or notification other than progress: %s", text);
		json_decref(m);
		return;
	}
	s->responses++;
	id = json_object_get(m, "id");
	err = json_object_get(m, "error");
	FUZZ_CHECK(id != NULL, "a response without an id: %s", text);
	FUZZ_CHECK(!err != !json_object_get(m, "result"), "a response needs exactly one of result and error: %s", text);
	if (err) {
		check_code((int)json_integer_value(json_object_get(err, "code")));
		FUZZ_CHECK(json_is_string(json_object_get(err, "message")), "an error without a message: %s", text);
	}
	if (s->id && !json_is_null(id))
		FUZZ_CHECK(json_equal(id, s->id), "answered another id: %s", text);
	json_decref(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char init[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":"
				   "{\"protocolVersion\":\"2025-06-18\"}}";
	struct sent s = { 0 };
	struct mcp_session *ses;
	json_t *m;
	int n;

	fuzz_begin(data, size);
	if (size < 1)
		return 0;
	ses = mcp_session_new(data[0] & 2 ? TOKEN_ROLE_VIEWER : TOKEN_ROLE_ADMIN, &fake);
	if (!ses)
		return 0;
	if (data[0] & 1)
		mcp_session_handle(ses, init, sizeof(init) - 1, on_send, &s);
	s.responses = 0;
	m = json_loadb((const char *)data + 1, size - 1, JSON_DECODE_ANY, NULL);
	s.id = json_object_get(m, "id");
	backend_calls = 0;
	n = mcp_session_handle(ses, (const char *)data + 1, size - 1, on_send, &s);
	FUZZ_CHECK(n == s.responses, "returned %d responses, sent %d", n, s.responses);
	FUZZ_CHECK(n <= 1, "answered one message %d times", n);
	if (json_is_string(json_object_get(m, "method")) && !json_object_get(m, "id") &&
	    json_is_string(json_object_get(m, "jsonrpc")) && strcmp(json_string_value(json_object_get(m, "jsonrpc")), "2.0") == 0)
		FUZZ_CHECK(n == 0, "answered a notification");
	if (data[0] & 2) {
		const struct mcp_tool *t = mcp_tool_find(json_string_value(
			json_object_get(json_object_get(m, "params"), "name")));

		FUZZ_CHECK(!t || t->role <= TOKEN_ROLE_VIEWER || backend_calls == 0, "a viewer ran tool '%s'", t->name);
	}
	FUZZ_CHECK(mcp_session_busy(ses) == 0, "a call left in flight");
	json_decref(m);
	mcp_session_free(ses);
	return 0;
}
