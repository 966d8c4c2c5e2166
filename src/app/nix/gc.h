/*
 * Use case: `chimera nix gc`: on each node (or the controller, the target local), delete the
 * profile generations that are old and not needed, then collect the store's garbage.
 */
#ifndef CHIMERA_APP_NIX_GC_H
#define CHIMERA_APP_NIX_GC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/fleet/fleet.h"
#include "core/gc_plan.h"
#include "core/ids.h"

struct gc_opts {
	const char *profile;		/* the profile, unless a machine has its own */
	int64_t older_than_s;		/* generations made before now minus this may go; negative: any age */
	const char *older_than;		/* as given, for the report; NULL when not given */
	uint32_t keep;			/* the newest this many always stay (1 to GC_KEEP_MAX) */
	bool dry_run;			/* change nothing: say what would go and what it would free */
};

/* Where a node's freed bytes come from. */
enum gc_measure {
	GC_MEASURE_NONE,	/* not known */
	GC_MEASURE_DU,		/* du of the dead paths, measured on the node before they were deleted */
	GC_MEASURE_NIX,		/* Nix's own summary (file sizes, to 0.01 MiB): du was not there */
};

struct gc_node {
	struct target target;
	char name[TARGET_FORMAT_MAX];
	char profile[PROFILE_PATH_MAX + 1];
	bool ok;
	uint32_t current;		/* the profile's generation, 0 when unknown or none */
	struct gc_plan plan;		/* every generation with its verdict: why 0 went (or would go) */
	bool deleted;			/* the generations were deleted (never in a dry run) */
	bool collected;			/* the collector ran to its end (never in a dry run) */
	enum gc_measure measure;
	uint64_t freed_bytes;		/* freed (a dry run: would free), as MEASURE says */
	bool nix_known;
	uint64_t nix_freed_bytes;	/* Nix's own figure, when it printed one */
	bool paths_known;
	uint64_t paths_removed;		/* store paths deleted (a dry run: would be) */
	size_t switches;		/* armed dead-man switches found, left armed */
	char warning[GEN_WARNING_MAX];	/* malformed generation links skipped, "" when none */
	struct fleet_failure fail;	/* step set when the node failed */
	int64_t ms;
};

struct gc_report {
	char id[DEPLOYMENT_ID_LEN + 1];	/* the events' deployment column */
	char profile[PROFILE_PATH_MAX + 1];
	bool dry_run;
	int64_t older_than_s;
	char older_than[32];		/* "" when not given */
	uint32_t keep;
	struct gc_node *nodes;		/* in target order; owned */
	size_t n, ok, failed;
	size_t generations_deleted;	/* over every node (a dry run: would be) */
	uint64_t freed_bytes, paths_removed;
	int64_t ms;
	int ledger_err;
	char ledger_msg[256];
};

/*
 * Collect garbage on every target at once (at most F->parallel), each under its lease (not
 * in a dry run, which changes nothing and takes none): a node another operation holds past
 * F->lock_wait_s fails at step "lease" naming the holder and is not touched. Per node: one
 * probe (the node's clock, its generations, its dead-man switches), the plan
 * (core/gc_plan.h: the current one, the newest O->keep, those not older than O->older_than_s,
 * the generation an armed dead-man switch goes back to, and what a running watch or a
 * rollback in progress needs, read from the ledger once before), then one command that
 * deletes the planned generations, measures what is dead and collects (remote/gc.h), or
 * in a dry run measures what would be. Armed switches are left armed; fired ones are
 * recorded as deadman_notice does. Records nix.gc.completed per node, failed ones too.
 * REP is filled (release it) even when nodes fail; returns an error only when nothing
 * could start (a bad profile, the ledger).
 */
int gc_run(const struct fleet *f, const struct target_list *targets, const struct gc_opts *o, struct gc_report *rep);

void gc_report_release(struct gc_report *rep);

/* REP as `chimera nix gc --json` prints it. The caller frees the text; NULL when out of memory. */
char *gc_report_json(const struct gc_report *rep);

/*
 * Node N of REP as one JSON object (a new reference, NULL when out of memory): what the
 * report's "nodes" hold and what nix.gc.completed records (node, profile, ok, dry_run,
 * generations_deleted and generations_kept as numbers, deleted and kept with their times,
 * paths and, for kept ones, why and by whom, freed_bytes, measure, nix_freed_bytes,
 * paths_removed, switches, warning, step, error, ms).
 */
struct json_t;
struct json_t *gc_node_json(const struct gc_report *rep, const struct gc_node *n);

#endif
