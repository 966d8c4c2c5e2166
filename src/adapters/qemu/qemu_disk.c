/* A VM's disk (ext4 in qcow2, made from a staged tree: no mount, no root shell), its snapshots, and the KVM probe. */
#include "adapters/qemu/qemu_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/banned.h"

static int run(char *const argv[], const char *what)
{
	struct buf out = BUF_INIT(1 << 16);
	int r, status;

	if ((r = proc_run(argv, &out, &status)) == 0 && status != 0) {
		while (out.len && out.data[out.len - 1] == '\n')
			out.data[--out.len] = '\0';
		r = err_set(ERR_IO, "%s failed (exit %d): %s", what, status, out.data ? out.data : "");
	}
	buf_release(&out);
	return r;
}

/* STAGE: what the disk starts with: the host key, root's authorised key, an empty Nix store and its settings. */
static int stage_disk(const struct vm_spec *s, const char *stage, struct buf *hostkey)
{
	static const char nix_conf[] = "build-users-group =\nsubstituters =\n";
	static const char *const dirs[] = { "chimera", "root/.ssh", "nix/store", "nix/var/nix", "nix/etc/nix" };
	char path[PATH_MAX], keygen[PATH_MAX], comment[VM_NAME_MAX + 16];
	size_t i;
	int r;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", stage, dirs[i]);
		if ((r = fs_mkdir_p(path, 0755)) < 0)
			return r;
	}
	snprintf(path, sizeof(path), "%s/root/.ssh/authorized_keys", stage);
	if ((r = fs_write_file(path, s->pubkey, strlen(s->pubkey), 0600)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/nix/etc/nix/nix.conf", stage);
	if ((r = fs_write_file(path, nix_conf, sizeof(nix_conf) - 1, 0644)) < 0)
		return r;
	if ((r = qemu_tool("ssh-keygen", "openssh-client", keygen, sizeof(keygen))) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/chimera/host_ed25519", stage);
	snprintf(comment, sizeof(comment), "chimera-vm-%s", s->name);
	{
		char *argv[] = { keygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path, NULL };

		if ((r = run(argv, "ssh-keygen")) < 0)
			return r;
	}
	snprintf(path, sizeof(path), "%s/chimera/host_ed25519.pub", stage);
	if ((r = fs_read_file(path, hostkey)) < 0)
		return r;
	/* "type base64": the comment goes. */
	{
		char *sp = strchr(hostkey->data, ' ');

		if (sp && (sp = strchr(sp + 1, ' ')))
			hostkey->len = (size_t)(sp - hostkey->data);
		while (hostkey->len && (hostkey->data[hostkey->len - 1] == '\n'))
			hostkey->len--;
		hostkey->data[hostkey->len] = '\0';
	}
	return 0;
}

int qemu_make(struct hypervisor *hv, const struct vm_spec *s, struct buf *hostkey)
{
	struct qemu_hv *h = (struct qemu_hv *)hv;
	char stage[PATH_MAX], raw[PATH_MAX], disk[PATH_MAX], mkfs[PATH_MAX], size[32];
	int r;

	qemu_path(s, "disk.qcow2", disk);
	if (fs_exists(disk))
		return err_set(ERR_EXISTS, "VM %s has a disk already ('%s')", s->name, disk);
	if ((r = qemu_tool("mkfs.ext4", "e2fsprogs", mkfs, sizeof(mkfs))) < 0)
		return r;
	if ((r = fs_mkdir_p(s->dir, 0700)) < 0)
		return r;
	qemu_path(s, "disk.stage", stage);
	qemu_path(s, "disk.raw", raw);
	fs_rm_rf(stage);
	unlink(raw);
	snprintf(size, sizeof(size), "%dG", s->disk_gib);
	if ((r = stage_disk(s, stage, hostkey)) == 0) {
		char *argv[] = { mkfs, "-q", "-F", "-L", "chimera", "-d", stage, raw, size, NULL };

		r = run(argv, "mkfs.ext4");
	}
	if (r == 0) {
		char *argv[] = { h->qemu_img, "convert", "-q", "-O", "qcow2", raw, disk, NULL };

		r = run(argv, "qemu-img convert");
	}
	fs_rm_rf(stage);
	unlink(raw);
	if (r < 0) {
		unlink(disk);
		return err_set(r, "cannot make VM %s's %d GiB disk in '%s' (free some space, or give a smaller --disk): %s",
			       s->name, s->disk_gib, s->dir, err_msg());
	}
	return 0;
}

/* The snapshot names of S's disk, one a line, from qemu-img's JSON (force-shared: it may be running). */
int qemu_snapshots(struct hypervisor *hv, const struct vm_spec *s, struct buf *out)
{
	struct qemu_hv *h = (struct qemu_hv *)hv;
	char disk[PATH_MAX];
	struct buf json = BUF_INIT(8u << 20), err = BUF_INIT(1 << 16);
	json_t *doc = NULL, *snaps, *v;
	size_t i;
	int r, status;

	qemu_path(s, "disk.qcow2", disk);
	{
		char *argv[] = { h->qemu_img, "info", "-U", "--output=json", disk, NULL };

		if ((r = proc_run_split(argv, -1, &json, &err, &status)) == 0 && status != 0)
			r = err_set(ERR_IO, "qemu-img info '%s' failed: %s", disk, err.data ? err.data : "");
	}
	if (r == 0 && !(doc = json_loadb(json.data ? json.data : "", json.len, 0, NULL)))
		r = err_set(ERR_IO, "qemu-img info '%s' printed no JSON", disk);
	snaps = doc ? json_object_get(doc, "snapshots") : NULL;
	json_array_foreach (snaps, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));

		if (name && r == 0)
			r = buf_printf(out, "%s\n", name);
	}
	json_decref(doc);
	buf_release(&json);
	buf_release(&err);
	return r;
}

