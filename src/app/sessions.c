/* Use case: long-running commands in tmux sessions on nodes (socket "chimera"), that outlive the connection. */
#include "app/sessions.h"
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

#define TMUX "tmux -L " SESSION_SOCKET
#define NEED_TMUX "command -v tmux >/dev/null 2>&1 || { echo 'tmux is not installed on this node' >&2; exit 127; }\n"

int sessions_name_check(const char *name)
{
	size_t n = strlen(name), i;
	char q[96];

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			break;
	}
	if (n == 0 || n > SESSION_NAME_MAX || i < n || name[0] == '-')
		return err_set(ERR_INVALID,
			       "bad session name '%s': expected 1 to %d of A-Z a-z 0-9 _ - not starting with '-'",
			       err_quote(q, sizeof(q), name, n), SESSION_NAME_MAX);
	return 0;
}

static int nomem(void)
{
	return err_set(ERR_NOMEM, "out of memory");
}

/* Append BEFORE, WORD quoted, AFTER. */
static int add_q(struct buf *cmd, const char *before, const char *word, const char *after)
{
	if (buf_adds(cmd, before) < 0 || shell_quote(cmd, word) < 0 || buf_adds(cmd, after) < 0)
		return nomem();
	return 0;
}

int sessions_escape(struct buf *out, const char *s)
{
	size_t n = strlen(s), i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			r = buf_adds(out, "\\\\");
		else if (c == '\n')
			r = buf_adds(out, "\\n");
		else if (c == '\t')
			r = buf_adds(out, "\\t");
		else if (c < 0x20 || c == 0x7f || (c == ';' && i == n - 1))
			r = buf_printf(out, "\\x%02x", c);
		else
			r = buf_addc(out, (char)c);
	}
	return r;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sessions_unescape(struct buf *out, const char *s, size_t len)
{
	size_t i;
	int r = 0;

	for (i = 0; i < len && r == 0; i++) {
		if (s[i] != '\\' || i + 1 == len) {
			r = buf_addc(out, s[i]);
			continue;
		}
		switch (s[i + 1]) {
		case '\\': r = buf_addc(out, '\\'); i++; break;
		case 'n': r = buf_addc(out, '\n'); i++; break;
		case 't': r = buf_addc(out, '\t'); i++; break;
		case 'x':
			if (i + 3 < len && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
				r = buf_addc(out, (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3])));
				i += 3;
				break;
			}
			/* fall through */
		default: r = buf_addc(out, '\\'); break;
		}
	}
	return r;
}

/* 0 when NAME is a variable name. */
static int env_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return -1;
	}
	return 0;
}

/* The script the session's /bin/sh runs: SPEC's variables, PATH, then the command. */
static int session_script(struct buf *sc, const struct session_spec *spec)
{
	char q[96];
	size_t i;

	for (i = 0; spec->env && spec->env[i]; i++) {
		const char *e = spec->env[i], *eq = strchr(e, '=');

		if (i == SESSION_ENV_MAX)
			return err_set(ERR_LIMIT, "more than %d session variables", SESSION_ENV_MAX);
		if (!eq || env_name_ok(e, (size_t)(eq - e)) < 0)
			return err_set(ERR_INVALID, "bad session variable '%s': expected NAME=VALUE",
				       err_quote(q, sizeof(q), e, strlen(e)));
		if (buf_add(sc, e, (size_t)(eq - e + 1)) < 0 || shell_quote(sc, eq + 1) < 0 ||
		    buf_printf(sc, "; export %.*s\n", (int)(eq - e), e) < 0)
			return nomem();
	}
	if (spec->path_dir) {
		if (spec->path_dir[0] != '/')
			return err_set(ERR_INVALID, "bad PATH directory '%s': expected an absolute path",
				       err_quote(q, sizeof(q), spec->path_dir, strlen(spec->path_dir)));
		if (add_q(sc, "PATH=", spec->path_dir, "/bin:\"$PATH\"; export PATH\n") < 0)
			return ERR_NOMEM;
	}
	/* Ends with a newline: tmux takes an argument ending with ';' as a command separator. */
	if (buf_adds(sc, spec->command) < 0 || buf_addc(sc, '\n') < 0)
		return nomem();
	return 0;
}

