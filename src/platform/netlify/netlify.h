/* The netlify.toml simulator: what Netlify's build would make of a project's configuration. */
#ifndef CHIMERA_PLATFORM_NETLIFY_H
#define CHIMERA_PLATFORM_NETLIFY_H

#include <stddef.h>

#include "platform/heal.h"
#include "platform/platform.h"
#include "platform/sim.h"

/*
 * Netlify's row of the registry (platform/platform.c lists it), as PLATFORM_TEXT_DECLARE says.
 * What is its own:
 *   sim_netlify: rule ids NTL-* (config-rules.md); the issues name "netlify.toml"; the files
 *     the rules look at beside it (package.json for build commands, the publish directory)
 *     are read from DIR.
 *   heal_netlify_text: for each critical or high issue whose fix is SIM_FIX_HEAL, the fix is
 *     applied with formats/toml's targeted edits (comments and untouched lines stay
 *     byte-identical), the text simulated again, and the fix counted when the issue is gone;
 *     at most HEAL_MAX_ATTEMPTS per issue. Fixes that are only suggested are never applied.
 *     RES gets the healed text, the actions and both simulations. Returns 0, or ERR_NOMEM.
 */
PLATFORM_TEXT_DECLARE(netlify);

#endif
