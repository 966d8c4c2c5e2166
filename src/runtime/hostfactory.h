/*
 * The HostFactory provider's world: its files read from the provider's configuration
 * directory (HF_PROVIDER_CONFDIR), and the use cases' context (app/hostfactory) opened on a
 * world: the ledger, the providers by name, and the deploy and status a new machine gets.
 */
#ifndef CHIMERA_RUNTIME_HOSTFACTORY_H
#define CHIMERA_RUNTIME_HOSTFACTORY_H

#include <limits.h>

#include "app/hostfactory/hostfactory.h"
#include "runtime/world.h"

#define HF_PROVIDERS_MAX 8

/*
 * CONFDIR's chimeraprov_config.json (optional: CFG keeps its defaults without it) into CFG
 * and chimeraprov_templates.json (required) into T. Returns 0, or ERR_NOTFOUND naming the
 * missing templates file, ERR_INVALID naming the file and field.
 */
int hf_conf_read(const char *confdir, struct hf_config *cfg, struct hf_templates *t);

/* The opened context: hw.ctx is what the operations take. */
struct hf_world {
	struct world *w;
	struct hf_ctx ctx;
	struct hf_templates templates;		/* owned */
	struct ledger *ledger;
	struct provider *prov[HF_PROVIDERS_MAX];
	size_t nprov;
	char inventory[PATH_MAX];		/* the chimera.toml machines are written into */
	int lock_fd;
};

/*
 * Open the context on W with CFG and the templates T (taken: T is emptied): the inventory
 * file is W's --config, else $CHIMERA_CONFIG, else CFG's, else ./chimera.toml when it exists,
 * else STATE_DIR/chimera.toml
 * (made empty when missing, and set as W's config so deploys read the same); every
 * operation holds STATE_DIR/hostfactory.lock until hf_world_close, so two never interleave.
 * Returns 0 or an error; HW is closed with hf_world_close either way.
 */
int hf_world_open(struct world *w, const struct hf_config *cfg, struct hf_templates *t, struct hf_world *hw);
void hf_world_close(struct hf_world *hw);

#endif
