/* chimera lab: real SSH nodes on this machine, for tests, benchmarks and the demo. */
#include "adapters/lab/lab.h"
#include "app/lab/lab_report.h"
#include "cli/cli.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static enum cmd_status lab_show_status(struct cli *cli, const struct lab *lab)
{
	struct lab_node *nodes = NULL;
	struct lab_report_node *view;
	char (*dirs)[PATH_MAX];
	size_t n = 0, i, alive = 0;

	if (lab_status(lab, &nodes, &n) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	for (i = 0; i < n; i++)
		alive += nodes[i].alive;
	if (cli->json) {
		view = calloc(n ? n : 1, sizeof(*view));
		dirs = calloc(n ? n : 1, sizeof(*dirs));
		if (!view || !dirs) {
			free(view);
			free(dirs);
			free(nodes);
			return cli_fail(cli, CMD_ERROR, "out of memory");
		}
		for (i = 0; i < n; i++) {
			lab_node_dir(lab, nodes[i].index, dirs[i], sizeof(dirs[i]));
			view[i] = (struct lab_report_node){ nodes[i].name, nodes[i].addr, (long)nodes[i].pid, nodes[i].alive,
							    dirs[i] };
		}
		cli_print_json_text(lab_status_json(&(struct lab_status_report){ view, n, alive, lab->root,
										 lab->base }));
		free(view);
		free(dirs);
	} else {
		printf("%-10s %-16s %-8s %s\n", "NODE", "ADDRESS", "PID", "STATE");
		for (i = 0; i < n; i++)
			printf("%-10s %-16s %-8d %s\n", nodes[i].name, nodes[i].addr, (int)nodes[i].pid,
			       nodes[i].alive ? "alive" : "down");
		printf("%zu nodes, %zu alive\n", n, alive);
	}
	free(nodes);
	return alive == n ? CMD_OK : alive ? CMD_PARTIAL : (n ? CMD_ERROR : CMD_OK);
}

static enum cmd_status lab_show_targets(struct cli *cli, const struct lab *lab)
{
	struct target_list l;
	char t[TARGET_FORMAT_MAX];
	size_t i;

	target_list_init(&l);
	if (lab_targets(lab, &l) < 0) {
		target_list_release(&l);
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	}
	if (cli->json) {
		cli_print_json_text(lab_targets_json(&l));
	} else {
		for (i = 0; i < l.n; i++) {
			target_format(&l.items[i], t, sizeof(t));
			printf("%s%s", i ? "," : "", t);
		}
		printf("\n");
	}
	target_list_release(&l);
	return CMD_OK;
}

static enum cmd_status cmd_lab_exec(struct cli *cli, int argc, char **argv)
{
	const char *sub = NULL, *pos[2] = { NULL, NULL };
	struct lab lab;
	long n = 0, base = 0;
	int64_t t0;
	int i, npos = 0;

	/* lab SUB [ARG] with --base B anywhere. */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--base") == 0 || strncmp(a, "--base=", 7) == 0) {
			const char *v = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);

			if (!v)
				return cli_usage(cli, "option '--base' needs a value");
			if (cli_int("--base", v, 2, 254, &base) < 0)
				return cli_usage(cli, "%s", err_msg());
		} else if (a[0] == '-' && a[1]) {
			return cli_usage(cli, "unknown option '%s'", a);
		} else if (!sub) {
			sub = a;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			return cli_usage(cli, "unexpected argument '%s'", a);
		}
	}
	if (!sub)
		return cli_usage(cli, "missing subcommand: up, down, status or targets");
	if (strcmp(sub, "up") == 0) {
		if (npos != 1)
			return cli_usage(cli, npos ? "unexpected argument '%s'" : "lab up needs the number of nodes%s",
					 npos ? pos[1] : "");
		if (cli_int("node count", pos[0], 0, LAB_MAX_NODES, &n) < 0)
			return cli_usage(cli, "%s", err_msg());
	} else if (strcmp(sub, "down") == 0 || strcmp(sub, "status") == 0 || strcmp(sub, "targets") == 0) {
		if (npos)
			return cli_usage(cli, "unexpected argument '%s'", pos[0]);
	} else {
		return cli_usage(cli, "unknown subcommand '%s': expected up, down, status or targets", sub);
	}

	/* Check the machine before creating anything, so a refusal leaves nothing behind. */
	if (strcmp(sub, "up") == 0 && lab_preflight() < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (cli_state_dir(cli) < 0 || lab_open(&lab, cli->state_dir) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (strcmp(sub, "status") == 0)
		return lab_show_status(cli, &lab);
	if (strcmp(sub, "targets") == 0)
		return lab_show_targets(cli, &lab);
	if (strcmp(sub, "down") == 0) {
		int had = lab.nodes;

		if (lab_down(&lab) < 0)
			return cli_fail(cli, CMD_ERROR, "%s", err_msg());
		if (cli->json)
			cli_print_json_text(lab_down_json(had));
		else if (!cli->quiet)
			printf("lab down: %d nodes stopped\n", had);
		return CMD_OK;
	}
	t0 = clock_mono_ms();
	if (!cli->quiet && !cli->json)
		fprintf(stderr, "starting %ld lab nodes...\n", n);
	if (lab_up(&lab, (int)n, (int)base) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (cli->json) {
		char cfg[PATH_MAX];

		cli_print_json_text(lab_up_json((int)n, lab_ssh_config(&lab, cfg, sizeof(cfg)), lab.root,
						clock_mono_ms() - t0));
	} else if (!cli->quiet) {
		char cfg[PATH_MAX], a[16];

		lab_node_addr(&lab, 0, a);
		printf("lab up: %ld nodes on 127.%d.x.y in %.2fs\n", n, lab.base, (clock_mono_ms() - t0) / 1000.0);
		if (n > 0)
			printf("reach one with: ssh -F %s %s\n", lab_ssh_config(&lab, cfg, sizeof(cfg)), a);
	}
	return CMD_OK;
}

const struct cmd_entry cmd_lab_entry = {
	.name = "lab",
	.summary = "start, stop and list real SSH nodes on this machine",
	.usage = "chimera lab up N [--base B]\n"
		 "       chimera lab down\n"
		 "       chimera lab status [--json]\n"
		 "       chimera lab targets [--json]",
	.help = "Each lab node is an sshd on its own loopback address (127.B.x.y, port 22) in a\n"
		"private mount namespace with its own /nix, /root, /tmp and /run: its own Nix\n"
		"store, profiles and generations. Needs root, sshd, unshare and nix.\n"
		"\n"
		"subcommands:\n"
		"  up N        make the lab have exactly N running nodes (starts missing or dead\n"
		"              ones, stops those past N)\n"
		"  down        stop every node and every process in it, and remove their files\n"
		"  status      each node's name, address, sshd pid and whether it is alive;\n"
		"              exit 3 when some are down\n"
		"  targets     a target list for -t (or use '-t @lab')\n"
		"\n"
		"options:\n"
		"  --base B    put nodes on 127.B.x.y (2-254; default derived from the state dir)\n"
		"\n"
		"The lab's client key, known_hosts and an ssh config live in STATE/lab, so\n"
		"'ssh -F STATE/lab/ssh_config 127.B.0.10' reaches the first node.\n",
	.exec = cmd_lab_exec,
};
