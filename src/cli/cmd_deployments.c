/* chimera deployments: the deployments in the ledger and each node's outcome. */
#include "app/ledger/deployments.h"
#include "cli/cli.h"
#include "cli/remote.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static void print_list(const struct deployments_report *rep)
{
	size_t i;

	printf("%-26s  %-24s  %-15s  %5s  %5s  %5s  %s\n", "DEPLOYMENT", "TIME", "RESULT", "NODES", "OK", "FAIL", "PATH");
	for (i = 0; i < rep->n; i++) {
		const struct deployment_record *d = &rep->items[i];
		char result[32];

		snprintf(result, sizeof(result), "%s%s", d->result ? d->result : "unfinished", d->dry_run ? " (dry)" : "");
		printf("%-26s  %-24s  %-15s  %5zu  %5zu  %5zu  %s\n", d->id, d->time, result, d->nodes, d->ok, d->failed,
		       d->path ? d->path : "-");
	}
}

static void print_show(const struct deployment_record *d)
{
	size_t i;

	printf("deployment %s at %s: %s%s\n", d->id, d->time, d->result ? d->result : "unfinished",
	       d->dry_run ? " (dry run)" : "");
	printf("path %s\n", d->path ? d->path : "(not built)");
	for (i = 0; i < d->n; i++) {
		printf("  %-30s %s", d->outcomes[i].node ? d->outcomes[i].node : "?", d->outcomes[i].outcome);
		if (d->outcomes[i].step)
			printf(" at %s: %s", d->outcomes[i].step, d->outcomes[i].error ? d->outcomes[i].error : "");
		if (d->outcomes[i].state)
			printf(" (node state: %s)", d->outcomes[i].state);
		printf("\n");
	}
}

static enum cmd_status list(struct cli *cli, struct ledger *l, long limit)
{
	struct deployments_report rep;

	if (deployments_list(l, limit, &rep) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (cli->json)
		cli_print_json_text(deployments_report_json(&rep));
	else
		print_list(&rep);
	deployments_report_release(&rep);
	return CMD_OK;
}

static enum cmd_status show(struct cli *cli, struct ledger *l, const char *id)
{
	struct deployment_record d;
	int r;

	if ((r = deployments_show(l, id, &d)) < 0)
		return cli_fail(cli, r == ERR_NOTFOUND ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
	if (cli->json)
		cli_print_json_text(deployment_record_json(&d));
	else
		print_show(&d);
	deployment_record_release(&d);
	return CMD_OK;
}

/* --server: GET /deployments (?limit=) or /deployments/{ID}, printed as here. */
static enum cmd_status deployments_remote(struct cli *cli, long limit, const char *id)
{
	struct buf path = BUF_INIT(4096);
	struct deployments_report rep;
	struct deployment_record d;
	char n[32];
	json_t *doc = NULL;
	enum cmd_status st;
	int r;

	/* The server lists at most 10000; without --limit, that many (here: every one). */
	snprintf(n, sizeof(n), "%ld", limit > 0 && limit < 10000 ? limit : 10000);
	r = id ? buf_adds(&path, "/api/v1/deployments/") : buf_adds(&path, "/api/v1/deployments");
	if (r == 0)
		r = id ? remote_path_segment(&path, id) : remote_query(&path, "limit", n);
	if (r < 0 || buf_addc(&path, '\0') < 0) {
		buf_release(&path);
		return cli_usage(cli, "the deployment id is too long");
	}
	st = remote_get(cli, path.data, CMD_USAGE, REMOTE_TIMEOUT_MS, &doc);
	buf_release(&path);
	if (st != CMD_OK)
		return st;
	if ((id ? deployment_record_from_json(doc, &d) : deployments_report_from_json(doc, &rep)) < 0) {
		json_decref(doc);
		return cli_fail(cli, CMD_ERROR, "the server's answer: %s", err_msg());
	}
	if (cli->json)
		remote_print_json(doc);
	else if (id)
		print_show(&d);
	else
		print_list(&rep);
	if (id)
		deployment_record_release(&d);
	else
		deployments_report_release(&rep);
	json_decref(doc);
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
	if (remote_on(cli))
		return deployments_remote(cli, limit, optind < argc ? argv[optind + 1] : NULL);
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
		"With --server URL (or CHIMERA_SERVER) the server's ledger is read (at most its\n"
		"last 10000 deployments).\n"
		"\n"
		"options:\n"
		"  -n, --limit N            only the last N deployments\n"
		"  --json                   one JSON document\n",
	.exec = cmd_deployments_exec,
};
