/* chimera vm: QEMU virtual machines as machines of the inventory (app/vm); create, start, stop, rm, list. */
#include "cli/cmd_vm.h"
#include "cli/remote.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static const struct cmd_entry *const vm_subs[] = {
	&cmd_vm_create_entry, &cmd_vm_start_entry, &cmd_vm_stop_entry, &cmd_vm_rm_entry, &cmd_vm_list_entry,
	&cmd_vm_console_entry, &cmd_vm_snapshot_entry, &cmd_vm_restore_entry, NULL,
};

static void progress(const char *vm, const char *step, const char *detail, void *arg)
{
	static const struct {
		const char *step, *text;
	} words[] = { { "disk", "making its disk in" }, { "boot", "booting under" }, { "ssh", "waiting for its sshd on" },
		      { "stop", "stopping: pressing its" }, { "snapshot", "snapshotting its disk as" },
		      { "restore", "putting its disk back to" } };
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i].step, step) == 0)
			break;
	fprintf(stderr, "vm %s: %s %s\n", vm, i < sizeof(words) / sizeof(words[0]) ? words[i].text : step, detail);
}

enum cmd_status cmd_vm_open(struct cli *cli, struct world_vm *v)
{
	int r;

	if (remote_on(cli) && cli->server_flag)
		return cli_usage(cli, "VMs run on this machine, not through a server: drop --server");
	if ((r = world_vm_open(&cli->world, cli->config_opt, v)) < 0) {
		world_vm_close(v);
		return cli_fail_err(cli, r);
	}
	if (!cli->quiet)
		v->ctx.progress = progress;
	return CMD_OK;
}

static void print_text(const struct vm_report *rep)
{
	const struct vm_info *vi = &rep->vm;

	if (!strcmp(rep->op, "create") || !strcmp(rep->op, "start") ||
	    (!strcmp(rep->op, "restore") && !strcmp(vi->state, "running"))) {
		printf("%s: %s under %s", vi->spec.name, vi->state, vi->accel);
		if (rep->accel_why[0])
			printf(" (not KVM: %s)", rep->accel_why);
		if (vi->boot_ms > 0)
			printf(", sshd on %s:%d answered after %.1f s", vi->spec.address, vi->spec.port, (double)vi->boot_ms / 1000.0);
		printf("\n");
		if (!strcmp(rep->op, "create"))
			printf("  machine %s of chimera.toml (tag vm): cpus %d, memory %d MiB, disk %d GiB, pid %d\n", vi->spec.name,
			       vi->spec.cpus, vi->spec.memory_mib, vi->spec.disk_gib, (int)vi->pid);
	} else if (!strcmp(rep->op, "stop")) {
		printf("%s: stopped%s\n", vi->spec.name, rep->forced ? " (forced: the guest ignored its power button; QEMU quit)" : "");
	} else if (!strcmp(rep->op, "rm")) {
		printf("%s: deleted (its disk, its directory, its machine in chimera.toml)\n", vi->spec.name);
	} else if (!strcmp(rep->op, "snapshot")) {
		printf("%s: snapshot '%s' of its disk%s\n", vi->spec.name, rep->label, vi->pid ? " (taken while it ran)" : "");
	} else {
		printf("%s: disk back to snapshot '%s'%s\n", vi->spec.name, rep->label,
		       strcmp(vi->state, "running") ? "; it stays stopped" : "");
	}
}

enum cmd_status cmd_vm_report(struct cli *cli, const struct vm_report *rep, int r)
{
	if (cli->json) {
		cli_print_json_text(vm_report_json(rep));
		if (r < 0)
			return r == ERR_INVALID ? CMD_USAGE : CMD_ERROR;
		return CMD_OK;
	}
	if (r < 0) {
		enum cmd_status st = cli_fail_err(cli, r);

		if (rep->console[0] && !strstr(rep->message, rep->console))
			fprintf(stderr, "its console's last lines:\n%s\n", rep->console);
		return st;
	}
	print_text(rep);
	return CMD_OK;
}

enum cmd_status cmd_vm_args(struct cli *cli, int argc, char **argv, int nargs, const char **args, long *timeout_ms,
			    bool *no_wait)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 'T' },
		{ "no-wait", no_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	long s;
	int c, k;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'T':
			if (!timeout_ms)
				return cli_usage(cli, "%s takes no --timeout", cli->cmd->name);
			if (cli_int("--timeout", optarg, 1, 3600, &s) < 0)
				return cli_usage(cli, "%s", err_msg());
			*timeout_ms = s * 1000;
			break;
		case 'W':
			if (!no_wait)
				return cli_usage(cli, "%s takes no --no-wait", cli->cmd->name);
			*no_wait = true;
			break;
		default: return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	for (k = 0; k < nargs; k++)
		args[k] = NULL;
	for (k = 0; optind < argc; k++, optind++) {
		if (k >= nargs)
			return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
		args[k] = argv[optind];
	}
	if (nargs && !args[0])
		return cli_usage(cli, "name the VM");
	return CMD_OK;
}

