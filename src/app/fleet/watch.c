/* Use case: keep a fleet on its configuration, round after round, over sessions kept open. */
#include "app/fleet/watch.h"
#include "app/fleet/deadman.h"
#include "app/fleet/health.h"
#include "app/fleet/lease.h"
#include "app/fleet/watch_fold.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/pool.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"

static const char *const state_names[] = { "unknown", "congruent", "drifted", "healed",
					   "failed", "unreachable", "quarantined", "held" };

const char *watch_state_name(enum watch_state s)
{
	return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "unknown";
}

/* A configuration as built: its path, the plan heals deploy, the probes that check for it. */
struct watch_cfg {
	struct watch_job *job;
	const struct watch_config *c;
	char path[STOREPATH_MAX];
	struct deploy_plan *plan;
	struct buf probe_plain;		/* the probe command, without and with --verify-path */
	struct buf probe_verify;
	size_t head_len;		/* both start with the watch profile's head (remote_watch_probe_head) */
	time_t src_mtime;		/* of the Nix file (or flake.lock), to rebuild when it changes */
	int due;			/* to be built now */
	int err;			/* the last build's */
	char msg[1024];
};

struct watch_job {
	const struct deploy_ctx *ctx;
	const struct watch_opts *opts;
	struct watch_node *nodes;
	size_t n;
	struct watch_node **by_name;	/* the nodes sorted by name, for the ledger scans */
	char id[DEPLOYMENT_ID_LEN + 1];	/* the watch's run id: its events and its heals' deployment */
	struct watch_cfg *cfgs;		/* one per configuration */
	size_t ncfgs;
	struct deploy_opts dopts;
	struct fleet_op op;		/* the heals' node leases: one operation per watch run (its id), no waiting */
	int verify;			/* this round verifies */
	int64_t seen_seq;		/* ledger events up to here were looked at for releases */
	pthread_mutex_t lock;
	int ledger_err;
	volatile sig_atomic_t *stop;	/* once set, nodes not yet started this round are skipped */
};

static void job_record(struct watch_job *job, const char *topic, const char *node, json_t *payload)
{
	if (fleet_record(job->ctx->fleet.ledger, topic, job->id, node, payload, NULL) < 0) {
		pthread_mutex_lock(&job->lock);
		if (!job->ledger_err) {
			job->ledger_err = 1;
			log_kv(LOG_WARN, "watch", "cannot record an event", "error", err_msg(), (const char *)NULL);
		}
		pthread_mutex_unlock(&job->lock);
	}
}

/* The file whose change means a rebuild: the Nix file, or a flake's lock next to its flake.nix. */
static time_t source_mtime(const struct watch_config *c)
{
	char path[4096];
	struct stat st;

	if (!c->source)
		return 0;
	if (c->source->file) {
		snprintf(path, sizeof(path), "%s", c->source->file);
	} else {
		/* A directory, or path:DIRECTORY; other kinds of reference (git+..., github:) have no file here. */
		const char *dir = strncmp(c->source->flake, "path:", 5) == 0 ? c->source->flake + 5 : c->source->flake;

		snprintf(path, sizeof(path), "%.*s/flake.lock", (int)strcspn(dir, "#?"), dir);
	}
	return stat(path, &st) == 0 ? st.st_mtime : 0;
}

/* How events name configuration C: its file (+ attr), flake or expected path. */
static json_t *config_doc(const struct watch_config *c)
{
	return c->source ? deploy_source_json(c->source) : json_pack("{s:s}", "expect", c->expect);
}

