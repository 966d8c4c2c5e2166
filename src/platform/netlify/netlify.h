/* The netlify.toml simulator: what Netlify's build would make of a project's configuration. */
#ifndef CHIMERA_PLATFORM_NETLIFY_H
#define CHIMERA_PLATFORM_NETLIFY_H

#include <stddef.h>

#include "platform/heal.h"
#include "platform/platform.h"
#include "platform/sim.h"

/*
 * Read DIR/netlify.toml and add every issue found to REP (rule ids NTL-* from
 * config-rules.md), with the file name "netlify.toml". Files the rules look at beside it
 * (package.json for build commands, the publish directory) are read from DIR. Returns 0
 * whatever was found, ERR_NOTFOUND when DIR has no netlify.toml, or ERR_IO / ERR_NOMEM.
 */
int sim_netlify(const char *dir, struct sim_report *rep);

/* The same on LEN bytes of TEXT, named FILE in the issues; DIR may be NULL (no files beside). */
int sim_netlify_text(const char *file, const char *text, size_t len, const char *dir, struct sim_report *rep);

/*
 * Heal LEN bytes of netlify.toml TEXT (named FILE in reports; DIR, which may be NULL, holds
 * the files beside it). For each critical or high issue whose fix is SIM_FIX_HEAL: apply
 * the fix to the document with formats/toml's targeted edits (comments and untouched lines
 * stay byte-identical), simulate again, and count it fixed when the issue is gone; at most
 * HEAL_MAX_ATTEMPTS per issue. Fixes that are only suggested are never applied. RES gets
 * the healed text, the actions and both simulations. Returns 0, or ERR_NOMEM.
 */
int heal_netlify_text(const char *file, const char *text, size_t len, const char *dir, struct heal_result *res);

/* The registry row (platform/platform.c lists it). */
extern const struct platform platform_netlify;

#endif
