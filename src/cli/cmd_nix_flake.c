/* chimera nix flake: init, add-input, lock, update, metadata, show and check, one verb each. */
#include "cli/cmd_nix.h"
#include "cli/cmd_nix_flake.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

/* Each verb's own entry: its name and usage are what its errors print. */
static const struct cmd_entry verbs[] = {
	{ .name = "nix flake init", .usage = "chimera nix flake init [--template fleet|offline] DIR",
	  .exec = nix_flake_init },
	{ .name = "nix flake add-input", .usage = "chimera nix flake add-input NAME URL [DIR]", .exec = nix_flake_add_input },
	{ .name = "nix flake lock", .usage = "chimera nix flake lock [DIR]", .exec = nix_flake_lock },
	{ .name = "nix flake update", .usage = "chimera nix flake update [INPUT] [--dir DIR]", .exec = nix_flake_update },
	{ .name = "nix flake metadata", .usage = "chimera nix flake metadata [DIR]", .exec = nix_flake_metadata },
	{ .name = "nix flake show", .usage = "chimera nix flake show [DIR]", .exec = nix_flake_show },
	{ .name = "nix flake check", .usage = "chimera nix flake check [DIR]", .exec = nix_flake_check },
};

#define VERB_NAMES "init, add-input, lock, update, metadata, show or check"

static enum cmd_status cmd_nix_flake_exec(struct cli *cli, int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		return cli_usage(cli, "no verb: expected " VERB_NAMES);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].name + strlen("nix flake "), argv[1]) == 0) {
			cli->cmd = &verbs[i];
			return verbs[i].exec(cli, argc - 1, argv + 1);
		}
	}
	return cli_usage(cli, "unknown verb '%s': expected " VERB_NAMES, argv[1]);
}

enum cmd_status nix_flake_args(struct cli *cli, int argc, char **argv, const struct option *opts,
			       enum cmd_status (*on_opt)(struct cli *cli, int c, void *arg), void *arg, int *first)
{
	enum cmd_status st;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == '?' || !on_opt)
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		if ((st = on_opt(cli, c, arg)) != CMD_OK)
			return st;
	}
	*first = optind;
	return CMD_OK;
}

enum cmd_status nix_flake_open(struct cli *cli, struct flake_ctx *ctx, bool ledger)
{
	memset(ctx, 0, sizeof(*ctx));
	if (world_open_nix(&cli->world, &ctx->nix) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (ledger && (cli_state_dir(cli) < 0 || cli_open_ledger(cli, &ctx->ledger) < 0)) {
		nix_flake_close(ctx);
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	}
	return CMD_OK;
}

void nix_flake_close(struct flake_ctx *ctx)
{
	ledger_close(ctx->ledger);
	if (ctx->nix)
		ctx->nix->ops->close(ctx->nix);
	memset(ctx, 0, sizeof(*ctx));
}

enum cmd_status nix_flake_fail(struct cli *cli)
{
	return cli_fail(cli, CMD_ERROR, "%s", err_msg());
}

const struct cmd_entry cmd_nix_flake_entry = {
	.name = "nix flake",
	.summary = "make flakes from templates, add and lock their inputs, read, show and check them",
	.usage = "chimera nix flake init [--template fleet|offline] DIR\n"
		 "       chimera nix flake add-input NAME URL [DIR]\n"
		 "       chimera nix flake lock [DIR]\n"
		 "       chimera nix flake update [INPUT] [--dir DIR]\n"
		 "       chimera nix flake metadata [DIR]\n"
		 "       chimera nix flake show [DIR]\n"
		 "       chimera nix flake check [DIR]",
	.help = "A flake is named by its directory (DIR, else the current one), and Nix is given it as\n"
		"path:DIR, which works offline and sees every file. Each verb that changes a flake is\n"
		"recorded in the ledger (docs/events.md); docs/nix/flakes.md has the details.\n"
		"\n"
		"init [--template fleet|offline] DIR\n"
		"  Writes a template shipped in chimera into DIR (made when missing), refusing when\n"
		"  any of its files is there already (each is named). fleet (the default): a\n"
		"  configuration per machine, built as packages.SYSTEM.NAME, with the chimera.toml\n"
		"  whose `flake = \".#NAME\"` keys name them. offline: packages with descriptions that\n"
		"  build with /bin/sh alone, no inputs. When DIR is in no git work tree, runs\n"
		"  `git init` there and adds the files (Nix sees only a repository's tracked files).\n"
		"  Event nix.flake.created.\n"
		"\n"
		"add-input NAME URL [DIR]\n"
		"  Writes `NAME.url = \"URL\";` into flake.nix's inputs, as one insertion that keeps every\n"
		"  other byte (comments, layout), then locks that input. NAME is a Nix identifier that\n"
		"  no input has yet; URL a flake reference (path:/ABS, github:OWNER/REPO[/REF], git+https://,\n"
		"  git+ssh://, an https tarball, a registry id). A path: input must hold a flake.nix and\n"
		"  must not lead back through its own inputs. When locking fails, flake.nix is put back.\n"
		"  Event nix.flake.input_added.\n"
		"\n"
		"lock [DIR]\n"
		"  Locks the inputs flake.lock lacks; the others stay as they are. Event nix.flake.locked.\n"
		"\n"
		"update [INPUT] [--dir DIR]\n"
		"  Locks every input again (their newest revision, or a path's content now), or only\n"
		"  INPUT (a name, or a nested a/b). Event nix.flake.updated, whose `updated` lists the\n"
		"  inputs whose lock changed.\n"
		"\n"
		"metadata [DIR]\n"
		"  Every input from flake.lock, nested ones and follows resolved: its locked revision\n"
		"  or narHash and lastModified, and the inputs flake.nix has that flake.lock lacks.\n"
		"  Nix is not run.\n"
		"\n"
		"show [DIR]\n"
		"  The flake's outputs, as `nix flake show` finds them.\n"
		"\n"
		"check [DIR]\n"
		"  `nix flake check`: evaluates the outputs and builds the checks; exit 1 naming the\n"
		"  flake when it fails.\n"
		"\n"
		"Before Nix locks, updates or checks, chimera follows the path: inputs itself: an\n"
		"input whose directory or flake.nix is missing, and inputs that form a cycle, are\n"
		"errors naming each input and its URL. With --json each verb prints one JSON document\n"
		"(see docs/nix/flakes.md).\n"
		"\n"
		"exit status: 0 done, 1 it failed (Nix's error, a refused overwrite or duplicate, a\n"
		"cycle), 2 for bad usage (a missing operand, a bad input name or URL, an unknown\n"
		"template or verb).\n",
	.exec = cmd_nix_flake_exec,
};