int sessions_cmd_start(struct buf *cmd, const struct session_spec *spec)
{
	struct buf sc = BUF_INIT(0), shown = BUF_INIT(0);
	int r;

	if ((r = sessions_name_check(spec->name)) < 0)
		return r;
	if (!spec->command || !spec->command[0])
		return err_set(ERR_INVALID, "no command for session '%s'", spec->name);
	if ((r = session_script(&sc, spec)) < 0)
		goto out;
	if ((r = sessions_escape(&shown, spec->shown ? spec->shown : spec->command)) < 0) {
		r = nomem();
		goto out;
	}
	/*
	 * A session replaced is renamed aside, the new one started, then the old one killed:
	 * killing it first could leave the server with no session, and a server with none exits
	 * while new-session is reaching it ("server exited unexpectedly"). If the start fails,
	 * the old session gets its name back.
	 */
	if (buf_adds(cmd, NEED_TMUX "r=chimera-started old=\n") < 0 ||
	    buf_printf(cmd, "if " TMUX " has-session -t =%s 2>/dev/null; then\n", spec->name) < 0 ||
	    (spec->replace ? buf_printf(cmd,
					"\told=chimera-replacing-$$\n"
					"\t" TMUX " rename-session -t =%s \"$old\" || exit 1\n"
					"\tr=chimera-replaced\n",
					spec->name)
			   : buf_printf(cmd, "\techo chimera-exists\n\texit %d\n", SESSION_EXISTS_STATUS)) < 0 ||
	    buf_printf(cmd, "fi\n" TMUX " new-session -d -s %s -- /bin/sh -c ", spec->name) < 0 ||
	    shell_quote(cmd, sc.data) < 0 ||
	    buf_printf(cmd, " \\; set-option -t =%s: " SESSION_OPTION " ", spec->name) < 0 ||
	    shell_quote(cmd, shown.data) < 0 ||
	    (spec->replace ? buf_printf(cmd,
					" || { [ -z \"$old\" ] || " TMUX " rename-session -t =\"$old\" %s; exit 1; }\n"
					"[ -z \"$old\" ] || " TMUX " kill-session -t =\"$old\"\n",
					spec->name)
			   : buf_adds(cmd, " || exit 1\n")) < 0 ||
	    buf_adds(cmd, "echo $r\n") < 0) {
		r = nomem();
		goto out;
	}
	r = 0;
out:
	buf_release(&sc);
	buf_release(&shown);
	return r;
}

int sessions_cmd_list(struct buf *cmd)
{
	/*
	 * No server (or no socket yet) is no sessions; anything else tmux says is an error. -u:
	 * without a UTF-8 locale (the usual case over SSH) tmux would print tabs as '_'.
	 */
	if (buf_adds(cmd, NEED_TMUX "if out=$(tmux -u -L " SESSION_SOCKET " list-sessions -F ") < 0 ||
	    shell_quote(cmd, "#{session_name}\t#{session_created}\t#{session_attached}\t#{" SESSION_OPTION "}") < 0 ||
	    buf_adds(cmd, " 2>&1); then printf '%s\\n' \"$out\"; exit 0; fi\n"
			  "case $out in *'no server running'*|*'error connecting'*) exit 0;; esac\n"
			  "printf '%s\\n' \"$out\" >&2\nexit 1\n") < 0)
		return nomem();
	return 0;
}

int sessions_cmd_kill(struct buf *cmd, const char *name)
{
	int r;

	if ((r = sessions_name_check(name)) < 0)
		return r;
	if (buf_printf(cmd, NEED_TMUX TMUX " has-session -t =%s 2>/dev/null || { echo chimera-missing; exit %d; }\n"
			    "exec " TMUX " kill-session -t =%s\n", name, SESSION_MISSING_STATUS, name) < 0)
		return nomem();
	return 0;
}

int sessions_cmd_has(struct buf *cmd, const char *name)
{
	int r;

	if ((r = sessions_name_check(name)) < 0)
		return r;
	if (buf_printf(cmd, NEED_TMUX "exec " TMUX " has-session -t =%s 2>/dev/null\n", name) < 0)
		return nomem();
	return 0;
}

int sessions_cmd_stage(struct buf *cmd, const char *name, const char *suffix)
{
	size_t n = strlen(suffix);
	char q[64];
	int r;

	if ((r = sessions_name_check(name)) < 0)
		return r;
	if (n == 0 || n > 8 || strspn(suffix, "abcdefghijklmnopqrstuvwxyz") != n)
		return err_set(ERR_INVALID, "bad file suffix '%s': expected 1 to 8 of a-z", err_quote(q, sizeof(q), suffix, n));
	if (buf_printf(cmd,
		       "d=\"${XDG_STATE_HOME:-${HOME:-/tmp}/.local/state}/chimera/run\"\n"
		       "f=\"$d/%s.%s\"\n"
		       "mkdir -p \"$d\" && cat > \"$f.tmp\" && mv -f \"$f.tmp\" \"$f\" && printf 'chimera-file %%s\\n' \"$f\"\n",
		       name, suffix) < 0)
		return nomem();
	return 0;
}

