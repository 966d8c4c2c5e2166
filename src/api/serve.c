/*
 * The server's life: open the world, the token store, the hub, the metrics, the jobs and
 * the listener; keep the fleet (the watch inside); SIGHUP reloads chimera.toml; SIGTERM
 * stops taking work, lets node steps in flight finish, records what was interrupted, exits.
 */
#include "api/api_internal.h"
#include "api/hub.h"
#include "api/jobs.h"
#include "api/mcp_api.h"
#include "api/metrics.h"
#include "app/ledger/events_append.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "util/banned.h"

void api_options_init(struct api_options *o)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = API_DEFAULT_PORT;
	o->watch = true;
	o->watch_interval_s = 30;
	o->max_connections = 4096;
	o->header_timeout_s = 10;
	o->idle_timeout_s = 60;
	o->threads = 4;
}

struct api_hub *api_hub_of(struct api *a) { return a->hub; }
struct api_metrics *api_metrics_of(struct api *a) { return a->metrics; }
struct api_jobs *api_jobs_of(struct api *a) { return a->jobs; }
struct token_store *api_tokens_of(struct api *a) { return a->tokens; }
bool api_stopping(struct api *a) { return a->stopping != 0; }
const struct world_options *api_world_options(struct api *a) { return &a->opt.world; }

/* A world and its holders: freed by the last one once a reload retired it. */
struct held_world {
	struct world w;		/* first: a struct world * is a struct held_world * */
	unsigned refs;
	bool retired;
	uint64_t gen;		/* which load of chimera.toml it is: 1, 2, ... in this process */
};

/* The loads of chimera.toml so far, every api's (the caches keyed by a world's gen are process-wide). */
static uint64_t worlds_loaded;
static pthread_mutex_t worlds_loaded_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t api_world_gen(struct world *w)
{
	return ((struct held_world *)w)->gen;
}

static void held_free(struct held_world *h)
{
	world_close(&h->w);
	free(h);
}

struct world *api_world_get(struct api *a)
{
	struct held_world *h;

	pthread_mutex_lock(&a->world_lock);
	h = (struct held_world *)a->world;
	h->refs++;
	pthread_mutex_unlock(&a->world_lock);
	return &h->w;
}

void api_world_put(struct api *a, struct world *w)
{
	struct held_world *h = (struct held_world *)w;
	bool last;

	pthread_mutex_lock(&a->world_lock);
	last = --h->refs == 0 && h->retired;
	pthread_mutex_unlock(&a->world_lock);
	if (last)
		held_free(h);
}

/* Make W current; the old one goes when its last holder lets go. */
static void world_swap(struct api *a, struct world *w)
{
	struct held_world *old;
	bool now;

	pthread_mutex_lock(&a->world_lock);
	old = (struct held_world *)a->world;
	a->world = w;
	if (old)
		old->retired = true;
	now = old && old->refs == 0;
	pthread_mutex_unlock(&a->world_lock);
	if (now)
		held_free(old);
}

void api_work_nice(void)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	errno = 0;
	if (setpriority(PRIO_PROCESS, (id_t)tid, getpriority(PRIO_PROCESS, (id_t)tid) + API_WORK_NICE) < 0)
		log_debug("serve", "cannot lower a worker thread's priority: %s", strerror(errno));
}

void api_world_lock(struct api *a)
{
	pthread_mutex_lock(&a->world_use);
}

void api_world_unlock(struct api *a)
{
	pthread_mutex_unlock(&a->world_use);
}

static void ledger_key_free(void *p)
{
	ledger_close(p);
}

struct ledger *api_ledger(struct api *a)
{
	struct ledger *l = pthread_getspecific(a->ledger_key);
	struct world *w;

	if (l)
		return l;
	w = api_world_get(a);
	if (world_open_ledger(w, &l) < 0)
		l = NULL;
	api_world_put(a, w);
	if (l)
		pthread_setspecific(a->ledger_key, l);
	return l;
}

static struct ledger *hub_open(void *arg)
{
	struct api *a = arg;
	struct world *w = api_world_get(a);
	struct ledger *l = NULL;

	if (world_open_ledger(w, &l) < 0)
		l = NULL;
	api_world_put(a, w);
	return l;
}

