/* Nix's structured log (`--log-format internal-json`) read line by line into build events. */
#include "formats/nixlog.h"
#include "util/buf.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define ACT_BUILDS 104		/* the whole build */
#define ACT_BUILD 105		/* one derivation */
#define RES_BUILD_LOG_LINE 101
#define RES_SET_PHASE 104
#define RES_PROGRESS 105
#define RES_POST_BUILD_LOG_LINE 107
#define LVL_INFO 3		/* what nix-build prints without -v */

struct build {
	uint64_t id;
	char drv[STOREPATH_MAX];
	char name[NIXLOG_NAME_MAX];
	int64_t t0;
	char *tail[NIXLOG_TAIL];	/* a ring: NTAIL lines, the oldest at NEXT once full */
	size_t ntail, next;
	bool named;			/* an error message named its .drv: it failed */
};

struct nixlog {
	nixlog_fn fn;
	void *arg;
	struct buf line;		/* the input line being read */
	bool overlong;			/* past NIXLOG_INPUT_MAX: drop the rest of the line */
	bool structured;
	bool have_builds;
	uint64_t builds_id;		/* the ACT_BUILDS activity */
	size_t done, total, running, failed;
	size_t done_seen, failed_seen;	/* how many derivation stops each explained */
	struct build *b[NIXLOG_BUILDS_MAX];
	size_t nb;
	struct buf text;		/* scratch for plain */
	struct buf text2;		/* scratch for text */
};

struct nixlog *nixlog_new(nixlog_fn fn, void *arg)
{
	struct nixlog *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->fn = fn;
	p->arg = arg;
	buf_init(&p->line, 0);
	buf_init(&p->text, 0);
	buf_init(&p->text2, 0);
	return p;
}

static void build_free(struct build *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < NIXLOG_TAIL; i++)
		free(b->tail[i]);
	free(b);
}

void nixlog_free(struct nixlog *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nb; i++)
		build_free(p->b[i]);
	buf_release(&p->line);
	buf_release(&p->text);
	buf_release(&p->text2);
	free(p);
}

bool nixlog_structured(const struct nixlog *p)
{
	return p->structured;
}

