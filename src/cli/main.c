/* chimera: global options, the command table and dispatch. */
#include "cli/cli.h"
#include "platform/platform.h"
#include "util/err.h"
#include "util/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_deploy_entry,
	&cmd_status_entry,
	&cmd_generations_entry,
	&cmd_rollback_entry,
	&cmd_watch_entry,
	&cmd_dash_entry,
	&cmd_serve_entry,
	&cmd_mcp_entry,
	&cmd_pipeline_entry,
	&cmd_simulate_entry,
	&cmd_heal_entry,
	&cmd_certify_entry,
	&cmd_machines_entry,
	&cmd_hostfactory_entry,
	&cmd_config_entry,
	&cmd_deployments_entry,
	&cmd_exec_entry,
	&cmd_secrets_entry,
	&cmd_tokens_entry,
	&cmd_nix_entry,
	&cmd_run_entry,
	&cmd_sessions_entry,
	&cmd_attach_entry,
	&cmd_facts_entry,
	&cmd_services_entry,
	&cmd_events_entry,
	&cmd_ledger_entry,
	&cmd_lab_entry,
	&cmd_vm_entry,
	&cmd_toml_decode_entry,
	&cmd_help_entry,
	&cmd_version_entry,
	NULL,
};

static const char global_help[] =
	"global options (before or after the command):\n"
	"  --state-dir DIR      state directory (default: $CHIMERA_STATE_DIR, else\n"
	"                       $XDG_STATE_HOME/chimera, else ~/.local/state/chimera)\n"
	"  --config FILE        the inventory, before the command (default: $CHIMERA_CONFIG,\n"
	"                       else ./chimera.toml when there is one)\n"
	"  --ledger URL         the ledger: sqlite:PATH (default: $CHIMERA_LEDGER, else\n"
	"                       sqlite:STATE_DIR/chimera.db)\n"
	"  --ssh-config FILE    the OpenSSH client config to read instead of ~/.ssh/config\n"
	"                       and /etc/ssh/ssh_config ('none': neither; default:\n"
	"                       $CHIMERA_SSH_CONFIG); the lab's is read first (docs/ssh.md)\n"
	"  --server URL         run status, deploy, rollback, deployments, events, machines,\n"
	"                       dash and watch --status through chimera serve at URL instead\n"
	"                       of here (default: $CHIMERA_SERVER; docs/client.md)\n"
	"  --token-file FILE    the server's bearer token, on FILE's first line (mode 600;\n"
	"                       default: $CHIMERA_TOKEN itself, else $CHIMERA_TOKEN_FILE)\n"
	"  --json               machine-readable output on stdout\n"
	"  -v, --verbose        more log output (repeat for more)\n"
	"  -q, --quiet          only errors\n"
	"  --log-level LEVEL    error, warn, info, debug or trace\n"
	"  --log-format FORMAT  text or json (one object a line)\n"
	"  --log-file FILE      log to FILE instead of stderr\n"
	"  --log-max-size BYTES rotate FILE past this size (default 10485760; keeps 3)\n"
	"  -h, --help           help for chimera or a command\n"
	"  -V, --version        print the version\n"
	"\n"
	"exit status: 0 success, 1 error, 2 usage or bad input, 3 partial (some nodes failed)\n";

static void print_main_help(void)
{
	const struct cmd_entry *const *c;

	printf("usage: chimera [global options] <command> [options]\n\n"
	       "Chimera builds a Nix configuration once, ships it to many machines over SSH,\n"
	       "and records every step in a hash-chained ledger.\n\ncommands:\n");
	for (c = cmd_table; *c; c++)
		printf("  %-12s %s\n", (*c)->name, (*c)->summary);
	printf("\n%s\nrun 'chimera <command> --help' for a command's options\n", global_help);
}

static const struct cmd_entry *find_command(const char *name)
{
	const struct cmd_entry *const *c;

	for (c = cmd_table; *c; c++) {
		if (strcmp((*c)->name, name) == 0)
			return *c;
	}
	return NULL;
}

static void unknown_command(const char *name)
{
	const struct cmd_entry *const *c;
	int n = 0;

	fprintf(stderr, "chimera: unknown command '%s'", name);
	for (c = cmd_table; *c; c++) {
		size_t len = strlen(name);

		if (text_distance(name, strlen(name), (*c)->name, strlen((*c)->name)) <= 2 || (len >= 2 && strncmp(name, (*c)->name, len) == 0)) {
			fprintf(stderr, "%s%s", n ? ", " : "; did you mean: ", (*c)->name);
			n++;
		}
	}
	fprintf(stderr, "\nrun 'chimera --help' for the list of commands\n");
}

/* The commands that, given a server, ask it instead of acting here (cli/remote.h). */
static bool runs_through_server(const struct cmd_entry *cmd)
{
	static const char *const names[] = { "status", "deploy", "rollback", "deployments", "events", "machines",
					     "watch", "dash" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(cmd->name, names[i]) == 0)
			return true;
	return false;
}

