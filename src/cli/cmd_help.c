/* chimera help: a command's help, or the list of commands. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

static enum cmd_status cmd_help_exec(struct cli *cli, int argc, char **argv)
{
	const struct cmd_entry *const *c, *sub;

	if (argc > 3)
		return cli_usage(cli, "unexpected argument '%s'", argv[3]);
	if (argc >= 2) {
		for (c = cmd_table; *c; c++) {
			if (strcmp((*c)->name, argv[1]) != 0)
				continue;
			/* chimera help CMD SUB: the subcommand's help. */
			if (argc == 3 && !(sub = cmd_sub_find(*c, argv[2])))
				return cli_usage(cli, "unknown subcommand '%s %s'%s", argv[1], argv[2],
						 (*c)->subs ? "" : ": that command has none");
			cli->cmd = argc == 3 ? sub : *c;
			return cli_help(cli);
		}
		return cli_usage(cli, "unknown command '%s'", argv[1]);
	}
	printf("commands:\n");
	for (c = cmd_table; *c; c++)
		printf("  %-12s %s\n", (*c)->name, (*c)->summary);
	printf("\nrun 'chimera <command> --help' or 'chimera --help' for more\n");
	return CMD_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.summary = "show help for a command",
	.usage = "chimera help [COMMAND [SUBCOMMAND]]",
	.help = "Prints the help of COMMAND (or of its SUBCOMMAND: chimera help nix gc), or the list\n"
		"of commands.\n",
	.exec = cmd_help_exec,
};
