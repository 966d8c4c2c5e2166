/* What the VM use cases share: the per-VM lock, the ssh client files, recording, progress, labels. */
#include "app/config/machines.h"
#include "app/fleet/fleet.h"
#include "app/vm/vm_internal.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "util/banned.h"

int vm_label_check(const char *label)
{
	size_t i, n = label ? strlen(label) : 0;

	for (i = 0; i < n; i++) {
		char ch = label[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  (i > 0 && (ch == '.' || ch == '_' || ch == '-'));

		if (!ok)
			break;
	}
	if (n == 0 || n > VM_LABEL_MAX || i < n)
		return err_set(ERR_INVALID, "bad snapshot label '%s': expected 1 to %d of A-Z a-z 0-9 . _ - (not first)",
			       label ? label : "", VM_LABEL_MAX);
	return 0;
}

int vm_lock(const struct vm_ctx *c, const char *name, int *fd)
{
	char path[PATH_MAX];
	int r;

	*fd = -1;
	snprintf(path, sizeof(path), "%s/vm/locks", c->state_dir);
	if ((r = fs_mkdir_p(path, 0700)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/vm/locks/%s", c->state_dir, name);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot open '%s'", path);
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(*fd);
		*fd = -1;
		if (e == EWOULDBLOCK)
			return err_set(ERR_BUSY, "VM %s is being changed by another chimera operation; try again when it ends", name);
		return err_set_errno(ERR_IO, e, "cannot lock '%s'", path);
	}
	return 0;
}

void vm_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int vm_inventory_edit(const struct vm_ctx *c, const char *name, const char *target, const char *const *tags, size_t n)
{
	char path[PATH_MAX];
	int fd, r;

	snprintf(path, sizeof(path), "%s/vm/locks", c->state_dir);
	if ((r = fs_mkdir_p(path, 0700)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/vm/locks/.inventory", c->state_dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot open '%s'", path);
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	r = target ? machines_add(c->inventory, name, target, tags, n) : machines_rm(c->inventory, name);
	close(fd);
	return r;
}

int vm_lease_take(const struct vm_ctx *c, const struct vm_info *vi, struct vm_lease *l)
{
	struct fleet_failure fail = { 0 };
	char id[DEPLOYMENT_ID_LEN + 1];
	int r;

	memset(l, 0, sizeof(*l));
	l->f.ledger = c->ledger;
	l->f.lock_wait_s = c->lock_wait_s;
	if ((r = target_parse(&l->t, vi->target, strlen(vi->target))) < 0 ||
	    (r = target_format(&l->t, l->node, sizeof(l->node))) < 0 || (r = fleet_op_new_id(id, sizeof(id))) < 0 ||
	    (r = fleet_op_begin(&l->op, &l->f, "vm", id)) < 0)
		return r;
	if ((r = fleet_node_begin(&l->op, &l->t, l->node, NULL, NULL, NULL, &fail)) < 0) {
		fleet_op_end(&l->op);
		return err_set(r, "%s", fail.message[0] ? fail.message : err_msg());
	}
	l->held = true;
	return 0;
}

void vm_lease_give(struct vm_lease *l)
{
	if (l->held)
		fleet_node_end(&l->op, &l->t, l->node, NULL, NULL);
	if (l->held)
		fleet_op_end(&l->op);
	l->held = false;
}

int vm_record(const struct vm_ctx *c, const char *topic, const char *name, void *payload, int64_t *seq)
{
	return fleet_record(c->ledger, topic, NULL, name, payload, seq);
}

void vm_progress(const struct vm_ctx *c, const char *name, const char *step, const char *detail)
{
	if (c->progress)
		c->progress(name, step, detail, c->progress_arg);
}

/* VI's host key ("type base64") from its directory into KEY; false when it has none. */
static bool host_key(const struct vm_info *vi, struct buf *key)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/host_ed25519.pub", vi->spec.dir);
	buf_reset(key);
	if (fs_read_file(path, key) < 0 || !key->data)
		return false;
	while (key->len && key->data[key->len - 1] == '\n')
		key->data[--key->len] = '\0';
	return key->len > 0;
}

int vm_client_files(const struct vm_ctx *c, const struct vm_list *l)
{
	struct buf cfg = BUF_INIT(0), kh = BUF_INIT(0), key = BUF_INIT(1 << 16);
	char path[PATH_MAX];
	size_t i;
	int r;

	snprintf(path, sizeof(path), "%s/vm", c->state_dir);
	if ((r = fs_mkdir_p(path, 0700)) < 0)
		return r;
	buf_printf(&cfg, "# chimera VMs: written by chimera vm create and rm; ssh -F %s/vm/ssh_config ADDRESS\n", c->state_dir);
	for (i = 0; i < l->n; i++) {
		const struct vm_info *vi = &l->items[i];

		if (!host_key(vi, &key))
			continue;
		if (vi->spec.port == 22)
			buf_printf(&kh, "%s %s\n", vi->spec.address, key.data);
		else
			buf_printf(&kh, "[%s]:%d %s\n", vi->spec.address, vi->spec.port, key.data);
		buf_printf(&cfg,
			   "Host %s\n"
			   "\tUser root\n"
			   "\tIdentityFile %s\n"
			   "\tIdentitiesOnly yes\n"
			   "\tUserKnownHostsFile %s/vm/known_hosts\n"
			   "\tStrictHostKeyChecking yes\n"
			   "\tLogLevel ERROR\n",
			   vi->spec.address, c->key_file, c->state_dir);
	}
	snprintf(path, sizeof(path), "%s/vm/known_hosts", c->state_dir);
	if ((r = fs_write_file(path, kh.data ? kh.data : "", kh.len, 0644)) == 0) {
		snprintf(path, sizeof(path), "%s/vm/ssh_config", c->state_dir);
		r = fs_write_file(path, cfg.data, cfg.len, 0644);
	}
	buf_release(&cfg);
	buf_release(&kh);
	buf_release(&key);
	return r;
}