/* Options every command accepts; they are taken out of argv before the command sees it. */
static int take_global(struct cli *cli, int *argc, char **argv, int *show_help, int *show_version)
{
	int i = 1, o = 1, r;
	enum log_level lvl;
	int level_set = 0;

	while (i < *argc) {
		char *a = argv[i];
		const char *val = NULL;
		const char *name = a;
		size_t nlen = strlen(a);
		char *eq = strchr(a, '=');

		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[o++] = argv[i++];
			break;
		}
		if (strncmp(a, "--", 2) == 0 && eq)
			nlen = (size_t)(eq - a);
#define IS(opt) (nlen == strlen(opt) && strncmp(name, opt, nlen) == 0)
		/* --config before the command is the inventory; after it, deploy's -c FILE.nix. */
		if (IS("--state-dir") || IS("--ledger") || IS("--log-level") || IS("--log-format") || IS("--log-file") ||
		    IS("--log-max-size") || IS("--ssh-config") || IS("--server") || IS("--token-file") ||
		    (IS("--config") && o == 1)) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < *argc)
				val = argv[++i];
			else
				return err_set(ERR_INVALID, "option '%.*s' needs a value", (int)nlen, name);
			if (IS("--state-dir"))
				cli->state_dir_opt = val;
			else if (IS("--ledger"))
				cli->ledger_opt = val;
			else if (IS("--ssh-config"))
				cli->ssh_config_opt = val;
			else if (IS("--server")) {
				cli->server = val;
				cli->server_flag = true;
			} else if (IS("--token-file"))
				cli->token_file = val;
			else if (IS("--config"))
				cli->config_opt = val;
			else if (IS("--log-level")) {
				if ((r = log_level_parse(val, &cli->log.level)) < 0)
					return r;
				level_set = 1;
			} else if (IS("--log-format")) {
				if ((r = log_format_parse(val, &cli->log.format)) < 0)
					return r;
			} else if (IS("--log-file")) {
				cli->log.path = val;
			} else {
				long v;

				if ((r = cli_int("--log-max-size", val, 0, 1L << 40, &v)) < 0)
					return r;
				cli->log.max_size = (size_t)v;
			}
			i++;
			continue;
		}
		if (IS("--json")) {
			cli->json = true;
		} else if (IS("--verbose")) {
			cli->verbose++;
		} else if (a[0] == '-' && a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
			cli->verbose += (int)strlen(a + 1);
		} else if (IS("-q") || IS("--quiet")) {
			cli->quiet = true;
		} else if (IS("-h") || IS("--help")) {
			*show_help = 1;
		} else if ((IS("-V") || IS("--version")) && o == 1) {
			*show_version = 1;
		} else {
			argv[o++] = a;
		}
#undef IS
		i++;
	}
	*argc = o;
	argv[o] = NULL;
	if (!level_set) {
		lvl = LOG_WARN;
		if (cli->quiet)
			lvl = LOG_ERROR;
		else if (cli->verbose == 1)
			lvl = LOG_INFO;
		else if (cli->verbose == 2)
			lvl = LOG_DEBUG;
		else if (cli->verbose > 2)
			lvl = LOG_TRACE;
		cli->log.level = lvl;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	const struct cmd_entry *cmd;
	int show_help = 0, show_version = 0;
	enum cmd_status st;

	cli.log.level = LOG_WARN;
	cli.log.format = LOG_TEXT;
	cli.log.max_size = 10 * 1024 * 1024;
	cli.log.keep = 3;
	if (take_global(&cli, &argc, argv, &show_help, &show_version) < 0) {
		fprintf(stderr, "chimera: error: %s\nrun 'chimera --help' for usage\n", err_msg());
		return cmd_exit_code(CMD_USAGE);
	}
	world_init(&cli.world, &(struct world_options){ .state_dir = cli.state_dir_opt, .config = cli.config_opt,
							 .ledger = cli.ledger_opt, .ssh_config = cli.ssh_config_opt });
	if (log_setup(&cli.log) < 0) {
		fprintf(stderr, "chimera: error: %s\n", err_msg());
		return cmd_exit_code(CMD_ERROR);
	}
	if (show_version && argc < 2) {
		printf("chimera %s\n", CHIMERA_VERSION);
		return 0;
	}
	if (argc < 2) {
		if (show_help) {
			print_main_help();
			return 0;
		}
		fprintf(stderr, "usage: chimera [global options] <command> [options]\n"
				"run 'chimera --help' for the list of commands\n");
		return cmd_exit_code(CMD_USAGE);
	}
	if (!(cmd = find_command(argv[1]))) {
		unknown_command(argv[1]);
		return cmd_exit_code(CMD_USAGE);
	}
	cli.cmd = cmd;
	/* `chimera CMD SUB ...`: SUB is the command from here on (its usage, its --help). */
	if (cmd->subs && argc > 2 && cmd_sub_find(cmd, argv[2])) {
		cli.cmd = cmd_sub_find(cmd, argv[2]);
		argc--;
		argv++;
	}
	if (!cli.server && getenv("CHIMERA_SERVER") && *getenv("CHIMERA_SERVER"))
		cli.server = getenv("CHIMERA_SERVER");
	/* CHIMERA_SERVER names the server for the commands that use one; --server asks for it. */
	if (cli.server && !runs_through_server(cmd) && cli.server_flag && !show_help)
		st = cli_usage(&cli, "%s does not run through a server: leave out --server (the commands that do:"
				     " status, deploy, rollback, deployments, events, machines, watch --status, dash)",
			       cmd->name);
	else if (show_help)
		st = cli_help(&cli);
	else {
		if (cli.server && !runs_through_server(cmd))
			cli.server = NULL;
		st = cli.cmd->exec(&cli, argc - 1, argv + 1);
	}
	log_close();
	cli_release(&cli);
	return cmd_exit_code(st);
}
