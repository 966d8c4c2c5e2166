/*
 * The HostFactory projection: requests and machines folded from the hostfactory.* events,
 * and the events themselves (each change of an aggregate appended, then folded in).
 *   hostfactory.request.created   {request, kind "machines"|"return", template, count, machines}
 *   hostfactory.request.updated   {request, from, state}
 *   hostfactory.machine.created   {machine, request, template, provider, target, address, launchtime}
 *   hostfactory.machine.updated   {machine, from, state, message}
 *   hostfactory.machine.configuring {machine, pid, start}
 *   hostfactory.machine.configured {machine, deployed, congruent, deployment, path, message}
 */
#ifndef CHIMERA_APP_HOSTFACTORY_HF_PROJ_H
#define CHIMERA_APP_HOSTFACTORY_HF_PROJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/hostfactory/hostfactory.h"
#include "core/hf_state.h"

struct hf_mach {
	char name[PROVIDER_NAME_MAX + 1];	/* also its machineId */
	char request[HF_ID_LEN + 1];		/* the req- request that made it */
	char returned_by[HF_ID_LEN + 1];	/* the ret- request that takes it back, "" when none */
	char template_id[HF_NAME_MAX + 1];
	char provider[16];
	char target[96];
	char address[64];
	int64_t launchtime;			/* seconds */
	enum hfs_machine state;
	bool configured, congruent;
	int64_t configuring_pid;		/* the process deploying its configuration, 0 none */
	int64_t configuring_start;		/* that process's start time (proc_start_time) */
	char message[512];			/* why it failed, or what its deploy said */
	int64_t seq;				/* of its created event */
};

struct hf_req {
	char id[HF_ID_LEN + 1];
	bool ret;				/* a ret- request */
	char template_id[HF_NAME_MAX + 1];	/* "" for a return */
	unsigned count;
	enum hfs_request state;
	int64_t seq;				/* of its created event */
};

struct hf_proj {
	struct hf_req *reqs;
	size_t nreqs, capreqs;
	struct hf_mach *machs;
	size_t nmachs, capmachs;
	int64_t seq;				/* the last event folded */
	size_t skipped;				/* events whose payload lacked what it should have */
};

void hf_proj_init(struct hf_proj *p);
void hf_proj_release(struct hf_proj *p);

/*
 * Fold one event (TOPIC, its PAYLOAD text) into P: pure. Topics outside hostfactory.* are
 * ignored; an event naming an unknown request or machine, or missing a field, is counted in
 * P->skipped. Returns 0 or ERR_NOMEM.
 */
int hf_proj_fold(struct hf_proj *p, const char *topic, const char *payload, int64_t seq);

/* Every hostfactory.* event of L folded into P (initialised by the caller). 0 or the ledger's error. */
int hf_proj_load(struct ledger *l, struct hf_proj *p);

struct hf_req *hf_proj_req(const struct hf_proj *p, const char *id);
struct hf_mach *hf_proj_mach(const struct hf_proj *p, const char *name);

/* The machines of template ID not lost (not failed, terminated or returned). */
size_t hf_proj_alive(const struct hf_proj *p, const char *template_id);

/* The view core/hf_state reconciles on. */
struct hfs_machine_view hf_mach_view(const struct hf_mach *m);

/*
 * Appending, each followed by its fold into P (so P stays what the ledger says). Each
 * returns 0, or the ledger's error (nothing folded), or ERR_INVALID for a move the state
 * table refuses.
 */
int hf_ev_request(struct ledger *l, struct hf_proj *p, const struct hf_req *r, const char *const *machines, size_t n);
int hf_ev_request_state(struct ledger *l, struct hf_proj *p, struct hf_req *r, enum hfs_request to);
int hf_ev_machine(struct ledger *l, struct hf_proj *p, const struct hf_mach *m);
int hf_ev_machine_state(struct ledger *l, struct hf_proj *p, struct hf_mach *m, enum hfs_machine to, const char *message);
int hf_ev_configured(struct ledger *l, struct hf_proj *p, struct hf_mach *m, const struct hf_configured *cf);
int hf_ev_configuring(struct ledger *l, struct hf_proj *p, struct hf_mach *m, int64_t pid, int64_t start);

#endif