/* Build C (or take its --expect) and make the plan and the probes for that path. */
static int cfg_build(struct watch_cfg *cfg)
{
	struct watch_job *job = cfg->job;
	const struct watch_config *c = cfg->c;
	char path[STOREPATH_MAX];
	struct deploy_plan *plan = NULL;
	char *const *paths;
	size_t n;
	int r;

	cfg->src_mtime = source_mtime(c);
	if (c->expect)
		snprintf(path, sizeof(path), "%s", c->expect);
	else if ((r = job->ctx->nix->ops->build(job->ctx->nix, c->source, path, NULL)) < 0)
		return r;
	if ((r = deploy_plan_new(job->ctx, &job->dopts, path, job->id, &plan)) < 0)
		return r;
	paths = deploy_plan_paths(plan, &n);
	/*
	 * A closure too long for one command line gets no per-path presence or verify check:
	 * only the profile and /run/current-system are compared (documented in --help).
	 */
	if (!remote_paths_fit(paths, n)) {
		paths = NULL;
		n = 0;
	}
	buf_reset(&cfg->probe_plain);
	buf_reset(&cfg->probe_verify);
	if ((r = remote_watch_probe_head(&cfg->probe_plain, job->opts->profile)) < 0) {
		deploy_plan_free(plan);
		return r;
	}
	cfg->head_len = cfg->probe_plain.len;
	buf_reset(&cfg->probe_plain);
	if ((r = remote_watch_probe(&cfg->probe_plain, job->opts->profile, paths, n, 0)) < 0 ||
	    (r = remote_watch_probe(&cfg->probe_verify, job->opts->profile, paths, n, 1)) < 0) {
		deploy_plan_free(plan);
		return r;
	}
	if (cfg->path[0] && strcmp(cfg->path, path) != 0)
		job_record(job, "watch.config.changed", NULL,
			   json_pack("{s:s, s:s, s:o}", "from", cfg->path, "to", path, "config", config_doc(c)));
	deploy_plan_free(cfg->plan);
	cfg->plan = plan;
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	return 0;
}

/* pool_run's task: build configuration I when it is due, keeping its error. */
static void cfg_build_task(size_t i, void *arg)
{
	struct watch_cfg *cfg = (struct watch_cfg *)arg + i;

	if (!cfg->due)
		return;
	cfg->msg[0] = 0;
	if ((cfg->err = cfg_build(cfg)) < 0)
		snprintf(cfg->msg, sizeof(cfg->msg), "%s", err_msg());
}

/*
 * Build every configuration (ALL) or those whose file changed, up to four at a time. At the
 * start a failed build is the watch's error, naming its configuration; later one is logged
 * and its last path kept.
 */
static int job_build(struct watch_job *job, int all, int start)
{
	size_t n = 0, i;
	int r;

	for (i = 0; i < job->ncfgs; i++) {
		struct watch_cfg *cfg = &job->cfgs[i];

		cfg->due = all || (cfg->c->source && source_mtime(cfg->c) != cfg->src_mtime);
		cfg->err = 0;
		n += cfg->due;
	}
	if (!n)
		return 0;
	if ((r = pool_run(job->ncfgs, 4, cfg_build_task, job->cfgs)) < 0)
		return r;
	for (i = 0; i < job->ncfgs; i++) {
		const struct watch_cfg *cfg = &job->cfgs[i];
		const struct nix_source *src = cfg->c->source;

		if (cfg->err >= 0)
			continue;
		if (start)
			return err_set(cfg->err, "cannot build %s%s%s: %s",
				       !src ? cfg->c->expect : src->flake ? src->flake : src->file,
				       src && src->attr ? " -A " : "", src && src->attr ? src->attr : "", cfg->msg);
		log_kv(LOG_WARN, "watch", "rebuild failed; keeping the last path", "error", cfg->msg, (const char *)NULL);
	}
	return 0;
}

/* Add "; WHAT" (or WHAT first) to R, cut to fit. */
static void add_reason(char *r, const char *what)
{
	size_t len = strlen(r);

	snprintf(r + len, WATCH_REASON_MAX - len, "%s%s", len ? "; " : "", what);
}

/*
 * Look at node W over its session: fills W->reason with every drift seen (empty when
 * none) and W->actual. Returns 0 when the node answered, or the executor's error.
 */
