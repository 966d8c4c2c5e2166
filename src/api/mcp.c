/* The Model Context Protocol as pure logic: JSON-RPC 2.0 in, messages out (mcp.h). */
#include "api/mcp.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* The versions this server speaks, newest first: a client asking for another gets the newest. */
static const char *const versions[] = { MCP_PROTOCOL_LATEST, "2025-03-26", "2024-11-05" };

bool mcp_version_supported(const char *v)
{
	size_t i;

	for (i = 0; v && i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(v, versions[i]) == 0)
			return true;
	return false;
}

struct mcp_call {
	struct mcp_session *s;
	json_t *id;			/* the request's id */
	json_t *token;			/* its progressToken, or NULL */
	volatile sig_atomic_t cancelled;
	double last;			/* the last progress sent */
	mcp_send_fn send;
	void *arg;
	struct mcp_call *next;
};

struct mcp_session {
	pthread_mutex_t lock;
	enum token_role role;
	const struct mcp_backend *be;
	bool ready;
	struct mcp_call *calls;		/* in flight */
	unsigned busy;
};

struct mcp_session *mcp_session_new(enum token_role role, const struct mcp_backend *be)
{
	struct mcp_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->role = role;
	s->be = be;
	return s;
}

enum token_role mcp_session_role(const struct mcp_session *s) { return s->role; }

bool mcp_session_ready(const struct mcp_session *s)
{
	bool r;

	pthread_mutex_lock((pthread_mutex_t *)&s->lock);
	r = s->ready;
	pthread_mutex_unlock((pthread_mutex_t *)&s->lock);
	return r;
}