static bool has_label(struct hypervisor *hv, const struct vm_spec *s, const char *label, int *r)
{
	struct buf list = BUF_INIT(1 << 20);
	char *line, *save = NULL;
	bool found = false;

	if ((*r = qemu_snapshots(hv, s, &list)) == 0 && list.data)
		for (line = strtok_r(list.data, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save))
			found = strcmp(line, label) == 0;
	buf_release(&list);
	return found;
}

int qemu_snapshot(struct hypervisor *hv, const struct vm_spec *s, const char *label)
{
	struct qemu_hv *h = (struct qemu_hv *)hv;
	char disk[PATH_MAX];
	json_t *args, *ret = NULL;
	int r;

	if (has_label(hv, s, label, &r))
		return err_set(ERR_EXISTS, "VM %s has a snapshot '%s' already", s->name, label);
	if (r < 0)
		return r;
	if (!qemu_pid(s)) {
		char *argv[] = { h->qemu_img, "snapshot", "-c", (char *)label, disk, NULL };

		qemu_path(s, "disk.qcow2", disk);
		return run(argv, "qemu-img snapshot -c");
	}
	/* Running: the disk as it is now, taken by QEMU itself (the guest's page cache is not in it). */
	if (!(args = json_pack("{s:s, s:s}", "device", "disk0", "name", label)))
		return err_set(ERR_NOMEM, "out of memory");
	r = qemu_qmp(s, "blockdev-snapshot-internal-sync", args, &ret, 60000);
	json_decref(args);
	json_decref(ret);
	return r;
}

int qemu_restore(struct hypervisor *hv, const struct vm_spec *s, const char *label)
{
	struct qemu_hv *h = (struct qemu_hv *)hv;
	char disk[PATH_MAX];
	char *argv[] = { h->qemu_img, "snapshot", "-a", (char *)label, disk, NULL };
	int r;

	if (qemu_pid(s))
		return err_set(ERR_BUSY, "VM %s runs: it is stopped before a restore", s->name);
	if (!has_label(hv, s, label, &r))
		return r < 0 ? r : err_set(ERR_NOTFOUND, "VM %s has no snapshot '%s'", s->name, label);
	qemu_path(s, "disk.qcow2", disk);
	return run(argv, "qemu-img snapshot -a");
}