static int inspect(struct watch_job *job, struct watch_node *w)
{
	/* A plain probe is a few builtins; a verify round hashes the closure and gets a step's time. */
	struct exec_opts eo = { .timeout_s = job->verify ? job->ctx->fleet.step_timeout_s : job->opts->probe_timeout_s };
	struct exec_result res;
	const char *p, *end;
	size_t missing = 0, i;
	struct buf own = BUF_INIT(0);
	const struct watch_cfg *cfg = &job->cfgs[w->config];
	const struct buf *shared = job->verify ? &cfg->probe_verify : &cfg->probe_plain;
	const char *probe = shared->data;
	char first_missing[STOREPATH_MAX] = "", verify[256] = "";
	int verify_failed = 0, r;

	w->reason[0] = 0;
	w->actual[0] = 0;
	exec_result_init(&res);
	if (strcmp(w->profile, job->opts->profile) != 0) {
		/* A profile of its own: its own head, then the shared probe's rest (no path quoted again). */
		if ((r = remote_watch_probe_head(&own, w->profile)) < 0 ||
		    (r = buf_add(&own, shared->data + cfg->head_len, shared->len - cfg->head_len)) < 0)
			goto out;
		probe = own.data;
	}
	r = w->ex->ops->run(w->s, probe, &eo, &res);
	if (r == 0 && res.status != 0)
		r = err_set(ERR_IO, "%s: the probe exited with status %d: %.200s", w->name, res.status, res.err.data);
	if (r < 0)
		goto out;
	for (p = res.out.data, end = p + res.out.len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[STOREPATH_MAX + 16];

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + 1;
		if (strncmp(line, "profile", 7) == 0) {
			snprintf(w->actual, sizeof(w->actual), "%s", line[7] == ' ' ? line + 8 : "");
		} else if (strncmp(line, "current ", 8) == 0) {
			/* With goal boot the running system changes at the next boot, not at a heal. */
			if (w->goal != GOAL_BOOT && strcmp(line + 8, cfg->path) != 0) {
				char why[STOREPATH_MAX + 40];

				snprintf(why, sizeof(why), "the activated system is %s", line + 8);
				add_reason(w->reason, why);
			}
		} else if (strncmp(line, "missing ", 8) == 0) {
			if (!missing++)
				snprintf(first_missing, sizeof(first_missing), "%s", line + 8);
		} else if (strcmp(line, "verify-failed") == 0) {
			verify_failed = 1;
		} else if (strncmp(line, "verify ", 7) == 0 && !verify[0]) {
			snprintf(verify, sizeof(verify), "%s", line + 7);
		}
	}
	/* A dead-man switch that fired: recorded as the node's own rollback, under the operation that armed it. */
	if (deadman_fired_seen(&res.out))
		deadman_notice(&job->ctx->fleet, w->ex, w->s, w->name, "watch", NULL);
	if (strcmp(w->actual, cfg->path) != 0) {
		char why[STOREPATH_MAX + 40];

		snprintf(why, sizeof(why), w->actual[0] ? "the profile points at %s" : "there is no profile%s",
			 w->actual);
		add_reason(w->reason, why);
	}
	if (missing) {
		char why[STOREPATH_MAX + 64];

		snprintf(why, sizeof(why), "%zu closure path%s missing (%s%s)", missing, missing > 1 ? "s" : "",
			 first_missing, missing > 1 ? ", ..." : "");
		add_reason(w->reason, why);
	}
	if ((w->damaged = verify_failed)) {	/* the heal restores the changed paths first */
		char why[300];

		snprintf(why, sizeof(why), "nix-store --verify-path failed: %s", verify[0] ? verify : "(no message)");
		add_reason(w->reason, why);
	}
	for (i = 0; i < w->nchecks; i++) {
		struct health_result hr;

		if (health_run(&w->checks[i], w->target.host, job->ctx->fleet.http, w->ex, w->s, &hr) == 0 && !hr.ok) {
			char why[700];

			snprintf(why, sizeof(why), "check %s failed: %s", w->checks[i].text, hr.detail);
			add_reason(w->reason, why);
		}
	}
out:
	exec_result_release(&res);
	buf_release(&own);
	return r;
}

static void drop_session(struct watch_node *w)
{
	if (w->s)
		w->ex->ops->disconnect(w->s);
	w->s = NULL;
}

