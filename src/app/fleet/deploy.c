/* Use case: build once, then put every node on the result in parallel, with a per-node account. */
#include "app/fleet/deploy.h"
#include "app/fleet/health.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const step_names[STEP_COUNT] = { "connect", "check", "copy", "switch", "activate", "confirm",
							  "health" };

const char *deploy_step_name(enum deploy_step s)
{
	return (unsigned)s < STEP_COUNT ? step_names[s] : "unknown";
}

/*
 * Exports of closure paths, one spooled file per distinct set of missing paths: nodes that
 * lack the same paths (the usual case) share one `nix-store --export`.
 */
struct spool_entry {
	struct spool_entry *next;
	char *key;		/* the sorted paths, one a line */
	int state;		/* 0 being made, 1 ready, < 0 failed with that error */
	int fd;
	uint64_t len;
	char msg[512];
};

struct spool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct spool_entry *head;
	struct nix *nix;
	const char *dir;
};

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Make the export of PATHS into a new unlinked file in SP->dir. */
static int spool_make(struct spool *sp, char **paths, size_t n, struct spool_entry *e)
{
	char tmpl[4096];
	struct stat st;
	int fd, r;

	snprintf(tmpl, sizeof(tmpl), "%s/chimera-export-XXXXXX", sp->dir);
	if ((fd = mkostemp(tmpl, O_CLOEXEC)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot make a spool file in '%s'", sp->dir);
	unlink(tmpl);
	if ((r = sp->nix->ops->export_paths(sp->nix, paths, n, fd)) < 0) {
		close(fd);
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = err_set_errno(ERR_IO, errno, "cannot stat the export");
		close(fd);
		return r;
	}
	e->fd = fd;
	e->len = (uint64_t)st.st_size;
	return 0;
}

/* The export of PATHS (sorted here), made once per distinct set. */
static int spool_get(struct spool *sp, char **paths, size_t n, int *fd, uint64_t *len)
{
	struct buf key = BUF_INIT(0);
	struct spool_entry *e;
	size_t i;
	int r = 0;

	qsort(paths, n, sizeof(*paths), path_cmp);
	for (i = 0; i < n; i++)
		if (buf_adds(&key, paths[i]) < 0 || buf_addc(&key, '\n') < 0) {
			buf_release(&key);
			return err_set(ERR_NOMEM, "out of memory");
		}
	pthread_mutex_lock(&sp->lock);
	for (e = sp->head; e && strcmp(e->key, key.data) != 0; e = e->next)
		;
	if (e) {
		buf_release(&key);
		while (e->state == 0)
			pthread_cond_wait(&sp->cond, &sp->lock);
	} else {
		if (!(e = calloc(1, sizeof(*e)))) {
			pthread_mutex_unlock(&sp->lock);
			buf_release(&key);
			return err_set(ERR_NOMEM, "out of memory");
		}
		e->key = buf_detach(&key, NULL);
		e->fd = -1;
		e->next = sp->head;
		sp->head = e;
		pthread_mutex_unlock(&sp->lock);
		r = spool_make(sp, paths, n, e);
		pthread_mutex_lock(&sp->lock);
		if (r < 0)
			snprintf(e->msg, sizeof(e->msg), "%s", err_msg());
		e->state = r < 0 ? r : 1;
		pthread_cond_broadcast(&sp->cond);
	}
	if (e->state < 0) {
		r = err_set(e->state, "%s", e->msg);
	} else {
		*fd = e->fd;
		*len = e->len;
	}
	pthread_mutex_unlock(&sp->lock);
	return r;
}

static void spool_release(struct spool *sp)
{
	struct spool_entry *e, *next;

	for (e = sp->head; e; e = next) {
		next = e->next;
		if (e->fd >= 0)
			close(e->fd);
		free(e->key);
		free(e);
	}
	sp->head = NULL;
}

struct deploy_job {
	const struct deploy_ctx *ctx;
	const struct deploy_opts *opts;
	struct deploy_report *rep;
	struct nix_closure closure;	/* sorted by path */
	char **closure_paths;		/* pointers into closure, for the check command */
	struct buf closure_list;	/* the same, one a line: sent as a file when too long for a command line */
	struct buf deploy_cmd;		/* the node command when the paths fit in it: the same for every node */
	struct spool spool;
	pthread_mutex_t lock;
	size_t done;
};

static void job_ledger_error(struct deploy_job *job, int r)
{
	if (r >= 0)
		return;
	pthread_mutex_lock(&job->lock);
	if (job->rep->ledger_err == 0) {
		job->rep->ledger_err = r;
		snprintf(job->rep->ledger_msg, sizeof(job->rep->ledger_msg), "%s", err_msg());
	}
	pthread_mutex_unlock(&job->lock);
}

static void record(struct deploy_job *job, const struct deploy_node *n, const char *topic, json_t *payload)
{
	job_ledger_error(job, fleet_record(job->ctx->fleet.ledger, topic, job->rep->id, n ? n->name : NULL, payload, NULL));
}

static void enter(struct deploy_job *job, struct deploy_node *n, enum deploy_step s)
{
	n->step = s;
	if (job->ctx->progress.step)
		job->ctx->progress.step(n, job->ctx->progress.arg);
}

static void on_sent(uint64_t bytes, void *arg)
{
	struct deploy_node *n = arg;

	n->sent = bytes;
}

static int path_info_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct nix_path_info *)elem)->path);
}

static uint64_t nar_size_of(const struct deploy_job *job, const char *path)
{
	const struct nix_path_info *pi =
		bsearch(path, job->closure.items, job->closure.n, sizeof(*job->closure.items), path_info_key_cmp);

	return pi ? pi->nar_size : 0;
}

static json_t *steps_json(const struct deploy_node *n)
{
	json_t *o = json_object();
	int s;

	for (s = 0; s < STEP_COUNT; s++)
		if (n->step_ms[s] >= 0)
			json_object_set_new(o, step_names[s], json_integer(n->step_ms[s]));
	return o;
}

