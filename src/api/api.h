/*
 * `chimera serve`: the control plane over HTTP. A front end like cli/: it opens the world
 * through runtime/, calls the use cases of app/, and answers with the same JSON reports the
 * CLI prints with --json. The HTTP itself is the httpd port's (adapters/mhd).
 *
 *   api.h          what the pieces share: the server, a call, a route, roles, answers
 *   router.c       route table look-up, {param} capture, roles, the request counters
 *   answer.c       JSON answers and {"error": {"code", "message"}} errors
 *   auth.c         bearer tokens (app/auth/tokens.h) and the per-client failure limit
 *   hub.c          follows the ledger: SSE subscribers, the metrics, the head seq
 *   metrics.c      Prometheus text
 *   jobs.c         what POST starts: a thread per job, its per-node progress, cancel
 *   routes_*.c     the handlers, each file one group of routes
 *   serve.c        the server's life: open, watch inside, signals, reload, stop
 */
#ifndef CHIMERA_API_API_H
#define CHIMERA_API_API_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/auth/tokens.h"
#include "ports/httpd.h"
#include "ports/ledger.h"
#include "runtime/world.h"

#define API_PREFIX "/api/v1"
#define API_PARAMS_MAX 3
#define API_DEFAULT_PORT 8470

struct api;
struct api_hub;
struct api_metrics;
struct api_jobs;

/* One request being answered: what the router found, who asked. */
struct api_call {
	struct api *api;
	const struct httpd_request *rq;
	struct httpd_response *res;
	const struct api_route *route;
	const char *param[API_PARAMS_MAX];	/* the {name} segments, in order (decoded, NUL-terminated) */
	size_t nparam;
	enum token_role role;			/* the caller's; TOKEN_ROLE_NONE for a public route */
	char caller[TOKEN_NAME_MAX];		/* the token's name, "" for a public route */
};

/*
 * A route: METHOD and PATTERN ("/api/v1/machines/{name}": a {..} segment matches one
 * non-empty segment), the least role that may call it (TOKEN_ROLE_NONE: no token needed),
 * and the handler. CHANGES: the call changes something, so it is refused while stopping.
 */
struct api_route {
	const char *method;
	const char *pattern;
	enum token_role role;
	void (*fn)(struct api_call *c);
	bool changes;
};

/* Each group's routes, ended by a { NULL } row; router.c walks them in this order. */
extern const struct api_route api_routes_read[];	/* routes_read.c */
extern const struct api_route api_routes_act[];	/* routes_act.c */
extern const struct api_route api_routes_jobs[];	/* routes_jobs.c */
extern const struct api_route api_routes_secrets[];	/* routes_secrets.c */
extern const struct api_route api_routes_events[];	/* routes_events.c: /events/stream */
extern const struct api_route api_routes_meta[];	/* routes_meta.c: /metrics, /openapi.json, /health */
extern const struct api_route api_routes_nix[];	/* routes_nix.c: /nix/... */
extern const struct api_route api_routes_hostfactory[];	/* routes_hostfactory.c: /hostfactory/... */
extern const struct api_route api_routes_web[];	/* routes_web.c: the dashboard, / and /assets/... */

/* Visit every route the server registers, in table order (the OpenAPI check walks this). */
void api_routes_each(void (*fn)(const struct api_route *r, void *arg), void *arg);

/*
 * The handler the httpd port calls: finds the route (404 with the path; 405 with Allow),
 * checks the token and the role (401 with WWW-Authenticate, 403, 429 after too many
 * failures from one client), runs it, and counts it (route pattern, status, seconds).
 * ARG is the struct api.
 */
void api_handle(const struct httpd_request *rq, struct httpd_response *res, void *arg);

/* The refusal hook (ports/httpd.h): a JSON error for what the server refused itself. */
void api_refusal(int status, const char *why, struct httpd_response *res, void *arg);

/*
 * Find the route for METHOD and PATH into *OUT with its parameters (pointing into SCRATCH,
 * LEN bytes). Returns 0; 404 when no pattern matches PATH; 405 when one matches but not
 * METHOD (ALLOW then lists the methods that do, comma-separated). Pure: what the fuzz
 * target drives.
 */
int api_route_find(const char *method, const char *path, const struct api_route **out, const char **param,
		   size_t *nparam, char *scratch, size_t len, char *allow, size_t allow_len);

