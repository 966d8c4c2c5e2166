/* chimera rollback: take a set of nodes back to a generation, all or none. */
#include "app/fleet/rollback.h"
#include "cli/fleet_opts.h"
#include "cli/remote.h"
#include "core/ids.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"


static void print_text(const struct rollback_report *rep, const char *result)
{
	size_t i;

	if (rep->refused)
		printf("rollback refused: nothing was switched, because:\n");
	for (i = 0; i < rep->n; i++) {
		const struct rollback_node *n = &rep->nodes[i];

		if (rep->refused) {
			if (n->state != RB_PENDING)
				printf("  %-30s %s: %s\n", n->name, rollback_state_name(n->state), n->fail.message);
			continue;
		}
		printf("%-30s %-14s generation %u -> %u, ended on %u (%s)\n", n->name, rollback_state_name(n->state),
		       n->from_gen, n->to_gen, n->end_gen, n->end_path[0] ? n->end_path : "no profile");
		if (n->fail.message[0])
			printf("    %s%s%s\n", n->fail.step ? n->fail.step : "", n->fail.step ? ": " : "", n->fail.message);
	}
	printf("%zu nodes: %s, %zu switched, %zu put back in %.2fs (rollback %s)\n", rep->n, result, rep->switched,
	       rep->reverted, rep->ms / 1000.0, rep->id);
}

/* 0 when every node is on the generation, 1 when refused, 3 when a failure was put back. */
static enum cmd_status report_status(const struct rollback_report *rep)
{
	return rep->switched == rep->n ? CMD_OK : rep->refused ? CMD_ERROR : CMD_PARTIAL;
}

/* --server: POST /rollback, run as a job there; its report printed as here. */
static enum cmd_status rollback_remote(struct cli *cli, const struct cli_fleet *f, uint32_t gen)
{
	struct rollback_report rep;
	json_t *body = json_object(), *job = NULL, *report;
	const char *result;
	enum cmd_status st;

	if (!body)
		return cli_fail(cli, CMD_ERROR, "out of memory");
	if ((st = remote_fleet(cli, f, body, NULL)) != CMD_OK) {
		json_decref(body);
		return st;
	}
	if (gen)
		json_object_set_new(body, "generation", json_integer(gen));
	if ((st = remote_job(cli, "/api/v1/rollback", body, &job)) != CMD_OK)
		return st;
	report = json_object_get(job, "report");
	if (!json_is_object(report)) {
		st = remote_job_error(cli, job);
	} else if (rollback_report_from_json(report, &rep, &result) < 0) {
		st = cli_fail(cli, CMD_ERROR, "the server's report: %s", err_msg());
	} else {
		if (cli->json)
			remote_print_json(report);
		else
			print_text(&rep, result);
		st = remote_job_status(cli, job, report_status(&rep));
		rollback_report_release(&rep);
	}
	json_decref(job);
	return st;
}

enum { OPT_GENERATION = 2000 };

static enum cmd_status cmd_rollback_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		FLEET_OPTIONS,
		LEASE_OPTIONS,
		{ "generation", required_argument, NULL, OPT_GENERATION },
		FLEET_ACTIVATE_OPTION,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_fleet f;
	struct rollback_opts ro;
	struct rollback_report rep = { 0 };
	const char *result;
	uint32_t gen = 0;
	enum cmd_status st = CMD_ERROR;
	int c, r;

	cli_fleet_init(&f);
	while ((r = cli_opts_next(&(const struct cli_opts){ .fleet = &f }, argc, argv, "+t:g:", opts, &c)) > 0) {
		switch (c) {
		case OPT_GENERATION:
		case 'g':
			if (generation_parse(&gen, optarg, strlen(optarg)) < 0 || gen == 0)
				return cli_usage(cli, "--generation '%s' is not a generation number (1 or more)", optarg);
			break;
		default: return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (r < 0)
		return cli_usage(cli, "%s", err_msg());
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (remote_on(cli))
		return rollback_remote(cli, &f, gen);
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	ro = (struct rollback_opts){ .profile = f.reach.profile, .gen = gen, .activate = f.reach.activate,
				   .goal = cli_fleet_goal(&f) };
	if (rollback_run(&f.w.fleet, &f.targets, &ro, &rep) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	result = rep.refused ? "refused" : rep.switched == rep.n ? "success" : "reverted";
	if (cli->json)
		cli_print_json_text(rollback_report_json(&rep, result));
	else
		print_text(&rep, result);
	st = cli_ledger_status(cli, rep.ledger_err, rep.ledger_msg, report_status(&rep));
out:
	rollback_report_release(&rep);
	cli_fleet_close(&f);
	return st;
}

const struct cmd_entry cmd_rollback_entry = {
	.name = "rollback",
	.summary = "switch a set of targets back to a generation, all of them or none",
	.usage = "chimera rollback (-t TARGETS | --targets-file FILE) [--generation N]\n"
		 "                      [--profile PATH] [--activate auto|none|CMD] [--goal GOAL]\n"
		 "                      [--parallel N] [--sudo]",
	.help = "First checks that every node has generation N of the profile (without N: a\n"
		"generation before its current one). If any node lacks it or cannot be reached,\n"
		"nothing is switched and the report says which. Otherwise every node is switched\n"
		"(nix-env --switch-generation), activated and confirmed over the same SSH\n"
		"session; if one fails, no further node is started and every node already\n"
		"touched is put back on the generation it was on. The report says where every\n"
		"node ended. Recorded as chimera.rollback.triggered, node.rollback.complete per\n"
		"node, and chimera.rollback.complete.\n"
		"\n"
		"options:\n"
		"  -g, --generation N       the generation to go to (default: the previous one)\n"
		"  --activate MODE          auto, none, or a command; as for deploy (default:\n"
		"                           [defaults] activation, else auto)\n"
		FLEET_GOAL_HELP
		FLEET_OPTIONS_HELP
		LEASE_OPTIONS_HELP
		"  --json                   one JSON document\n"
		"\n"
		"With --server URL (or CHIMERA_SERVER) the server rolls back, as a job (POST\n"
		"/api/v1/rollback; -t names its machines), and this prints its report as a\n"
		"rollback here would (docs/client.md).\n"
		"\n"
		"exit status: 0 when every node is on the generation, 3 when a failure was put\n"
		"back, 1 when refused (nothing switched) or on error, 2 for bad usage.\n",
	.exec = cmd_rollback_exec,
};
