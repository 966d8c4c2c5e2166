/* chimera version: print the version. */
#include "cli/cli.h"

#include <stdio.h>
#include "util/banned.h"

static enum cmd_status cmd_version_exec(struct cli *cli, int argc, char **argv)
{
	if (argc > 1)
		return cli_usage(cli, "unexpected argument '%s'", argv[1]);
	if (cli->json)
		printf("{\"version\":\"%s\"}\n", CHIMERA_VERSION);
	else
		printf("chimera %s\n", CHIMERA_VERSION);
	return CMD_OK;
}

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.summary = "print the version",
	.usage = "chimera version [--json]",
	.help = "Prints chimera's version; the same as 'chimera --version'.\n",
	.exec = cmd_version_exec,
};
