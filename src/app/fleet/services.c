/* Use case: list, inspect and control systemd services on many nodes, each outcome in the ledger. */
#include "app/fleet/services.h"
#include "app/fleet/lease.h"
#include "core/ids.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/pool.h"
#include "util/shell.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define EVENT_FAILED_MAX 64	/* failed unit ids a list event names */

struct services_job {
	const struct services_ctx *ctx;
	struct services_report *rep;
	struct fleet_op op;		/* start, stop, restart, enable, disable lease their nodes; list and status do not */
	pthread_mutex_t lock;
	size_t done;
};

bool services_node_ok(const struct services_node *n)
{
	return n->err == 0 && n->manager && strcmp(n->manager, "systemd") == 0;
}

bool services_node_no_manager(const struct services_node *n)
{
	return n->manager && strcmp(n->manager, "none") == 0;
}

static void node_fail(struct services_node *n, const char *step, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Record the first failure of N; later ones are dropped (the first says why). */
static void node_fail(struct services_node *n, const char *step, int err, const char *fmt, ...)
{
	va_list ap;

	if (n->err)
		return;
	n->step = step;
	n->err = err;
	va_start(ap, fmt);
	vsnprintf(n->message, sizeof(n->message), fmt, ap);
	va_end(ap);
}

/* The first non-empty line of B, quoted for a message, into OUT. */
static void first_line(const struct buf *b, char *out, size_t len)
{
	const char *p = b->data, *end = b->data + b->len, *nl;

	while (p < end && (*p == '\n' || *p == ' '))
		p++;
	nl = memchr(p, '\n', (size_t)(end - p));
	err_quote(out, len, p, nl ? (size_t)(nl - p) : (size_t)(end - p));
}

static int cmp_unit(const void *a, const void *b)
{
	return strcmp(((const struct sd_unit *)a)->id, ((const struct sd_unit *)b)->id);
}

/* Run CMD as step STEP; returns the executor's answer with RES filled, a failure noted in N. */
static int run_step(const struct services_ctx *ctx, struct executor *ex, struct exec_session *s,
		    struct services_node *n, const char *step, const char *cmd, struct exec_result *res)
{
	struct exec_opts o = { .timeout_s = ctx->fleet.step_timeout_s };
	int r;

	exec_result_release(res);
	exec_result_init(res);
	err_clear();
	if ((r = ex->ops->run(s, cmd, &o, res)) < 0)
		node_fail(n, step, r, "%s", err_msg());
	return r;
}

/* The steps on one connected node. */
static void node_steps(const struct services_job *job, struct executor *ex, struct exec_session *s,
		       struct services_node *n)
{
	const struct services_report *rep = job->rep;
	const char *unit = rep->unit[0] ? rep->unit : NULL;
	struct exec_result res;
	struct buf cmd = BUF_INIT(0);
	char line[256];
	int r;

	exec_result_init(&res);
	if ((r = services_remote_detect(&cmd)) < 0 || run_step(job->ctx, ex, s, n, "detect", cmd.data, &res) < 0)
		goto out;
	if (res.status != 0) {
		first_line(&res.err, line, sizeof(line));
		node_fail(n, "detect", ERR_IO, "detecting the service manager on %s failed (exit %d): %s", n->name,
			  res.status, line);
		goto out;
	}
	if (strcmp(res.out.data, "systemd\n") == 0) {
		n->manager = "systemd";
	} else if (strcmp(res.out.data, "none\n") == 0) {
		n->manager = "none";
		node_fail(n, "detect", ERR_UNSUPPORTED, "no service manager on %s (systemd is not running)", n->name);
		goto out;
	} else {
		first_line(&res.out, line, sizeof(line));
		node_fail(n, "detect", ERR_IO, "unexpected answer '%s' from the service manager probe on %s", line,
			  n->name);
		goto out;
	}
	if (services_action_changes(rep->action)) {
		buf_reset(&cmd);
		if ((r = services_remote_action(&cmd, rep->action, unit)) < 0 ||
		    run_step(job->ctx, ex, s, n, services_action_name(rep->action), cmd.data, &res) < 0)
			goto out;
		n->action_exit = res.status;
		if (res.status != 0) {
			first_line(&res.err, line, sizeof(line));
			node_fail(n, services_action_name(rep->action), ERR_IO,
				  "systemctl %s '%s' failed on %s (exit %d): %s", services_action_name(rep->action), unit,
				  n->name, res.status, line);
			/* Still read the state: it shows what the failure left. */
		}
	}
	buf_reset(&cmd);
	if ((r = services_remote_show(&cmd, unit)) < 0 || run_step(job->ctx, ex, s, n, "show", cmd.data, &res) < 0)
		goto out;
	if (res.status != 0) {
		first_line(&res.err, line, sizeof(line));
		node_fail(n, "show", ERR_IO, "systemctl show failed on %s (exit %d): %s", n->name, res.status, line);
		goto out;
	}
	if (res.truncated) {
		node_fail(n, "show", ERR_LIMIT, "systemctl show on %s printed more than %d bytes", n->name,
			  EXEC_OUTPUT_MAX);
		goto out;
	}
	if ((r = systemd_show_parse(res.out.data, res.out.len, &n->units)) < 0) {
		node_fail(n, "show", r, "%s: %s", n->name, err_msg());
		goto out;
	}
	if (!unit) {
		if (n->units.n > 1)
			qsort(n->units.items, n->units.n, sizeof(n->units.items[0]), cmp_unit);
	} else if (n->units.n != 1) {
		node_fail(n, "show", ERR_IO, "systemctl show printed %zu units for '%s' on %s, expected 1", n->units.n,
			  unit, n->name);
	} else if (rep->action == SERVICES_STATUS && systemd_unit_missing(&n->units.items[0])) {
		node_fail(n, "show", ERR_NOTFOUND, "unit '%s' not found on %s", unit, n->name);
	}
out:
	if (r < 0)
		node_fail(n, "run", r, "%s", err_msg());
	buf_release(&cmd);
	exec_result_release(&res);
}

/* The state of U for an event. */
static json_t *unit_event(const struct sd_unit *u)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_utf8_string(u->id, strlen(u->id)));
	json_object_set_new(o, "load_state", json_utf8_string(u->load_state, strlen(u->load_state)));
	json_object_set_new(o, "active_state", json_utf8_string(u->active_state, strlen(u->active_state)));
	json_object_set_new(o, "sub_state", json_utf8_string(u->sub_state, strlen(u->sub_state)));
	json_object_set_new(o, "unit_file_state", json_utf8_string(u->unit_file_state, strlen(u->unit_file_state)));
	json_object_set_new(o, "main_pid", u->main_pid ? json_integer(u->main_pid) : json_null());
	json_object_set_new(o, "since", u->since.epoch >= 0 ? json_integer(u->since.epoch) : json_null());
	return o;
}

