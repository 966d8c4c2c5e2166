/* chimera run: start a command in a tmux session on every target, optionally with a Nix closure or a nix-shell. */
#include "app/fleet/run.h"
#include "cli/cli.h"
#include "cli/fleet_opts.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

enum { RUN_OPT_REPLACE = 1200, RUN_OPT_NIX_SHELL };

static void print_text(const struct sessions_report *rep, const char *session)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct sessions_node *n = &rep->nodes[i];

		switch (n->outcome) {
		case SESSION_DONE: printf("%s: started session %s\n", n->name, session); break;
		case SESSION_REPLACED: printf("%s: replaced session %s\n", n->name, session); break;
		case SESSION_EXISTS: printf("%s: EXISTS: %s\n", n->name, n->fail.message); break;
		default: printf("%s: FAILED at %s: %s\n", n->name, n->fail.step ? n->fail.step : "?", n->fail.message); break;
		}
	}
	printf("%zu nodes: %zu ok, %zu failed in %.2fs (run %s)\n", rep->n, rep->ok, rep->failed, rep->ms / 1000.0,
	       rep->id);
}

static enum cmd_status open_status(struct cli *cli, int r)
{
	return r == ERR_INVALID ? cli_usage(cli, "%s", err_msg()) : cli_fail(cli, CMD_ERROR, "%s", err_msg());
}

/* What run's command line says. */
struct run_args {
	struct cli_fleet f;
	struct cli_source src;
	struct buf cmd;			/* the command: the words after '--', joined by spaces */
	const char *session;
	const char *nix_shell;		/* --nix-shell FILE, or NULL */
	bool replace;
	int given;			/* a configuration was given (-c, --flake, --expect) */
};

/* The command line into A (its f set up by the caller): CMD_OK or a usage error. */
static enum cmd_status parse_args(struct cli *cli, int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		FLEET_REACH_OPTIONS,
		LEASE_OPTIONS,
		{ "session", required_argument, NULL, 's' },
		{ "replace", no_argument, NULL, RUN_OPT_REPLACE },
		{ "nix-shell", required_argument, NULL, RUN_OPT_NIX_SHELL },
		SOURCE_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct cli_opts shared = { .fleet = &a->f, .source = &a->src };
	int c, i, r;

	while ((r = cli_opts_next(&shared, argc, argv, "+t:s:c:A:", opts, &c)) > 0) {
		if (c == 's')
			a->session = optarg;
		else if (c == RUN_OPT_REPLACE)
			a->replace = true;
		else if (c == RUN_OPT_NIX_SHELL)
			a->nix_shell = optarg;
		else
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
	}
	if (r < 0)
		return cli_usage(cli, "%s", err_msg());
	if (!a->session)
		return cli_usage(cli, "no session name: give -s SESSION");
	if (sessions_name_check(a->session) < 0)
		return cli_usage(cli, "%s", err_msg());
	if (optind >= argc)
		return cli_usage(cli, "no command given: put it after '--'");
	for (i = optind; i < argc; i++) {
		if ((i > optind && buf_addc(&a->cmd, ' ') < 0) || buf_adds(&a->cmd, argv[i]) < 0)
			return cli_usage(cli, "command too long");
	}
	if (a->cmd.len == 0)
		return cli_usage(cli, "empty command");
	if ((a->given = cli_source_check(&a->src)) < 0)
		return cli_usage(cli, "%s", err_msg());
	if (a->given && a->nix_shell)
		return cli_usage(cli, "--nix-shell FILE goes alone: not with -c, --flake or --expect");
	if (!a->f.spec && !a->f.file)
		a->f.spec = "local";	/* no targets: the controller itself */
	return CMD_OK;
}

/*
 * --nix-shell FILE: opened for the sessions to read (REQ's nix_fd, closed by the caller),
 * with the controller's NIX_CONFIG in *NIX_ENV (malloc'd) through ENV.
 */
static enum cmd_status open_nix_shell(struct cli *cli, const char *nix_shell, struct run_request *req,
				      char **nix_env, const char **env)
{
	struct stat st_nix;

	if ((req->sessions.nix_fd = open(nix_shell, O_RDONLY | O_CLOEXEC)) < 0)
		return cli_fail(cli, CMD_ERROR, "cannot read --nix-shell file '%s': %s", nix_shell, strerror(errno));
	if (fstat(req->sessions.nix_fd, &st_nix) < 0 || !S_ISREG(st_nix.st_mode))
		return cli_fail(cli, CMD_ERROR, "cannot read --nix-shell file '%s': not a regular file", nix_shell);
	req->sessions.nix_len = (uint64_t)st_nix.st_size;
	/* The nodes get the controller's Nix settings (a lab without a cache needs them). */
	if (getenv("NIX_CONFIG")) {
		if (asprintf(nix_env, "NIX_CONFIG=%s", getenv("NIX_CONFIG")) < 0) {
			*nix_env = NULL;
			return cli_fail(cli, CMD_ERROR, "out of memory");
		}
		env[0] = *nix_env;
		req->sessions.spec.env = env;
	}
	return CMD_OK;
}