static int64_t backoff_ms(int failures)
{
	int64_t ms = WATCH_BACKOFF_FIRST_MS;

	while (--failures > 0 && ms < WATCH_BACKOFF_MAX_MS)
		ms *= 3;
	return ms < WATCH_BACKOFF_MAX_MS ? ms : WATCH_BACKOFF_MAX_MS;
}

/* Heal W (its drift in W->reason): deploy the plan on its session, then look again. */
static void heal(struct watch_job *job, struct watch_node *w)
{
	/* The heal's own account: only while it runs, not kept per node for the whole watch. */
	struct deploy_node dn = { .target = w->target, .profile = w->profile, .activate = w->activate, .goal = w->goal,
				  .repair = w->damaged };
	const struct watch_cfg *cfg = &job->cfgs[w->config];
	char drift[WATCH_REASON_MAX];
	int r;

	snprintf(drift, sizeof(drift), "%s", w->reason);
	snprintf(dn.name, sizeof(dn.name), "%s", w->name);
	if (fleet_node_begin(&job->op, &w->target, w->name, cfg->path, w->ex, w->s, &dn.fail) < 0) {
		w->state = WATCH_HELD;	/* another operation acts on it: skipped this round, not healed */
		add_reason(w->reason, dn.fail.message);
		job_record(job, "watch.node.held", w->name, json_pack("{s:s, s:s}", "drift", drift, "error", dn.fail.message));
		return;
	}
	r = deploy_plan_node(cfg->plan, &dn, w->ex, w->s);
	fleet_node_end(&job->op, &w->target, w->name, w->ex, w->s);
	if (r == 0 && (r = inspect(job, w)) == 0 && !w->reason[0]) {
		w->state = WATCH_HEALED;
		w->heals++;
		w->heal_failures = 0;
		snprintf(w->reason, sizeof(w->reason), "%s", drift);
		job_record(job, "watch.node.healed", w->name, json_pack("{s:s, s:s}", "drift", drift, "path", cfg->path));
		return;
	}
	if (r < 0) {
		char why[WATCH_REASON_MAX];

		snprintf(why, sizeof(why), "the heal failed at %s: %s", dn.fail.step ? dn.fail.step : "?",
			 dn.fail.message[0] ? dn.fail.message : err_msg());
		snprintf(w->reason, sizeof(w->reason), "%s", drift);
		add_reason(w->reason, why);
	} else {
		add_reason(w->reason, "still drifted after the heal");
	}
	if (dn.fail.err == ERR_IO || dn.fail.err == ERR_TIMEOUT)
		drop_session(w);
	w->state = WATCH_FAILED;
	w->heal_failures++;
	w->next_heal_ms = clock_mono_ms() + backoff_ms(w->heal_failures);
	job_record(job, "watch.node.heal_failed", w->name,
		   json_pack("{s:s, s:s, s:i}", "drift", drift, "error", w->reason, "failures", w->heal_failures));
	if (w->heal_failures >= job->opts->max_heal_attempts) {
		w->quarantined = 1;
		w->state = WATCH_QUARANTINED;
		job_record(job, "watch.node.quarantined", w->name,
			   json_pack("{s:s, s:i}", "reason", w->reason, "failures", w->heal_failures));
	}
}

/*
 * W's declared sessions that are gone: started again when healing, else named in
 * W->reason. Returns how many were started, or an error (W->reason says which) when one
 * could not be checked or started.
 */
