/*
 * Signed checkpoints and the ledger's trust checks: the text form, the decorator the world
 * opens (checkpoint at close, sidecar, head check, appends refused), and verify's kinds,
 * each made by tampering with the SQLite file behind chimera's back.
 */
#include "check.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "app/ledger/trust_verify.h"
#include "app/ledger/trusted.h"
#include "app/ledger/witness.h"
#include "core/checkpoint.h"
#include "runtime/world.h"

static char dir[4096], db[4200], sidecar[4300];

static int setup(void **state)
{
	(void)state;
	if (scratch_make(dir, sizeof(dir), "trust") < 0)
		return -1;
	snprintf(db, sizeof(db), "%s/chimera.db", dir);
	snprintf(sidecar, sizeof(sidecar), "%s/chimera.db.checkpoint", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fs_rm_rf(dir);
	return 0;
}

static struct ledger *open_world(void)
{
	struct world_options o = { .state_dir = dir };
	struct ledger *l = NULL;
	struct world w;

	world_init(&w, &o);
	if (world_open_ledger(&w, &l) < 0)
		fail_msg("open: %s", err_msg());
	world_close(&w);
	return l;
}

/* N events in one handle's life: the close records a checkpoint. */
static void history(int n)
{
	struct ledger *l = open_world();

	while (n-- > 0)
		assert_int_equal(ledger_append1(l, "test.event", NULL, "root@h:22", "{\"n\":1}", NULL), 0);
	ledger_close(l);
}

static void sql(const char *s)
{
	sqlite3 *h;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	if (sqlite3_exec(h, s, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", s, msg);
	sqlite3_close(h);
}

/* Verify a fresh handle; the first finding's kind, and whether an append is refused. */
static enum ledger_kind judge(int *refused)
{
	struct trust_verify_report rep;
	struct ledger *l = open_world();
	enum ledger_kind k;

	assert_int_equal(trust_verify(l, &rep), 0);
	k = rep.nfindings ? rep.findings[0].kind : LEDGER_OK;
	*refused = ledger_append1(l, "test.after", NULL, NULL, NULL, NULL) == ERR_CORRUPT;
	ledger_close(l);
	return k;
}

static void test_text_round_trip(void **state)
{
	struct checkpoint cp = { .seq = 42 }, back;
	struct buf b = BUF_INIT(0);

	(void)state;
	memset(cp.hash, 'a', 64);
	memcpy(cp.key_id, "0123456789abcdef", 17);
	memset(cp.sig, 'b', 128);
	snprintf(cp.host, sizeof(cp.host), "ctl-1");
	snprintf(cp.time, sizeof(cp.time), "2026-01-02T03:04:05.678Z");
	assert_int_equal(checkpoint_format(&cp, &b), 0);
	assert_int_equal(checkpoint_parse(b.data, b.len, "t", &back), 0);
	assert_memory_equal(&cp, &back, sizeof(cp));
	/* The signed bytes are the text without the sig line. */
	buf_reset(&b);
	assert_int_equal(checkpoint_message(&cp, &b), 0);
	assert_null(strstr(b.data, "sig "));
	assert_non_null(strstr(b.data, "seq 42\n"));
	buf_release(&b);
	assert_int_equal(checkpoint_parse(LIT("chimera-checkpoint v1\nseq 1\nseq 2\n"), "w", &back), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "given twice"));
	assert_int_equal(checkpoint_parse(LIT("chimera-checkpoint v1\nseq 1\n"), "w", &back), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "no 'hash' line"));
	assert_int_equal(checkpoint_parse(LIT("chimera-witness none\n"), "w", &back), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "line 1"));
}

