/* chimera events: read the ledger, optionally following it as it grows. */
#include "app/ledger/events.h"
#include "cli/cli.h"
#include "cli/remote.h"
#include "util/err.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static volatile sig_atomic_t stop_follow;

static void on_signal(int sig)
{
	stop_follow = 1;
}

/* One event as a line of text, or of JSON with --json (ARG points at the flag). */
static int print_event(const struct ledger_event *ev, void *arg)
{
	const bool *json = arg;
	struct buf line = BUF_INIT(0);

	if (*json) {
		events_event_json(ev, &line);
	} else {
		buf_printf(&line, "%6lld %s %-20s", (long long)ev->seq, ev->time, ev->topic);
		if (ev->node)
			buf_printf(&line, " node=%s", ev->node);
		if (ev->deployment)
			buf_printf(&line, " run=%s", ev->deployment);
		buf_printf(&line, " %s\n", ev->payload);
	}
	fwrite(line.data, 1, line.len, stdout);
	buf_release(&line);
	return 0;
}

/* --server: the server's events printed as here; --follow then reads its event stream. */
static enum cmd_status events_remote(struct cli *cli, const struct ledger_filter *f, bool follow)
{
	int64_t after = f->since;
	enum cmd_status st;

	if (follow) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		setvbuf(stdout, NULL, _IOLBF, 0);
	}
	st = remote_events(cli, f, follow, &after, print_event, &cli->json, &stop_follow);
	fflush(stdout);
	return st;
}

static enum cmd_status cmd_events_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topic", required_argument, NULL, 't' },
		{ "deployment", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct ledger_filter f = { 0 };
	struct ledger *ledger = NULL;
	bool follow = false;
	long num;
	int c, r = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:d:n:s:l:f", opts, NULL)) != -1) {
		switch (c) {
		case 't': f.topic = optarg; break;
		case 'd': f.deployment = optarg; break;
		case 'n': f.node = optarg; break;
		case 's':
			if (cli_int("--since", optarg, 0, LONG_MAX, &num) < 0)
				return cli_usage(cli, "%s", err_msg());
			f.since = num;
			break;
		case 'l':
			if (cli_int("--limit", optarg, 1, LONG_MAX, &num) < 0)
				return cli_usage(cli, "%s", err_msg());
			f.limit = num;
			break;
		case 'f': follow = true; break;
		default:
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (remote_on(cli))
		return events_remote(cli, &f, follow);
	if (cli_open_ledger(cli, &ledger) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (follow) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		setvbuf(stdout, NULL, _IOLBF, 0);
		r = events_follow(ledger, &f, print_event, &cli->json, &stop_follow);
	} else {
		r = events_query(ledger, &f, print_event, &cli->json);
	}
	fflush(stdout);
	if (r < 0) {
		ledger_close(ledger);
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	}
	ledger_close(ledger);
	return CMD_OK;
}

const struct cmd_entry cmd_events_entry = {
	.name = "events",
	.summary = "list ledger events, or follow them as they come",
	.usage = "chimera events [--topic T] [--deployment ID] [--node N] [--since SEQ]\n"
		 "                      [--limit N] [--follow] [--json]",
	.help = "Prints the ledger's events in seq order.\n"
		"\n"
		"With --server URL (or CHIMERA_SERVER) the server's ledger is read, a page of\n"
		"events at a time; --follow then reads its event stream (docs/client.md).\n"
		"\n"
		"options:\n"
		"  -t, --topic T         only topic T; 'node.*' matches every node.* topic\n"
		"  -d, --deployment ID   only events of one deployment or run\n"
		"  -n, --node N          only events about node N (as user@host:port)\n"
		"  -s, --since SEQ       only events after SEQ\n"
		"  -l, --limit N         at most N events\n"
		"  -f, --follow          keep printing new events until interrupted\n"
		"  --json                one JSON object a line (seq, time, topic, deployment,\n"
		"                        node, payload, prev_hash, hash)\n",
	.exec = cmd_events_exec,
};
