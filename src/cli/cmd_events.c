/* chimera events: read the ledger, optionally following it as it grows. */
#include "cli/cli.h"
#include "util/err.h"
#include "util/json.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* How long one wait of --follow lasts before it looks again (a safety net: appends wake it). */
#define FOLLOW_WAIT_MS 5000

static volatile sig_atomic_t stop_follow;

static void on_signal(int sig)
{
	stop_follow = 1;
}

struct events_view {
	bool json;
	int64_t last;
	int64_t count;
};

static int print_event(const struct ledger_event *ev, void *arg)
{
	struct events_view *v = arg;
	struct buf line = BUF_INIT(0);

	v->last = ev->seq;
	v->count++;
	if (v->json) {
		buf_printf(&line, "{\"seq\":%lld,\"time\":", (long long)ev->seq);
		json_add_string(&line, ev->time);
		buf_adds(&line, ",\"topic\":");
		json_add_string(&line, ev->topic);
		buf_adds(&line, ",\"deployment\":");
		if (ev->deployment)
			json_add_string(&line, ev->deployment);
		else
			buf_adds(&line, "null");
		buf_adds(&line, ",\"node\":");
		if (ev->node)
			json_add_string(&line, ev->node);
		else
			buf_adds(&line, "null");
		buf_printf(&line, ",\"payload\":%s,\"prev_hash\":\"%s\",\"hash\":\"%s\"}\n", ev->payload,
			   ev->prev_hash, ev->hash);
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
	struct events_view v = { 0 };
	struct ledger *ledger = NULL;
	bool follow = false;
	int64_t cursor, head = 0;
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
			return cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (cli_open_ledger(cli, &ledger) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	v.json = cli->json;
	v.last = f.since;
	if (follow) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		setvbuf(stdout, NULL, _IOLBF, 0);
	}
	cursor = f.since;
	for (;;) {
		/* The head before the scan: the scan sees at least that far, so the next starts after it. */
		if (follow && (r = ledger_wait(ledger, cursor, 0, &head)) < 0)
			break;
		f.since = cursor;
		if ((r = ledger_scan(ledger, &f, print_event, &v)) < 0)
			break;
		fflush(stdout);
		if (!follow || stop_follow)
			break;
		if (f.limit && v.count >= f.limit)
			break;
		cursor = v.last > head ? v.last : head;
		/* Woken by the next append, from any process; the timeout only bounds a missed wake. */
		if ((r = ledger_wait(ledger, cursor, FOLLOW_WAIT_MS, &head)) < 0 || stop_follow)
			break;
	}
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