static int keep_sessions(struct watch_job *job, struct watch_node *w)
{
	struct fleet_failure f = { 0 };
	struct session_list running = { 0 };
	size_t i, k;
	int started = 0, r;

	/* One listing a round, however many sessions the machine keeps. */
	if ((r = sessions_list(w->ex, w->s, w->name, &running, &f)) < 0) {
		add_reason(w->reason, f.message[0] ? f.message : err_msg());
		return r;
	}
	for (i = 0; i < w->sessions->n; i++) {
		const struct session_spec *spec = &w->sessions->specs[i];
		char why[WATCH_REASON_MAX];

		memset(&f, 0, sizeof(f));
		for (k = 0; k < running.n && strcmp(running.items[k].name, spec->name) != 0; k++)
			;
		if (k < running.n)
			continue;
		if (!job->opts->heal) {
			snprintf(why, sizeof(why), "session %s is not running", spec->name);
			add_reason(w->reason, why);
			continue;
		}
		if ((r = sessions_start(w->ex, w->s, w->name, spec, NULL, &f)) == 0) {
			started++;
			job_record(job, "watch.session.restarted", w->name,
				   json_pack("{s:s, s:s}", "session", spec->name, "command", spec->command));
			continue;
		}
		snprintf(why, sizeof(why), "session %s: %s", spec->name, f.message[0] ? f.message : err_msg());
		add_reason(w->reason, why);
		job_record(job, "watch.session.failed", w->name, json_pack("{s:s, s:s}", "session", spec->name, "error", why));
		session_list_release(&running);
		return r < 0 ? r : ERR_IO;
	}
	session_list_release(&running);
	return started;
}

/* After W's profile part of the round (congruent or healed): its declared sessions. */
static void sessions_round(struct watch_job *job, struct watch_node *w)
{
	int r;

	if (!w->sessions || !w->sessions->n)
		return;
	if ((r = keep_sessions(job, w)) < 0) {
		w->state = WATCH_FAILED;
		return;
	}
	if (r > 0 && w->state == WATCH_CONGRUENT) {
		w->state = WATCH_HEALED;
		w->heals++;
	} else if (r == 0 && w->reason[0] && w->state == WATCH_CONGRUENT) {
		w->state = WATCH_DRIFTED;	/* --no-heal: a session is missing */
	}
}

/* One node's part of a round. */
static void node_round(size_t i, void *arg)
{
	struct watch_job *job = arg;
	struct watch_node *w = &job->nodes[i];
	int r;

	if (w->quarantined) {
		w->state = WATCH_QUARANTINED;
		return;
	}
	if (*job->stop) {
		snprintf(w->reason, sizeof(w->reason), "not checked: the watch was stopped");
		return;
	}
	if (!w->s) {
		struct fleet_failure f = { 0 };

		if (fleet_connect(&job->ctx->fleet, &w->target, &w->ex, &w->s, &f) < 0) {
			w->state = WATCH_UNREACHABLE;
			snprintf(w->reason, sizeof(w->reason), "%s", f.message);
			return;
		}
	}
	if ((r = inspect(job, w)) < 0) {
		w->state = WATCH_UNREACHABLE;
		snprintf(w->reason, sizeof(w->reason), "%s", err_msg());
		drop_session(w);
		return;
	}
	w->checked_ms = clock_wall_ms();
	if (!w->reason[0]) {
		w->state = WATCH_CONGRUENT;
		if (w->heal_failures)	/* the count of failed heals in a row starts again, in the ledger too */
			job_record(job, "watch.node.recovered", w->name, json_pack("{s:i}", "failures", w->heal_failures));
		w->heal_failures = 0;
		sessions_round(job, w);
		return;
	}
	if (w->last != WATCH_DRIFTED && w->last != WATCH_FAILED && w->last != WATCH_HELD)
		job_record(job, "watch.node.drifted", w->name, json_pack("{s:s, s:s}", "drift", w->reason, "actual", w->actual));
	if (!job->opts->heal || clock_mono_ms() < w->next_heal_ms) {
		w->state = WATCH_DRIFTED;
		return;
	}
	heal(job, w);
	if (w->state == WATCH_HEALED)
		sessions_round(job, w);
}

static int by_name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct watch_node *const *)a)->name, (*(struct watch_node *const *)b)->name);
}

static int name_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct watch_node *const *)elem)->name);
}

/* The node called NAME, found in the sorted index (a ledger holds events of every node ever deployed). */
static struct watch_node *node_named(struct watch_job *job, const char *name)
{
	struct watch_node **w = bsearch(name, job->by_name, job->n, sizeof(*job->by_name), name_key_cmp);

	return w ? *w : NULL;
}

