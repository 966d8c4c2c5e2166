/* The Nix rule catalog: what a failed nix-build is reported as, one row per rule id. */
#ifndef CHIMERA_PLATFORM_NIX_RULES_H
#define CHIMERA_PLATFORM_NIX_RULES_H

#include "platform/platform.h"

/* A row of nix_rules. */
enum nix_rule {
	NIX_SYNTAX,
	NIX_EVAL,
	NIX_BUILD,
	NIX_OUTPUT,
	NIX_RULES,
};

/* The catalog, indexed by enum nix_rule. Static: never freed. */
extern const struct platform_rule nix_rules[NIX_RULES];

/* The id of rule R (NIX-SYNTAX for NIX_SYNTAX). */
#define NIX_ID(r) (nix_rules[(r)].id)

#endif
