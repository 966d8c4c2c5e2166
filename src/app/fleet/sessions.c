/* Use case: long-running commands in tmux sessions on nodes (socket "chimera"), that outlive the connection. */
#include "app/fleet/sessions.h"
#include "app/fleet/lease.h"
#include "core/ids.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"
#include "util/log.h"
#include "util/pool.h"
#include "util/shell.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static int run_cmd(struct executor *ex, struct exec_session *s, const char *step, const char *cmd,
		   const struct exec_opts *o, struct exec_result *res, struct fleet_failure *fail)
{
	int r;

	err_clear();
	if ((r = ex->ops->run(s, cmd, o, res)) < 0)
		return fleet_judge(fail, step, r, res);
	return 0;
}

/* FAIL for a command that exited non-zero, with tmux's first line of stderr in the message. */
static int judge_status(struct fleet_failure *fail, const char *step, const char *node, const struct exec_result *res)
{
	const char *e = res->err.data, *nl;
	int r = fleet_judge(fail, step, 0, res);
	size_t n;

	while (*e == '\n')
		e++;
	if (r < 0 && *e) {
		nl = strchr(e, '\n');
		n = nl ? (size_t)(nl - e) : strlen(e);
		snprintf(fail->message, sizeof(fail->message), "%s on %s exited with status %d: %.*s", step,
			 node ? node : "the node", res->status, (int)(n > 300 ? 300 : n), e);
	}
	return r;
}

