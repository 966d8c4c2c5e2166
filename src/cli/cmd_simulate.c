/* chimera simulate: what Netlify, Render or Nix would make of a project's deploy configuration. */
#include "app/platform/simulate.h"
#include "cli/cli.h"
#include "platform/platform.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

enum { OPT_PLATFORM = 2200, OPT_RULES };

/* --rules: P's rule catalog, as text or JSON. */
static enum cmd_status list_rules(struct cli *cli, const struct platform *p)
{
	struct buf text = BUF_INIT(0);
	enum cmd_status st = CMD_OK;

	if (cli->json) {
		cli_print_json(platform_rules_json(p));
	} else if (platform_rules_text(p, &text) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
	} else {
		fputs(text.data, stdout);
	}
	buf_release(&text);
	return st;
}

/* Simulate DIR for P (FILE and ATTR for a build platform) and print the report. */
static enum cmd_status simulate(struct cli *cli, const struct platform *p, const char *dir, const char *file,
				const char *attr)
{
	const struct simulate_opts o = { .platform = p, .dir = dir, .file = file, .attr = attr, .open_nix = world_nix_new };
	struct simulate_report rep;
	struct buf text = BUF_INIT(0);
	enum cmd_status st;
	int r;

	r = simulate_run(&o, &rep);
	if (r == ERR_NOTFOUND || (rep.builds && r == ERR_INVALID)) {
		st = cli_fail(cli, CMD_USAGE, "%s", err_msg());
		goto out;
	}
	if (r < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json) {
		cli_print_json(simulate_report_json(&rep));
	} else {
		if (rep.built[0])
			printf("built %s\n", rep.built);
		sim_report_text(&rep.sim, &text);
		fputs(text.data, stdout);
	}
	st = sim_passed(&rep.sim) ? CMD_OK : CMD_PARTIAL;
out:
	buf_release(&text);
	simulate_report_release(&rep);
	return st;
}

static enum cmd_status cmd_simulate_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "rules", no_argument, NULL, OPT_RULES },
		{ "config", required_argument, NULL, 'c' },
		{ "attr", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	const struct platform *p;
	const char *platform = NULL, *dir = ".", *file = NULL, *attr = NULL;
	struct buf names = BUF_INIT(0);
	enum cmd_status st;
	int c, rules = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "c:A:", opts, NULL)) != -1) {
		if (c == OPT_PLATFORM)
			platform = optarg;
		else if (c == OPT_RULES)
			rules = 1;
		else if (c == 'c')
			file = optarg;
		else if (c == 'A')
			attr = optarg;
		else if (optopt == 'c' || optopt == 'A')
			return cli_usage(cli, "-%c needs a value", optopt);
		else
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
	}
	if (!platform) {
		platform_names(&names, NULL, ", ", " or ");
		st = cli_usage(cli, "give --platform %s", names.data);
		goto out;
	}
	if (!(p = platform_find(platform))) {
		platform_names(&names, NULL, " or ", " or ");
		st = cli_usage(cli, "--platform '%s': expected %s", platform, names.data);
		goto out;
	}
	if (!platform_builds(p) && (file || attr)) {
		platform_names(&names, platform_builds, " or ", " or ");
		st = cli_usage(cli, "-c and -A go with --platform %s", names.data);
		goto out;
	}
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc) {
		st = cli_usage(cli, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	st = rules ? list_rules(cli, p) : simulate(cli, p, dir, file, attr);
out:
	buf_release(&names);
	return st;
}

const struct cmd_entry cmd_simulate_entry = {
	.name = "simulate",
	.summary = "check a project's netlify.toml, render.yaml or Nix file the way the platform would",
	.usage = "chimera simulate --platform netlify|render [DIR] [--json]\n"
		 "       chimera simulate --platform nix [DIR] [-c FILE.nix] [-A ATTR] [--json]\n"
		 "       chimera simulate --platform NAME --rules [--json]",
	.help = "Reads DIR/netlify.toml or DIR/render.yaml (DIR defaults to the current\n"
		"directory) and reports every issue the rule catalog finds: its rule id (NTL-...,\n"
		"RND-...), severity (critical: the platform rejects it; high: it will not do what\n"
		"was meant; medium; low), file:line:column, message, and the fix `chimera heal`\n"
		"would apply or only suggests. Counts per severity and the time taken end the\n"
		"report.\n"
		"\n"
		"With --platform nix it builds FILE (default DIR/default.nix) with nix-build and,\n"
		"when that fails, reports Nix's error as one critical issue at Nix's position:\n"
		"NIX-SYNTAX (does not parse), NIX-EVAL (evaluation failed), NIX-BUILD (a builder\n"
		"failed) or NIX-OUTPUT (not exactly one store path). When it builds, the store\n"
		"path is printed (\"built\" in JSON).\n"
		"\n"
		"With --rules it lists the platform's rule catalog instead: one rule a line, its\n"
		"id, severity, fix kind (heal, suggest or none) and what it finds.\n"
		"\n"
		"options:\n"
		"  --platform NAME          netlify, render or nix\n"
		"  --rules                  list the rule catalog (JSON: platform, config_file,\n"
		"                           rules [{id, severity, fix, message}])\n"
		"  -c, --config FILE.nix    nix: the file to build (default DIR/default.nix)\n"
		"  -A, --attr ATTR          nix: the attribute to build\n"
		"  --json                   one JSON document: platform, files, counts, passed, us,\n"
		"                           issues (and built, with nix)\n"
		"\n"
		"exit status: 0 with no critical or high issue (nix: it built), 3 otherwise, 2\n"
		"when DIR has no such file (or bad usage), 1 on errors (nix-build missing).\n",
	.exec = cmd_simulate_exec,
};
