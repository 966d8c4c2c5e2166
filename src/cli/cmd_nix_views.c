/*
 * chimera nix flakes, builds, gc-history and projections: the Nix domain's projections
 * (app/nix/projection.h), read without running Nix, and checked against a rebuild.
 */
#include "app/nix/projection.h"
#include "cli/cli.h"
#include "cli/cmd_nix.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

/* The live projection (caught up with the ledger) into *OUT; the error printed otherwise. */
static enum cmd_status open_live(struct cli *cli, json_t **out)
{
	struct ledger *l = NULL;
	const char *dir;
	int r;

	*out = NULL;
	if ((r = world_state_dir(&cli->world, &dir)) < 0 || (r = cli_open_ledger(cli, &l)) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	r = nix_proj_live(dir, l, out);
	ledger_close(l);
	return r < 0 ? cli_fail(cli, CMD_ERROR, "%s", err_msg()) : CMD_OK;
}

/* The options of a view: --limit N (0: all) and an optional operand; anything else a usage error. */
static enum cmd_status view_args(struct cli *cli, int argc, char **argv, long *limit, const char **operand)
{
	static const struct option opts[] = { { "limit", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 } };
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+n:", opts, NULL)) != -1) {
		if (c == 'n' && limit) {
			if (cli_int("--limit", optarg, 1, 1000000, limit) < 0)
				return cli_usage(cli, "%s", err_msg());
		} else {
			return cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc && operand)
		*operand = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	return CMD_OK;
}

/* A locked input's revision, short: git's rev, else its narHash. */
static const char *short_rev(const json_t *locked, char *out, size_t len)
{
	const char *rev = json_string_value(json_object_get(locked, "rev"));
	const char *nar = json_string_value(json_object_get(locked, "narHash"));

	if (rev)
		snprintf(out, len, "%.12s", rev);
	else if (nar)
		snprintf(out, len, "%.19s", nar);
	else
		snprintf(out, len, "?");
	return out;
}

static enum cmd_status cmd_nix_flakes_exec(struct cli *cli, int argc, char **argv)
{
	const char *only = NULL, *name;
	json_t *p, *doc, *f, *locked;
	enum cmd_status st;
	char rev[24];
	size_t i;

	if ((st = view_args(cli, argc, argv, NULL, &only)) != CMD_OK || (st = open_live(cli, &p)) != CMD_OK)
		return st;
	doc = nix_proj_flakes_json(p, only);
	json_decref(p);
	if (!doc)
		return cli_fail(cli, CMD_ERROR, "out of memory");
	if (cli->json) {
		cli_print_json(doc);
		return CMD_OK;
	}
	json_array_foreach(json_object_get(doc, "flakes"), i, f) {
		printf("%s\n  template %s, created %s, updated %s\n", json_string_value(json_object_get(f, "dir")),
		       json_is_string(json_object_get(f, "template")) ? json_string_value(json_object_get(f, "template")) : "-",
		       json_is_string(json_object_get(f, "created")) ? json_string_value(json_object_get(f, "created")) : "-",
		       json_string_value(json_object_get(f, "updated")));
		json_object_foreach(json_object_get(f, "inputs"), name, locked)
			printf("  input %-20s %s\n", name, short_rev(locked, rev, sizeof(rev)));
	}
	if (json_array_size(json_object_get(doc, "flakes")) == 0)
		printf(only ? "no flake at %s in the ledger\n" : "no flakes in the ledger%s\n", only ? only : "");
	json_decref(doc);
	return CMD_OK;
}

static enum cmd_status cmd_nix_builds_exec(struct cli *cli, int argc, char **argv)
{
	long limit = 20;
	json_t *p, *doc, *b;
	enum cmd_status st;
	size_t i;

	if ((st = view_args(cli, argc, argv, &limit, NULL)) != CMD_OK || (st = open_live(cli, &p)) != CMD_OK)
		return st;
	doc = nix_proj_builds_json(p, (size_t)limit);
	json_decref(p);
	if (!doc)
		return cli_fail(cli, CMD_ERROR, "out of memory");
	if (cli->json) {
		cli_print_json(doc);
		return CMD_OK;
	}
	json_array_foreach(json_object_get(doc, "builds"), i, b)
		printf("%s  %6lld ms  %s%s%s\n  %s\n", json_string_value(json_object_get(b, "time")),
		       (long long)json_integer_value(json_object_get(b, "ms")), json_string_value(json_object_get(b, "installable")),
		       json_is_string(json_object_get(b, "attr")) ? " -A " : "",
		       json_is_string(json_object_get(b, "attr")) ? json_string_value(json_object_get(b, "attr")) : "",
		       json_string_value(json_object_get(b, "path")));
	if (json_array_size(json_object_get(doc, "builds")) == 0)
		printf("no builds in the ledger\n");
	json_decref(doc);
	return CMD_OK;
}

static enum cmd_status cmd_nix_gc_history_exec(struct cli *cli, int argc, char **argv)
{
	const char *only = NULL, *node;
	long limit = 20;
	json_t *p, *doc, *runs, *g;
	enum cmd_status st;
	size_t i;

