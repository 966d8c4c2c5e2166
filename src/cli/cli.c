/* What every command shares: state dir, ledger, targets, errors and usage output. */
#include "cli/cli.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"

#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

int cmd_exit_code(enum cmd_status s)
{
	switch (s) {
	case CMD_OK: return 0;
	case CMD_ERROR: return 1;
	case CMD_USAGE: return 2;
	case CMD_PARTIAL: return 3;
	}
	return 1;
}

int cli_state_dir(struct cli *cli)
{
	const char *dir;
	int r;

	if ((r = world_state_dir(&cli->world, &dir)) < 0)
		return r;
	snprintf(cli->state_dir, sizeof(cli->state_dir), "%s", dir);
	return 0;
}

int cli_open_ledger(struct cli *cli, struct ledger **out)
{
	return world_open_ledger(&cli->world, out);
}

const char *cli_inventory_source(const struct cli *cli)
{
	return world_inventory_source(&cli->world);
}

int cli_inventory(struct cli *cli, const struct inventory **out)
{
	return world_inventory(&cli->world, out);
}

void cli_release(struct cli *cli)
{
	world_close(&cli->world);
}

int cli_targets(struct cli *cli, const char *spec, const char *exclude, const char *file, struct target_list *l)
{
	return world_targets(&cli->world, spec, exclude, file, l);
}

/* This thread's last error message (cli_last_error). */
static _Thread_local char last_error[1024];

const char *cli_last_error(void)
{
	return last_error;
}

void cli_clear_error(void)
{
	last_error[0] = '\0';
}

/* Format the message (as JSON on stdout with --json) and print it as the command's error. */
static void print_error(struct cli *cli, const char *fmt, va_list ap)
{
	const char *name = cli->cmd ? cli->cmd->name : NULL;
	char msg[8192];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(last_error, sizeof(last_error), "%s", msg);
	if (cli->json) {
		json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", msg);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(o);
	}
	fprintf(stderr, "chimera%s%s: error: %s\n", name ? " " : "", name ? name : "", msg);
}

enum cmd_status cli_fail(struct cli *cli, enum cmd_status st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_error(cli, fmt, ap);
	va_end(ap);
	return st;
}

enum cmd_status cli_usage(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	print_error(cli, fmt, ap);
	va_end(ap);
	if (cli->cmd)
		fprintf(stderr, "usage: %s\nsee 'chimera %s --help'\n", cli->cmd->usage, cli->cmd->name);
	return CMD_USAGE;
}

const char *cli_bad_option(char **argv, const struct option *longopts)
{
	static char msg[256];
	const char *w = argv[optind - 1];
	const struct option *o = NULL;
	int n = (int)strcspn(w, "=");

	/* getopt_long leaves optopt 0 for a long option it does not know, else the option's value. */
	if (optopt && longopts && w[0] == '-' && (w[1] == '-' || (w[1] == optopt && !w[2])))
		for (o = longopts; o->name && o->val != optopt; o++)
			;
	if (!o || !o->name)
		snprintf(msg, sizeof(msg), "unknown option '%s'", w);
	else if (o->has_arg == no_argument)
		snprintf(msg, sizeof(msg), "option '%.*s' takes no value", n, w);
	else
		snprintf(msg, sizeof(msg), "option '%s' needs a value", w);
	return msg;
}

enum cmd_status cli_fail_err(struct cli *cli, int r)
{
	return r == ERR_INVALID ? cli_usage(cli, "%s", err_msg()) : cli_fail(cli, CMD_ERROR, "%s", err_msg());
}

enum cmd_status cli_ledger_status(struct cli *cli, int ledger_err, const char *ledger_msg, enum cmd_status st)
{
	if (ledger_err)
		return cli_fail(cli, CMD_ERROR, "the ledger did not take every event: %s", ledger_msg);
	return st;
}

enum cmd_status cli_help(struct cli *cli)
{
	const struct cmd_entry *c = cli->cmd, *const *sub;

	printf("usage: %s\n\n%s\n\n%s", c->usage, c->summary, c->help);
	if (c->subs) {
		printf("\nsubcommands:\n");
		for (sub = c->subs; *sub; sub++)
			printf("  %-22s %s\n", (*sub)->name, (*sub)->summary);
		printf("\nrun 'chimera %s SUBCOMMAND --help' for a subcommand's options\n", c->name);
	}
	return CMD_OK;
}

const struct cmd_entry *cmd_sub_find(const struct cmd_entry *cmd, const char *word)
{
	const struct cmd_entry *const *sub;
	size_t n = strlen(cmd->name);

	for (sub = cmd->subs; sub && *sub; sub++)
		if (strncmp((*sub)->name, cmd->name, n) == 0 && (*sub)->name[n] == ' ' && strcmp((*sub)->name + n + 1, word) == 0)
			return *sub;
	return NULL;
}

enum cmd_status cmd_subs_unknown(struct cli *cli, int argc, char **argv)
{
	const struct cmd_entry *c = cli->cmd, *const *sub;
	size_t n = strlen(c->name);
	char names[512];
	int len = 0;

	names[0] = '\0';
	for (sub = c->subs; sub && *sub && len < (int)sizeof(names); sub++)
		len += snprintf(names + len, sizeof(names) - (size_t)len, "%s%s", sub == c->subs ? "" : ", ", (*sub)->name + n + 1);
	if (argc < 2)
		return cli_usage(cli, "no subcommand: expected one of %s", names);
	return cli_usage(cli, "unknown subcommand '%s': expected one of %s", argv[1], names);
}

int cli_int(const char *name, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return err_set(ERR_INVALID, "bad %s '%s': expected a whole number from %ld to %ld", name, s, min, max);
	*out = v;
	return 0;
}

void cli_print_json(json_t *doc)
{
	cli_print_json_text(json_render(doc));
}

void cli_print_json_text(char *text)
{
	if (text)
		printf("%s\n", text);
	free(text);
}

void cli_bytes(uint64_t b, char *out, size_t len)
{
	if (b >= 1024 * 1024)
		snprintf(out, len, "%.1f MiB", b / 1048576.0);
	else if (b >= 1024)
		snprintf(out, len, "%.1f KiB", b / 1024.0);
	else
		snprintf(out, len, "%llu B", (unsigned long long)b);
}