/* A watch.node.released, or a deploy that succeeded on a quarantined node, releases it. */
static int on_release_event(const struct ledger_event *ev, void *arg)
{
	struct watch_job *job = arg;
	struct watch_node *w;

	job->seen_seq = ev->seq;
	if (!ev->node)
		return 0;
	if (strcmp(ev->topic, "watch.node.released") != 0 &&
	    !(strcmp(ev->topic, "node.deploy.complete") == 0 && (!ev->deployment || strcmp(ev->deployment, job->id) != 0)))
		return 0;
	if ((w = node_named(job, ev->node)) && w->quarantined) {
		w->quarantined = 0;
		w->heal_failures = 0;
		w->next_heal_ms = 0;
		log_kv(LOG_INFO, "watch", "released from quarantine", "node", w->name, "by", ev->topic,
		       (const char *)NULL);
	}
	return 0;
}

static long self_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void count(struct watch_round *r, const struct watch_node *w)
{
	switch (w->state) {
	case WATCH_CONGRUENT: r->congruent++; break;
	case WATCH_DRIFTED: r->drifted++; break;
	case WATCH_HEALED: r->healed++; break;
	case WATCH_FAILED: r->failed++; break;
	case WATCH_UNREACHABLE: r->unreachable++; break;
	case WATCH_QUARANTINED: r->quarantined++; break;
	case WATCH_HELD: r->held++; break;
	default: break;
	}
}

/* Sleep until DEADLINE (monotonic ms) or a stop or reload. */
static void nap(int64_t deadline, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	while (!*stop && !*reload && clock_mono_ms() < deadline) {
		int64_t left = deadline - clock_mono_ms();

		clock_sleep_ms(left < 100 ? left : 100);
	}
}

/* What watch.started says of the configurations: each one's source, path and node count. */
static json_t *configs_doc(const struct watch_job *job)
{
	json_t *a = json_array();
	size_t *count = calloc(job->ncfgs, sizeof(*count)), i;

	for (i = 0; count && i < job->n; i++)
		count[job->nodes[i].config]++;
	for (i = 0; i < job->ncfgs; i++) {
		json_t *c = config_doc(job->cfgs[i].c);

		json_object_set_new(c, "path", json_string(job->cfgs[i].path));
		json_object_set_new(c, "nodes", count ? json_integer((json_int_t)count[i]) : json_null());
		json_array_append_new(a, c);
	}
	free(count);
	return a;
}

/* Each round's event: the counts, and the path when there is one configuration. */
static json_t *round_doc(const struct watch_job *job, const struct watch_round *rd)
{
	json_t *p = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "round", (json_int_t)rd->round, "nodes",
			      (json_int_t)rd->nodes, "congruent", (json_int_t)rd->congruent, "drifted",
			      (json_int_t)rd->drifted, "healed", (json_int_t)rd->healed, "failed", (json_int_t)rd->failed,
			      "unreachable", (json_int_t)rd->unreachable, "quarantined", (json_int_t)rd->quarantined, "ms",
			      (json_int_t)rd->ms);

	if (p && job->ncfgs == 1)
		json_object_set_new(p, "path", json_string(job->cfgs[0].path));
	if (p)
		json_object_set_new(p, "held", json_integer((json_int_t)rd->held));
	return p;
}

