/* Render's row in the platform registry. */
#include "platform/render/render.h"
#include "platform/render/rules.h"
#include "util/banned.h"

/* render.yaml stands alone: nothing beside it is read, so DIR is not needed. */
static int simulate_text(const char *file, const char *text, size_t len, const char *dir, struct sim_report *rep)
{
	(void)dir;
	return sim_render_text(file, text, len, rep);
}

static int heal_text(const char *file, const char *text, size_t len, const char *dir, struct heal_result *res)
{
	(void)dir;
	return heal_render_text(file, text, len, res);
}

const struct platform platform_render = {
	.name = "render",
	.config_file = "render.yaml",
	.simulate = sim_render,
	.simulate_text = simulate_text,
	.heal_text = heal_text,
	.rules = render_rules,
	.nrules = RND_RULES,
	.syntax_rule = &render_rules[RND_YAML_1],
};
