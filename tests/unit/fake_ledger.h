/* A fake ledger for unit tests of use cases: keeps the first 64 events appended, scans nothing. */
#ifndef CHIMERA_TESTS_FAKE_LEDGER_H
#define CHIMERA_TESTS_FAKE_LEDGER_H

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ports/ledger.h"

#define FAKE_LEDGER_MAX 64

struct fake_ledger {
	struct ledger base;
	pthread_mutex_t lock;
	int n;
	char topic[FAKE_LEDGER_MAX][32];
	char node[FAKE_LEDGER_MAX][64];
	char run[FAKE_LEDGER_MAX][32];		/* the deployment id, "" when none */
	json_t *payload[FAKE_LEDGER_MAX];
};

static inline int fake_append(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last)
{
	struct fake_ledger *fl = (struct fake_ledger *)l;
	size_t i;

	pthread_mutex_lock(&fl->lock);
	for (i = 0; i < n && fl->n < FAKE_LEDGER_MAX; i++) {
		snprintf(fl->topic[fl->n], sizeof(fl->topic[0]), "%s", evs[i].topic);
		snprintf(fl->node[fl->n], sizeof(fl->node[0]), "%s", evs[i].node ? evs[i].node : "");
		snprintf(fl->run[fl->n], sizeof(fl->run[0]), "%s", evs[i].deployment ? evs[i].deployment : "");
		fl->payload[fl->n] = json_loads(evs[i].payload ? evs[i].payload : "{}", 0, NULL);
		assert_non_null(fl->payload[fl->n]);
		fl->n++;
	}
	if (last)
		*last = fl->n;
	pthread_mutex_unlock(&fl->lock);
	return 0;
}

static inline int fake_scan(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg)
{
	(void)l, (void)f, (void)fn, (void)arg;
	return 0;
}

static inline void fake_ledger_close(struct ledger *l)
{
	(void)l;
}

static const struct ledger_ops fake_ledger_ops = {
	.name = "fake", .append = fake_append, .scan = fake_scan, .close = fake_ledger_close,
};

static inline void fake_ledger_init(struct fake_ledger *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->base.ops = &fake_ledger_ops;
	pthread_mutex_init(&fl->lock, NULL);
}

static inline void fake_ledger_release(struct fake_ledger *fl)
{
	int i;

	for (i = 0; i < fl->n; i++)
		json_decref(fl->payload[i]);
	pthread_mutex_destroy(&fl->lock);
}

#endif
