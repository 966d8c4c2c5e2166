/* The Nix rule catalog as data: every failed build is one critical issue of one of these. */
#include "platform/nix/rules.h"
#include "util/banned.h"

const struct platform_rule nix_rules[NIX_RULES] = {
	[NIX_SYNTAX] = { "NIX-SYNTAX", SIM_CRITICAL, SIM_FIX_NONE, "the file does not parse" },
	[NIX_EVAL] = { "NIX-EVAL", SIM_CRITICAL, SIM_FIX_NONE, "evaluation failed (undefined variable, missing "
							   "attribute, type error, assert, throw, ...)" },
	[NIX_BUILD] = { "NIX-BUILD", SIM_CRITICAL, SIM_FIX_NONE, "a builder failed" },
	[NIX_OUTPUT] = { "NIX-OUTPUT", SIM_CRITICAL, SIM_FIX_NONE, "not exactly one store path" },
};