/* Add the time since T0 to STEP's (a step may run more than once: a copy after a refused switch). */
static void add_step_ms(struct deploy_node *n, enum deploy_step step, int64_t t0)
{
	n->step_ms[step] = (n->step_ms[step] > 0 ? n->step_ms[step] : 0) + clock_mono_ms() - t0;
}

/* Run one step's command, timing it. */
static int run_step(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
		    enum deploy_step step, const char *cmd, const struct exec_input *in, struct exec_result *res)
{
	int64_t t0 = clock_mono_ms();
	int r;

	if (n->step != step)
		enter(job, n, step);
	exec_result_release(res);
	exec_result_init(res);
	r = fleet_step(&job->ctx->fleet, ex, s, step_names[step], cmd, in, res, &n->fail);
	add_step_ms(n, step, t0);
	return r;
}

/* Send the N MISSING paths (sorted in place) with `nix-store --import`; counts what went. */
static int copy_paths(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
		      char **missing, size_t nmissing, struct exec_result *res)
{
	struct exec_input in = { .fd = -1, .sent = on_sent, .arg = n };
	struct buf cmd = BUF_INIT(0);
	int64_t t0 = clock_mono_ms();
	int r;

	enter(job, n, STEP_COPY);
	if ((r = spool_get(&job->spool, missing, nmissing, &in.fd, &in.len)) < 0) {
		fleet_fail(&n->fail, "copy", r);
		add_step_ms(n, STEP_COPY, t0);
		return r;
	}
	n->sent = 0;
	if ((r = remote_import(&cmd)) == 0 && (r = run_step(job, n, ex, s, STEP_COPY, cmd.data, &in, res)) == 0) {
		n->copy_paths += nmissing;
		n->copy_bytes += in.len;
	}
	buf_release(&cmd);
	return r;
}

/*
 * After a failed switch: ask Nix which closure paths are invalid on the node (present on
 * disk but never registered, e.g. after an interrupted import), send those, and say
 * whether there was anything to send. Returns 1 when paths were sent, 0 when none were
 * invalid, or an error.
 */
static int copy_invalid(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
			const char *list, struct exec_result *res)
{
	struct buf cmd = BUF_INIT(0);
	struct gen_list none;
	char **invalid = NULL;
	size_t ninvalid = 0;
	int r;

	gen_list_init(&none);
	if ((r = remote_invalid_paths(&cmd, job->closure_paths, job->closure.n, list)) == 0 &&
	    (r = run_step(job, n, ex, s, STEP_CHECK, cmd.data, NULL, res)) == 0 &&
	    (r = fleet_parse_probe(n->profile, &res->out, &none, &invalid, &ninvalid)) < 0)
		fleet_fail(&n->fail, "check", r);
	if (r == 0 && ninvalid)
		r = copy_paths(job, n, ex, s, invalid, ninvalid, res);
	fleet_free_paths(invalid, ninvalid);
	gen_list_release(&none);
	buf_release(&cmd);
	return r < 0 ? r : ninvalid > 0;
}

/* After a failed activation or health check (REASON): put the profile back on the previous generation and activate it. */
static void restore_previous(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
			     const char *reason)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct fleet_failure f = { 0 };
	json_t *p;
	int r;

	exec_result_init(&res);
	p = json_pack("{s:s, s:s, s:I}", "reason", reason, "to", n->previous, "to_generation",
		      (json_int_t)n->previous_gen);
	record(job, n, "chimera.rollback.triggered", p);
	r = remote_switch_generation(&cmd, n->profile, n->previous_gen);
	if (r == 0)
		r = fleet_step(&job->ctx->fleet, ex, s, "rollback", cmd.data, NULL, &res, &f);
	if (r == 0) {
		buf_reset(&cmd);
		exec_result_release(&res);
		exec_result_init(&res);
		r = remote_activate(&cmd, n->previous, n->activate);
		if (r == 0)
			r = fleet_step(&job->ctx->fleet, ex, s, "rollback-activate", cmd.data, NULL, &res, &f);
	}
	n->restored = r == 0 ? 1 : -1;
	if (r < 0)
		snprintf(n->restore_error, sizeof(n->restore_error), "%s", f.message);
	p = json_pack("{s:b, s:s, s:I, s:s}", "ok", r == 0, "path", n->previous, "generation",
		      (json_int_t)n->previous_gen, "error", r == 0 ? "" : f.message);
	record(job, n, "node.rollback.complete", p);
	exec_result_release(&res);
	buf_release(&cmd);
}

/*
 * One node's deploy command while it runs (remote_deploy): which step markers have come,
 * what the check found, and the input the controller answers the check with.
 */
struct conv {
	struct deploy_job *job;
	struct deploy_node *n;
	struct exec_input in;
	char head[32];		/* the answer line: "copy MODE GEN" or "- MODE GEN" */
	size_t scanned;		/* bytes of stdout already taken as lines */
	int64_t t;		/* when the current step began */
	int ready, copying, copied, switched, activated, confirmed;
	int stop;		/* the controller stopped after check (dry run, or an error in FAIL) */
	int err;		/* that error, 0 for a dry run */
	struct gen_list gens;
	char **missing;
	size_t nmissing;
	char kind[32];		/* the activation that ran */
	char profile[STOREPATH_MAX];	/* the profile resolved, from the confirm marker */
	char armed[REMOTE_TOKEN_MAX + 1];	/* the dead-man switch's directory, "" when none was armed */
	int64_t armed_at;
};

static void conv_sent(uint64_t bytes, void *arg)
{
	struct conv *c = arg;

	c->n->sent = bytes > c->in.head_len ? bytes - c->in.head_len : 0;
}

