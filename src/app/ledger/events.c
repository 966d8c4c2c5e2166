/* Use case: `chimera events`: read the ledger, optionally following it as it grows. */
#include "app/ledger/events.h"
#include "util/err.h"
#include "util/json.h"
#include "util/json_read.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

int events_query(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg)
{
	return ledger_scan(l, f, fn, arg);
}

/* A follow in progress: the caller's callback, and how far and how many it has been given. */
struct follow {
	ledger_event_fn fn;
	void *arg;
	int64_t last;
	int64_t count;
};

static int follow_one(const struct ledger_event *ev, void *arg)
{
	struct follow *fw = arg;

	fw->last = ev->seq;
	fw->count++;
	return fw->fn(ev, fw->arg);
}

int events_follow(struct ledger *l, const struct ledger_filter *filter, ledger_event_fn fn, void *arg,
		  volatile sig_atomic_t *stop)
{
	struct ledger_filter f = *filter;
	struct follow fw = { fn, arg, filter->since, 0 };
	int64_t cursor = filter->since, head = 0;
	int r;

	for (;;) {
		/* The head before the scan: the scan sees at least that far, so the next starts after it. */
		if ((r = ledger_wait(l, cursor, 0, &head)) < 0)
			return r;
		f.since = cursor;
		if ((r = ledger_scan(l, &f, follow_one, &fw)) != 0 || *stop)
			return r;
		if (f.limit && fw.count >= f.limit)
			return 0;
		cursor = fw.last > head ? fw.last : head;
		/* Woken by the next append, from any process; the timeout only bounds a missed wake. */
		if ((r = ledger_wait(l, cursor, EVENTS_FOLLOW_WAIT_MS, &head)) < 0)
			return r;
		if (*stop)
			return 0;
	}
}

/* S as a JSON string, or null. */
static int add_string_or_null(struct buf *out, const char *s)
{
	return s ? json_add_string(out, s) : buf_adds(out, "null");
}

int events_event_json(const struct ledger_event *ev, struct buf *out)
{
	int r;

	if ((r = buf_printf(out, "{\"seq\":%lld,\"time\":", (long long)ev->seq)) < 0 ||
	    (r = json_add_string(out, ev->time)) < 0 || (r = buf_adds(out, ",\"topic\":")) < 0 ||
	    (r = json_add_string(out, ev->topic)) < 0 || (r = buf_adds(out, ",\"deployment\":")) < 0 ||
	    (r = add_string_or_null(out, ev->deployment)) < 0 || (r = buf_adds(out, ",\"node\":")) < 0 ||
	    (r = add_string_or_null(out, ev->node)) < 0)
		return r;
	return buf_printf(out, ",\"payload\":%s,\"prev_hash\":\"%s\",\"hash\":\"%s\"}\n", ev->payload, ev->prev_hash,
			  ev->hash);
}

json_t *events_event_object(const struct ledger_event *ev)
{
	struct buf b = BUF_INIT(0);
	json_t *o = events_event_json(ev, &b) == 0 ? json_loadb(b.data, b.len, 0, NULL) : NULL;

	buf_release(&b);
	return o;
}

int events_append_object(const struct ledger_event *ev, void *arg)
{
	json_t *o = events_event_object(ev);

	if (!o || json_array_append_new(arg, o) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int events_event_from_json(const json_t *obj, struct ledger_event *ev, char **payload)
{
	struct json_read r = JSON_READ_INIT("the event");
	const json_t *p;

	memset(ev, 0, sizeof(*ev));
	*payload = NULL;
	ev->seq = json_read_int(&r, obj, "seq", 0, 1, INT64_MAX);
	json_read_copy(&r, obj, "time", 0, ev->time, sizeof(ev->time));
	ev->topic = json_read_str(&r, obj, "topic", 0);
	ev->deployment = json_read_str(&r, obj, "deployment", JR_NULL);
	ev->node = json_read_str(&r, obj, "node", JR_NULL);
	p = json_read_object(&r, obj, "payload", 0);
	json_read_copy(&r, obj, "prev_hash", 0, ev->prev_hash, sizeof(ev->prev_hash));
	json_read_copy(&r, obj, "hash", 0, ev->hash, sizeof(ev->hash));
	if (r.err)
		return r.err;
	/* The stored form: json_canonical's. */
	if (!(*payload = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(json_real_digits(p)))))
		return err_set(ERR_NOMEM, "out of memory");
	ev->payload = *payload;
	return 0;
}
