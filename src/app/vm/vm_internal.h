/* Private to app/vm: the fold of vm.* events, the VM's lock, the ssh client files. */
#ifndef CHIMERA_APP_VM_INTERNAL_H
#define CHIMERA_APP_VM_INTERNAL_H

#include "app/fleet/fleet.h"
#include "app/fleet/lease.h"
#include "app/vm/vm.h"
#include "core/target.h"

/* Fold every vm.* event of C's ledger into OUT (the VMs not deleted, by name); nothing live is asked. */
int vm_fold(const struct vm_ctx *c, struct vm_list *out);

/* NAME's entry in L, or NULL. */
struct vm_info *vm_find(struct vm_list *l, const char *name);

/* Fill VI's state and pid from the hypervisor. */
void vm_refresh(const struct vm_ctx *c, struct vm_info *vi);

/* STATE/vm/ssh_config and STATE/vm/known_hosts for every VM of L (their host keys in each VM's directory). */
int vm_client_files(const struct vm_ctx *c, const struct vm_list *l);

/* Take NAME's lock (STATE/vm/locks/NAME): *FD to give to vm_unlock. ERR_BUSY when another operation holds it. */
int vm_lock(const struct vm_ctx *c, const char *name, int *fd);
void vm_unlock(int fd);

/*
 * Add machine NAME at TARGET with TAGS to the inventory file (TARGET NULL: take it out),
 * under STATE/vm/locks/.inventory: VMs made at once never lose each other's entries.
 */
int vm_inventory_edit(const struct vm_ctx *c, const char *name, const char *target, const char *const *tags, size_t n);

/*
 * The VM's node lease, the one deploy, rollback and watch take on its target: held while a
 * use case changes the running machine (stop, rm, restore), so a deploy on it is never cut
 * or undone. Waits up to C->lock_wait_s for another holder.
 */
struct vm_lease {
	struct fleet f;			/* the ledger only: the lease needs no executor */
	struct fleet_op op;
	struct target t;
	char node[TARGET_FORMAT_MAX];
	bool held;
};
/* Take VI's lease for an operation of KIND: 0, or ERR_BUSY naming the holder. Give it back with vm_lease_give. */
int vm_lease_take(const struct vm_ctx *c, const struct vm_info *vi, struct vm_lease *l);
void vm_lease_give(struct vm_lease *l);

/* Record TOPIC for NAME with PAYLOAD (a json_t *, reference taken); *SEQ its seq. */
int vm_record(const struct vm_ctx *c, const char *topic, const char *name, void *payload, int64_t *seq);

void vm_progress(const struct vm_ctx *c, const char *name, const char *step, const char *detail);

#endif