/* The end of step DONE: its time (added: the check may have had a part before), and NEXT begins. */
static unsigned conv_mark(struct conv *c, enum deploy_step done, enum deploy_step next)
{
	int64_t now = clock_mono_ms();

	c->n->step_ms[done] = (c->n->step_ms[done] > 0 ? c->n->step_ms[done] : 0) + now - c->t;
	c->t = now;
	if (c->n->step != next)
		enter(c->job, c->n, next);
	return EXEC_WATCH_RESTART;
}

/* The check is done (its output is the first LEN bytes of OUT): answer it. */
static unsigned conv_ready(struct conv *c, const char *out, size_t len)
{
	const struct deploy_opts *o = c->job->opts;
	struct deploy_node *n = c->n;
	struct buf check = BUF_INIT(0);
	const char *mode;
	char gen[16] = "-";
	size_t i;
	int r;

	c->ready = 1;
	if (buf_add(&check, out, len) < 0)
		r = err_set(ERR_NOMEM, "out of memory");
	else
		r = fleet_parse_probe(n->profile, &check, &c->gens, &c->missing, &c->nmissing);
	buf_release(&check);
	conv_mark(c, STEP_CHECK, STEP_CHECK);
	if (r < 0) {
		fleet_fail(&n->fail, "check", r);
		c->stop = 1;
		c->err = r;
		return EXEC_WATCH_RELEASE;
	}
	snprintf(n->previous, sizeof(n->previous), "%s", c->gens.current_path);
	n->previous_gen = c->gens.current;
	if (o->dry_run) {
		n->copy_paths = c->nmissing;
		for (i = 0; i < c->nmissing; i++)
			n->copy_bytes += nar_size_of(c->job, c->missing[i]);
		c->stop = 1;
		return EXEC_WATCH_RELEASE;
	}
	mode = strcmp(n->previous, c->job->rep->path) != 0 ? "set" : "valid";
	if (o->confirm_s > 0 && n->previous_gen > 0)
		snprintf(gen, sizeof(gen), "%u", n->previous_gen);
	if (c->nmissing) {
		if ((r = spool_get(&c->job->spool, c->missing, c->nmissing, &c->in.fd, &c->in.len)) < 0) {
			fleet_fail(&n->fail, "copy", r);
			n->step_ms[STEP_COPY] = clock_mono_ms() - c->t;
			c->stop = 1;
			c->err = r;
			return EXEC_WATCH_RELEASE;
		}
		c->copying = 1;
		n->sent = 0;
		enter(c->job, n, STEP_COPY);
	} else {
		n->step_ms[STEP_COPY] = 0;
		enter(c->job, n, STEP_SWITCH);
	}
	c->in.head_len =
		(size_t)snprintf(c->head, sizeof(c->head), "%s %s %s\n", c->nmissing ? "copy" : "-", mode, gen);
	c->in.head = c->head;
	return EXEC_WATCH_RELEASE | EXEC_WATCH_RESTART;
}

/* Called as output arrives: act on each whole new marker line. */
static unsigned conv_watch(const struct exec_result *res, void *arg)
{
	static const char act[] = "chimera-activation ", prof[] = "chimera-profile ", armed[] = "chimera-armed ";
	struct conv *c = arg;
	const char *data = res->out.data;
	unsigned flags = 0;

	for (;;) {
		const char *line = data + c->scanned;
		const char *nl = memchr(line, '\n', res->out.len - c->scanned);
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - line);
		c->scanned += len + 1;
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(line, lit, len) == 0)
		if (!c->ready && !c->switched && IS("chimera-ready"))
			flags |= conv_ready(c, data, (size_t)(line - data));
		else if (c->copying && !c->copied && IS("chimera-copied"))
			c->copied = 1, flags |= conv_mark(c, STEP_COPY, STEP_SWITCH);
		else if (!c->switched && IS("chimera-switched"))
			c->switched = 1, flags |= conv_mark(c, STEP_SWITCH, STEP_ACTIVATE);
		else if (c->switched && !c->activated && !c->kind[0] && len > sizeof(act) - 1 &&
			 memcmp(line, act, sizeof(act) - 1) == 0)
			snprintf(c->kind, sizeof(c->kind), "%.*s", (int)(len - (sizeof(act) - 1)), line + sizeof(act) - 1);
		else if (c->switched && !c->activated && !c->armed[0] && len > sizeof(armed) - 1 &&
			 memcmp(line, armed, sizeof(armed) - 1) == 0 &&
			 remote_token_check(line + sizeof(armed) - 1, len - (sizeof(armed) - 1)) == 0) {
			snprintf(c->armed, sizeof(c->armed), "%.*s", (int)(len - (sizeof(armed) - 1)), line + sizeof(armed) - 1);
			c->armed_at = clock_mono_ms();
		} else if (c->switched && !c->activated && IS("chimera-activated"))
			c->activated = 1, flags |= conv_mark(c, STEP_ACTIVATE, STEP_CONFIRM);
		else if (c->activated && len > sizeof(prof) - 1 && memcmp(line, prof, sizeof(prof) - 1) == 0) {
			snprintf(c->profile, sizeof(c->profile), "%.*s", (int)(len - (sizeof(prof) - 1)),
				 line + sizeof(prof) - 1);
			c->confirmed = 1;
			c->n->step_ms[STEP_CONFIRM] = clock_mono_ms() - c->t;
		}
#undef IS
	}
	return flags;
}

/*
 * Run CMD (a remote_deploy command) and judge it by the step it was in. With CHECK, the
 * command starts with the check and waits for conv_ready's answer on stdin.
 */
static int converse(struct conv *c, struct executor *ex, struct exec_session *s, const char *cmd, int check,
		    struct exec_result *res)
{
	struct exec_opts o = { .timeout_s = c->job->ctx->fleet.step_timeout_s, .input = check ? &c->in : NULL,
			       .hold_input = check, .watch = conv_watch, .watch_arg = c };
	int r;

