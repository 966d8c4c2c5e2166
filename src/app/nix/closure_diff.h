/*
 * The difference between two closures, grouped by package name (what users reach for nvd
 * to do): packages added, removed, changed version, or rebuilt at the same version, with
 * each path's NAR size, per-package sizes and the totals. Pure: no I/O.
 */
#ifndef CHIMERA_APP_NIX_CLOSURE_DIFF_H
#define CHIMERA_APP_NIX_CLOSURE_DIFF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/storepath.h"
#include "ports/nix.h"

/*
 * A store path's name split as Nix splits a derivation name (builtins.parseDrvName): the
 * version starts after the first '-' that is followed by a character other than a letter
 * ("hello-2.12.1": hello, 2.12.1; "nixos-system-web1-24.05": nixos-system-web1, 24.05;
 * "source": source, no version). NAME_LEN bytes of the name start the text; the version is
 * what follows at VERSION ("" when none).
 */
struct closure_name {
	size_t name_len;
	const char *version;
};

/*
 * Split the LEN bytes at S: a store path (its name after the hash is split) or a bare name.
 * OUT->version points into S. Returns 0, or ERR_INVALID quoting S when it is a string that
 * starts with "/nix/store/" but is not a valid store path, or is empty.
 */
int closure_name_split(const char *s, size_t len, struct closure_name *out);

/* Order two versions as Nix's compareVersions does: < 0, 0 or > 0. */
int closure_version_cmp(const char *a, const char *b);

enum closure_change {
	CLOSURE_CHANGED,	/* in both, with other versions */
	CLOSURE_ADDED,		/* only in B */
	CLOSURE_REMOVED,	/* only in A */
	CLOSURE_REBUILT,	/* in both at the same versions, with other store paths */
	CLOSURE_CHANGE_COUNT,
};

/* "changed", "added", "removed", "rebuilt". */
const char *closure_change_name(enum closure_change c);

/* One path of a package, on one side. */
struct closure_path {
	char path[STOREPATH_MAX];
	uint16_t version_at;	/* where its version starts in PATH; 0: it has none */
	bool shared;		/* the other closure holds it too */
	uint64_t nar_size;
};

/* A package (a name) whose paths differ between the closures. */
struct closure_pkg {
	char name[STOREPATH_NAME_MAX + 1];
	enum closure_change change;
	struct closure_path *a, *b;	/* its paths in A and in B, by version then path; owned */
	size_t na, nb;
	uint64_t bytes_a, bytes_b;	/* their NAR sizes summed */
};

struct closure_diff {
	struct closure_pkg *pkgs;	/* by name; only the packages that differ; owned */
	size_t n;
	size_t count[CLOSURE_CHANGE_COUNT];
	size_t paths_a, paths_b;	/* the closures' paths (each once) */
	uint64_t bytes_a, bytes_b;	/* and their NAR sizes summed */
	size_t paths_added, paths_removed;	/* paths only in B, only in A */
	uint64_t bytes_added, bytes_removed;
};

/* The version of P ("" when none). */
static inline const char *closure_path_version(const struct closure_path *p)
{
	return p->version_at ? p->path + p->version_at : "";
}

/*
 * The difference from closure A to closure B (a path listed twice counts once) into OUT
 * (release it with closure_diff_release). Returns 0, ERR_INVALID naming a path that is not
 * a store path, or ERR_NOMEM; OUT is empty on failure.
 */
int closure_diff(const struct nix_closure *a, const struct nix_closure *b, struct closure_diff *out);

void closure_diff_release(struct closure_diff *d);

/*
 * D as JSON: {"a": {paths, bytes}, "b": {...}, "summary": {...}, "packages": [{name,
 * change, versions_a, versions_b, bytes_a, bytes_b, delta, paths_a, paths_b}]}, each path
 * {path, version, nar_size, shared}. A new reference, or NULL when out of memory.
 */
struct json_t *closure_diff_json(const struct closure_diff *d);

/* `chimera nix diff A B`: two store paths (or links to them) and their closures' difference. */
struct nix_diff_report {
	char a_given[PATH_MAX], b_given[PATH_MAX];	/* as given */
	char a[STOREPATH_MAX], b[STOREPATH_MAX];	/* the store paths they lead to */
	struct closure_diff diff;
};

/*
 * The store path ARG leads to (symlinks resolved: an out-link, a profile, a generation) into
 * OUT. Returns 0, or ERR_INVALID naming ARG when it does not exist, or leads elsewhere than
 * to a store path (inside one: naming that one).
 */
int nix_store_path_resolve(const char *arg, char out[STOREPATH_MAX]);

/*
 * Resolve A and B, read both closures with NX (each path's NAR size) and diff them into REP
 * (release it with nix_diff_report_release). Returns 0, ERR_INVALID for A or B, or the nix's
 * error (a path not valid in the store).
 */
int nix_diff_run(struct nix *nx, const char *a, const char *b, struct nix_diff_report *rep);

void nix_diff_report_release(struct nix_diff_report *rep);

/*
 * REP as `chimera nix diff --json` prints it: closure_diff_json's document, "a" and "b" each
 * with "given" and "path" too. The text (the caller frees it), or NULL.
 */
char *nix_diff_report_json(const struct nix_diff_report *rep);

#endif
