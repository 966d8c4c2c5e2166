/* chimera tokens: the API tokens `chimera serve` takes (create, list, revoke); only their hashes are kept. */
#include "app/auth/tokens.h"
#include "cli/cli.h"
#include "util/clock.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define SUBCOMMANDS "expected create, list or revoke"

enum { OPT_ROLE = 2000, OPT_EXPIRES };

/* A failure of the tokens file or the ledger: exit 1 (the message names the token or file). */
static enum cmd_status fail(struct cli *cli)
{
	return cli_fail(cli, CMD_ERROR, "%s", err_msg());
}

/* The state dir and, when L is not NULL, the ledger: 0, or the status to exit with, printed. */
static int open_state(struct cli *cli, struct ledger **l)
{
	if (cli_state_dir(cli) < 0 || (l && cli_open_ledger(cli, l) < 0))
		return fail(cli);
	return 0;
}

/* What `tokens create` was given. */
struct create_args {
	const char *name;
	enum token_role role;
	int64_t expires_ms;
};

static int parse_create(struct cli *cli, int argc, char **argv, struct create_args *a)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "expires", required_argument, NULL, OPT_EXPIRES },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROLE:
			role = optarg;
			break;
		case OPT_EXPIRES:
			if (token_duration_parse("bad --expires", optarg, &a->expires_ms) < 0)
				return cli_usage(cli, "%s", err_msg());
			break;
		default:
			return cli_usage(cli, "%s for 'tokens create'", cli_bad_option(argv, opts));
		}
	}
	if (argc - optind != 1)
		return cli_usage(cli, "'tokens create' takes one token NAME");
	a->name = argv[optind];
	if (token_name_check(a->name) < 0)
		return cli_usage(cli, "%s", err_msg());
	if (!role)
		return cli_usage(cli, "'tokens create' needs --role viewer, operator or admin");
	if (token_role_parse(role, &a->role) < 0)
		return cli_usage(cli, "%s", err_msg());
	return 0;
}

static enum cmd_status do_create(struct cli *cli, int argc, char **argv)
{
	struct create_args a = { 0 };
	struct token_info info;
	struct ledger *l = NULL;
	char token[TOKEN_TEXT_MAX], when[CLOCK_UTC_LEN] = "never";
	enum cmd_status st = CMD_OK;
	int r;

	if ((r = parse_create(cli, argc, argv, &a)) != 0 || (r = open_state(cli, &l)) != 0) {
		ledger_close(l);
		return (enum cmd_status)r;
	}
	if ((r = tokens_create(cli->state_dir, l, a.name, a.role, a.expires_ms, token, &info)) < 0) {
		st = cli_fail_err(cli, r);
	} else if (cli->json) {
		cli_print_json_text(tokens_created_json(&info, token));
	} else {
		/* The token alone on stdout, so that T=$(chimera tokens create ...) holds it. */
		printf("%s\n", token);
		if (info.expires_ms)
			clock_format_utc(info.expires_ms, when);
		if (!cli->quiet)
			fprintf(stderr, "created token '%s' (role %s, expires %s); it is shown only once: keep it now, "
				"only its hash is stored\n", info.name, token_role_name(info.role), when);
	}
	explicit_bzero(token, sizeof(token));
	ledger_close(l);
	return st;
}

/* MS as UTC to the second, or WHAT_IF_NONE for 0. */
static const char *when(int64_t ms, const char *none, char *out, size_t len)
{
	if (ms <= 0)
		return none;
	clock_format_utc_s(ms / 1000, out, len);
	return out;
}

static void print_list(const struct token_info *t, size_t n)
{
	int64_t now = clock_wall_ms();
	char c[32], e[32], u[32];
	size_t i;

	if (n == 0) {
		printf("no tokens: 'chimera tokens create NAME --role ROLE' makes one\n");
		return;
	}
	printf("%-24s  %-8s  %-7s  %-20s  %-20s  %s\n", "NAME", "ROLE", "STATE", "CREATED", "EXPIRES", "LAST USED");
	for (i = 0; i < n; i++) {
		const char *state = t[i].revoked ? "revoked"
				    : t[i].expires_ms && t[i].expires_ms <= now ? "expired" : "active";

		printf("%-24s  %-8s  %-7s  %-20s  %-20s  %s\n", t[i].name, token_role_name(t[i].role), state,
		       when(t[i].created_ms, "-", c, sizeof(c)), when(t[i].expires_ms, "never", e, sizeof(e)),
		       when(t[i].last_used_ms, "never", u, sizeof(u)));
	}
}

