/* formats/qmp: a QEMU exchange read in any pieces, the commands written, the answers parsed. */
#include "check.h"

#include <jansson.h>

#include "formats/qmp.h"

/* What QEMU 8.2 sends for: the greeting, qmp_capabilities, query-status with a STOP event
 * before its answer, an unknown command's error, then system_powerdown with events. */
static const char exchange[] =
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 1, \"minor\": 2, \"major\": 8}, \"package\": "
	"\"Debian 1:8.2.1\"}, \"capabilities\": [\"oob\"]}}\r\n"
	"{\"return\": {}, \"id\": \"vm-1\"}\r\n"
	"{\"timestamp\": {\"seconds\": 1733565000, \"microseconds\": 123456}, \"event\": \"STOP\"}\r\n"
	"{\"return\": {\"status\": \"paused\", \"singlestep\": false, \"running\": false}, \"id\": \"vm-2\"}\r\n"
	"\r\n"
	"{\"id\": \"vm-3\", \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command nope has not been found\"}}\r\n"
	"{\"timestamp\": {\"seconds\": 1733565001, \"microseconds\": 5}, \"event\": \"POWERDOWN\"}\r\n"
	"{\"return\": {}, \"id\": \"vm-4\"}\r\n"
	"{\"timestamp\": {\"seconds\": 1733565002, \"microseconds\": 6}, \"event\": \"SHUTDOWN\", "
	"\"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n";

/* Every message as one line: "KIND|ID|DETAIL". */
static int record(const struct qmp_msg *m, void *arg)
{
	struct buf *out = arg;
	const char *id = m->id ? m->id : "-";

	switch (m->kind) {
	case QMP_GREETING:
		buf_printf(out, "greeting|%s|%zu\n", id, json_array_size(json_object_get(m->value, "capabilities")));
		break;
	case QMP_RETURN:
		buf_printf(out, "return|%s|%zu\n", id, json_object_size(m->value));
		break;
	case QMP_ERROR:
		buf_printf(out, "error|%s|%s: %s\n", id, m->err_class, m->err_desc);
		break;
	case QMP_EVENT:
		buf_printf(out, "event|%s|%s %lld.%06lld %s\n", id, m->event, m->ts_sec, m->ts_usec,
			   m->value ? "data" : "nodata");
		break;
	}
	return 0;
}

/* TEXT (LEN bytes) fed in pieces of STEP (0: whole) into OUT; returns qmp_feed's last result. */
static int feed(const char *text, size_t len, size_t step, size_t line_max, struct buf *out)
{
	struct qmp_reader r;
	size_t i;
	int rc = 0;

	qmp_reader_init(&r, line_max);
	for (i = 0; i < len && rc == 0; i += step ? step : len)
		rc = qmp_feed(&r, text + i, step && len - i > step ? step : len - i, record, out);
	qmp_reader_release(&r);
	return rc;
}

static void test_exchange_in_any_pieces(void **state)
{
	const char *want = "greeting|-|1\n"
			   "return|vm-1|0\n"
			   "event|-|STOP 1733565000.123456 nodata\n"
			   "return|vm-2|3\n"
			   "error|vm-3|CommandNotFound: The command nope has not been found\n"
			   "event|-|POWERDOWN 1733565001.000005 nodata\n"
			   "return|vm-4|0\n"
			   "event|-|SHUTDOWN 1733565002.000006 data\n";
	size_t step;

	(void)state;
	for (step = 0; step <= 40; step++) {
		struct buf out = BUF_INIT(0);

		assert_int_equal(feed(LIT(exchange), step, 0, &out), 0);
		if (strcmp(out.data, want) != 0)
			fail_msg("pieces of %zu: got\n%s", step, out.data);
		buf_release(&out);
	}
}

static void test_unfinished_line_waits(void **state)
{
	struct buf out = BUF_INIT(0);

	(void)state;
	assert_int_equal(feed(LIT("{\"return\": {}, \"id\": \"a\"}"), 0, 0, &out), 0);
	assert_int_equal(out.len, 0);
	buf_release(&out);
}

/* TEXT must fail with CODE and a message holding WANT. */
static void bad(const char *text, int code, const char *want)
{
	struct buf out = BUF_INIT(0);

	assert_int_equal(feed(text, strlen(text), 1, 0, &out), code);
	if (!strstr(err_msg(), want))
		fail_msg("for %s: message '%s' lacks '%s'", text, err_msg(), want);
	buf_release(&out);
}

