/* chimera vm console, snapshot and restore. */
#include "cli/cmd_vm.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "util/banned.h"

#define CONSOLE_ESCAPE 0x1d	/* Ctrl-] */

static enum cmd_status snapshot_exec(struct cli *cli, int argc, char **argv)
{
	const char *args[2];
	struct vm_report rep;
	struct world_vm v;
	enum cmd_status st;
	int r;

	if ((st = cmd_vm_args(cli, argc, argv, 2, args, NULL, NULL)) != CMD_OK)
		return st;
	if (args[1] && vm_label_check(args[1]) < 0)
		return cli_usage(cli, "%s", err_msg());
	if ((st = cmd_vm_open(cli, &v)) != CMD_OK)
		return st;
	r = vm_snapshot(&v.ctx, args[0], args[1], &rep);
	st = cmd_vm_report(cli, &rep, r);
	vm_report_release(&rep);
	world_vm_close(&v);
	return st;
}

static enum cmd_status restore_exec(struct cli *cli, int argc, char **argv)
{
	const char *args[2];
	long timeout = 0;
	struct vm_report rep;
	struct world_vm v;
	enum cmd_status st;
	int r;

	if ((st = cmd_vm_args(cli, argc, argv, 2, args, &timeout, NULL)) != CMD_OK)
		return st;
	if (!args[1])
		return cli_usage(cli, "name the snapshot: chimera vm restore NAME LABEL");
	if (vm_label_check(args[1]) < 0)
		return cli_usage(cli, "%s", err_msg());
	if ((st = cmd_vm_open(cli, &v)) != CMD_OK)
		return st;
	r = vm_restore(&v.ctx, args[0], args[1], timeout, &rep);
	st = cmd_vm_report(cli, &rep, r);
	vm_report_release(&rep);
	world_vm_close(&v);
	return st;
}

static enum cmd_status console_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tail", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_info vi;
	struct world_vm v;
	struct termios saved, raw;
	struct buf tail = BUF_INIT(1 << 20);
	enum cmd_status st = CMD_OK;
	bool tty = isatty(0), restore = false;
	long lines = -1;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'n')
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		if (cli_int("--tail", optarg, 1, 100000, &lines) < 0)
			return cli_usage(cli, "%s", err_msg());
	}
	if (optind >= argc)
		return cli_usage(cli, "name the VM: chimera vm console NAME");
	if (optind + 1 < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind + 1]);
	if ((st = cmd_vm_open(cli, &v)) != CMD_OK)
		return st;
	if ((r = vm_get(&v.ctx, argv[optind], &vi)) < 0) {
		world_vm_close(&v);
		return cli_fail_err(cli, r);
	}
	if (lines > 0) {
		if ((r = v.hv->ops->console_tail(v.hv, &vi.spec, (size_t)lines, &tail)) < 0)
			st = cli_fail_err(cli, r);
		else if (tail.len)
			printf("%s\n", tail.data);
		goto out;
	}
	if (!vi.pid) {
		st = cli_fail(cli, CMD_ERROR, "VM %s does not run (chimera vm start %s)", vi.spec.name, vi.spec.name);
		goto out;
	}
	if (tty && tcgetattr(0, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		restore = tcsetattr(0, TCSANOW, &raw) == 0;
		fprintf(stderr, "vm %s: its serial console; Ctrl-] leaves\r\n", vi.spec.name);
	}
	/* Not a terminal: what comes in is sent, then what the guest says until it is quiet for 2 s. */
	r = v.hv->ops->console(v.hv, &vi.spec, 0, 1, tty ? CONSOLE_ESCAPE : -1, 2000);
	if (restore)
		tcsetattr(0, TCSANOW, &saved);
	if (r < 0)
		st = cli_fail_err(cli, r);
out:
	buf_release(&tail);
	vm_info_release(&vi);
	world_vm_close(&v);
	return st;
}

const struct cmd_entry cmd_vm_console_entry = {
	.name = "vm console",
	.summary = "join a VM's serial console (a root shell), or print its last lines",
	.usage = "chimera vm console NAME [--tail N]",
	.help = "Joins NAME's serial console, where the guest keeps a root shell: Ctrl-] leaves. When\n"
		"stdin is not a terminal, what it holds is sent and the guest's answer printed until it\n"
		"is quiet for 2 s. --tail N prints the console log's last N lines instead (kernel\n"
		"messages and the guest's init included), running or not.\n",
	.exec = console_exec,
};

const struct cmd_entry cmd_vm_snapshot_entry = {
	.name = "vm snapshot",
	.summary = "snapshot a VM's disk under a label",
	.usage = "chimera vm snapshot NAME [LABEL]",
	.help = "Snapshots NAME's disk (qcow2's internal snapshots; while it runs, QEMU takes it) as\n"
		"LABEL (snap-N when not given). Its generations, profiles and store are on that disk;\n"
		"its memory is not kept. Event vm.snapshotted.\n",
	.exec = snapshot_exec,
};

const struct cmd_entry cmd_vm_restore_entry = {
	.name = "vm restore",
	.summary = "put a VM's disk back to a snapshot",
	.usage = "chimera vm restore NAME LABEL [--timeout S]",
	.help = "Stops NAME when it runs, puts its disk back to LABEL and, when it ran, boots it again\n"
		"(waiting --timeout S, 60, for its sshd). Event vm.restored.\n",
	.exec = restore_exec,
};