static enum cmd_status do_list(struct cli *cli, int argc, char **argv)
{
	struct token_info *t = NULL;
	size_t n = 0;
	int r;

	(void)argv;
	if (argc != 1)
		return cli_usage(cli, "'tokens list' takes no operands");
	if ((r = open_state(cli, NULL)) != 0)
		return (enum cmd_status)r;
	if (tokens_list(cli->state_dir, &t, &n) < 0)
		return fail(cli);
	if (cli->json)
		cli_print_json_text(tokens_list_json(t, n));
	else
		print_list(t, n);
	free(t);
	return CMD_OK;
}

static enum cmd_status do_revoke(struct cli *cli, int argc, char **argv)
{
	struct ledger *l = NULL;
	enum cmd_status st = CMD_OK;
	int r;

	if (argc != 2)
		return cli_usage(cli, "'tokens revoke' takes one token NAME");
	if (token_name_check(argv[1]) < 0)
		return cli_usage(cli, "%s", err_msg());
	if ((r = open_state(cli, &l)) != 0) {
		ledger_close(l);
		return (enum cmd_status)r;
	}
	if (tokens_revoke(cli->state_dir, l, argv[1]) < 0)
		st = fail(cli);
	else if (cli->json)
		cli_print_json_text(tokens_revoked_json(argv[1]));
	else if (!cli->quiet)
		printf("revoked token '%s'\n", argv[1]);
	ledger_close(l);
	return st;
}

static enum cmd_status cmd_tokens_exec(struct cli *cli, int argc, char **argv)
{
	const char *sub;

	if (argc < 2)
		return cli_usage(cli, "no subcommand: " SUBCOMMANDS);
	sub = argv[1];
	argc--;
	argv++;
	if (strcmp(sub, "create") == 0)
		return do_create(cli, argc, argv);
	if (strcmp(sub, "list") == 0)
		return do_list(cli, argc, argv);
	if (strcmp(sub, "revoke") == 0)
		return do_revoke(cli, argc, argv);
	return cli_usage(cli, "unknown subcommand '%s': " SUBCOMMANDS, sub);
}

const struct cmd_entry cmd_tokens_entry = {
	.name = "tokens",
	.summary = "API tokens for chimera serve: create, list, revoke",
	.usage = "chimera tokens create NAME --role viewer|operator|admin [--expires DURATION]\n"
		 "       chimera tokens list\n"
		 "       chimera tokens revoke NAME",
	.help = "Makes and revokes the bearer tokens the HTTP API of `chimera serve` takes\n"
		"(Authorization: Bearer TOKEN). A token is \"chm_\" and 43 random base64url\n"
		"characters; it is printed once, at creation, and only its SHA3-256 is kept, in\n"
		"STATE/tokens.json (mode 0600) with its name, role, creation, expiry and last use.\n"
		"A running server sees a create or a revoke at its next request. The ledger records\n"
		"token.created (name, role, expiry) and token.revoked (name), never the token.\n"
		"\n"
		"roles (each has the rights of the ones before it):\n"
		"  viewer      reads: machines, status, deployments, events, metrics\n"
		"  operator    also deploys, rolls back, execs, releases quarantined nodes and\n"
		"              runs pipelines\n"
		"  admin       also handles secrets and tokens\n"
		"\n"
		"subcommands:\n"
		"  create NAME --role ROLE [--expires DURATION]\n"
		"              make a token. NAME: 1 to 63 of A-Z a-z 0-9 . _ -, not the name of\n"
		"              a live token (a revoked or expired token's name may be used again).\n"
		"              DURATION: a whole number with s, m, h, d or w (30d, 12h), at most\n"
		"              100 years, or never (the default). Prints the token alone on\n"
		"              stdout (a note that it is shown only once goes to stderr); with\n"
		"              --json {\"name\", \"role\", \"created\", \"expires\", \"token\"}\n"
		"  list        every token, revoked and expired ones too: name, role, state\n"
		"              (active, expired, revoked), created, expires, last used; with\n"
		"              --json an array of {\"name\", \"role\", \"state\", \"created\",\n"
		"              \"expires\", \"last_used\", \"revoked\"} (times UTC or null). Never\n"
		"              the token or its hash\n"
		"  revoke NAME the server refuses the token from its next request; the row stays,\n"
		"              revoked. With --json {\"name\", \"revoked\": true}\n"
		"\n"
		"exit status: 0 ok; 1 an error (a live token has NAME, no token to revoke, the\n"
		"tokens file or the ledger failed: the message names it); 2 bad usage or input\n"
		"(a bad NAME, ROLE or DURATION, named in the message).\n",
	.exec = cmd_tokens_exec,
};
