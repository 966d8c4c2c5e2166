/* The registry of HostFactory providers: adding one is a provider_*.c file and a row here. */
#include "runtime/providers.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

const struct provider_row providers[] = {
	{ "qemu", "a QEMU VM of chimera vm, booted in the background (cpus, memory, disk from the template)", provider_qemu_open },
	{ "lab", "a running node of `chimera lab` not yet in the inventory, claimed for the request", provider_lab_open },
	{ NULL, NULL, NULL },
};

const struct provider_row *provider_find(const char *name)
{
	const struct provider_row *p;

	for (p = providers; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

const char *provider_names(void)
{
	static char names[128];
	const struct provider_row *p;
	size_t k = 0;

	if (names[0])
		return names;
	for (p = providers; p->name && k < sizeof(names) - 1; p++)
		k += (size_t)snprintf(names + k, sizeof(names) - k, "%s%s", p == providers ? "" : ", ", p->name);
	return names;
}
