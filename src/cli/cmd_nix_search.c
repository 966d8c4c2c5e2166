/* chimera nix search: a flake's packages whose names or descriptions match a query, best first. */
#include "app/nix/search.h"
#include "cli/cli.h"
#include "cli/cmd_nix.h"
#include "cli/nix_world.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

enum { OPT_FLAKE = 2500 };

#define ATTR_COL_MAX 32

static void print_table(const struct nix_search_report *rep)
{
	int wa = 4, wv = 7;
	size_t i;

	if (!rep->n) {
		printf("no package of %s (%s, %zu packages) matches '%s'\n", rep->flake, rep->system, rep->packages,
		       rep->query);
		return;
	}
	for (i = 0; i < rep->n; i++) {
		int a = (int)strlen(rep->hits[i].attr), v = rep->hits[i].version ? (int)strlen(rep->hits[i].version) : 1;

		wa = a > wa ? (a < ATTR_COL_MAX ? a : ATTR_COL_MAX) : wa;
		wv = v > wv ? (v < ATTR_COL_MAX ? v : ATTR_COL_MAX) : wv;
	}
	printf("%-*s  %-*s  %s\n", wa, "ATTR", wv, "VERSION", "DESCRIPTION");
	for (i = 0; i < rep->n; i++) {
		const struct nix_search_hit *h = &rep->hits[i];

		printf("%-*s  %-*s  %s\n", wa, h->attr, wv, h->version ? h->version : "-",
		       h->description ? h->description : "-");
	}
	printf("%zu of %zu packages of %s (%s)\n", rep->n, rep->packages, rep->flake, rep->system);
}

static enum cmd_status cmd_nix_search_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "flake", required_argument, NULL, OPT_FLAKE },
		{ NULL, 0, NULL, 0 },
	};
	struct nix_search_report rep;
	const char *flake = NULL;
	struct nix *nx = NULL;
	enum cmd_status st = CMD_OK;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != OPT_FLAKE)
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		flake = optarg;
	}
	if (argc - optind != 1)
		return cli_usage(cli, "expected one QUERY (quote several words as one argument)");
	if ((st = nix_world_open(cli, &nx, NULL)) != CMD_OK)
		return st;
	r = nix_search_run(nx, flake, argv[optind], &rep);
	if (r < 0)
		st = cli_fail_err(cli, r);
	else if (cli->json)
		cli_print_json_text(nix_search_report_json(&rep));
	else
		print_table(&rep);
	nix_search_report_release(&rep);
	nix_world_close(nx, NULL);
	return st;
}

const struct cmd_entry cmd_nix_search_entry = {
	.name = "nix search",
	.summary = "search a flake's packages by name and description, offline",
	.usage = "chimera nix search QUERY [--flake REF] [--json]",
	.help = "Evaluates the flake's packages for this machine's system (packages.<system>,\n"
		"as `nix-instantiate --eval -E builtins.currentSystem` names it) and each one's\n"
		"pname, version and meta.description, offline: nothing is fetched that is not\n"
		"already in the store and no lock file is written. A package matches when every\n"
		"word of QUERY is in its attribute name or its description (case does not\n"
		"matter); the best come first: per word, a name equal to the word, then a name\n"
		"containing it, then a description with it as a whole word, then one containing\n"
		"it; ties by name. An empty QUERY lists every package.\n"
		"\n"
		"options:\n"
		"  --flake REF              the flake: a directory (the path: flake there, every\n"
		"                           file of it) or a reference (path:/dir, github:o/r, ...),\n"
		"                           without #ATTR; default: the working directory\n"
		"  --json                   the matches, best first: [{\"attr\", \"version\",\n"
		"                           \"description\", \"pname\"}] (null where a package has none)\n"
		"\n"
		"exit status: 0 (with or without matches), 1 when the flake cannot be evaluated,\n"
		"2 for bad usage.\n",
	.exec = cmd_nix_search_exec,
};
