/* chimera nix eval: evaluate an expression, or a file's attribute, strictly and print the value. */
#include "app/nix/eval.h"
#include "cli/cli.h"
#include "cli/cmd_nix.h"
#include "cli/nix_world.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

/* A failed evaluation: Nix's error (with where it is) as the command's. */
static enum cmd_status print_failed(struct cli *cli, const struct nix_eval_report *rep)
{
	if (cli->json) {
		cli_print_json_text(nix_eval_report_json(rep));
		return CMD_ERROR;
	}
	return cli_fail(cli, CMD_ERROR, "%s", rep->error);
}

/* Evaluate O with the world's Nix, the event in the ledger; print the value. */
static enum cmd_status eval_and_print(struct cli *cli, const struct nix_eval_opts *o)
{
	struct nix_eval_report rep;
	struct ledger *l = NULL;
	struct nix *nx = NULL;
	enum cmd_status st;
	int r;

	if ((st = nix_world_open(cli, &nx, &l)) != CMD_OK)
		return st;
	r = nix_eval_run(&(struct nix_eval_ctx){ nx, l }, o, &rep);
	if (r < 0)
		st = cli_fail_err(cli, r);
	else if (!rep.ok)
		st = print_failed(cli, &rep);
	else {
		if (cli->json)
			cli_print_json_text(nix_eval_report_json(&rep));
		else
			printf("%s\n", rep.value);
		st = cli_ledger_status(cli, rep.ledger_err, rep.ledger_msg, CMD_OK);
	}
	nix_eval_report_release(&rep);
	nix_world_close(nx, l);
	return st;
}

static enum cmd_status cmd_nix_eval_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "attr", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct nix_eval_opts o = { .json = cli->json };
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:A:", opts, NULL)) != -1) {
		switch (c) {
		case 'f': o.file = optarg; break;
		case 'A': o.attr = optarg; break;
		default: return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (optind < argc)
		o.expr = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s' (quote an expression with spaces as one argument)",
				 argv[optind]);
	return eval_and_print(cli, &o);
}

const struct cmd_entry cmd_nix_eval_entry = {
	.name = "nix eval",
	.summary = "evaluate a Nix expression, or a file's attribute, and print the value",
	.usage = "chimera nix eval EXPR [--json]\n"
		 "       chimera nix eval -f FILE [-A ATTR] [--json]",
	.help = "Evaluates strictly (every attribute and list element, as nix-instantiate --eval\n"
		"--strict) and prints the value as Nix prints it, or as JSON with --json. A file\n"
		"that is a function is called with its default arguments, as nix-build does; a\n"
		"directory means its default.nix. Nothing is built or written, unless the\n"
		"expression imports from a derivation.\n"
		"\n"
		"An error carries Nix's own message and where it is: \"at FILE:LINE:COLUMN\" and the\n"
		"lines there (an expression given here is Nix's «string»); --json gives\n"
		"{\"ok\": false, \"error\", \"position\": {file, line, column}}.\n"
		"\n"
		"Each evaluation is recorded as nix.expression.evaluated: the SHA3-256 of the\n"
		"expression (or of the file's content and the attribute) and of the value as JSON.\n"
		"Printed as Nix prints it, the value is evaluated a second time as JSON for that\n"
		"digest (a value with no JSON, such as a function, is digested as printed).\n"
		"\n"
		"options:\n"
		"  -f, --file FILE          evaluate FILE instead of an expression\n"
		"  -A, --attr ATTR          with -f: the attribute path to select (a.b.\"c d\")\n"
		"  --json                   {\"ok\", \"value\" (the value as JSON), \"file\", \"attr\",\n"
		"                           \"expression_sha256\", \"result_sha256\", \"ms\"}\n"
		"\n"
		"exit status: 0 evaluated, 1 when Nix could not evaluate it, 2 for bad usage (no\n"
		"expression, a missing file, a bad attribute path).\n",
	.exec = cmd_nix_eval_exec,
};