/* The fleet, and with a configuration given, Nix and the configuration built (into PATH, spooled in TMP). */
static enum cmd_status open_world(struct cli *cli, struct run_args *a, struct deploy_ctx *dctx,
				  struct run_request *req, char *path, char *tmp)
{
	enum cmd_status st;
	int r;

	if (!a->given) {
		if ((r = cli_fleet_open(cli, &a->f)) < 0)
			return open_status(cli, r);
		dctx->fleet = a->f.w.fleet;
		return CMD_OK;
	}
	if ((st = cli_deploy_open(cli, &a->f, dctx, tmp)) != CMD_OK)
		return st;
	if (cli_source_path(cli, &a->src, path) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (!cli->quiet && !cli->json && isatty(2))
		fprintf(stderr, "built %s\n", path);
	req->path = path;
	req->tmp_dir = tmp;
	return CMD_OK;
}

static enum cmd_status cmd_run_exec(struct cli *cli, int argc, char **argv)
{
	struct run_args a = { .cmd = BUF_INIT(256 * 1024) };
	struct deploy_ctx dctx = { 0 };
	struct run_request req = { .sessions = { .op = SESSION_OP_START, .nix_fd = -1 } };
	struct run_report rep = { 0 };
	char path[STOREPATH_MAX] = "", tmp[PATH_MAX];
	char *nix_env = NULL;
	const char *env[2] = { NULL, NULL };
	enum cmd_status st;

	cli_fleet_init(&a.f);
	if ((st = parse_args(cli, argc, argv, &a)) != CMD_OK)
		goto out;
	if (a.nix_shell && (st = open_nix_shell(cli, a.nix_shell, &req, &nix_env, env)) != CMD_OK)
		goto out;
	if ((st = open_world(cli, &a, &dctx, &req, path, tmp)) != CMD_OK)
		goto out;
	req.sessions.spec.name = a.session;
	req.sessions.spec.command = a.cmd.data;
	req.sessions.spec.replace = a.replace;
	if (run_session(&dctx, &a.f.targets, &req, &rep) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		cli_print_json_text(run_report_json(&rep, a.session, a.cmd.data, path[0] ? path : NULL, a.nix_shell));
	else
		print_text(&rep.sessions, a.session);
	if (rep.sessions.ledger_err) {
		st = cli_fail(cli, CMD_ERROR, "the ledger did not take every event: %s", rep.sessions.ledger_msg);
		goto out;
	}
	st = cli_fleet_status(rep.sessions.ok, rep.sessions.n);
out:
	if (dctx.nix)
		dctx.nix->ops->close(dctx.nix);
	if (req.sessions.nix_fd >= 0)
		close(req.sessions.nix_fd);
	run_report_release(&rep);
	cli_fleet_close(&a.f);
	free(nix_env);
	buf_release(&a.cmd);
	return st;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.summary = "run a command in a tmux session on every target, detached",
	.usage = "chimera run [-t TARGETS] -s SESSION [--replace]\n"
		 "                   [-c FILE.nix [-A ATTR] | --flake REF#ATTR | --expect PATH | --nix-shell FILE.nix]\n"
		 "                   -- COMMAND [ARG...]",
	.help = "Starts COMMAND with /bin/sh -c inside a detached tmux session SESSION on the\n"
		"socket 'chimera' of each target's user (tmux -L chimera), on every target in\n"
		"parallel, and returns: the session keeps running after the SSH connection\n"
		"closes. Without -t it runs on this machine. The words after '--' are joined\n"
		"with spaces. A session of that name already there is an error for that node,\n"
		"and is left alone, unless --replace (then it is killed and started again).\n"
		"\n"
		"With -c, --flake or --expect, the configuration is built once here, its closure\n"
		"copied to every node that lacks parts of it (kept from garbage collection by\n"
		"the profile " RUN_PROFILE_DIR "/run-SESSION), and COMMAND runs with\n"
		"the closure's bin/ first on PATH. With --nix-shell FILE.nix, the file is copied\n"
		"to each node (${XDG_STATE_HOME:-~/.local/state}/chimera/run/SESSION.nix of the\n"
		"node's user) and the session runs\n"
		"`nix-shell FILE --run COMMAND`, with this machine's NIX_CONFIG when it is set.\n"
		"\n"
		"Each node's outcome is recorded as a session.start event. See\n"
		"'chimera sessions' to list and kill sessions and 'chimera attach' to join one.\n"
		"\n"
		"options:\n"
		"  -s, --session NAME       the session: 1 to 64 of A-Z a-z 0-9 _ -\n"
		"  --replace                kill a session of that name first\n"
		"  --nix-shell FILE.nix     run COMMAND in nix-shell FILE.nix on each node\n"
		SOURCE_OPTIONS_HELP
		LOCAL_REACH_OPTIONS_HELP
		"  --timeout S              give up on one step after S seconds (default 600)\n"
		"  --accept-new-host-keys   add unknown host keys to known_hosts\n"
		LEASE_OPTIONS_HELP
		"  --json                   one JSON document with every node's outcome\n"
		"\n"
		"exit status: 0 when started everywhere, 3 when some nodes failed or had the\n"
		"session already, 1 when all did, 2 for bad usage.\n",
	.exec = cmd_run_exec,
};
