/* Use case: `chimera config show`: each [defaults] setting in effect, with where it came from. */
#ifndef CHIMERA_APP_CONFIG_SETTINGS_H
#define CHIMERA_APP_CONFIG_SETTINGS_H

#include <stddef.h>

#include "app/config/inventory.h"

#define CONFIG_SETTINGS_MAX 9

struct config_setting {
	const char *name;
	char value[1100];
	enum inv_source from;
	const char *env;	/* the variable that sets it */
	const char *flag;	/* the flag that sets it on the commands that take one */
};

/* INV's [defaults] as settings into OUT, in the order `config show` prints them. Returns how many. */
size_t config_settings(const struct inventory *inv, struct config_setting out[CONFIG_SETTINGS_MAX]);

/*
 * The N settings S of INV (which came from SOURCE: "flag", "env", "file", "default") as
 * `chimera config show --json` prints them. The caller frees the text; NULL when out of memory.
 */
char *config_settings_json(const struct inventory *inv, const char *source, const struct config_setting *s,
			   size_t n);

#endif
