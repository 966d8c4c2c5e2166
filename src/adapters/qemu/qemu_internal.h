/* Private to adapters/qemu: the guest's scripts, the boot kit, the QMP client, the QEMU process. */
#ifndef CHIMERA_ADAPTERS_QEMU_INTERNAL_H
#define CHIMERA_ADAPTERS_QEMU_INTERNAL_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "adapters/qemu/qemu.h"
#include "ports/hypervisor.h"
#include "util/buf.h"

extern const char qemu_guest_init1[];
extern const char qemu_guest_init2[];
extern const char qemu_guest_poweroff[];
extern const char qemu_guest_sshd_config[];
extern const char *const qemu_guest_modules[];

struct qemu_hv {
	struct hypervisor base;
	char kit_dir[PATH_MAX];		/* STATE/vm/kit */
	char qemu[PATH_MAX];		/* qemu-system-x86_64 */
	char qemu_img[PATH_MAX];
	char kernel[PATH_MAX];		/* the kernel the kit was made for */
	char initrd[PATH_MAX];		/* "" until qemu_kit_ensure */
};

/*
 * The boot kit: this machine's newest kernel with modules (/boot/vmlinuz-V, /lib/modules/V)
 * and an initramfs made from it, busybox and the guest's scripts, kept in KIT_DIR/V-HASH
 * (HASH of the scripts), made once under a lock. Fills H->kernel and H->initrd.
 */
int qemu_kit_ensure(struct qemu_hv *h);

/* A program's path, or ERR_UNSUPPORTED naming the Debian package that has it. */
int qemu_tool(const char *name, const char *package, char *out, size_t len);

/* Files of a VM's directory: DIR/NAME into OUT (PATH_MAX). */
void qemu_path(const struct vm_spec *s, const char *name, char *out);

/* The QEMU of S when it runs (its pid file names a live process whose command line holds S->dir), else 0. */
pid_t qemu_pid(const struct vm_spec *s);

/* The last LINES lines of S's console log into OUT. */
int qemu_console_tail(struct hypervisor *hv, const struct vm_spec *s, size_t lines, struct buf *out);

/* One QMP command on S's socket: connect, negotiate, run CMD (ARGS borrowed, may be NULL), *RET the return (owned). */
int qemu_qmp(const struct vm_spec *s, const char *cmd, json_t *args, json_t **ret, long timeout_ms);

/* Connect *FD to the unix socket PATH (WHAT names it in messages). */
int qemu_unix_connect(const char *path, const char *what, int *fd);

/* Wait up to TIMEOUT_MS for PID to exit; true when it did. */
bool qemu_wait_exit(pid_t pid, long timeout_ms);

int qemu_snapshot(struct hypervisor *hv, const struct vm_spec *s, const char *label);
int qemu_restore(struct hypervisor *hv, const struct vm_spec *s, const char *label);
int qemu_snapshots(struct hypervisor *hv, const struct vm_spec *s, struct buf *out);
int qemu_console(struct hypervisor *hv, const struct vm_spec *s, int in_fd, int out_fd, int escape, long idle_ms);
int qemu_probe(struct hypervisor *hv, const char *cache_dir, struct vm_accel *out);
int qemu_make(struct hypervisor *hv, const struct vm_spec *s, struct buf *hostkey);

/* The argument vector QEMU runs S with under ACCEL (KERNEL_EXTRA appended to its command line); free with qemu_argv_free. */
char **qemu_argv(const struct qemu_hv *h, const struct vm_spec *s, const char *accel, const char *cmdline_extra);
void qemu_argv_free(char **argv);

#endif
