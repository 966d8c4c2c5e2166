/* chimera nix build: build a file's attribute or a flake's package and print its store path. */
#include "app/nix/build.h"
#include "cli/cli.h"
#include "cli/cmd_nix.h"
#include "cli/nix_world.h"
#include "cli/progress.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <unistd.h>
#include "util/banned.h"

enum { OPT_OUT_LINK = 2400 };

/* Build O with the world's Nix, its progress on stderr when that is a terminal; print the path. */
static enum cmd_status build_and_print(struct cli *cli, const struct nix_build_opts *o)
{
	struct nix_build_report rep;
	struct progress *prog = NULL;
	struct ledger *l = NULL;
	struct nix *nx = NULL;
	enum cmd_status st;
	int r;

	if ((st = nix_world_open(cli, &nx, &l)) != CMD_OK)
		return st;
	if (!cli->json && !cli->quiet && isatty(STDERR_FILENO))
		prog = progress_start(PROGRESS_LIVE, 0);
	nix_watch(nx, progress_build, prog);
	r = nix_build_run(&(struct nix_build_ctx){ nx, l }, o, &rep);
	nix_watch(nx, NULL, NULL);
	progress_stop(prog);
	if (r < 0) {
		st = cli_fail_err(cli, r);
	} else {
		if (cli->json)
			cli_print_json_text(nix_build_report_json(&rep));
		else
			printf("%s\n", rep.path);
		st = cli_ledger_status(cli, rep.ledger_err, rep.ledger_msg, CMD_OK);
	}
	nix_world_close(nx, l);
	return st;
}

static enum cmd_status cmd_nix_build_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "attr", required_argument, NULL, 'A' },
		{ "out-link", required_argument, NULL, OPT_OUT_LINK },
		{ NULL, 0, NULL, 0 },
	};
	struct nix_build_opts o = { 0 };
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "A:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'A': o.attr = optarg; break;
		case 'o':
		case OPT_OUT_LINK: o.out_link = optarg; break;
		default: return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (optind >= argc)
		return cli_usage(cli, "no installable: expected a .nix file or a flake REF#ATTR");
	o.installable = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	return build_and_print(cli, &o);
}

const struct cmd_entry cmd_nix_build_entry = {
	.name = "nix build",
	.summary = "build a Nix file's attribute or a flake's package and print its store path",
	.usage = "chimera nix build FILE [-A ATTR] [--out-link PATH] [--json]\n"
		 "       chimera nix build REF#ATTR [--out-link PATH] [--json]",
	.help = "Builds on this machine, as deploy builds (nix-build FILE, or `nix build REF#ATTR`\n"
		"for a flake), and prints the store path built. FILE may be a directory with\n"
		"default.nix. A flake reference that is a directory (.#hello, ./dir#hello,\n"
		"/abs/dir#hello) means the path: flake there, every file of it, in git or not;\n"
		"path:/dir#hello, github:owner/repo#pkg and the other forms are taken as written.\n"
		"\n"
		"No link is left behind unless asked: unlike nix-build and `nix build`, nothing\n"
		"named ./result appears. --out-link PATH makes PATH a symlink to the store path,\n"
		"registered as a garbage-collector root (as nix-build's out-links are): the\n"
		"package stays until the link goes. A symlink already at PATH is replaced; any\n"
		"other file there is an error.\n"
		"\n"
		"On a terminal, stderr shows the build as deploy does: the derivation building,\n"
		"its last log line, and how many are built. A failed build's error quotes Nix's\n"
		"message and the failed derivation's last log lines.\n"
		"\n"
		"Each build is recorded as nix.package.built (installable, attr, path, ms,\n"
		"out_link).\n"
		"\n"
		"options:\n"
		"  -A, --attr ATTR          with a file: the attribute to build\n"
		"  -o, --out-link PATH      make PATH a GC root symlink to the result\n"
		"  --json                   {\"installable\", \"flake\", \"attr\", \"path\", \"out_link\",\n"
		"                           \"ms\"}\n"
		"\n"
		"exit status: 0 built, 1 when the build failed, 2 for bad usage (a missing file,\n"
		"a flake reference without #ATTR, -A with a flake).\n",
	.exec = cmd_nix_build_exec,
};
