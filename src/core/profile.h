/* Nix profiles and their generations: validated profile paths and a node's generation list. */
#ifndef CHIMERA_CORE_PROFILE_H
#define CHIMERA_CORE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/storepath.h"

#define PROFILE_PATH_MAX 1024
#define PROFILE_DEFAULT "/nix/var/nix/profiles/system"

/*
 * Check that S is a profile path chimera will hand to a shell (quoted): absolute, at most
 * PROFILE_PATH_MAX bytes, only [A-Za-z0-9._+-] and '/', no empty, "." or ".." component
 * and no trailing '/'. Returns 0 or ERR_INVALID with a message quoting S.
 */
int profile_path_check(const char *s);

struct generation {
	uint32_t num;
	int64_t time;			/* seconds since the epoch: when the generation was made */
	char path[STOREPATH_MAX];	/* the store path it points at */
};

#define GEN_WARNING_MAX 512

struct gen_list {
	struct generation *items;	/* owned; ascending by num */
	size_t n;
	uint32_t current;		/* 0 when the profile does not exist or is not a generation link */
	char current_path[STOREPATH_MAX];	/* what the profile resolves to, "" when it does not exist */
	/* Malformed generation links, skipped: the first named and why, "" when none; how many. */
	char warning[GEN_WARNING_MAX];
	size_t malformed;
};

void gen_list_init(struct gen_list *l);
void gen_list_release(struct gen_list *l);

/*
 * Parse the output of the generations probe (LEN bytes of TEXT) for the profile whose
 * last component is BASE. Lines:
 *   gen NUM EPOCH STOREPATH    one per NAME-NUM-link beside the profile
 *   link TARGET                what the profile symlink holds ("" when it does not exist)
 *   path STOREPATH             what that link resolves to ("" when nothing)
 * Lines for other profiles sharing the prefix (BASE-x-NUM-link) are ignored. A malformed
 * generation link (BASE-x-link with no number, a bad time, a target outside the store) is
 * skipped and named in L->warning; a profile that resolves outside the store through one
 * counts as no profile (current 0, current_path ""), with the warning, so a deploy can
 * still put a new generation over it. L is cleared first. Returns 0, or ERR_INVALID naming
 * a line of no known kind; ERR_NOMEM.
 */
int gen_list_parse(struct gen_list *l, const char *base, const char *text, size_t len);

/* The generation numbered NUM, or NULL. */
const struct generation *gen_list_find(const struct gen_list *l, uint32_t num);

/* The newest generation older than the current one (what `nix-env --rollback` picks), or NULL. */
const struct generation *gen_list_previous(const struct gen_list *l);

/*
 * The generation number in a profile link target: "system-42-link" or
 * "/nix/var/nix/profiles/system-42-link" for BASE "system" gives 42. Returns 0 when
 * TARGET is not such a link.
 */
uint32_t profile_link_generation(const char *base, const char *target, size_t len);

#endif