static void fail_msg(struct fleet_failure *fail, const char *step, int err, int status, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void fail_msg(struct fleet_failure *fail, const char *step, int err, int status, const char *fmt, ...)
{
	va_list ap;

	fail->step = step;
	fail->err = err;
	fail->status = status;
	va_start(ap, fmt);
	vsnprintf(fail->message, sizeof(fail->message), fmt, ap);
	va_end(ap);
	err_set(err, "%s", fail->message);
}

int sessions_start(struct executor *ex, struct exec_session *s, const char *node, const struct session_spec *spec,
		   bool *replaced, struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	int r;

	exec_result_init(&res);
	if (replaced)
		*replaced = false;
	if ((r = sessions_cmd_start(&cmd, spec)) < 0) {
		fleet_fail(fail, "start", r);
		goto out;
	}
	if ((r = run_cmd(ex, s, "start", cmd.data, NULL, &res, fail)) < 0)
		goto out;
	if (res.status == SESSION_EXISTS_STATUS && strstr(res.out.data, "chimera-exists")) {
		fail_msg(fail, "start", ERR_BUSY, res.status, "session '%s' already exists on %s (use --replace)",
			 spec->name, node ? node : "the node");
		r = ERR_BUSY;
		goto out;
	}
	if ((r = judge_status(fail, "start", node, &res)) < 0)
		goto out;
	if (replaced)
		*replaced = strstr(res.out.data, "chimera-replaced") != NULL;
out:
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

int sessions_list(struct executor *ex, struct exec_session *s, const char *node, struct session_list *l,
		  struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	int r;

	exec_result_init(&res);
	l->items = NULL;
	l->n = 0;
	if ((r = sessions_cmd_list(&cmd)) < 0) {
		fleet_fail(fail, "list", r);
		goto out;
	}
	if ((r = run_cmd(ex, s, "list", cmd.data, NULL, &res, fail)) < 0 ||
	    (r = judge_status(fail, "list", node, &res)) < 0)
		goto out;
	if ((r = sessions_parse_list(res.out.data, res.out.len, l)) < 0) {
		session_list_release(l);
		fleet_fail(fail, "list", r);
	}
out:
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

int sessions_kill(struct executor *ex, struct exec_session *s, const char *node, const char *name,
		  struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	int r;

	exec_result_init(&res);
	if ((r = sessions_cmd_kill(&cmd, name)) < 0) {
		fleet_fail(fail, "kill", r);
		goto out;
	}
	if ((r = run_cmd(ex, s, "kill", cmd.data, NULL, &res, fail)) < 0)
		goto out;
	if (res.status == SESSION_MISSING_STATUS && strstr(res.out.data, "chimera-missing")) {
		fail_msg(fail, "kill", ERR_NOTFOUND, res.status, "no session '%s' on %s", name, node ? node : "the node");
		r = ERR_NOTFOUND;
		goto out;
	}
	r = judge_status(fail, "kill", node, &res);
out:
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

int sessions_has(struct executor *ex, struct exec_session *s, const char *node, const char *name,
		 struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	int r;

	exec_result_init(&res);
	if ((r = sessions_cmd_has(&cmd, name)) < 0) {
		fleet_fail(fail, "has", r);
		goto out;
	}
	if ((r = run_cmd(ex, s, "has", cmd.data, NULL, &res, fail)) < 0)
		goto out;
	if (res.status == 0 || res.status == 1)
		r = res.status == 0;
	else
		r = judge_status(fail, "has", node, &res);
out:
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

int sessions_stage(struct executor *ex, struct exec_session *s, const char *node, const char *name,
		   const char *suffix, int fd, uint64_t len, char *path, size_t path_len, struct fleet_failure *fail)
{
	struct buf cmd = BUF_INIT(0);
	struct exec_result res;
	struct exec_input in = { .fd = fd, .len = len };
	struct exec_opts o = { .input = &in };
	const char *p, *nl;
	size_t n;
	int r;

	exec_result_init(&res);
	path[0] = 0;
	if ((r = sessions_cmd_stage(&cmd, name, suffix)) < 0) {
		fleet_fail(fail, "stage", r);
		goto out;
	}
	if ((r = run_cmd(ex, s, "stage", cmd.data, &o, &res, fail)) < 0 ||
	    (r = judge_status(fail, "stage", node, &res)) < 0)
		goto out;
	p = strstr(res.out.data, "chimera-file ");
	if (!p || (p != res.out.data && p[-1] != '\n')) {
		fail_msg(fail, "stage", ERR_IO, res.status, "staging on %s printed no file name", node ? node : "the node");
		r = ERR_IO;
		goto out;
	}
	p += strlen("chimera-file ");
	nl = strchr(p, '\n');
	n = nl ? (size_t)(nl - p) : strlen(p);
	if (n == 0 || n >= path_len || p[0] != '/') {
		fail_msg(fail, "stage", ERR_LIMIT, res.status, "staging on %s gave an unusable file name", node ? node : "the node");
		r = ERR_LIMIT;
		goto out;
	}
	memcpy(path, p, n);
	path[n] = 0;
out:
	exec_result_release(&res);
	buf_release(&cmd);
	return r;
}

static const char *const outcome_names[][5] = {
	[SESSION_OP_START] = { "started", "replaced", "exists", "missing", "failed" },
	[SESSION_OP_LIST] = { "listed", "replaced", "exists", "missing", "failed" },
	[SESSION_OP_KILL] = { "killed", "replaced", "exists", "missing", "failed" },
};

const char *session_outcome_name(enum session_op op, enum session_outcome o)
{
	if ((unsigned)op > SESSION_OP_KILL || (unsigned)o > SESSION_FAILED)
		return "unknown";
	return outcome_names[op][o];
}

struct sessions_job {
	const struct fleet *f;
	const struct sessions_request *req;
	struct sessions_report *rep;
	const char *command_text;	/* valid UTF-8 for events */
	struct fleet_op op;		/* start (kind "run") and kill (kind "sessions") lease their nodes */
	pthread_mutex_t lock;
};

static int node_ok(const struct sessions_node *n)
{
	return n->outcome == SESSION_DONE || n->outcome == SESSION_REPLACED;
}

/* START on one connected node: with a Nix file, check the name, stage the file and wrap the command. */
static int start_one(struct sessions_job *job, struct sessions_node *n, struct executor *ex, struct exec_session *s)
{
	const struct sessions_request *req = job->req;
	struct session_spec spec = req->spec;
	struct buf cmd = BUF_INIT(0);
	bool replaced = false;
	int r;

	if (req->nix_fd >= 0) {
		/* Before staging: the file of a running session must not change under it. */
		if (!spec.replace && (r = sessions_has(ex, s, n->name, spec.name, &n->fail)) != 0) {
			if (r > 0) {
				fail_msg(&n->fail, "start", ERR_BUSY, -1, "session '%s' already exists on %s (use --replace)",
					 spec.name, n->name);
				r = ERR_BUSY;
			}
			goto out;
		}
		if ((r = sessions_stage(ex, s, n->name, spec.name, "nix", req->nix_fd, req->nix_len, n->file,
					sizeof(n->file), &n->fail)) < 0)
			goto out;
		if ((r = sessions_cmd_nix_shell(&cmd, n->file, spec.command)) < 0) {
			fleet_fail(&n->fail, "start", r);
			goto out;
		}
		spec.command = cmd.data;
	}
	r = sessions_start(ex, s, n->name, &spec, &replaced, &n->fail);
	if (r == 0 && replaced)
		n->outcome = SESSION_REPLACED;
out:
	buf_release(&cmd);
	return r;
}

static int record_node(struct sessions_job *job, struct sessions_node *n)
{
	const struct sessions_request *req = job->req;
	const char *topic = req->op == SESSION_OP_START ? "session.start" : "session.kill";
	json_t *p;

	if (!job->f->ledger || req->op == SESSION_OP_LIST)
		return 0;
	p = json_object();
	json_object_set_new(p, "session", json_string(req->spec.name));
	json_object_set_new(p, "ok", json_boolean(node_ok(n)));
	json_object_set_new(p, "outcome", json_string(session_outcome_name(req->op, n->outcome)));
	if (req->op == SESSION_OP_START) {
		json_object_set_new(p, "command", json_string(job->command_text));
		json_object_set_new(p, "store_path", req->store_path ? json_string(req->store_path) : json_null());
		json_object_set_new(p, "nix_shell", n->file[0] ? json_string(n->file) : json_null());
		json_object_set_new(p, "replace", json_boolean(req->spec.replace));
	}
	if (!node_ok(n)) {
		json_object_set_new(p, "step", json_string(n->fail.step ? n->fail.step : ""));
		json_object_set_new(p, "error", json_utf8_string(n->fail.message, strlen(n->fail.message)));
	}
	json_object_set_new(p, "ms", json_integer(n->ms));
	return fleet_record_ordered(job->f->ledger, topic, job->rep->id, n->name, p, &n->seq);
}

static void sessions_one(size_t i, void *arg)
{
	struct sessions_job *job = arg;
	const struct sessions_request *req = job->req;
	struct sessions_node *n = &job->rep->nodes[i];
	struct executor *ex = NULL;
	struct exec_session *s = NULL;
	int64_t t0 = clock_mono_ms();
	int r;

	err_clear();
	if (req->prior && req->prior[i].step) {
		n->fail = req->prior[i];
		r = n->fail.err ? n->fail.err : ERR_IO;
	} else if ((r = fleet_connect(job->f, &n->target, &ex, &s, &n->fail)) == 0) {
		/* Start and kill change the node: under its lease (list reads only). */
		if ((r = fleet_node_begin(&job->op, &n->target, n->name, NULL, ex, s, &n->fail)) == 0) {
			switch (req->op) {
			case SESSION_OP_START: r = start_one(job, n, ex, s); break;
			case SESSION_OP_LIST: r = sessions_list(ex, s, n->name, &n->list, &n->fail); break;
			case SESSION_OP_KILL: r = sessions_kill(ex, s, n->name, req->spec.name, &n->fail); break;
			}
			fleet_node_end(&job->op, &n->target, n->name, ex, s);
		}
		ex->ops->disconnect(s);
	}
	if (r == ERR_BUSY && req->op == SESSION_OP_START && !(n->fail.step && strcmp(n->fail.step, "lease") == 0))
		n->outcome = SESSION_EXISTS;
	else if (r == ERR_NOTFOUND && req->op == SESSION_OP_KILL && n->fail.step && strcmp(n->fail.step, "kill") == 0)
		n->outcome = SESSION_MISSING;
	else if (r < 0)
		n->outcome = SESSION_FAILED;
	n->ms = clock_mono_ms() - t0;
	if (log_enabled(LOG_INFO))
		log_kv(node_ok(n) ? LOG_INFO : LOG_WARN, "sessions", session_outcome_name(req->op, n->outcome), "node",
		       n->name, "session", req->op == SESSION_OP_LIST ? "" : req->spec.name, "error",
		       node_ok(n) ? "" : n->fail.message, (const char *)NULL);
	r = record_node(job, n);
	pthread_mutex_lock(&job->lock);
	fleet_keep_ledger_error(r, &job->rep->ledger_err, job->rep->ledger_msg, sizeof(job->rep->ledger_msg));
	if (node_ok(n))
		job->rep->ok++;
	else
		job->rep->failed++;
	pthread_mutex_unlock(&job->lock);
}

int sessions_run(const struct fleet *f, const struct target_list *targets, const struct sessions_request *req,
		 struct sessions_report *rep)
{
	struct sessions_job job = { .f = f, .req = req, .rep = rep };
	struct buf text = BUF_INIT(0);
	struct deployment_id id;
	int64_t t0 = clock_mono_ms();
	size_t i;
	int r;

	memset(rep, 0, sizeof(*rep));
	if (req->op != SESSION_OP_LIST && (r = sessions_name_check(req->spec.name)) < 0)
		return r;
	if (req->op == SESSION_OP_START) {
		if (!req->spec.command || !req->spec.command[0])
			return err_set(ERR_INVALID, "no command for session '%s'", req->spec.name);
		if (json_utf8_clean(req->spec.command, strlen(req->spec.command), &text) < 0)
			return err_set(ERR_NOMEM, "out of memory");
		job.command_text = text.data;
	}
	if (req->id) {
		snprintf(rep->id, sizeof(rep->id), "%s", req->id);
	} else {
		if ((r = deployment_id_generate(&id, (uint64_t)clock_wall_ms())) < 0)
			goto out;
		deployment_id_format(&id, rep->id, sizeof(rep->id));
	}
	if (!(rep->nodes = calloc(targets->n ? targets->n : 1, sizeof(*rep->nodes)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	rep->n = targets->n;
	for (i = 0; i < targets->n; i++) {
		rep->nodes[i].target = targets->items[i];
		fleet_node_name(&targets->items[i], rep->nodes[i].name, sizeof(rep->nodes[i].name));
	}
	if (req->op != SESSION_OP_LIST &&
	    (r = fleet_op_begin(&job.op, f, req->op == SESSION_OP_START ? "run" : "sessions", rep->id)) < 0)
		goto out;
	r = fleet_fanout(targets->n, f->parallel > 0 ? f->parallel : FLEET_PARALLEL_DEFAULT, sessions_one, &job,
			 &job.lock);
	fleet_op_end(&job.op);
	rep->ms = clock_mono_ms() - t0;
out:
	buf_release(&text);
	return r;
}

void sessions_report_release(struct sessions_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		session_list_release(&rep->nodes[i].list);
	free(rep->nodes);
	memset(rep, 0, sizeof(*rep));
}
