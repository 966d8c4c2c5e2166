/* The exec use case with a fake executor and a fake ledger: isolation of failures, events, order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/openssl/cipher_openssl.h"
#include "app/fleet/exec.h"
#include "fake_ledger.h"
#include "util/err.h"

/* Fake executor: the host name says what happens. */
struct fake_session {
	char host[64];
};

static int fake_connect(struct executor *ex, const struct target *t, struct exec_session **out)
{
	struct fake_session *s;

	*out = NULL;
	if (strncmp(t->host, "down", 4) == 0)
		return err_set(ERR_IO, "%s: cannot connect: Connection refused", t->host);
	if (strncmp(t->host, "badkey", 6) == 0)
		return err_set(ERR_AUTH, "%s: public key authentication refused", t->host);
	s = calloc(1, sizeof(*s));
	snprintf(s->host, sizeof(s->host), "%s", t->host);
	*out = (struct exec_session *)s;
	return 0;
}

static int fake_run(struct exec_session *es, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	struct fake_session *s = (struct fake_session *)es;

	if (strncmp(s->host, "slow", 4) == 0)
		return err_set(ERR_TIMEOUT, "%s: command timed out after 1s", s->host);
	buf_printf(&res->out, "%s ran %s\n", s->host, cmd);
	if (strncmp(s->host, "fail", 4) == 0) {
		buf_adds(&res->err, "boom\xff\n");	/* invalid UTF-8 must not break the event */
		res->status = 5;
	} else {
		res->status = 0;
	}
	return 0;
}

static void fake_disconnect(struct exec_session *s)
{
	free(s);
}

static void fake_close(struct executor *ex)
{
}

static const struct executor_ops fake_exec_ops = { "fake", fake_connect, fake_run, fake_disconnect, fake_close };
static struct executor fake_executor = { &fake_exec_ops };

static void parse_targets(struct target_list *l, const char *s)
{
	assert_int_equal(target_list_parse(l, s, strlen(s)), 0);
}

struct progress_seen {
	size_t calls;
	size_t last_done;
	int monotonic;
};

static void on_done(const struct exec_node *n, size_t done, size_t total, void *arg)
{
	struct progress_seen *p = arg;

	if (done != p->last_done + 1)
		p->monotonic = 0;
	p->last_done = done;
	p->calls++;
}

static const json_t *node_event(struct fake_ledger *fl, const char *node)
{
	int i;

	for (i = 0; i < fl->n; i++) {
		if (strcmp(fl->topic[i], "node.exec") == 0 && strcmp(fl->node[i], node) == 0)
			return fl->payload[i];
	}
	return NULL;
}

/* A digest field of P as text, or NULL. */
static const char *field(const json_t *p, const char *name)
{
	return json_string_value(json_object_get(p, name));
}