static enum cmd_status create_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpus", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "disk", required_argument, NULL, 'd' },
		{ "tag", required_argument, NULL, 't' },
		{ "address", required_argument, NULL, 'a' },
		{ "accel", required_argument, NULL, 'A' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "no-wait", no_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	const char *tags[32];
	struct vm_create_opts o = { .tags = tags };
	struct vm_report rep;
	struct world_vm v;
	enum cmd_status st;
	long n;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (cli_int("--cpus", optarg, 1, 64, &n) < 0)
				return cli_usage(cli, "%s", err_msg());
			o.cpus = (int)n;
			break;
		case 'm':
			if (cli_int("--memory", optarg, 128, 65536, &n) < 0)
				return cli_usage(cli, "%s", err_msg());
			o.memory_mib = (int)n;
			break;
		case 'd':
			if (cli_int("--disk", optarg, 1, 1024, &n) < 0)
				return cli_usage(cli, "%s", err_msg());
			o.disk_gib = (int)n;
			break;
		case 't':
			if (o.ntags >= sizeof(tags) / sizeof(tags[0]) - 1)
				return cli_usage(cli, "too many --tag: at most %zu", sizeof(tags) / sizeof(tags[0]) - 1);
			tags[o.ntags++] = optarg;
			break;
		case 'a': o.address = optarg; break;
		case 'A': o.accel = optarg; break;
		case 'T':
			if (cli_int("--timeout", optarg, 1, 3600, &n) < 0)
				return cli_usage(cli, "%s", err_msg());
			o.boot_timeout_ms = n * 1000;
			break;
		case 'W': o.no_wait = true; break;
		default: return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (optind >= argc)
		return cli_usage(cli, "name the VM: chimera vm create NAME");
	if (optind + 1 < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind + 1]);
	o.name = argv[optind];
	if ((st = cmd_vm_open(cli, &v)) != CMD_OK)
		return st;
	r = vm_create(&v.ctx, &o, &rep);
	st = cmd_vm_report(cli, &rep, r);
	vm_report_release(&rep);
	world_vm_close(&v);
	return st;
}

static enum cmd_status start_exec(struct cli *cli, int argc, char **argv)
{
	const char *name;
	long timeout = 0;
	bool no_wait = false;
	struct vm_report rep;
	struct world_vm v;
	enum cmd_status st;
	int r;

	if ((st = cmd_vm_args(cli, argc, argv, 1, &name, &timeout, &no_wait)) != CMD_OK ||
	    (st = cmd_vm_open(cli, &v)) != CMD_OK)
		return st;
	r = vm_start(&v.ctx, name, timeout, no_wait, &rep);
	st = cmd_vm_report(cli, &rep, r);
	vm_report_release(&rep);
	world_vm_close(&v);
	return st;
}

static enum cmd_status stop_rm_exec(struct cli *cli, int argc, char **argv, bool rm)
{
	const char *name;
	long timeout = 0;
	struct vm_report rep;
	struct world_vm v;
	enum cmd_status st;
	int r;

	if ((st = cmd_vm_args(cli, argc, argv, 1, &name, rm ? NULL : &timeout, NULL)) != CMD_OK ||
	    (st = cmd_vm_open(cli, &v)) != CMD_OK)
		return st;
	r = rm ? vm_remove(&v.ctx, name, &rep) : vm_stop(&v.ctx, name, timeout, &rep);
	st = cmd_vm_report(cli, &rep, r);
	vm_report_release(&rep);
	world_vm_close(&v);
	return st;
}

static enum cmd_status stop_exec(struct cli *cli, int argc, char **argv)
{
	return stop_rm_exec(cli, argc, argv, false);
}

static enum cmd_status rm_exec(struct cli *cli, int argc, char **argv)
{
	return stop_rm_exec(cli, argc, argv, true);
}

static enum cmd_status list_exec(struct cli *cli, int argc, char **argv)
{
	struct vm_list l;
	struct world_vm v;
	enum cmd_status st;
	size_t i;
	int r;

