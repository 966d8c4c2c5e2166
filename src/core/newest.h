/* The newest event per node among a stream of (node, seq): what a ledger without projections answers `latest` with. */
#ifndef CHIMERA_CORE_NEWEST_H
#define CHIMERA_CORE_NEWEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One (node, seq) seen. */
struct newest_seen {
	char *node;
	int64_t seq;
};

/* Zero it to start; newest_release frees what it holds. */
struct newest {
	struct newest_seen *v;
	size_t n, cap;
	int64_t *keep;		/* after newest_finish: the newest seq per node, ascending */
	size_t nkeep;
};

/* Note that NODE has an event SEQ (NODE is copied). Returns 0 or ERR_NOMEM, NW unchanged then. */
int newest_add(struct newest *nw, const char *node, int64_t seq);

/* Pick the newest seq per node from what was added. Returns 0 or ERR_NOMEM. */
int newest_finish(struct newest *nw);

/* After newest_finish: whether SEQ is the newest event of its node. */
bool newest_keeps(const struct newest *nw, int64_t seq);

/* The smallest seq kept, or 0 when none. */
int64_t newest_first(const struct newest *nw);

void newest_release(struct newest *nw);

#endif