	exec_result_release(res);
	exec_result_init(res);
	c->scanned = 0;
	c->t = clock_mono_ms();
	err_clear();
	r = ex->ops->run(s, cmd, &o, res);
	if (c->stop && c->err)
		return c->err;
	return fleet_judge(&c->n->fail, step_names[c->n->step], r, res);
}

/* Run CMD in S as a step of its own (RES re-initialised); 0 when it ran and exited 0. */
static int quiet_run(const struct deploy_job *job, struct executor *ex, struct exec_session *s, const char *cmd,
		     struct exec_result *res)
{
	struct exec_opts o = { .timeout_s = job->ctx->fleet.step_timeout_s };
	int r;

	exec_result_release(res);
	exec_result_init(res);
	r = ex->ops->run(s, cmd, &o, res);
	return r < 0 ? r : res->status == 0 ? 0 : ERR_IO;
}

/*
 * The node was not confirmed (WHY says how that went): its dead-man switch fires at
 * armed_at + confirm_s. Wait for that, reconnect (retrying, for up to 20 s more) and see
 * where the profile is: back on the previous generation is "rolled back by the node".
 */
static int magic_wait(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct conv *c,
		      const char *why)
{
	const int64_t fires = c->armed_at + job->opts->confirm_s * 1000, give_up = fires + 20000;
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct gen_list gens;
	struct fleet_failure ignored;
	char result[64] = "", last[256] = "";
	int back = 0, reached = 0;

	exec_result_init(&res);
	gen_list_init(&gens);
	record(job, n, "chimera.rollback.triggered",
	       json_pack("{s:s, s:s, s:s, s:s, s:I}", "reason", "not confirmed", "detail", why, "by", "node", "to",
			 n->previous, "to_generation", (json_int_t)n->previous_gen));
	while (clock_mono_ms() < fires + 1000)
		clock_sleep_ms(200);
	while (!reached && clock_mono_ms() < give_up) {
		struct exec_session *s2 = NULL;
		int64_t tried = clock_mono_ms();

		if (ex->ops->connect(ex, &n->target, &s2) < 0) {
			snprintf(last, sizeof(last), "%s", err_msg());
			while (clock_mono_ms() < tried + 1000)
				clock_sleep_ms(100);
			continue;
		}
		reached = 1;
		buf_reset(&cmd);
		if (remote_deadman_report(&cmd, c->armed) == 0 && quiet_run(job, ex, s2, cmd.data, &res) == 0)
			snprintf(result, sizeof(result), "%.*s", (int)strcspn(res.out.data, "\n"), res.out.data);
		gen_list_release(&gens);
		gen_list_init(&gens);
		back = fleet_read_profile(&job->ctx->fleet, ex, s2, "confirm", n->profile, n->previous, &gens,
					  &ignored) == 0 &&
		       strcmp(gens.current_path, n->previous) == 0;
		ex->ops->disconnect(s2);
	}
	n->rolled_back_by_node = back;
	n->restored = back ? 1 : -1;
	if (back)
		err_set(ERR_IO, "no confirmation over a new connection (%s): the node rolled itself back to generation %u",
			why, n->previous_gen);
	else if (reached)
		err_set(ERR_IO, "no confirmation over a new connection (%s), and the node is not back on generation %u"
			" (dead-man switch: %s)", why, n->previous_gen, result[0] ? result : "no result");
	else
		err_set(ERR_IO, "no confirmation over a new connection (%s), and still unreachable after its dead-man"
			" switch was due: %s", why, last);
	if (!back)
		snprintf(n->restore_error, sizeof(n->restore_error), "%s", err_msg());
	fleet_fail(&n->fail, "confirm", ERR_IO);
	record(job, n, "node.rollback.complete",
	       json_pack("{s:b, s:s, s:s, s:I, s:s}", "ok", back, "by", "node", "path", n->previous, "generation",
			 (json_int_t)n->previous_gen, "error", back ? "" : n->fail.message));
	gen_list_release(&gens);
	exec_result_release(&res);
	buf_release(&cmd);
	return ERR_IO;
}

/* Confirm the activation over a new connection, which is what the new configuration must still allow. */
static int magic_confirm(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct conv *c)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct exec_session *s2 = NULL;
	char why[300] = "";
	int64_t t0 = clock_mono_ms();
	int r;

	exec_result_init(&res);
	if (n->step != STEP_CONFIRM)
		enter(job, n, STEP_CONFIRM);
	if ((r = ex->ops->connect(ex, &n->target, &s2)) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg());
	} else {
		if ((r = remote_confirm(&cmd, c->armed)) == 0 && (r = quiet_run(job, ex, s2, cmd.data, &res)) < 0)
			snprintf(why, sizeof(why), "the node's own switch had already fired");
		ex->ops->disconnect(s2);
	}
	add_step_ms(n, STEP_CONFIRM, t0);
	exec_result_release(&res);
	buf_release(&cmd);
	if (r == 0)
		return 0;
	/* The wait for the node's own switch counts from here: the attempt is counted above. */
	t0 = clock_mono_ms();
	r = magic_wait(job, n, ex, c, why);
	add_step_ms(n, STEP_CONFIRM, t0);
	return r;
}

/* The health checks after activation: 0 when all pass, else FAIL says which did not. */
static int node_health(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s)
{
	struct buf why = BUF_INIT(0);
	int64_t t0 = clock_mono_ms();
	size_t i, failed = 0;
	int r = 0;

	enter(job, n, STEP_HEALTH);
	for (i = 0; i < n->nchecks; i++) {
		struct health_result res;

		if ((r = health_run(&n->checks[i], n->target.host, job->ctx->fleet.http, ex, s, &res)) < 0)
			break;
		if (!res.ok && failed++ < 3)
			buf_printf(&why, "%s%s: %s", failed > 1 ? "; " : "", n->checks[i].text, res.detail);
	}
	n->step_ms[STEP_HEALTH] = clock_mono_ms() - t0;
	if (r == 0 && failed) {
		r = err_set(ERR_IO, "%zu of %zu health checks failed: %s", failed, n->nchecks, why.data);
		fleet_fail(&n->fail, "health", r);
	} else if (r < 0) {
		fleet_fail(&n->fail, "health", r);
	}
	buf_release(&why);
	return r;
}