	if ((st = cmd_vm_args(cli, argc, argv, 0, NULL, NULL, NULL)) != CMD_OK || (st = cmd_vm_open(cli, &v)) != CMD_OK)
		return st;
	if ((r = vm_list(&v.ctx, &l)) < 0) {
		world_vm_close(&v);
		return cli_fail_err(cli, r);
	}
	if (cli->json) {
		cli_print_json_text(vm_list_json(&l));
	} else if (!l.n) {
		printf("no VMs (chimera vm create NAME makes one)\n");
	} else {
		printf("%-20s %-9s %-5s %-18s %-8s %4s %7s %5s  %s\n", "NAME", "STATE", "ACCEL", "ADDRESS", "PID", "CPUS", "MEMORY",
		       "DISK", "SNAPSHOTS");
		for (i = 0; i < l.n; i++) {
			const struct vm_info *vi = &l.items[i];
			char addr[32], mem[16], disk[16];

			snprintf(addr, sizeof(addr), "%s:%d", vi->spec.address, vi->spec.port);
			snprintf(mem, sizeof(mem), "%dM", vi->spec.memory_mib);
			snprintf(disk, sizeof(disk), "%dG", vi->spec.disk_gib);
			printf("%-20s %-9s %-5s %-18s %-8d %4d %7s %5s  %s\n", vi->spec.name, vi->state,
			       vi->accel[0] ? vi->accel : "-", addr, (int)vi->pid, vi->spec.cpus, mem, disk,
			       vi->snapshots ? vi->snapshots : "-");
		}
	}
	vm_list_release(&l);
	world_vm_close(&v);
	return CMD_OK;
}

const struct cmd_entry cmd_vm_create_entry = {
	.name = "vm create",
	.summary = "make a VM, boot it and add it to chimera.toml (tag vm)",
	.usage = "chimera vm create NAME [--cpus N] [--memory MiB] [--disk GiB] [--tag T]... [--address A]\n"
		 "                 [--accel auto|kvm|tcg] [--timeout S] [--no-wait]",
	.help = "Makes STATE/vm/NAME: a qcow2 disk (ext4; the guest's /nix and /root) with a new sshd host\n"
		"key and chimera's VM key for root, then boots it with qemu-system-x86_64: this machine's\n"
		"kernel, an initramfs chimera makes once from busybox and the kernel's modules, the host's\n"
		"/usr shared read-only (9p) and /etc under a writable overlay, so the guest runs sshd and\n"
		"Nix without downloading anything. User-mode networking with restrict=on: the guest\n"
		"reaches nothing outside; its sshd is forwarded to ADDRESS:22 on loopback.\n"
		"  --cpus N        virtual CPUs (1; 1 to 64)\n"
		"  --memory MiB    memory (1024; 128 to 65536)\n"
		"  --disk GiB      disk size, sparse (8; 1 to 1024)\n"
		"  --tag T         another tag besides vm (repeatable)\n"
		"  --address A     the loopback address for its sshd (the next free one of\n"
		"                  $CHIMERA_VM_ADDRESS_PREFIX, 127.200.0.10 and on)\n"
		"  --accel A       auto (KVM when a probe boot works, else TCG), kvm or tcg\n"
		"  --timeout S     how long its sshd has to answer (60)\n"
		"  --no-wait       return once QEMU runs\n"
		"A VM that does not answer in time is taken back (its console's last lines shown).\n"
		"Events vm.created and vm.started.\n",
	.exec = create_exec,
};

const struct cmd_entry cmd_vm_start_entry = {
	.name = "vm start",
	.summary = "boot a stopped VM",
	.usage = "chimera vm start NAME [--timeout S] [--no-wait]",
	.help = "Boots NAME from its disk and waits for its sshd (--timeout S, 60). Event vm.started.\n",
	.exec = start_exec,
};

const struct cmd_entry cmd_vm_stop_entry = {
	.name = "vm stop",
	.summary = "power a VM down (QMP), then quit it if it does not go",
	.usage = "chimera vm stop NAME [--timeout S]",
	.help = "Presses NAME's power button over QMP (system_powerdown): the guest stops its\n"
		"processes, writes its disk and powers off. After --timeout S (20) QEMU is told to quit\n"
		"(the report says forced). Event vm.stopped.\n",
	.exec = stop_exec,
};

const struct cmd_entry cmd_vm_rm_entry = {
	.name = "vm rm",
	.summary = "stop and delete a VM, and take it out of chimera.toml",
	.usage = "chimera vm rm NAME",
	.help = "Stops NAME when it runs, deletes its directory (disk, snapshots, logs) and its machine\n"
		"in chimera.toml (every other byte of the file kept). Event vm.deleted.\n",
	.exec = rm_exec,
};

const struct cmd_entry cmd_vm_list_entry = {
	.name = "vm list",
	.summary = "the VMs: state, accelerator, address, pid, size, snapshots",
	.usage = "chimera vm list",
	.help = "Every VM the ledger's vm.* events leave, with what QEMU says now (QMP query-status).\n",
	.exec = list_exec,
};

const struct cmd_entry cmd_vm_entry = {
	.name = "vm",
	.summary = "QEMU virtual machines as machines: create, start, stop, rm, list, console, snapshot, restore",
	.usage = "chimera vm SUBCOMMAND [options] [NAME]",
	.help = "A VM is a machine of chimera.toml (tag vm) that chimera also makes and runs; deploy,\n"
		"status, watch, generations and rollback work on it as on any machine (docs/vm.md).\n",
	.exec = cmd_subs_unknown,
	.subs = vm_subs,
};
