/* chimera config show: the effective settings, and where each came from. */
#include "app/config/inventory.h"
#include "cli/cli.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

struct setting {
	const char *name;
	char value[1100];
	enum inv_source from;
	const char *env;	/* the variable that sets it */
	const char *flag;	/* the flag that sets it on the commands that take one */
};

static enum cmd_status cmd_config_exec(struct cli *cli, int argc, char **argv)
{
	const struct inventory *inv;
	const struct inv_defaults *d;
	struct setting s[7];
	size_t i, n = 0;
	int r;

	if (argc < 2 || strcmp(argv[1], "show") != 0)
		return cli_usage(cli, "expected: chimera config show");
	if (argc > 2)
		return cli_usage(cli, "unexpected argument '%s'", argv[2]);
	if ((r = cli_inventory(cli, &inv)) < 0)
		return cli_fail(cli, r == ERR_INVALID || r == ERR_NOTFOUND ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
	d = &inv->defaults;
	s[n] = (struct setting){ "user", "", d->user_from, "CHIMERA_USER", NULL };
	snprintf(s[n++].value, sizeof(s[0].value), "%s", d->user);
	s[n] = (struct setting){ "port", "", d->port_from, "CHIMERA_PORT", NULL };
	snprintf(s[n++].value, sizeof(s[0].value), "%u", d->port);
	s[n] = (struct setting){ "profile", "", d->profile_from, "CHIMERA_PROFILE", "--profile" };
	snprintf(s[n++].value, sizeof(s[0].value), "%s", d->profile);
	s[n] = (struct setting){ "activation", "", d->activation_from, "CHIMERA_ACTIVATION", "--activate" };
	snprintf(s[n++].value, sizeof(s[0].value), "%s", d->activation);
	s[n] = (struct setting){ "parallel", "", d->parallel_from, "CHIMERA_PARALLEL", "--parallel" };
	snprintf(s[n++].value, sizeof(s[0].value), "%ld", d->parallel);
	s[n] = (struct setting){ "connect_timeout", "", d->connect_timeout_from, "CHIMERA_CONNECT_TIMEOUT",
				 "--connect-timeout" };
	snprintf(s[n++].value, sizeof(s[0].value), "%ld", d->connect_timeout);
	s[n] = (struct setting){ "checks", "", d->checks_from, NULL, "--check" };
	for (i = 0; i < d->nchecks; i++) {
		size_t o = strlen(s[n].value);

		snprintf(s[n].value + o, sizeof(s[n].value) - o, "%s%s", i ? ", " : "", d->checks[i].text);
	}
	n++;
	if (cli->json) {
		json_t *set = json_object();

		for (i = 0; i < n; i++)
			json_object_set_new(set, s[i].name,
					    json_pack("{s:s, s:s, s:s*, s:s*}", "value", s[i].value, "from",
						      inv_source_name(s[i].from), "env", s[i].env, "flag", s[i].flag));
		cli_print_json(json_pack("{s:{s:s*, s:s, s:I}, s:o}", "inventory", "path",
					 inv->path[0] ? inv->path : NULL, "from", cli_inventory_source(cli), "machines",
					 (json_int_t)inv->n, "settings", set));
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
