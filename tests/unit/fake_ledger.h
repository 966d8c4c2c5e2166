/* A fake ledger for unit tests of use cases: keeps the first 128 events appended; scans nothing, or (replay) them. */
#ifndef CHIMERA_TESTS_FAKE_LEDGER_H
#define CHIMERA_TESTS_FAKE_LEDGER_H

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ports/ledger.h"

#define FAKE_LEDGER_MAX 128

struct fake_ledger {
	struct ledger base;
	pthread_mutex_t lock;
	int n;
	char topic[FAKE_LEDGER_MAX][32];
	char node[FAKE_LEDGER_MAX][64];
	char run[FAKE_LEDGER_MAX][32];		/* the deployment id, "" when none */
	json_t *payload[FAKE_LEDGER_MAX];
	int replay;				/* scans visit the events kept (topic, node, since, limit); else none */
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

/* Whether event I of FL passes F. */
static inline int fake_scan_match(const struct fake_ledger *fl, int i, const struct ledger_filter *f)
{
	size_t tn = f->topic ? strlen(f->topic) : 0;

	if (i + 1 <= f->since || (f->node && strcmp(f->node, fl->node[i]) != 0) ||
	    (f->deployment && strcmp(f->deployment, fl->run[i]) != 0))
		return 0;
	if (tn >= 2 && strcmp(f->topic + tn - 2, ".*") == 0)
		return strncmp(fl->topic[i], f->topic, tn - 1) == 0;
	return !f->topic || strcmp(fl->topic[i], f->topic) == 0;
}

static inline int fake_scan(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg)
{
	struct fake_ledger *fl = (struct fake_ledger *)l;
	int i, n, r = 0;
	int64_t seen = 0;

	pthread_mutex_lock(&fl->lock);
	n = fl->replay ? fl->n : 0;
	pthread_mutex_unlock(&fl->lock);
	for (i = 0; i < n && r == 0 && (!f->limit || seen < f->limit); i++) {
		struct ledger_event ev = { .seq = i + 1, .topic = fl->topic[i] };
		char *text;

		if (!fake_scan_match(fl, i, f))
			continue;
		ev.node = fl->node[i][0] ? fl->node[i] : NULL;
		ev.deployment = fl->run[i][0] ? fl->run[i] : NULL;
		assert_non_null(text = json_dumps(fl->payload[i], JSON_COMPACT | JSON_SORT_KEYS));
		ev.payload = text;
		seen++;
		r = fn(&ev, arg);
		free(text);
	}
	return r;
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
