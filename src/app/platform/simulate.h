/* Use case: simulate a project's deploy configuration for one platform, as a report. */
#ifndef CHIMERA_APP_PLATFORM_SIMULATE_H
#define CHIMERA_APP_PLATFORM_SIMULATE_H

#include <jansson.h>

#include "core/storepath.h"
#include "platform/platform.h"
#include "platform/sim.h"
#include "ports/nix.h"

struct simulate_opts {
	const struct platform *platform;	/* from platform_find */
	const char *dir;			/* the project directory */
	const char *file;			/* build platforms: the file to build (NULL: DIR/config_file) */
	const char *attr;			/* build platforms: the attribute, or NULL */
	/*
	 * Build platforms: open the builder (the wiring point's choice, e.g. nix_cli_new), called
	 * only once the file is known to be there. NULL: building fails with ERR_UNSUPPORTED.
	 */
	int (*open_nix)(struct nix **out);
};

struct simulate_report {
	struct sim_report sim;
	bool builds;			/* the platform built instead of reading text */
	char built[STOREPATH_MAX];	/* what it built ("" when it did not) */
};

/*
 * Simulate O into REP (initialised here; release with simulate_report_release whatever is
 * returned). A build platform opens its builder with O->open_nix and closes it. Returns 0
 * whatever was found; ERR_NOTFOUND when the project has no such file, ERR_INVALID for a bad
 * build source, ERR_IO when the builder cannot run, or ERR_NOMEM / ERR_LIMIT, with err_msg
 * saying which.
 */
int simulate_run(const struct simulate_opts *o, struct simulate_report *rep);

void simulate_report_release(struct simulate_report *rep);

/* The report as `simulate --json` prints it (with "built" for a build platform); NULL when out of memory. */
json_t *simulate_report_json(const struct simulate_report *rep);

#endif
