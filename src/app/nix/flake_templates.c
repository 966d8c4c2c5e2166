/* The templates `chimera nix flake init` writes: templates/NAME/... embedded at build time (CMakeLists.txt). */
#include "app/nix/flake.h"

#include <string.h>
#include "util/banned.h"

/* Each file of templates/ becomes tpl_PATH (cmake/embed.cmake): its bytes and its length. */
#define TEMPLATE_FILE(sym)                        \
	extern const char sym[];                  \
	extern const unsigned long sym##_len;

TEMPLATE_FILE(tpl_fleet_flake_nix)
TEMPLATE_FILE(tpl_fleet_chimera_toml)
TEMPLATE_FILE(tpl_fleet_machines_web_1_nix)
TEMPLATE_FILE(tpl_fleet_machines_db_1_nix)
TEMPLATE_FILE(tpl_offline_flake_nix)

static const struct flake_template_file fleet[] = {
	{ "flake.nix", tpl_fleet_flake_nix, &tpl_fleet_flake_nix_len },
	{ "machines/web-1.nix", tpl_fleet_machines_web_1_nix, &tpl_fleet_machines_web_1_nix_len },
	{ "machines/db-1.nix", tpl_fleet_machines_db_1_nix, &tpl_fleet_machines_db_1_nix_len },
	{ "chimera.toml", tpl_fleet_chimera_toml, &tpl_fleet_chimera_toml_len },
};

static const struct flake_template_file offline[] = {
	{ "flake.nix", tpl_offline_flake_nix, &tpl_offline_flake_nix_len },
};

static const struct flake_template templates[] = {
	{ "fleet", "a configuration per machine, with the chimera.toml whose `flake` keys name them",
	  fleet, sizeof(fleet) / sizeof(fleet[0]) },
	{ "offline", "packages with descriptions that build with /bin/sh alone: no inputs, no network",
	  offline, sizeof(offline) / sizeof(offline[0]) },
};

const struct flake_template *flake_templates(size_t *n)
{
	*n = sizeof(templates) / sizeof(templates[0]);
	return templates;
}

const struct flake_template *flake_template_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(templates) / sizeof(templates[0]); i++)
		if (strcmp(templates[i].name, name) == 0)
			return &templates[i];
	return NULL;
}
