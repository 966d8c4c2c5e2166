/* chimera vm: what its subcommands (cmd_vm*.c) share. */
#ifndef CHIMERA_CLI_CMD_VM_H
#define CHIMERA_CLI_CMD_VM_H

#include "cli/cli.h"
#include "runtime/vm.h"

extern const struct cmd_entry cmd_vm_create_entry;
extern const struct cmd_entry cmd_vm_start_entry;
extern const struct cmd_entry cmd_vm_stop_entry;
extern const struct cmd_entry cmd_vm_rm_entry;
extern const struct cmd_entry cmd_vm_list_entry;
extern const struct cmd_entry cmd_vm_console_entry;
extern const struct cmd_entry cmd_vm_snapshot_entry;
extern const struct cmd_entry cmd_vm_restore_entry;

/* Open V for CLI (progress on stderr unless --quiet); refuses --server. Returns CMD_OK or the failure printed. */
enum cmd_status cmd_vm_open(struct cli *cli, struct world_vm *v);

/* Print REP (text or --json) and return its status: CMD_OK, or CMD_ERROR / CMD_USAGE after R. */
enum cmd_status cmd_vm_report(struct cli *cli, const struct vm_report *rep, int r);

/* Parse the options every subcommand of one VM takes (--timeout S, --no-wait when ALLOW_NO_WAIT); ARGV's NAME into *NAME. */
enum cmd_status cmd_vm_args(struct cli *cli, int argc, char **argv, int nargs, const char **args, long *timeout_ms,
			    bool *no_wait);

#endif