static void test_malformed(void **state)
{
	(void)state;
	bad("{\"return\": {}}\nnot json\n", ERR_INVALID, "QMP line 2 'not json': not JSON");
	bad("[1, 2]\n", ERR_INVALID, "not a JSON object");
	bad("{\"hello\": 1}\n", ERR_INVALID, "expected a greeting (QMP), an answer (return or error) or an event");
	bad("{\"error\": {\"class\": 3, \"desc\": \"x\"}}\n", ERR_INVALID, "an error without a string class and desc");
	bad("{\"event\": 7}\n", ERR_INVALID, "an event whose name is not a string");
	bad("{\"event\": \"STOP\", \"timestamp\": {\"seconds\": \"now\"}}\n", ERR_INVALID, "timestamp is not");
	bad("{\"QMP\": {\"version\": 1, \"capabilities\": []}}\n", ERR_INVALID, "a greeting without");
	bad("{\"return\": {}, \"return\": 1}\n", ERR_INVALID, "not JSON");
}

static void test_over_long_line(void **state)
{
	char text[200];
	struct buf out = BUF_INIT(0);
	struct qmp_reader r;

	(void)state;
	/* 64 bytes fit a bound of 64; 65 do not, whole or byte by byte. */
	snprintf(text, sizeof(text), "{\"return\": \"%050d\"}\n", 0);
	assert_int_equal(strlen(text), 65);
	assert_int_equal(feed(LIT("{\"return\": \"0123456789012345678901234567890123456789012345678\"}\n"), 0, 64, &out), 0);
	assert_int_equal(feed(text, strlen(text), 0, 63, &out), ERR_LIMIT);
	assert_non_null(strstr(err_msg(), "QMP line 1 is longer than 63 bytes"));
	assert_int_equal(feed(text, strlen(text), 1, 63, &out), ERR_LIMIT);
	/* After an error, the stream stays failed. */
	qmp_reader_init(&r, 8);
	assert_int_equal(qmp_feed(&r, LIT("123456789"), record, &out), ERR_LIMIT);
	assert_int_equal(qmp_feed(&r, LIT("\n{}\n"), record, &out), ERR_LIMIT);
	qmp_reader_release(&r);
	buf_release(&out);
}

static void test_commands_written(void **state)
{
	struct buf out = BUF_INIT(0);
	json_t *args = json_pack("{si}", "value", 3);

	(void)state;
	assert_int_equal(qmp_command(&out, "system_powerdown", NULL, "chimera-3"), 0);
	assert_int_equal(qmp_capabilities(&out, "c-1"), 0);
	assert_int_equal(qmp_query_status(&out, NULL), 0);
	assert_int_equal(qmp_command(&out, "set-thing", args, "x"), 0);
	assert_int_equal(qmp_snapshot(&out, "savevm", "before-upgrade", "s-1"), 0);
	assert_string_equal(out.data,
			    "{\"execute\":\"system_powerdown\",\"id\":\"chimera-3\"}\n"
			    "{\"execute\":\"qmp_capabilities\",\"id\":\"c-1\"}\n"
			    "{\"execute\":\"query-status\"}\n"
			    "{\"execute\":\"set-thing\",\"arguments\":{\"value\":3},\"id\":\"x\"}\n"
			    "{\"execute\":\"human-monitor-command\",\"arguments\":{\"command-line\":\"savevm before-upgrade\"},\"id\":\"s-1\"}\n");
	assert_int_equal(qmp_command(&out, "bad cmd", NULL, NULL), ERR_INVALID);
	assert_string_equal(err_msg(), "bad QMP command 'bad cmd': expected 1 to 64 letters, digits, '_', '-' or '.'");
	assert_int_equal(qmp_command(&out, "quit", NULL, "has space"), ERR_INVALID);
	assert_int_equal(qmp_command(&out, "quit", json_object_get(args, "value"), NULL), ERR_INVALID);
	assert_int_equal(qmp_snapshot(&out, "savevm", "a b; quit", NULL), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "bad snapshot name 'a b; quit'"));
	assert_int_equal(qmp_snapshot(&out, "rmvm", "x", NULL), ERR_INVALID);
	assert_int_equal(qmp_snapshot(&out, "loadvm", "-x", NULL), ERR_INVALID);
	json_decref(args);
	buf_release(&out);
}

