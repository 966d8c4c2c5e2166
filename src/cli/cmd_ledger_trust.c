/* chimera ledger verify [--witnesses -t TARGETS] and chimera ledger seal: parse, call app/ledger, print. */
#include "app/ledger/trust_verify.h"
#include "app/ledger/trusted.h"
#include "app/ledger/witness.h"
#include "cli/cli.h"
#include "cli/cmd_ledger_trust.h"
#include "cli/fleet_opts.h"
#include "util/err.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

static bool chain_kind(enum ledger_kind k)
{
	return k == LEDGER_CHANGED || k == LEDGER_REMOVED || k == LEDGER_REORDERED;
}

static void print_verify(const struct trust_verify_report *rep)
{
	const struct ledger_finding *f = &rep->findings[0];
	size_t i;

	if (rep->nfindings == 0) {
		printf("ledger ok: %" PRId64 " events checked, %" PRId64 " checkpoint%s", rep->checked, rep->checkpoints,
		       rep->checkpoints == 1 ? "" : "s");
		if (rep->sealed >= 0)
			printf(", the checkpoint file seals seq %" PRId64, rep->sealed);
		printf("\n");
		return;
	}
	if (chain_kind(f->kind))
		printf("ledger broken at seq %" PRId64 ": %s: %s (%" PRId64 " events before it are intact)\n", f->seq,
		       ledger_kind_name(f->kind), f->message, rep->checked);
	else
		printf("ledger %s: %s\n", ledger_kind_name(f->kind), f->message);
	for (i = 1; i < rep->nfindings; i++)
		printf("  and %s: %s\n", ledger_kind_name(rep->findings[i].kind), rep->findings[i].message);
	if (rep->more)
		printf("  and %zu more\n", rep->more);
	printf("what to do: %s\n", f->todo);
}

static enum cmd_status verify_local(struct cli *cli)
{
	struct trust_verify_report rep;
	struct ledger *l = NULL;
	int r;

	if ((r = cli_open_ledger(cli, &l)) == ERR_CORRUPT)
		trust_verify_unopened(&rep, err_msg());
	else if (r < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	else if ((r = trust_verify(l, &rep)) < 0) {
		ledger_close(l);
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	}
	ledger_close(l);
	if (cli->json)
		cli_print_json_text(trust_verify_json(&rep));
	else
		print_verify(&rep);
	return rep.nfindings ? CMD_ERROR : CMD_OK;
}

static void print_witnesses(const struct witness_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		printf("  %-28s %-12s %s\n", rep->nodes[i].name, witness_state_name(rep->nodes[i].state),
		       rep->nodes[i].message);
	printf("%zu node%s: %zu accounted for, %zu unaccounted, %zu without a witness, %zu unreachable (head %" PRId64
	       ")\n", rep->n, rep->n == 1 ? "" : "s", rep->ok, rep->unaccounted, rep->absent, rep->unreachable,
	       rep->head);
	if (rep->unaccounted)
		printf("the ledger cannot account for what %zu node%s witnessed: it was rolled back or rewritten; restore "
		       "a copy that accounts for them\n", rep->unaccounted, rep->unaccounted == 1 ? "" : "s");
}

static enum cmd_status verify_witnesses(struct cli *cli, struct cli_fleet *f)
{
	struct witness_report rep = { 0 };
	enum cmd_status st;
	int r;

	if ((r = cli_fleet_open(cli, f)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	if (witness_verify(&f->w.fleet, &f->targets, &rep) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		cli_print_json_text(witness_report_json(&rep));
	else
		print_witnesses(&rep);
	st = rep.unaccounted ? CMD_ERROR : rep.unreachable ? CMD_PARTIAL : CMD_OK;
out:
	witness_report_release(&rep);
	cli_fleet_close(f);
	return st;
}

/* `ledger seal`: verify passes but for a missing checkpoint file, then record a checkpoint. */
static enum cmd_status seal(struct cli *cli)
{
	struct trust_verify_report rep;
	struct checkpoint cp;
	struct ledger *l = NULL;
	size_t i;

	if (cli_open_ledger(cli, &l) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (trust_verify(l, &rep) < 0) {
		ledger_close(l);
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	}
	for (i = 0; i < rep.nfindings; i++)
		if (rep.findings[i].kind != LEDGER_UNSEALED) {
			ledger_close(l);
			return cli_fail(cli, CMD_ERROR, "not sealing a ledger that fails verify (%s): %s",
					ledger_kind_name(rep.findings[i].kind), rep.findings[i].message);
		}
	if (trusted_ledger_seal(l, &cp) < 0) {
		ledger_close(l);
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	}
	ledger_close(l);
	if (cli->json)
		printf("{\"ok\":true,\"seq\":%" PRId64 ",\"hash\":\"%s\",\"key\":\"%s\"}\n", cp.seq, cp.hash, cp.key_id);
	else if (!cli->quiet)
		printf("sealed seq %" PRId64 " (%.16s...) with key %s\n", cp.seq, cp.hash, cp.key_id);
	return CMD_OK;
}

enum cmd_status cmd_ledger_trust(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		FLEET_REACH_OPTIONS,
		{ "witnesses", no_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	bool witnesses = false, is_seal = strcmp(argv[0], "seal") == 0;
	struct cli_fleet f;
	int c, r;

	cli_fleet_init(&f);
	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (c == 'w') {
			witnesses = true;
			continue;
		}
		if ((r = cli_fleet_opt(&f, c, optarg)) < 0)
			return cli_usage(cli, "%s", err_msg());
		if (r == 0)
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (is_seal && (witnesses || f.spec || f.file))
		return cli_usage(cli, "seal takes no options");
	if (!witnesses && (f.spec || f.file))
		return cli_usage(cli, "-t/--targets goes with --witnesses: chimera ledger verify --witnesses -t TARGETS");
	if (witnesses && !f.spec && !f.file)
		return cli_usage(cli, "--witnesses needs the nodes to ask: -t TARGETS (e.g. -t all or -t @lab)");
	if (is_seal)
		return seal(cli);
	return witnesses ? verify_witnesses(cli, &f) : verify_local(cli);
}
