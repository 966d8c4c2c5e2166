/* Render's row in the platform registry. */
#include "platform/render/render.h"
#include "platform/render/rules.h"
#include "util/banned.h"

const struct platform platform_render = PLATFORM_TEXT_ROW(render, "render.yaml", RND_YAML_1);
