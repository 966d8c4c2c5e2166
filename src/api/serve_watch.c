/*
 * The watch inside the server: every machine of chimera.toml that has a configuration, each
 * kept on its own, with watch's semantics, events and leases (app/fleet/watch.h). A thread
 * of its own; the last round's nodes are kept for GET /watch and the metrics.
 */
#include "api/api_internal.h"
#include "api/metrics.h"
#include "app/config/machines.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* What one run of the watch owns, freed when it ends. */
struct watch_run_state {
	struct api *api;
	struct world *world;		/* the server's, held until the watch ends */
	struct world_reach reach;
	struct world_fleet wf;
	struct target_list targets;
	struct deploy_ctx ctx;
	struct watch_opts o;
	struct watch_config *configs;
	struct nix_source *srcs;
	size_t *config_of, nsrcs;
	struct deploy_node_opts *nodes;
	struct watch_sessions *sessions;
	struct session_spec *specs;
	char tmp[PATH_MAX];
};

static void set_error(struct api *a, const char *msg)
{
	pthread_mutex_lock(&a->watch.lock);
	snprintf(a->watch.error, sizeof(a->watch.error), "%s", msg);
	pthread_mutex_unlock(&a->watch.lock);
}

static void on_round(const struct watch_round *r, const struct watch_node *nodes, size_t n, const char *path,
		     void *arg)
{
	struct api *a = arg;
	struct metrics_nodes mn = { 0 };
	struct api_watch_node *copy = calloc(n ? n : 1, sizeof(*copy));
	size_t i;

	(void)path;
	for (i = 0; copy && i < n; i++) {
		const struct watch_node *w = &nodes[i];
		struct api_watch_node *c = &copy[i];

		snprintf(c->name, sizeof(c->name), "%s", w->name);
		c->state = w->state;
		snprintf(c->reason, sizeof(c->reason), "%s", w->reason);
		snprintf(c->actual, sizeof(c->actual), "%s", w->actual);
		snprintf(c->expected, sizeof(c->expected), "%s", w->expected ? w->expected : "");
		c->checked_ms = w->checked_ms;
		c->heals = w->heals;
		c->heal_failures = w->heal_failures;
		c->quarantined = w->quarantined;
		switch (w->state) {
		case WATCH_CONGRUENT:
		case WATCH_HEALED: mn.congruent++; break;
		case WATCH_DRIFTED:
		case WATCH_FAILED:
		case WATCH_HELD: mn.drifted++; break;
		case WATCH_UNREACHABLE: mn.unreachable++; break;
		case WATCH_QUARANTINED: mn.quarantined++; break;
		default: mn.unknown++; break;
		}
	}
	metrics_nodes(api_metrics_of(a), &mn);
	pthread_mutex_lock(&a->watch.lock);
	a->watch.round = *r;
	if (copy) {
		free(a->watch.nodes);
		a->watch.nodes = copy;
		a->watch.n = n;
	}
	pthread_mutex_unlock(&a->watch.lock);
}

/* The machines with a configuration, comma-separated, into SPEC; 0, or ERR_NOTFOUND when none has one. */
static int watched_spec(const struct inventory *inv, struct buf *spec)
{
	size_t i;

	for (i = 0; i < inv->n; i++) {
		const struct inv_machine *m = &inv->machines[i];

		if (!m->config_file && !m->flake)
			continue;
		if ((spec->len && buf_addc(spec, ',') < 0) || buf_adds(spec, m->name) < 0)
			return err_set(ERR_NOMEM, "out of memory");
	}
	return spec->len ? 0 : err_set(ERR_NOTFOUND, "no machine of chimera.toml has a configuration (config or flake)");
}

/* The fleet of the machines with a configuration, opened on S's world. 0, or an error with its message. */
static int open_fleet(struct watch_run_state *s, const struct inventory *inv)
{
	struct buf spec = BUF_INIT(0);
	int r;

	api_world_lock(s->api);
	if ((r = watched_spec(inv, &spec)) == 0 && (r = world_targets(s->world, spec.data, NULL, NULL, &s->targets)) == 0 &&
	    (r = world_open_fleet(s->world, &s->reach, &s->targets, &s->wf)) == 0 &&
	    (r = world_spool_dir(s->world, s->tmp, sizeof(s->tmp))) == 0)
		r = world_open_nix(s->world, &s->ctx.nix);
	api_world_unlock(s->api);
	buf_release(&spec);
	return r;
}