/* The job's nodes (sorted by name too) and configurations, from TARGETS; each node's name goes in NAMES. */
static int job_setup(struct watch_job *job, const struct target_list *targets, json_t *names)
{
	const struct watch_opts *opts = job->opts;
	struct deployment_id id;
	struct node_settings ns;
	size_t i;
	int r;

	if ((r = deployment_id_generate(&id, (uint64_t)clock_wall_ms())) < 0)
		return r;
	deployment_id_format(&id, job->id, sizeof(job->id));
	job->nodes = calloc(targets->n ? targets->n : 1, sizeof(*job->nodes));
	job->by_name = calloc(targets->n ? targets->n : 1, sizeof(*job->by_name));
	job->cfgs = calloc(opts->nconfigs, sizeof(*job->cfgs));
	if (!job->nodes || !job->by_name || !job->cfgs || !names)
		return err_set(ERR_NOMEM, "out of memory");
	job->ncfgs = opts->nconfigs;
	for (i = 0; i < job->ncfgs; i++) {
		job->cfgs[i] = (struct watch_cfg){ .job = job, .c = &opts->configs[i], .probe_plain = BUF_INIT(0),
						   .probe_verify = BUF_INIT(0) };
	}
	job->n = targets->n;
	for (i = 0; i < job->n; i++) {
		struct watch_node *w = &job->nodes[i];

		w->target = targets->items[i];
		fleet_node_name(&w->target, w->name, sizeof(w->name));
		w->config = opts->config_of ? opts->config_of[i] : 0;
		if (w->config >= job->ncfgs)
			return err_set(ERR_INVALID, "%s: configuration %zu of %zu", w->name, w->config + 1, job->ncfgs);
		w->expected = job->cfgs[w->config].path;
		ns = fleet_settings(&job->ctx->fleet, &w->target);	/* one look-up for the three */
		w->profile = ns.profile ? ns.profile : opts->profile;
		w->activate = ns.activate ? ns.activate : opts->activate;
		w->goal = node_settings_goal(&ns, opts->goal);
		if (!goal_sets_profile(w->goal))
			return err_set(ERR_INVALID,
				       "%s: watch keeps the profile on its configuration, and goal '%s' leaves the profile "
				       "alone, so every round would find drift: expected goal switch or boot (use deploy "
				       "--goal %s for a one-off)",
				       w->name, goal_name(w->goal), goal_name(w->goal));
		w->checks = opts->nodes && opts->nodes[i].checks ? opts->nodes[i].checks : opts->checks;
		w->nchecks = opts->nodes && opts->nodes[i].checks ? opts->nodes[i].nchecks : opts->nchecks;
		w->sessions = opts->sessions ? &opts->sessions[i] : NULL;
		if ((r = profile_path_check(w->profile)) < 0)
			return r;
		json_array_append_new(names, json_string(job->nodes[i].name));
	}
	for (i = 0; i < job->n; i++)
		job->by_name[i] = &job->nodes[i];
	qsort(job->by_name, job->n, sizeof(*job->by_name), by_name_cmp);
	return 0;
}

/* Free what job_setup and the rounds made: sessions, plans, probes, the node tables. */
static void job_release(struct watch_job *job)
{
	size_t i;

	for (i = 0; i < job->n; i++)
		drop_session(&job->nodes[i]);
	for (i = 0; i < job->ncfgs; i++) {
		deploy_plan_free(job->cfgs[i].plan);
		buf_release(&job->cfgs[i].probe_plain);
		buf_release(&job->cfgs[i].probe_verify);
	}
	free(job->cfgs);
	free(job->by_name);
	free(job->nodes);
	pthread_mutex_destroy(&job->lock);
}

/* watch.started: the configurations, NAMES (taken), the interval and the heal settings. */
static void job_started(struct watch_job *job, json_t *names)
{
	const struct watch_opts *opts = job->opts;
	json_t *started;

	started = json_pack("{s:o, s:o, s:I, s:b, s:i}", "configurations", configs_doc(job), "nodes", names,
			    "interval_s", (json_int_t)opts->interval_s, "heal", opts->heal, "max_heal_attempts",
			    opts->max_heal_attempts);
	if (started && job->ncfgs == 1)
		json_object_set_new(started, "path", json_string(job->cfgs[0].path));
	job_record(job, "watch.started", NULL, started);
}

/*
 * Round RD->round, begun at T0: rebuild what changed (every configuration when RELOAD was
 * set), read the releases, every node in parallel, then the counts and watch.round.
 */
