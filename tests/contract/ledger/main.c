/* The ledger contract suite: every case against every back end in the runtime's registry. */
#include "contract.h"
#include "util/err.h"
#include "util/fs.h"
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct ledger_backend *contract_backend;
char contract_url[4096];
static char scratch_dir[4096];

static const struct contract_hooks *const all_hooks[] = { &contract_hooks_sqlite };

const struct contract_hooks *contract_hooks_find(const char *scheme)
{
	size_t i;

	for (i = 0; i < sizeof(all_hooks) / sizeof(all_hooks[0]); i++)
		if (strcmp(all_hooks[i]->scheme, scheme) == 0)
			return all_hooks[i];
	return NULL;
}

int contract_setup(void **state)
{
	char name[64];

	(void)state;
	snprintf(name, sizeof(name), "contract-%s", contract_backend->scheme);
	if (scratch_make(scratch_dir, sizeof(scratch_dir), name) < 0)
		return -1;
	return contract_backend->scratch_url(scratch_dir, contract_url, sizeof(contract_url)) < 0 ? -1 : 0;
}

int contract_teardown(void **state)
{
	(void)state;
	fs_rm_rf(scratch_dir);
	return 0;
}

struct ledger *contract_open(void)
{
	struct ledger *l = NULL;

	if (ledger_open_url(contract_url, NULL, &l) < 0)
		fail_msg("open %s: %s", contract_url, err_msg());
	assert_non_null(l);
	return l;
}

int contract_collect(const struct ledger_event *ev, void *arg)
{
	struct collected *c = arg;

	if (c->n >= 64)
		return 1;
	c->seqs[c->n] = ev->seq;
	snprintf(c->topics[c->n], sizeof(c->topics[0]), "%s", ev->topic);
	snprintf(c->nodes[c->n], sizeof(c->nodes[0]), "%s", ev->node ? ev->node : "");
	snprintf(c->payloads[c->n], sizeof(c->payloads[0]), "%s", ev->payload);
	memcpy(c->hashes[c->n], ev->hash, sizeof(c->hashes[0]));
	memcpy(c->prevs[c->n], ev->prev_hash, sizeof(c->prevs[0]));
	c->n++;
	return 0;
}

int main(void)
{
	const struct ledger_backend *b;
	size_t i, n;
	int failed = 0;

	b = ledger_backends(&n);
	for (i = 0; i < n; i++) {
		char name[128];

		contract_backend = &b[i];
		if (!contract_hooks_find(b[i].scheme)) {
			fprintf(stderr, "ledger back end '%s' has no contract hooks (tests/contract/ledger/hooks_%s.c)\n",
				b[i].scheme, b[i].scheme);
			failed++;
			continue;
		}
		snprintf(name, sizeof(name), "ledger contract: %s", b[i].scheme);
		failed += _cmocka_run_group_tests(name, contract_chain_tests, contract_chain_ntests, NULL, NULL);
		snprintf(name, sizeof(name), "ledger contract, following: %s", b[i].scheme);
		failed += _cmocka_run_group_tests(name, contract_follow_tests, contract_follow_ntests, NULL, NULL);
	}
	return failed ? 1 : 0;
}