/* Open the fleet and gather every machine's settings into S. 0, or an error with its message. */
static int setup(struct watch_run_state *s)
{
	const struct inventory *inv;
	size_t i;
	int r;

	s->world = api_world_get(s->api);
	world_reach_init(&s->reach);
	if ((r = world_inventory(s->world, &inv)) < 0 || (r = open_fleet(s, inv)) < 0)
		return r;
	s->ctx.fleet = s->wf.fleet;
	if ((r = machines_configs(inv, &s->targets, "watch", &s->srcs, &s->nsrcs, &s->config_of)) < 0)
		return r;
	if (!(s->configs = calloc(s->nsrcs ? s->nsrcs : 1, sizeof(*s->configs))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < s->nsrcs; i++)
		s->configs[i].source = &s->srcs[i];
	s->o = (struct watch_opts){ .configs = s->configs, .nconfigs = s->nsrcs, .config_of = s->config_of,
				    .interval_s = s->api->opt.watch_interval_s, .heal = 1, .max_heal_attempts = 3,
				    .verify_every = 10, .confirm_s = 30, .tmp_dir = s->tmp };
	s->o.profile = s->reach.profile;
	s->o.activate = s->reach.activate;
	if (s->reach.goal && goal_parse(s->reach.goal, &s->o.goal) < 0)
		s->o.goal = GOAL_SWITCH;
	if (!goal_sets_profile(s->o.goal))
		s->o.goal = GOAL_SWITCH;
	s->o.checks = inv->defaults.checks;
	s->o.nchecks = inv->defaults.nchecks;
	s->o.probe_timeout_s = s->reach.connect_timeout;
	if ((r = machines_node_opts(inv, &s->targets, false, &s->nodes)) < 0 ||
	    (r = machines_sessions(inv, &s->wf.fleet, &s->targets, s->o.profile, &s->sessions, &s->specs)) < 0)
		return r;
	s->o.nodes = s->nodes;
	s->o.sessions = s->sessions;
	return 0;
}

static void teardown(struct watch_run_state *s)
{
	if (s->ctx.nix)
		s->ctx.nix->ops->close(s->ctx.nix);
	world_fleet_close(&s->wf);
	target_list_release(&s->targets);
	free(s->nodes);
	free(s->sessions);
	free(s->specs);
	free(s->configs);
	free(s->srcs);
	free(s->config_of);
	if (s->world)
		api_world_put(s->api, s->world);
}

static void *watch_thread(void *arg)
{
	struct api *a = arg;
	struct watch_run_state *s = calloc(1, sizeof(*s));
	struct watch_hooks hooks = { .round = on_round, .arg = a };
	struct watch_round last;
	int r;

	if (!s) {
		set_error(a, "out of memory");
		return NULL;
	}
	api_work_nice();
	s->api = a;
	if ((r = setup(s)) < 0) {
		log_warn("serve", "the watch is not running: %s", err_msg());
		set_error(a, err_msg());
	} else {
		pthread_mutex_lock(&a->watch.lock);
		a->watch.running = true;
		a->watch.error[0] = '\0';
		pthread_mutex_unlock(&a->watch.lock);
		log_info("serve", "watching %zu machines, %zu configurations, every %ld s", s->targets.n, s->nsrcs,
			 s->o.interval_s);
		if (watch_run(&s->ctx, &s->targets, &s->o, &hooks, &a->watch.stop, &a->watch.reload, &last) < 0) {
			log_warn("serve", "the watch stopped: %s", err_msg());
			set_error(a, err_msg());
		}
		pthread_mutex_lock(&a->watch.lock);
		a->watch.running = false;
		pthread_mutex_unlock(&a->watch.lock);
	}
	teardown(s);
	free(s);
	return NULL;
}

int api_watch_start(struct api *a)
{
	if (!a->watch.enabled)
		return 0;
	a->watch.stop = 0;
	a->watch.reload = 0;
	if (pthread_create(&a->watch.thread, NULL, watch_thread, a) != 0)
		return err_set(ERR_IO, "cannot start the watch thread");
	a->watch.started = true;
	return 0;
}

void api_watch_stop(struct api *a)
{
	if (!a->watch.started)
		return;
	a->watch.stop = 1;
	pthread_join(a->watch.thread, NULL);
	a->watch.started = false;
}
