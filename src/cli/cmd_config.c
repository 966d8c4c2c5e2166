/* chimera config show: the effective settings, and where each came from. */
#include "app/config/settings.h"
#include "cli/cli.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

static enum cmd_status cmd_config_exec(struct cli *cli, int argc, char **argv)
{
	const struct inventory *inv;
	struct config_setting s[CONFIG_SETTINGS_MAX];
	size_t i, n = 0;
	int r;

	if (argc < 2 || strcmp(argv[1], "show") != 0)
		return cli_usage(cli, "expected: chimera config show");
	if (argc > 2)
		return cli_usage(cli, "unexpected argument '%s'", argv[2]);
	if ((r = cli_inventory(cli, &inv)) < 0)
		return cli_fail(cli, r == ERR_INVALID || r == ERR_NOTFOUND ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
	n = config_settings(inv, s);
	if (cli->json) {
		cli_print_json_text(config_settings_json(inv, cli_inventory_source(cli), s, n));
		return CMD_OK;
	}
	printf("inventory        %s (%s), %zu machine%s\n", inv->path[0] ? inv->path : "none",
	       cli_inventory_source(cli), inv->n, inv->n == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		printf("%-16s %-32s %s\n", s[i].name, s[i].value[0] ? s[i].value : "-", inv_source_name(s[i].from));
	printf("\nprecedence: a command's flags, then CHIMERA_* variables, then [defaults] in the\n"
	       "inventory, then chimera's own defaults\n");
	return CMD_OK;
}

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.summary = "show the effective settings and where each came from",
	.usage = "chimera config show [--json]",
	.help = "Prints the inventory in use and each setting of [defaults] with its value and\n"
		"its source: flag, env (CHIMERA_USER, CHIMERA_PORT, CHIMERA_PROFILE,\n"
		"CHIMERA_ACTIVATION, CHIMERA_PARALLEL, CHIMERA_CONNECT_TIMEOUT), file (the\n"
		"inventory's [defaults]) or default. The inventory is --config FILE (given before\n"
		"the command), else $CHIMERA_CONFIG, else ./chimera.toml. A command's own flags\n"
		"(--profile, --activate, --parallel, --connect-timeout, --check) come first.\n"
		"\n"
		"exit status: 0, or 2 when the inventory cannot be read (file:line:col named).\n",
	.exec = cmd_config_exec,
};
