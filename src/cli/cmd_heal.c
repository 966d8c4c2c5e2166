/* chimera heal: apply the fixes simulate names, show the diff, and write it only when asked. */
#include "app/platform/heal.h"
#include "cli/cli.h"
#include "platform/platform.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

enum { OPT_PLATFORM = 2400, OPT_WRITE };

/* The report as text: each action, the diff, the report after healing, what was written. */
static void print_text(const struct heal_report *rep, const char *name)
{
	struct buf report = BUF_INIT(0);
	size_t i;

	for (i = 0; i < rep->heal.n; i++) {
		const struct heal_action *a = &rep->heal.actions[i];

		printf("%s:%d:%d: %s %s: %s%s%s\n", name, a->line, a->col, a->rule, a->fixed ? "fixed" : "NOT FIXED",
		       a->what, a->fixed ? "" : ": ", a->fixed ? "" : a->why);
	}
	fputs(rep->diff.data, stdout);
	sim_report_text(&rep->heal.after, &report);
	printf("after healing:\n%s", report.data);
	if (rep->written)
		printf("written to %s (the original kept in %s.bak)\n", rep->path, rep->path);
	else if (rep->diff.len)
		printf("nothing written: run again with --write to apply\n");
	else
		printf("nothing to change\n");
	buf_release(&report);
}

/* The usage error for a missing or unknown --platform: the platforms that heal. */
static enum cmd_status bad_platform(struct cli *cli)
{
	struct buf names = BUF_INIT(0);
	enum cmd_status st;

	platform_names(&names, platform_heals, " or --platform ", " or --platform ");
	st = cli_usage(cli, "give --platform %s", names.data);
	buf_release(&names);
	return st;
}

static enum cmd_status cmd_heal_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "write", no_argument, NULL, OPT_WRITE },
		{ NULL, 0, NULL, 0 },
	};
	struct heal_opts o = { .dir = "." };
	struct heal_report rep;
	const char *platform = NULL;
	enum cmd_status status;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_PLATFORM)
			platform = optarg;
		else if (c == OPT_WRITE)
			o.write = true;
		else
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
	}
	if (optind < argc)
		o.dir = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (!platform || !(o.platform = platform_find(platform)) || !platform_heals(o.platform))
		return bad_platform(cli);
	if ((r = heal_project(&o, &rep)) < 0) {
		status = cli_fail(cli, r == ERR_NOTFOUND ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		cli_print_json(heal_project_json(&rep));
	else
		print_text(&rep, o.platform->config_file);
	status = sim_passed(&rep.heal.after) ? CMD_OK : CMD_PARTIAL;
out:
	heal_report_release(&rep);
	return status;
}

const struct cmd_entry cmd_heal_entry = {
	.name = "heal",
	.summary = "apply the fixes simulate names, show the diff, write with --write",
	.usage = "chimera heal --platform netlify|render [DIR] [--write] [--json]",
	.help = "Simulates DIR/netlify.toml or DIR/render.yaml, then for each critical or high\n"
		"issue with an automatic fix applies it as a targeted edit (comments and untouched\n"
		"lines stay byte-identical), simulates again, and counts the issue fixed when it\n"
		"is gone: at most 3 attempts per issue. Fixes simulate only suggests are never\n"
		"applied. Prints what it did, a unified diff and the report after healing.\n"
		"\n"
		"options:\n"
		"  --platform NAME          netlify or render\n"
		"  --write                  write the healed file (atomically: temporary file, fsync,\n"
		"                           rename), keeping the original as FILE.bak\n"
		"  --json                   one JSON document: actions, before, after, diff, written\n"
		"\n"
		"exit status: 0 when the healed configuration has no critical or high issue, 3\n"
		"otherwise, 2 without the file, 1 on errors.\n",
	.exec = cmd_heal_exec,
};
