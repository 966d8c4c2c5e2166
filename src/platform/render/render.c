/* Render's row in the platform registry. */
#include "platform/render/render.h"
#include "platform/render/rules.h"
#include "util/banned.h"

const struct platform platform_render = {
	.name = "render",
	.config_file = "render.yaml",
	.simulate = sim_render,
	.simulate_text = sim_render_text,
	.heal_text = heal_render_text,
	.rules = render_rules,
	.nrules = RND_RULES,
	.syntax_rule = &render_rules[RND_YAML_1],
};
