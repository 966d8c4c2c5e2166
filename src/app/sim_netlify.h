/* The netlify.toml simulator: what Netlify's build would make of a project's configuration. */
#ifndef CHIMERA_APP_SIM_NETLIFY_H
#define CHIMERA_APP_SIM_NETLIFY_H

#include <stddef.h>

#include "app/sim.h"

/*
 * Read DIR/netlify.toml and add every issue found to REP (rule ids NTL-* from
 * config-rules.md), with the file name "netlify.toml". Files the rules look at beside it
 * (package.json for build commands, the publish directory) are read from DIR. Returns 0
 * whatever was found, ERR_NOTFOUND when DIR has no netlify.toml, or ERR_IO / ERR_NOMEM.
 */
int sim_netlify(const char *dir, struct sim_report *rep);

/* The same on LEN bytes of TEXT, named FILE in the issues; DIR may be NULL (no files beside). */
int sim_netlify_text(const char *file, const char *text, size_t len, const char *dir, struct sim_report *rep);

#endif