/* Boot the kit's kernel under KVM with chimera.probe=1: the first init says so on the console and powers off. */
static int kvm_boots(struct qemu_hv *h, const char *dir, char *why, size_t len)
{
	struct vm_spec s = { .cpus = 1, .memory_mib = 256 };
	char log[PATH_MAX], con[PATH_MAX + 64];
	struct buf out = BUF_INIT(1 << 16);
	int64_t deadline = clock_mono_ms() + 15000;
	pid_t pid;
	bool ok = false;

	snprintf(s.name, sizeof(s.name), "kvm-probe");
	snprintf(s.dir, sizeof(s.dir), "%s", dir);
	snprintf(log, sizeof(log), "%s/kvm-probe.log", dir);
	snprintf(con, sizeof(con), "file:%s", log);
	unlink(log);
	pid = fork();
	if (pid < 0)
		return err_set_errno(ERR_IO, errno, "cannot fork");
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
		}
		execl(h->qemu, h->qemu, "-nodefaults", "-machine", "q35,accel=kvm", "-cpu", "host", "-m", "256",
		      "-kernel", h->kernel, "-initrd", h->initrd, "-append", "console=ttyS0 panic=-1 chimera.probe=1",
		      "-no-reboot", "-display", "none", "-serial", con, (char *)NULL);
		_exit(127);
	}
	while (clock_mono_ms() < deadline && !ok) {
		buf_reset(&out);
		ok = fs_read_file(log, &out) == 0 && out.data && strstr(out.data, "chimera-probe: init reached");
		if (!ok && waitpid(pid, NULL, WNOHANG) == pid) {
			pid = 0;
			break;
		}
		clock_sleep_ms(100);
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (!ok)
		snprintf(why, len, "a KVM guest did not reach its init within 15 s (it stalls early on this machine)");
	buf_release(&out);
	return ok;
}

int qemu_probe(struct hypervisor *hv, const char *cache_dir, struct vm_accel *out)
{
	struct qemu_hv *h = (struct qemu_hv *)hv;
	char cache[PATH_MAX], boot_id[64] = "";
	struct buf b = BUF_INIT(4096);
	int fd, r;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "tcg");
	if ((fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(out->why, sizeof(out->why), "%s", errno == ENOENT ? "this machine has no /dev/kvm" : "/dev/kvm does not open");
		if (errno != ENOENT)
			snprintf(out->why, sizeof(out->why), "/dev/kvm does not open: %s", strerror(errno));
		return 0;
	}
	close(fd);
	if (fs_read_file("/proc/sys/kernel/random/boot_id", &b) == 0 && b.data)
		snprintf(boot_id, sizeof(boot_id), "%.36s", b.data);
	snprintf(cache, sizeof(cache), "%s/accel", cache_dir);
	buf_reset(&b);
	/* "BOOT_ID kvm" or "BOOT_ID tcg WHY": one probe per boot of this machine. */
	if (boot_id[0] && fs_read_file(cache, &b) == 0 && b.data && strncmp(b.data, boot_id, strlen(boot_id)) == 0 &&
	    b.len > strlen(boot_id) + 4) {
		const char *rest = b.data + strlen(boot_id) + 1;

		if (strncmp(rest, "kvm", 3) == 0)
			snprintf(out->name, sizeof(out->name), "kvm");
		else
			snprintf(out->why, sizeof(out->why), "%s", rest + 4);
		buf_release(&b);
		return 0;
	}
	buf_release(&b);
	if ((r = qemu_kit_ensure(h)) < 0 || (r = fs_mkdir_p(cache_dir, 0700)) < 0)
		return r;
	if (kvm_boots(h, cache_dir, out->why, sizeof(out->why)))
		snprintf(out->name, sizeof(out->name), "kvm");
	log_info("vm", "accelerator probe: %s%s%s", out->name, out->why[0] ? ": " : "", out->why);
	{
		char line[700];
		int n = snprintf(line, sizeof(line), "%s %s%s%s\n", boot_id, out->name, out->why[0] ? " " : "", out->why);

		if (boot_id[0])
			fs_write_file(cache, line, (size_t)n, 0600);
	}
	return 0;
}
