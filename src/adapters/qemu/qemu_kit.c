/* The boot kit: the host's kernel and an initramfs of busybox, the modules a guest needs and its scripts. */
#include "adapters/qemu/qemu_internal.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/shell.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

int qemu_tool(const char *name, const char *package, char *out, size_t len)
{
	if (proc_which(name, out, len) < 0)
		return err_set(ERR_UNSUPPORTED, "VMs need '%s', which is not installed: apt-get install %s", name, package);
	return 0;
}

/* The newest V with both /boot/vmlinuz-V and /lib/modules/V into VER. */
static int newest_kernel(char *ver, size_t len)
{
	DIR *d = opendir("/boot");
	struct dirent *e;
	char mods[PATH_MAX];

	ver[0] = '\0';
	if (!d)
		return err_set(ERR_UNSUPPORTED, "VMs need a kernel in /boot: apt-get install linux-image-amd64");
	while ((e = readdir(d)) != NULL) {
		const char *v;

		if (strncmp(e->d_name, "vmlinuz-", 8) != 0)
			continue;
		v = e->d_name + 8;
		snprintf(mods, sizeof(mods), "/lib/modules/%s/modules.dep", v);
		if (!fs_exists(mods) || strlen(v) >= len)
			continue;
		if (!ver[0] || strverscmp(v, ver) > 0)
			snprintf(ver, len, "%s", v);
	}
	closedir(d);
	if (!ver[0])
		return err_set(ERR_UNSUPPORTED,
			       "VMs need a kernel with its modules (/boot/vmlinuz-V and /lib/modules/V): apt-get install "
			       "linux-image-amd64");
	return 0;
}

/* Copy file FROM to TO (mode MODE). */
static int copy_file(const char *from, const char *to, mode_t mode)
{
	struct buf b = BUF_INIT(256u << 20);
	int r;

	if ((r = fs_read_file(from, &b)) == 0)
		r = fs_write_file(to, b.data, b.len, mode);
	buf_release(&b);
	return r;
}

/* Each module the guest needs, with what it depends on first, copied into STAGE/mods and listed in STAGE/modules.order. */
static int stage_modules(const char *ver, const char *stage)
{
	char modprobe[PATH_MAX], path[PATH_MAX];
	struct buf out = BUF_INIT(1 << 20), order = BUF_INIT(1 << 20);
	size_t i;
	int r, status;

	if ((r = qemu_tool("modprobe", "kmod", modprobe, sizeof(modprobe))) < 0)
		return r;
	for (i = 0; r == 0 && qemu_guest_modules[i]; i++) {
		char *argv[] = { modprobe, "--show-depends", "-S", (char *)ver, (char *)qemu_guest_modules[i], NULL };
		char *line, *save = NULL;

		buf_reset(&out);
		if ((r = proc_run(argv, &out, &status)) < 0)
			break;
		if (status != 0) {
			r = err_set(ERR_UNSUPPORTED, "kernel %s has no module '%s': %s", ver, qemu_guest_modules[i], out.data);
			break;
		}
		for (line = strtok_r(out.data, "\n", &save); r == 0 && line; line = strtok_r(NULL, "\n", &save)) {
			char ko[PATH_MAX], entry[PATH_MAX + 8];
			const char *base;

			/* "insmod /lib/modules/V/kernel/.../x.ko [params]"; "builtin x" needs nothing. */
			if (sscanf(line, "insmod %4095s", ko) != 1)
				continue;
			base = strrchr(ko, '/') ? strrchr(ko, '/') + 1 : ko;
			snprintf(entry, sizeof(entry), "/mods/%s\n", base);
			if (strstr(order.data ? order.data : "", entry))
				continue;
			snprintf(path, sizeof(path), "%s/mods/%s", stage, base);
			if ((r = copy_file(ko, path, 0644)) == 0)
				r = buf_adds(&order, entry);
		}
	}
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/modules.order", stage);
		r = fs_write_file(path, order.data ? order.data : "", order.len, 0644);
	}
	buf_release(&out);
	buf_release(&order);
	return r;
}

/* Whether the ELF64 file in DATA has a PT_INTERP program header (it is dynamically linked). */
static bool elf_wants_loader(const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	uint64_t phoff;
	uint16_t phentsize, phnum, i;

	if (len < 64 || memcmp(p, "\x7f" "ELF", 4) != 0 || p[4] != 2 || p[5] != 1)
		return true;	/* not a little-endian ELF64: treat as unusable */
	memcpy(&phoff, p + 32, 8);
	memcpy(&phentsize, p + 54, 2);
	memcpy(&phnum, p + 56, 2);
	for (i = 0; i < phnum; i++) {
		uint32_t type;
		uint64_t at = phoff + (uint64_t)i * phentsize;

		if (phentsize < 4 || at > len - 4)
			return true;
		memcpy(&type, p + at, 4);
		if (type == 3)
			return true;
	}
	return false;
}

