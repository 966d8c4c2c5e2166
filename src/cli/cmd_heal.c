/* chimera heal: apply the fixes simulate names, show the diff, and write it only when asked. */
#include "platform/heal.h"
#include "platform/platform.h"
#include "cli/cli.h"
#include "util/err.h"
#include "util/fs.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static json_t *result_json(const struct heal_result *h, const char *diff, int written)
{
	return json_pack("{s:o, s:o, s:o, s:s, s:b, s:b}", "actions", heal_report_json(h), "before",
			 sim_report_json(&h->before),
			 "after", sim_report_json(&h->after), "diff", diff, "written", written, "passed",
			 sim_passed(&h->after));
}

enum { OPT_PLATFORM = 2400, OPT_WRITE };

static enum cmd_status cmd_heal_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "write", no_argument, NULL, OPT_WRITE },
		{ NULL, 0, NULL, 0 },
	};
	const char *platform = NULL, *dir = ".", *name;
	const struct platform *p;
	struct heal_result h;
	struct buf orig = BUF_INIT(0), diff = BUF_INIT(1 << 20), report = BUF_INIT(0);
	char path[PATH_MAX];
	struct stat st;
	int c, r, write_it = 0, written = 0;
	size_t i;
	enum cmd_status status;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_PLATFORM)
			platform = optarg;
		else if (c == OPT_WRITE)
			write_it = 1;
		else
			return cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (!platform || !(p = platform_find(platform)) || !platform_heals(p)) {
		struct buf names = BUF_INIT(0);

		platform_names(&names, platform_heals, " or --platform ", " or --platform ");
		status = cli_usage(cli, "give --platform %s", names.data);
		buf_release(&names);
		return status;
	}
	name = p->config_file;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (stat(path, &st) < 0)
		return cli_fail(cli, CMD_USAGE, "no %s: '%s' does not exist", name, path);
	if (fs_read_file(path, &orig) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	heal_result_init(&h, platform);
	r = p->heal_text(name, orig.data, orig.len, dir, &h);
	if (r < 0 || (r = heal_diff(name, &orig, &h.text, &diff)) < 0) {
		status = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (write_it && diff.len) {
		if (heal_write(path, &orig, &h.text) < 0) {
			status = cli_fail(cli, CMD_ERROR, "%s", err_msg());
			goto out;
		}
		written = 1;
	}
	if (cli->json) {
		cli_print_json(result_json(&h, diff.data, written));
	} else {
		for (i = 0; i < h.n; i++) {
			const struct heal_action *a = &h.actions[i];

			printf("%s:%d:%d: %s %s: %s%s%s\n", name, a->line, a->col, a->rule,
			       a->fixed ? "fixed" : "NOT FIXED", a->what, a->fixed ? "" : ": ", a->fixed ? "" : a->why);
		}
		fputs(diff.data, stdout);
		sim_report_text(&h.after, &report);
		printf("after healing:\n%s", report.data);
		if (written)
			printf("written to %s (the original kept in %s.bak)\n", path, path);
		else if (diff.len)
			printf("nothing written: run again with --write to apply\n");
		else
			printf("nothing to change\n");
	}
	status = sim_passed(&h.after) ? CMD_OK : CMD_PARTIAL;
out:
	heal_result_release(&h);
	buf_release(&orig);
	buf_release(&diff);
	buf_release(&report);
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
