/* Wiring for the VM use cases (runtime/vm.h). */
#include "runtime/vm.h"
#include "adapters/qemu/qemu.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

int world_open_hypervisor(struct world *w, struct hypervisor **out)
{
	char kit[PATH_MAX];
	const char *dir;
	int r;

	*out = NULL;
	if ((r = world_state_dir(w, &dir)) < 0)
		return r;
	snprintf(kit, sizeof(kit), "%s/vm/kit", dir);
	return qemu_open(kit, out);
}

int world_vm_ssh_config(struct world *w, char *buf, size_t len)
{
	const char *dir;
	int r;

	buf[0] = '\0';
	if ((r = world_state_dir(w, &dir)) < 0)
		return r;
	snprintf(buf, len, "%s/vm/ssh_config", dir);
	if (!fs_exists(buf))
		buf[0] = '\0';
	return 0;
}

/* STATE/vm/id_ed25519 (made when missing) and its public half into V. */
static int client_key(struct world_vm *v)
{
	char keygen[PATH_MAX], pub[PATH_MAX + 8];
	struct buf b = BUF_INIT(1 << 16);
	int r, status;

	snprintf(v->key_file, sizeof(v->key_file), "%s/vm/id_ed25519", v->state_dir);
	snprintf(pub, sizeof(pub), "%s.pub", v->key_file);
	if (!fs_exists(v->key_file)) {
		char *argv[] = { keygen, "-q", "-t", "ed25519", "-N", "", "-C", "chimera-vm", "-f", v->key_file, NULL };

		if (proc_which("ssh-keygen", keygen, sizeof(keygen)) < 0)
			return err_set(ERR_UNSUPPORTED, "VMs need ssh-keygen: apt-get install openssh-client");
		if ((r = proc_run(argv, &b, &status)) == 0 && status != 0)
			r = err_set(ERR_IO, "ssh-keygen failed for '%s': %s", v->key_file, b.data ? b.data : "");
		buf_reset(&b);
		if (r < 0) {
			buf_release(&b);
			return r;
		}
	}
	if ((r = fs_read_file(pub, &b)) == 0) {
		while (b.len && b.data[b.len - 1] == '\n')
			b.data[--b.len] = '\0';
		snprintf(v->pubkey, sizeof(v->pubkey), "%s\n", b.data ? b.data : "");
	}
	buf_release(&b);
	return r;
}

int world_vm_open(struct world *w, const char *config_opt, struct world_vm *v)
{
	const struct inventory *inv;
	const char *dir, *env;
	char vmdir[PATH_MAX];
	int r;

	memset(v, 0, sizeof(*v));
	if ((r = world_state_dir(w, &dir)) < 0 || (r = world_inventory(w, &inv)) < 0)
		return r;
	snprintf(v->state_dir, sizeof(v->state_dir), "%s", dir);
	env = getenv("CHIMERA_CONFIG");
	snprintf(v->inventory, sizeof(v->inventory), "%s",
		 inv->path[0] ? inv->path : config_opt ? config_opt : env && *env ? env : "chimera.toml");
	snprintf(vmdir, sizeof(vmdir), "%s/vm", dir);
	if ((r = fs_mkdir_p(vmdir, 0700)) < 0 || (r = client_key(v)) < 0)
		return r;
	if ((r = world_open_hypervisor(w, &v->hv)) < 0)
		return r;
	if ((r = world_open_ledger(w, &v->ledger)) < 0) {
		world_vm_close(v);
		return r;
	}
	v->ctx.hv = v->hv;
	v->ctx.ledger = v->ledger;
	v->ctx.state_dir = v->state_dir;
	v->ctx.inventory = v->inventory;
	v->ctx.pubkey = v->pubkey;
	v->ctx.key_file = v->key_file;
	v->ctx.lock_wait_s = 10;	/* as deploy's --lock-wait default */
	env = getenv("CHIMERA_VM_ADDRESS_PREFIX");
	v->ctx.address_prefix = env && *env ? env : NULL;
	return 0;
}

void world_vm_close(struct world_vm *v)
{
	if (v->ledger)
		ledger_close(v->ledger);
	if (v->hv)
		v->hv->ops->close(v->hv);
	v->ledger = NULL;
	v->hv = NULL;
}