/* Append N's node.services event. Returns 0 or the ledger's error (message in err_msg). */
static int record_node(struct services_job *job, struct services_node *n)
{
	const struct services_report *rep = job->rep;
	json_t *p = json_object(), *failed;
	size_t i;

	json_object_set_new(p, "action", json_string(services_action_name(rep->action)));
	json_object_set_new(p, "unit", rep->unit[0] ? json_string(rep->unit) : json_null());
	json_object_set_new(p, "ok", json_boolean(services_node_ok(n)));
	json_object_set_new(p, "service_manager", n->manager ? json_string(n->manager) : json_null());
	json_object_set_new(p, "action_exit", n->action_exit >= 0 ? json_integer(n->action_exit) : json_null());
	if (n->err) {
		json_object_set_new(p, "step", json_string(n->step));
		json_object_set_new(p, "error", json_utf8_string(n->message, strlen(n->message)));
	}
	json_object_set_new(p, "ms", json_integer(n->ms));
	if (rep->action == SERVICES_LIST) {
		/* A node may have hundreds of services: count them, name the failed ones. */
		failed = json_array();
		for (i = 0; i < n->units.n && json_array_size(failed) < EVENT_FAILED_MAX; i++) {
			if (strcmp(n->units.items[i].active_state, "failed") == 0)
				json_array_append_new(failed, json_utf8_string(n->units.items[i].id,
									       strlen(n->units.items[i].id)));
		}
		json_object_set_new(p, "units", json_integer((json_int_t)n->units.n));
		json_object_set_new(p, "failed_units", failed);
	} else {
		json_object_set_new(p, "state", n->units.n == 1 ? unit_event(&n->units.items[0]) : json_null());
	}
	return fleet_record(job->ctx->fleet.ledger, "node.services", rep->run_id, n->name, p, &n->seq);
}

