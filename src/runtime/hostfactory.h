/*
 * The HostFactory provider's operations run on a world: its files read from the provider's
 * configuration directory (HF_PROVIDER_CONFDIR), and the use cases' context (app/hostfactory)
 * opened on it: the ledger, the providers by name, and the deploy and status a new machine gets.
 */
#ifndef CHIMERA_RUNTIME_HOSTFACTORY_H
#define CHIMERA_RUNTIME_HOSTFACTORY_H

#include <limits.h>
#include <stdbool.h>

#include "app/hostfactory/hostfactory.h"
#include "runtime/world.h"

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
