/* chimera ledger: verify the hash chain, and append events by hand. */
#include "app/ledger/events_append.h"
#include "cli/cli.h"
#include "cli/cmd_ledger_trust.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

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
	if (strcmp(sub, "verify") == 0 || strcmp(sub, "seal") == 0)
		return cmd_ledger_trust(cli, argc - 1, argv + 1);
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
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (strcmp(sub, "append") != 0)
		return cli_usage(cli, "unknown subcommand '%s': expected verify, seal or append", sub);
	if (!ev.topic)
		return cli_usage(cli, "append needs --topic");
	if (cli_open_ledger(cli, &l) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
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
	.summary = "verify the ledger's hash chain and checkpoints, seal it, or append an event",
	.usage = "chimera ledger verify [--json] [--witnesses -t TARGETS]\n"
		 "       chimera ledger seal\n"
		 "       chimera ledger append --topic T [--payload JSON] [--node N]\n"
		 "                             [--deployment ID] [--count N] [--batch]",
	.help = "The ledger is an append-only event log in STATE/chimera.db; each event's hash is\n"
		"SHA3-256 over the previous event's hash and the event's canonical JSON.\n"
		"\n"
		"Every command that appends ends with a signed checkpoint (the head's seq and hash,\n"
		"signed with the controller's Ed25519 key; every 1000 events in long ones), kept as\n"
		"a ledger.checkpoint event and in chimera.db.checkpoint beside the database. Opening\n"
		"the ledger checks the head against them; a ledger that fails takes no appends\n"
		"(exit 1, with what to do), though read-only commands still read it.\n"
		"\n"
		"subcommands:\n"
		LEDGER_TRUST_HELP
		"  append    append an event (the payload must be a JSON object); with --count,\n"
		"            append it N times, one transaction each, or all in one with --batch;\n"
		"            the topic must be in the event catalog (docs/events.md), or start\n"
		"            with 'test.' (for tests and drills)\n",
	.exec = cmd_ledger_exec,
};
