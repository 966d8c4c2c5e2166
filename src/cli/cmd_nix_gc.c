/* chimera nix gc: delete old profile generations nothing needs and collect garbage, on the controller or every node. */
#include "app/nix/gc.h"
#include "cli/cmd_nix.h"
#include "cli/fleet_opts.h"
#include "cli/remote.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

/* " 5 (newest), 6 (current, newest)" for the generations of N's plan that stay, into OUT. */
static void kept_text(const struct gc_node *n, char *out, size_t len)
{
	size_t i, used = 0;
	unsigned b;

	out[0] = 0;
	for (i = 0; i < n->plan.n && used < len; i++) {
		const struct gc_choice *c = &n->plan.items[i];
		const char *sep = "";

		if (!c->why)
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%u (", used ? ", " : "", c->num);
		for (b = 0; b < GC_WHY_COUNT && used < len; b++) {
			if (!(c->why & (1u << b)))
				continue;
			used += (size_t)snprintf(out + used, len - used, "%s%s", sep, gc_why_name(1u << b));
			sep = ", ";
		}
		if (used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s)", c->by[0] ? " " : "", c->by);
	}
}

/* " 1 2 3" for the generations that go, into OUT; "nothing" when none. */
static void deleted_text(const struct gc_node *n, char *out, size_t len)
{
	size_t i, used = 0;

	out[0] = 0;
	for (i = 0; i < n->plan.n && used < len; i++)
		if (!n->plan.items[i].why)
			used += (size_t)snprintf(out + used, len - used, "%s%u", used ? " " : "", n->plan.items[i].num);
	if (!used)
		snprintf(out, len, "nothing");
}

static void print_node(const struct gc_report *rep, const struct gc_node *n)
{
	char del[1024], kept[2048], bytes[32];

	if (!n->ok && !n->plan.n) {
		printf("%-30s failed at %s: %s\n", n->name, n->fail.step, n->fail.message);
		return;
	}
	deleted_text(n, del, sizeof(del));
	kept_text(n, kept, sizeof(kept));
	cli_bytes(n->freed_bytes, bytes, sizeof(bytes));
	if (rep->dry_run)
		printf("%-30s would delete %s; keeps %s; would free %s%s (%llu paths)\n", n->name, del, kept[0] ? kept : "none",
		       n->measure == GC_MEASURE_NONE ? "an unknown amount: du gave no total" : "about ",
		       n->measure == GC_MEASURE_NONE ? "" : bytes, (unsigned long long)n->paths_removed);
	else
		printf("%-30s %s %s; kept %s; freed %s (%s), %llu store paths\n", n->name,
		       n->deleted || !n->plan.ndelete ? "deleted" : "did not delete", del, kept[0] ? kept : "none",
		       n->measure == GC_MEASURE_NONE ? "unknown" : bytes,
		       n->measure == GC_MEASURE_DU ? "du" : n->measure == GC_MEASURE_NIX ? "Nix's count" : "not measured",
		       (unsigned long long)n->paths_removed);
	if (n->switches)
		printf("    %zu armed dead-man switch%s left armed\n", n->switches, n->switches == 1 ? "" : "es");
	if (n->warning[0])
		printf("    warning: %s\n", n->warning);
	if (n->fail.step)
		printf("    failed at %s: %s\n", n->fail.step, n->fail.message);
}

static void print_text(const struct gc_report *rep)
{
	char bytes[32];
	size_t i;

	for (i = 0; i < rep->n; i++)
		print_node(rep, &rep->nodes[i]);
	cli_bytes(rep->freed_bytes, bytes, sizeof(bytes));
	if (rep->dry_run)
		printf("dry run, nothing changed: %zu nodes: %zu ok, %zu failed; %zu generations would be deleted, "
		       "about %s and %llu store paths would be freed (gc %s)\n",
		       rep->n, rep->ok, rep->failed, rep->generations_deleted, bytes,
		       (unsigned long long)rep->paths_removed, rep->id);
	else
		printf("%zu nodes: %zu ok, %zu failed; %zu generations deleted, %s freed, %llu store paths removed (gc %s)\n",
		       rep->n, rep->ok, rep->failed, rep->generations_deleted, bytes, (unsigned long long)rep->paths_removed,
		       rep->id);
}

enum { OPT_OLDER_THAN = 2000, OPT_KEEP, OPT_DRY_RUN };

static enum cmd_status cmd_nix_gc_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		FLEET_OPTIONS,
		LEASE_OPTIONS,
		{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_fleet f;
	struct gc_opts o = { .older_than_s = -1, .keep = GC_KEEP_DEFAULT };
	struct gc_report rep = { 0 };
	enum cmd_status st = CMD_ERROR;
	long keep;
	int c, r;

	cli_fleet_init(&f);
	while ((r = cli_opts_next(&(const struct cli_opts){ .fleet = &f }, argc, argv, "+t:", opts, &c)) > 0) {
		switch (c) {
		case OPT_OLDER_THAN:
			if (gc_age_parse("--older-than", optarg, &o.older_than_s) < 0)
				return cli_usage(cli, "%s", err_msg());
			o.older_than = optarg;
			break;
		case OPT_KEEP:
			if (cli_int("--keep", optarg, 1, GC_KEEP_MAX, &keep) < 0)
				return cli_usage(cli, "%s", err_msg());
			o.keep = (uint32_t)keep;
			break;
		case OPT_DRY_RUN: o.dry_run = true; break;
		default: return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (r < 0)
		return cli_usage(cli, "%s", err_msg());
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (remote_on(cli) && cli->server_flag)
		return cli_usage(cli, "nix gc runs here, not through a server: drop --server");
	if (!f.spec && !f.file)
		f.spec = "local";
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	o.profile = f.reach.profile;
	if ((r = gc_run(&f.w.fleet, &f.targets, &o, &rep)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	if (cli->json)
		cli_print_json_text(gc_report_json(&rep));
	else
		print_text(&rep);
	st = cli_ledger_status(cli, rep.ledger_err, rep.ledger_msg, cli_fleet_status(rep.ok, rep.n));
out:
	gc_report_release(&rep);
	cli_fleet_close(&f);
	return st;
}

const struct cmd_entry cmd_nix_gc_entry = {
	.name = "nix gc",
	.summary = "delete old profile generations nothing needs, then collect the store's garbage",
	.usage = "chimera nix gc [-t TARGETS] [--older-than AGE] [--keep N] [--dry-run]\n"
		 "                     [--profile PATH] [--parallel N] [--lock-wait S] [--json]",
	.help = "Without -t on the controller itself (the target local); with -t on every node at\n"
		"once, each under its lease like deploy and rollback: a node another operation\n"
		"holds past --lock-wait fails naming the holder and is not touched (exit 3).\n"
		"\n"
		"Per node, one probe reads its clock, the profile's generations and its dead-man\n"
		"switches; then a generation goes when it is older than AGE and none of these\n"
		"keeps it, each named in the report:\n"
		"  current   the profile is on it\n"
		"  newest    among the newest N (--keep)\n"
		"  younger   made within AGE\n"
		"  deadman   an armed dead-man switch goes back to it (the switch is left armed)\n"
		"  watch     a running watch keeps the node on its path (read from the ledger)\n"
		"  rollback  a rollback in progress goes to it (or, when it named no generation, the\n"
		"            previous one and what the node's last deploy or rollback came from)\n"
		"Then nix-env --delete-generations, the dead paths measured with du, and\n"
		"nix-store --gc. Each node reports what went, what stayed and why, the bytes freed\n"
		"(du of the paths deleted, measured before; Nix's own figure beside it) and the\n"
		"store paths removed. Recorded as nix.gc.completed per node (docs/nix/gc.md).\n"
		"\n"
		"options:\n"
		"  --older-than AGE         only generations made before now minus AGE may go: a\n"
		"                           whole number and a unit, s, m, h, d or w (30d, 12h;\n"
		"                           0d: every one made before now); default: any age\n"
		"  --keep N                 the newest N generations always stay (1 to 1000;\n"
		"                           default 2: the current one and the one before it)\n"
		"  --dry-run                delete nothing, take no lease: say what would go and\n"
		"                           about how much it would free (du of the paths that\n"
		"                           would become dead: dead now, or only reachable from the\n"
		"                           generations that would go)\n"
		FLEET_OPTIONS_HELP
		LEASE_OPTIONS_HELP
		"  --json                   one JSON document\n"
		"\n"
		"exit status: 0 when every node is done, 3 when some failed, 1 when all failed or\n"
		"on error, 2 for bad usage.\n",
	.exec = cmd_nix_gc_exec,
};
