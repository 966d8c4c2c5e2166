/*
 * Use cases: `chimera vm create|start|stop|rm|list|console|snapshot|restore`. A VM is a
 * machine of the inventory (tag "vm", target its loopback address) that chimera also makes
 * and runs, through the hypervisor port. Its life is vm.* events; the projection folded from
 * them (app/vm/vm_fold.c) is what every use case and `vm list` read, with the hypervisor's
 * word on what runs now. Each use case holds the VM's lock (STATE/vm/NAME/lock) while it
 * acts, so two operations never change one VM at once.
 */
#ifndef CHIMERA_APP_VM_H
#define CHIMERA_APP_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ports/hypervisor.h"
#include "ports/ledger.h"

#define VM_BOOT_TIMEOUT_MS_DEFAULT 60000L
#define VM_STOP_TIMEOUT_MS_DEFAULT 20000L
#define VM_ADDRESS_PREFIX_DEFAULT "127.200.0."	/* VMs get .10, .11, ... unless told */

/* What every use case works with; all borrowed. */
struct vm_ctx {
	struct hypervisor *hv;
	struct ledger *ledger;			/* where vm.* events are read and appended */
	const char *state_dir;			/* VMs live in STATE/vm/NAME, the boot kit in STATE/vm/kit */
	const char *inventory;			/* the chimera.toml a created VM is written into */
	const char *address_prefix;		/* NULL: VM_ADDRESS_PREFIX_DEFAULT ("A.B.C.") */
	const char *pubkey;			/* the controller's key for VMs ("type base64 comment"), authorised for root */
	const char *key_file;			/* its private half, named in STATE/vm/ssh_config */
	long lock_wait_s;			/* how long stop, rm and restore wait for the node lease another operation holds */
	/* Progress of long steps ("kit", "disk", "boot", "ssh", "stop"...), NULL for none. */
	void (*progress)(const char *vm, const char *step, const char *detail, void *arg);
	void *progress_arg;
};

struct vm_create_opts {
	const char *name;
	int cpus;				/* 0: 1 */
	int memory_mib;				/* 0: 1024 */
	int disk_gib;				/* 0: 8 */
	const char *const *tags;		/* besides "vm" */
	size_t ntags;
	const char *address;			/* NULL: the next free one under the prefix */
	const char *accel;			/* "auto" (NULL), "kvm" or "tcg" */
	long boot_timeout_ms;			/* 0: VM_BOOT_TIMEOUT_MS_DEFAULT */
	bool no_wait;				/* return once QEMU runs, before the guest's sshd answers */
};

/* One VM as the projection and the hypervisor see it. */
struct vm_info {
	struct vm_spec spec;
	char target[96];			/* how the inventory reaches it: "ADDRESS" (port 22) or "ADDRESS:PORT" */
	char accel[VM_ACCEL_MAX];		/* what it was last started with */
	char state[32];				/* "running", "stopped", "paused", "shutdown", ... */
	pid_t pid;				/* 0 when not running */
	int64_t created_ms;			/* wall clock, ms */
	int64_t started_ms;			/* last vm.started, 0 when never */
	int64_t boot_ms;			/* create/start to SSH-ready, last time; 0 when unknown */
	char *snapshots;			/* labels, comma-separated, oldest first; owned; NULL when none */
	int64_t seq;				/* its last vm.* event */
};

/* What a use case did, for the CLI, the API and the HostFactory provider. */
struct vm_report {
	char op[16];				/* "create", "start", "stop", "rm", "snapshot", "restore" */
	bool ok;
	struct vm_info vm;
	char label[VM_LABEL_MAX + 1];		/* snapshot, restore */
	bool forced;				/* stop: QEMU was quit after the power-down wait */
	char accel_why[512];			/* why TCG ran when KVM was asked for or "auto" */
	char message[1024];			/* what failed: what to do about it */
	char console[4096];			/* a boot that failed: the serial console's last lines */
	int64_t ms;
};

struct vm_list {
	struct vm_info *items;			/* by name; owned */
	size_t n;
};

/* Parse a snapshot label (ERR_INVALID naming it and the form). */
int vm_label_check(const char *label);

/*
 * Make and boot VM O->name: its directory and disk, QEMU under the accelerator the probe
 * allows, then (unless O->no_wait) wait for its sshd. Written into C->inventory as machine
 * NAME with tags vm and O->tags; vm.created then vm.started recorded. Failing after the disk
 * was made takes everything back (process, directory, inventory entry) and records
 * vm.deleted. REP filled either way; returns 0 or the error (its message in REP too).
 */
int vm_create(const struct vm_ctx *c, const struct vm_create_opts *o, struct vm_report *rep);

/* Boot a stopped VM; waits for SSH unless NO_WAIT. vm.started. */
int vm_start(const struct vm_ctx *c, const char *name, long boot_timeout_ms, bool no_wait, struct vm_report *rep);

/* Whether NAME's sshd answers now (a short wait of WAIT_MS): 1 yes, 0 not yet, or an error (QEMU gone). */
int vm_ready(const struct vm_ctx *c, const char *name, long wait_ms);

/* Power NAME down (QMP), wait TIMEOUT_MS (0: default), then quit it. vm.stopped. */
int vm_stop(const struct vm_ctx *c, const char *name, long timeout_ms, struct vm_report *rep);

/* Stop NAME when running, delete its directory, take it out of the inventory. vm.deleted. */
int vm_remove(const struct vm_ctx *c, const char *name, struct vm_report *rep);

/* Snapshot NAME's disk as LABEL (NULL: "snap-N"). vm.snapshotted. */
int vm_snapshot(const struct vm_ctx *c, const char *name, const char *label, struct vm_report *rep);

/* Put NAME back to LABEL: stopped first when running, and started again after. vm.restored. */
int vm_restore(const struct vm_ctx *c, const char *name, const char *label, long boot_timeout_ms, struct vm_report *rep);

/* Every VM the ledger knows and has not deleted, with what runs now. */
int vm_list(const struct vm_ctx *c, struct vm_list *out);
/* One VM; ERR_NOTFOUND "no VM named 'X'". */
int vm_get(const struct vm_ctx *c, const char *name, struct vm_info *out);

void vm_info_release(struct vm_info *vi);
void vm_report_release(struct vm_report *rep);
void vm_list_release(struct vm_list *l);

/* The documents the CLI's --json and the API print. The caller frees them; NULL when out of memory. */
char *vm_report_json(const struct vm_report *rep);
char *vm_list_json(const struct vm_list *l);

#endif
