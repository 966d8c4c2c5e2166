/* NixOS's goals by name. */
#include "core/goal.h"
#include "util/err.h"

#include <string.h>
#include "util/banned.h"

static const char *const names[] = { "switch", "boot", "test", "dry-activate" };

int goal_parse(const char *s, enum goal *out)
{
	size_t i;

	for (i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum goal)i;
			return 0;
		}
	return err_set(ERR_INVALID, "'%s' is not a goal: expected %s", s ? s : "", GOAL_NAMES);
}

const char *goal_name(enum goal g)
{
	return (unsigned)g < sizeof(names) / sizeof(names[0]) ? names[g] : "switch";
}

bool goal_sets_profile(enum goal g)
{
	return g == GOAL_SWITCH || g == GOAL_BOOT;
}

bool goal_activates(enum goal g)
{
	return g == GOAL_SWITCH || g == GOAL_TEST;
}
