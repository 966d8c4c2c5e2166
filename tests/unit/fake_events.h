/* Reading what a fake ledger (fake_ledger.h) recorded: topics in order, per node, and their payloads. */
#ifndef CHIMERA_TESTS_FAKE_EVENTS_H
#define CHIMERA_TESTS_FAKE_EVENTS_H

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fake_ledger.h"

/* True when event I is NODE's ("" or NULL: an event of no node). */
static inline int events_is_node(const struct fake_ledger *fl, int i, const char *node)
{
	return strcmp(fl->node[i], node ? node : "") == 0;
}

/* The topics of NODE's events ("": the run's own, of no node), in order, joined by ",". */
static inline const char *events_of(const struct fake_ledger *fl, const char *node, char *out, size_t len)
{
	size_t used = 0;
	int i;

	out[0] = 0;
	for (i = 0; i < fl->n; i++)
		if (events_is_node(fl, i, node) && used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "," : "", fl->topic[i]);
	return out;
}

/* Assert NODE's topics, in order, are WANT ("a,b,c"). */
#define assert_events(fl, node, want)                                                   \
	do {                                                                             \
		char events_buf_[2048];                                                  \
		assert_string_equal(events_of((fl), (node), events_buf_, sizeof(events_buf_)), (want)); \
	} while (0)

/* The payload of NODE's first event of TOPIC (NODE NULL: any node's), or NULL. */
static inline json_t *events_payload(const struct fake_ledger *fl, const char *topic, const char *node)
{
	int i;

	for (i = 0; i < fl->n; i++)
		if (strcmp(fl->topic[i], topic) == 0 && (!node || events_is_node(fl, i, node)))
			return fl->payload[i];
	return NULL;
}

/* How many events of TOPIC there are. */
static inline int events_count(const struct fake_ledger *fl, const char *topic)
{
	int i, n = 0;

	for (i = 0; i < fl->n; i++)
		n += strcmp(fl->topic[i], topic) == 0;
	return n;
}

/* The string field KEY of P, failing the test when P or the field is missing. */
static inline const char *events_str(const json_t *p, const char *key)
{
	const char *s = p ? json_string_value(json_object_get(p, key)) : NULL;

	if (!s)
		fail_msg("the event has no string '%s'", key);
	return s ? s : "";
}

/* The integer field KEY of P, failing the test when P or the field is missing. */
static inline long long events_int(const json_t *p, const char *key)
{
	const json_t *v = p ? json_object_get(p, key) : NULL;

	if (!json_is_integer(v))
		fail_msg("the event has no integer '%s'", key);
	return (long long)json_integer_value(v);
}

/* Every event recorded under the deployment ID. */
static inline void assert_events_under(const struct fake_ledger *fl, const char *id)
{
	int i;

	for (i = 0; i < fl->n; i++)
		if (strcmp(fl->run[i], id) != 0)
			fail_msg("event %d (%s) is under '%s', expected '%s'", i, fl->topic[i], fl->run[i], id);
}

#endif
