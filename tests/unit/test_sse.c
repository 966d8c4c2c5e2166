/* formats/sse: frames read from a stream cut anywhere, and the format's corners. */
#include "check.h"

#include <stdio.h>
#include <string.h>

#include "formats/sse.h"
#include "util/err.h"

/* The frames seen, one line each: "ID|EVENT|DATA" (DATA's line breaks as '/'). */
struct seen {
	char text[4096];
	size_t len;
	int stop_after;		/* nonzero: stop after this many frames */
	int n;
};

static int record(const struct sse_frame *f, void *arg)
{
	struct seen *s = arg;
	size_t at = s->len;
	size_t i;

	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%s|%s|%s\n", f->id, f->event, f->data);
	for (i = at; i < s->len; i++)
		if (s->text[i] == '\n' && i + 1 < s->len)
			s->text[i] = '/';
	assert_int_equal(f->data[f->data_len], '\0');
	s->n++;
	return s->stop_after && s->n >= s->stop_after ? 7 : 0;
}

/* TEXT fed in pieces of STEP bytes (0: whole): the frames it gave. */
static void feed(const char *text, size_t step, struct seen *s)
{
	struct sse_parser p;
	size_t i, n = strlen(text);

	memset(s, 0, sizeof(*s));
	sse_init(&p);
	for (i = 0; i < n; i += step ? step : n)
		assert_int_equal(sse_feed(&p, text + i, step && n - i > step ? step : n - i, record, s), 0);
	sse_release(&p);
}

static const char stream[] = ": keepalive\n\n"
			     "id: 7\nevent: deploy.initiated\ndata: {\"seq\":7}\n\n"
			     "id:8\r\nevent:node.copy.complete\r\ndata:{\"seq\":8}\r\n\r\n"
			     "data: one\rdata: two\r\r"
			     "retry: 10\nevent: x\n\n"
			     "id: 9\ndata\nunknown: field\n\n";

static void test_frames_in_any_pieces(void **state)
{
	const char *want = "7|deploy.initiated|{\"seq\":7}\n"
			   "8|node.copy.complete|{\"seq\":8}\n"
			   "8|message|one/two\n"
			   "9|message|\n";
	struct seen s;
	size_t step;

	(void)state;
	/* Whole, then every piece size: "\r\n" split across pieces is still one line end. */
	for (step = 0; step <= sizeof(stream); step++) {
		feed(stream, step, &s);
		if (strcmp(s.text, want) != 0)
			fail_msg("pieces of %zu: got\n%s", step, s.text);
	}
}

static void test_unfinished_frame_waits(void **state)
{
	struct seen s;

	(void)state;
	/* No blank line yet: nothing dispatched. */
	feed("id: 3\ndata: {}\n", 0, &s);
	assert_int_equal(s.n, 0);
}

static void test_stop_and_limit(void **state)
{
	struct sse_parser p;
	struct seen s = { .stop_after = 1 };
	char big[300];

	(void)state;
	sse_init(&p);
	/* The callback's nonzero return stops the feed at once and is returned. */
	assert_int_equal(sse_feed(&p, "data: a\n\ndata: b\n\n", 18, record, &s), 7);
	assert_int_equal(s.n, 1);
	sse_release(&p);
	/* A line past the limit fails the stream (a smaller limit is not configurable: feed many pieces). */
	sse_init(&p);
	memset(big, 'x', sizeof(big));
	{
		size_t fed = 0;
		int r = 0;

		while (fed <= SSE_LINE_MAX && r == 0) {
			r = sse_feed(&p, big, sizeof(big), record, &s);
			fed += sizeof(big);
		}
		assert_int_equal(r, ERR_LIMIT);
	}
	sse_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_in_any_pieces),
		cmocka_unit_test(test_unfinished_frame_waits),
		cmocka_unit_test(test_stop_and_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
