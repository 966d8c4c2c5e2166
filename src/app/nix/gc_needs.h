/*
 * What other operations need kept, read from the ledger before a garbage collection: the
 * paths a running watch keeps its nodes on, and the generations a rollback in progress
 * goes to. Nodes are named as events name them (fleet_node_name).
 */
#ifndef CHIMERA_APP_NIX_GC_NEEDS_H
#define CHIMERA_APP_NIX_GC_NEEDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/chain.h"
#include "core/gc_plan.h"
#include "core/target.h"
#include "ports/ledger.h"

/*
 * A watch counts as running when it has no watch.stopped and its last watch.* event is at
 * most this long plus three of its intervals old: a round that heals for minutes records
 * nothing meanwhile, and a watch killed with -9 records no stop.
 */
#define GC_WATCH_GRACE_MS (15 * 60 * 1000)

/* One thing a node needs kept: as core/gc_plan.h's struct gc_protect, with its own strings. */
struct gc_need {
	char node[TARGET_FORMAT_MAX];
	unsigned why;			/* GC_WHY_WATCH or GC_WHY_ROLLBACK */
	uint32_t gen;			/* 0: none by number */
	bool previous;			/* the generation before the node's current one */
	char path[STOREPATH_MAX];	/* "": none by path */
	char by[DEPLOYMENT_ID_LEN + 1];	/* the watch's or the rollback's id */
};

struct gc_needs {
	struct gc_need *items;	/* owned */
	size_t n, cap;
};

/* The fold of events into needs, fed one event at a time (opaque). */
struct gc_fold;

/* A new fold, or NULL when out of memory. */
struct gc_fold *gc_fold_new(void);
void gc_fold_free(struct gc_fold *fd);

/*
 * Take EV into FD: watch.* events (watch.started, watch.config.changed, watch.stopped, and
 * any other for the watch's last sign of life, by the event's time), a rollback's
 * chimera.rollback.triggered and chimera.rollback.complete (those with no node and a
 * "nodes" list: chimera rollback's and a pipeline's), deploy.interrupted (a rollback that
 * died), and each node's node.deploy.complete and node.rollback.complete (what it was on
 * before its last change). Other events are ignored. Returns 0 or ERR_NOMEM.
 */
int gc_fold_event(struct gc_fold *fd, const struct ledger_event *ev);

/*
 * The needs FD found, at NOW_MS (epoch ms), into OUT (cleared first; release it): per node
 * of each running watch, every path of its configurations; per node of each rollback in
 * progress, its generation, or when it named none (the one before the current, or a
 * pipeline's "where each was"), the previous generation and every generation on the path
 * the node's last node.deploy.complete (previous) or node.rollback.complete (from_path)
 * says it was on before. Returns 0 or ERR_NOMEM.
 */
int gc_fold_finish(struct gc_fold *fd, int64_t now_ms, struct gc_needs *out);

/*
 * Read L's events into OUT through a fold: the watch.*, chimera.rollback.* and
 * deploy.interrupted events, then, only when a rollback is in progress, each node's newest
 * node.deploy.complete and node.rollback.complete. L may be NULL (no needs). Returns 0,
 * or the ledger's error or ERR_NOMEM (OUT then empty).
 */
int gc_needs_read(struct ledger *l, int64_t now_ms, struct gc_needs *out);

void gc_needs_release(struct gc_needs *n);

#endif
