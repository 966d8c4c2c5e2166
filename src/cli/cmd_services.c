/* chimera services: list, inspect and control systemd services on every target. */
#include "app/fleet/services.h"
#include "cli/cli.h"
#include "cli/fleet_opts.h"
#include "util/err.h"
#include "util/json.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "util/banned.h"

struct services_view {
	bool tty;
};

static void show_progress(const struct services_node *n, size_t done, size_t total, void *arg)
{
	struct services_view *v = arg;

	(void)n;
	if (v->tty)
		fprintf(stderr, "\r%zu/%zu nodes done", done, total);
	if (done == total && v->tty)
		fprintf(stderr, "\n");
}





/* One node's units as a table. */
static void print_units(const struct sd_unit_list *l)
{
	int wid = 4, wact = 6, wfile = 7, wsince = 5;
	char act[2 * SD_STATE_MAX + 2], mem[32], pid[16];
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct sd_unit *u = &l->items[i];
		int a = (int)(strlen(u->active_state) + 1 + strlen(u->sub_state));

		wid = (int)strlen(u->id) > wid ? (int)strlen(u->id) : wid;
		wact = a > wact ? a : wact;
		wfile = (int)strlen(u->unit_file_state) > wfile ? (int)strlen(u->unit_file_state) : wfile;
		wsince = u->since.set && (int)strlen(u->since.text) > wsince ? (int)strlen(u->since.text) : wsince;
	}
	printf("  %-*s  %-*s  %-*s  %-*s  %7s  %10s\n", wid, "UNIT", wact, "ACTIVE", wfile, "ENABLED", wsince, "SINCE",
	       "PID", "MEMORY");
	for (i = 0; i < l->n; i++) {
		const struct sd_unit *u = &l->items[i];

		snprintf(act, sizeof(act), "%s/%s", u->active_state, u->sub_state);
		snprintf(pid, sizeof(pid), "%u", u->main_pid);
		if (u->memory_known)
			cli_bytes(u->memory, mem, sizeof(mem));
		printf("  %-*s  %-*s  %-*s  %-*s  %7s  %10s\n", wid, u->id, wact, act, wfile,
		       u->unit_file_state[0] ? u->unit_file_state : "-", wsince, u->since.set ? u->since.text : "-",
		       u->main_pid ? pid : "-", u->memory_known ? mem : "-");
		if (u->load_error[0])
			printf("    %s\n", u->load_error);
	}
}

static void print_text(const struct services_report *rep)
{
	const char *act = services_action_name(rep->action);
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct services_node *n = &rep->nodes[i];

		if (n->err)
			printf("%s: FAILED at %s: %s\n", n->name, n->step, n->message);
		else if (rep->action == SERVICES_LIST)
			printf("%s: %zu services\n", n->name, n->units.n);
		else if (rep->action == SERVICES_STATUS)
			printf("%s: %s\n", n->name, rep->unit);
		else
			printf("%s: %s %s: done\n", n->name, act, rep->unit);
		if (n->units.n)
			print_units(&n->units);
	}
	printf("%zu nodes: %zu ok, %zu failed", rep->n, rep->ok, rep->failed);
	if (rep->no_manager)
		printf(" (%zu without a service manager)", rep->no_manager);
	printf(" in %.2fs (run %s)\n", rep->ms / 1000.0, rep->run_id);
}

static enum cmd_status cmd_services_exec(struct cli *cli, int argc, char **argv)
{
	struct cli_fleet f;
	struct services_report rep = { 0 };
	struct services_view view = { 0 };
	struct services_ctx ctx = { 0 };
	enum services_action action;
	enum cmd_status st = CMD_ERROR;
	char unit[SD_NAME_MAX + 1];
	const char *name = NULL;
	int c, r;

