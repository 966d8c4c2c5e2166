/* The chain rule (core/chain.c) and what only the SQLite back end does; the port-level cases are in tests/contract/ledger. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <sqlite3.h>
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
	memcpy(ev.prev_hash, chain_genesis_hash, SHA3_256_HEX);
	assert_int_equal(chain_canonical(&ev, &canon), 0);
	assert_string_equal(canon.data, "{\"deployment\":null,\"node\":\"root@h:22\",\"payload\":{\"a\":\"x\\\"y\"},"
					"\"seq\":7,\"time\":\"2026-11-22T19:45:01.123Z\",\"topic\":\"node.exec\"}");
	assert_int_equal(chain_event_hash(&ev, hash), 0);
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
	assert_int_equal(chain_event_hash(&ev, hex), 0);
	assert_string_not_equal(hash, hex);
	buf_release(&canon);
}

/* Build a chain of N events by the chain rule alone. */
static void make_chain(struct ledger_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		memset(&evs[i], 0, sizeof(evs[i]));
		evs[i].seq = (int64_t)i + 1;
		snprintf(evs[i].time, sizeof(evs[i].time), "2026-11-22T19:45:0%zu.000Z", i);
		evs[i].topic = "test.walk";
		evs[i].payload = "{}";
		memcpy(evs[i].prev_hash, i ? evs[i - 1].hash : chain_genesis_hash, SHA3_256_HEX);
		assert_int_equal(chain_event_hash(&evs[i], evs[i].hash), 0);
	}
}

/* Feed EVS[ORDER[i]] to a verify walk; returns the report's broken_seq. */
static int64_t walk(const struct ledger_event *evs, const int *order, size_t n, struct ledger_verify_report *rep)
{
	struct chain_verify cv;
	size_t i;

	chain_verify_begin(&cv, rep);
	for (i = 0; i < n; i++)
		if (chain_verify_next(&cv, &evs[order[i]]))
			break;
	return rep->broken_seq;
}

static void test_verify_walk(void **state)
{
	struct ledger_event evs[4];
	struct ledger_verify_report rep;
	static const int in_order[] = { 0, 1, 2, 3 }, gap[] = { 0, 2, 3 }, swapped[] = { 0, 2, 1, 3 };

	(void)state;
	make_chain(evs, 4);
	assert_int_equal(walk(evs, in_order, 4, &rep), 0);
	assert_int_equal(rep.checked, 4);
	assert_int_equal(walk(evs, gap, 3, &rep), 2);
	assert_non_null(strstr(rep.reason, "event missing"));
	assert_int_equal(walk(evs, swapped, 4, &rep), 2);
	evs[2].payload = "{\"evil\":1}";
	assert_int_equal(walk(evs, in_order, 4, &rep), 3);
	assert_string_equal(rep.reason, "hash does not match the event's contents");
	assert_int_equal(rep.checked, 2);
	make_chain(evs, 4);
	evs[1].prev_hash[0] = evs[1].prev_hash[0] == 'a' ? 'b' : 'a';
	assert_int_equal(walk(evs, in_order, 4, &rep), 2);
	assert_non_null(strstr(rep.reason, "prev_hash"));
}

/* Ask SQL of the database directly: the first column of its first row, as text. */
static void query(const char *sql, char *out, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_open(scratch, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* The database is in WAL mode at the newest schema, and a newer schema is refused, not misread. */
static void test_wal_and_schema(void **state)
{
	struct ledger *l = open_ledger();
	char got[64];
	sqlite3 *db = NULL;

	(void)state;
	assert_int_equal(ledger_append1(l, "test.schema", NULL, NULL, NULL, NULL), 0);
	ledger_close(l);
	query("PRAGMA journal_mode", got, sizeof(got));
	assert_string_equal(got, "wal");
	query("PRAGMA user_version", got, sizeof(got));
	assert_string_equal(got, "3");
	assert_int_equal(sqlite3_open(scratch, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	l = NULL;
	assert_int_equal(ledger_sqlite_open(scratch, &l), ERR_UNSUPPORTED);
	assert_null(l);
	assert_non_null(strstr(err_msg(), "newer"));
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
		cmocka_unit_test(test_hash_definition),
		cmocka_unit_test(test_verify_walk),
		cmocka_unit_test_setup_teardown(test_wal_and_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
