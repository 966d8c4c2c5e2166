/* chimera sessions: list the tmux sessions chimera keeps on targets, or kill one. */
#include "app/fleet/sessions.h"
#include "cli/cli.h"
#include "cli/fleet_opts.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/banned.h"

/* CREATED as UTC text. */
static void format_time(int64_t created, char *out, size_t len)
{
	time_t t = (time_t)created;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%lld", (long long)created);
}

static bool node_ok(const struct sessions_node *n)
{
	return n->outcome == SESSION_DONE || n->outcome == SESSION_REPLACED;
}




/* The command on one line: newlines, tabs and other control characters escaped. */
static void print_command(const char *cmd)
{
	const unsigned char *p;

	for (p = (const unsigned char *)cmd; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

static void print_list_text(const struct sessions_report *rep)
{
	size_t i, j, w = 4, nw = 7, total = 0;
	char when[32];

	for (i = 0; i < rep->n; i++) {
		if (strlen(rep->nodes[i].name) > w)
			w = strlen(rep->nodes[i].name);
		for (j = 0; j < rep->nodes[i].list.n; j++) {
			if (strlen(rep->nodes[i].list.items[j].name) > nw)
				nw = strlen(rep->nodes[i].list.items[j].name);
			total++;
		}
	}
	if (total)
		printf("%-*s  %-*s  %-20s  %-8s  %s\n", (int)w, "NODE", (int)nw, "SESSION", "CREATED", "ATTACHED",
		       "COMMAND");
	for (i = 0; i < rep->n; i++) {
		const struct sessions_node *n = &rep->nodes[i];

		for (j = 0; j < n->list.n; j++) {
			const struct session_info *si = &n->list.items[j];

			format_time(si->created, when, sizeof(when));
			printf("%-*s  %-*s  %-20s  %-8d  ", (int)w, n->name, (int)nw, si->name, when, si->attached);
			print_command(si->command);
			printf("\n");
		}
	}
	for (i = 0; i < rep->n; i++) {
		const struct sessions_node *n = &rep->nodes[i];

		if (!node_ok(n))
			printf("%s: FAILED at %s: %s\n", n->name, n->fail.step ? n->fail.step : "?", n->fail.message);
	}
	printf("%zu sessions on %zu nodes (%zu failed)\n", total, rep->n, rep->failed);
}

static void print_kill(struct cli *cli, const struct sessions_report *rep, const char *session)
{
	size_t i;

	if (cli->json) {
		cli_print_json_text(sessions_kill_json(rep, session));
		return;
	}
	for (i = 0; i < rep->n; i++) {
		const struct sessions_node *n = &rep->nodes[i];

		if (node_ok(n))
			printf("%s: killed session %s\n", n->name, session);
		else if (n->outcome == SESSION_MISSING)
			printf("%s: MISSING: %s\n", n->name, n->fail.message);
		else
			printf("%s: FAILED at %s: %s\n", n->name, n->fail.step ? n->fail.step : "?", n->fail.message);
	}
	printf("%zu nodes: %zu killed, %zu failed (run %s)\n", rep->n, rep->ok, rep->failed, rep->id);
}

static enum cmd_status cmd_sessions_exec(struct cli *cli, int argc, char **argv)
{
	struct cli_fleet f;
	struct sessions_request req = { .op = SESSION_OP_LIST, .nix_fd = -1 };
	struct sessions_report rep = { 0 };
	enum cmd_status st = CMD_ERROR;
	int c, r;

	cli_fleet_init(&f);
	/* An optional verb first: list (the default) or kill. */
	if (argc > 1 && argv[1][0] != '-') {
		if (strcmp(argv[1], "kill") == 0)
			req.op = SESSION_OP_KILL;
		else if (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "ls") != 0)
			return cli_usage(cli, "unknown action '%s': expected list or kill", argv[1]);
		argc--;
		argv++;
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:", cli_fleet_lease_options, NULL)) != -1) {
		if ((st = cli_fleet_opt_only(cli, &f, c, optarg, argv, cli_fleet_lease_options)) != CMD_OK)
			return st;
	}
	if (req.op == SESSION_OP_KILL) {
		if (optind >= argc)
			return cli_usage(cli, "no session named: chimera sessions kill [-t TARGETS] SESSION");
		if (optind + 1 < argc)
			return cli_usage(cli, "one session at a time: unexpected '%s'", argv[optind + 1]);
		req.spec.name = argv[optind];
		if (sessions_name_check(req.spec.name) < 0)
			return cli_usage(cli, "%s", err_msg());
	} else if (optind < argc) {
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	}
	if (!f.spec && !f.file)
		f.spec = "local";
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	if (sessions_run(&f.w.fleet, &f.targets, &req, &rep) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (req.op == SESSION_OP_LIST) {
		if (cli->json)
			cli_print_json_text(sessions_list_json(&rep));
		else
			print_list_text(&rep);
	} else {
		print_kill(cli, &rep, req.spec.name);
	}
	st = cli_ledger_status(cli, rep.ledger_err, rep.ledger_msg, cli_fleet_status(rep.ok, rep.n));
out:
	sessions_report_release(&rep);
	cli_fleet_close(&f);
	return st;
}

const struct cmd_entry cmd_sessions_entry = {
	.name = "sessions",
	.summary = "list the tmux sessions of 'chimera run' on targets, or kill one",
	.usage = "chimera sessions [list] [-t TARGETS] [--json]\n"
		 "       chimera sessions kill [-t TARGETS] SESSION",
	.help = "Lists the sessions on the tmux socket 'chimera' of each target's user (the\n"
		"ones 'chimera run' starts): node, name, when it was created (UTC), how many\n"
		"clients are attached and the command it was started with. 'kill' ends session\n"
		"SESSION on each target; a target without it is an error for that target. Each\n"
		"kill is recorded as a session.kill event. Without -t: this machine.\n"
		"\n"
		"options:\n"
		LOCAL_REACH_OPTIONS_HELP
		"  --timeout S              give up on a node after S seconds (default 600)\n"
		"  --accept-new-host-keys   add unknown host keys to known_hosts\n"
		LEASE_OPTIONS_HELP
		"                           (kill only: list takes no lease)\n"
		"  --json                   list: {sessions: [{node, name, created, attached,\n"
		"                           command}], nodes: [...], summary}; kill: {run,\n"
		"                           session, nodes: [{target, ok, outcome, error}], summary}\n"
		"\n"
		"exit status: 0 when every node answered (kill: had it and killed it), 3 when\n"
		"some did not, 1 when none did, 2 for bad usage.\n",
	.exec = cmd_sessions_exec,
};