	cli_fleet_init(&f);
	while ((c = getopt_long(argc, argv, "t:", cli_fleet_lease_options, NULL)) != -1) {
		if ((st = cli_fleet_opt_only(cli, &f, c, optarg, argv, cli_fleet_lease_options)) != CMD_OK)
			return st;
	}
	if (optind >= argc)
		return cli_usage(cli, "no subcommand: expected list, status, start, stop, restart, enable or disable");
	if (services_action_parse(argv[optind], &action) < 0)
		return cli_usage(cli, "%s", err_msg());
	if (optind + 1 < argc)
		name = argv[optind + 1];
	if (services_action_takes_unit(action) && !name)
		return cli_usage(cli, "services %s needs a unit NAME (like nginx or getty@tty1.service)",
				 services_action_name(action));
	if (!services_action_takes_unit(action) && name)
		return cli_usage(cli, "services list takes no NAME, got '%s'", name);
	if (optind + 2 < argc)
		return cli_usage(cli, "unexpected argument '%s' after the unit name", argv[optind + 2]);
	if (name && services_unit_name(name, unit, sizeof(unit)) < 0)
		return cli_usage(cli, "%s", err_msg());
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	view.tty = !cli->quiet && !cli->json && isatty(2);
	ctx.fleet = f.w.fleet;
	ctx.progress.node_done = show_progress;
	ctx.progress.arg = &view;
	if (services_run(&ctx, &f.targets, action, name ? unit : NULL, &rep) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		cli_print_json_text(services_report_json(&rep));
	else
		print_text(&rep);
	/* A node without a service manager is never an "all failed to connect": it answered. */
	st = cli_ledger_status(cli, rep.ledger_err, rep.ledger_msg,
			       rep.no_manager ? CMD_PARTIAL : cli_fleet_status(rep.ok, rep.n));
out:
	services_report_release(&rep);
	cli_fleet_close(&f);
	return st;
}

const struct cmd_entry cmd_services_entry = {
	.name = "services",
	.summary = "list, inspect and control systemd services on every target",
	.usage = "chimera services list (-t TARGETS | --targets-file FILE) [--exclude LIST] [--parallel N]\n"
		 "       chimera services status|start|stop|restart|enable|disable NAME -t TARGETS [...]",
	.help = "Works through systemd on every target, one SSH session per node, at most\n"
		"--parallel nodes at once. Each node is first asked whether systemd runs there\n"
		"(/run/systemd/system exists, as sd_booted() decides); a node without it fails\n"
		"with \"no service manager on NODE\" and nothing is done there.\n"
		"\n"
		"  list      every service systemd has loaded, with its state\n"
		"  status    the state of the service NAME (a unit that does not exist fails)\n"
		"  start, stop, restart, enable, disable\n"
		"            run `systemctl ACTION -- NAME`, then show the state it left\n"
		"\n"
		"NAME is a unit name ([A-Za-z0-9:_.@-]); \".service\" is added unless it ends in a\n"
		"unit type (.socket, .timer, ...). Each node's outcome is recorded as a\n"
		"node.services event, between services.action and services.complete.\n"
		"\n"
		"options:\n"
		"  -t, --targets LIST       comma-separated: machines of chimera.toml (NAME, @TAG,\n"
		"                           a glob like web-*, all), [user@]host[:port], '@lab'\n"
		"                           (every lab node), 'local' (this machine)\n"
		"  --exclude LIST           leave these out (same forms)\n"
		"  --targets-file FILE      one element a line; '#' starts a comment\n"
		"  --parallel N             nodes in flight at once (default: [defaults], else 64)\n"
		"  --connect-timeout S      give up connecting after S seconds (default 10)\n"
		"  --timeout S              give up on one systemctl after S seconds (default 600)\n"
		"  --accept-new-host-keys   add unknown host keys to known_hosts\n"
		LEASE_OPTIONS_HELP
		"                           (start, stop, restart, enable, disable; list and\n"
		"                           status take no lease)\n"
		"  --json                   one JSON document with every node's units\n"
		"\n"
		"exit status: 0 when it went well everywhere, 3 when some nodes failed or any\n"
		"node has no service manager, 1 when every node failed otherwise (or the ledger\n"
		"failed), 2 for bad usage.\n",
	.exec = cmd_services_exec,
};