static void services_one(size_t i, void *arg)
{
	struct services_job *job = arg;
	struct services_node *n = &job->rep->nodes[i];
	struct fleet_failure fail = { 0 };
	struct executor *ex = NULL;
	struct exec_session *s = NULL;
	int64_t t0 = clock_mono_ms();
	int r;

	if (fleet_connect(&job->ctx->fleet, &n->target, &ex, &s, &fail) < 0) {
		node_fail(n, "connect", fail.err, "%s", fail.message);
	} else {
		/* Held by another operation past the lock wait: failed at "lease", nothing done. */
		if (fleet_node_begin(&job->op, &n->target, n->name, NULL, ex, s, &fail) < 0) {
			node_fail(n, "lease", fail.err, "%s", fail.message);
		} else {
			node_steps(job, ex, s, n);
			fleet_node_end(&job->op, &n->target, n->name, ex, s);
		}
		ex->ops->disconnect(s);
	}
	n->ms = clock_mono_ms() - t0;
	if (log_enabled(LOG_INFO))
		log_kv(n->err ? LOG_WARN : LOG_INFO, "services", n->err ? "node failed" : "node done", "node", n->name,
		       "action", services_action_name(job->rep->action), "step", n->step ? n->step : "",
		       "error", n->err ? n->message : "", (const char *)NULL);
	/* The ledger orders appends itself; the lock only guards the report and progress. */
	r = record_node(job, n);
	pthread_mutex_lock(&job->lock);
	fleet_keep_ledger_error(r, &job->rep->ledger_err, job->rep->ledger_msg, sizeof(job->rep->ledger_msg));
	if (services_node_ok(n))
		job->rep->ok++;
	else
		job->rep->failed++;
	if (services_node_no_manager(n))
		job->rep->no_manager++;
	job->done++;
	if (job->ctx->progress.node_done)
		job->ctx->progress.node_done(n, job->done, job->rep->n, job->ctx->progress.arg);
	pthread_mutex_unlock(&job->lock);
}

int services_run(const struct services_ctx *ctx, const struct target_list *targets, enum services_action a,
		 const char *unit, struct services_report *rep)
{
	struct services_job job = { .ctx = ctx, .rep = rep };
	struct deployment_id id;
	int64_t t0 = clock_mono_ms();
	size_t i;
	int r;

	memset(rep, 0, sizeof(*rep));
	rep->action = a;
	if (services_action_takes_unit(a) != (unit != NULL))
		return err_set(ERR_INVALID, "services %s %s", services_action_name(a),
			       unit ? "takes no unit name" : "needs a unit name");
	if (unit && (r = services_unit_name(unit, rep->unit, sizeof(rep->unit))) < 0)
		return r;
	if ((r = deployment_id_generate(&id, (uint64_t)clock_wall_ms())) < 0)
		return r;
	deployment_id_format(&id, rep->run_id, sizeof(rep->run_id));
	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes))))
		return err_set(ERR_NOMEM, "out of memory");
	rep->n = targets->n;
	for (i = 0; i < targets->n; i++) {
		rep->nodes[i].target = targets->items[i];
		rep->nodes[i].action_exit = -1;
		fleet_node_name(&targets->items[i], rep->nodes[i].name, sizeof(rep->nodes[i].name));
	}
	r = fleet_record(ctx->fleet.ledger, "services.action", rep->run_id, NULL,
			 json_pack("{s:s, s:o, s:I}", "action", services_action_name(a), "unit",
				   rep->unit[0] ? json_string(rep->unit) : json_null(), "targets", (json_int_t)targets->n),
			 NULL);
	if (r < 0)
		return r;
	if (a != SERVICES_LIST && a != SERVICES_STATUS && (r = fleet_op_begin(&job.op, &ctx->fleet, "services", rep->run_id)) < 0)
		return r;
	r = fleet_fanout(targets->n, ctx->fleet.parallel, services_one, &job, &job.lock);
	fleet_op_end(&job.op);
	if (r < 0)
		return r;
	rep->ms = clock_mono_ms() - t0;
	r = fleet_record(ctx->fleet.ledger, "services.complete", rep->run_id, NULL,
			 json_pack("{s:s, s:I, s:I, s:I, s:I}", "action", services_action_name(a), "ok",
				   (json_int_t)rep->ok, "failed", (json_int_t)rep->failed, "no_service_manager",
				   (json_int_t)rep->no_manager, "ms", (json_int_t)rep->ms),
			 NULL);
	fleet_keep_ledger_error(r, &rep->ledger_err, rep->ledger_msg, sizeof(rep->ledger_msg));
	return 0;
}

void services_report_release(struct services_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		systemd_show_release(&rep->nodes[i].units);
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}