static void test_checkpoint_at_close_and_sidecar(void **state)
{
	struct trust_verify_report rep;
	struct ledger_finding f;
	struct checkpoint cp;
	struct ledger *l;
	int present = 0;

	(void)state;
	history(5);
	l = open_world();
	ledger_health(l, &f);
	assert_int_equal(f.kind, LEDGER_OK);
	assert_int_equal(l->trust->sealed(l, &cp, &present), 0);
	assert_int_equal(present, 1);
	assert_int_equal(cp.seq, 5);	/* the head before the checkpoint event (seq 6) */
	assert_int_equal(l->trust->check(l, &cp), 0);
	cp.seq = 4;	/* the signature covers the seq */
	assert_int_equal(l->trust->check(l, &cp), ERR_CORRUPT);
	assert_int_equal(trust_verify(l, &rep), 0);
	assert_int_equal(rep.nfindings, 0);
	assert_int_equal(rep.checked, 6);
	assert_int_equal(rep.checkpoints, 1);
	assert_int_equal(rep.sealed, 5);
	ledger_close(l);
	/* A handle that appended nothing records nothing. */
	l = open_world();
	ledger_close(l);
	l = open_world();
	assert_int_equal(trust_verify(l, &rep), 0);
	assert_int_equal(rep.checked, 6);
	ledger_close(l);
}

static void test_every_n_events(void **state)
{
	struct trust_verify_report rep;
	struct ledger *l;
	int i;

	(void)state;
	l = open_world();
	for (i = 0; i < CHECKPOINT_EVERY + 10; i++)
		assert_int_equal(ledger_append1(l, "test.long", NULL, NULL, NULL, NULL), 0);
	ledger_close(l);
	l = open_world();
	assert_int_equal(trust_verify(l, &rep), 0);
	assert_int_equal(rep.nfindings, 0);
	assert_int_equal(rep.checkpoints, 2);	/* at the 1000th event and at close */
	ledger_close(l);
}

static void test_changed(void **state)
{
	int refused;

	(void)state;
	history(5);
	sql("DROP TRIGGER events_no_update; UPDATE events SET payload='{\"n\":2}' WHERE seq=3");
	assert_int_equal(judge(&refused), LEDGER_CHANGED);
	assert_int_equal(refused, 0);	/* the head check reads the head only: event 3 is verify's */
}

static void test_removed_and_reordered(void **state)
{
	int refused;

	(void)state;
	history(5);
	sql("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq=2");
	assert_int_equal(judge(&refused), LEDGER_REMOVED);
	teardown(NULL);
	setup(NULL);
	history(5);
	sql("DROP TRIGGER events_no_update; UPDATE events SET seq=-1 WHERE seq=2; UPDATE events SET seq=2 WHERE seq=4;"
	    "UPDATE events SET seq=4 WHERE seq=-1");
	/* Swapped rows: event 2 now holds one whose prev_hash links elsewhere. */
	assert_int_equal(judge(&refused), LEDGER_REMOVED);
}

static void test_truncated(void **state)
{
	struct trust_verify_report rep;
	struct ledger *l;
	int refused;

	(void)state;
	history(20);
	sql("DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq > 11");
	assert_int_equal(judge(&refused), LEDGER_TRUNCATED);
	assert_int_equal(refused, 1);
	l = open_world();
	assert_int_equal(trust_verify(l, &rep), 0);
	assert_non_null(strstr(rep.findings[0].message, "the 9 events after seq 11 are missing: checkpoint at seq 20"));
	ledger_close(l);
}

