/* QEMU's Machine Protocol: the reader, the writers, the answers and the session (qmp.h). */
#include "formats/qmp.h"
#include "util/err.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

void qmp_reader_init(struct qmp_reader *r, size_t line_max)
{
	memset(r, 0, sizeof(*r));
	r->line_max = line_max ? line_max : QMP_LINE_MAX;
	buf_init(&r->line, 0);
}

void qmp_reader_release(struct qmp_reader *r)
{
	buf_release(&r->line);
	memset(r, 0, sizeof(*r));
}

/* True when KEY of OBJ is an integer; its value into *OUT. */
static bool get_int(const json_t *obj, const char *key, long long *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

static int classify_event(json_t *obj, struct qmp_msg *msg)
{
	json_t *name = json_object_get(obj, "event"), *ts = json_object_get(obj, "timestamp");

	if (!json_is_string(name) || !json_string_length(name))
		return err_set(ERR_INVALID, "an event whose name is not a string");
	if (ts && (!json_is_object(ts) || !get_int(ts, "seconds", &msg->ts_sec) ||
		   !get_int(ts, "microseconds", &msg->ts_usec)))
		return err_set(ERR_INVALID, "an event whose timestamp is not {\"seconds\": N, \"microseconds\": N}");
	msg->kind = QMP_EVENT;
	msg->event = json_string_value(name);
	msg->value = json_object_get(obj, "data");
	return 0;
}

int qmp_classify(json_t *obj, struct qmp_msg *msg)
{
	json_t *v, *id;

	memset(msg, 0, sizeof(*msg));
	msg->json = obj;
	msg->ts_sec = msg->ts_usec = -1;
	if (!json_is_object(obj))
		return err_set(ERR_INVALID, "not a JSON object");
	id = json_object_get(obj, "id");
	msg->id = json_is_string(id) ? json_string_value(id) : NULL;
	if ((v = json_object_get(obj, "QMP"))) {
		if (!json_is_object(v) || !json_is_object(json_object_get(v, "version")) ||
		    !json_is_array(json_object_get(v, "capabilities")))
			return err_set(ERR_INVALID, "a greeting without a version object and a capabilities array");
		msg->kind = QMP_GREETING;
		msg->value = v;
	} else if ((v = json_object_get(obj, "return"))) {
		msg->kind = QMP_RETURN;
		msg->value = v;
	} else if ((v = json_object_get(obj, "error"))) {
		if (!json_is_object(v) || !json_is_string(json_object_get(v, "class")) ||
		    !json_is_string(json_object_get(v, "desc")))
			return err_set(ERR_INVALID, "an error without a string class and desc");
		msg->kind = QMP_ERROR;
		msg->err_class = json_string_value(json_object_get(v, "class"));
		msg->err_desc = json_string_value(json_object_get(v, "desc"));
	} else if (json_object_get(obj, "event")) {
		return classify_event(obj, msg);
	} else {
		return err_set(ERR_INVALID, "expected a greeting (QMP), an answer (return or error) or an event");
	}
	return 0;
}

/* The reader fails for good with CODE and the message L's line and WHY make. */
static int fail_line(struct qmp_reader *r, int code, const char *why)
{
	struct err_line l = { "QMP", 0, r->line_num, r->line.data, r->line.len };
	char copy[256];

	snprintf(copy, sizeof(copy), "%s", why);
	r->failed = code;
	return err_bad_line(&l, code, copy);
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* The whole line in r->line (without its "\n"). */
static int take_line(struct qmp_reader *r, qmp_msg_fn fn, void *arg)
{
	struct qmp_msg msg;
	json_error_t jerr;
	json_t *obj;
	int rc;

	if (r->line.len && r->line.data[r->line.len - 1] == '\r')
		r->line.data[--r->line.len] = '\0';
	if (blank(r->line.data, r->line.len))
		return 0;
	obj = json_loadb(r->line.data, r->line.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		char why[256], said[160];

		err_quote(said, sizeof(said), jerr.text, strlen(jerr.text));
		snprintf(why, sizeof(why), "not JSON (%s); expected one JSON object per line", said);
		return fail_line(r, ERR_INVALID, why);
	}
	if (qmp_classify(obj, &msg) < 0) {
		rc = fail_line(r, ERR_INVALID, err_msg());
		json_decref(obj);
		return rc;
	}
	rc = fn(&msg, arg);
	json_decref(obj);
	return rc;
}

int qmp_feed(struct qmp_reader *r, const char *data, size_t len, qmp_msg_fn fn, void *arg)
{
	size_t i = 0;

	if (r->failed)
		return err_set(r->failed, "the QMP stream failed at line %u", r->line_num);
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
		int rc;

		if (r->line.len + n > r->line_max) {
			r->failed = ERR_LIMIT;
			return err_set(ERR_LIMIT, "QMP line %u is longer than %zu bytes", r->line_num + 1, r->line_max);
		}
		if (buf_add(&r->line, data + i, n) < 0) {
			r->failed = ERR_NOMEM;
			return err_set(ERR_NOMEM, "out of memory");
		}
		i += n;
		if (!nl)
			break;
		i++;
		r->line_num++;
		rc = take_line(r, fn, arg);
		buf_reset(&r->line);
		if (rc)
			return rc;
	}
	return 0;
}

/* True when S is 1 to MAX bytes, each printable ASCII and, when WORD, a name character. */
static bool good_token(const char *s, size_t max, bool word)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e)
			return false;
		if (word && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

int qmp_command(struct buf *out, const char *cmd, json_t *args, const char *id)
{
	json_t *obj;
	char *text;
	int rc = 0;

	if (!good_token(cmd, 64, true))
		return err_bad_input("bad QMP command", cmd ? cmd : "", cmd ? strlen(cmd) : 0, NULL,
				     "expected 1 to 64 letters, digits, '_', '-' or '.'");
	if (id && !good_token(id, QMP_ID_MAX, false))
		return err_bad_input("bad QMP id", id, strlen(id), NULL,
				     "expected 1 to 64 printable ASCII characters, no space");
	if (args && !json_is_object(args))
		return err_set(ERR_INVALID, "bad arguments to QMP command '%s': expected a JSON object", cmd);
	obj = json_pack("{ss}", "execute", cmd);
	if (!obj || (args && json_object_set(obj, "arguments", args) < 0) ||
	    (id && json_object_set_new(obj, "id", json_string(id)) < 0) ||
	    !(text = json_dumps(obj, JSON_COMPACT))) {
		json_decref(obj);
		return err_set(ERR_NOMEM, "out of memory");
	}
	if (buf_adds(out, text) < 0 || buf_addc(out, '\n') < 0)
		rc = err_set(ERR_NOMEM, "out of memory writing QMP command '%s'", cmd);
	free(text);
	json_decref(obj);
	return rc;
}

int qmp_capabilities(struct buf *out, const char *id)
{
	return qmp_command(out, "qmp_capabilities", NULL, id);
}

int qmp_query_status(struct buf *out, const char *id)
{
	return qmp_command(out, "query-status", NULL, id);
}

int qmp_query_version(struct buf *out, const char *id)
{
	return qmp_command(out, "query-version", NULL, id);
}

int qmp_system_powerdown(struct buf *out, const char *id)
{
	return qmp_command(out, "system_powerdown", NULL, id);
}

int qmp_quit(struct buf *out, const char *id)
{
	return qmp_command(out, "quit", NULL, id);
}

int qmp_hmp(struct buf *out, const char *command_line, const char *id)
{
	json_t *args;
	int rc;

	if (!command_line || !*command_line || strchr(command_line, '\n') || strchr(command_line, '\r'))
		return err_bad_input("bad monitor command", command_line ? command_line : "",
				     command_line ? strlen(command_line) : 0, NULL, "expected one line of text");
	if (!(args = json_pack("{ss}", "command-line", command_line)))
		return err_set(ERR_NOMEM, "out of memory");
	rc = qmp_command(out, "human-monitor-command", args, id);
	json_decref(args);
	return rc;
}

int qmp_snapshot(struct buf *out, const char *verb, const char *name, const char *id)
{
	char line[96];

	if (!verb || (strcmp(verb, "savevm") && strcmp(verb, "loadvm") && strcmp(verb, "delvm")))
		return err_bad_input("bad snapshot verb", verb ? verb : "", verb ? strlen(verb) : 0, NULL,
				     "expected savevm, loadvm or delvm");
	if (!good_token(name, 64, true) || name[0] == '-')
		return err_bad_input("bad snapshot name", name ? name : "", name ? strlen(name) : 0, NULL,
				     "expected 1 to 64 letters, digits, '_', '-' or '.', not starting with '-'");
	snprintf(line, sizeof(line), "%s %s", verb, name);
	return qmp_hmp(out, line, id);
}

int qmp_answer(json_t *answer, const char *cmd, json_t **ret)
{
	struct qmp_msg msg;
	char cls[64], desc[512];

	if (qmp_classify(answer, &msg) < 0 || (msg.kind != QMP_RETURN && msg.kind != QMP_ERROR))
		return err_set(ERR_INVALID, "bad answer to QMP command '%s': expected {\"return\": ...} or {\"error\": ...}", cmd);
	if (msg.kind == QMP_ERROR) {
		err_quote(cls, sizeof(cls), msg.err_class, strlen(msg.err_class));
		err_quote(desc, sizeof(desc), msg.err_desc, strlen(msg.err_desc));
		return err_set(ERR_INVALID, "QEMU refused %s: %s: %s", cmd, cls, desc);
	}
	*ret = msg.value;
	return 0;
}

int qmp_parse_status(const json_t *ret, struct qmp_status *st)
{
	const json_t *running = json_object_get(ret, "running");
	const char *status = json_string_value(json_object_get(ret, "status"));

	memset(st, 0, sizeof(*st));
	if (!json_is_boolean(running) || !good_token(status, sizeof(st->status) - 1, true))
		return err_set(ERR_INVALID, "bad query-status answer: expected {\"running\": true or false, "
			       "\"status\": a word of at most %zu characters}", sizeof(st->status) - 1);
	st->running = json_is_true(running);
	snprintf(st->status, sizeof(st->status), "%s", status);
	return 0;
}

int qmp_parse_version(const json_t *ver, int *major, int *minor, int *micro)
{
	const json_t *q = json_object_get(ver, "qemu");
	long long v[3];

	if (!json_is_object(q) || !get_int(q, "major", &v[0]) || !get_int(q, "minor", &v[1]) ||
	    !get_int(q, "micro", &v[2]) || v[0] < 0 || v[0] > INT_MAX || v[1] < 0 || v[1] > INT_MAX ||
	    v[2] < 0 || v[2] > INT_MAX)
		return err_set(ERR_INVALID, "bad QEMU version: expected {\"qemu\": {\"major\": N, \"minor\": N, "
			       "\"micro\": N}} with whole numbers from 0");
	*major = (int)v[0];
	*minor = (int)v[1];
	*micro = (int)v[2];
	return 0;
}

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int qmp_parse_hmp(const json_t *ret, struct buf *text)
{
	const char *s = json_string_value(ret);
	size_t len = json_string_length(ret);
	char quoted[512];

	if (!s)
		return err_set(ERR_INVALID, "bad human-monitor-command answer: expected a string");
	while (len && space(*s)) {
		s++;
		len--;
	}
	while (len && space(s[len - 1]))
		len--;
	if (!len)
		return 0;
	if (text && buf_add(text, s, len) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return err_set(ERR_INVALID, "the monitor answered '%s'", err_quote(quoted, sizeof(quoted), s, len));
}

int qmp_session_init(struct qmp_session *s, const char *prefix, size_t line_max)
{
	memset(s, 0, sizeof(*s));
	if (!good_token(prefix, sizeof(s->prefix) - 1, true))
		return err_bad_input("bad QMP id prefix", prefix ? prefix : "", prefix ? strlen(prefix) : 0, NULL,
				     "expected 1 to 23 letters, digits, '_', '-' or '.'");
	qmp_reader_init(&s->reader, line_max);
	snprintf(s->prefix, sizeof(s->prefix), "%s", prefix);
	s->pending = json_object();
	s->events = json_array();
	if (!s->pending || !s->events) {
		qmp_session_release(s);
		return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

void qmp_session_release(struct qmp_session *s)
{
	qmp_reader_release(&s->reader);
	json_decref(s->greeting);
	json_decref(s->pending);
	json_decref(s->events);
	memset(s, 0, sizeof(*s));
}

static void next_id(struct qmp_session *s, char id[QMP_ID_MAX + 1])
{
	snprintf(id, QMP_ID_MAX + 1, "%s-%u", s->prefix, ++s->next_id);
}

/* An answer with ID no command waits for. */
static int stray(const char *id)
{
	char q[96];

	if (!id)
		return err_set(ERR_INVALID, "a QMP answer without an id: every command sent has one");
	return err_set(ERR_INVALID, "a QMP answer with id '%s' to no command waiting",
		       err_quote(q, sizeof(q), id, strlen(id)));
}

static int on_answer(struct qmp_session *s, const struct qmp_msg *m)
{
	json_t *waiting;

	if (s->state == QMP_WAIT_GREETING)
		return err_set(ERR_INVALID, "a QMP answer before the greeting");
	if (s->state == QMP_WAIT_CAPABILITIES) {
		if (!m->id || strcmp(m->id, s->caps_id))
			return stray(m->id);
		if (m->kind == QMP_ERROR)
			return qmp_answer(m->json, "qmp_capabilities", &waiting);
		s->state = QMP_READY;
		return 0;
	}
	waiting = m->id ? json_object_get(s->pending, m->id) : NULL;
	if (!json_is_null(waiting))
		return stray(m->id);
	if (json_object_set(s->pending, m->id, m->json) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int on_msg(const struct qmp_msg *m, void *arg)
{
	struct qmp_session *s = arg;

	switch (m->kind) {
	case QMP_GREETING:
		if (s->state != QMP_WAIT_GREETING)
			return err_set(ERR_INVALID, "a second QMP greeting");
		if (!s->out)
			return err_set(ERR_INVALID, "a QMP greeting with nowhere to write qmp_capabilities");
		s->greeting = json_incref(m->value);
		next_id(s, s->caps_id);
		s->state = QMP_WAIT_CAPABILITIES;
		return qmp_capabilities(s->out, s->caps_id);
	case QMP_EVENT:
		if (json_array_size(s->events) >= QMP_EVENTS_MAX)
			return err_set(ERR_LIMIT, "more than %d QMP events not taken", QMP_EVENTS_MAX);
		return json_array_append(s->events, m->json) < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
	default:
		return on_answer(s, m);
	}
}

int qmp_session_feed(struct qmp_session *s, const char *data, size_t len, struct buf *out)
{
	int rc;

	s->out = out;
	rc = qmp_feed(&s->reader, data, len, on_msg, s);
	s->out = NULL;
	if (rc) {
		s->state = QMP_FAILED;
		if (!s->reader.failed)
			s->reader.failed = rc;
	}
	return rc;
}

int qmp_session_send(struct qmp_session *s, struct buf *out, const char *cmd, json_t *args,
		     char id[QMP_ID_MAX + 1])
{
	int rc;

	if (s->state != QMP_READY)
		return err_set(ERR_INVALID, "QMP command '%s' before the session is ready: the greeting and "
			       "qmp_capabilities come first", cmd ? cmd : "");
	if (json_object_size(s->pending) >= QMP_PENDING_MAX)
		return err_set(ERR_LIMIT, "more than %d QMP commands waiting", QMP_PENDING_MAX);
	next_id(s, id);
	if ((rc = qmp_command(out, cmd, args, id)) < 0)
		return rc;
	if (json_object_set_new(s->pending, id, json_null()) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int qmp_session_take(struct qmp_session *s, const char *id, json_t **answer)
{
	json_t *v = id ? json_object_get(s->pending, id) : NULL;
	char q[96];

	if (!v)
		return err_set(ERR_NOTFOUND, "no QMP command with id '%s' waiting",
			       err_quote(q, sizeof(q), id ? id : "", id ? strlen(id) : 0));
	if (json_is_null(v))
		return 1;
	*answer = json_incref(v);
	json_object_del(s->pending, id);
	return 0;
}

json_t *qmp_session_event(struct qmp_session *s)
{
	json_t *e;

	if (!json_array_size(s->events))
		return NULL;
	e = json_incref(json_array_get(s->events, 0));
	json_array_remove(s->events, 0);
	return e;
}
