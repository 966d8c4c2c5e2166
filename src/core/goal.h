/* What a deploy does with a configuration once it is on the node: NixOS's four goals. */
#ifndef CHIMERA_CORE_GOAL_H
#define CHIMERA_CORE_GOAL_H

#include <stdbool.h>

enum goal {
	GOAL_SWITCH,		/* set the profile and activate (the default) */
	GOAL_BOOT,		/* set the profile; activate only at the next boot */
	GOAL_TEST,		/* activate now; the profile stays where it was */
	GOAL_DRY_ACTIVATE,	/* change nothing: show what activation would do */
};

#define GOAL_NAMES "switch, boot, test or dry-activate"

/* S as a goal into *OUT: 0, or ERR_INVALID naming S and the four goals. */
int goal_parse(const char *s, enum goal *out);

/* "switch", "boot", "test", "dry-activate". */
const char *goal_name(enum goal g);

/* True for the goals that point the profile at the new path (switch and boot). */
bool goal_sets_profile(enum goal g);

/* True for the goals that run an activation now (switch and test). */
bool goal_activates(enum goal g);

#endif