/* Back to a conversation not yet started (the session and node stay). */
static void conv_reset(struct conv *c)
{
	fleet_free_paths(c->missing, c->nmissing);
	gen_list_release(&c->gens);
	gen_list_init(&c->gens);
	*c = (struct conv){ .job = c->job, .n = c->n, .in = { .fd = -1, .sent = conv_sent, .arg = c }, .gens = c->gens };
	memset(&c->n->fail, 0, sizeof(c->n->fail));
}

/*
 * The copy found paths that are gone from the node's disk yet registered ("chimera-stale
 * P..." in RES): unregister and delete them so the next import brings them back. Nix
 * refuses while a valid path refers to one; that is reported, not forced.
 */
static int purge_stale(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s,
		       struct exec_result *res)
{
	static const char mark[] = "chimera-stale ";
	const char *line = strstr(res->out.data, mark), *p;
	struct buf cmd = BUF_INIT(0);
	char **stale = NULL;
	size_t nstale = 0, len;
	int r = 0;

	if (!line) {
		fleet_fail(&n->fail, "copy", ERR_IO);
		return ERR_IO;
	}
	for (p = line + sizeof(mark) - 1; *p && *p != '\n'; p += len) {
		char **m;

		p += strspn(p, " ");
		len = strcspn(p, " \n");
		if (!len)
			break;
		if (!storepath_valid(p, len)) {
			r = err_set(ERR_INVALID, "unexpected stale-path report from the node");
			break;
		}
		if (!(m = realloc(stale, (nstale + 1) * sizeof(*m)))) {
			r = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		stale = m;
		if (!(stale[nstale] = strndup(p, len))) {
			r = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		nstale++;
	}
	if (r == 0 && nstale == 0)
		r = err_set(ERR_INVALID, "unexpected stale-path report from the node");
	log_kv(LOG_INFO, "deploy", "paths registered but gone from the disk; unregistering them", "node", n->name,
	       (const char *)NULL);
	if (r == 0 && (r = remote_purge(&cmd, stale, nstale)) == 0 &&
	    (r = run_step(job, n, ex, s, STEP_COPY, cmd.data, NULL, res)) < 0)
		err_set(r, "%zu path%s registered but gone from the disk (%s%s), and Nix would not unregister %s: %s",
			nstale, nstale > 1 ? "s are" : " is", stale[0], nstale > 1 ? ", ..." : "", nstale > 1 ? "them" : "it",
			n->fail.stderr_tail);
	if (r < 0) {
		n->fail.step = "copy";
		snprintf(n->fail.message, sizeof(n->fail.message), "%s", err_msg());
	}
	fleet_free_paths(stale, nstale);
	buf_release(&cmd);
	return r;
}

/* Everything after connect, on an open session. Returns 0 when the node is deployed (or planned). */
static int node_steps(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s)
{
	const struct deploy_opts *o = job->opts;
	const char *path = job->rep->path;
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct conv c = { .job = job, .n = n, .in = { .fd = -1, .sent = conv_sent } };
	struct gen_list gens;
	char list[64] = "";	/* the node's file of closure paths, when there is one */
	const char *command;
	int switched, own, r;
	int64_t t0;

	c.in.arg = &c;
	exec_result_init(&res);
	gen_list_init(&c.gens);
	gen_list_init(&gens);
	enter(job, n, STEP_CHECK);
	if (job->closure_list.len) {
		/* Too many paths for a command line: they go over first, as a file. */
		struct exec_input in = { .head = job->closure_list.data, .head_len = job->closure_list.len, .fd = -1 };
		int64_t t1 = clock_mono_ms();

		if ((r = remote_stash(&cmd)) < 0 ||
		    (r = fleet_step(&job->ctx->fleet, ex, s, "check", cmd.data, &in, &res, &n->fail)) < 0)
			goto out;
		if ((r = remote_stash_parse(&res.out, list, sizeof(list))) < 0) {
			fleet_fail(&n->fail, "check", r);
			goto out;
		}
		add_step_ms(n, STEP_CHECK, t1);
		buf_reset(&cmd);
	}
	/* With a list file on the node, or a profile or activation of its own, the command is the node's; else the job's. */
	own = list[0] || strcmp(n->profile, o->profile) != 0 || strcmp(n->activate, o->activate) != 0;
	if (own && (r = remote_deploy(&cmd, n->profile, job->closure_paths, job->closure.n, list[0] ? list : NULL, path,
				      n->activate, o->confirm_s, NULL, 0)) < 0)
		goto out;
	command = own ? cmd.data : job->deploy_cmd.data;
	r = converse(&c, ex, s, command, 1, &res);
	if (r < 0 && n->step == STEP_COPY && n->fail.err == 0 && res.status == REMOTE_STALE_STATUS) {
		/* Paths gone from the disk but registered: unregister them, then the whole command again. */
		n->copy_paths += c.nmissing;
		n->copy_bytes += c.in.len;
		if ((r = purge_stale(job, n, ex, s, &res)) < 0)
			goto out;
		conv_reset(&c);
		r = converse(&c, ex, s, command, 1, &res);
	}
	if (c.copying && c.copied) {
		n->copy_paths += c.nmissing;
		n->copy_bytes += c.in.len;
	}
	if (c.ready && !c.stop && (c.copied || !c.copying))
		record(job, n, "node.copy.complete",
		       json_pack("{s:I, s:I, s:I}", "paths", (json_int_t)n->copy_paths, "bytes",
				 (json_int_t)n->copy_bytes, "ms", (json_int_t)n->step_ms[STEP_COPY]));
	if (r == 0 && c.stop) {
		n->outcome = OUTCOME_PLANNED;
		goto out;
	}
	/*
	 * `nix-env --set` proves the path valid on the node, and with it its closure. Refused
	 * (a path on disk but never registered, say after an interrupted import): ask Nix which
	 * paths are invalid, send those, and switch again, once.
	 */
	if (r < 0 && n->step == STEP_SWITCH && n->fail.err == 0 && c.ready) {
		struct fleet_failure first = n->fail;
		int sent;

		memset(&n->fail, 0, sizeof(n->fail));
		if ((sent = copy_invalid(job, n, ex, s, list[0] ? list : NULL, &res)) < 0) {
			r = sent;
			goto out;
		}
		if (sent == 0) {
			n->fail = first;
			goto out;
		}
		buf_reset(&cmd);
		if ((r = remote_deploy(&cmd, n->profile, NULL, 0, NULL, path, n->activate, o->confirm_s,
				       strcmp(n->previous, path) != 0 ? "set" : "valid", o->confirm_s > 0 ? n->previous_gen : 0)) < 0)
			goto out;
		enter(job, n, STEP_SWITCH);
		r = converse(&c, ex, s, cmd.data, 0, &res);
	}
	switched = strcmp(n->previous, path) != 0;
	snprintf(n->activation, sizeof(n->activation), "%s", c.kind[0] ? c.kind : "unknown");
	if (r < 0) {
		/* A timed-out activation is put back too; on a lost connection the attempt fails and says so. */
		if (n->step == STEP_ACTIVATE && switched && n->previous_gen > 0) {
			/* Take the dead-man switch back first; if it already fired, the node is doing this itself. */
			buf_reset(&cmd);
			if (!c.armed[0] || (remote_confirm(&cmd, c.armed) == 0 && quiet_run(job, ex, s, cmd.data, &res) == 0))
				restore_previous(job, n, ex, s, "activation failed");
			else
				magic_wait(job, n, ex, &c, "activation failed after the node's own switch had fired");
		}
		goto out;
	}
	record(job, n, "node.activate.complete",
	       json_pack("{s:s, s:s, s:I}", "path", path, "activation", n->activation, "ms",
			 (json_int_t)n->step_ms[STEP_ACTIVATE]));
	/* confirm: the profile as the command read it back, or (its marker lost) read again. */
	if (!c.confirmed) {
		enter(job, n, STEP_CONFIRM);
		t0 = clock_mono_ms();
		r = fleet_read_profile(&job->ctx->fleet, ex, s, "confirm", n->profile, path, &gens, &n->fail);
		n->step_ms[STEP_CONFIRM] = clock_mono_ms() - t0;
		if (r < 0)
			goto out;
		snprintf(c.profile, sizeof(c.profile), "%s", gens.current_path);
	}
	if (strcmp(c.profile, path) != 0) {
		r = err_set(ERR_IO, "the profile points at '%s', expected '%s'", c.profile[0] ? c.profile : "nothing",
			    path);
		fleet_fail(&n->fail, "confirm", r);
		goto out;
	}
	/* Magic rollback: the new configuration must still let the controller in. */
	if (c.armed[0] && (r = magic_confirm(job, n, ex, &c)) < 0)
		goto out;
	if (n->nchecks && (r = node_health(job, n, ex, s)) < 0) {
		if (!o->keep_on_failure && switched && n->previous_gen > 0)
			restore_previous(job, n, ex, s, "health check failed");
		goto out;
	}
	n->outcome = OUTCOME_DEPLOYED;
out:
	if (list[0]) {
		struct exec_result rm;
		struct fleet_failure ignored;

		exec_result_init(&rm);
		buf_reset(&cmd);
		if (remote_remove(&cmd, list) == 0)
			fleet_step(&job->ctx->fleet, ex, s, "cleanup", cmd.data, NULL, &rm, &ignored);
		exec_result_release(&rm);
	}
	fleet_free_paths(c.missing, c.nmissing);
	gen_list_release(&c.gens);
	gen_list_release(&gens);
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

/* The caller's hooks around a node's steps. */
static int node_hooked(struct deploy_job *job, struct deploy_node *n, struct executor *ex, struct exec_session *s)
{
	const struct deploy_opts *o = job->opts;
	int r;

	n->path = job->rep->path;
	n->deployment = job->rep->id;
	if (!o->dry_run && o->before && (r = o->before(n, ex, s, o->hook_arg)) < 0)
		return r;
	if ((r = node_steps(job, n, ex, s)) < 0 || n->outcome != OUTCOME_DEPLOYED || !o->after)
		return r;
	if ((r = o->after(n, ex, s, o->hook_arg)) < 0)
		n->outcome = OUTCOME_FAILED;
	return r;
}

/* After a node's steps (R their result): its outcome, and node.failed or node.deploy.complete. */
static void node_finish(struct deploy_job *job, struct deploy_node *n, int r)
{
	if (r < 0 || (n->outcome != OUTCOME_DEPLOYED && n->outcome != OUTCOME_PLANNED)) {
		n->outcome = OUTCOME_FAILED;
		if (!n->fail.step)
			fleet_fail(&n->fail, deploy_step_name(n->step), r);
		record(job, n, "node.failed",
		       json_pack("{s:s, s:i, s:s, s:s, s:o, s:i, s:b}", "step", n->fail.step, "status", n->fail.status,
				 "error", n->fail.message, "stderr_tail", n->fail.stderr_tail, "steps", steps_json(n),
				 "restored", n->restored, "rolled_back_by_node", n->rolled_back_by_node));
		log_kv(LOG_WARN, "deploy", "node failed", "node", n->name, "step", n->fail.step, "error", n->fail.message,
		       (const char *)NULL);
	} else if (n->outcome == OUTCOME_DEPLOYED) {
		record(job, n, "node.deploy.complete",
		       json_pack("{s:s, s:s, s:s, s:I, s:I, s:o}", "path", job->rep->path, "previous", n->previous,
				 "profile", n->profile, "paths", (json_int_t)n->copy_paths, "bytes",
				 (json_int_t)n->copy_bytes, "steps", steps_json(n)));
	}
}

static void deploy_one(size_t i, void *arg)
{
	struct deploy_job *job = arg;
	struct deploy_node *n = &job->rep->nodes[i];
	struct executor *ex;
	struct exec_session *s;
	int64_t t0 = clock_mono_ms();
	int r;

	enter(job, n, STEP_CONNECT);
	r = fleet_connect(&job->ctx->fleet, &n->target, &ex, &s, &n->fail);
	n->step_ms[STEP_CONNECT] = clock_mono_ms() - t0;
	if (r == 0) {
		r = node_hooked(job, n, ex, s);
		ex->ops->disconnect(s);
	}
	n->ms = clock_mono_ms() - t0;
	node_finish(job, n, r);
	pthread_mutex_lock(&job->lock);
	if (n->outcome == OUTCOME_FAILED)
		job->rep->failed++;
	else
		job->rep->ok++;
	job->done++;
	if (job->ctx->progress.done)
		job->ctx->progress.done(n, job->done, job->rep->n, job->ctx->progress.arg);
	pthread_mutex_unlock(&job->lock);
}

/* N's profile and activation (the ones it has, else its own through F, else O's) and checks (NO's, else O's). */
static void node_settings(struct deploy_node *n, const struct fleet *f, const struct deploy_opts *o,
			  const struct deploy_node_opts *no)
{
	if (!n->profile)
		n->profile = fleet_profile(f, &n->target, o->profile);
	if (!n->activate)
		n->activate = fleet_activate(f, &n->target, o->activate);
	if (no && no->checks) {
		n->checks = no->checks;
		n->nchecks = no->nchecks;
	} else if (!n->checks) {
		n->checks = o->checks;
		n->nchecks = o->nchecks;
	}
}

static json_t *source_json(const struct deploy_opts *o)
{
	json_t *src = json_object(), *args;
	size_t i;

	if (o->expect) {
		json_object_set_new(src, "expect", json_string(o->expect));
		return src;
	}
	if (o->source->flake) {
		json_object_set_new(src, "flake", json_string(o->source->flake));
		return src;
	}
	json_object_set_new(src, "file", json_string(o->source->file));
	if (o->source->attr)
		json_object_set_new(src, "attr", json_string(o->source->attr));
	args = json_array();
	for (i = 0; i < o->source->nargs; i++)
		json_array_append_new(args, json_pack("{s:s, s:s, s:s}", "kind", o->source->args[i].is_str ? "argstr" : "arg",
						      "name", o->source->args[i].name, "value", o->source->args[i].value));
	json_object_set_new(src, "args", args);
	return src;
}

static int closure_item_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nix_path_info *)a)->path, ((const struct nix_path_info *)b)->path);
}

