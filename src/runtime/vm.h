/* The VM use cases' world: the hypervisor (QEMU), the ledger, the inventory file, the controller's key for VMs. */
#ifndef CHIMERA_RUNTIME_VM_H
#define CHIMERA_RUNTIME_VM_H

#include <limits.h>

#include "app/vm/vm.h"
#include "runtime/world.h"

struct world_vm {
	struct vm_ctx ctx;		/* what app/vm takes; its pointers point into this struct */
	struct hypervisor *hv;
	struct ledger *ledger;
	char state_dir[PATH_MAX];
	char inventory[PATH_MAX];
	char key_file[PATH_MAX];	/* STATE/vm/id_ed25519, made on first use */
	char pubkey[1024];
};

/*
 * Open what the VM use cases need: QEMU (its boot kit in STATE/vm/kit), the ledger, the
 * inventory file a VM is written into (the one read, else --config / CHIMERA_CONFIG, else
 * ./chimera.toml), the address prefix (CHIMERA_VM_ADDRESS_PREFIX, else 127.200.0.) and the
 * key. Returns 0 or an error naming what to install; close with world_vm_close.
 */
int world_vm_open(struct world *w, const char *config_opt, struct world_vm *out);
void world_vm_close(struct world_vm *v);

/* The hypervisor alone (for a provider that makes machines); closed with ops->close. */
int world_open_hypervisor(struct world *w, struct hypervisor **out);

/* STATE/vm/ssh_config into BUF ("" when no VM was made). */
int world_vm_ssh_config(struct world *w, char *buf, size_t len);

#endif
