/*
 * The HostFactory provider's world: its files read from the provider's configuration
 * directory (HF_PROVIDER_CONFDIR), and the use cases' context (app/hostfactory) opened on a
 * world: the ledger, the providers by name, and the deploy and status a new machine gets.
 */
#ifndef CHIMERA_RUNTIME_HOSTFACTORY_H
#define CHIMERA_RUNTIME_HOSTFACTORY_H

#include <limits.h>
#include <stdbool.h>

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
	char state[PATH_MAX];			/* the state dir */
	char confdir[PATH_MAX];			/* the provider's files, "" unknown: no configuring process then */
	int lock_fd;				/* STATE/hostfactory.lock, -1 until opened */
	bool locked;
};

/*
 * Open the context on W with CFG and the templates T (taken: T is emptied): the inventory
 * file is W's --config, else $CHIMERA_CONFIG, else CFG's, else ./chimera.toml when it exists,
 * else STATE_DIR/chimera.toml
 * (made empty when missing, and set as W's config so deploys read the same). With LOCKED,
 * STATE_DIR/hostfactory.lock is held until hf_world_close, so two operations never
 * interleave; without, the context's lock and unlock take it when asked (the background
 * configuration). CONFDIR (may be NULL) lets getRequestStatus start that background
 * process. Returns 0 or an error; HW is closed with hf_world_close either way.
 */
int hf_world_open(struct world *w, const struct hf_config *cfg, struct hf_templates *t, bool locked,
		  const char *confdir, struct hf_world *hw);
void hf_world_close(struct hf_world *hw);

/* How hf_run finds the provider's files and lets its caller see their settings. */
struct hf_call {
	const char *confdir;		/* HF_PROVIDER_CONFDIR */
	bool templates_optional;	/* no templates file: no templates (a server), rather than an error */
	/* CFG read, before the world opens on it: the caller applies what it takes (may be NULL). */
	void (*configured)(const struct hf_config *cfg, void *arg);
	void *arg;
	struct hf_config cfg;		/* what hf_run read: strings a world's options may point to */
};

/*
 * OP on INPUT (LEN bytes) in W, the world the CLI or a server opened: the provider's files
 * read, the context opened (hf_world_open: the provider's lock held while it runs), the
 * operation run, all closed again. Returns 0 with the reply in REP; the operation's error
 * with REP's failure shape and message (ERR_INVALID: bad input); or, when the files or the
 * world could not be opened, HF_UNAVAILABLE with the failure shape and message in REP too.
 */
#define HF_UNAVAILABLE (-1000)
int hf_run(struct world *w, const struct hf_op *op, struct hf_call *call, const char *input, size_t len,
	   struct hf_report *rep);

/*
 * The background configuration of request REQ (`chimera hostfactory configure`, started by
 * getRequestStatus): hf_configure_request in W with the provider's files of CALL, the lock
 * taken only to read and record. 0, or an error (message set).
 */
int hf_run_configure(struct world *w, struct hf_call *call, const char *req);

#endif