static int job_round(struct watch_job *job, struct watch_round *rd, volatile sig_atomic_t *reload, int64_t t0)
{
	const struct watch_opts *opts = job->opts;
	struct ledger_filter since = { .since = job->seen_seq };
	int all_cfgs = *reload;
	size_t i;
	int r;

	*reload = 0;
	if ((r = job_build(job, all_cfgs, 0)) < 0)
		return r;
	/* A release not read now is read next round (seen_seq stays), but say so. */
	if (ledger_scan(job->ctx->fleet.ledger, &since, on_release_event, job) < 0)
		log_kv(LOG_WARN, "watch", "cannot read releases from the ledger; trying again next round", "error",
		       err_msg(), (const char *)NULL);
	job->verify = opts->verify_every > 0 && rd->round % (uint64_t)opts->verify_every == 0;
	for (i = 0; i < job->n; i++) {
		job->nodes[i].last = job->nodes[i].state;
		job->nodes[i].state = WATCH_UNKNOWN;
	}
	if ((r = pool_run(job->n, job->ctx->fleet.parallel, node_round, job)) < 0)
		return r;
	rd->nodes = job->n;
	rd->congruent = rd->drifted = rd->healed = rd->failed = rd->unreachable = rd->quarantined = rd->held = 0;
	for (i = 0; i < job->n; i++) {
		struct watch_node *w = &job->nodes[i];

		count(rd, w);
		if (w->state == WATCH_UNREACHABLE && w->last != WATCH_UNREACHABLE)
			job_record(job, "watch.node.unreachable", w->name, json_pack("{s:s}", "reason", w->reason));
	}
	rd->ms = clock_mono_ms() - t0;
	rd->rss_kb = self_rss_kb();
	job_record(job, "watch.round", NULL, round_doc(job, rd));
	return 0;
}

int watch_run(const struct deploy_ctx *ctx, const struct target_list *targets, const struct watch_opts *opts,
	      const struct watch_hooks *hooks, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
	      struct watch_round *last)
{
	struct watch_job job = { .ctx = ctx, .opts = opts };
	struct watch_round rd = { 0 };
	const char *why = "done";
	json_t *names = NULL;
	int r;

	memset(last, 0, sizeof(*last));
	if ((r = ledger_writable(ctx->fleet.ledger)) < 0)
		return r;
	job.stop = stop;
	pthread_mutex_init(&job.lock, NULL);
	job.dopts = (struct deploy_opts){ .profile = opts->profile, .activate = opts->activate, .goal = opts->goal,
					  .confirm_s = opts->confirm_s, .tmp_dir = opts->tmp_dir };
	if (!opts->nconfigs) {
		r = err_set(ERR_INVALID, "watch needs a configuration");
		goto out;
	}
	if ((r = profile_path_check(opts->profile)) < 0)
		goto out;
	if ((r = job_setup(&job, targets, (names = json_array()))) < 0 ||
	    (r = fleet_op_begin(&job.op, &ctx->fleet, "watch", job.id)) < 0)
		goto out;
	job.op.wait_ms = 0;
	job.op.own_settle = !job.dopts.before;	/* heals are deploys: as in deploy_run */
	if ((r = job_build(&job, 1, 1)) < 0)
		goto out;
	/* Quarantines and failed heals outlive a watch: fold them in from the ledger; releases count from here on. */
	if ((r = watch_fold_ledger(ctx->fleet.ledger, job.by_name, job.n, &job.seen_seq)) < 0)
		goto out;
	job_started(&job, names);
	names = NULL;
	for (rd.round = 1; !*stop && (!opts->rounds || rd.round <= opts->rounds); rd.round++) {
		int64_t t0 = clock_mono_ms();

		if ((r = job_round(&job, &rd, reload, t0)) < 0)
			goto out;
		*last = rd;
		if (hooks && hooks->round)
			hooks->round(&rd, job.nodes, job.n, job.ncfgs == 1 ? job.cfgs[0].path : NULL, hooks->arg);
		if (opts->rounds && rd.round >= opts->rounds)
			break;
		nap(t0 + opts->interval_s * 1000, stop, reload);
	}
	if (*stop)
		why = "signal";
	job_record(&job, "watch.stopped", NULL,
		   json_pack("{s:s, s:I}", "reason", why, "rounds", (json_int_t)last->round));
	r = 0;
out:
	fleet_op_end(&job.op);
	json_decref(names);
	job_release(&job);
	return r;
}

int watch_release_by(struct ledger *l, const char *node, const char *by)
{
	return fleet_record(l, "watch.node.released", NULL, node, json_pack("{s:s}", "by", by), NULL);
}

int watch_release(struct ledger *l, const char *node)
{
	return watch_release_by(l, node, "chimera watch --release");
}
