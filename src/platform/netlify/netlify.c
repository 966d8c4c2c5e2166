/* Netlify's row in the platform registry. */
#include "platform/netlify/netlify.h"
#include "platform/netlify/rules.h"
#include "util/banned.h"

const struct platform platform_netlify = {
	.name = "netlify",
	.config_file = "netlify.toml",
	.simulate = sim_netlify,
	.simulate_text = sim_netlify_text,
	.heal_text = heal_netlify_text,
	.rules = netlify_rules,
	.nrules = NTL_RULES,
	.syntax_rule = &netlify_rules[NTL_TOML_1],
};