/* A new world with its state dir and inventory loaded. */
static int world_load(struct api *a, struct world **out)
{
	struct held_world *h = calloc(1, sizeof(*h));
	const struct inventory *inv;
	const char *dir;
	int r;

	*out = NULL;
	if (!h)
		return err_set(ERR_NOMEM, "out of memory");
	world_init(&h->w, &a->opt.world);
	pthread_mutex_lock(&worlds_loaded_lock);
	h->gen = ++worlds_loaded;
	pthread_mutex_unlock(&worlds_loaded_lock);
	if ((r = world_state_dir(&h->w, &dir)) < 0 || (r = world_inventory(&h->w, &inv)) < 0) {
		held_free(h);
		return r;
	}
	*out = &h->w;
	return 0;
}

static void record(struct api *a, const char *topic, json_t *payload)
{
	struct ledger *l = api_ledger(a);
	char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(payload);
	if (!l || !text || ledger_append1(l, topic, NULL, NULL, text, NULL) < 0)
		log_warn("serve", "the ledger did not take %s: %s", topic, l ? err_msg() : "no ledger");
	free(text);
}

/*
 * SIGHUP: chimera.toml read again. A file that does not parse keeps the old world (logged);
 * otherwise the new one is current and the watch starts again on its machines.
 */
static void reload(struct api *a)
{
	struct world *w;
	const struct inventory *inv;

	if (world_load(a, &w) < 0) {
		log_error("serve", "SIGHUP: chimera.toml not reloaded, the old one stays: %s", err_msg());
		record(a, "serve.reloaded", json_pack("{s:b, s:s}", "ok", 0, "error", err_msg()));
		return;
	}
	world_inventory(w, &inv);
	world_swap(a, w);
	log_info("serve", "SIGHUP: chimera.toml reloaded: %zu machines", inv->n);
	record(a, "serve.reloaded", json_pack("{s:b, s:I}", "ok", 1, "machines", (json_int_t)inv->n));
	api_watch_stop(a);
	api_watch_start(a);
}

/*
 * Open everything the server stands on, in A (zeroed, options set). 0, or an error with its
 * message. RECOVER: record the jobs a dead server left running as interrupted (not for
 * `chimera mcp`, which may run beside a live server on the same state).
 */
static int open_parts(struct api *a, bool recover)
{
	struct world *w;
	const char *dir;
	int r;

	if ((r = world_load(a, &w)) < 0)
		return r;
	world_swap(a, w);
	world_state_dir(w, &dir);
	if ((r = token_store_open(dir, &a->tokens)) < 0)
		return r;
	if (!(a->metrics = metrics_new()) || !(a->jobs = jobs_new(a)))
		return err_set(ERR_NOMEM, "out of memory");
	if (!api_ledger(a))
		return -1;
	if (recover && (r = jobs_recover(a->jobs)) < 0)
		return r;
	return hub_start(&a->hub, hub_open, a, a->metrics);
}

static int listen_on(struct api *a)
{
	struct httpd_config cfg = {
		.host = a->opt.host,
		.port = a->opt.port,
		.tls_cert = a->opt.tls_cert,
		.tls_key = a->opt.tls_key,
		.max_connections = a->opt.max_connections,
		.header_timeout_s = a->opt.header_timeout_s,
		.idle_timeout_s = a->opt.idle_timeout_s,
		.threads = a->opt.threads,
		.handler = api_handle,
		.refusal = api_refusal,
		.arg = a,
	};
	int r;

	if ((r = world_open_httpd(&cfg, &a->httpd)) < 0)
		return r;
	hub_set_server(a->hub, a->httpd);
	return 0;
}

/* "http://HOST:PORT" (brackets around an IPv6 address) into BUF. */
static void base_url(const struct api *a, int port, char *buf, size_t len)
{
	bool v6 = strchr(a->opt.host, ':') != NULL;

	snprintf(buf, len, "%s://%s%s%s:%d", a->opt.tls_cert ? "https" : "http", v6 ? "[" : "", a->opt.host,
		 v6 ? "]" : "", port);
}

static void gauges(struct api *a)
{
	metrics_gauge(a->metrics, "chimera_api_connections", a->httpd->ops->connections(a->httpd));
	metrics_gauge(a->metrics, "chimera_sse_subscribers", hub_subscribers(a->hub));
	metrics_gauge(a->metrics, "chimera_jobs_running", jobs_running(a->jobs));
}