void mcp_session_free(struct mcp_session *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Send DOC (taken) as one message. */
static void send_doc(mcp_send_fn send, void *arg, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (text)
		send(arg, text);
	free(text);
}

/*
 * MSG as a JSON string: a message quoting the client's bytes may cut a UTF-8 sequence (or
 * hold one jansson refused): then each byte past ASCII is written '?'.
 */
static json_t *text_json(char *msg)
{
	json_t *s = json_string(msg);
	char *p;

	if (s)
		return s;
	for (p = msg; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(msg);
}

static void send_error(mcp_send_fn send, void *arg, json_t *id, int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* An error response to ID (borrowed; NULL: null) with CODE and the formatted message. */
static void send_error(mcp_send_fn send, void *arg, json_t *id, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	send_doc(send, arg, json_pack("{s:s, s:O, s:{s:i, s:o}}", "jsonrpc", "2.0", "id", id ? id : json_null(),
				      "error", "code", code, "message", text_json(msg)));
}

/* A result (taken) for ID. */
static void send_result(mcp_send_fn send, void *arg, json_t *id, json_t *result)
{
	send_doc(send, arg, json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result",
				      result ? result : json_object()));
}

/* --- arguments against a schema --- */

static bool of_type(json_t *v, const char *type, json_t *items)
{
	size_t i;
	json_t *e;

	if (strcmp(type, "string") == 0)
		return json_is_string(v);
	if (strcmp(type, "integer") == 0)
		return json_is_integer(v);
	if (strcmp(type, "number") == 0)
		return json_is_number(v);
	if (strcmp(type, "boolean") == 0)
		return json_is_boolean(v);
	if (strcmp(type, "object") == 0)
		return json_is_object(v);
	if (strcmp(type, "array") != 0 || !json_is_array(v))
		return false;
	json_array_foreach(v, i, e) {
		const char *it = json_string_value(json_object_get(items, "type"));

		if (it && !of_type(e, it, NULL))
			return false;
	}
	return true;
}

/* Whether V is one of SCHEMA's types ("type": a word or a list of words); the words into WANT. */
static bool fits(json_t *v, json_t *schema, char *want, size_t len)
{
	json_t *type = json_object_get(schema, "type"), *items = json_object_get(schema, "items"), *t;
	size_t i, used = 0;

	want[0] = '\0';
	if (json_is_string(type)) {
		snprintf(want, len, "%s", json_string_value(type));
		return of_type(v, json_string_value(type), items);
	}
	json_array_foreach(type, i, t) {
		if (json_is_string(t) && of_type(v, json_string_value(t), items))
			return true;
		if (json_is_string(t) && used < len)
			used += (size_t)snprintf(want + used, len - used, "%s%s", i ? " or " : "", json_string_value(t));
	}
	return !json_is_array(type);
}

int mcp_args_check(const struct mcp_tool *tool, json_t *args, char *msg, size_t len)
{
	json_t *schema = json_loads(tool->input, 0, NULL), *props, *req, *v, *more;
	const char *key;
	char want[64];
	size_t i;
	int rc = -1;

	if (!schema) {
		snprintf(msg, len, "tool '%s': its input schema does not parse", tool->name);
		return -1;
	}
	props = json_object_get(schema, "properties");
	req = json_object_get(schema, "required");
	more = json_object_get(schema, "additionalProperties");
	if (args && !json_is_object(args)) {
		snprintf(msg, len, "tool '%s': 'arguments' must be an object", tool->name);
		goto out;
	}
	json_array_foreach(req, i, v) {
		if (!json_object_get(args, json_string_value(v))) {
			snprintf(msg, len, "tool '%s': argument '%s' is required", tool->name, json_string_value(v));
			goto out;
		}
	}
	json_object_foreach(args, key, v) {
		json_t *p = json_object_get(props, key);

		if (!p && json_is_false(more)) {
			snprintf(msg, len, "tool '%s': no argument '%s' (it takes: see its inputSchema)", tool->name, key);
			goto out;
		}
		if (p && !fits(v, p, want, sizeof(want))) {
			snprintf(msg, len, "tool '%s': argument '%s' must be %s %s", tool->name, key,
				 want[0] == 'a' || want[0] == 'i' || want[0] == 'o' ? "an" : "a", want);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(schema);
	return rc;
}

/* --- calls in flight --- */

bool mcp_call_cancelled(const struct mcp_call *call)
{
	return call->cancelled != 0;
}

void mcp_call_progress(struct mcp_call *call, double progress, double total, const char *message)
{
	json_t *params;

	if (!call->token || call->cancelled)
		return;
	if (progress <= call->last)
		progress = call->last + 1;
	call->last = progress;
	params = json_pack("{s:O, s:f}", "progressToken", call->token, "progress", progress);
	if (params && total > 0)
		json_object_set_new(params, "total", json_real(total));
	if (params && message)
		json_object_set_new(params, "message", json_string(message));
	send_doc(call->send, call->arg,
		 json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", "notifications/progress", "params", params));
}

static void call_add(struct mcp_session *s, struct mcp_call *c)
{
	pthread_mutex_lock(&s->lock);
	c->next = s->calls;
	s->calls = c;
	s->busy++;
	pthread_mutex_unlock(&s->lock);
}

static void call_remove(struct mcp_session *s, struct mcp_call *c)
{
	struct mcp_call **p;

	pthread_mutex_lock(&s->lock);
	for (p = &s->calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	s->busy--;
	pthread_mutex_unlock(&s->lock);
}

/* notifications/cancelled: the call with that requestId stops (it then answers nothing). */
static void cancel(struct mcp_session *s, json_t *params)
{
	json_t *id = json_object_get(params, "requestId");
	struct mcp_call *c;

	pthread_mutex_lock(&s->lock);
	for (c = s->calls; id && c; c = c->next)
		if (json_equal(c->id, id))
			c->cancelled = 1;
	pthread_mutex_unlock(&s->lock);
}

void mcp_session_cancel_all(struct mcp_session *s)
{
	struct mcp_call *c;

	pthread_mutex_lock(&s->lock);
	for (c = s->calls; c; c = c->next)
		c->cancelled = 1;
	pthread_mutex_unlock(&s->lock);
}

unsigned mcp_session_busy(struct mcp_session *s)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = s->busy;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* --- methods --- */

static json_t *initialize(struct mcp_session *s, json_t *params, char *msg, size_t len)
{
	const char *want = json_string_value(json_object_get(params, "protocolVersion"));
	const char *version = versions[0];
	size_t i;

	if (!json_is_object(params) || !want) {
		snprintf(msg, len, "initialize: params.protocolVersion (a string) is required");
		return NULL;
	}
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcmp(want, versions[i]) == 0)
			version = versions[i];
	pthread_mutex_lock(&s->lock);
	s->ready = true;
	pthread_mutex_unlock(&s->lock);
	return json_pack("{s:s, s:{s:{s:b}, s:{s:b, s:b}}, s:{s:s, s:s, s:s}, s:s}", "protocolVersion", version,
			 "capabilities", "tools", "listChanged", 0, "resources", "subscribe", 0, "listChanged", 0,
			 "serverInfo", "name", "chimera", "title", "Chimera fleet", "version", CHIMERA_VERSION,
			 "instructions",
			 "Chimera deploys NixOS configurations to a fleet. Read tools look at machines, deployments "
			 "and the ledger; act tools (deploy, rollback, exec, release, heal, certify, pipeline) change "
			 "nodes under the same leases and ledger records as the CLI. Use dry_run first.");
}

static const char *role_word(enum token_role r)
{
	return r == TOKEN_ROLE_NONE ? "none" : token_role_name(r);
}

static json_t *tool_json(const struct mcp_tool *t)
{
	json_t *in = json_loads(t->input, 0, NULL), *out = json_loads(t->output, 0, NULL);

	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:s, s:b, s:b, s:b, s:b}}", "name", t->name, "title", t->title,
			 "description", t->description, "inputSchema", in ? in : json_object(), "outputSchema",
			 out ? out : json_pack("{s:s}", "type", "object"), "annotations", "title", t->title,
			 "readOnlyHint", t->read_only, "destructiveHint", t->destructive, "idempotentHint",
			 t->idempotent, "openWorldHint", 0);
}

static json_t *tools_list(struct mcp_session *s)
{
	json_t *arr = json_array();
	const struct mcp_tool *t;

	for (t = mcp_tools; arr && t->name; t++)
		if (s->role >= t->role)
			json_array_append_new(arr, tool_json(t));
	return json_pack("{s:o}", "tools", arr);
}

/* A tool's result: the text (MSG when it failed, else the structured result as JSON), structuredContent, isError. */
static json_t *tool_result(json_t *structured, bool is_error, char *msg)
{
	char *text = structured && !is_error ? json_dumps(structured, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_t *res = json_pack("{s:[{s:s, s:o}], s:b}", "content", "type", "text", "text",
				text ? json_string(text) : text_json(msg[0] ? msg : (char[]){ "the tool failed" }),
				"isError", is_error);

	free(text);
	if (res && json_is_object(structured))
		json_object_set(res, "structuredContent", structured);
	return res;
}

/* tools/call: answered here unless cancelled (then nothing is sent, as the specification asks). */
static void tools_call(struct mcp_session *s, json_t *id, json_t *params, mcp_send_fn send, void *arg)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	json_t *args = json_object_get(params, "arguments"), *out;
	const struct mcp_tool *t;
	struct mcp_call c = { .s = s, .id = id, .send = send, .arg = arg };
	char msg[1024] = "";
	bool is_error = false;

	if (!name) {
		send_error(send, arg, id, MCP_INVALID_PARAMS, "tools/call: params.name (a string) is required");
		return;
	}
	if (!(t = mcp_tool_find(name))) {
		send_error(send, arg, id, MCP_INVALID_PARAMS, "unknown tool '%.200s' (tools/list lists them)", name);
		return;
	}
	if (json_is_null(args))
		args = NULL;
	if (mcp_args_check(t, args, msg, sizeof(msg)) < 0) {
		send_error(send, arg, id, MCP_INVALID_PARAMS, "%s", msg);
		return;
	}
	if (s->role < t->role) {
		snprintf(msg, sizeof(msg), "refused: tool '%s' needs the %s role; this client has %s", t->name,
			 token_role_name(t->role), role_word(s->role));
		send_result(send, arg, id, tool_result(NULL, true, msg));
		return;
	}
	c.token = json_object_get(json_object_get(params, "_meta"), "progressToken");
	call_add(s, &c);
	out = s->be->call(s->be->arg, &c, t, args, &is_error, msg, sizeof(msg));
	call_remove(s, &c);
	if (!out && !is_error && !msg[0])
		snprintf(msg, sizeof(msg), "tool '%s' gave no result", t->name);
	if (!c.cancelled)
		send_result(send, arg, id, tool_result(out, is_error || !out, msg));
	json_decref(out);
}

static void resources_read(struct mcp_session *s, json_t *id, json_t *params, mcp_send_fn send, void *arg)
{
	const char *uri = json_string_value(json_object_get(params, "uri"));
	char msg[1024] = "", *text;
	int code = MCP_INTERNAL_ERROR;
	json_t *doc;

	if (!uri) {
		send_error(send, arg, id, MCP_INVALID_PARAMS, "resources/read: params.uri (a string) is required");
		return;
	}
	if (!(doc = s->be->read(s->be->arg, uri, &code, msg, sizeof(msg)))) {
		send_error(send, arg, id, code, "%s", msg[0] ? msg : "the resource cannot be read");
		return;
	}
	text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	send_result(send, arg, id, json_pack("{s:[{s:s, s:s, s:s}]}", "contents", "uri", uri, "mimeType",
					     "application/json", "text", text ? text : "null"));
	free(text);
}

/* A request: METHOD with PARAMS, answered to ID. */
static void request(struct mcp_session *s, json_t *id, const char *method, json_t *params, mcp_send_fn send,
		    void *arg)
{
	char msg[512] = "";
	json_t *res;

	if (params && !json_is_object(params)) {
		send_error(send, arg, id, MCP_INVALID_PARAMS, "%s: params must be an object", method);
	} else if (strcmp(method, "initialize") == 0) {
		if ((res = initialize(s, params, msg, sizeof(msg))))
			send_result(send, arg, id, res);
		else
			send_error(send, arg, id, MCP_INVALID_PARAMS, "%s", msg);
	} else if (strcmp(method, "ping") == 0) {
		send_result(send, arg, id, json_object());
	} else if (!mcp_session_ready(s)) {
		send_error(send, arg, id, MCP_INVALID_REQUEST, "%s before initialize: initialize first", method);
	} else if (strcmp(method, "tools/list") == 0) {
		send_result(send, arg, id, tools_list(s));
	} else if (strcmp(method, "tools/call") == 0) {
		tools_call(s, id, params, send, arg);
	} else if (strcmp(method, "resources/list") == 0) {
		send_result(send, arg, id, mcp_resources_json(false));
	} else if (strcmp(method, "resources/templates/list") == 0) {
		send_result(send, arg, id, mcp_resources_json(true));
	} else if (strcmp(method, "resources/read") == 0) {
		resources_read(s, id, params, send, arg);
	} else {
		send_error(send, arg, id, MCP_METHOD_NOT_FOUND, "no method '%.200s'", method);
	}
}

/* One message object. Returns 1 when it answered, else 0. */
static int message(struct mcp_session *s, json_t *m, mcp_send_fn send, void *arg)
{
	json_t *id = json_object_get(m, "id"), *method = json_object_get(m, "method");
	json_t *params = json_object_get(m, "params");

	if (id && !json_is_string(id) && !json_is_integer(id)) {
		send_error(send, arg, NULL, MCP_INVALID_REQUEST, "'id' must be a string or an integer");
		return 1;
	}
	if (!json_is_object(m) || !json_is_string(json_object_get(m, "jsonrpc")) ||
	    strcmp(json_string_value(json_object_get(m, "jsonrpc")), "2.0") != 0) {
		send_error(send, arg, id, MCP_INVALID_REQUEST, "not a JSON-RPC 2.0 message: expected \"jsonrpc\": \"2.0\"");
		return 1;
	}
	if (!method) {
		if (json_object_get(m, "result") || json_object_get(m, "error"))
			return 0;	/* a response: this server asks nothing, so none is awaited */
		send_error(send, arg, id, MCP_INVALID_REQUEST, "a message needs 'method' (or 'result' or 'error')");
		return 1;
	}
	if (!json_is_string(method)) {
		send_error(send, arg, id, MCP_INVALID_REQUEST, "'method' must be a string");
		return 1;
	}
	if (!id) {
		if (strcmp(json_string_value(method), "notifications/cancelled") == 0)
			cancel(s, params);
		return 0;	/* notifications/initialized and the rest need nothing */
	}
	request(s, id, json_string_value(method), params, send, arg);
	return 1;
}

int mcp_session_handle(struct mcp_session *s, const char *text, size_t len, mcp_send_fn send, void *arg)
{
	json_error_t e;
	json_t *m = json_loadb(text, len, JSON_DECODE_ANY, &e);
	int n;

	if (!m) {
		send_error(send, arg, NULL, MCP_PARSE_ERROR, "not JSON: %s (line %d, column %d)", e.text, e.line,
			   e.column);
		return 1;
	}
	if (json_is_array(m)) {
		json_decref(m);
		send_error(send, arg, NULL, MCP_INVALID_REQUEST,
			   "a batch (a JSON array) is not taken: send one message at a time (MCP 2025-06-18)");
		return 1;
	}
	if (!json_is_object(m)) {
		json_decref(m);
		send_error(send, arg, NULL, MCP_INVALID_REQUEST, "a message must be a JSON object");
		return 1;
	}
	n = message(s, m, send, arg);
	json_decref(m);
	return n;
}

bool mcp_message_has_request(const char *text, size_t len)
{
	json_t *m = json_loadb(text, len, 0, NULL);
	bool r = json_is_object(m) && json_object_get(m, "method") && json_object_get(m, "id");

	/* What does not parse, or is not one message, is answered with an error: a response too. */
	if (!json_is_object(m))
		r = true;
	json_decref(m);
	return r;
}

bool mcp_message_is(const char *text, size_t len, const char *method)
{
	json_t *m = json_loadb(text, len, 0, NULL);
	bool r = json_is_object(m) && json_is_string(json_object_get(m, "method")) &&
		 strcmp(json_string_value(json_object_get(m, "method")), method) == 0;

	json_decref(m);
	return r;
}