/*
 * Run C's route (found, and c->role and c->caller set by whoever vouched for the caller: a
 * token, or MCP's session): 403 below the route's role, 503 (Retry-After) when it changes
 * something and the server is stopping, else the route's handler. The HTTP router and MCP's
 * tools both go through it.
 */
void api_route_run(struct api_call *c);

/* --- answers (answer.c) --- */

/* Answer STATUS with DOC (a reference is taken) as the body. */
void api_json(struct api_call *c, int status, json_t *doc);

/* Answer STATUS with TEXT (a rendered JSON document, malloc'd; taken; NULL: out of memory -> 500). */
void api_json_text(struct api_call *c, int status, char *text);

/* Answer STATUS with {"error": {"code": CODE, "message": ...}}. */
void api_error(struct api_call *c, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The same into a bare response (no call: refusals, the router's own 404/405). */
void api_error_res(struct httpd_response *res, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The request body as a JSON object into *OUT (a new reference). Returns 0; or answers 400
 * ("bad_body": not JSON, with line and column; not an object; 415 when Content-Type is
 * given and is not application/json) and returns -1.
 */
int api_body(struct api_call *c, json_t **out);

/*
 * Body field helpers: each answers 400 "bad_field" naming FIELD and the expected form and
 * returns -1 when the field is present with the wrong type (or missing and REQUIRED).
 * *OUT keeps its value when the field is absent.
 */
int api_field_string(struct api_call *c, json_t *body, const char *field, bool required, const char **out);
int api_field_bool(struct api_call *c, json_t *body, const char *field, bool *out);
int api_field_int(struct api_call *c, json_t *body, const char *field, long min, long max, long *out);
/* A string, or an array of strings joined with commas (targets): malloc'd into *OUT, NULL when absent. */
int api_field_list(struct api_call *c, json_t *body, const char *field, bool required, char **out);

/* Query helpers: the same for ?NAME=; 400 "bad_query" naming NAME. */
int api_query_int(struct api_call *c, const char *name, long min, long max, long *out);

/* --- the server (serve.c) --- */

struct api_options {
	struct world_options world;	/* how the world is opened (state dir, config, ledger) */
	const char *host;		/* "127.0.0.1" */
	int port;			/* 8470; 0: any */
	const char *tls_cert;
	const char *tls_key;
	bool insecure_http;		/* a non-loopback address without TLS */
	bool watch;			/* keep the inventory's machines (false: --no-watch) */
	long watch_interval_s;
	unsigned max_connections;
	unsigned header_timeout_s;
	unsigned idle_timeout_s;
	unsigned threads;
	const char *ready_file;		/* written with "http://HOST:PORT\n" once listening; NULL: none */
};

void api_options_init(struct api_options *o);

/* Run the server until SIGTERM/SIGINT (SIGHUP reloads chimera.toml). Returns 0, or an error with its message. */
int api_serve(const struct api_options *o);

/*
 * The server's parts without a listener or a watch (`chimera mcp` over stdio): the world,
 * the tokens, the jobs, the ledger's hub. 0 with *OUT, or an error with its message.
 * api_close_local stops its jobs (nodes in flight finish) and frees it.
 */
int api_open_local(const struct api_options *o, struct api **out);
void api_close_local(struct api *a);

/* --- what handlers reach through c->api (serve.c) --- */

/*
 * A ledger handle for this thread (opened on first use, kept for the thread's life). NULL
 * with err_msg() set when the ledger cannot be opened.
 */
struct ledger *api_ledger(struct api *a);

/*
 * The world as of the last (re)load, with its inventory loaded: held until api_world_put.
 * A reload swaps in a new one; holders keep theirs.
 */
struct world *api_world_get(struct api *a);
void api_world_put(struct api *a, struct world *w);

/* Which load of chimera.toml W (from api_world_get) is, unique in the process: a cache's key. */
uint64_t api_world_gen(struct world *w);

/* The world's options (to open a fresh world for a job). */
const struct world_options *api_world_options(struct api *a);

struct api_hub *api_hub_of(struct api *a);
struct api_metrics *api_metrics_of(struct api *a);
struct api_jobs *api_jobs_of(struct api *a);
struct token_store *api_tokens_of(struct api *a);

/* True once SIGTERM came: act routes answer 503. */
bool api_stopping(struct api *a);

#endif
