/*
 * The Nix domain's projections, folded from the ledger's nix.* events: the flakes chimera
 * made or locked (directory, template, each direct input's locked object), the builds
 * (installable, attribute, path, time), and the garbage collections per node. One JSON
 * document holds all three and the seq of the last event folded into it:
 *   {"seq": N,
 *    "flakes": {DIR: {"dir", "template", "created", "updated", "seq", "inputs": {NAME: LOCKED}}},
 *    "builds": [{"seq", "time", "installable", "attr", "path", "ms", "out_link"}, ...],
 *    "gc": {NODE: [{"seq", "time", "gc", "profile", "ok", "dry_run", "generations_deleted",
 *                   "generations_kept", "freed_bytes", "paths_removed"}, ...]}}
 * The live one is kept in STATE/projections/nix.json and brought up to date (the events
 * after its seq folded in) by every chimera nix command; a rebuild folds every nix.* event
 * from the first. Both fold the same way, so they must be equal (docs/nix.md).
 */
#ifndef CHIMERA_APP_NIX_PROJECTION_H
#define CHIMERA_APP_NIX_PROJECTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ports/ledger.h"

#define NIX_PROJ_BUILDS_MAX 10000	/* builds kept (the newest) */
#define NIX_PROJ_GC_MAX 1000		/* collections kept per node (the newest) */

/* An empty projection (seq 0), or NULL when out of memory. */
json_t *nix_proj_new(void);

/*
 * Fold one event into P (a nix.* event; others are ignored, as is one whose payload lacks
 * what it should have, which is counted in P's "skipped"). Returns 0 or ERR_NOMEM.
 */
int nix_proj_fold(json_t *p, const struct ledger_event *ev);

/* Fold the nix.* events after P's seq from L into P. Returns 0 or the ledger's error. */
int nix_proj_catch_up(json_t *p, struct ledger *l);

/* Every nix.* event of L folded into a new projection (*OUT). Returns 0 or an error. */
int nix_proj_rebuild(struct ledger *l, json_t **out);

/*
 * The live projection of STATE_DIR read (a missing file is an empty projection; one that
 * does not read as a projection is an error naming it, ERR_CORRUPT), caught up with L and
 * written back (when it moved; a state dir that cannot be written only costs the next
 * reader the same folding). Returns 0 with *OUT, or an error.
 */
int nix_proj_live(const char *state_dir, struct ledger *l, json_t **out);

/* Replace the live projection of STATE_DIR with P. Returns 0 or ERR_IO. */
int nix_proj_save(const char *state_dir, const json_t *p);

/*
 * `chimera nix projections`: the live projection of STATE_DIR against one rebuilt from every
 * nix.* event of L; with REBUILD the rebuilt one is made live instead. *OUT gets
 * {"equal", "rebuilt", "seq", "flakes", "builds", "gc_nodes", "skipped"} (the rebuilt one's
 * figures; equal is true after a rebuild), or NULL on an error (returned).
 */
int nix_proj_check(const char *state_dir, struct ledger *l, bool rebuild, json_t **out);

/*
 * The views, one JSON schema for `chimera nix flakes|builds|gc-history --json` and the API:
 *   {"seq", "flakes": [flake, ...]}             DIR: that flake only (NULL: all)
 *   {"seq", "total", "builds": [build, ...]}    the newest LIMIT (0: all), oldest first
 *   {"seq", "gc": {NODE: [run, ...]}}           NODE only (NULL: all), the newest LIMIT each
 * NULL when out of memory.
 */
json_t *nix_proj_flakes_json(const json_t *p, const char *dir);
json_t *nix_proj_builds_json(const json_t *p, size_t limit);
json_t *nix_proj_gc_json(const json_t *p, const char *node, size_t limit);

#endif
