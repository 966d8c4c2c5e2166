/* Use cases: create, start, stop and rm a VM (app/vm/vm.h). */
#include "app/vm/vm_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define VM_ADDRESS_TRIES 8	/* free addresses tried when the first is taken outside chimera */

static int fail(struct vm_report *rep, int r)
{
	rep->ok = false;
	snprintf(rep->message, sizeof(rep->message), "%s", err_msg());
	return r;
}

static int check_create(const struct vm_create_opts *o)
{
	const char *n = o->name ? o->name : "";
	size_t i, len = strlen(n);

	for (i = 0; i < len; i++) {
		char ch = n[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      (i && (ch == '-' || ch == '_'))))
			break;
	}
	if (!len || len > VM_NAME_MAX || i < len)
		return err_set(ERR_INVALID, "bad VM name '%s': expected 1 to %d of A-Z a-z 0-9 - _ (a letter or digit first)",
			       n, VM_NAME_MAX);
	if (o->cpus && (o->cpus < 1 || o->cpus > 64))
		return err_set(ERR_INVALID, "bad --cpus %d: expected 1 to 64", o->cpus);
	if (o->memory_mib && (o->memory_mib < 128 || o->memory_mib > 65536))
		return err_set(ERR_INVALID, "bad --memory %d: expected 128 to 65536 (MiB)", o->memory_mib);
	if (o->disk_gib && (o->disk_gib < 1 || o->disk_gib > 1024))
		return err_set(ERR_INVALID, "bad --disk %d: expected 1 to 1024 (GiB)", o->disk_gib);
	if (o->accel && strcmp(o->accel, "auto") != 0 && strcmp(o->accel, "kvm") != 0 && strcmp(o->accel, "tcg") != 0)
		return err_set(ERR_INVALID, "bad --accel '%s': expected auto, kvm or tcg", o->accel);
	return 0;
}

