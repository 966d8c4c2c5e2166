/* What the api files share beyond api.h: the server's state, authentication, the watch inside. */
#ifndef CHIMERA_API_INTERNAL_H
#define CHIMERA_API_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "api/api.h"
#include "app/fleet/watch.h"

#define AUTH_CLIENTS 256		/* clients whose failures are remembered */
#define AUTH_FAILURES_MAX 10		/* failed authentications from one client in AUTH_WINDOW_MS ... */
#define AUTH_WINDOW_MS 60000		/* ... before it is answered 429 until the window ends */

struct auth_client {
	char addr[64];
	int failures;
	int64_t window_start_ms;
};

/* The last round the watch inside the server ran: per node, for GET /watch and the metrics. */
struct api_watch_node {
	char name[TARGET_FORMAT_MAX];
	enum watch_state state;
	char reason[WATCH_REASON_MAX];
	char actual[STOREPATH_MAX];
	char expected[STOREPATH_MAX];
	int64_t checked_ms;
	unsigned heals;
	int heal_failures;
	int quarantined;
};

struct api_watch {
	pthread_mutex_t lock;
	bool enabled;			/* the server keeps the fleet */
	bool running;			/* its thread is in watch_run */
	char error[512];		/* why it is not running, "" when it is */
	struct watch_round round;	/* the last round */
	struct api_watch_node *nodes;
	size_t n;
	pthread_t thread;
	bool started;
	volatile sig_atomic_t stop, reload;
};

struct api {
	struct api_options opt;
	pthread_mutex_t world_lock;
	pthread_mutex_t world_use;	/* the world opens lazily (the ssh config): one opener at a time */
	struct world *world;		/* the current one; swapped by a reload */
	struct token_store *tokens;
	struct api_hub *hub;
	struct api_metrics *metrics;
	struct api_jobs *jobs;
	struct httpd *httpd;
	struct api_watch watch;
	pthread_mutex_t auth_lock;
	struct auth_client clients[AUTH_CLIENTS];
	volatile sig_atomic_t stopping;
	pthread_key_t ledger_key;	/* each thread's ledger handle */
};

/*
 * The caller's bearer token against the store, unless the route is public: fills c->role and
 * c->caller (whether the role is enough is api_route_run's to say). Returns 0, or answers 401
 * (with WWW-Authenticate) or 429 (Retry-After) and returns -1.
 */
int api_auth(struct api_call *c);

/*
 * Calls that open parts of a held world (world_targets, world_open_fleet, world_open_nix,
 * world_spool_dir) go between these: a world opens some parts lazily.
 */
void api_world_lock(struct api *a);
void api_world_unlock(struct api *a);

/* SPEC's targets (NULL: every machine of the inventory) into T; answers 400/500 and returns -1 on failure. */
int api_targets(struct api_call *c, struct world *w, const char *spec, struct target_list *t);

/* The OpenAPI document, embedded at build time from docs/api/openapi.json (openapi_doc.c, generated). */
extern const char api_openapi_json[];
extern const unsigned long api_openapi_json_len;

/*
 * The calling thread, and every thread it starts from now on (Linux keeps nice per thread
 * and new threads inherit it), at nice +API_WORK_NICE: the watch's and the jobs' node work
 * (SSH handshakes by the hundred) then gives way to the threads that answer requests and
 * deliver events. Nothing to undo: the thread ends with its work.
 */
#define API_WORK_NICE 5
void api_work_nice(void);

/* The watch inside the server (serve_watch.c): start it for the inventory's machines, stop it. */
int api_watch_start(struct api *a);
void api_watch_stop(struct api *a);

#endif
