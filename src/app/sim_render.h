/* The render.yaml simulator: what Render's Blueprint sync would make of a project's configuration. */
#ifndef CHIMERA_APP_SIM_RENDER_H
#define CHIMERA_APP_SIM_RENDER_H

#include <stddef.h>

#include "app/sim.h"

/*
 * Read DIR/render.yaml and add every issue found to REP (rule ids RND-* from
 * config-rules.md), with the file name "render.yaml". Returns 0 whatever was found,
 * ERR_NOTFOUND when DIR has no render.yaml, ERR_LIMIT when it is over 4 MiB, or ERR_IO /
 * ERR_NOMEM.
 */
int sim_render(const char *dir, struct sim_report *rep);

/* The same on LEN bytes of TEXT, named FILE in the issues. */
int sim_render_text(const char *file, const char *text, size_t len, struct sim_report *rep);

#endif
