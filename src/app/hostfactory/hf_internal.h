/* What the HostFactory operations share (app/hostfactory/hf_*.c only). */
#ifndef CHIMERA_APP_HOSTFACTORY_HF_INTERNAL_H
#define CHIMERA_APP_HOSTFACTORY_HF_INTERNAL_H

#include "app/hostfactory/hf_proj.h"

/* REP as the failure shape with the message of error R (err_msg()); returns R. */
int hf_fail(struct hf_report *rep, int r);

/* REP as a success holding TEXT (taken; NULL: out of memory). Returns 0 or ERR_NOMEM. */
int hf_done(struct hf_report *rep, char *text);

/* The operation's time in seconds. */
int64_t hf_now(const struct hf_ctx *c);

/* The provider of machine M (or named NAME). 0 or an error naming it. */
int hf_provider(const struct hf_ctx *c, const char *name, struct provider **out);

/* M as the provider knows it. */
struct provider_machine hf_pm(const struct hf_mach *m);

/*
 * Destroy M through its provider and move it to TO (failed, terminated or returned), saying
 * MESSAGE; a provider that cannot destroy it leaves it failed with its error. 0 or the ledger's error.
 */
int hf_take_back(const struct hf_ctx *c, struct hf_proj *p, struct hf_mach *m, enum hfs_machine to, const char *message);

#endif
