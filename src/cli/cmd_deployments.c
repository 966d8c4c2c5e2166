/* chimera deployments: the deployments in the ledger and each node's outcome. */
#include "app/ledger/deployments.h"
#include "cli/cli.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static enum cmd_status list(struct cli *cli, struct ledger *l, long limit)
{
	struct deployments_report rep;
	size_t i;

	if (deployments_list(l, limit, &rep) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (cli->json) {
		cli_print_json_text(deployments_report_json(&rep));
	} else {
		printf("%-26s  %-24s  %-15s  %5s  %5s  %5s  %s\n", "DEPLOYMENT", "TIME", "RESULT", "NODES", "OK", "FAIL",
		       "PATH");
		for (i = 0; i < rep.n; i++) {
			const struct deployment_record *d = &rep.items[i];
			char result[32];

			snprintf(result, sizeof(result), "%s%s", d->result ? d->result : "unfinished",
				 d->dry_run ? " (dry)" : "");
			printf("%-26s  %-24s  %-15s  %5zu  %5zu  %5zu  %s\n", d->id, d->time, result, d->nodes, d->ok,
			       d->failed, d->path ? d->path : "-");
		}
	}
	deployments_report_release(&rep);
	return CMD_OK;
}

static enum cmd_status show(struct cli *cli, struct ledger *l, const char *id)
{
	struct deployment_record d;
	size_t i;
	int r;

	if ((r = deployments_show(l, id, &d)) < 0)
		return cli_fail(cli, r == ERR_NOTFOUND ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
	if (cli->json) {
		cli_print_json_text(deployment_record_json(&d));
	} else {
		printf("deployment %s at %s: %s%s\n", d.id, d.time, d.result ? d.result : "unfinished",
		       d.dry_run ? " (dry run)" : "");
		printf("path %s\n", d.path ? d.path : "(not built)");
		for (i = 0; i < d.n; i++) {
			printf("  %-30s %s", d.outcomes[i].node ? d.outcomes[i].node : "?", d.outcomes[i].outcome);
			if (d.outcomes[i].step)
				printf(" at %s: %s", d.outcomes[i].step, d.outcomes[i].error ? d.outcomes[i].error : "");
			if (d.outcomes[i].state)
				printf(" (node state: %s)", d.outcomes[i].state);
			printf("\n");
		}
	}
	deployment_record_release(&d);
	return CMD_OK;
}

static enum cmd_status cmd_deployments_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct ledger *l = NULL;
	enum cmd_status st;
	long limit = 0;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+n:", opts, NULL)) != -1) {
		if (c != 'n')
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		if (cli_int("--limit", optarg, 1, 1000000000, &limit) < 0)
			return cli_usage(cli, "%s", err_msg());
	}
	if (optind < argc && strcmp(argv[optind], "show") != 0)
		return cli_usage(cli, "unknown subcommand '%s'; expected show ID", argv[optind]);
	if (optind < argc && optind + 2 != argc)
		return cli_usage(cli, "show takes one deployment id");
	if (cli_state_dir(cli) < 0 || cli_open_ledger(cli, &l) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	st = optind < argc ? show(cli, l, argv[optind + 1]) : list(cli, l, limit);
	ledger_close(l);
	return st;
}

const struct cmd_entry cmd_deployments_entry = {
	.name = "deployments",
	.summary = "list deployments from the ledger, or show one node by node",
	.usage = "chimera deployments [--limit N]\n"
		 "       chimera deployments show ID",
	.help = "Reads the ledger only. The list gives each deployment's id, start time, result\n"
		"(success, partial, failed, build failed; unfinished when chimera.deploy.complete\n"
		"is missing; interrupted once another run took over its dead controller's leases),\n"
		"node counts and store path. `show ID` adds every\n"
		"node's outcome: deployed, failed (with the step and error), planned (dry run), or\n"
		"interrupted (its controller died; with where the node was left: state new, old,\n"
		"other, none or unreachable, read from the node when the lease was taken over),\n"
		"or pending (no outcome recorded).\n"
		"\n"
		"options:\n"
		"  -n, --limit N            only the last N deployments\n"
		"  --json                   one JSON document\n",
	.exec = cmd_deployments_exec,
};
