/* The CLI as a client of `chimera serve`: the token, requests, errors, jobs and their progress (remote.h). */
#include "cli/remote.h"
#include "cli/progress.h"
#include "ports/http.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

#define TOKEN_MAX 1024
#define URL_MAX 2048
#define API "/api/v1"

bool remote_on(const struct cli *cli)
{
	return cli->server && cli->server[0];
}

/* The server's URL, without trailing slashes, into OUT (URL_MAX bytes). 0 or ERR_INVALID. */
static int base_url(const char *s, char *out)
{
	size_t n = strlen(s), scheme = strncmp(s, "http://", 7) == 0 ? 7 : strncmp(s, "https://", 8) == 0 ? 8 : 0;
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			scheme = 0;
	while (n > scheme && s[n - 1] == '/')
		n--;
	if (!scheme || n == scheme || n >= URL_MAX) {
		char q[160];

		err_quote(q, sizeof(q), s, strlen(s));
		return err_set(ERR_INVALID, "--server '%s': expected http://HOST:PORT or https://HOST:PORT (chimera serve's"
			       " address)", q);
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* TOK (from FROM) can go in a header: printable ASCII, no space. 0 or ERR_INVALID. */
static int token_check(const char *tok, const char *from)
{
	const unsigned char *p;

	if (!tok[0])
		return err_set(ERR_INVALID, "%s holds no token: expected the token (as 'chimera tokens create' printed it)",
			       from);
	for (p = (const unsigned char *)tok; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return err_set(ERR_INVALID, "%s holds a character no token has (a space, a control character or"
				       " non-ASCII): expected the token alone", from);
	return 0;
}

/* The token on the first line of PATH into OUT (TOKEN_MAX bytes); the file must be private, as ssh wants keys. */
static int read_token_file(const char *path, char *out)
{
	char from[PATH_MAX + 32], buf[TOKEN_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd, r;

	snprintf(from, sizeof(from), "token file '%s'", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set_errno(ERR_INVALID, errno, "cannot open %s", from);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(ERR_INVALID, "%s is not a regular file", from);
	}
	if (st.st_mode & 077) {
		close(fd);
		return err_set(ERR_INVALID, "%s can be read by others (mode %04o): a token is a password; run 'chmod 600 %s'",
			       from, (unsigned)(st.st_mode & 07777), path);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return err_set_errno(ERR_IO, errno, "cannot read %s", from);
	buf[n] = '\0';
	len = strcspn(buf, "\n");
	buf[len] = '\0';
	while (len && (buf[len - 1] == '\r' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		buf[--len] = '\0';
	if (len > TOKEN_MAX - 1) {
		explicit_bzero(buf, sizeof(buf));
		return err_set(ERR_INVALID, "%s: its first line is longer than a token (%d bytes)", from, TOKEN_MAX - 1);
	}
	if ((r = token_check(buf, from)) == 0)
		memcpy(out, buf, len + 1);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

/* The token into OUT (TOKEN_MAX bytes; "" when none is given): --token-file, CHIMERA_TOKEN, CHIMERA_TOKEN_FILE. */
static int load_token(const struct cli *cli, char *out)
{
	const char *env = getenv("CHIMERA_TOKEN"), *file = getenv("CHIMERA_TOKEN_FILE");
	int r;

	out[0] = '\0';
	if (cli->token_file)
		return read_token_file(cli->token_file, out);
	if (env && env[0]) {
		if (strlen(env) >= TOKEN_MAX)
			return err_set(ERR_INVALID, "CHIMERA_TOKEN is longer than a token (%d bytes)", TOKEN_MAX - 1);
		if ((r = token_check(env, "CHIMERA_TOKEN")) < 0)
			return r;
		memcpy(out, env, strlen(env) + 1);
		return 0;
	}
	if (file && file[0])
		return read_token_file(file, out);
	return 0;
}

/* What an answer that is not 2xx says: {"error": {"message"}}, else the start of its body. */
static void answer_message(const json_t *doc, const struct http_response *res, char *out, size_t len)
{
	const char *m = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
	size_t n;

	if (m) {
		snprintf(out, len, "%s", m);
		return;
	}
	n = res->body ? strcspn(res->body, "\r\n") : 0;
	if (n > 200)
		n = 200;
	if (n)
		err_quote(out, len, res->body, n);
	else
		snprintf(out, len, "(no message)");
}

/* RES (an exchange with URL, no status) as the command's error. */
static enum cmd_status transport_error(struct cli *cli, const char *base, const struct http_response *res,
				       long timeout_ms)
{
	switch (res->error) {
	case HTTP_CONNECT:
		return cli_fail(cli, CMD_ERROR, "cannot connect to the server at %s: %s", base,
				res->sys_errno ? strerror(res->sys_errno) : res->message);
	case HTTP_TIMEOUT:
		return cli_fail(cli, CMD_ERROR, "the server at %s did not answer within %ld s", base, timeout_ms / 1000);
	case HTTP_BAD_URL:
		return cli_fail(cli, CMD_USAGE, "--server '%s': %s", base, res->message);
	default:
		return cli_fail(cli, CMD_ERROR, "the exchange with the server at %s failed: %s", base, res->message);
	}
}

/* The answer RES into *DOC (2xx) or the error printed. */
static enum cmd_status take_answer(struct cli *cli, const char *base, const struct http_response *res, bool token,
				   enum cmd_status notfound, json_t **doc)
{
	json_t *d = res->body_kept ? json_loadb(res->body, res->body_kept, 0, NULL) : NULL;
	char msg[1200];
	enum cmd_status st;

	if (res->body_len > res->body_kept) {
		json_decref(d);
		return cli_fail(cli, CMD_ERROR, "the server's answer is larger than %u MiB", REMOTE_BODY_MAX >> 20);
	}
	if (res->status >= 200 && res->status < 300) {
		if (json_is_object(d)) {
			*doc = d;
			return CMD_OK;
		}
		json_decref(d);
		return cli_fail(cli, CMD_ERROR, "the server at %s answered %ld with no JSON object: is it chimera serve?",
				base, res->status);
	}
	answer_message(d, res, msg, sizeof(msg));
	json_decref(d);
	st = res->status == 400 ? CMD_USAGE : res->status == 404 ? notfound : CMD_ERROR;
	return cli_fail(cli, st, "the server answered %ld: %s%s", res->status, msg,
			res->status == 401 && !token ? " (no token was given: --token-file FILE, CHIMERA_TOKEN or"
						      " CHIMERA_TOKEN_FILE)"
						    : "");
}

/* An event stream's reader for exchange: its Last-Event-ID and where its body goes. */
struct stream_to {
	const char *last_event_id;
	int (*fn)(const char *data, size_t len, void *arg);
	void *arg;
};

/* One request: METHOD PATH (BODY, JSON text, may be NULL); with TO, an event stream read into TO->fn. */
static enum cmd_status exchange_to(struct cli *cli, const char *method, const char *path, const char *body,
				   long timeout_ms, enum cmd_status notfound, const struct stream_to *to, json_t **doc)
{
	char base[URL_MAX], token[TOKEN_MAX], auth[TOKEN_MAX + 32], last[64];
	const char *headers[5];
	struct buf url = BUF_INIT(URL_MAX * 4);
	struct http_response res;
	struct http *h = NULL;
	enum cmd_status st;
	int n = 0, r;

	*doc = NULL;
	if (base_url(cli->server, base) < 0)
		return cli_fail(cli, CMD_USAGE, "%s", err_msg());
	if (load_token(cli, token) < 0)
		return cli_fail(cli, CMD_USAGE, "%s", err_msg());
	if (buf_printf(&url, "%s%s", base, path) < 0 || buf_addc(&url, '\0') < 0) {
		buf_release(&url);
		return cli_fail(cli, CMD_USAGE, "the request's URL is too long");
	}
	headers[n++] = to ? "Accept: text/event-stream" : "Accept: application/json";
	if (to && to->last_event_id) {
		snprintf(last, sizeof(last), "Last-Event-ID: %s", to->last_event_id);
		headers[n++] = last;
	}
	if (token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		headers[n++] = auth;
	}
	if (body)
		headers[n++] = "Content-Type: application/json";
	headers[n] = NULL;
	http_response_init(&res);
	if ((r = world_open_http(&cli->world, &h)) == 0)
		r = h->ops->request(h, &(struct http_request){ .method = method, .url = url.data, .headers = headers,
							       .body = body, .body_len = body ? strlen(body) : 0,
							       .timeout_ms = timeout_ms, .keep = REMOTE_BODY_MAX,
							       .stream = to ? to->fn : NULL, .stream_arg = to ? to->arg : NULL },
				    &res);
	http_close(h);
	explicit_bzero(auth, sizeof(auth));
	buf_release(&url);
	if (r < 0)
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
	else if (res.error != HTTP_ANSWERED)
		st = transport_error(cli, base, &res, timeout_ms);
	else if (to && res.status >= 200 && res.status < 300)
		st = CMD_OK;	/* the stream ended: its body went to TO */
	else
		st = take_answer(cli, base, &res, token[0] != '\0', notfound, doc);
	explicit_bzero(token, sizeof(token));
	http_response_release(&res);
	return st;
}

static enum cmd_status exchange(struct cli *cli, const char *method, const char *path, const char *body,
				long timeout_ms, enum cmd_status notfound, json_t **doc)
{
	return exchange_to(cli, method, path, body, timeout_ms, notfound, NULL, doc);
}

enum cmd_status remote_get(struct cli *cli, const char *path_query, enum cmd_status notfound, long timeout_ms,
			   json_t **doc)
{
	return exchange(cli, "GET", path_query, NULL, timeout_ms, notfound, doc);
}

enum cmd_status remote_stream(struct cli *cli, const char *path_query, const char *last_event_id,
			      int (*fn)(const char *data, size_t len, void *arg), void *arg)
{
	struct stream_to to = { last_event_id, fn, arg };
	json_t *doc = NULL;
	enum cmd_status st = exchange_to(cli, "GET", path_query, NULL, 0, CMD_ERROR, &to, &doc);

	json_decref(doc);
	return st;
}

/* --- jobs --- */

/* What the progress display was told of each node: the strings it keeps pointers to. */
struct job_view {
	struct progress *prog;
	size_t n;
	char (*names)[TARGET_FORMAT_MAX];
	const char **steps;	/* interned */
	bool *done;
	char *interned[64];	/* the step names seen, each once */
	size_t ninterned;
};

static const char *intern(struct job_view *v, const char *s)
{
	size_t i;

	for (i = 0; i < v->ninterned; i++)
		if (strcmp(v->interned[i], s) == 0)
			return v->interned[i];
	if (v->ninterned == sizeof(v->interned) / sizeof(v->interned[0]) || !(v->interned[v->ninterned] = strdup(s)))
		return "working";
	return v->interned[v->ninterned++];
}

/* The job's nodes (JOB's "nodes") onto the progress display, started at the first poll that lists them. */
static void job_view_update(struct job_view *v, enum progress_mode mode, const json_t *job)
{
	const json_t *nodes = json_object_get(job, "nodes"), *o;
	size_t i;

	if (mode == PROGRESS_OFF || !json_array_size(nodes))
		return;
	if (!v->prog) {
		v->n = json_array_size(nodes);
		v->names = calloc(v->n, sizeof(*v->names));
		v->steps = calloc(v->n, sizeof(*v->steps));
		v->done = calloc(v->n, sizeof(*v->done));
		if (!v->names || !v->steps || !v->done)
			return;
		json_array_foreach(nodes, i, o)
			snprintf(v->names[i], sizeof(v->names[i]), "%s", json_string_value(json_object_get(o, "node")) ?: "?");
		v->prog = progress_start(mode, v->n);
	}
	json_array_foreach(nodes, i, o) {
		const char *step = json_string_value(json_object_get(o, "step"));
		bool ok = json_is_true(json_object_get(o, "ok"));

		if (i >= v->n || v->done[i] || !step || !step[0])
			continue;
		if (json_is_true(json_object_get(o, "done"))) {
			v->done[i] = true;
			progress_done(v->prog, i, v->names[i], ok, ok ? "done" : "FAILED");
		} else if (!v->steps[i] || strcmp(v->steps[i], step) != 0) {
			v->steps[i] = intern(v, step);
			progress_step(v->prog, i, v->names[i], v->steps[i], NULL);
		}
	}
}

static void job_view_end(struct job_view *v)
{
	size_t i;

	progress_stop(v->prog);
	for (i = 0; i < v->ninterned; i++)
		free(v->interned[i]);
	free(v->names);
	free(v->steps);
	free(v->done);
}

enum cmd_status remote_job(struct cli *cli, const char *path, json_t *body, json_t **job)
{
	enum progress_mode mode = progress_mode_for(cli->json, cli->quiet);
	struct job_view view = { 0 };
	char *text = json_dumps(body, JSON_COMPACT), loc[128];
	const char *l, *state;
	json_t *acc = NULL, *doc = NULL;
	enum cmd_status st;

	*job = NULL;
	json_decref(body);
	if (!text)
		return cli_fail(cli, CMD_ERROR, "out of memory");
	st = exchange(cli, "POST", path, text, REMOTE_TIMEOUT_MS, CMD_ERROR, &acc);
	free(text);
	if (st != CMD_OK)
		return st;
	l = json_string_value(json_object_get(acc, "location"));
	if (!l || strncmp(l, API "/jobs/", strlen(API "/jobs/")) != 0 || strlen(l) >= sizeof(loc)) {
		json_decref(acc);
		return cli_fail(cli, CMD_ERROR, "the server accepted the work without a job to follow (no location)");
	}
	snprintf(loc, sizeof(loc), "%s", l);
	json_decref(acc);
	if (mode != PROGRESS_OFF)
		fprintf(stderr, "job %s on %s\n", loc + strlen(API "/jobs/"), cli->server);
	for (;;) {
		if ((st = exchange(cli, "GET", loc, NULL, REMOTE_TIMEOUT_MS, CMD_ERROR, &doc)) != CMD_OK)
			break;
		job_view_update(&view, mode, doc);
		state = json_string_value(json_object_get(doc, "state"));
		if (!state || (strcmp(state, "queued") != 0 && strcmp(state, "running") != 0))
			break;
		json_decref(doc);
		doc = NULL;
		clock_sleep_ms(REMOTE_POLL_MS);
	}
	job_view_end(&view);
	*job = doc;
	return st;
}

enum cmd_status remote_job_error(struct cli *cli, const json_t *job)
{
	const char *error = json_string_value(json_object_get(job, "error"));
	const char *state = json_string_value(json_object_get(job, "state"));

	if (error && error[0])
		return cli_fail(cli, CMD_ERROR, "%s", error);
	return cli_fail(cli, CMD_ERROR, "the job ended %s without a report", state ? state : "(no state)");
}

enum cmd_status remote_job_status(struct cli *cli, const json_t *job, enum cmd_status st)
{
	static const char ledger[] = "the ledger did not take every event";
	const char *error = json_string_value(json_object_get(job, "error"));

	if (error && strncmp(error, ledger, sizeof(ledger) - 1) == 0)
		return cli_fail(cli, CMD_ERROR, "%s", error);
	return st;
}

void remote_print_json(const json_t *doc)
{
	cli_print_json_text(json_render(json_incref((json_t *)doc)));
}

int remote_path_segment(struct buf *b, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	int r = 0;

	for (p = (const unsigned char *)value; *p && r == 0; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			r = buf_addc(b, (char)*p);
		else if ((r = buf_addc(b, '%')) == 0 && (r = buf_addc(b, hex[*p >> 4])) == 0)
			r = buf_addc(b, hex[*p & 15]);
	}
	return r;
}

int remote_query(struct buf *q, const char *name, const char *value)
{
	int r;

	if ((r = buf_addc(q, q->len && memchr(q->data, '?', q->len) ? '&' : '?')) < 0 || (r = buf_adds(q, name)) < 0 ||
	    (r = buf_addc(q, '=')) < 0)
		return r;
	return remote_path_segment(q, value);
}

/* --- fleet options into a request --- */

/* A targets file's line onto the spec ARG, after a comma. */
static int spec_line(char *line, int lineno, void *arg)
{
	struct buf *spec = arg;
	int r;

	(void)lineno;
	if (spec->len && (r = buf_addc(spec, ',')) < 0)
		return r;
	return buf_adds(spec, line);
}

/*
 * F's targets as one spec: -t, then each line of --targets-file (read here: the file is this
 * machine's, read as util/text_list_lines reads a list), joined by commas into SPEC.
 */
static enum cmd_status fleet_spec(struct cli *cli, const struct cli_fleet *f, struct buf *spec)
{
	struct buf b = BUF_INIT(64 << 20);
	int r = 0;

	if (f->spec && (r = buf_adds(spec, f->spec)) < 0)
		return cli_fail(cli, CMD_ERROR, "out of memory");
	if (!f->file)
		return CMD_OK;
	if (fs_read_file(f->file, &b) < 0) {
		buf_release(&b);
		return cli_usage(cli, "--targets-file: %s", err_msg());
	}
	if (b.data)
		r = text_list_lines(b.data, spec_line, spec);
	buf_release(&b);
	return r < 0 ? cli_fail(cli, CMD_ERROR, "--targets-file: %s", err_msg()) : CMD_OK;
}

enum cmd_status remote_fleet(struct cli *cli, const struct cli_fleet *f, json_t *body, struct buf *query)
{
	const struct world_reach *w = &f->reach;
	struct buf spec = BUF_INIT(512 * 1024);	/* half of a request body's limit */
	struct world_reach d;
	enum cmd_status st;

	world_reach_init(&d);
	if (!body && (w->set_profile || w->set_parallel || w->set_connect_timeout || w->timeout != d.timeout ||
		      w->accept_new || w->sudo || w->lock_wait != d.lock_wait || w->stall_timeout != d.stall_timeout ||
		      w->activation_timeout != d.activation_timeout))
		return cli_usage(cli, "--profile, --parallel, --connect-timeout, --timeout, --stall-timeout, --sudo,"
				 " --lock-wait or --accept-new-host-keys is not sent to a server by this command:"
				 " the server's chimera.toml and defaults apply");
	if ((st = fleet_spec(cli, f, &spec)) != CMD_OK)
		goto out;
	if (!spec.len) {
		st = cli_usage(cli, "no targets: give -t TARGETS or --targets-file FILE (the server's machines: NAME,"
			       " @TAG, a glob, all)");
		goto out;
	}
	if (buf_addc(&spec, '\0') < 0) {
		st = cli_usage(cli, "the targets are too long for a request");
		goto out;
	}
	if (!body) {
		if (remote_query(query, "targets", spec.data) < 0 || (f->exclude && remote_query(query, "exclude", f->exclude) < 0))
			st = cli_usage(cli, "the targets are too long for a request");
		goto out;
	}
	json_object_set_new(body, "targets", json_string(spec.data));
	if (f->exclude)
		json_object_set_new(body, "exclude", json_string(f->exclude));
	if (w->set_profile)
		json_object_set_new(body, "profile", json_string(w->profile));
	if (w->set_parallel)
		json_object_set_new(body, "parallel", json_integer(w->parallel));
	if (w->set_connect_timeout)
		json_object_set_new(body, "connect_timeout", json_integer(w->connect_timeout));
	if (w->timeout != d.timeout)
		json_object_set_new(body, "timeout", json_integer(w->timeout));
	if (w->stall_timeout != d.stall_timeout)
		json_object_set_new(body, "stall_timeout", json_integer(w->stall_timeout));
	if (w->activation_timeout != d.activation_timeout)
		json_object_set_new(body, "activation_timeout", json_integer(w->activation_timeout));
	if (w->lock_wait != d.lock_wait)
		json_object_set_new(body, "lock_wait", json_integer(w->lock_wait));
	if (w->activate)
		json_object_set_new(body, "activate", json_string(w->activate));
	if (w->goal)
		json_object_set_new(body, "goal", json_string(w->goal));
	if (w->sudo)
		json_object_set_new(body, "sudo", json_true());
	if (w->accept_new)
		json_object_set_new(body, "accept_new_host_keys", json_true());
out:
	buf_release(&spec);
	return st;
}

int remote_source_check(const struct cli_source *s)
{
	struct cli_source t = *s;

	/* The rest (one source, -A's attribute path, -A and --arg only with -c) is checked here. */
	if (t.src.file)
		t.src.file = "/";
	return cli_source_check(&t);
}

enum cmd_status remote_source(struct cli *cli, const struct cli_source *cs, json_t *body)
{
	json_t *args = NULL, *argstrs = NULL;
	size_t i;

	if (cs->expect)
		json_object_set_new(body, "expect", json_string(cs->expect));
	if (cs->src.flake)
		json_object_set_new(body, "flake", json_string(cs->src.flake));
	if (!cs->src.file)
		return CMD_OK;
	if (cs->src.file[0] != '/')
		return cli_usage(cli, "-c '%s': with --server the file is the server's: give its absolute path", cs->src.file);
	json_object_set_new(body, "file", json_string(cs->src.file));
	if (cs->src.attr)
		json_object_set_new(body, "attr", json_string(cs->src.attr));
	for (i = 0; i < cs->src.nargs; i++) {
		const struct nix_arg *a = &cs->src.args[i];
		json_t **to = a->is_str ? &argstrs : &args;

		if (!*to)
			*to = json_object();
		json_object_set_new(*to, a->name, json_string(a->value));
	}
	if (args)
		json_object_set_new(body, "args", args);
	if (argstrs)
		json_object_set_new(body, "argstrs", argstrs);
	return CMD_OK;
}
