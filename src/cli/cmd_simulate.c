/* chimera simulate: what Netlify or Render would make of a project's deploy configuration. */
#include "app/sim.h"
#include "app/sim_netlify.h"
#include "app/sim_render.h"
#include "cli/cli.h"
#include "util/clock.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

enum { OPT_PLATFORM = 2200 };

static enum cmd_status cmd_simulate_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_report rep;
	struct buf text = BUF_INIT(0);
	const char *platform = NULL, *dir = ".";
	enum cmd_status st;
	int64_t t0;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_PLATFORM)
			platform = optarg;
		else
			return cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
	}
	if (!platform)
		return cli_usage(cli, "give --platform netlify or --platform render");
	if (strcmp(platform, "netlify") != 0 && strcmp(platform, "render") != 0)
		return cli_usage(cli, "--platform '%s': expected netlify or render", platform);
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	sim_report_init(&rep, platform);
	t0 = now_us();
	r = strcmp(platform, "netlify") == 0 ? sim_netlify(dir, &rep) : sim_render(dir, &rep);
	rep.us = now_us() - t0;
	if (r == ERR_NOTFOUND) {
		st = cli_fail(cli, CMD_USAGE, "%s", err_msg());
		goto out;
	}
	if (r < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json) {
		cli_print_json(sim_report_json(&rep));
	} else {
		sim_report_text(&rep, &text);
		fputs(text.data, stdout);
	}
	st = sim_passed(&rep) ? CMD_OK : CMD_PARTIAL;
out:
	buf_release(&text);
	sim_report_release(&rep);
	return st;
}

const struct cmd_entry cmd_simulate_entry = {
	.name = "simulate",
	.summary = "check a project's netlify.toml or render.yaml the way the platform would",
	.usage = "chimera simulate --platform netlify|render [DIR] [--json]",
	.help = "Reads DIR/netlify.toml or DIR/render.yaml (DIR defaults to the current\n"
		"directory) and reports every issue the rule catalog finds: its rule id (NTL-...,\n"
		"RND-...), severity (critical: the platform rejects it; high: it will not do what\n"
		"was meant; medium; low), file:line:column, message, and the fix `chimera heal`\n"
		"would apply or only suggests. Counts per severity and the time taken end the\n"
		"report.\n"
		"\n"
		"options:\n"
		"  --platform NAME          netlify or render\n"
		"  --json                   one JSON document: platform, files, counts, passed, us,\n"
		"                           issues\n"
		"\n"
		"exit status: 0 with no critical or high issue, 3 otherwise, 2 when DIR has no\n"
		"such file (or bad usage), 1 on errors.\n",
	.exec = cmd_simulate_exec,
};
