/*
 * Fuzz target for formats/qmp (what a QEMU monitor socket sends): the same messages, the
 * same error and the same session (negotiation written, state, events queued) whether the
 * bytes come whole, one at a time, or cut at a point the input picks; a line bound the input
 * picks too, so over-long lines are reached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/qmp.h"
#include "fuzz.h"
#include "util/buf.h"
#include "util/err.h"

const char *const fuzz_seeds[] = {
	"\x10\x40{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 1, \"minor\": 2, \"major\": 8}, \"package\": \"\"}, "
	"\"capabilities\": [\"oob\"]}}\r\n{\"return\": {}, \"id\": \"f-1\"}\r\n",
	"\x05\x00{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\n"
	"{\"return\": {\"running\": false, \"status\": \"paused\"}, \"id\": \"f-2\"}\n",
	"\x03\x00{\"id\": \"f-3\", \"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}}\n\n  \r\n"
	"{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}\n",
	"\x01\x02{\"return\": \"" FUZZ_X64("x") "\"}\n{\"event\": 1}\n",
	"\x00\x00not json\n{\"hello\": 1}\n[1]\n",
	NULL,
};

/* Every message as a line into a buf. */
static int take(const struct qmp_msg *m, void *arg)
{
	struct buf *out = arg;
	char *text = json_dumps(m->json, JSON_COMPACT | JSON_SORT_KEYS);

	FUZZ_CHECK(text, "a message that does not dump");
	FUZZ_CHECK(m->kind != QMP_ERROR || (m->err_class && m->err_desc), "an error without class or desc");
	FUZZ_CHECK(m->kind != QMP_EVENT || (m->event && *m->event), "an event without a name");
	buf_printf(out, "%d|%s|%s|%s|%s|%lld|%lld|%s\n", (int)m->kind, m->id ? m->id : "-",
		   m->err_class ? m->err_class : "-", m->err_desc ? m->err_desc : "-",
		   m->event ? m->event : "-", m->ts_sec, m->ts_usec, text);
	free(text);
	return 0;
}

/* The size of the next piece: STEP bytes (0: all), or up to CUT then the rest (STEP SIZE_MAX). */
static size_t piece(size_t at, size_t len, size_t step, size_t cut)
{
	if (step == SIZE_MAX)
		return at < cut ? cut - at : len - at;
	return step && len - at > step ? step : len - at;
}

/* The error that ended a run, into OUT. */
static void ended(int rc, struct buf *out)
{
	if (rc) {
		fuzz_check_failure("qmp_feed", rc, true);
		buf_printf(out, "error %d: %s\n", rc, err_msg());
	}
}

static void read_all(const char *data, size_t len, size_t line_max, size_t step, size_t cut, struct buf *out)
{
	struct qmp_reader r;
	size_t at = 0;
	int rc = 0;

	qmp_reader_init(&r, line_max);
	while (at < len && rc == 0) {
		size_t n = piece(at, len, step, cut);

		fuzz_err_mark();
		rc = qmp_feed(&r, data + at, n, take, out);
		at += n;
	}
	ended(rc, out);
	qmp_reader_release(&r);
}

static void session_all(const char *data, size_t len, size_t line_max, size_t step, size_t cut, struct buf *out)
{
	struct qmp_session s;
	size_t at = 0;
	int rc = 0;
	json_t *ev;

	FUZZ_CHECK(qmp_session_init(&s, "f", line_max) == 0, "qmp_session_init failed");
	while (at < len && rc == 0) {
		size_t n = piece(at, len, step, cut);

		fuzz_err_mark();
		rc = qmp_session_feed(&s, data + at, n, out);
		at += n;
	}
	ended(rc, out);
	buf_printf(out, "state %d\n", (int)s.state);
	while ((ev = qmp_session_event(&s))) {
		buf_printf(out, "event %s\n", json_string_value(json_object_get(ev, "event")));
		json_decref(ev);
	}
	qmp_session_release(&s);
}

static void same(const struct buf *a, const struct buf *b, const char *how, size_t at)
{
	FUZZ_CHECK(a->len == b->len && (!a->len || memcmp(a->data, b->data, a->len) == 0),
		   "%s (cut %zu) gave other messages than whole:\n%s\n---\n%s", how, at, b->data, a->data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first two bytes pick the cut and the line bound (0: the default); the rest is fed. */
	const char *s = size > 2 ? (const char *)data + 2 : "";
	size_t len = size > 2 ? size - 2 : 0;
	size_t at = size && len ? data[0] % len : 0;
	size_t line_max = size > 1 ? (size_t)data[1] * 4 : 0;
	void (*run[2])(const char *, size_t, size_t, size_t, size_t, struct buf *) = { read_all, session_all };

	fuzz_begin(data, size);
	for (int i = 0; i < 2; i++) {
		struct buf whole = BUF_INIT(0), bytes = BUF_INIT(0), cut = BUF_INIT(0);

		run[i](s, len, line_max, 0, 0, &whole);
		run[i](s, len, line_max, 1, 0, &bytes);
		run[i](s, len, line_max, SIZE_MAX, at, &cut);
		same(&whole, &bytes, i ? "the session byte by byte" : "byte by byte", at);
		same(&whole, &cut, i ? "the session cut" : "cut", at);
		buf_release(&whole);
		buf_release(&bytes);
		buf_release(&cut);
	}
	return 0;
}