/* Rewrite event SEQ's payload and recompute the chain from it on, as an attacker without the key would. */
static void rechain(int seq)
{
	char q[512];
	sqlite3 *h;
	sqlite3_stmt *st;
	char prev[SHA3_256_HEX];

	sql("DROP TRIGGER events_no_update");
	snprintf(q, sizeof(q), "UPDATE events SET payload='{\"evil\":1}' WHERE seq=%d", seq);
	sql(q);
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "SELECT seq, time, topic, deployment, node, payload, prev_hash FROM events"
					   " ORDER BY seq", -1, &st, NULL), SQLITE_OK);
	memcpy(prev, chain_genesis_hash, SHA3_256_HEX);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct ledger_event ev = { .seq = sqlite3_column_int64(st, 0) };
		char up[512];

		snprintf(ev.time, sizeof(ev.time), "%s", (const char *)sqlite3_column_text(st, 1));
		ev.topic = (const char *)sqlite3_column_text(st, 2);
		ev.deployment = (const char *)sqlite3_column_text(st, 3);
		ev.node = (const char *)sqlite3_column_text(st, 4);
		ev.payload = (const char *)sqlite3_column_text(st, 5);
		memcpy(ev.prev_hash, prev, SHA3_256_HEX);
		assert_int_equal(chain_event_hash(&ev, ev.hash), 0);
		snprintf(up, sizeof(up), "UPDATE events SET prev_hash='%s', hash='%s' WHERE seq=%lld", prev, ev.hash,
			 (long long)ev.seq);
		assert_int_equal(sqlite3_exec(h, up, NULL, NULL, NULL), SQLITE_OK);
		memcpy(prev, ev.hash, SHA3_256_HEX);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
}

static void test_rewritten(void **state)
{
	int refused;

	(void)state;
	history(10);
	rechain(4);
	assert_int_equal(judge(&refused), LEDGER_REWRITTEN);
	assert_int_equal(refused, 1);
}

static void test_bad_signature_and_unsealed(void **state)
{
	struct buf text = BUF_INIT(0);
	char *sig;
	int refused;

	(void)state;
	history(3);
	assert_int_equal(fs_read_file(sidecar, &text), 0);
	assert_non_null(sig = strstr(text.data, "\nsig "));
	sig[5] = sig[5] == '0' ? '1' : '0';
	assert_int_equal(fs_write_file(sidecar, text.data, text.len, 0600), 0);
	buf_release(&text);
	assert_int_equal(judge(&refused), LEDGER_BAD_SIGNATURE);
	assert_int_equal(refused, 1);
	unlink(sidecar);
	assert_int_equal(judge(&refused), LEDGER_UNSEALED);
	assert_int_equal(refused, 1);
	{
		struct ledger *l = open_world();
		struct checkpoint cp;

		assert_int_equal(trusted_ledger_seal(l, &cp), 0);
		assert_int_equal(cp.seq, 4);
		ledger_close(l);
	}
	assert_int_equal(judge(&refused), LEDGER_OK);
	assert_int_equal(refused, 0);
}

static void test_corrupt(void **state)
{
	char junk[4096];
	FILE *f;
	int refused;

	(void)state;
	history(3);
	memset(junk, 0xa5, sizeof(junk));
	assert_non_null(f = fopen(db, "r+"));
	assert_int_equal(fseek(f, 4096, SEEK_SET), 0);	/* page 2: the events table's root */
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	fclose(f);
	assert_int_equal(judge(&refused), LEDGER_CORRUPT);
	assert_int_equal(refused, 1);
}

static void test_witness_text(void **state)
{
	struct buf text = BUF_INIT(0);
	struct checkpoint cp;
	struct ledger *l;
	char have[SHA3_256_HEX];

	(void)state;
	history(2);
	l = open_world();
	assert_int_equal(witness_text(l, &text), 0);
	assert_int_equal(checkpoint_parse(text.data, text.len, "witness", &cp), 0);
	assert_int_equal(cp.seq, 3);	/* the head now: the checkpoint event itself */
	assert_int_equal(l->trust->check(l, &cp), 0);
	assert_int_equal(checkpoint_accounted(l, &cp, have), 1);
	cp.hash[0] = cp.hash[0] == 'a' ? 'b' : 'a';
	assert_int_equal(checkpoint_accounted(l, &cp, have), 0);
	cp.seq = 99;
	assert_int_equal(checkpoint_accounted(l, &cp, have), 0);
	assert_string_equal(have, "none");
	buf_release(&text);
	ledger_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_round_trip),
		cmocka_unit_test_setup_teardown(test_checkpoint_at_close_and_sidecar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_n_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_and_reordered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rewritten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_signature_and_unsealed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_witness_text, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
