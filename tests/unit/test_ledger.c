/* The SQLite ledger: chaining, canonical bytes, filters, refusals, and durability across kill -9. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/sqlite/ledger_sqlite.h"
#include "util/err.h"
#include "util/fs.h"

static char scratch[4096];

static int setup(void **state)
{
	const char *base = getenv("CHIMERA_TEST_TMP");
	char tmpl[4096];

	if (!base)
		base = "/var/tmp";
	fs_mkdir_p(base, 0755);
	snprintf(tmpl, sizeof(tmpl), "%s/ledger-XXXXXX", base);
	assert_non_null(mkdtemp(tmpl));
	snprintf(scratch, sizeof(scratch), "%s/chimera.db", tmpl);
	return 0;
}

static int teardown(void **state)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", scratch);
	*strrchr(dir, '/') = '\0';
	fs_rm_rf(dir);
	return 0;
}

static struct ledger *open_ledger(void)
{
	struct ledger *l = NULL;

	assert_int_equal(ledger_sqlite_open(scratch, &l), 0);
	assert_non_null(l);
	return l;
}

struct collected {
	int n;
	int64_t seqs[64];
	char topics[64][64];
	char payloads[64][256];
	char hashes[64][SHA3_256_HEX];
	char prevs[64][SHA3_256_HEX];
};

static int collect(const struct ledger_event *ev, void *arg)
{
	struct collected *c = arg;

	if (c->n >= 64)
		return 1;
	c->seqs[c->n] = ev->seq;
	snprintf(c->topics[c->n], 64, "%s", ev->topic);
	snprintf(c->payloads[c->n], 256, "%s", ev->payload);
	memcpy(c->hashes[c->n], ev->hash, SHA3_256_HEX);
	memcpy(c->prevs[c->n], ev->prev_hash, SHA3_256_HEX);
	c->n++;
	return 0;
}

static void test_append_chain_verify(void **state)
{
	struct ledger *l = open_ledger();
	struct ledger_filter all = { 0 };
	struct ledger_verify_report rep;
	struct collected c = { 0 };
	int64_t seq = 0;
	int i;

	for (i = 0; i < 5; i++) {
		assert_int_equal(ledger_append1(l, "test.one", NULL, "root@h:22", "{\"i\": 1}", &seq), 0);
		assert_int_equal(seq, i + 1);
	}
	assert_int_equal(ledger_scan(l, &all, collect, &c), 0);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.prevs[0], ledger_genesis_hash);
	for (i = 1; i < 5; i++) {
		assert_int_equal(c.seqs[i], i + 1);
		assert_string_equal(c.prevs[i], c.hashes[i - 1]);
		assert_string_not_equal(c.hashes[i], c.hashes[i - 1]);
	}
	assert_string_equal(c.payloads[0], "{\"i\":1}");
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 5);
	assert_int_equal(rep.broken_seq, 0);
	ledger_close(l);
}

/* The hash is SHA3-256 over the 32 raw bytes of prev_hash and the canonical bytes. */
static void test_hash_definition(void **state)
{
	struct ledger_event ev = { 0 };
	struct buf canon = BUF_INIT(0);
	char hash[SHA3_256_HEX], hex[SHA3_256_HEX];
	unsigned char prev[32] = { 0 }, md[32];
	unsigned int mdlen = 32;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int i;

	ev.seq = 7;
	snprintf(ev.time, sizeof(ev.time), "2026-11-22T19:45:01.123Z");
	ev.topic = "node.exec";
	ev.deployment = NULL;
	ev.node = "root@h:22";
	ev.payload = "{\"a\":\"x\\\"y\"}";
	memcpy(ev.prev_hash, ledger_genesis_hash, SHA3_256_HEX);
	assert_int_equal(ledger_canonical(&ev, &canon), 0);
	assert_string_equal(canon.data, "{\"deployment\":null,\"node\":\"root@h:22\",\"payload\":{\"a\":\"x\\\"y\"},"
					"\"seq\":7,\"time\":\"2026-11-22T19:45:01.123Z\",\"topic\":\"node.exec\"}");
	assert_int_equal(ledger_event_hash(&ev, hash), 0);
	EVP_DigestInit_ex(ctx, EVP_sha3_256(), NULL);
	EVP_DigestUpdate(ctx, prev, 32);
	EVP_DigestUpdate(ctx, canon.data, canon.len);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(hash, hex);
	/* Any field change changes the hash. */
	ev.seq = 8;
	assert_int_equal(ledger_event_hash(&ev, hex), 0);
	assert_string_not_equal(hash, hex);
	buf_release(&canon);
}

