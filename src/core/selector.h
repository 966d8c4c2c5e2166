/*
 * Selectors: which machines of an inventory a -t list names. An element is "all", "@TAG",
 * a glob on machine names ("web-*", "db-[12]"), or a machine's name; a list combines
 * elements with commas, in order, without duplicates.
 */
#ifndef CHIMERA_CORE_SELECTOR_H
#define CHIMERA_CORE_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

/* What a selector sees of a machine. */
struct sel_machine {
	const char *name;
	char *const *tags;
	size_t ntags;
};

/* True when the LEN bytes of ELEM select machine M. */
bool selector_match(const char *elem, size_t len, const struct sel_machine *m);

/* True when ELEM is a glob (has *, ? or [) and so can only mean machine names. */
bool selector_is_glob(const char *elem, size_t len);

/*
 * An element that selected no machine: OTHER may take it as something else (a target
 * written out, a group like @lab). Returns 0 when it did, ERR_NOTFOUND when it is not
 * one either, or another error (with its message).
 */
typedef int (*selector_other_fn)(const char *elem, size_t len, void *arg);

/*
 * Resolve the comma list SPEC (LEN bytes) against the N machines M: the indexes of the
 * machines selected, in the order the elements name them and file order within one,
 * each once, are appended to ORDER (room for N) and counted in *NORDER. An element that
 * selects nothing is handed to OTHER (may be NULL); when OTHER does not take it either,
 * ERR_INVALID says "selector 'E' matches no machine" with the machine names and tags
 * there are. An empty element is ERR_INVALID.
 */
int selector_select(const char *spec, size_t len, const struct sel_machine *m, size_t n, selector_other_fn other,
		    void *arg, size_t *order, size_t *norder);

/*
 * Remove from ORDER (*NORDER entries) every machine the comma list SPEC selects. An
 * element that selects none of the N machines is ERR_INVALID ("--exclude 'E' matches no
 * machine"), unless OTHER takes it (then it is the caller's to exclude).
 */
int selector_exclude(const char *spec, size_t len, const struct sel_machine *m, size_t n, selector_other_fn other,
		     void *arg, size_t *order, size_t *norder);

#endif
