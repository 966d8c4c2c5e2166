/* chimera generations: each node's profile generations. */
#include "app/fleet/inspect.h"
#include "cli/fleet_opts.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void format_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_json(const struct gens_report *rep)
{
	json_t *nodes = json_array(), *doc;
	size_t i, j;

	for (i = 0; i < rep->n; i++) {
		const struct gens_node *n = &rep->nodes[i];
		json_t *o = json_pack("{s:s, s:b}", "node", n->name, "ok", n->ok), *gens = json_array();

		for (j = 0; n->ok && j < n->gens.n; j++) {
			const struct generation *g = &n->gens.items[j];
			char t[32];

			format_time(g->time, t, sizeof(t));
			json_array_append_new(gens, json_pack("{s:I, s:s, s:s, s:b}", "generation", (json_int_t)g->num, "date", t,
							      "path", g->path, "current", g->num == n->gens.current));
		}
		json_object_set_new(o, "generations", gens);
		json_object_set_new(o, "current", n->ok && n->gens.current ? json_integer(n->gens.current) : json_null());
		json_object_set_new(o, "error", n->ok ? json_null() : json_string(n->fail.message));
		json_array_append_new(nodes, o);
	}
	doc = json_pack("{s:o, s:{s:I, s:I, s:I}}", "nodes", nodes, "summary", "nodes", (json_int_t)rep->n, "ok",
			(json_int_t)rep->ok, "ms", (json_int_t)rep->ms);
	cli_print_json(doc);
}

static void print_text(const struct gens_report *rep)
{
	size_t i, j;

	for (i = 0; i < rep->n; i++) {
		const struct gens_node *n = &rep->nodes[i];

		if (!n->ok) {
			printf("%s: FAILED at %s: %s\n", n->name, n->fail.step ? n->fail.step : "?", n->fail.message);
			continue;
		}
		printf("%s: %zu generation%s\n", n->name, n->gens.n, n->gens.n == 1 ? "" : "s");
		for (j = 0; j < n->gens.n; j++) {
			const struct generation *g = &n->gens.items[j];
			char t[32];

			format_time(g->time, t, sizeof(t));
			printf("  %5u  %s  %s%s\n", g->num, t, g->path, g->num == n->gens.current ? "  (current)" : "");
		}
	}
	printf("%zu nodes: %zu read, %zu failed in %.2fs\n", rep->n, rep->ok, rep->n - rep->ok, rep->ms / 1000.0);
}

static enum cmd_status cmd_generations_exec(struct cli *cli, int argc, char **argv)
{
	struct cli_fleet f;
	struct gens_report rep = { 0 };
	enum cmd_status st = CMD_ERROR;
	int c, r;

	cli_fleet_init(&f);
	while ((c = getopt_long(argc, argv, "+t:", cli_fleet_options, NULL)) != -1) {
		if ((st = cli_fleet_opt_only(cli, &f, c, optarg, argv[optind - 1])) != CMD_OK)
			return st;
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	if (generations_run(&f.w.fleet, &f.targets, f.reach.profile, &rep) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		print_json(&rep);
	else
		print_text(&rep);
	st = cli_fleet_status(rep.ok, rep.n);
out:
	gens_report_release(&rep);
	cli_fleet_close(&f);
	return st;
}

const struct cmd_entry cmd_generations_entry = {
	.name = "generations",
	.summary = "list each target's profile generations",
	.usage = "chimera generations (-t TARGETS | --targets-file FILE) [--profile PATH]\n"
		 "                      [--parallel N] [--connect-timeout S]",
	.help = "Lists, per node, every generation of the profile: its number, when it was\n"
		"made (UTC), the store path it points at, and which one is current.\n"
		"\n"
		"options:\n"
		FLEET_OPTIONS_HELP
		"  --json                   one JSON document\n"
		"\n"
		"exit status: 0 when every node was read, 3 when some were, 1 when none.\n",
	.exec = cmd_generations_exec,
};