static void test_answers_parsed(void **state)
{
	json_t *st = json_loads("{\"running\": true, \"status\": \"running\", \"singlestep\": false}", 0, NULL);
	json_t *ver = json_loads("{\"qemu\": {\"major\": 8, \"minor\": 2, \"micro\": 1}, \"package\": \"\"}", 0, NULL);
	json_t *err = json_loads("{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": \"q\"}", 0, NULL);
	json_t *ok = json_loads("{\"return\": 5}", 0, NULL);
	json_t *ret = NULL;
	struct qmp_status s;
	int a, b, c;

	(void)state;
	assert_int_equal(qmp_parse_status(st, &s), 0);
	assert_true(s.running);
	assert_string_equal(s.status, "running");
	json_object_set_new(st, "running", json_string("yes"));
	assert_int_equal(qmp_parse_status(st, &s), ERR_INVALID);
	assert_int_equal(qmp_parse_version(ver, &a, &b, &c), 0);
	assert_int_equal(a * 10000 + b * 100 + c, 80201);
	assert_int_equal(qmp_parse_version(st, &a, &b, &c), ERR_INVALID);
	assert_int_equal(qmp_answer(err, "quit", &ret), ERR_INVALID);
	assert_string_equal(err_msg(), "QEMU refused quit: GenericError: no");
	assert_int_equal(qmp_answer(ok, "quit", &ret), 0);
	assert_int_equal(json_integer_value(ret), 5);
	assert_int_equal(qmp_answer(st, "quit", &ret), ERR_INVALID);
	json_decref(st);
	json_decref(ver);
	json_decref(err);
	json_decref(ok);
}

static void test_hmp_answers(void **state)
{
	json_t *empty = json_string(""), *blanks = json_string("\r\n"), *num = json_integer(1);
	json_t *fail = json_string("Error: Device 'drive0' is writable but does not support snapshots\r\n");
	struct buf text = BUF_INIT(0);

	(void)state;
	assert_int_equal(qmp_parse_hmp(empty, &text), 0);
	assert_int_equal(qmp_parse_hmp(blanks, &text), 0);
	assert_int_equal(text.len, 0);
	assert_int_equal(qmp_parse_hmp(fail, &text), ERR_INVALID);
	assert_string_equal(text.data, "Error: Device 'drive0' is writable but does not support snapshots");
	assert_string_equal(err_msg(), "the monitor answered 'Error: Device 'drive0' is writable but does not support snapshots'");
	assert_int_equal(qmp_parse_hmp(num, NULL), ERR_INVALID);
	assert_string_equal(err_msg(), "bad human-monitor-command answer: expected a string");
	json_decref(empty);
	json_decref(blanks);
	json_decref(num);
	json_decref(fail);
	buf_release(&text);
}

/* Feed the session TEXT byte by byte, expecting RC. */
static int sfeed(struct qmp_session *s, const char *text, struct buf *out)
{
	int rc = 0;

	for (size_t i = 0; text[i] && rc == 0; i++)
		rc = qmp_session_feed(s, text + i, 1, out);
	return rc;
}

