/* The ledger contract suite's shared pieces: the back end under test, a scratch ledger, and each back end's test hooks. */
#ifndef CHIMERA_TESTS_CONTRACT_LEDGER_CONTRACT_H
#define CHIMERA_TESTS_CONTRACT_LEDGER_CONTRACT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "runtime/ledger_open.h"

/*
 * What the suite needs from a back end beyond the port: whether it promises to refuse
 * rewriting stored events, and the tries of such a rewrite through its own tools (each
 * returns 1 when the back end refused, 0 when the change went through).
 */
struct contract_hooks {
	const char *scheme;
	int append_only;	/* promises to refuse UPDATE and DELETE of stored events */
	int (*try_update)(const char *url, int64_t seq);
	int (*try_delete)(const char *url, int64_t seq);
};

/* The hooks of SCHEME, or NULL when its back end has none (the suite then fails). */
const struct contract_hooks *contract_hooks_find(const char *scheme);

/* The back end the tests run against, and a fresh URL for each test (set by setup). */
extern const struct ledger_backend *contract_backend;
extern char contract_url[4096];

/* Open contract_url; fails the test when it cannot. */
struct ledger *contract_open(void);

/* Events as a scan saw them. */
struct collected {
	int n;
	int64_t seqs[64];
	char topics[64][64];
	char nodes[64][64];
	char payloads[64][256];
	char hashes[64][65];
	char prevs[64][65];
};

/* A ledger_event_fn that copies into a struct collected (stops past 64). */
int contract_collect(const struct ledger_event *ev, void *arg);

int contract_setup(void **state);
int contract_teardown(void **state);

/* Every back end's hooks (hooks_*.c). */
extern const struct contract_hooks contract_hooks_sqlite;

/* The cases, by file: the tables and their lengths. */
extern const struct CMUnitTest contract_chain_tests[];
extern const size_t contract_chain_ntests;
extern const struct CMUnitTest contract_follow_tests[];
extern const size_t contract_follow_ntests;

#endif