/* Wait for signals with SET blocked in every thread; returns on SIGTERM or SIGINT. */
static void signal_loop(struct api *a, const sigset_t *set)
{
	struct timespec tick = { 1, 0 };
	int sig;

	for (;;) {
		gauges(a);
		sig = sigtimedwait(set, NULL, &tick);
		if (sig == SIGHUP)
			reload(a);
		else if (sig == SIGTERM || sig == SIGINT) {
			log_info("serve", "%s: stopping: no new work; node steps in flight finish", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return;
		}
	}
}

static void close_parts(struct api *a)
{
	/* The hub's thread wakes the server: it goes first; its streams end as the server closes them. */
	if (a->hub)
		hub_stop(a->hub);
	if (a->httpd)
		a->httpd->ops->close(a->httpd);
	if (a->jobs)
		jobs_free(a->jobs);
	if (a->tokens)
		token_store_close(a->tokens);
	if (a->metrics)
		metrics_free(a->metrics);
}

static void shut_down(struct api *a)
{
	unsigned running = a->jobs ? jobs_running(a->jobs) : 0;

	a->stopping = 1;
	if (a->httpd)
		a->httpd->ops->quiesce(a->httpd);
	if (a->jobs)
		jobs_stop(a->jobs);
	api_watch_stop(a);
	record(a, "serve.stopped", json_pack("{s:I, s:I}", "pid", (json_int_t)getpid(), "jobs_interrupted",
					     (json_int_t)running));
}

static int write_ready(const char *file, const char *url)
{
	char line[300];

	snprintf(line, sizeof(line), "%s\n", url);
	return fs_write_file(file, line, strlen(line), 0644);
}

/* What is left once every thread has ended: the main thread's ledger, the world, A itself. */
static void api_free(struct api *a)
{
	struct ledger *l = pthread_getspecific(a->ledger_key);

	if (l) {
		pthread_setspecific(a->ledger_key, NULL);
		ledger_close(l);
	}
	pthread_key_delete(a->ledger_key);
	if (a->world)
		world_swap(a, NULL);
	free(a->watch.nodes);
	pthread_mutex_destroy(&a->watch.lock);
	pthread_mutex_destroy(&a->auth_lock);
	pthread_mutex_destroy(&a->world_use);
	pthread_mutex_destroy(&a->world_lock);
	free(a);
}

/* A server with O's options, nothing opened yet. NULL when out of memory. */
static struct api *api_alloc(const struct api_options *o)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->opt = *o;
	a->watch.enabled = o->watch;
	pthread_mutex_init(&a->world_lock, NULL);
	pthread_mutex_init(&a->world_use, NULL);
	pthread_mutex_init(&a->auth_lock, NULL);
	pthread_mutex_init(&a->watch.lock, NULL);
	pthread_key_create(&a->ledger_key, ledger_key_free);
	return a;
}

int api_open_local(const struct api_options *o, struct api **out)
{
	struct api *a = api_alloc(o);
	char saved[1024];
	int r;

	*out = NULL;
	if (!a)
		return err_set(ERR_NOMEM, "out of memory");
	a->watch.enabled = false;
	if ((r = open_parts(a, false)) < 0) {
		snprintf(saved, sizeof(saved), "%s", err_msg());
		api_close_local(a);
		return err_set(r, "%s", saved);
	}
	*out = a;
	return 0;
}

void api_close_local(struct api *a)
{
	if (!a)
		return;
	a->stopping = 1;
	if (a->jobs)
		jobs_stop(a->jobs);
	close_parts(a);
	api_free(a);
}

int api_serve(const struct api_options *o)
{
	struct api *a = api_alloc(o);
	sigset_t set;
	char url[300], saved[1024];
	int r;

	if (!a)
		return err_set(ERR_NOMEM, "out of memory");
	/* Every thread started from here on leaves these signals to signal_loop. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r = open_parts(a, true)) < 0 || (r = listen_on(a)) < 0)
		goto out;
	base_url(a, a->httpd->ops->port(a->httpd), url, sizeof(url));
	record(a, "serve.started", json_pack("{s:s, s:I, s:b}", "url", url, "pid", (json_int_t)getpid(), "watch",
					     o->watch));
	if ((r = api_watch_start(a)) < 0)
		goto out;
	log_info("serve", "listening on %s (API %s)", url, API_PREFIX);
	if (o->ready_file && (r = write_ready(o->ready_file, url)) < 0)
		goto out;
	signal_loop(a, &set);
	shut_down(a);
out:
	if (r < 0)
		snprintf(saved, sizeof(saved), "%s", err_msg());
	api_watch_stop(a);
	api_mcp_stop();
	close_parts(a);
	api_mcp_sessions_free();
	api_free(a);
	if (r < 0)
		err_set(r, "%s", saved);
	return r;
}
