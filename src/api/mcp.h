/*
 * The Model Context Protocol (docs/mcp.md): the fleet as tools and resources for an
 * assistant. Three parts:
 *
 *   mcp.c          the protocol as pure logic: JSON-RPC 2.0 messages in, messages out, the
 *                  lifecycle and version negotiation, tools/list filtered by role, arguments
 *                  checked against each tool's input schema, the calls in flight (progress,
 *                  cancel). No I/O: what a tool does is the backend's.
 *   mcp_tools.c    the tools and resources: names, schemas, annotations, the least role, and
 *                  the API route each one runs through
 *   mcp_backend.c  the backend: each tool runs the API's own route in-process (same roles,
 *                  same jobs, same leases, same ledger records); an act tool follows its job
 *   mcp_http.c     Streamable HTTP at /mcp inside `chimera serve` (cli/cmd_mcp.c is stdio)
 */
#ifndef CHIMERA_API_MCP_H
#define CHIMERA_API_MCP_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "app/auth/tokens.h"

#define MCP_PROTOCOL_LATEST "2025-06-18"

/* Whether this server speaks protocol version V (an HTTP request's MCP-Protocol-Version). */
bool mcp_version_supported(const char *v);

/* JSON-RPC 2.0 error codes, and MCP's for a resource that is not there. */
#define MCP_PARSE_ERROR (-32700)
#define MCP_INVALID_REQUEST (-32600)
#define MCP_METHOD_NOT_FOUND (-32601)
#define MCP_INVALID_PARAMS (-32602)
#define MCP_INTERNAL_ERROR (-32603)
#define MCP_RESOURCE_NOT_FOUND (-32002)

/* What a tool is, as tools/list shows it and as the backend runs it (mcp_tools.c). */
enum mcp_tool_kind {
	MCP_TOOL_READ,		/* a GET route: its answer is the result */
	MCP_TOOL_JOB,		/* a POST route that starts a job: followed until it ends */
	MCP_TOOL_ONCE,		/* a POST route that answers at once */
};

struct mcp_tool {
	const char *name;
	const char *title;
	const char *description;
	enum token_role role;		/* the least role that sees and calls it: its route's */
	enum mcp_tool_kind kind;
	bool read_only;			/* annotations.readOnlyHint */
	bool destructive;		/* annotations.destructiveHint */
	bool idempotent;		/* annotations.idempotentHint */
	const char *method;		/* the API route it runs: "GET", "/api/v1/status" */
	const char *path;		/* with {name} filled from the argument of that name */
	const char *input;		/* its inputSchema (JSON text) */
	const char *output;		/* its outputSchema (JSON text) */
	/* Its arguments (a copy) made the route's: 0, or -1 with MSG naming the field (NULL: as they are). */
	int (*adapt)(json_t *args, char *msg, size_t len);
};

/* Every tool, ended by a { NULL } row. */
extern const struct mcp_tool mcp_tools[];

const struct mcp_tool *mcp_tool_find(const char *name);

/*
 * ARGS (an object, or NULL for none) against TOOL's input schema: required properties
 * present, each known property of its type (string, integer, boolean, array of strings,
 * object), no property the schema does not name unless it allows more. 0, or -1 with MSG
 * naming the field and the expected form.
 */
int mcp_args_check(const struct mcp_tool *tool, json_t *args, char *msg, size_t len);

/*
 * resources/list (TEMPLATES false: chimera://machines, chimera://ledger/head) or
 * resources/templates/list (chimera://machines/{name}, chimera://deployments/{id}) as its
 * result: a new reference.
 */
json_t *mcp_resources_json(bool templates);

/*
 * The API route that serves URI: METHOD and PATH (LEN bytes) with its parameter filled.
 * 0, or -1 when URI is none of the resources.
 */
int mcp_resource_route(const char *uri, const char **method, char *path, size_t len);

/* A call in flight: what the backend reports progress to and checks for a cancel. */
struct mcp_call;

/* Whether the client cancelled the call (notifications/cancelled). */
bool mcp_call_cancelled(const struct mcp_call *call);

/*
 * Send notifications/progress for the call when the client gave a progressToken (else
 * nothing): PROGRESS only grows (a smaller one is raised to the last plus one); TOTAL <= 0:
 * none; MESSAGE may be NULL.
 */
void mcp_call_progress(struct mcp_call *call, double progress, double total, const char *message);

/*
 * What the protocol asks of the world. Each returns a new reference, or NULL with MSG:
 * CALL runs TOOL with ARGS (checked) and gives its structured result, *IS_ERROR true when
 * the tool failed (MSG then names the cause; the result may still say more); READ gives
 * the resource URI's JSON (*CODE MCP_RESOURCE_NOT_FOUND when there is none).
 */
struct mcp_backend {
	json_t *(*call)(void *arg, struct mcp_call *call, const struct mcp_tool *tool, json_t *args, bool *is_error,
			char *msg, size_t len);
	json_t *(*read)(void *arg, const char *uri, int *code, char *msg, size_t len);
	void *arg;
};

/* Where a session's messages go: TEXT is one JSON-RPC message, without a newline. */
typedef void (*mcp_send_fn)(void *arg, const char *text);

struct mcp_session;

/*
 * A session for a client of ROLE (stdio: TOKEN_ROLE_ADMIN, the local user acts as with the
 * CLI). NULL when out of memory. The backend and the sender are borrowed for its life.
 */
struct mcp_session *mcp_session_new(enum token_role role, const struct mcp_backend *be);

enum token_role mcp_session_role(const struct mcp_session *s);

/* Whether initialize has been answered. */
bool mcp_session_ready(const struct mcp_session *s);

/*
 * One message (TEXT, LEN bytes: a request, a notification, a response, or a batch of
 * them) from the client: its answers are sent through SEND(ARG), a tool's progress too, as
 * they come. Safe from several threads at once (a long tools/call on one, the cancel on
 * another). Returns how many responses it sent.
 */
int mcp_session_handle(struct mcp_session *s, const char *text, size_t len, mcp_send_fn send, void *arg);

/* Cancel every call in flight (the transport is closing). */
void mcp_session_cancel_all(struct mcp_session *s);

/* Calls in flight now. */
unsigned mcp_session_busy(struct mcp_session *s);

void mcp_session_free(struct mcp_session *s);

/* What a message is, without handling it: whether TEXT holds a request (not only notifications). */
bool mcp_message_has_request(const char *text, size_t len);

/* Whether TEXT is a request or notification for METHOD ("tools/call", the long one). */
bool mcp_message_is(const char *text, size_t len, const char *method);

#endif
