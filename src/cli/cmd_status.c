/* chimera status: is every node on the expected configuration? */
#include "app/fleet/inspect.h"
#include "cli/fleet_opts.h"
#include "cli/progress.h"
#include "cli/remote.h"
#include "util/clock.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static void on_done(const struct status_node *n, size_t done, size_t total, void *arg)
{
	char what[600];

	if (n->state != NODE_CONGRUENT && n->reason[0])
		snprintf(what, sizeof(what), "%s: %s", congruence_name(n->state), n->reason);
	else
		snprintf(what, sizeof(what), "%s", congruence_name(n->state));
	progress_done(arg, n->index, n->name, n->state == NODE_CONGRUENT, what);
}


static void print_text(const struct status_report *rep, int cached)
{
	size_t i, count[4] = { 0 };

	if (rep->expected[0])
		printf("expected %s%s\n", rep->expected, cached ? " (from the ledger, nodes not contacted)" : "");
	else
		printf("last known state from the ledger (nodes not contacted)\n");
	for (i = 0; i < rep->n; i++) {
		const struct status_node *n = &rep->nodes[i];

		count[n->state]++;
		switch (n->state) {
		case NODE_CONGRUENT:
			printf("%-30s congruent", n->name);
			if (cached)
				printf(" on %s", n->actual);
			break;
		case NODE_DRIFTED:
			printf("%-30s DRIFTED: has %s", n->name, n->actual[0] ? n->actual : "no profile");
			if (n->reason[0])
				printf(" (%s)", n->reason);
			break;
		default:
			printf("%-30s %s: %s", n->name, n->state == NODE_UNREACHABLE ? "UNREACHABLE" : "UNKNOWN", n->reason);
			break;
		}
		if (cached && n->seen_ms) {
			char t[CLOCK_UTC_LEN];

			clock_format_utc(n->seen_ms, t);
			printf(" (seen %s)", t);
		} else if (!cached && n->generation) {
			printf(" (generation %u)", n->generation);
		}
		if (n->deadman_by[0] && strcmp(n->deadman_result, "rolled-back") == 0)
			printf("; rolled back by its dead-man switch (deployment %s) to generation %u", n->deadman_by,
			       n->deadman_gen);
		else if (n->deadman_by[0])
			printf("; its dead-man switch (deployment %s) fired and failed: %s", n->deadman_by,
			       n->deadman_result[0] ? n->deadman_result : "no result");
		printf("\n");
	}
	printf("%zu nodes: %zu congruent, %zu drifted, %zu unreachable, %zu unknown in %.2fs\n", rep->n,
	       count[NODE_CONGRUENT], count[NODE_DRIFTED], count[NODE_UNREACHABLE], count[NODE_UNKNOWN],
	       rep->ms / 1000.0);
}

/* 0 when every node is congruent, 1 when none was reached, else 3 (partial). */
static enum cmd_status report_status(const struct status_report *rep)
{
	return rep->congruent == rep->n ? CMD_OK : rep->n && rep->unreachable == rep->n ? CMD_ERROR : CMD_PARTIAL;
}

/* --server: the server's ledger (--cached) or its probe of every node (--expect), printed as here. */
static enum cmd_status status_remote(struct cli *cli, const struct cli_fleet *f, const struct cli_source *cs,
				     int cached)
{
	struct buf q = BUF_INIT(64 * 1024);
	struct status_report rep;
	json_t *doc = NULL;
	enum cmd_status st;
	int c;

	if (cs->src.file || cs->src.flake)
		return cli_usage(cli, "-c and --flake are built here, and a server probes against a path it has:"
				      " with --server give --expect STOREPATH or --cached");
	if (cached && cs->expect)
		return cli_usage(cli, "a server answers --cached from its ledger without an expected path: with"
				      " --server give --cached or --expect STOREPATH, not both");
	if (buf_adds(&q, "/api/v1/status") < 0) {
		buf_release(&q);
		return cli_fail(cli, CMD_ERROR, "out of memory");
	}
	if ((st = remote_fleet(cli, f, NULL, &q)) != CMD_OK) {
		buf_release(&q);
		return st;
	}
	if ((!cached && (remote_query(&q, "refresh", "1") < 0 || remote_query(&q, "expect", cs->expect) < 0)) ||
	    buf_addc(&q, '\0') < 0) {
		buf_release(&q);
		return cli_usage(cli, "-t is too long for a request");
	}
	st = remote_get(cli, q.data, CMD_ERROR, cached ? REMOTE_TIMEOUT_MS : REMOTE_PROBE_TIMEOUT_MS, &doc);
	buf_release(&q);
	if (st != CMD_OK)
		return st;
	if (status_report_from_json(doc, &rep, &c) < 0) {
		json_decref(doc);
		return cli_fail(cli, CMD_ERROR, "the server's answer: %s", err_msg());
	}
	if (cli->json)
		remote_print_json(doc);
	else
		print_text(&rep, c);
	st = report_status(&rep);
	status_report_release(&rep);
	json_decref(doc);
	return st;
}

