/* chimera nix diff: the closure difference between two store paths, by package. */
#include "app/nix/closure_diff.h"
#include "cli/cli.h"
#include "cli/closure_text.h"
#include "cli/cmd_nix.h"
#include "cli/nix_world.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include "util/banned.h"

static enum cmd_status cmd_nix_diff_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	struct nix_diff_report rep;
	struct nix *nx = NULL;
	enum cmd_status st = CMD_OK;
	int c, r;

	optind = 0;
	opterr = 0;
	if ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		return cli_usage(cli, "%s", cli_bad_option(argv, opts));
	if (argc - optind != 2)
		return cli_usage(cli, "expected two store paths (or links to them), A and B");
	if ((st = nix_world_open(cli, &nx, NULL)) != CMD_OK)
		return st;
	r = nix_diff_run(nx, argv[optind], argv[optind + 1], &rep);
	if (r < 0) {
		st = cli_fail_err(cli, r);
	} else if (cli->json) {
		cli_print_json_text(nix_diff_report_json(&rep));
	} else {
		printf("%s\n  -> %s\n", rep.a, rep.b);
		closure_text_print(&rep.diff, "");
	}
	nix_diff_report_release(&rep);
	nix_world_close(nx, NULL);
	return st;
}

const struct cmd_entry cmd_nix_diff_entry = {
	.name = "nix diff",
	.summary = "the closure difference between two store paths, by package, with sizes",
	.usage = "chimera nix diff A B [--json]",
	.help = "Compares the closures of A and B (store paths, or links to them: out-links,\n"
		"profiles, generations; symlinks are resolved) as nvd does. Each path's name is\n"
		"split into package and version as Nix splits derivation names (the version\n"
		"starts after the first '-' not followed by a letter: hello-2.12.1 is hello\n"
		"2.12.1), and paths are grouped by package:\n"
		"  changed   in both, at other versions (1.0 -> 2.0)\n"
		"  added     only in B\n"
		"  removed   only in A\n"
		"  rebuilt   in both at the same versions, with other store paths\n"
		"Each package line gives its versions, its NAR size on each side and the change;\n"
		"under it, the paths only one side has (- in A, + in B) with their NAR sizes\n"
		"(nix-store -q --size). The last line gives both closures' paths and NAR bytes,\n"
		"and the paths added and removed.\n"
		"\n"
		"options:\n"
		"  --json                   {\"a\": {given, path, paths, bytes}, \"b\", \"summary\":\n"
		"                           {changed, added, removed, rebuilt, paths_added,\n"
		"                           paths_removed, bytes_added, bytes_removed, delta},\n"
		"                           \"packages\": [{name, change, versions_a, versions_b,\n"
		"                           bytes_a, bytes_b, delta, paths_a, paths_b}]}, each path\n"
		"                           {path, version, nar_size, shared}\n"
		"\n"
		"exit status: 0 (whether or not they differ), 1 when a closure cannot be read, 2\n"
		"for bad usage (a path that is not, or does not lead to, a store path).\n",
	.exec = cmd_nix_diff_exec,
};
