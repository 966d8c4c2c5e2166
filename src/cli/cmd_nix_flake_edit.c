/* chimera nix flake init, add-input, lock and update: the verbs that change a flake. */
#include "cli/cmd_nix_flake.h"
#include "formats/nix_edit.h"
#include "util/err.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

enum { OPT_TEMPLATE = 3000, OPT_DIR };

static const struct option init_opts[] = {
	{ "template", required_argument, NULL, OPT_TEMPLATE },
	{ NULL, 0, NULL, 0 },
};

static const struct option no_opts[] = {
	{ NULL, 0, NULL, 0 },
};

static const struct option dir_opts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ NULL, 0, NULL, 0 },
};

/* --template NAME or --dir DIR into *ARG. */
static enum cmd_status take_value(struct cli *cli, int c, void *arg)
{
	(void)cli;
	(void)c;
	*(const char **)arg = optarg;
	return CMD_OK;
}

/* The ledger's word on the events, after the report is printed. */
static enum cmd_status done(struct cli *cli, int ledger_err, const char *ledger_msg)
{
	return cli_ledger_status(cli, ledger_err, ledger_msg, CMD_OK);
}

enum cmd_status nix_flake_init(struct cli *cli, int argc, char **argv)
{
	struct flake_init_report rep;
	struct flake_ctx ctx;
	const char *template = NULL;
	enum cmd_status st;
	size_t i;
	int first;

	if ((st = nix_flake_args(cli, argc, argv, init_opts, take_value, &template, &first)) != CMD_OK)
		return st;
	if (argc - first != 1)
		return cli_usage(cli, argc == first ? "init needs the flake's directory DIR" : "init takes one DIR, not %d operands",
				 argc - first);
	if (template && !flake_template_find(template))
		return cli_usage(cli, "unknown template '%s': expected fleet or offline", template);
	if ((st = nix_flake_open(cli, &ctx, true)) != CMD_OK)
		return st;
	if (flake_init(&ctx, argv[first], template, &rep) < 0) {
		st = nix_flake_fail(cli);
	} else {
		if (cli->json) {
			cli_print_json_text(flake_init_json(&rep));
		} else {
			printf("created the flake %s from the template %s:\n", rep.dir, rep.template);
			for (i = 0; i < rep.tpl->n; i++)
				printf("  %s\n", rep.tpl->files[i].path);
			if (rep.git_init)
				printf("made a git repository there and added them\n");
			if (rep.git_note)
				printf("note: %s\n", rep.git_note);
		}
		st = done(cli, rep.ledger_err, rep.ledger_msg);
		flake_init_report_release(&rep);
	}
	nix_flake_close(&ctx);
	return st;
}

/* One input's lock, in a line: where from, and what pins it. */
static void print_locked(const char *name, json_t *locked, bool changed)
{
	const char *type = json_string_value(json_object_get(locked, "type"));
	const char *rev = json_string_value(json_object_get(locked, "rev"));
	const char *hash = json_string_value(json_object_get(locked, "narHash"));
	const char *where = json_string_value(json_object_get(locked, "path"));

	if (!where)
		where = json_string_value(json_object_get(locked, "url"));
	if (!where)
		where = json_string_value(json_object_get(locked, "repo"));
	printf("  %-16s %s %s%s%s narHash %s%s\n", name, type ? type : "(no lock)", where ? where : "",
	       rev ? " rev " : "", rev ? rev : "", hash ? hash : "-", changed ? "  (changed)" : "");
}

/* The report of add-input, lock and update, as text. */
static void print_lock(const struct flake_lock_report *rep)
{
	const char *name;
	json_t *locked, *u;
	size_t i;

	if (rep->url)
		printf("added input '%s' (%s) to %s/flake.nix at %u:%u and locked it\n", rep->input, rep->url, rep->dir,
		       rep->line, rep->col);
	else if (rep->input)
		printf("updated input '%s' of %s\n", rep->input, rep->dir);
	else
		printf("%s %s: %zu input%s\n", strcmp(rep->verb, "update") == 0 ? "updated" : "locked", rep->dir,
		       json_object_size(rep->inputs), json_object_size(rep->inputs) == 1 ? "" : "s");
	json_object_foreach(rep->inputs, name, locked) {
		bool changed = false;

		json_array_foreach(rep->updated, i, u)
			if (strcmp(json_string_value(u), name) == 0)
				changed = true;
		print_locked(name, locked, changed);
	}
}

/* What add-input, lock and update ask: NAME and URL for add-input, else INPUT (or NULL) for update. */
struct lock_ask {
	const char *dir, *name, *url, *input;
	bool update;
};

/* Open the world, run the lock use case A asks for, print its report. */
static enum cmd_status run_lock(struct cli *cli, const struct lock_ask *a)
{
	struct flake_lock_report rep;
	struct flake_ctx ctx;
	enum cmd_status st;
	int r;

	if ((st = nix_flake_open(cli, &ctx, true)) != CMD_OK)
		return st;
	if (a->url)
		r = flake_add_input(&ctx, a->dir, a->name, a->url, &rep);
	else
		r = flake_lock(&ctx, a->dir, a->update, a->input, &rep);
	if (r < 0) {
		st = nix_flake_fail(cli);
	} else {
		if (cli->json)
			cli_print_json_text(flake_lock_json(&rep));
		else
			print_lock(&rep);
		st = done(cli, rep.ledger_err, rep.ledger_msg);
		flake_lock_report_release(&rep);
	}
	nix_flake_close(&ctx);
	return st;
}

enum cmd_status nix_flake_add_input(struct cli *cli, int argc, char **argv)
{
	enum cmd_status st;
	int first;

	if ((st = nix_flake_args(cli, argc, argv, no_opts, NULL, NULL, &first)) != CMD_OK)
		return st;
	if (argc - first < 2 || argc - first > 3)
		return cli_usage(cli, "add-input takes NAME URL and an optional DIR, not %d operand%s", argc - first,
				 argc - first == 1 ? "" : "s");
	if (nix_input_name_check(argv[first]) < 0 || flake_url_check(argv[first], argv[first + 1]) < 0)
		return cli_usage(cli, "%s", err_msg());
	return run_lock(cli, &(struct lock_ask){ .dir = argc - first == 3 ? argv[first + 2] : ".", .name = argv[first],
						 .url = argv[first + 1] });
}

enum cmd_status nix_flake_lock(struct cli *cli, int argc, char **argv)
{
	enum cmd_status st;
	int first;

	if ((st = nix_flake_args(cli, argc, argv, no_opts, NULL, NULL, &first)) != CMD_OK)
		return st;
	if (argc - first > 1)
		return cli_usage(cli, "lock takes at most one DIR, not %d operands", argc - first);
	return run_lock(cli, &(struct lock_ask){ .dir = argc > first ? argv[first] : "." });
}

enum cmd_status nix_flake_update(struct cli *cli, int argc, char **argv)
{
	const char *dir = ".";
	enum cmd_status st;
	int first;

	if ((st = nix_flake_args(cli, argc, argv, dir_opts, take_value, &dir, &first)) != CMD_OK)
		return st;
	if (argc - first > 1)
		return cli_usage(cli, "update takes at most one INPUT (give the flake as --dir DIR), not %d operands",
				 argc - first);
	return run_lock(cli, &(struct lock_ask){ .dir = dir, .input = argc > first ? argv[first] : NULL, .update = true });
}
