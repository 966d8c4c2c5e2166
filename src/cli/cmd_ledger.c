/* chimera ledger: verify the hash chain, and append events by hand. */
#include "app/ledger/events_append.h"
#include "app/ledger/verify.h"
#include "cli/cli.h"
#include "util/err.h"
#include "util/log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static enum cmd_status ledger_verify_cmd(struct cli *cli, struct ledger *l)
{
	struct verify_report rep;

	if (verify_chain(l, &rep) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (cli->json)
		cli_print_json_text(verify_report_json(&rep));
	else if (rep.chain.broken_seq)
		printf("ledger broken at seq %lld: %s (%lld events before it are intact)\n",
		       (long long)rep.chain.broken_seq, rep.chain.reason, (long long)rep.chain.checked);
	else
		printf("ledger ok: %lld events checked\n", (long long)rep.chain.checked);
	return rep.chain.broken_seq ? CMD_ERROR : CMD_OK;
}

static enum cmd_status cmd_ledger_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topic", required_argument, NULL, 't' },
		{ "payload", required_argument, NULL, 'p' },
		{ "node", required_argument, NULL, 'n' },
		{ "deployment", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "batch", no_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct ledger_new ev = { 0 };
	struct ledger *l = NULL;
	const char *sub;
	long count = 1;
	bool batch = false;
	int64_t seq = 0;
	enum cmd_status st = CMD_OK;
	int c, r = 0;

	if (argc < 2)
		return cli_usage(cli, "missing subcommand: verify or append");
	sub = argv[1];
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:p:n:d:c:b", opts, NULL)) != -1) {
		switch (c) {
		case 't': ev.topic = optarg; break;
		case 'p': ev.payload = optarg; break;
		case 'n': ev.node = optarg; break;
		case 'd': ev.deployment = optarg; break;
		case 'c':
			if (cli_int("--count", optarg, 1, 100000000, &count) < 0)
				return cli_usage(cli, "%s", err_msg());
			break;
		case 'b': batch = true; break;
		default:
			return cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (strcmp(sub, "verify") == 0) {
		if (ev.topic || ev.payload || ev.node || ev.deployment || count != 1 || batch)
			return cli_usage(cli, "verify takes no options");
	} else if (strcmp(sub, "append") == 0) {
		if (!ev.topic)
			return cli_usage(cli, "append needs --topic");
	} else {
		return cli_usage(cli, "unknown subcommand '%s': expected verify or append", sub);
	}
	if (cli_open_ledger(cli, &l) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (strcmp(sub, "verify") == 0) {
		st = ledger_verify_cmd(cli, l);
		goto out;
	}
	r = events_append(l, &ev, (size_t)count, batch, &seq);
	if (r < 0) {
		st = cli_fail(cli, r == ERR_INVALID || r == ERR_LIMIT ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
		goto out;
	}
	{
		char cnt[32], last[32];

		snprintf(cnt, sizeof(cnt), "%ld", count);
		snprintf(last, sizeof(last), "%lld", (long long)seq);
		log_kv(LOG_INFO, "ledger", "appended", "topic", ev.topic, "count", cnt, "last_seq", last,
		       (const char *)NULL);
	}
	if (cli->json)
		cli_print_json_text(events_append_json((size_t)count, seq));
	else if (!cli->quiet)
		printf("appended %ld event%s, last seq %lld\n", count, count == 1 ? "" : "s", (long long)seq);
out:
	ledger_close(l);
	return st;
}

const struct cmd_entry cmd_ledger_entry = {
	.name = "ledger",
	.summary = "verify the ledger's hash chain, or append an event",
	.usage = "chimera ledger verify [--json]\n"
		 "       chimera ledger append --topic T [--payload JSON] [--node N]\n"
		 "                             [--deployment ID] [--count N] [--batch]",
	.help = "The ledger is an append-only event log in STATE/chimera.db; each event's hash is\n"
		"SHA3-256 over the previous event's hash and the event's canonical JSON.\n"
		"\n"
		"subcommands:\n"
		"  verify    recompute every hash; print the number of events checked and exit 0,\n"
		"            or name the first broken seq and exit 1\n"
		"  append    append an event (the payload must be a JSON object); with --count,\n"
		"            append it N times, one transaction each, or all in one with --batch;\n"
		"            the topic must be in the event catalog (docs/events.md), or start\n"
		"            with 'test.' (for tests and drills)\n",
	.exec = cmd_ledger_exec,
};