static void test_refusals(void **state)
{
	struct ledger *l = open_ledger();
	struct ledger_verify_report rep;
	static const char *const bad_topics[] = { "", "Upper", "has space", ".lead", "trail.", "semi;colon",
						  "uni\xd0\xb0", "tab\t" };
	size_t i;

	for (i = 0; i < sizeof(bad_topics) / sizeof(bad_topics[0]); i++)
		assert_int_equal(ledger_append1(l, bad_topics[i], NULL, NULL, NULL, NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, "t.x", NULL, NULL, "[1,2]", NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, "t.x", NULL, NULL, "{\"a\":1,\"a\":2}", NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, "t.x", NULL, NULL, "{", NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, "t.x", NULL, "bad\nnode", NULL, NULL), ERR_INVALID);
	assert_int_equal(ledger_append1(l, "t.x", "", NULL, NULL, NULL), ERR_INVALID);
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 0);
	/* A refused event in a batch refuses the whole batch. */
	{
		struct ledger_new evs[3] = { { "t.ok", NULL, NULL, NULL }, { "BAD", NULL, NULL, NULL },
					     { "t.ok", NULL, NULL, NULL } };

		assert_int_equal(ledger_append(l, evs, 3, NULL), ERR_INVALID);
	}
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 0);
	ledger_close(l);
}

static void test_filters(void **state)
{
	struct ledger *l = open_ledger();
	struct ledger_new evs[6] = {
		{ "node.exec", "d1", "n1", NULL }, { "node.switch", "d1", "n2", NULL },
		{ "exec.start", "d2", NULL, NULL }, { "node.exec", "d2", "n1", NULL },
		{ "node", NULL, NULL, NULL }, { "nodes.x", NULL, NULL, NULL },
	};
	struct ledger_filter f;
	struct collected c;
	int64_t last;

	assert_int_equal(ledger_append(l, evs, 6, &last), 0);
	assert_int_equal(last, 6);
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.topic = "node.exec";
	assert_int_equal(ledger_scan(l, &f, collect, &c), 0);
	assert_int_equal(c.n, 2);
	memset(&c, 0, sizeof(c));
	f.topic = "node.*";	/* node.exec, node.switch, node.exec; not "node" nor "nodes.x" */
	assert_int_equal(ledger_scan(l, &f, collect, &c), 0);
	assert_int_equal(c.n, 3);
	memset(&c, 0, sizeof(c));
	f.since = 2;
	assert_int_equal(ledger_scan(l, &f, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.seqs[0], 4);
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.node = "n1";
	f.deployment = "d2";
	assert_int_equal(ledger_scan(l, &f, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.seqs[0], 4);
	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	f.limit = 2;
	assert_int_equal(ledger_scan(l, &f, collect, &c), 0);
	assert_int_equal(c.n, 2);
	ledger_close(l);
}

/*
 * A child appends and reports each seq through a pipe only after ledger_append returned;
 * the parent kills it with SIGKILL and finds every reported event, chain intact.
 */
static void kill9_run(int events_before_kill)
{
	int fds[2];
	pid_t pid;
	int64_t got = 0, seq;
	int reported = 0, st;
	struct ledger *l;
	struct ledger_filter f = { 0 };
	struct collected c;
	struct ledger_verify_report rep;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ledger *cl = NULL;

		close(fds[0]);
		if (ledger_sqlite_open(scratch, &cl) < 0)
			_exit(2);
		for (;;) {
			if (ledger_append1(cl, "test.kill", NULL, NULL, "{\"k\":9}", &seq) < 0)
				_exit(3);
			if (write(fds[1], &seq, sizeof(seq)) != sizeof(seq))
				_exit(4);
		}
	}
	close(fds[1]);
	while (reported < events_before_kill && read(fds[0], &seq, sizeof(seq)) == sizeof(seq)) {
		got = seq;
		reported++;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(fds[0]);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(reported, events_before_kill);

	l = open_ledger();
	f.since = got - 1;
	f.limit = 1;
	memset(&c, 0, sizeof(c));
	assert_int_equal(ledger_scan(l, &f, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.seqs[0], got);
	assert_string_equal(c.topics[0], "test.kill");
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.broken_seq, 0);
	assert_true(rep.checked >= got);
	/* The ledger goes on after the crash. */
	assert_int_equal(ledger_append1(l, "test.after", NULL, NULL, NULL, &seq), 0);
	assert_int_equal(seq, rep.checked + 1);
	ledger_close(l);
}

static void test_kill9_right_after_append(void **state)
{
	kill9_run(1);
}

static void test_kill9_mid_stream(void **state)
{
	kill9_run(300);
}

static void test_reopen_keeps_schema(void **state)
{
	struct ledger *l = open_ledger();
	struct ledger_verify_report rep;
	int64_t seq;

	assert_int_equal(ledger_append1(l, "a.b", NULL, NULL, NULL, &seq), 0);
	ledger_close(l);
	l = open_ledger();
	assert_int_equal(ledger_append1(l, "a.b", NULL, NULL, NULL, &seq), 0);
	assert_int_equal(seq, 2);
	assert_int_equal(ledger_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 2);
	ledger_close(l);
}

static void test_not_a_database(void **state)
{
	struct ledger *l = NULL;

	assert_int_equal(fs_write_file(scratch, "this is not sqlite, just text that is long enough to be a header",
				       64, 0600), 0);
	assert_true(ledger_sqlite_open(scratch, &l) < 0);
	assert_null(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_chain_verify, setup, teardown),
		cmocka_unit_test(test_hash_definition),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_right_after_append, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_mid_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