/* STAGE's files: busybox, the scripts, the modules. */
static int stage_files(const char *ver, const char *stage)
{
	static const struct {
		const char *name;
		const char *text;
		mode_t mode;
	} files[] = { { "init", qemu_guest_init1, 0755 },
		      { "init2", qemu_guest_init2, 0755 },
		      { "poweroff", qemu_guest_poweroff, 0755 },
		      { "sshd_config", qemu_guest_sshd_config, 0644 } };
	char busybox[PATH_MAX], path[PATH_MAX];
	struct buf bb = BUF_INIT(64u << 20);
	size_t i;
	int r;

	if ((r = qemu_tool("busybox", "busybox-static", busybox, sizeof(busybox))) < 0)
		return r;
	if ((r = fs_read_file(busybox, &bb)) < 0)
		goto out;
	/* The initramfs has no libraries: a busybox that asks for a loader cannot run there. */
	if (elf_wants_loader(bb.data, bb.len)) {
		r = err_set(ERR_UNSUPPORTED, "'%s' is not statically linked: apt-get install busybox-static", busybox);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/bin", stage);
	if ((r = fs_mkdir_p(path, 0755)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/mods", stage);
	if ((r = fs_mkdir_p(path, 0755)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/bin/busybox", stage);
	if ((r = fs_write_file(path, bb.data, bb.len, 0755)) < 0)
		goto out;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", stage, files[i].name);
		if ((r = fs_write_file(path, files[i].text, strlen(files[i].text), files[i].mode)) < 0)
			goto out;
	}
	r = stage_modules(ver, stage);
out:
	buf_release(&bb);
	return r;
}

/* STAGE packed as a gzipped newc cpio archive into OUT. */
static int pack(const char *stage, const char *out)
{
	char sh[PATH_MAX], cpio[PATH_MAX], gzip[PATH_MAX];
	struct buf script = BUF_INIT(0), log = BUF_INIT(1 << 16);
	int r, status;

	if ((r = qemu_tool("cpio", "cpio", cpio, sizeof(cpio))) < 0 || (r = qemu_tool("gzip", "gzip", gzip, sizeof(gzip))) < 0 ||
	    (r = qemu_tool("sh", "dash", sh, sizeof(sh))) < 0)
		return r;
	buf_adds(&script, "set -e; cd ");
	shell_quote(&script, stage);
	buf_adds(&script, " && find . | LC_ALL=C sort | ");
	shell_quote(&script, cpio);
	buf_adds(&script, " -o -H newc --quiet -R 0:0 | ");
	shell_quote(&script, gzip);
	buf_adds(&script, " -1 > ");
	shell_quote(&script, out);
	{
		char *argv[] = { sh, "-c", script.data, NULL };

		if ((r = proc_run(argv, &log, &status)) == 0 && status != 0)
			r = err_set(ERR_IO, "cannot pack the VM initramfs: %s", log.data ? log.data : "");
	}
	buf_release(&script);
	buf_release(&log);
	return r;
}

/* KIT_DIR/V-HASH: the scripts' and the module list's digest tells kits apart. */
static void kit_name(const char *ver, char *out, size_t len)
{
	struct sha3_ctx *c = sha3_begin();
	uint8_t d[SHA3_256_LEN];
	char hex[2 * SHA3_256_LEN + 1];
	size_t i;

	if (c) {
		sha3_update(c, qemu_guest_init1, strlen(qemu_guest_init1));
		sha3_update(c, qemu_guest_init2, strlen(qemu_guest_init2));
		sha3_update(c, qemu_guest_poweroff, strlen(qemu_guest_poweroff));
		sha3_update(c, qemu_guest_sshd_config, strlen(qemu_guest_sshd_config));
		for (i = 0; qemu_guest_modules[i]; i++)
			sha3_update(c, qemu_guest_modules[i], strlen(qemu_guest_modules[i]) + 1);
		sha3_end(c, d);
		hex_encode(d, 6, hex);
	} else {
		snprintf(hex, sizeof(hex), "0");
	}
	snprintf(out, len, "%s-%s", ver, hex);
}

/* Kits of other kernels or scripts than NAME go: nothing boots from them again. */
static void prune(const char *kit_dir, const char *name)
{
	DIR *d = opendir(kit_dir);
	struct dirent *e;
	char path[PATH_MAX];

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.' || strcmp(e->d_name, name) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", kit_dir, e->d_name);
		fs_rm_rf(path);
	}
	if (d)
		closedir(d);
}

static int kit_build(const char *ver, const char *dir)
{
	char stage[PATH_MAX], tmp[PATH_MAX], final[PATH_MAX];
	int r;

	snprintf(stage, sizeof(stage), "%s.stage", dir);
	fs_rm_rf(stage);
	if ((r = fs_mkdir_p(stage, 0755)) < 0 || (r = fs_mkdir_p(dir, 0755)) < 0)
		return r;
	log_info("vm", "making the VM boot kit for kernel %s in %s", ver, dir);
	snprintf(tmp, sizeof(tmp), "%s/initrd.gz.tmp", dir);
	snprintf(final, sizeof(final), "%s/initrd.gz", dir);
	if ((r = stage_files(ver, stage)) == 0 && (r = pack(stage, tmp)) == 0 && rename(tmp, final) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot write '%s'", final);
	fs_rm_rf(stage);
	unlink(tmp);
	return r;
}

int qemu_kit_ensure(struct qemu_hv *h)
{
	char ver[256], name[320], dir[PATH_MAX], lock[PATH_MAX];
	int fd, r = 0;

	if (h->initrd[0])
		return 0;
	if ((r = newest_kernel(ver, sizeof(ver))) < 0)
		return r;
	kit_name(ver, name, sizeof(name));
	snprintf(dir, sizeof(dir), "%s/%s", h->kit_dir, name);
	snprintf(h->kernel, sizeof(h->kernel), "/boot/vmlinuz-%s", ver);
	if (access(h->kernel, R_OK) < 0)
		return err_set_errno(ERR_UNSUPPORTED, errno, "cannot read the kernel '%s'", h->kernel);
	if ((r = fs_mkdir_p(h->kit_dir, 0700)) < 0)
		return r;
	snprintf(lock, sizeof(lock), "%s/lock", h->kit_dir);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot open '%s'", lock);
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	snprintf(h->initrd, sizeof(h->initrd), "%s/initrd.gz", dir);
	if (!fs_exists(h->initrd) && (r = kit_build(ver, dir)) == 0)
		prune(h->kit_dir, name);
	close(fd);
	if (r < 0)
		h->initrd[0] = '\0';
	return r;
}