static void test_session(void **state)
{
	struct qmp_session s;
	struct buf out = BUF_INIT(0);
	char id1[QMP_ID_MAX + 1], id2[QMP_ID_MAX + 1];
	json_t *answer = NULL, *ev, *ret;
	struct qmp_status st;
	int major, minor, micro;

	(void)state;
	assert_int_equal(qmp_session_init(&s, "vm", 0), 0);
	assert_int_equal(qmp_session_send(&s, &out, "quit", NULL, id1), ERR_INVALID);
	/* The greeting makes it negotiate. */
	assert_int_equal(sfeed(&s, "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 8, \"minor\": 2, \"micro\": 1}}, "
			       "\"capabilities\": []}}\n", &out), 0);
	assert_string_equal(out.data, "{\"execute\":\"qmp_capabilities\",\"id\":\"vm-1\"}\n");
	assert_int_equal(s.state, QMP_WAIT_CAPABILITIES);
	assert_int_equal(qmp_parse_version(json_object_get(s.greeting, "version"), &major, &minor, &micro), 0);
	assert_int_equal(major * 10000 + minor * 100 + micro, 80201);
	assert_int_equal(sfeed(&s, "{\"return\": {}, \"id\": \"vm-1\"}\n", &out), 0);
	assert_int_equal(s.state, QMP_READY);
	/* Two commands; their answers in order with an event between. */
	buf_reset(&out);
	assert_int_equal(qmp_session_send(&s, &out, "query-status", NULL, id1), 0);
	assert_int_equal(qmp_session_send(&s, &out, "system_powerdown", NULL, id2), 0);
	assert_string_equal(id1, "vm-2");
	assert_string_equal(id2, "vm-3");
	assert_int_equal(qmp_session_take(&s, id1, &answer), 1);
	assert_int_equal(sfeed(&s, "{\"event\": \"RESUME\", \"timestamp\": {\"seconds\": 1, \"microseconds\": 2}}\n"
			       "{\"return\": {\"running\": true, \"status\": \"running\"}, \"id\": \"vm-2\"}\n"
			       "{\"event\": \"POWERDOWN\"}\n", &out), 0);
	assert_int_equal(qmp_session_take(&s, id2, &answer), 1);
	assert_int_equal(qmp_session_take(&s, id1, &answer), 0);
	assert_int_equal(qmp_answer(answer, "query-status", &ret), 0);
	assert_int_equal(qmp_parse_status(ret, &st), 0);
	assert_true(st.running);
	json_decref(answer);
	assert_int_equal(qmp_session_take(&s, id1, &answer), ERR_NOTFOUND);
	ev = qmp_session_event(&s);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "RESUME");
	json_decref(ev);
	ev = qmp_session_event(&s);
	assert_string_equal(json_string_value(json_object_get(ev, "event")), "POWERDOWN");
	json_decref(ev);
	assert_null(qmp_session_event(&s));
	/* An answer to no command waiting fails the session. */
	assert_int_equal(sfeed(&s, "{\"return\": {}, \"id\": \"vm-9\"}\n", &out), ERR_INVALID);
	assert_string_equal(err_msg(), "a QMP answer with id 'vm-9' to no command waiting");
	assert_int_equal(s.state, QMP_FAILED);
	assert_int_equal(sfeed(&s, "{\"return\": {}, \"id\": \"vm-3\"}\n", &out), ERR_INVALID);
	qmp_session_release(&s);
	buf_release(&out);
}

static void test_session_refusals(void **state)
{
	static const char greeting[] = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n";
	struct qmp_session s;
	struct buf out = BUF_INIT(0);

	(void)state;
	assert_int_equal(qmp_session_init(&s, "bad prefix", 0), ERR_INVALID);
	/* Refused negotiation. */
	assert_int_equal(qmp_session_init(&s, "p", 0), 0);
	assert_int_equal(sfeed(&s, greeting, &out), 0);
	assert_int_equal(sfeed(&s, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": \"p-1\"}\n", &out),
			 ERR_INVALID);
	assert_string_equal(err_msg(), "QEMU refused qmp_capabilities: GenericError: no");
	qmp_session_release(&s);
	/* An answer before the greeting; a second greeting; an answer without id. */
	assert_int_equal(qmp_session_init(&s, "p", 0), 0);
	assert_int_equal(sfeed(&s, "{\"return\": {}}\n", &out), ERR_INVALID);
	assert_string_equal(err_msg(), "a QMP answer before the greeting");
	qmp_session_release(&s);
	assert_int_equal(qmp_session_init(&s, "p", 0), 0);
	assert_int_equal(sfeed(&s, greeting, &out), 0);
	assert_int_equal(sfeed(&s, greeting, &out), ERR_INVALID);
	assert_string_equal(err_msg(), "a second QMP greeting");
	qmp_session_release(&s);
	assert_int_equal(qmp_session_init(&s, "p", 0), 0);
	assert_int_equal(qmp_session_feed(&s, LIT(greeting), NULL), ERR_INVALID);
	assert_string_equal(err_msg(), "a QMP greeting with nowhere to write qmp_capabilities");
	qmp_session_release(&s);
	assert_int_equal(qmp_session_init(&s, "p", 0), 0);
	assert_int_equal(sfeed(&s, greeting, &out), 0);
	assert_int_equal(sfeed(&s, "{\"return\": {}}\n", &out), ERR_INVALID);
	assert_string_equal(err_msg(), "a QMP answer without an id: every command sent has one");
	qmp_session_release(&s);
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchange_in_any_pieces),
		cmocka_unit_test(test_unfinished_line_waits),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_over_long_line),
		cmocka_unit_test(test_commands_written),
		cmocka_unit_test(test_answers_parsed),
		cmocka_unit_test(test_hmp_answers),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_session_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
