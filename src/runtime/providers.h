/* The registry of HostFactory providers (ports/provider.h): one row per way of making machines. */
#ifndef CHIMERA_RUNTIME_PROVIDERS_H
#define CHIMERA_RUNTIME_PROVIDERS_H

#include "ports/provider.h"
#include "runtime/world.h"

struct provider_row {
	const char *name;	/* what a template's "provider" says: "qemu", "lab" */
	const char *summary;	/* one line for docs and messages */
	/*
	 * Open the provider on W (borrowed for its life), its machines written into the
	 * inventory file INVENTORY (copied). *OUT is closed with its ops->close.
	 */
	int (*open)(struct world *w, const char *inventory, struct provider **out);
};

/* Every registered provider, ended by a row with a NULL name. */
extern const struct provider_row providers[];

/* The row named NAME, or NULL. */
const struct provider_row *provider_find(const char *name);

/* The providers' names, comma-separated ("qemu, lab"), for messages. Static. */
const char *provider_names(void);

/* The rows' open functions (runtime/provider_*.c). */
int provider_qemu_open(struct world *w, const char *inventory, struct provider **out);
int provider_lab_open(struct world *w, const char *inventory, struct provider **out);

#endif