static void job_init(struct deploy_job *job)
{
	pthread_mutex_init(&job->lock, NULL);
	pthread_mutex_init(&job->spool.lock, NULL);
	pthread_cond_init(&job->spool.cond, NULL);
	job->spool.nix = job->ctx->nix;
	job->spool.dir = job->opts->tmp_dir;
	job->closure_list = (struct buf)BUF_INIT(0);
	job->deploy_cmd = (struct buf)BUF_INIT(0);
}

/* The closure of job->rep->path, sorted, with the command-line forms the nodes get. */
static int job_prepare(struct deploy_job *job)
{
	size_t i;
	int r;

	if ((r = job->ctx->nix->ops->closure(job->ctx->nix, job->rep->path, &job->closure)) < 0)
		return r;
	qsort(job->closure.items, job->closure.n, sizeof(*job->closure.items), closure_item_cmp);
	if (!(job->closure_paths = calloc(job->closure.n + 1, sizeof(char *))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < job->closure.n; i++)
		job->closure_paths[i] = job->closure.items[i].path;
	if (!remote_paths_fit(job->closure_paths, job->closure.n))
		for (i = 0; i < job->closure.n; i++)
			if (buf_adds(&job->closure_list, job->closure_paths[i]) < 0 ||
			    buf_addc(&job->closure_list, '\n') < 0)
				return err_set(ERR_NOMEM, "out of memory");
	/* Built once here, not per node: with every path quoted in it, it can be 128 KiB. */
	if (!job->closure_list.len)
		return remote_deploy(&job->deploy_cmd, job->opts->profile, job->closure_paths, job->closure.n, NULL,
				     job->rep->path, job->opts->activate, job->opts->confirm_s, NULL, 0);
	return 0;
}

static void job_release(struct deploy_job *job)
{
	spool_release(&job->spool);
	free(job->closure_paths);
	buf_release(&job->closure_list);
	buf_release(&job->deploy_cmd);
	nix_closure_release(&job->closure);
	pthread_mutex_destroy(&job->lock);
	pthread_mutex_destroy(&job->spool.lock);
	pthread_cond_destroy(&job->spool.cond);
}

struct deploy_plan {
	struct deploy_job job;
	struct deploy_report rep;
	struct deploy_opts opts;
};

int deploy_plan_new(const struct deploy_ctx *ctx, const struct deploy_opts *opts, const char *path, const char *id,
		    struct deploy_plan **out)
{
	struct deploy_plan *p;
	int r;

	*out = NULL;
	if (!storepath_valid(path, strlen(path)))
		return err_set(ERR_INVALID, "'%s' is not a store path", path);
	if (!(p = calloc(1, sizeof(*p))))
		return err_set(ERR_NOMEM, "out of memory");
	p->opts = *opts;
	p->opts.dry_run = 0;
	snprintf(p->rep.path, sizeof(p->rep.path), "%s", path);
	snprintf(p->rep.id, sizeof(p->rep.id), "%s", id);
	p->job.ctx = ctx;
	p->job.opts = &p->opts;
	p->job.rep = &p->rep;
	job_init(&p->job);
	if ((r = job_prepare(&p->job)) < 0) {
		deploy_plan_free(p);
		return r;
	}
	*out = p;
	return 0;
}

char *const *deploy_plan_paths(const struct deploy_plan *p, size_t *n)
{
	*n = p->job.closure.n;
	return p->job.closure_paths;
}

int deploy_plan_node(struct deploy_plan *p, struct deploy_node *n, struct executor *ex, struct exec_session *s)
{
	int64_t t0 = clock_mono_ms();
	int r, st;

	memset(&n->fail, 0, sizeof(n->fail));
	node_settings(n, &p->job.ctx->fleet, &p->opts, NULL);
	n->outcome = OUTCOME_PENDING;
	n->copy_paths = 0;
	n->copy_bytes = 0;
	n->restored = 0;
	n->rolled_back_by_node = 0;
	for (st = 0; st < STEP_COUNT; st++)
		n->step_ms[st] = -1;
	r = node_hooked(&p->job, n, ex, s);
	n->ms = clock_mono_ms() - t0;
	node_finish(&p->job, n, r);
	return n->outcome == OUTCOME_DEPLOYED ? 0 : r < 0 ? r : ERR_IO;
}

void deploy_plan_free(struct deploy_plan *p)
{
	if (!p)
		return;
	job_release(&p->job);
	free(p);
}

int deploy_run(const struct deploy_ctx *ctx, const struct target_list *targets, const struct deploy_opts *opts,
	       struct deploy_report *rep)
{
	struct deploy_job job = { .ctx = ctx, .opts = opts, .rep = rep };
	struct deployment_id id;
	int64_t t0 = clock_mono_ms(), tb;
	json_t *names;
	size_t i;
	int r;

	memset(rep, 0, sizeof(*rep));
	job_init(&job);
	if ((r = profile_path_check(opts->profile)) < 0)
		goto out;
	if (opts->expect && !storepath_valid(opts->expect, strlen(opts->expect))) {
		r = err_set(ERR_INVALID, "--expect '%s' is not a store path", opts->expect);
		goto out;
	}
	if (!opts->expect && (r = nix_source_check(opts->source)) < 0)
		goto out;
	if (opts->id)
		snprintf(rep->id, sizeof(rep->id), "%s", opts->id);
	else if ((r = deployment_id_generate(&id, (uint64_t)clock_wall_ms())) < 0)
		goto out;
	else
		deployment_id_format(&id, rep->id, sizeof(rep->id));
	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	rep->n = targets->n;
	names = json_array();
	for (i = 0; i < targets->n; i++) {
		struct deploy_node *n = &rep->nodes[i];
		int s;

		n->index = i;
		n->target = targets->items[i];
		node_settings(n, &ctx->fleet, opts, opts->nodes ? &opts->nodes[i] : NULL);
		if ((r = profile_path_check(n->profile)) < 0) {
			json_decref(names);
			goto out;
		}
		fleet_node_name(&n->target, n->name, sizeof(n->name));
		for (s = 0; s < STEP_COUNT; s++)
			n->step_ms[s] = -1;
		json_array_append_new(names, json_string(n->name));
	}
	if (!opts->id)
		record(&job, NULL, "deploy.initiated",
		       json_pack("{s:o, s:s, s:s, s:b, s:o}", "source", source_json(opts), "profile", opts->profile,
				 "activate", opts->activate, "dry_run", opts->dry_run, "nodes", names));
	else
		json_decref(names);
	/* Build once. */
	tb = clock_mono_ms();
	if (opts->expect) {
		snprintf(rep->path, sizeof(rep->path), "%s", opts->expect);
	} else if ((r = ctx->nix->ops->build(ctx->nix, opts->source, rep->path, NULL)) < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", err_msg());
		record(&job, NULL, "chimera.deploy.complete",
		       json_pack("{s:s, s:s, s:i, s:i, s:i}", "result", "build failed", "error", msg, "nodes", (int)rep->n,
				 "ok", 0, "failed", 0));
		err_set(r, "%s", msg);
		goto out;
	}
	if ((r = job_prepare(&job)) < 0)
		goto out;
	rep->build_ms = clock_mono_ms() - tb;
	rep->closure_paths = job.closure.n;
	rep->closure_bytes = job.closure.bytes;
	record(&job, NULL, "chimera.deploy.start",
	       json_pack("{s:s, s:I, s:I, s:I, s:i, s:b}", "path", rep->path, "closure_paths", (json_int_t)job.closure.n,
			 "closure_bytes", (json_int_t)job.closure.bytes, "build_ms", (json_int_t)rep->build_ms, "nodes",
			 (int)rep->n, "dry_run", opts->dry_run));
	if ((r = pool_run(rep->n, ctx->fleet.parallel, deploy_one, &job)) < 0)
		goto out;
	rep->ms = clock_mono_ms() - t0;
	record(&job, NULL, "chimera.deploy.complete",
	       json_pack("{s:s, s:s, s:i, s:i, s:i, s:I, s:b}", "result",
			 rep->failed == 0 ? "success" : rep->ok ? "partial" : "failed", "path", rep->path, "nodes",
			 (int)rep->n, "ok", (int)rep->ok, "failed", (int)rep->failed, "ms", (json_int_t)rep->ms, "dry_run",
			 opts->dry_run));
out:
	job_release(&job);
	return r;
}

void deploy_report_release(struct deploy_report *rep)
{
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}

struct json_t *deploy_source_json(const struct nix_source *src)
{
	if (src->flake)
		return json_pack("{s:s}", "flake", src->flake);
	return json_pack("{s:s, s:o}", "file", src->file, "attr", src->attr ? json_string(src->attr) : json_null());
}