static void run_mixed(int parallel, bool record_output)
{
	struct fake_ledger fl;
	struct target_list targets;
	struct exec_report rep;
	struct progress_seen seen = { 0, 0, 1 };
	struct executor_set set = { .items = { { "ssh", &fake_executor } }, .n = 1 };
	struct exec_ctx ctx = { &set, NULL, parallel, { on_done, &seen }, cipher_openssl(), record_output, NULL };
	const json_t *p;
	int i;

	fake_ledger_init(&fl);
	ctx.ledger = &fl.base;
	parse_targets(&targets, "ok1,down1,fail1,ok2,slow1,badkey1,ok3");
	assert_int_equal(exec_run(&ctx, &targets, "uname -a", &rep), 0);
	assert_int_equal(rep.n, 7);
	assert_int_equal(rep.ok, 3);
	assert_int_equal(rep.failed, 4);
	assert_int_equal(rep.ledger_err, 0);
	assert_int_equal(strlen(rep.run_id), 26);
	/* The report keeps target order whatever order nodes finished in. */
	assert_string_equal(rep.nodes[0].name, "root@ok1:22");
	assert_string_equal(rep.nodes[1].name, "root@down1:22");
	assert_string_equal(rep.nodes[6].name, "root@ok3:22");
	assert_true(exec_node_ok(&rep.nodes[0]));
	assert_string_equal(rep.nodes[1].step, "connect");
	assert_int_equal(rep.nodes[1].err, ERR_IO);
	assert_non_null(strstr(rep.nodes[1].message, "Connection refused"));
	assert_null(rep.nodes[2].step);
	assert_int_equal(rep.nodes[2].res.status, 5);
	assert_false(exec_node_ok(&rep.nodes[2]));
	assert_string_equal(rep.nodes[4].step, "run");
	assert_int_equal(rep.nodes[4].err, ERR_TIMEOUT);
	assert_int_equal(rep.nodes[5].err, ERR_AUTH);
	assert_string_equal(rep.nodes[3].res.out.data, "ok2 ran uname -a\n");
	/* Progress: once per node, counting up. */
	assert_int_equal(seen.calls, 7);
	assert_int_equal(seen.last_done, 7);
	assert_true(seen.monotonic);

	/* Events: exec.start first, a node.exec per node, exec.complete last, all in this run. */
	assert_int_equal(fl.n, 9);
	assert_string_equal(fl.topic[0], "exec.start");
	assert_string_equal(fl.topic[8], "exec.complete");
	for (i = 0; i < fl.n; i++)
		assert_string_equal(fl.run[i], rep.run_id);
	assert_int_equal(json_integer_value(json_object_get(fl.payload[0], "targets")), 7);
	assert_int_equal(json_integer_value(json_object_get(fl.payload[8], "ok")), 3);
	assert_int_equal(json_integer_value(json_object_get(fl.payload[8], "failed")), 4);
	p = node_event(&fl, "root@down1:22");
	assert_non_null(p);
	assert_true(json_is_false(json_object_get(p, "ok")));
	assert_true(json_is_null(json_object_get(p, "exit")));
	assert_string_equal(json_string_value(json_object_get(p, "step")), "connect");
	/* Every node.exec has the output's sizes and SHA-256 digests (as sha256sum prints them). */
	for (i = 1; i < 8; i++) {
		assert_true(json_is_integer(json_object_get(fl.payload[i], "stdout_bytes")));
		assert_true(json_is_integer(json_object_get(fl.payload[i], "stderr_bytes")));
		assert_int_equal(strlen(field(fl.payload[i], "stdout_sha256")), 64);
		assert_int_equal(strlen(field(fl.payload[i], "stderr_sha256")), 64);
		assert_true(json_is_false(json_object_get(fl.payload[i], "truncated")));
	}
	p = node_event(&fl, "root@down1:22");
	assert_int_equal(json_integer_value(json_object_get(p, "stdout_bytes")), 0);
	assert_string_equal(field(p, "stdout_sha256"), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	p = node_event(&fl, "root@fail1:22");
	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "exit")), 5);
	assert_int_equal(json_integer_value(json_object_get(p, "stderr_bytes")), 6);
	/* The digest is of the bytes as they came, not of their UTF-8 cleaned text. */
	assert_string_equal(field(p, "stderr_sha256"), "ce39b883164a8b5435018fd50e2e1070fe767c2caa8de55f75610bbc97c9a8fc");
	p = node_event(&fl, "root@ok3:22");
	assert_non_null(p);
	assert_true(json_is_true(json_object_get(p, "ok")));
	assert_int_equal(json_integer_value(json_object_get(p, "stdout_bytes")), 17);
	assert_string_equal(field(p, "stdout_sha256"), "9b10062912fdc677d644e52f2ff28f1d874c1547a38d80894392637c9636132f");
	if (record_output) {
		assert_string_equal(field(node_event(&fl, "root@fail1:22"), "stderr_tail"), "boom\xef\xbf\xbd\n");
		assert_string_equal(field(p, "stdout_tail"), "ok3 ran uname -a\n");
	} else {
		/* By default no event holds any of the output's text. */
		for (i = 0; i < fl.n; i++) {
			char *text = json_dumps(fl.payload[i], 0);

			assert_null(json_object_get(fl.payload[i], "stdout_tail"));
			assert_null(json_object_get(fl.payload[i], "stderr_tail"));
			assert_null(strstr(text, " ran uname"));
			assert_null(strstr(text, "boom"));
			free(text);
		}
	}
	assert_int_equal(rep.nodes[6].seq > 1, 1);

	exec_report_release(&rep);
	target_list_release(&targets);
	fake_ledger_release(&fl);
}

