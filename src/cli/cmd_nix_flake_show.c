/* chimera nix flake metadata, show and check: the verbs that read a flake. */
#include "cli/cmd_nix_flake.h"
#include "util/clock.h"
#include "util/err.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

#define SHOW_DEPTH_MAX 12

static const struct option no_opts[] = {
	{ NULL, 0, NULL, 0 },
};

/* The one optional DIR operand of a reading verb into *DIR. */
static enum cmd_status one_dir(struct cli *cli, int argc, char **argv, const char **dir)
{
	enum cmd_status st;
	int first;

	if ((st = nix_flake_args(cli, argc, argv, no_opts, NULL, NULL, &first)) != CMD_OK)
		return st;
	if (argc - first > 1)
		return cli_usage(cli, "%s takes at most one DIR, not %d operands", argv[0], argc - first);
	*dir = argc > first ? argv[first] : ".";
	return CMD_OK;
}

/* Each input of the metadata tree A, indented by DEPTH. */
static void print_inputs(json_t *a, int depth)
{
	char when[32] = "";
	size_t i;
	json_t *e;

	json_array_foreach(a, i, e) {
		const char *follows = json_string_value(json_object_get(e, "follows"));
		const char *url = json_string_value(json_object_get(e, "url"));
		const char *rev = json_string_value(json_object_get(e, "rev"));
		const char *hash = json_string_value(json_object_get(e, "narHash"));
		json_int_t mod = json_integer_value(json_object_get(e, "lastModified"));

		printf("%*s%s", 2 + 2 * depth, "", json_string_value(json_object_get(e, "name")));
		if (follows) {
			printf(" follows '%s'\n", follows);
			continue;
		}
		if (mod > 0)
			clock_format_utc_s((int64_t)mod, when, sizeof(when));
		printf(": %s\n%*s%s%s%snarHash %s%s%s\n", url ? url : "(no lock)", 4 + 2 * depth, "", rev ? "rev " : "",
		       rev ? rev : "", rev ? ", " : "", hash ? hash : "-", mod > 0 ? ", last modified " : "", mod > 0 ? when : "");
		print_inputs(json_object_get(e, "inputs"), depth + 1);
	}
}

enum cmd_status nix_flake_metadata(struct cli *cli, int argc, char **argv)
{
	struct flake_metadata_report rep;
	const char *dir;
	enum cmd_status st;
	size_t i;
	json_t *u;

	if ((st = one_dir(cli, argc, argv, &dir)) != CMD_OK)
		return st;
	if (flake_metadata(dir, &rep) < 0)
		return nix_flake_fail(cli);
	if (cli->json) {
		cli_print_json_text(flake_metadata_json(&rep));
	} else {
		printf("flake %s%s%s\n", rep.dir, rep.description ? ": " : "", rep.description ? rep.description : "");
		if (json_array_size(rep.inputs) == 0)
			printf("  no inputs\n");
		print_inputs(rep.inputs, 0);
		json_array_foreach(rep.unlocked, i, u)
			printf("  %s: not locked yet ('chimera nix flake lock' locks it)\n", json_string_value(u));
	}
	flake_metadata_report_release(&rep);
	return CMD_OK;
}

/* The outputs tree O under the name NAME, indented by DEPTH: derivations with their name and description. */
static void print_outputs(const char *name, json_t *o, int depth)
{
	const char *type = json_string_value(json_object_get(o, "type")), *key;
	const char *desc = json_string_value(json_object_get(o, "description"));
	json_t *v;

	if (type) {
		printf("%*s%s: %s%s%s%s%s\n", 2 * depth, "", name, type,
		       json_string_value(json_object_get(o, "name")) ? " " : "",
		       json_string_value(json_object_get(o, "name")) ? json_string_value(json_object_get(o, "name")) : "",
		       desc ? " - " : "", desc ? desc : "");
		return;
	}
	printf("%*s%s\n", 2 * depth, "", name);
	if (depth >= SHOW_DEPTH_MAX)
		return;
	json_object_foreach(o, key, v)
		print_outputs(key, v, depth + 1);
}

/* The flake's Nix for a reading verb: the nix port only. */
static enum cmd_status reading(struct cli *cli, int argc, char **argv, const char **dir, struct flake_ctx *ctx)
{
	enum cmd_status st;

	if ((st = one_dir(cli, argc, argv, dir)) != CMD_OK)
		return st;
	return nix_flake_open(cli, ctx, false);
}

enum cmd_status nix_flake_show(struct cli *cli, int argc, char **argv)
{
	struct flake_show_report rep;
	struct flake_ctx ctx;
	const char *dir, *key;
	enum cmd_status st;
	json_t *v;

	if ((st = reading(cli, argc, argv, &dir, &ctx)) != CMD_OK)
		return st;
	if (flake_show(&ctx, dir, &rep) < 0) {
		st = nix_flake_fail(cli);
	} else {
		if (cli->json) {
			cli_print_json_text(flake_show_json(&rep));
		} else {
			printf("%s\n", rep.dir);
			json_object_foreach(rep.outputs, key, v)
				print_outputs(key, v, 1);
		}
		flake_show_report_release(&rep);
	}
	nix_flake_close(&ctx);
	return st;
}

enum cmd_status nix_flake_check(struct cli *cli, int argc, char **argv)
{
	struct flake_show_report rep;
	struct flake_ctx ctx;
	const char *dir;
	enum cmd_status st;

	if ((st = reading(cli, argc, argv, &dir, &ctx)) != CMD_OK)
		return st;
	if (flake_check(&ctx, dir, &rep) < 0) {
		st = nix_flake_fail(cli);
	} else {
		if (cli->json)
			cli_print_json_text(flake_check_json(&rep));
		else if (rep.ok)
			printf("flake %s passes its checks\n", rep.dir);
		else
			cli_fail(cli, CMD_ERROR, "%s", rep.error);
		st = rep.ok ? CMD_OK : CMD_ERROR;
		flake_show_report_release(&rep);
	}
	nix_flake_close(&ctx);
	return st;
}
