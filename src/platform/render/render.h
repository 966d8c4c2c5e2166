/* The render.yaml simulator: what Render's Blueprint sync would make of a project's configuration. */
#ifndef CHIMERA_PLATFORM_RENDER_H
#define CHIMERA_PLATFORM_RENDER_H

#include <stddef.h>

#include "platform/heal.h"
#include "platform/platform.h"
#include "platform/sim.h"

/*
 * Read DIR/render.yaml and add every issue found to REP (rule ids RND-* from
 * config-rules.md), with the file name "render.yaml". Returns 0 whatever was found,
 * ERR_NOTFOUND when DIR has no render.yaml, ERR_LIMIT when it is over 4 MiB, or ERR_IO /
 * ERR_NOMEM; ERR_UNSUPPORTED when the program wired no YAML parser (platform_use_yaml).
 */
int sim_render(const char *dir, struct sim_report *rep);

/*
 * The same on LEN bytes of TEXT, named FILE in the issues. render.yaml stands alone: nothing
 * beside it is read, so DIR is not looked at (it may be NULL); it is there so that every
 * platform's text simulator takes the same arguments.
 */
int sim_render_text(const char *file, const char *text, size_t len, const char *dir, struct sim_report *rep);

/*
 * Heal render.yaml TEXT like heal_netlify_text (platform/netlify/netlify.h), as targeted
 * text edits by position: every critical or high issue with a heal, and the two legacy
 * renames (env to runtime, redis to keyvalue) though they are medium. An edit that would
 * add a YAML syntax error or duplicate key is refused. DIR is not looked at, as in
 * sim_render_text. Returns 0 or ERR_NOMEM (ERR_UNSUPPORTED when no YAML parser is wired).
 */
int heal_render_text(const char *file, const char *text, size_t len, const char *dir, struct heal_result *res);

/* The registry row (platform/platform.c lists it). */
extern const struct platform platform_render;

#endif
