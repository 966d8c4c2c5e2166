/* MCP inside the API: the backend that runs tools through the API's routes and jobs, and /mcp (mcp.h). */
#ifndef CHIMERA_API_MCP_API_H
#define CHIMERA_API_MCP_API_H

#include "api/api.h"
#include "api/mcp.h"

/*
 * Who the tools act for: the server, the caller's role and name (the token's; over stdio
 * the local user's). Every tool runs the API route its table row names, in-process, with
 * that role and caller: the same role checks, jobs, leases and ledger records as a request.
 */
struct mcp_api {
	struct api *api;
	enum token_role role;
	char caller[TOKEN_NAME_MAX];
};

/* BE's functions and argument (M, borrowed) for a session. */
void mcp_api_backend(struct mcp_api *m, struct mcp_backend *be);

/* POST and DELETE /mcp (mcp_http.c): the Streamable HTTP transport. */
void api_mcp_post(struct api_call *c);
void api_mcp_delete(struct api_call *c);
void api_mcp_get(struct api_call *c);

/* The /mcp routes: not under /api/v1 (router.c matches them before the table; not in --routes). */
extern const struct api_route api_routes_mcp[];

/*
 * The server is closing, its jobs ended: cancel every /mcp call still streaming and wait
 * for their threads (which touch the server) to end.
 */
void api_mcp_stop(void);

/* Forget every /mcp session (after api_mcp_stop). */
void api_mcp_sessions_free(void);

#endif