enum { OPT_CACHED = 2000 };

static enum cmd_status cmd_status_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		FLEET_OPTIONS,
		SOURCE_OPTIONS,
		{ "cached", no_argument, NULL, OPT_CACHED },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_fleet f;
	struct cli_source cs = { 0 };
	const struct cli_opts shared = { .fleet = &f, .source = &cs };
	struct status_report rep = { 0 };
	struct progress *prog = NULL;
	char expected[STOREPATH_MAX] = "";
	enum cmd_status st = CMD_ERROR;
	int c, r, cached = 0, have_source;

	cli_fleet_init(&f);
	while ((r = cli_opts_next(&shared, argc, argv, "+t:c:A:", opts, &c)) > 0) {
		if (c == OPT_CACHED)
			cached = 1;
		else
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
	}
	if (r < 0)
		return cli_usage(cli, "%s", err_msg());
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if ((have_source = remote_on(cli) ? remote_source_check(&cs) : cli_source_check(&cs)) < 0)
		return cli_usage(cli, "%s", err_msg());
	if (!have_source && !cached)
		return cli_usage(cli, "give -c FILE.nix, --flake REF#ATTR or --expect STOREPATH (or --cached)");
	if (remote_on(cli))
		return status_remote(cli, &f, &cs, cached);
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	if (have_source && cli_source_path(cli, &cs, expected) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cached) {
		r = status_cached(f.w.fleet.ledger, &f.targets, expected, &rep);
	} else {
		prog = progress_start(progress_mode_for(cli->json, cli->quiet), f.targets.n);
		r = status_run(&f.w.fleet, &f.targets, f.reach.profile, expected, on_done, prog, &rep);
		progress_stop(prog);
	}
	if (r < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		cli_print_json_text(status_report_json(&rep, cached));
	else
		print_text(&rep, cached);
	st = cli_ledger_status(cli, rep.ledger_err, rep.ledger_msg, report_status(&rep));
out:
	status_report_release(&rep);
	cli_fleet_close(&f);
	return st;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.summary = "report whether every target is on the expected configuration",
	.usage = "chimera status (-t TARGETS | --targets-file FILE)\n"
		 "                      (-c FILE.nix [-A ATTR] [--arg NAME VALUE] [--argstr NAME VALUE]\n"
		 "                       | --flake REF#ATTR | --expect STOREPATH | --cached)\n"
		 "                      [--profile PATH] [--parallel N] [--connect-timeout S]",
	.help = "Reads each node's profile over one SSH session per node and reports it as\n"
		"congruent (on the expected path), drifted (with what it has instead) or\n"
		"unreachable (with the reason). With -c or --flake the expected path is built\n"
		"first. Each observation is recorded as a node.observed event. A node whose\n"
		"profile leads to the expected path while that path is missing from its disk\n"
		"(removed behind Nix's back) is drifted, \"the profile's path P is missing on\n"
		"disk\"; deploy or watch restore it.\n"
		"\n"
		"A node whose dead-man switch fired since chimera last looked (a magic-rollback\n"
		"deploy that was killed, or never confirmed) is reported as rolled back by its\n"
		"switch, under the deployment that armed it; the rollback is recorded once, as\n"
		"node.rollback.complete by the node under that deployment's id.\n"
		"\n"
		"--cached answers from the ledger without contacting any node: each node's last\n"
		"known profile target (from deploys, rollbacks and earlier status runs) and when\n"
		"it was seen; without an expected path, a node counts as congruent when it was\n"
		"last seen on what chimera last put there.\n"
		"\n"
		"With --server URL (or CHIMERA_SERVER) the server answers: --cached from its\n"
		"ledger, --expect STOREPATH (a path on the server) by probing every node from\n"
		"there; -t names the server's machines (docs/client.md).\n"
		"\n"
		"options:\n"
		SOURCE_OPTIONS_HELP
		"  --cached                 answer from the ledger only\n"
		FLEET_OPTIONS_HELP
		"  --json                   one JSON document with every node's state\n"
		"\n"
		"exit status: 0 when every node is congruent, 3 otherwise, 1 on error,\n"
		"2 for bad usage.\n",
	.exec = cmd_status_exec,
};
