/* Nix's row in the platform registry: it builds instead of reading a config file as text. */
#include "platform/nix/nix.h"
#include "platform/nix/rules.h"
#include "util/banned.h"

const struct platform platform_nix = {
	.name = "nix",
	.config_file = "default.nix",
	.build = sim_nix,
	.rules = nix_rules,
	.nrules = NIX_RULES,
	.syntax_rule = &nix_rules[NIX_SYNTAX],
};