/* Whether ADDR is 127.x.y.z, written plainly. */
static bool loopback4(const char *addr)
{
	unsigned a, b, c, d;
	char end;

	return sscanf(addr, "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) == 4 && a == 127 && b < 256 && c < 256 && d < 256 &&
	       strlen(addr) < 16;
}

/* The next address under the prefix no VM of L has, from .10, skipping the first SKIP free ones. */
static int pick_address(const struct vm_ctx *c, const struct vm_list *l, int skip, char *out, size_t len)
{
	const char *prefix = c->address_prefix && *c->address_prefix ? c->address_prefix : VM_ADDRESS_PREFIX_DEFAULT;
	int host;
	size_t i;

	for (host = 10; host < 255; host++) {
		bool used = false;

		snprintf(out, len, "%s%d", prefix, host);
		for (i = 0; i < l->n && !used; i++)
			used = strcmp(l->items[i].spec.address, out) == 0;
		if (!used && skip-- == 0)
			break;
	}
	if (host >= 255 || !loopback4(out))
		return err_set(ERR_LIMIT, "no free VM address under '%s' (expected a loopback prefix like 127.200.0.)", prefix);
	return 0;
}

/* Which accelerator: what O asks, with the probe's word for "auto" and a KVM that does not work. */
static void choose_accel(const struct vm_ctx *c, const char *want, char *accel, char *why, size_t why_len)
{
	struct vm_accel a;
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/vm", c->state_dir);
	snprintf(accel, VM_ACCEL_MAX, "tcg");
	why[0] = '\0';
	if (want && strcmp(want, "tcg") == 0)
		return;
	if (c->hv->ops->probe(c->hv, dir, &a) < 0) {
		snprintf(why, why_len, "the KVM probe failed: %s", err_msg());
		return;
	}
	snprintf(accel, VM_ACCEL_MAX, "%s", a.name);
	if (strcmp(a.name, "kvm") != 0)
		snprintf(why, why_len, "%s%s", want && strcmp(want, "kvm") == 0 ? "KVM was asked for, but " : "", a.why);
}

/* Boot VI (spec filled) under ACCEL, wait for its sshd unless NO_WAIT; vm.started. */
static int boot(const struct vm_ctx *c, struct vm_report *rep, const char *accel, long timeout_ms, bool no_wait)
{
	struct vm_info *vi = &rep->vm;
	struct buf tail = BUF_INIT(1 << 16);
	int64_t t0 = clock_mono_ms(), boot_ms = 0;
	pid_t pid;
	int r;

	vm_progress(c, vi->spec.name, "boot", accel);
	if ((r = c->hv->ops->start(c->hv, &vi->spec, accel, &pid)) < 0)
		return r;
	snprintf(vi->accel, sizeof(vi->accel), "%s", accel);
	vi->pid = pid;
	if (!no_wait) {
		vm_progress(c, vi->spec.name, "ssh", vi->target);
		if ((r = c->hv->ops->wait_ssh(c->hv, &vi->spec, timeout_ms ? timeout_ms : VM_BOOT_TIMEOUT_MS_DEFAULT)) < 0) {
			int keep = r;
			char msg[2048];
			bool forced;

			snprintf(msg, sizeof(msg), "%s", err_msg());
			c->hv->ops->console_tail(c->hv, &vi->spec, 20, &tail);
			snprintf(rep->console, sizeof(rep->console), "%s", tail.data ? tail.data : "");
			c->hv->ops->stop(c->hv, &vi->spec, 3000, &forced);
			buf_release(&tail);
			return err_set(keep, "%s", msg);
		}
		boot_ms = clock_mono_ms() - t0;
		vi->boot_ms = boot_ms;
	}
	buf_release(&tail);
	snprintf(vi->state, sizeof(vi->state), "running");
	return vm_record(c, "vm.started", vi->spec.name,
			 json_pack("{s:s, s:s, s:i, s:I, s:b}", "accel", accel, "accel_why", rep->accel_why, "pid", (int)pid,
				   "boot_ms", (json_int_t)boot_ms, "waited", !no_wait),
			 &vi->seq);
}

static int inventory_rm(const struct vm_ctx *c, const char *name)
{
	return vm_inventory_edit(c, name, NULL, NULL, 0);
}

/* Take back a create that failed after its disk was made: process, directory, inventory entry; vm.deleted. */
static void undo_create(const struct vm_ctx *c, struct vm_info *vi, bool recorded, bool in_inventory, const char *why)
{
	char msg[1024];
	bool forced;

	snprintf(msg, sizeof(msg), "%s", err_msg());
	c->hv->ops->stop(c->hv, &vi->spec, 3000, &forced);
	c->hv->ops->destroy(c->hv, &vi->spec);
	if (in_inventory)
		inventory_rm(c, vi->spec.name);
	if (recorded)
		vm_record(c, "vm.deleted", vi->spec.name, json_pack("{s:s}", "reason", why), NULL);
	err_set(ERR_IO, "%s", msg);
}

static int make_vm(const struct vm_ctx *c, const struct vm_create_opts *o, struct vm_report *rep, const char *address)
{
	struct vm_info *vi = &rep->vm;
	struct buf key = BUF_INIT(1 << 16);
	char path[PATH_MAX];
	int r;

	memset(&vi->spec, 0, sizeof(vi->spec));
	snprintf(vi->spec.name, sizeof(vi->spec.name), "%s", o->name);
	vi->spec.cpus = o->cpus ? o->cpus : 1;
	vi->spec.memory_mib = o->memory_mib ? o->memory_mib : 1024;
	vi->spec.disk_gib = o->disk_gib ? o->disk_gib : 8;
	vi->spec.port = 22;
	snprintf(vi->spec.address, sizeof(vi->spec.address), "%s", address);
	snprintf(vi->spec.dir, sizeof(vi->spec.dir), "%s/vm/%s", c->state_dir, o->name);
	snprintf(vi->spec.pubkey, sizeof(vi->spec.pubkey), "%s", c->pubkey ? c->pubkey : "");
	snprintf(vi->target, sizeof(vi->target), "%s", address);
	vm_progress(c, o->name, "disk", vi->spec.dir);
	if ((r = c->hv->ops->make(c->hv, &vi->spec, &key)) == 0) {
		snprintf(path, sizeof(path), "%s/host_ed25519.pub", vi->spec.dir);
		r = fs_write_file(path, key.data, key.len, 0644);
	}
	buf_release(&key);
	return r;
}

static int record_created(const struct vm_ctx *c, const struct vm_create_opts *o, struct vm_info *vi)
{
	json_t *tags = json_array();
	size_t i;

	json_array_append_new(tags, json_string("vm"));
	for (i = 0; i < o->ntags; i++)
		json_array_append_new(tags, json_string(o->tags[i]));
	vi->created_ms = clock_wall_ms();
	return vm_record(c, "vm.created", vi->spec.name,
			 json_pack("{s:i, s:i, s:i, s:s, s:i, s:s, s:o, s:s}", "cpus", vi->spec.cpus, "memory_mib",
				   vi->spec.memory_mib, "disk_gib", vi->spec.disk_gib, "address", vi->spec.address, "port",
				   vi->spec.port, "target", vi->target, "tags", tags, "dir", vi->spec.dir),
			 &vi->seq);
}

/* The inventory entry: machine NAME at its address, tags vm and O's. */
static int add_machine(const struct vm_ctx *c, const struct vm_create_opts *o, const struct vm_info *vi)
{
	const char *tags[VM_NAME_MAX];
	size_t n = 0, i;

	tags[n++] = "vm";
	for (i = 0; i < o->ntags && n < sizeof(tags) / sizeof(tags[0]); i++)
		tags[n++] = o->tags[i];
	return vm_inventory_edit(c, vi->spec.name, vi->target, tags, n);
}

static int refresh_client_files(const struct vm_ctx *c)
{
	struct vm_list l;
	int r;

	if ((r = vm_fold(c, &l)) < 0)
		return r;
	r = vm_client_files(c, &l);
	vm_list_release(&l);
	return r;
}

static int create_locked(const struct vm_ctx *c, const struct vm_create_opts *o, struct vm_report *rep)
{
	struct vm_info *vi = &rep->vm;
	struct vm_list l;
	char address[16], accel[VM_ACCEL_MAX];
	int r, try;

	if ((r = vm_fold(c, &l)) < 0)
		return r;
	if (vm_find(&l, o->name)) {
		vm_list_release(&l);
		return err_set(ERR_EXISTS, "a VM named '%s' exists already (chimera vm rm %s first)", o->name, o->name);
	}
	if (o->address) {
		snprintf(address, sizeof(address), "%s", o->address);
		if (!loopback4(o->address)) {
			vm_list_release(&l);
			return err_set(ERR_INVALID, "bad --address '%s': expected a loopback IPv4 address (127.x.y.z)", o->address);
		}
	} else if ((r = pick_address(c, &l, 0, address, sizeof(address))) < 0) {
		vm_list_release(&l);
		return r;
	}
	choose_accel(c, o->accel, accel, rep->accel_why, sizeof(rep->accel_why));
	if ((r = make_vm(c, o, rep, address)) < 0) {
		vm_list_release(&l);
		if (r != ERR_EXISTS)
			fs_rm_rf(vi->spec.dir);
		return r;
	}
	if ((r = add_machine(c, o, vi)) < 0) {
		undo_create(c, vi, false, false, "its machine could not be written into chimera.toml");
		vm_list_release(&l);
		return r;
	}
	if ((r = record_created(c, o, vi)) < 0) {
		undo_create(c, vi, false, true, "the ledger refused vm.created");
		vm_list_release(&l);
		return r;
	}
	refresh_client_files(c);
	/* An address taken outside chimera (another program listens there): the next free one, when chosen here. */
	for (try = 1; (r = boot(c, rep, accel, o->boot_timeout_ms, o->no_wait)) == ERR_BUSY && !o->address &&
		      try < VM_ADDRESS_TRIES; try++) {
		if (pick_address(c, &l, try, address, sizeof(address)) < 0)
			break;
		inventory_rm(c, o->name);
		snprintf(vi->spec.address, sizeof(vi->spec.address), "%s", address);
		snprintf(vi->target, sizeof(vi->target), "%s", address);
		if (add_machine(c, o, vi) < 0 || record_created(c, o, vi) < 0)
			break;
		refresh_client_files(c);
	}
	vm_list_release(&l);
	if (r < 0) {
		undo_create(c, vi, true, true, "it did not boot");
		refresh_client_files(c);
		return err_set(r, "%s", err_msg());
	}
	return 0;
}

/* Give the VM's lease (LEASE may be NULL) and lock back and finish REP after R. */
static int end(struct vm_report *rep, int fd, struct vm_lease *lease, int r, int64_t t0)
{
	if (lease)
		vm_lease_give(lease);
	vm_unlock(fd);
	rep->ms = clock_mono_ms() - t0;
	if (r < 0)
		return fail(rep, r);
	rep->ok = true;
	return 0;
}

int vm_create(const struct vm_ctx *c, const struct vm_create_opts *o, struct vm_report *rep)
{
	int64_t t0 = clock_mono_ms();
	int fd, r;

	memset(rep, 0, sizeof(*rep));
	snprintf(rep->op, sizeof(rep->op), "create");
	if ((r = check_create(o)) < 0)
		return fail(rep, r);
	snprintf(rep->vm.spec.name, sizeof(rep->vm.spec.name), "%s", o->name);
	if ((r = vm_lock(c, o->name, &fd)) < 0)
		return fail(rep, r);
	return end(rep, fd, NULL, create_locked(c, o, rep), t0);
}

/*
 * NAME's record into REP->vm under its lock *FD; fails when there is none. With LEASE (an
 * operation that changes the machine): its node lease too, when it runs.
 */
static int begin(const struct vm_ctx *c, const char *op, const char *name, struct vm_report *rep, int *fd,
		 struct vm_lease *lease)
{
	int r;

	memset(rep, 0, sizeof(*rep));
	if (lease)
		memset(lease, 0, sizeof(*lease));
	*fd = -1;
	snprintf(rep->op, sizeof(rep->op), "%s", op);
	snprintf(rep->vm.spec.name, sizeof(rep->vm.spec.name), "%s", name ? name : "");
	if ((r = vm_lock(c, name, fd)) < 0)
		return fail(rep, r);
	if ((r = vm_get(c, name, &rep->vm)) < 0 || (lease && rep->vm.pid && (r = vm_lease_take(c, &rep->vm, lease)) < 0)) {
		vm_unlock(*fd);
		*fd = -1;
		return fail(rep, r);
	}
	return 0;
}

int vm_start(const struct vm_ctx *c, const char *name, long boot_timeout_ms, bool no_wait, struct vm_report *rep)
{
	int64_t t0 = clock_mono_ms();
	char accel[VM_ACCEL_MAX];
	int fd, r;

	if ((r = begin(c, "start", name, rep, &fd, NULL)) < 0)
		return r;
	if (rep->vm.pid)
		r = err_set(ERR_BUSY, "VM %s runs already (pid %d)", name, (int)rep->vm.pid);
	else {
		choose_accel(c, NULL, accel, rep->accel_why, sizeof(rep->accel_why));
		r = boot(c, rep, accel, boot_timeout_ms, no_wait);
	}
	return end(rep, fd, NULL, r, t0);
}

int vm_ready(const struct vm_ctx *c, const char *name, long wait_ms)
{
	struct vm_info vi;
	int r;

	if ((r = vm_get(c, name, &vi)) < 0)
		return r;
	if (!vi.pid)
		r = err_set(ERR_IO, "VM %s does not run", name);
	else
		r = c->hv->ops->wait_ssh(c->hv, &vi.spec, wait_ms) == 0 ? 1 : 0;
	vm_info_release(&vi);
	return r;
}

/* Stop REP->vm when it runs; vm.stopped. */
static int stop_running(const struct vm_ctx *c, struct vm_report *rep, long timeout_ms)
{
	int64_t t0 = clock_mono_ms();
	int r;

	if (!rep->vm.pid)
		return 0;
	vm_progress(c, rep->vm.spec.name, "stop", "power button");
	if ((r = c->hv->ops->stop(c->hv, &rep->vm.spec, timeout_ms ? timeout_ms : VM_STOP_TIMEOUT_MS_DEFAULT,
				  &rep->forced)) < 0)
		return r;
	rep->vm.pid = 0;
	snprintf(rep->vm.state, sizeof(rep->vm.state), "stopped");
	return vm_record(c, "vm.stopped", rep->vm.spec.name,
			 json_pack("{s:b, s:I}", "forced", rep->forced, "ms", (json_int_t)(clock_mono_ms() - t0)), &rep->vm.seq);
}

int vm_stop(const struct vm_ctx *c, const char *name, long timeout_ms, struct vm_report *rep)
{
	int64_t t0 = clock_mono_ms();
	struct vm_lease lease;
	int fd, r;

	if ((r = begin(c, "stop", name, rep, &fd, &lease)) < 0)
		return r;
	r = stop_running(c, rep, timeout_ms);
	return end(rep, fd, &lease, r, t0);
}

int vm_remove(const struct vm_ctx *c, const char *name, struct vm_report *rep)
{
	int64_t t0 = clock_mono_ms();
	struct vm_lease lease;
	int fd, r;

	if ((r = begin(c, "rm", name, rep, &fd, &lease)) < 0)
		return r;
	if ((r = stop_running(c, rep, 0)) == 0 && (r = c->hv->ops->destroy(c->hv, &rep->vm.spec)) == 0) {
		if ((r = inventory_rm(c, name)) == ERR_NOTFOUND)
			r = 0;
		if (r == 0)
			r = vm_record(c, "vm.deleted", name, json_pack("{s:s}", "reason", "rm"), NULL);
		if (r == 0)
			r = refresh_client_files(c);
		snprintf(rep->vm.state, sizeof(rep->vm.state), "deleted");
	}
	return end(rep, fd, &lease, r, t0);
}

int vm_snapshot(const struct vm_ctx *c, const char *name, const char *label, struct vm_report *rep)
{
	int64_t t0 = clock_mono_ms();
	int fd, r;

	if (label && (r = vm_label_check(label)) < 0) {
		memset(rep, 0, sizeof(*rep));
		snprintf(rep->op, sizeof(rep->op), "snapshot");
		return fail(rep, r);
	}
	if ((r = begin(c, "snapshot", name, rep, &fd, NULL)) < 0)
		return r;
	if (label) {
		snprintf(rep->label, sizeof(rep->label), "%s", label);
	} else {
		size_t n = 1;
		const char *p;

		for (p = rep->vm.snapshots; p && *p; p++)
			n += *p == ',';
		snprintf(rep->label, sizeof(rep->label), "snap-%zu", rep->vm.snapshots ? n + 1 : 1);
	}
	vm_progress(c, name, "snapshot", rep->label);
	if ((r = c->hv->ops->snapshot(c->hv, &rep->vm.spec, rep->label)) == 0)
		r = vm_record(c, "vm.snapshotted", name,
			      json_pack("{s:s, s:b}", "label", rep->label, "running", rep->vm.pid != 0), &rep->vm.seq);
	return end(rep, fd, NULL, r, t0);
}

/* Whether the comma-separated LIST names LABEL. */
static bool has_snapshot(const char *list, const char *label)
{
	size_t n = strlen(label);
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && memcmp(p, label, n) == 0)
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

int vm_restore(const struct vm_ctx *c, const char *name, const char *label, long boot_timeout_ms, struct vm_report *rep)
{
	int64_t t0 = clock_mono_ms();
	char accel[VM_ACCEL_MAX];
	bool was_running;
	struct vm_lease lease;
	int fd, r;

	if ((r = vm_label_check(label)) < 0) {
		memset(rep, 0, sizeof(*rep));
		snprintf(rep->op, sizeof(rep->op), "restore");
		return fail(rep, r);
	}
	if ((r = begin(c, "restore", name, rep, &fd, &lease)) < 0)
		return r;
	snprintf(rep->label, sizeof(rep->label), "%s", label);
	was_running = rep->vm.pid != 0;
	if (!has_snapshot(rep->vm.snapshots, label))
		r = err_set(ERR_NOTFOUND, "VM %s has no snapshot '%s' (its snapshots: %s)", name, label,
			    rep->vm.snapshots ? rep->vm.snapshots : "none");
	if (r == 0 && (r = stop_running(c, rep, 0)) == 0) {
		vm_progress(c, name, "restore", label);
		r = c->hv->ops->restore(c->hv, &rep->vm.spec, label);
	}
	if (r == 0 && was_running) {
		choose_accel(c, NULL, accel, rep->accel_why, sizeof(rep->accel_why));
		r = boot(c, rep, accel, boot_timeout_ms, false);
	}
	if (r == 0)
		r = vm_record(c, "vm.restored", name, json_pack("{s:s, s:b}", "label", label, "started", was_running),
			      &rep->vm.seq);
	return end(rep, fd, &lease, r, t0);
}