	if ((st = view_args(cli, argc, argv, &limit, &only)) != CMD_OK || (st = open_live(cli, &p)) != CMD_OK)
		return st;
	doc = nix_proj_gc_json(p, only, (size_t)limit);
	json_decref(p);
	if (!doc)
		return cli_fail(cli, CMD_ERROR, "out of memory");
	if (cli->json) {
		cli_print_json(doc);
		return CMD_OK;
	}
	json_object_foreach(json_object_get(doc, "gc"), node, runs) {
		printf("%s\n", node);
		json_array_foreach(runs, i, g)
			printf("  %s  %s%s, %zu generations deleted, %lld bytes freed, %lld paths removed\n",
			       json_string_value(json_object_get(g, "time")), json_is_true(json_object_get(g, "ok")) ? "ok" : "failed",
			       json_is_true(json_object_get(g, "dry_run")) ? " (dry run)" : "",
			       json_array_size(json_object_get(g, "generations_deleted")),
			       (long long)json_integer_value(json_object_get(g, "freed_bytes")),
			       (long long)json_integer_value(json_object_get(g, "paths_removed")));
	}
	if (json_object_size(json_object_get(doc, "gc")) == 0)
		printf(only ? "no collection on %s in the ledger\n" : "no collections in the ledger%s\n", only ? only : "");
	json_decref(doc);
	return CMD_OK;
}

/* The live projection against one folded from every event; --rebuild makes the rebuilt one live. */
static enum cmd_status cmd_nix_projections_exec(struct cli *cli, int argc, char **argv)
{
	struct ledger *l = NULL;
	json_t *rep = NULL;
	const char *dir;
	bool rebuild = argc == 2 && strcmp(argv[1], "--rebuild") == 0, same;
	int r;

	if (argc > 2 || (argc == 2 && !rebuild))
		return cli_usage(cli, "unexpected argument '%s': expected only --rebuild", argv[1]);
	if ((r = world_state_dir(&cli->world, &dir)) < 0 || (r = cli_open_ledger(cli, &l)) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	r = nix_proj_check(dir, l, rebuild, &rep);
	ledger_close(l);
	if (r < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	same = json_is_true(json_object_get(rep, "equal"));
	if (rebuild && !cli->json)
		printf("rebuilt from the ledger up to seq %lld\n", (long long)json_integer_value(json_object_get(rep, "seq")));
	else if (!cli->json)
		printf("%s: the live projections (the ledger's nix events up to seq %lld) %s the ones rebuilt from every"
		       " nix event\n", same ? "equal" : "DIFFERENT", (long long)json_integer_value(json_object_get(rep, "seq")),
		       same ? "equal" : "differ from");
	if (cli->json)
		cli_print_json(rep);
	else
		json_decref(rep);
	return same ? CMD_OK : cli_fail(cli, CMD_ERROR, "the live projections differ from a rebuild: run chimera nix"
						      " projections --rebuild");
}

const struct cmd_entry cmd_nix_flakes_entry = {
	.name = "nix flakes",
	.summary = "the flakes chimera made or locked, with their inputs' locked revisions (from the ledger)",
	.usage = "chimera nix flakes [DIR] [--json]",
	.help = "Reads the flakes projection: every directory a chimera nix flake command made or\n"
		"locked, its template and each direct input's locked revision, as of the last event.\n"
		"Runs no Nix. DIR shows one flake.\n",
	.exec = cmd_nix_flakes_exec,
};

const struct cmd_entry cmd_nix_builds_entry = {
	.name = "nix builds",
	.summary = "the builds chimera nix build made: installable, store path, time (from the ledger)",
	.usage = "chimera nix builds [--limit N] [--json]",
	.help = "Reads the builds projection, the newest last. Runs no Nix.\n\n"
		"options:\n"
		"  -n, --limit N   the newest N (default 20)\n",
	.exec = cmd_nix_builds_exec,
};

const struct cmd_entry cmd_nix_gc_history_entry = {
	.name = "nix gc-history",
	.summary = "the garbage collections of chimera nix gc, per node (from the ledger)",
	.usage = "chimera nix gc-history [NODE] [--limit N] [--json]",
	.help = "Reads the gc projection: per node, each collection's generations deleted, bytes freed\n"
		"and paths removed, the newest last. NODE is the node's name as chimera nix gc records it\n"
		"(\"local\" for the controller).\n\n"
		"options:\n"
		"  -n, --limit N   the newest N per node (default 20)\n",
	.exec = cmd_nix_gc_history_exec,
};

const struct cmd_entry cmd_nix_projections_entry = {
	.name = "nix projections",
	.summary = "check the live Nix projections against a rebuild from every nix event",
	.usage = "chimera nix projections [--rebuild] [--json]",
	.help = "The live projections (STATE/projections/nix.json, brought up to date by every read)\n"
		"are compared with projections folded from every nix.* event of the ledger.\n"
		"exit status: 0 when they are equal, 1 when they differ. --rebuild replaces the live\n"
		"ones with the rebuilt ones.\n",
	.exec = cmd_nix_projections_exec,
};
