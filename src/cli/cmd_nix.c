/* chimera nix: the Nix domain's operations, one subcommand each (cmd_nix_*.c). */
#include "cli/cli.h"
#include "cli/cmd_nix.h"

#include "util/banned.h"

/* Each subcommand's entry is in its own file; add it here once that file defines it. */
static const struct cmd_entry *const nix_subs[] = {
	&cmd_nix_flake_entry,
	&cmd_nix_eval_entry,
	&cmd_nix_build_entry,
	&cmd_nix_diff_entry,
	&cmd_nix_search_entry,
	&cmd_nix_gc_entry,
	&cmd_nix_flakes_entry,
	&cmd_nix_builds_entry,
	&cmd_nix_gc_history_entry,
	&cmd_nix_projections_entry,
	NULL,
};

const struct cmd_entry cmd_nix_entry = {
	.name = "nix",
	.summary = "the Nix domain: flakes, eval, build, closure diffs, garbage collection, search",
	.usage = "chimera nix SUBCOMMAND [options] [args]",
	.help = "Runs Nix's own operations the way chimera runs the rest: every one with --help and\n"
		"--json, errors that name the bad input, and an event in the ledger for each (see\n"
		"docs/nix.md). Debian's nix 2.8 needs the nix-command and flakes experimental\n"
		"features; chimera passes them itself.\n",
	.exec = cmd_subs_unknown,
	.subs = nix_subs,
};
