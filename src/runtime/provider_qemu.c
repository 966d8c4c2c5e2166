/*
 * The "qemu" HostFactory provider: a machine is a VM of `chimera vm` (app/vm), created
 * without waiting for its boot (tag hostfactory besides vm), ready when its sshd answers,
 * and removed (stopped over QMP, its directory deleted, out of chimera.toml) when returned.
 */
#include "app/hostfactory/hostfactory.h"
#include "runtime/providers.h"
#include "runtime/vm.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

struct qemu_provider {
	struct provider base;
	struct world_vm vm;
};

static int qemu_create(struct provider *p, const struct provider_spec *s, struct provider_machine *out)
{
	static const char *const tags[] = { HF_MACHINE_TAG };
	struct qemu_provider *qp = (struct qemu_provider *)p;
	struct vm_create_opts o = { .name = s->name, .cpus = s->cpus, .memory_mib = s->memory_mib, .disk_gib = s->disk_gib,
				    .tags = tags, .ntags = 1, .boot_timeout_ms = s->boot_timeout_ms, .no_wait = true };
	struct vm_report rep;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = vm_create(&qp->vm.ctx, &o, &rep)) == 0) {
		snprintf(out->name, sizeof(out->name), "%s", s->name);
		snprintf(out->target, sizeof(out->target), "%s", rep.vm.target);
		snprintf(out->address, sizeof(out->address), "%s", rep.vm.spec.address);
	} else if (rep.message[0]) {
		err_set(r, "%s", rep.message);
	}
	vm_report_release(&rep);
	return r;
}

static int qemu_state(struct provider *p, const struct provider_machine *m, long wait_ms, enum provider_state *out,
		      char *why, size_t len)
{
	struct qemu_provider *qp = (struct qemu_provider *)p;
	struct vm_info vi;
	int r;

	*out = PROVIDER_GONE;
	if ((r = vm_get(&qp->vm.ctx, m->name, &vi)) < 0) {
		snprintf(why, len, "%s", err_msg());
		return r == ERR_NOTFOUND ? 0 : r;
	}
	if (!vi.pid) {
		snprintf(why, len, "VM %s is %s", m->name, vi.state[0] ? vi.state : "not running");
		vm_info_release(&vi);
		return 0;
	}
	vm_info_release(&vi);
	r = vm_ready(&qp->vm.ctx, m->name, wait_ms);
	if (r < 0) {
		snprintf(why, len, "%s", err_msg());
		return 0;
	}
	*out = r == 1 ? PROVIDER_READY : PROVIDER_BOOTING;
	return 0;
}

static int qemu_destroy(struct provider *p, const struct provider_machine *m)
{
	struct qemu_provider *qp = (struct qemu_provider *)p;
	struct vm_report rep;
	int r = vm_remove(&qp->vm.ctx, m->name, &rep);

	if (r < 0 && r != ERR_NOTFOUND && rep.message[0])
		err_set(r, "%s", rep.message);
	vm_report_release(&rep);
	return r == ERR_NOTFOUND ? 0 : r;
}

static void qemu_close(struct provider *p)
{
	struct qemu_provider *qp = (struct qemu_provider *)p;

	world_vm_close(&qp->vm);
	free(qp);
}

static const struct provider_ops qemu_ops = {
	.name = "qemu",
	.keeps = false,
	.create = qemu_create,
	.state = qemu_state,
	.destroy = qemu_destroy,
	.close = qemu_close,
};

int provider_qemu_open(struct world *w, const char *inventory, struct provider **out)
{
	struct qemu_provider *qp = calloc(1, sizeof(*qp));
	int r;

	*out = NULL;
	if (!qp)
		return err_set(ERR_NOMEM, "out of memory");
	qp->base.ops = &qemu_ops;
	if ((r = world_vm_open(w, inventory, &qp->vm)) < 0) {
		free(qp);
		return r;
	}
	/* The machines go where this provider was told, whatever file the world read. */
	snprintf(qp->vm.inventory, sizeof(qp->vm.inventory), "%s", inventory);
	*out = &qp->base;
	return 0;
}
