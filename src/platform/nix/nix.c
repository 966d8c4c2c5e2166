/* Nix's row in the platform registry: it builds instead of reading a config file as text. */
#include "platform/nix/nix.h"

const struct platform platform_nix = {
	.name = "nix",
	.config_file = "default.nix",
	.build = sim_nix,
};
