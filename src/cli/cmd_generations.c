/* chimera generations: each node's profile generations. */
#include "app/fleet/inspect.h"
#include "cli/fleet_opts.h"
#include "util/clock.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "util/banned.h"


static void print_text(const struct gens_report *rep)
{
	size_t i, j;

	for (i = 0; i < rep->n; i++) {
		const struct gens_node *n = &rep->nodes[i];

		if (!n->ok) {
			printf("%s: FAILED at %s: %s\n", n->name, n->fail.step ? n->fail.step : "?", n->fail.message);
			continue;
		}
		printf("%s: %zu generation%s\n", n->name, n->gens.n, n->gens.n == 1 ? "" : "s");
		if (n->gens.warning[0])
			printf("  warning: %s%s\n", n->gens.warning, n->gens.malformed > 1 ? " (and more like it)" : "");
		for (j = 0; j < n->gens.n; j++) {
			const struct generation *g = &n->gens.items[j];
			char t[32];

			clock_format_utc_s(g->time, t, sizeof(t));
			printf("  %5u  %s  %s%s\n", g->num, t, g->path, g->num == n->gens.current ? "  (current)" : "");
		}
	}
	printf("%zu nodes: %zu read, %zu failed in %.2fs\n", rep->n, rep->ok, rep->n - rep->ok, rep->ms / 1000.0);
}

static enum cmd_status cmd_generations_exec(struct cli *cli, int argc, char **argv)
{
	struct cli_fleet f;
	struct gens_report rep = { 0 };
	enum cmd_status st = CMD_ERROR;
	int c, r;

	cli_fleet_init(&f);
	while ((c = getopt_long(argc, argv, "+t:", cli_fleet_options, NULL)) != -1) {
		if ((st = cli_fleet_opt_only(cli, &f, c, optarg, argv, cli_fleet_options)) != CMD_OK)
			return st;
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	if (generations_run(&f.w.fleet, &f.targets, f.reach.profile, &rep) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		cli_print_json_text(gens_report_json(&rep));
	else
		print_text(&rep);
	st = cli_fleet_status(rep.ok, rep.n);
out:
	gens_report_release(&rep);
	cli_fleet_close(&f);
	return st;
}

const struct cmd_entry cmd_generations_entry = {
	.name = "generations",
	.summary = "list each target's profile generations",
	.usage = "chimera generations (-t TARGETS | --targets-file FILE) [--profile PATH]\n"
		 "                      [--parallel N] [--connect-timeout S]",
	.help = "Lists, per node, every generation of the profile: its number, when it was\n"
		"made (UTC), the store path it points at, and which one is current. A\n"
		"malformed generation link (PROFILE-x-link with no number, or pointing outside\n"
		"the store) is skipped and named in a warning (\"warning\" in --json); the node\n"
		"still counts as read.\n"
		"\n"
		"options:\n"
		FLEET_OPTIONS_HELP
		"  --json                   one JSON document\n"
		"\n"
		"exit status: 0 when every node was read, 3 when some were, 1 when none.\n",
	.exec = cmd_generations_exec,
};