/* Bytes of the UTF-8 sequence starting with C (1 for a stray byte). */
static size_t utf8_len(unsigned char c)
{
	return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* True when the N-byte sequence at S (LEN bytes left) is a lead byte and its continuation bytes. */
static bool utf8_ok(const char *s, size_t len, size_t n)
{
	size_t i;

	if (n > len || (n == 1 && (unsigned char)s[0] >= 0x80) || (unsigned char)s[0] >= 0xf8)
		return false;
	for (i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return false;
	return true;
}

/* Past the escape sequence at S[I] (an ESC): CSI up to its final byte, OSC up to BEL or ST. */
static size_t skip_escape(const char *s, size_t len, size_t i)
{
	if (i + 1 < len && s[i + 1] == '[') {
		for (i += 2; i < len && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e); i++)
			;
		return i < len ? i + 1 : len;
	}
	if (i + 1 < len && s[i + 1] == ']') {
		for (i += 2; i < len && s[i] != 0x07 && s[i] != 0x1b; i++)
			;
		if (i < len && s[i] == 0x1b)
			return i + 2 <= len ? i + 2 : len;
		return i < len ? i + 1 : len;
	}
	return i + 2 <= len ? i + 2 : len;
}

/*
 * LEN bytes of S into OUT (reset) without escape sequences, carriage returns or control
 * characters, at most MAX bytes, cut before a character; a byte that does not start a
 * UTF-8 character becomes '?'. MULTILINE keeps newlines and tabs; otherwise a tab or
 * newline becomes a space.
 */
static int clean(struct buf *out, const char *s, size_t len, size_t max, bool multiline)
{
	size_t i = 0;
	int r = 0;

	buf_reset(out);
	while (i < len && r == 0) {
		unsigned char c = (unsigned char)s[i];
		size_t n;

		if (c == 0x1b) {
			i = skip_escape(s, len, i);
			continue;
		}
		if (c == '\n' || c == '\t') {
			if (out->len + 1 > max)
				break;
			r = buf_addc(out, multiline ? (char)c : ' ');
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		n = utf8_len(c);
		if (out->len + (n > len - i ? 1 : n) > max)
			break;
		if (!utf8_ok(s + i, len - i, n)) {
			r = buf_addc(out, '?');	/* not UTF-8 (a line that is not Nix's JSON): one byte */
			i++;
			continue;
		}
		r = buf_add(out, s + i, n);
		i += n;
	}
	return r < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

static struct build *build_find(struct nixlog *p, uint64_t id, size_t *at)
{
	size_t i;

	for (i = 0; i < p->nb; i++)
		if (p->b[i]->id == id) {
			if (at)
				*at = i;
			return p->b[i];
		}
	return NULL;
}

/* An event of KIND about B (may be NULL), with the counts. */
static struct nixlog_event event(const struct nixlog *p, enum nixlog_kind kind, const struct build *b)
{
	return (struct nixlog_event){ .kind = kind, .level = -1, .drv = b ? b->drv : NULL, .name = b ? b->name : NULL,
				      .done = p->done, .total = p->total, .running = p->running,
				      .failed = p->failed };
}

static void emit(struct nixlog *p, const struct nixlog_event *ev)
{
	if (p->fn)
		p->fn(ev, p->arg);
}

/* A line that is not "@nix" JSON: plain text. */
static int plain_line(struct nixlog *p, const char *s, size_t len)
{
	struct nixlog_event ev = event(p, NIXLOG_TEXT, NULL);
	int r;

	if ((r = clean(&p->text, s, len, NIXLOG_TEXT_MAX, false)) < 0)
		return r;
	ev.plain = p->text.data;
	emit(p, &ev);
	return 0;
}

static int on_msg(struct nixlog *p, json_t *o)
{
	struct nixlog_event ev = event(p, NIXLOG_TEXT, NULL);
	json_t *lvl = json_object_get(o, "level");
	const char *msg = json_string_value(json_object_get(o, "msg"));
	size_t i;
	int r;

	if (!msg)
		return 0;
	if ((r = clean(&p->text, msg, json_string_length(json_object_get(o, "msg")), NIXLOG_TEXT_MAX, true)) < 0)
		return r;
	ev.plain = p->text.data;
	ev.level = json_is_integer(lvl) && json_integer_value(lvl) >= 0 && json_integer_value(lvl) <= 7
			   ? (int)json_integer_value(lvl)
			   : -1;
	/* "builder for '/nix/store/...drv' failed ...": that derivation failed, even if it stops after others. */
	if (ev.level == 0)
		for (i = 0; i < p->nb; i++)
			if (strstr(p->text.data, p->b[i]->drv))
				p->b[i]->named = true;
	emit(p, &ev);
	return 0;
}

/* The name in a .drv path: after the hash and '-', without ".drv". */
static void drv_name(const char *drv, char *name, size_t len)
{
	size_t n = strlen(drv) - STOREPATH_PREFIX_LEN - NIXHASH_LEN - 1;

	if (n >= 4 && memcmp(drv + strlen(drv) - 4, ".drv", 4) == 0)
		n -= 4;
	snprintf(name, len, "%.*s", (int)n, drv + STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1);
}

/* Start following the derivation DRV as activity ID; NULL when too many are followed. */
static struct build *build_add(struct nixlog *p, uint64_t id, const char *drv, int64_t now_ms, int *r)
{
	struct build *b;

	*r = 0;
	if (p->nb == NIXLOG_BUILDS_MAX)
		return NULL;
	if (!(b = calloc(1, sizeof(*b)))) {
		*r = err_set(ERR_NOMEM, "out of memory");
		return NULL;
	}
	b->id = id;
	b->t0 = now_ms;
	snprintf(b->drv, sizeof(b->drv), "%s", drv);
	drv_name(drv, b->name, sizeof(b->name));
	p->b[p->nb++] = b;
	return b;
}

/* The activity's text as nix-build prints it on start ("TEXT..."), into p->text; false for none. */
static int start_text(struct nixlog *p, json_t *o, bool *has)
{
	json_t *lvl = json_object_get(o, "level"), *t = json_object_get(o, "text");
	int r;

	*has = false;
	if (!json_is_string(t) || !json_string_length(t) || !json_is_integer(lvl) || json_integer_value(lvl) > LVL_INFO)
		return 0;
	if ((r = clean(&p->text, json_string_value(t), json_string_length(t), NIXLOG_TEXT_MAX, false)) < 0)
		return r;
	if (buf_adds(&p->text, "...") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	*has = true;
	return 0;
}

static int on_start(struct nixlog *p, json_t *o, uint64_t id, int64_t now_ms)
{
	json_t *type = json_object_get(o, "type");
	const char *drv = json_string_value(json_array_get(json_object_get(o, "fields"), 0));
	struct nixlog_event ev;
	struct build *b = NULL;
	bool has;
	int r;

	if (json_is_integer(type) && json_integer_value(type) == ACT_BUILDS) {
		p->have_builds = true;
		p->builds_id = id;
		return 0;
	}
	if ((r = start_text(p, o, &has)) < 0)
		return r;
	if (json_is_integer(type) && json_integer_value(type) == ACT_BUILD && drv && storepath_valid(drv, strlen(drv)) &&
	    !build_find(p, id, NULL) && !(b = build_add(p, id, drv, now_ms, &r)) && r < 0)
		return r;
	if (!b && !has)
		return 0;
	ev = event(p, b ? NIXLOG_BUILD_START : NIXLOG_TEXT, b);
	ev.plain = has ? p->text.data : NULL;
	if (!b)
		ev.level = (int)json_integer_value(json_object_get(o, "level"));
	emit(p, &ev);
	return 0;
}

static int on_stop(struct nixlog *p, uint64_t id, int64_t now_ms)
{
	const char *tail[NIXLOG_TAIL];
	struct nixlog_event ev;
	struct build *b;
	size_t at = 0, i, first, named = 0;

	if (!(b = build_find(p, id, &at)))
		return 0;
	ev = event(p, NIXLOG_BUILD_DONE, b);
	for (i = 0; i < p->nb; i++)
		named += p->b[i]->named && p->b[i] != b;
	if (b->named || (p->done <= p->done_seen && p->failed > p->failed_seen + named)) {
		/* Named by an error, or a failure counted that no other open derivation was named for. */
		ev.result = NIXLOG_FAILED;
		p->failed_seen++;
	} else if (p->done > p->done_seen) {
		ev.result = NIXLOG_BUILT;
		p->done_seen++;
	} else {
		ev.result = NIXLOG_STOPPED;
	}
	ev.ms = now_ms - b->t0;
	first = b->ntail < NIXLOG_TAIL ? 0 : b->next;
	for (i = 0; i < b->ntail; i++)
		tail[i] = b->tail[(first + i) % NIXLOG_TAIL];
	ev.tail = tail;
	ev.ntail = b->ntail;
	emit(p, &ev);
	build_free(b);
	memmove(p->b + at, p->b + at + 1, (p->nb - at - 1) * sizeof(*p->b));
	p->nb--;
	return 0;
}

/* Keep LINE as B's newest output line. */
static int tail_push(struct build *b, const char *line, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return err_set(ERR_NOMEM, "out of memory");
	memcpy(copy, line, len);
	copy[len] = 0;
	free(b->tail[b->next]);
	b->tail[b->next] = copy;
	b->next = (b->next + 1) % NIXLOG_TAIL;
	if (b->ntail < NIXLOG_TAIL)
		b->ntail++;
	return 0;
}

/* A line of a builder's output (RES_BUILD_LOG_LINE, RES_POST_BUILD_LOG_LINE). */
static int on_log_line(struct nixlog *p, struct build *b, json_t *s)
{
	struct nixlog_event ev = event(p, b ? NIXLOG_BUILD_LINE : NIXLOG_TEXT, b);
	int r;

	if ((r = clean(&p->text, json_string_value(s), json_string_length(s), NIXLOG_LINE_MAX, false)) < 0)
		return r;
	if (b && (r = tail_push(b, p->text.data, p->text.len)) < 0)
		return r;
	ev.plain = p->text.data;
	ev.text = b ? p->text.data : NULL;
	if (!b)
		ev.level = LVL_INFO;	/* what Nix prints a builder's line at */
	emit(p, &ev);
	return 0;
}

/* FIELDS[I] as a count; false when it is not a non-negative integer. */
static bool count_at(json_t *fields, size_t i, size_t *out)
{
	json_t *v = json_array_get(fields, i);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (size_t)json_integer_value(v);
	return true;
}

static int on_progress(struct nixlog *p, json_t *fields)
{
	size_t v[4];
	struct nixlog_event ev;
	size_t i;

	for (i = 0; i < 4; i++)
		if (!count_at(fields, i, &v[i]))
			return 0;
	if (v[0] == p->done && v[1] + v[3] == p->total && v[2] == p->running && v[3] == p->failed)
		return 0;
	p->done = v[0];
	p->total = v[1] + v[3];	/* Nix takes a failed derivation off "expected" */
	p->running = v[2];
	p->failed = v[3];
	/* Counts that went down (another build's numbers): stops are explained from there on. */
	if (p->done_seen > p->done)
		p->done_seen = p->done;
	if (p->failed_seen > p->failed)
		p->failed_seen = p->failed;
	ev = event(p, NIXLOG_COUNTS, NULL);
	emit(p, &ev);
	return 0;
}

static int on_result(struct nixlog *p, json_t *o, uint64_t id)
{
	json_t *type = json_object_get(o, "type"), *fields = json_object_get(o, "fields");
	json_t *first = json_array_get(fields, 0);
	struct build *b = build_find(p, id, NULL);
	json_int_t t = json_is_integer(type) ? json_integer_value(type) : -1;
	struct nixlog_event ev;
	int r;

	if ((t == RES_BUILD_LOG_LINE || t == RES_POST_BUILD_LOG_LINE) && json_is_string(first))
		return on_log_line(p, b, first);
	if (t == RES_SET_PHASE && b && json_is_string(first)) {
		if ((r = clean(&p->text2, json_string_value(first), json_string_length(first), NIXLOG_LINE_MAX,
			       false)) < 0)
			return r;
		ev = event(p, NIXLOG_BUILD_PHASE, b);
		ev.text = p->text2.data;
		emit(p, &ev);
		return 0;
	}
	if (t == RES_PROGRESS && p->have_builds && id == p->builds_id)
		return on_progress(p, fields);
	return 0;
}

/* An activity id: a non-negative integer. */
static bool activity_id(json_t *o, uint64_t *id)
{
	json_t *v = json_object_get(o, "id");

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*id = (uint64_t)json_integer_value(v);
	return true;
}

/* One whole input line. */
static int parse_line(struct nixlog *p, const char *s, size_t len, int64_t now_ms)
{
	static const char mark[] = "@nix ";
	json_t *o;
	const char *action;
	uint64_t id = 0;
	int r = 0;

	if (len && s[len - 1] == '\r')
		len--;
	if (len < sizeof(mark) - 1 || memcmp(s, mark, sizeof(mark) - 1) != 0)
		return plain_line(p, s, len);
	o = json_loadb(s + sizeof(mark) - 1, len - (sizeof(mark) - 1), JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o) || !(action = json_string_value(json_object_get(o, "action")))) {
		json_decref(o);
		return plain_line(p, s, len);
	}
	p->structured = true;
	if (strcmp(action, "msg") == 0)
		r = on_msg(p, o);
	else if (strcmp(action, "start") == 0 && activity_id(o, &id))
		r = on_start(p, o, id, now_ms);
	else if (strcmp(action, "stop") == 0 && activity_id(o, &id))
		r = on_stop(p, id, now_ms);
	else if (strcmp(action, "result") == 0 && activity_id(o, &id))
		r = on_result(p, o, id);
	json_decref(o);
	return r;
}

/* Add N bytes of a line being read, dropping what is past NIXLOG_INPUT_MAX. */
static int line_add(struct nixlog *p, const char *s, size_t n)
{
	if (p->overlong)
		return 0;
	if (p->line.len + n > NIXLOG_INPUT_MAX) {
		n = NIXLOG_INPUT_MAX - p->line.len;
		p->overlong = true;
	}
	return buf_add(&p->line, s, n) < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

static int line_done(struct nixlog *p, int64_t now_ms)
{
	int r = parse_line(p, p->line.data, p->line.len, now_ms);

	buf_reset(&p->line);
	p->overlong = false;
	return r;
}

int nixlog_feed(struct nixlog *p, const char *data, size_t len, int64_t now_ms)
{
	const char *end = data + len;
	int r;

	while (data < end) {
		const char *nl = memchr(data, '\n', (size_t)(end - data));
		size_t n = nl ? (size_t)(nl - data) : (size_t)(end - data);

		if ((r = line_add(p, data, n)) < 0)
			return r;
		data += n;
		if (!nl)
			break;
		data++;
		if ((r = line_done(p, now_ms)) < 0)
			return r;
	}
	return 0;
}

int nixlog_end(struct nixlog *p, int64_t now_ms)
{
	int r = 0;

	if (p->line.len && (r = line_done(p, now_ms)) < 0)
		return r;
	while (p->nb && r == 0) {
		/* Nothing more will explain these: stopped, unless an error named them. */
		p->done_seen = p->done;
		p->failed_seen = p->failed;
		r = on_stop(p, p->b[0]->id, now_ms);
	}
	return r;
}

/* The LEN bytes at S after PREFIX up to the next quote QUOTE, into OUT; false when S lacks them. */
static bool quoted_after(const char *s, size_t len, const char *prefix, char quote, char *out, size_t outlen)
{
	size_t pl = strlen(prefix), i;

	for (i = 0; i + pl <= len; i++) {
		const char *q;

		if (memcmp(s + i, prefix, pl) != 0)
			continue;
		if (!(q = memchr(s + i + pl, quote, len - i - pl)))
			return false;
		snprintf(out, outlen, "%.*s", (int)(q - (s + i + pl)), s + i + pl);
		return true;
	}
	return false;
}

static bool contains(const char *s, size_t len, const char *what)
{
	size_t wl = strlen(what), i;

	for (i = 0; i + wl <= len; i++)
		if (memcmp(s + i, what, wl) == 0)
			return true;
	return false;
}

bool nixlog_hint(const char *text, size_t len, char *out, size_t outlen)
{
	char what[128];

	if (contains(text, len, "specified in 'build-users-group' does not exist") &&
	    quoted_after(text, len, "the group '", '\'', what, sizeof(what))) {
		snprintf(out, outlen,
			 "Nix's build-users-group setting names the group '%s', which does not exist here: create"
			 " the group and its build users (Debian: the nix-setup-systemd package), or, as root,"
			 " build without build users: NIX_CONFIG=\"build-users-group =\" (or that line in"
			 " /etc/nix/nix.conf)",
			 what);
		return true;
	}
	if (quoted_after(text, len, "cannot connect to socket at '", '\'', what, sizeof(what))) {
		snprintf(out, outlen,
			 "no Nix daemon listens on %s (NIX_REMOTE=daemon, or store = daemon in nix.conf, sends"
			 " every Nix call there): start it (systemctl start nix-daemon), or, as root, unset"
			 " NIX_REMOTE so that Nix uses the store directly",
			 what);
		return true;
	}
	return false;
}

bool nixlog_conf_sets(const char *text, size_t len, const char *key)
{
	const char *p = text, *end = text + len;
	size_t kl = strlen(key);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;

		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if ((size_t)(e - p) > kl && memcmp(p, key, kl) == 0) {
			const char *q = p + kl;

			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
			if (q < e && *q == '=')
				return true;
		}
		p = nl ? nl + 1 : end;
	}
	return false;
}
