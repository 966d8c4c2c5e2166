/* chimera exec: run a command on every target in parallel. */
#include "app/fleet/exec.h"
#include "cli/cli.h"
#include "cli/fleet_opts.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

enum { OPT_RECORD_OUTPUT = 2100 };

struct exec_view {
	bool tty;
};

static void show_progress(const struct exec_node *n, size_t done, size_t total, void *arg)
{
	struct exec_view *v = arg;

	if (v->tty)
		fprintf(stderr, "\r%zu/%zu nodes done", done, total);
	if (done == total && v->tty)
		fprintf(stderr, "\n");
}


static void print_block(const struct buf *b, const char *mark)
{
	const char *p = b->data, *nl;

	while (p < b->data + b->len) {
		nl = memchr(p, '\n', (size_t)(b->data + b->len - p));
		printf("  %s%.*s\n", mark, (int)(nl ? nl - p : b->data + b->len - p), p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

static void print_text(const struct exec_report *rep, bool quiet)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct exec_node *n = &rep->nodes[i];

		if (n->err)
			printf("%s: FAILED at %s: %s\n", n->name, n->step, n->message);
		else if (n->res.signal[0])
			printf("%s: killed by SIG%s after %.2fs\n", n->name, n->res.signal, n->res.ms / 1000.0);
		else
			printf("%s: exit %d in %.2fs\n", n->name, n->res.status, n->res.ms / 1000.0);
		if (!quiet) {
			print_block(&n->res.out, "");
			print_block(&n->res.err, "! ");
			if (n->res.truncated)
				printf("  (output cut at %d bytes)\n", EXEC_OUTPUT_MAX);
		}
	}
	printf("%zu nodes: %zu ok, %zu failed in %.2fs (run %s)\n", rep->n, rep->ok, rep->failed,
	       rep->ms / 1000.0, rep->run_id);
}

static enum cmd_status cmd_exec_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "targets", required_argument, NULL, 't' },
		{ "targets-file", required_argument, NULL, 'f' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "connect-timeout", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "accept-new-host-keys", no_argument, NULL, FLEET_OPT_ACCEPT_NEW },
		{ "sudo", no_argument, NULL, FLEET_OPT_SUDO },
		{ "stall-timeout", required_argument, NULL, FLEET_OPT_STALL_TIMEOUT },
		{ "record-output", no_argument, NULL, OPT_RECORD_OUTPUT },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_fleet f;
	struct buf cmd = BUF_INIT(256 * 1024);
	struct exec_report rep = { 0 };
	struct exec_view view = { 0 };
	struct exec_ctx ctx = { 0 };
	enum cmd_status st = CMD_ERROR;
	int c, i, r;

	cli_fleet_init(&f);
	f.reach.timeout = 0;	/* exec: no command timeout unless asked */
	while ((c = getopt_long(argc, argv, "+t:f:p:", opts, NULL)) != -1) {
		switch (c) {
		case 't': f.spec = optarg; break;
		case 'f': f.file = optarg; break;
		case 'x': f.exclude = optarg; break;
		case FLEET_OPT_ACCEPT_NEW: f.reach.accept_new = 1; break;
		case FLEET_OPT_SUDO: f.reach.sudo = 1; break;
		case FLEET_OPT_STALL_TIMEOUT:
			if (cli_int("--stall-timeout", optarg, 0, 86400, &f.reach.stall_timeout) < 0)
				return cli_usage(cli, "%s", err_msg());
			break;
		case OPT_RECORD_OUTPUT: ctx.record_output = true; break;
		case 'p':
			if (cli_int("--parallel", optarg, 1, 4096, &f.reach.parallel) < 0)
				return cli_usage(cli, "%s", err_msg());
			f.reach.set_parallel = true;
			break;
		case 'c':
			if (cli_int("--connect-timeout", optarg, 1, 3600, &f.reach.connect_timeout) < 0)
				return cli_usage(cli, "%s", err_msg());
			f.reach.set_connect_timeout = true;
			break;
		case 'T':
			if (cli_int("--timeout", optarg, 0, 86400 * 7, &f.reach.timeout) < 0)
				return cli_usage(cli, "%s", err_msg());
			break;
		default:
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (optind >= argc)
		return cli_usage(cli, "no command given: put it after '--'");
	for (i = optind; i < argc; i++) {
		if (i > optind)
			buf_addc(&cmd, ' ');
		if (buf_adds(&cmd, argv[i]) < 0)
			return cli_usage(cli, "command too long");
	}
	if ((r = cli_fleet_open(cli, &f)) < 0) {
		st = cli_fail_err(cli, r);
		goto out;
	}
	view.tty = !cli->quiet && !cli->json && isatty(2);
	ctx.executors = &f.w.fleet.executors;
	ctx.ledger = f.w.fleet.ledger;
	ctx.parallel = f.w.fleet.parallel;
	ctx.cipher = world_cipher(&cli->world);
	ctx.progress.node_done = show_progress;
	ctx.progress.arg = &view;
	if (exec_run(&ctx, &f.targets, cmd.data, &rep) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		cli_print_json_text(exec_report_json(&rep, cmd.data));
	else
		print_text(&rep, cli->quiet);
	st = cli_ledger_status(cli, rep.ledger_err, rep.ledger_msg,
			       rep.failed == 0 ? CMD_OK : rep.ok == 0 ? CMD_ERROR : CMD_PARTIAL);
out:
	exec_report_release(&rep);
	cli_fleet_close(&f);
	buf_release(&cmd);
	return st;
}

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.summary = "run a command on every target in parallel",
	.usage = "chimera exec (-t TARGETS | --targets-file FILE) [--exclude LIST] [--parallel N]\n"
		 "                    [--connect-timeout S] [--timeout S] [--accept-new-host-keys]\n"
		 "                    [--sudo] [--stall-timeout S] [--record-output] -- COMMAND [ARG...]",
	.help = "Runs COMMAND with the target user's shell over one SSH session per node,\n"
		"at most --parallel nodes at once, and prints every node's output and exit\n"
		"status. The words after '--' are joined with spaces, as ssh does. Each node's\n"
		"outcome is recorded as a node.exec event, between exec.start and exec.complete:\n"
		"the command, exit status, the output's sizes and SHA-256 digests, and not the\n"
		"output itself (the ledger keeps every event for good, and a command may print a\n"
		"secret) unless --record-output.\n"
		"\n"
		"options:\n"
		"  -t, --targets LIST       comma-separated: machines of chimera.toml (NAME, @TAG,\n"
		"                           a glob like web-*, all), [user@]host[:port], '@lab'\n"
		"                           (every lab node)\n"
		"  --exclude LIST           leave these out (same forms)\n"
		"  -f, --targets-file FILE  one element a line; '#' starts a comment\n"
		"  -p, --parallel N         nodes in flight at once (default 64)\n"
		"  --connect-timeout S      give up connecting after S seconds (default 10)\n"
		"  --timeout S              give up on the command after S seconds (default: none)\n"
		"  --accept-new-host-keys   add unknown host keys to known_hosts (a changed key is\n"
		"                           always refused)\n"
		FLEET_SUDO_HELP
		"  --stall-timeout S        fail a node that sends nothing for S seconds, not even an\n"
		"                           answer to a keepalive (default 60; 0: never)\n"
		"  --record-output          keep the last 2048 bytes of each node's stdout and\n"
		"                           stderr in its node.exec event too\n"
		"  --json                   one JSON document with every node's result\n"
		"\n"
		"exit status: 0 when it exited 0 everywhere, 3 when some nodes failed,\n"
		"1 when all failed, 2 for bad usage.\n",
	.exec = cmd_exec_exec,
};