static void test_mixed_serial(void **state)
{
	run_mixed(1, false);
}

static void test_mixed_parallel(void **state)
{
	run_mixed(4, false);
}

static void test_more_parallel_than_nodes(void **state)
{
	run_mixed(64, false);
}

static void test_mixed_recording_output(void **state)
{
	run_mixed(4, true);
}

/* With --record-output, output past the tail limit is cut to its last EXEC_TAIL bytes in the event. */
static int big_run(struct exec_session *es, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	int i;

	for (i = 0; i < 1000; i++)
		buf_printf(&res->out, "line %04d\n", i);
	res->status = 0;
	return 0;
}

static void test_tail_is_cut(void **state)
{
	static const struct executor_ops big_ops = { "big", fake_connect, big_run, fake_disconnect, fake_close };
	struct executor big = { &big_ops };
	struct fake_ledger fl;
	struct target_list targets;
	struct exec_report rep;
	struct executor_set set = { .items = { { "ssh", &big } }, .n = 1 };
	struct exec_ctx ctx = { &set, NULL, 2, { NULL, NULL }, cipher_openssl(), true, NULL };
	const char *tail;

	fake_ledger_init(&fl);
	ctx.ledger = &fl.base;
	parse_targets(&targets, "h1");
	assert_int_equal(exec_run(&ctx, &targets, "seq \xc3", &rep), 0);
	assert_string_equal(json_string_value(json_object_get(fl.payload[0], "command")), "seq \xef\xbf\xbd");
	assert_int_equal(rep.nodes[0].res.out.len, 10000);
	tail = json_string_value(json_object_get(fl.payload[1], "stdout_tail"));
	assert_non_null(tail);
	assert_int_equal(strlen(tail), EXEC_TAIL);
	assert_non_null(strstr(tail, "line 0999\n"));
	assert_null(strstr(tail, "line 0000"));
	/* The size and digest are of the whole output, not of the tail. */
	assert_int_equal(json_integer_value(json_object_get(fl.payload[1], "stdout_bytes")), 10000);
	assert_string_equal(field(fl.payload[1], "stdout_sha256"),
			    "9092bdb30792189b0a0f20d2d67cf607fa7e3bf6147445ab431687f0bfab764c");
	exec_report_release(&rep);
	target_list_release(&targets);
	fake_ledger_release(&fl);
}

/* A cipher without SHA-256 cannot digest the output: nothing runs, nothing is recorded. */
static void test_no_digest_no_run(void **state)
{
	static const struct cipher_ops no_sha_ops = { .name = "no-sha256" };
	static const struct cipher no_sha = { &no_sha_ops };
	struct fake_ledger fl;
	struct target_list targets;
	struct exec_report rep;
	struct executor_set set = { .items = { { "ssh", &fake_executor } }, .n = 1 };
	struct exec_ctx ctx = { &set, NULL, 2, { NULL, NULL }, &no_sha, false, NULL };

	fake_ledger_init(&fl);
	ctx.ledger = &fl.base;
	parse_targets(&targets, "ok1");
	assert_int_equal(exec_run(&ctx, &targets, "true", &rep), ERR_UNSUPPORTED);
	assert_int_equal(fl.n, 0);
	exec_report_release(&rep);
	target_list_release(&targets);
	fake_ledger_release(&fl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed_serial),
		cmocka_unit_test(test_mixed_parallel),
		cmocka_unit_test(test_more_parallel_than_nodes),
		cmocka_unit_test(test_mixed_recording_output),
		cmocka_unit_test(test_no_digest_no_run),
		cmocka_unit_test(test_tail_is_cut),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
