/* Use case: heal a project's deploy configuration for one platform, and write it when asked. */
#ifndef CHIMERA_APP_PLATFORM_HEAL_H
#define CHIMERA_APP_PLATFORM_HEAL_H

#include <limits.h>
#include <stdbool.h>

#include <jansson.h>

#include "platform/heal.h"
#include "platform/platform.h"
#include "util/buf.h"

struct heal_opts {
	const struct platform *platform;	/* from platform_find; one with a healer */
	const char *dir;			/* the project directory */
	bool write;				/* write the healed file (the original kept as FILE.bak) */
};

struct heal_report {
	char path[PATH_MAX];		/* DIR/config_file */
	struct buf orig;		/* the file as read */
	struct buf diff;		/* a unified diff of orig and the healed text ("" when nothing changed) */
	struct heal_result heal;	/* the actions, the healed text, both simulations */
	bool written;
};

/*
 * Heal O's config file into REP (initialised here; release with heal_report_release
 * whatever is returned): simulate, apply the heals, diff, and with O->write and a change,
 * write atomically. Returns 0, ERR_NOTFOUND when the file is missing (REP->path names
 * it), or ERR_IO / ERR_NOMEM with err_msg saying why.
 */
int heal_project(const struct heal_opts *o, struct heal_report *rep);

void heal_report_release(struct heal_report *rep);

/* The report as `heal --json` prints it: actions, before, after, diff, written, passed. NULL when out of memory. */
json_t *heal_project_json(const struct heal_report *rep);

#endif