void session_list_release(struct session_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i].command);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* Parse N bytes of S as a decimal number in [0, MAX]. */
static int parse_num(const char *s, size_t n, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (max - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* One line of the list: NAME TAB CREATED TAB ATTACHED TAB COMMAND. */
static int parse_line(const char *p, size_t len, size_t lineno, struct session_info *si)
{
	const char *f[4];
	size_t fl[4], k = 0;
	const char *q = p, *end = p + len, *tab;
	struct buf cmd = BUF_INIT(0);
	int64_t created, attached;
	char quoted[96];

	while (k < 3 && (tab = memchr(q, '\t', (size_t)(end - q)))) {
		f[k] = q;
		fl[k++] = (size_t)(tab - q);
		q = tab + 1;
	}
	f[k] = q;
	fl[k++] = (size_t)(end - q);
	if (k < 4)
		goto bad;
	if (fl[0] == 0 || fl[0] > SESSION_NAME_MAX || memchr(f[0], '\0', fl[0]) ||
	    parse_num(f[1], fl[1], INT64_MAX, &created) < 0 || parse_num(f[2], fl[2], 1000000, &attached) < 0)
		goto bad;
	memcpy(si->name, f[0], fl[0]);
	si->name[fl[0]] = 0;
	si->created = created;
	si->attached = (int)attached;
	if (sessions_unescape(&cmd, f[3], fl[3]) < 0)
		return nomem();
	si->command = buf_detach(&cmd, NULL);
	return si->command ? 0 : nomem();
bad:
	return err_set(ERR_INVALID, "bad session list line %zu '%s': expected NAME<TAB>CREATED<TAB>ATTACHED<TAB>COMMAND",
		       lineno, err_quote(quoted, sizeof(quoted), p, len));
}

int sessions_parse_list(const char *data, size_t len, struct session_list *l)
{
	const char *p = data, *end = data + len, *nl;
	size_t lines = 0, lineno = 0, cap = 0;
	int r;

	l->items = NULL;
	l->n = 0;
	for (nl = p; nl < end; nl++)
		lines += *nl == '\n';
	cap = lines + 1;
	if (!(l->items = calloc(cap, sizeof(*l->items))))
		return nomem();
	while (p < end) {
		size_t n;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0) {
			if ((r = parse_line(p, n, lineno, &l->items[l->n])) < 0)
				return r;
			l->n++;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Run CMD in S as STEP; 0 with RES filled whatever the exit status, else FAIL filled. */
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
		if (add_q(&cmd, "nix-shell ", n->file, " --run ") < 0 || shell_quote(&cmd, spec.command) < 0) {
			r = nomem();
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
	char *text;
	int r;

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
	text = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	r = text ? ledger_append1(job->f->ledger, topic, job->rep->id, n->name, text, &n->seq) : nomem();
	free(text);
	return r;
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
		switch (req->op) {
		case SESSION_OP_START: r = start_one(job, n, ex, s); break;
		case SESSION_OP_LIST: r = sessions_list(ex, s, n->name, &n->list, &n->fail); break;
		case SESSION_OP_KILL: r = sessions_kill(ex, s, n->name, req->spec.name, &n->fail); break;
		}
		ex->ops->disconnect(s);
	}
	if (r == ERR_BUSY && req->op == SESSION_OP_START)
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
	if (r < 0 && job->rep->ledger_err == 0) {
		job->rep->ledger_err = r;
		snprintf(job->rep->ledger_msg, sizeof(job->rep->ledger_msg), "%s", err_msg());
	}
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
			return nomem();
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
		r = nomem();
		goto out;
	}
	rep->n = targets->n;
	for (i = 0; i < targets->n; i++) {
		rep->nodes[i].target = targets->items[i];
		fleet_node_name(&targets->items[i], rep->nodes[i].name, sizeof(rep->nodes[i].name));
	}
	pthread_mutex_init(&job.lock, NULL);
	r = pool_run(targets->n, f->parallel > 0 ? f->parallel : FLEET_PARALLEL_DEFAULT, sessions_one, &job);
	pthread_mutex_destroy(&job.lock);
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
