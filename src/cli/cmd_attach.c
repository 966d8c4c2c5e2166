/* chimera attach: hand the terminal to a tmux session of 'chimera run', over ssh or here. */
#include "app/fleet/sessions.h"
#include "cli/cli.h"
#include "cli/fleet_opts.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/shell.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

enum { ATTACH_OPT_PRINT = 1300 };

#define ATTACH_ARGV_MAX 16

struct attach_argv {
	char *v[ATTACH_ARGV_MAX + 1];
	int n;
	char port[8];
	char remote[128];
	char config[PATH_MAX];
	char user[TARGET_USER_MAX + 1];
	char host[TARGET_HOST_MAX + 1];
};

static void add(struct attach_argv *a, char *s)
{
	if (a->n < ATTACH_ARGV_MAX)
		a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

/*
 * The argv that attaches to SESSION on T: ssh with the fleet's settings (the lab's client
 * config when there is a lab, T's user and port, a terminal), or tmux itself for "local".
 */
static void attach_argv(struct attach_argv *a, const struct target *t, const char *session, const char *lab_config,
			int accept_new)
{
	static char tmux[] = "tmux", sock_opt[] = "-L", sock[] = SESSION_SOCKET, verb[] = "attach-session",
		    topt[] = "-t";
	static char ssh[] = "ssh", F[] = "-F", tt[] = "-t", p[] = "-p", l[] = "-l", o[] = "-o",
		    accept[] = "StrictHostKeyChecking=accept-new", dd[] = "--";

	a->n = 0;
	snprintf(a->remote, sizeof(a->remote), "=%s", session);
	if (fleet_is_local(t)) {
		add(a, tmux), add(a, sock_opt), add(a, sock), add(a, verb), add(a, topt), add(a, a->remote);
		return;
	}
	snprintf(a->remote, sizeof(a->remote), "tmux -L " SESSION_SOCKET " attach-session -t =%s", session);
	snprintf(a->port, sizeof(a->port), "%u", (unsigned)t->port);
	add(a, ssh);
	if (lab_config && lab_config[0]) {
		snprintf(a->config, sizeof(a->config), "%s", lab_config);
		add(a, F), add(a, a->config);
	}
	snprintf(a->user, sizeof(a->user), "%s", t->user);
	snprintf(a->host, sizeof(a->host), "%s", t->host);
	add(a, tt), add(a, p), add(a, a->port), add(a, l), add(a, a->user);
	if (accept_new)
		add(a, o), add(a, accept);
	add(a, dd), add(a, a->host), add(a, a->remote);
}

/* The command line: F's options, *SESSION the session named, *PRINT for --print; CMD_OK or a usage error. */
static enum cmd_status parse_args(struct cli *cli, int argc, char **argv, struct cli_fleet *f, const char **session,
				  bool *print)
{
	static const struct option opts[] = {
		{ "targets", required_argument, NULL, FLEET_OPT_TARGETS },
		{ "connect-timeout", required_argument, NULL, FLEET_OPT_CONNECT_TIMEOUT },
		{ "accept-new-host-keys", no_argument, NULL, FLEET_OPT_ACCEPT_NEW },
		{ "print", no_argument, NULL, ATTACH_OPT_PRINT },
		{ "dry-run", no_argument, NULL, ATTACH_OPT_PRINT },
		{ NULL, 0, NULL, 0 },
	};
	int c, r;

	while ((r = cli_opts_next(&(const struct cli_opts){ .fleet = f }, argc, argv, "t:", opts, &c)) > 0) {
		if (c != ATTACH_OPT_PRINT)
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		*print = true;
	}
	if (r < 0)
		return cli_usage(cli, "%s", err_msg());
	if (optind >= argc)
		return cli_usage(cli, "no session named: chimera attach [-t NODE] SESSION");
	if (optind + 1 < argc)
		return cli_usage(cli, "one session at a time: unexpected '%s'", argv[optind + 1]);
	*session = argv[optind];
	if (sessions_name_check(*session) < 0)
		return cli_usage(cli, "%s", err_msg());
	return CMD_OK;
}

/*
 * Say so plainly when there is nothing to attach to, instead of handing over to a failing
 * ssh: CMD_OK when SESSION runs on the one node of F (named NODE).
 */
static enum cmd_status check_session(struct cli *cli, struct cli_fleet *f, const char *node, const char *session)
{
	struct fleet_failure fail = { 0 };
	struct executor *ex = NULL;
	struct exec_session *s = NULL;
	int r;

	if (fleet_connect(&f->w.fleet, &f->targets.items[0], &ex, &s, &fail) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", fail.message);
	r = sessions_has(ex, s, node, session, &fail);
	ex->ops->disconnect(s);
	if (r < 0)
		return cli_fail(cli, CMD_ERROR, "%s", fail.message);
	if (r == 0)
		return cli_fail(cli, CMD_ERROR, "no session '%s' on %s", session, node);
	return CMD_OK;
}

/* --print: the argv that would attach, as --json's document or as one shell-quoted line. */
static enum cmd_status print_argv(struct cli *cli, const struct attach_argv *a, const char *node, const char *session)
{
	struct buf line = BUF_INIT(0);
	int i;

	if (cli->json) {
		cli_print_json_text(sessions_attach_json(node, session, a->v, (size_t)a->n));
		return CMD_OK;
	}
	for (i = 0; i < a->n; i++) {
		if ((i && buf_addc(&line, ' ') < 0) || shell_quote(&line, a->v[i]) < 0) {
			buf_release(&line);
			return cli_fail(cli, CMD_ERROR, "out of memory");
		}
	}
	printf("%s\n", line.data);
	buf_release(&line);
	return CMD_OK;
}

static enum cmd_status cmd_attach_exec(struct cli *cli, int argc, char **argv)
{
	struct cli_fleet f;
	struct attach_argv a = { 0 };
	char node[TARGET_FORMAT_MAX], labcfg[PATH_MAX] = "";
	const char *session = NULL, *sel;
	bool print = false;
	enum cmd_status st;
	int r;

	cli_fleet_init(&f);
	if ((st = parse_args(cli, argc, argv, &f, &session, &print)) != CMD_OK)
		return st;
	sel = f.spec ? f.spec : "local";
	f.spec = sel;
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		st = r == ERR_INVALID ? cli_usage(cli, "%s", err_msg()) : cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (f.targets.n != 1) {
		st = cli_usage(cli, "-t '%s' matches %zu nodes: attach needs exactly one", sel, f.targets.n);
		goto out;
	}
	fleet_node_name(&f.targets.items[0], node, sizeof(node));
	if ((st = check_session(cli, &f, node, session)) != CMD_OK)
		goto out;
	if (world_lab_ssh_config(&cli->world, labcfg, sizeof(labcfg)) < 0)
		labcfg[0] = '\0';
	attach_argv(&a, &f.targets.items[0], session, labcfg, f.reach.accept_new);
	if (print) {
		st = print_argv(cli, &a, node, session);
		goto out;
	}
	cli_fleet_close(&f);
	fflush(stdout);
	fflush(stderr);
	execvp(a.v[0], a.v);
	return cli_fail(cli, CMD_ERROR, "cannot run %s: %s", a.v[0], strerror(errno));
out:
	cli_fleet_close(&f);
	return st;
}

const struct cmd_entry cmd_attach_entry = {
	.name = "attach",
	.summary = "attach the terminal to a tmux session of 'chimera run'",
	.usage = "chimera attach [-t NODE] [--print] SESSION",
	.help = "Checks that SESSION exists on NODE, then replaces chimera with\n"
		"  ssh [-F LAB_SSH_CONFIG] -t -p PORT -l USER -- HOST tmux -L chimera attach-session -t =SESSION\n"
		"(the lab's ssh client config when there is a lab; NODE's user and port), or,\n"
		"without -t, with `tmux -L chimera attach-session -t =SESSION` here. Detach with\n"
		"tmux's prefix and d (C-b d): the session keeps running.\n"
		"\n"
		"options:\n"
		"  -t, --targets NODE       one node: a machine of chimera.toml, [user@]host[:port],\n"
		"                           or 'local' (the default); a selector matching more than\n"
		"                           one node is an error\n"
		"  --print, --dry-run       print the command instead of running it (shell-quoted;\n"
		"                           with --json: {node, session, argv})\n"
		"  --connect-timeout S      give up connecting after S seconds (default 10)\n"
		"  --accept-new-host-keys   add unknown host keys to known_hosts\n"
		"\n"
		"exit status: the session's client's once attached; 1 when there is no such\n"
		"session or the node cannot be reached, 2 for bad usage.\n",
	.exec = cmd_attach_exec,
};
