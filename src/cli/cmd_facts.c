/* chimera facts: what each node is (os, kernel, cpus, memory, disks, nix, profile, sessions), kept in the ledger. */
#include "app/fleet/facts.h"
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
#include <unistd.h>
#include "util/banned.h"

enum { FACTS_OPT_REFRESH = 2000 };

struct facts_view {
	bool tty;
};

static void show_progress(const struct facts_node *n, size_t done, size_t total, void *arg)
{
	struct facts_view *v = arg;

	if (v->tty)
		fprintf(stderr, "\r%zu/%zu nodes gathered", done, total);
	if (done == total && v->tty)
		fprintf(stderr, "\n");
}

static bool node_ok(const struct facts_node *n)
{
	return n->facts != NULL;
}

/* The label a node goes by: its machine name and target, or its target. */
static void node_label(const struct facts_node *n, char *out, size_t len)
{
	if (n->machine)
		snprintf(out, len, "%s (%s)", n->machine, n->name);
	else
		snprintf(out, len, "%s", n->name);
}

static void print_text(const struct facts_report *rep)
{
	struct buf b = BUF_INIT(0);
	int64_t now = clock_wall_ms(), age;
	char label[TARGET_FORMAT_MAX + 80], ago[32];
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct facts_node *n = &rep->nodes[i];

		node_label(n, label, sizeof(label));
		if (!node_ok(n)) {
			printf("%s: FAILED at %s: %s\n", label, n->fail.step ? n->fail.step : "facts", n->fail.message);
			continue;
		}
		buf_reset(&b);
		facts_describe(n->facts, "  ", &b);
		age = facts_age_s(n->time, now);
		if (age >= 0)
			facts_duration(age, ago, sizeof(ago));
		else
			snprintf(ago, sizeof(ago), "?");
		printf("%s\n%s  gathered     %s (%s ago, seq %lld, %s)\n", label, b.data ? b.data : "", n->time, ago,
		       (long long)n->seq, n->from_ledger ? "from the ledger" : "from the node now");
	}
	printf("%zu node%s: %zu gathered now, %zu from the ledger, %zu failed in %.2fs\n", rep->n, rep->n == 1 ? "" : "s",
	       rep->gathered, rep->stored, rep->failed, rep->ms / 1000.0);
	buf_release(&b);
}


/* No -t and no inventory: every node with stored facts, as a target list in SPEC. */
static int stored_targets(struct cli *cli, struct buf *spec)
{
	struct ledger *l = NULL;
	int r;

	if ((r = cli_open_ledger(cli, &l)) < 0)
		return r;
	r = facts_stored_targets(l, spec);
	ledger_close(l);
	return r;
}

static enum cmd_status cmd_facts_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		FLEET_OPTIONS,
		{ "refresh", no_argument, NULL, FACTS_OPT_REFRESH },
		{ NULL, 0, NULL, 0 },
	};
	const struct inventory *inv;
	struct cli_fleet f;
	struct buf spec = BUF_INIT(0);
	struct facts_request *req = NULL;
	struct facts_report rep = { 0 };
	struct facts_view view = { 0 };
	struct facts_ctx ctx = { 0 };
	enum cmd_status st = CMD_ERROR;
	int c, r;

	cli_fleet_init(&f);
	while ((c = getopt_long(argc, argv, "t:", opts, NULL)) != -1) {
		if (c == FACTS_OPT_REFRESH) {
			ctx.refresh = true;
			continue;
		}
		if ((st = cli_fleet_opt_only(cli, &f, c, optarg, argv, opts)) != CMD_OK)
			return st;
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if ((r = cli_inventory(cli, &inv)) < 0)
		return cli_fail(cli, r == ERR_INVALID || r == ERR_NOTFOUND ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
	if (!f.spec && !f.file) {
		if (inv->n > 0) {
			f.spec = "all";
		} else if ((r = stored_targets(cli, &spec)) < 0) {
			st = cli_fail_err(cli, r);
			goto out;
		} else {
			f.spec = spec.data;
		}
	}
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	if (facts_requests(&f.w.fleet, inv, &f.targets, f.reach.profile, &req) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	view.tty = !cli->quiet && !cli->json && isatty(2);
	ctx.fleet = &f.w.fleet;
	ctx.progress.node_done = show_progress;
	ctx.progress.arg = &view;
	if (facts_run(&ctx, req, f.targets.n, &rep) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		cli_print_json_text(facts_report_json(&rep));
	else
		print_text(&rep);
	st = cli_ledger_status(cli, rep.ledger_err, rep.ledger_msg,
			       cli_fleet_status(rep.gathered + rep.stored, rep.n));
out:
	facts_report_release(&rep);
	free(req);
	cli_fleet_close(&f);
	buf_release(&spec);
	return st;
}

const struct cmd_entry cmd_facts_entry = {
	.name = "facts",
	.summary = "what each node is: os, kernel, cpus, memory, disks, nix, profile, sessions",
	.usage = "chimera facts [-t TARGETS] [--exclude LIST] [--refresh] [--parallel N]\n"
		 "                     [--connect-timeout S] [--json]",
	.help = "Shows each node's facts: hostname, os-release id and version, kernel release,\n"
		"architecture, CPU count, memory total and available, uptime, load, disk use\n"
		"of / and /nix, the Nix version, the profile's target and generation, and\n"
		"chimera's tmux sessions. Stored facts are shown from the ledger without\n"
		"connecting (with when they were gathered); nodes without any, or every node\n"
		"with --refresh, are asked, in one command over one SSH session each, and each\n"
		"answer is recorded as a node.facts event. `chimera machines show NAME` shows the\n"
		"last facts of a machine. Without -t: every machine of chimera.toml, else every\n"
		"node with stored facts. The profile read is each machine's own, else\n"
		"[defaults] profile; --profile overrides both. See docs/facts.md.\n"
		"\n"
		"options:\n"
		FLEET_OPTIONS_HELP
		"  --refresh                gather from every node, even those with stored facts\n"
		"  --json                   one JSON document: per node its facts, seq, when they\n"
		"                           were gathered and from where (ledger or node)\n"
		"\n"
		"exit status: 0 when every node has facts, 3 when some failed, 1 when all\n"
		"failed, 2 for bad usage.\n",
	.exec = cmd_facts_exec,
};
