/* The render.yaml simulator: what Render's Blueprint sync would make of a project's configuration. */
#ifndef CHIMERA_PLATFORM_RENDER_H
#define CHIMERA_PLATFORM_RENDER_H

#include <stddef.h>

#include "platform/heal.h"
#include "platform/platform.h"
#include "platform/sim.h"

/*
 * Render's row of the registry (platform/platform.c lists it), as PLATFORM_TEXT_DECLARE says.
 * What is its own:
 *   sim_render: rule ids RND-* (config-rules.md); the issues name "render.yaml"; ERR_LIMIT
 *     over 4 MiB; ERR_UNSUPPORTED when the program wired no YAML parser (platform_use_yaml).
 *   sim_render_text: render.yaml stands alone, so DIR is not looked at (it may be NULL).
 *   heal_render_text: every critical or high issue with a heal, and the two legacy renames
 *     (env to runtime, redis to keyvalue) though they are medium, as targeted text edits by
 *     position; an edit that would add a YAML syntax error or a duplicate key is refused.
 *     Returns 0 or ERR_NOMEM (ERR_UNSUPPORTED when no YAML parser is wired).
 */
PLATFORM_TEXT_DECLARE(render);

#endif
