/* The event topic catalog: every topic the ledger takes, with its payload version, meaning and fields. */
#ifndef CHIMERA_CORE_TOPICS_H
#define CHIMERA_CORE_TOPICS_H

#include <stddef.h>

#include "util/buf.h"

/*
 * One row. NAME is an exact topic, or a namespace ending in ".*" that takes every
 * well-formed topic under it (only "test.*", for events appended by hand). VERSION is
 * the payload's version: it changes (with a new row of docs/events.md) whenever a field
 * changes meaning or goes away; adding a field keeps it. Each FIELDS entry is the field's
 * name, then optionally a space and a note; the list ends with NULL.
 */
struct topic {
	const char *name;
	int version;
	const char *meaning;
	const char *const *fields;
};

/* The catalog, sorted by name; *N is set to its length. Static; never NULL. */
const struct topic *topics_all(size_t *n);

/* The row that takes NAME (exact, or its namespace), or NULL. NAME may be NULL. */
const struct topic *topics_find(const char *name);

/*
 * Whether an event of topic NAME may be appended. Returns 0, or ERR_INVALID: "bad topic
 * 'X': ..." when NAME is not shaped like a topic, "unknown topic 'X': ..." when it is but
 * no row of the catalog takes it.
 */
int topics_check(const char *name);

/*
 * Append the catalog as the Markdown table docs/events.md holds between its
 * "<!-- topics:begin -->" and "<!-- topics:end -->" lines (the markers not included).
 * Returns 0 or ERR_NOMEM (OUT then holds part of it; the caller owns OUT either way).
 */
int topics_markdown(struct buf *out);

#endif
