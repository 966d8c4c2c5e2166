/*
 * The hypervisor port: make, run and control the virtual machines chimera provisions. One
 * adapter: adapters/qemu (qemu-system-x86_64 through QMP). A VM lives in its own directory
 * (its disk, its sockets, its serial console's log); the port keeps nothing else.
 */
#ifndef CHIMERA_PORTS_HYPERVISOR_H
#define CHIMERA_PORTS_HYPERVISOR_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"

#define VM_NAME_MAX 63		/* a machine name, as the inventory takes it */
#define VM_LABEL_MAX 64		/* a snapshot label: [A-Za-z0-9][A-Za-z0-9._-]* */
#define VM_ACCEL_MAX 8

/* What a VM is made and started with. */
struct vm_spec {
	char name[VM_NAME_MAX + 1];
	int cpus;			/* 1 to 64 */
	int memory_mib;			/* 128 to 65536 */
	int disk_gib;			/* 1 to 1024: the guest's /nix and /root */
	char address[16];		/* the loopback IPv4 address the guest's sshd is forwarded to */
	int port;			/* on ADDRESS */
	char dir[PATH_MAX];		/* the VM's own directory */
	char pubkey[1024];		/* the controller's public key, authorised for root */
};

/* Which accelerator runs guests here, and why not the other. */
struct vm_accel {
	char name[VM_ACCEL_MAX];	/* "kvm" or "tcg" */
	char why[512];			/* when "tcg": why not KVM ("no /dev/kvm", "a KVM guest did not boot in 15 s") */
};

/* What a VM is doing now, read from its process and its QMP socket. */
struct vm_live {
	bool running;			/* a QEMU process of this VM is alive */
	pid_t pid;			/* 0 when none */
	char status[32];		/* QMP's run state ("running", "paused", "shutdown"...), "stopped" with no process */
};

struct hypervisor;

struct hypervisor_ops {
	const char *name;		/* "qemu" */
	/*
	 * Which accelerator works: KVM only when /dev/kvm opens and a KVM guest boots to its
	 * init in time (the answer is kept for the machine's boot), else TCG with why.
	 */
	int (*probe)(struct hypervisor *h, const char *cache_dir, struct vm_accel *out);
	/*
	 * Make S's directory and disk (S->disk_gib, sparse) holding the guest's sshd host key
	 * (its public half into HOSTKEY, "type base64"), S->pubkey for root and an empty Nix
	 * store. ERR_EXISTS when the directory holds a disk already.
	 */
	int (*make)(struct hypervisor *h, const struct vm_spec *s, struct buf *hostkey);
	/* Start S under ACCEL ("kvm"/"tcg") in the background: *PID its QEMU. ERR_BUSY when S->address:S->port is taken. */
	int (*start)(struct hypervisor *h, const struct vm_spec *s, const char *accel, pid_t *pid);
	/*
	 * Wait up to TIMEOUT_MS for the guest's sshd to greet on S->address:S->port. ERR_TIMEOUT
	 * (the serial console's last lines in the message), or ERR_IO when QEMU died meanwhile.
	 */
	int (*wait_ssh)(struct hypervisor *h, const struct vm_spec *s, long timeout_ms);
	/* Power S down over QMP and wait up to TIMEOUT_MS; then quit it (*FORCED true). 0 when it was not running. */
	int (*stop)(struct hypervisor *h, const struct vm_spec *s, long timeout_ms, bool *forced);
	/* What S is doing now. */
	int (*live)(struct hypervisor *h, const struct vm_spec *s, struct vm_live *out);
	/* Snapshot S's disk as LABEL (running or not). ERR_EXISTS when LABEL is taken. */
	int (*snapshot)(struct hypervisor *h, const struct vm_spec *s, const char *label);
	/* Put S's disk back to LABEL; S must not be running (ERR_BUSY). ERR_NOTFOUND for no such label. */
	int (*restore)(struct hypervisor *h, const struct vm_spec *s, const char *label);
	/* S's snapshot labels, one a line, oldest first, into OUT. */
	int (*snapshots)(struct hypervisor *h, const struct vm_spec *s, struct buf *out);
	/* The last LINES lines of S's serial console into OUT ("" when it printed nothing). */
	int (*console_tail)(struct hypervisor *h, const struct vm_spec *s, size_t lines, struct buf *out);
	/*
	 * Join S's serial console: bytes from IN_FD go to the guest, the guest's to OUT_FD, until
	 * ESCAPE (a byte; -1: none) is read from IN_FD, IN_FD ends (then after IDLE_MS of the
	 * guest's silence), or the VM stops.
	 */
	int (*console)(struct hypervisor *h, const struct vm_spec *s, int in_fd, int out_fd, int escape, long idle_ms);
	/* Delete S's directory (S must not be running: ERR_BUSY). */
	int (*destroy)(struct hypervisor *h, const struct vm_spec *s);
	void (*close)(struct hypervisor *h);
};

struct hypervisor {
	const struct hypervisor_ops *ops;
};

#endif
