/* chimera watch: keep the fleet on its configuration, healing drift, round after round. */
#include "app/config/machines.h"
#include "app/fleet/watch.h"
#include "cli/check_opts.h"
#include "cli/fleet_opts.h"
#include "cli/progress.h"
#include "cli/remote.h"
#include "core/target.h"
#include "util/clock.h"
#include "util/err.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

#define WATCH_TABLE_ALL 40	/* up to this many nodes, the live table lists every one */

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_flag = 1;
}

struct view {
	struct cli *cli;
	int tty;
};


static void round_text(const struct view *v, const struct watch_round *r, const struct watch_node *nodes, size_t n)
{
	char t[CLOCK_UTC_LEN];
	size_t i;

	clock_format_utc(clock_wall_ms(), t);
	if (v->tty) {
		/* A live table: the whole screen again each round. */
		printf("\033[H\033[2J");
		printf("chimera watch  round %llu  %s\n\n", (unsigned long long)r->round, t);
		printf("%-30s %-12s %-24s %5s  %s\n", "NODE", "STATE", "LAST CHECK", "HEALS", "WHY");
		for (i = 0; i < n; i++) {
			const struct watch_node *w = &nodes[i];
			char seen[CLOCK_UTC_LEN] = "-";

			/* A big fleet shows the nodes that need a look; the count line covers the rest. */
			if (n > WATCH_TABLE_ALL && w->state == WATCH_CONGRUENT)
				continue;
			if (w->checked_ms)
				clock_format_utc(w->checked_ms, seen);
			printf("%-30s %-12s %-24s %5u  %.60s\n", w->name, watch_state_name(w->state), seen, w->heals,
			       w->state == WATCH_CONGRUENT ? "" : w->reason);
		}
		printf("\n");
	}
	printf("%s round %llu: %zu nodes, %zu congruent, %zu drifted, %zu healed, %zu failed, %zu unreachable,"
	       " %zu quarantined, %zu held in %.2fs\n",
	       t, (unsigned long long)r->round, r->nodes, r->congruent, r->drifted, r->healed, r->failed, r->unreachable,
	       r->quarantined, r->held, r->ms / 1000.0);
	if (!v->tty)
		for (i = 0; i < n; i++) {
			const struct watch_node *w = &nodes[i];

			if (w->state != WATCH_CONGRUENT)
				printf("  %s: %s: %s\n", w->name, watch_state_name(w->state), w->reason);
		}
	fflush(stdout);
}

static void on_round(const struct watch_round *r, const struct watch_node *nodes, size_t n, const char *path,
		     void *arg)
{
	const struct view *v = arg;

	if (v->cli->json) {
		char *line = watch_round_json(r, nodes, n, path);

		if (line)
			printf("%s\n", line);
		free(line);
		fflush(stdout);
	} else if (!v->cli->quiet) {
		round_text(v, r, nodes, n);
	}
}

static enum cmd_status release(struct cli *cli, const char *spec)
{
	struct target t;
	struct ledger *l = NULL;
	char name[TARGET_FORMAT_MAX];
	enum cmd_status st;

	if (target_parse(&t, spec, strlen(spec)) < 0)
		return cli_usage(cli, "--release: %s", err_msg());
	fleet_node_name(&t, name, sizeof(name));
	if (cli_state_dir(cli) < 0 || cli_open_ledger(cli, &l) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (watch_release(l, name) < 0)
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
	else {
		st = CMD_OK;
		if (cli->json)
			cli_print_json_text(watch_release_json(name));
		else if (!cli->quiet)
			printf("%s released: the next round of a running watch may heal it again\n", name);
	}
	ledger_close(l);
	return st;
}

/* A string member of O, "" when it is not one. */
static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

/* The state NAME names; WATCH_UNKNOWN for none. */
static enum watch_state state_of(const char *name)
{
	int s;

	for (s = WATCH_UNKNOWN; s <= WATCH_HELD; s++)
		if (strcmp(watch_state_name((enum watch_state)s), name) == 0)
			return (enum watch_state)s;
	return WATCH_UNKNOWN;
}

/* GET /watch's document as text: how the server's watch runs, then a line per node. */
static void print_watch_status(const struct cli *cli, const json_t *doc, const size_t count[WATCH_HELD + 1])
{
	const json_t *nodes = json_object_get(doc, "nodes"), *n;
	size_t i;

	if (!json_is_true(json_object_get(doc, "enabled")))
		printf("watch of %s: not running (the server keeps no fleet: started with --no-watch)\n", cli->server);
	else if (!json_is_true(json_object_get(doc, "running")))
		printf("watch of %s: not running: %s\n", cli->server, str(doc, "error")[0] ? str(doc, "error") : "stopped");
	else if (!json_integer_value(json_object_get(doc, "round")))
		printf("watch of %s: running, no round yet\n", cli->server);
	else
		printf("watch of %s: running, round %lld (%.2fs)\n", cli->server,
		       (long long)json_integer_value(json_object_get(doc, "round")),
		       json_integer_value(json_object_get(doc, "round_ms")) / 1000.0);
	if (json_array_size(nodes))
		printf("%-30s %-12s %-24s %5s  %-11s  %s\n", "NODE", "STATE", "LAST CHECK", "HEALS", "QUARANTINED", "WHY");
	json_array_foreach(nodes, i, n) {
		int64_t checked = json_integer_value(json_object_get(n, "checked_ms"));
		char seen[CLOCK_UTC_LEN] = "-";

		if (checked)
			clock_format_utc(checked, seen);
		printf("%-30s %-12s %-24s %5lld  %-11s  %.60s\n", str(n, "node"), str(n, "state"), seen,
		       (long long)json_integer_value(json_object_get(n, "heals")),
		       json_is_true(json_object_get(n, "quarantined")) ? "yes" : "no",
		       strcmp(str(n, "state"), "congruent") == 0 ? "" : str(n, "reason"));
	}
	printf("%zu nodes: %zu congruent, %zu healed, %zu drifted, %zu failed, %zu unreachable, %zu quarantined,"
	       " %zu held, %zu unknown\n",
	       json_array_size(nodes), count[WATCH_CONGRUENT], count[WATCH_HEALED], count[WATCH_DRIFTED], count[WATCH_FAILED],
	       count[WATCH_UNREACHABLE], count[WATCH_QUARANTINED], count[WATCH_HELD], count[WATCH_UNKNOWN]);
}

/*
 * watch --status: the server's watch (GET /watch). 0 when it runs and every node is
 * congruent or was healed in its last round, 3 when one is not, 1 when it does not run.
 */
static enum cmd_status watch_status(struct cli *cli, int argc, char **argv)
{
	size_t count[WATCH_HELD + 1] = { 0 }, i, n;
	const json_t *node;
	json_t *doc = NULL;
	enum cmd_status st;

	if (argc != 2)
		return cli_usage(cli, "watch %s takes no other option or argument", argv[1]);
	if (!remote_on(cli))
		return cli_usage(cli, "watch --status shows the watch that chimera serve keeps: give --server URL (or set"
				      " CHIMERA_SERVER)");
	if ((st = remote_get(cli, "/api/v1/watch", CMD_ERROR, REMOTE_TIMEOUT_MS, &doc)) != CMD_OK)
		return st;
	json_array_foreach(json_object_get(doc, "nodes"), i, node)
		count[state_of(str(node, "state"))]++;
	if (cli->json)
		remote_print_json(doc);
	else
		print_watch_status(cli, doc, count);
	n = json_array_size(json_object_get(doc, "nodes"));
	st = !json_is_true(json_object_get(doc, "running"))		 ? CMD_ERROR
	     : n && count[WATCH_CONGRUENT] + count[WATCH_HEALED] == n ? CMD_OK
								 : CMD_PARTIAL;
	json_decref(doc);
	return st;
}

enum {
	OPT_INTERVAL = 2100,
	OPT_ONCE,
	OPT_ROUNDS,
	OPT_NO_HEAL,
	OPT_MAX_HEAL,
	OPT_VERIFY_EVERY,
	OPT_RELEASE,
};

/* What watch's command line says, and what the command makes of it (owned: args_release). */
struct watch_args {
	struct cli_fleet f;
	struct cli_source cs;
	struct cli_checks checks;
	struct watch_opts o;
	struct cli_magic magic;
	const char *release_node;	/* --release TARGET, or NULL */
	int have_source;		/* a configuration was given; else each machine's own */
	char msg[300];			/* a usage error's message */
	struct watch_config one, *configs;	/* &one, or one per machine configuration */
	struct nix_source *srcs;
	size_t *config_of, nsrcs;
	struct deploy_node_opts *nodes;
	struct watch_sessions *sessions;
	struct session_spec *specs;
};

static void args_init(struct watch_args *a)
{
	*a = (struct watch_args){ .o = { .interval_s = 30, .heal = 1, .max_heal_attempts = 3, .verify_every = 10 } };
	a->configs = &a->one;
	cli_fleet_init(&a->f);
	cli_checks_init(&a->checks);
}

static void args_release(struct watch_args *a)
{
	cli_fleet_close(&a->f);
	cli_checks_release(&a->checks);
	free(a->nodes);
	free(a->sessions);
	free(a->specs);
	if (a->configs != &a->one)
		free(a->configs);
	free(a->srcs);
	free(a->config_of);
}

/* The command's options: parse_args reads them, and the bad one is named from them. */
static const struct option options[] = {
	FLEET_OPTIONS,
	LEASE_OPTIONS,
	SOURCE_OPTIONS,
	CHECK_OPTIONS,
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "no-heal", no_argument, NULL, OPT_NO_HEAL },
	{ "max-heal-attempts", required_argument, NULL, OPT_MAX_HEAL },
	{ "verify-every", required_argument, NULL, OPT_VERIFY_EVERY },
	MAGIC_OPTIONS,
	FLEET_ACTIVATE_OPTION,
	{ "release", required_argument, NULL, OPT_RELEASE },
	{ NULL, 0, NULL, 0 },
};

/* One of watch's own options, C (ARG its argument): 0, or -1 with a->msg set. */
static int parse_own(struct watch_args *a, int c, const char *arg, char **argv)
{
	struct watch_opts *o = &a->o;
	long v;
	int r = 0;

	switch (c) {
	/* At least 1 s: 0 was a busy loop appending a watch.round event per round (issue 16). */
	case OPT_INTERVAL: r = cli_int("--interval", arg, 1, 86400, &o->interval_s); break;
	case OPT_ONCE: o->rounds = 1; break;
	case OPT_ROUNDS:
		if ((r = cli_int("--rounds", arg, 1, 100000000, &v)) == 0)
			o->rounds = (uint64_t)v;
		break;
	case OPT_NO_HEAL: o->heal = 0; break;
	case OPT_MAX_HEAL:
		if ((r = cli_int("--max-heal-attempts", arg, 1, 1000, &v)) == 0)
			o->max_heal_attempts = (int)v;
		break;
	case OPT_VERIFY_EVERY:
		if ((r = cli_int("--verify-every", arg, 0, 1000000, &v)) == 0)
			o->verify_every = (int)v;
		break;
	case OPT_RELEASE: a->release_node = arg; break;
	default:
		snprintf(a->msg, sizeof(a->msg), "%s", cli_bad_option(argv, options));
		return -1;
	}
	if (r < 0) {
		snprintf(a->msg, sizeof(a->msg), "%s", err_msg());
		return -1;
	}
	return 0;
}

/* The options into A (set up by args_init): 0, or -1 with a->msg set for the usage error. */
static int parse_args(int argc, char **argv, struct watch_args *a)
{
	const struct cli_opts shared = { &a->f, &a->cs, &a->checks, &a->magic };
	int c, r;

	while ((r = cli_opts_next(&shared, argc, argv, "+t:c:A:", options, &c)) > 0)
		if (parse_own(a, c, optarg, argv) < 0)
			return -1;
	if (r < 0) {
		snprintf(a->msg, sizeof(a->msg), "%s", err_msg());
		return -1;
	}
	if (optind < argc) {
		snprintf(a->msg, sizeof(a->msg), "unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (a->f.reach.goal && !goal_sets_profile(cli_fleet_goal(&a->f))) {
		snprintf(a->msg, sizeof(a->msg),
			 "--goal %s leaves the profile alone, and watch keeps the profile on its configuration: "
			 "expected switch or boot (deploy --goal %s does it once)",
			 a->f.reach.goal, a->f.reach.goal);
		return -1;
	}
	return 0;
}

/* The checks and the one configuration given (or, until the inventory is read, none) into a->o. */
static void args_finish(struct watch_args *a)
{
	cli_checks_finish(&a->checks);
	a->o.checks = a->checks.specs;
	a->o.nchecks = a->checks.n;
	a->one.source = a->cs.expect ? NULL : &a->cs.src;
	a->one.expect = a->cs.expect;
	a->o.configs = &a->one;
	a->o.nconfigs = 1;
	a->o.confirm_s = cli_magic_confirm_s(&a->magic);
}

/* Each machine on its own configuration from chimera.toml. */
static enum cmd_status own_configs(struct cli *cli, struct watch_args *a)
{
	size_t i;
	int r;

	if ((r = machines_configs(a->f.w.inv, &a->f.targets, "watch", &a->srcs, &a->nsrcs, &a->config_of)) < 0)
		return r == ERR_INVALID ? cli_usage(cli, "%s", err_msg()) : cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (!(a->configs = calloc(a->nsrcs ? a->nsrcs : 1, sizeof(*a->configs))))
		return cli_fail(cli, CMD_ERROR, "out of memory");
	for (i = 0; i < a->nsrcs; i++)
		a->configs[i].source = &a->srcs[i];
	a->o.configs = a->configs;
	a->o.nconfigs = a->nsrcs;
	a->o.config_of = a->config_of;
	return CMD_OK;
}

/*
 * After the inventory is read: its [defaults] come under the flags, each machine's settings
 * over those; each machine's checks and declared sessions. TMP is where exports spool.
 */
static enum cmd_status node_settings(struct cli *cli, struct watch_args *a, const char *tmp)
{
	const struct inventory *inv;

	a->o.profile = a->f.reach.profile;
	a->o.activate = a->f.reach.activate;
	a->o.goal = cli_fleet_goal(&a->f);
	if (!a->checks.n && cli_inventory(cli, &inv) == 0) {
		a->o.checks = inv->defaults.checks;
		a->o.nchecks = inv->defaults.nchecks;
	}
	if (machines_node_opts(a->f.w.inv, &a->f.targets, a->checks.n > 0, &a->nodes) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	a->o.nodes = a->nodes;
	if (machines_sessions(a->f.w.inv, &a->f.w.fleet, &a->f.targets, a->o.profile, &a->sessions, &a->specs) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	a->o.sessions = a->sessions;
	/* The probe is a few builtins: a node that takes longer than a connection may is stuck. */
	a->o.probe_timeout_s = a->f.reach.connect_timeout;
	a->o.tmp_dir = tmp;
	return CMD_OK;
}

/* SIGINT/SIGTERM: finish the node steps in flight, start no more, record watch.stopped; SIGHUP: rebuild. */
static int run_with_signals(const struct deploy_ctx *ctx, const struct target_list *targets,
			    const struct watch_opts *o, const struct watch_hooks *hooks, struct watch_round *last)
{
	struct sigaction sa = { 0 }, old_int, old_term, old_hup;
	int r;

	stop_flag = reload_flag = 0;
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, &old_hup);
	r = watch_run(ctx, targets, o, hooks, &stop_flag, &reload_flag, last);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return r;
}

static enum cmd_status cmd_watch_exec(struct cli *cli, int argc, char **argv)
{
	struct watch_args a;
	struct deploy_ctx ctx = { 0 };
	struct watch_round last;
	struct view view = { .cli = cli, .tty = isatty(STDOUT_FILENO) };
	struct watch_hooks hooks = { .round = on_round, .arg = &view };
	char tmp[PATH_MAX] = "";
	struct progress *prog = NULL;
	enum cmd_status st;
	int r;

	if (argc > 1 && (strcmp(argv[1], "--status") == 0 || strcmp(argv[1], "status") == 0))
		return watch_status(cli, argc, argv);
	if (remote_on(cli) && cli->server_flag)
		return cli_usage(cli, "watch runs its rounds here: with --server give --status (the watch the server"
				      " keeps)");
	args_init(&a);
	if (parse_args(argc, argv, &a) < 0)
		goto usage;
	if (a.release_node) {
		cli_checks_release(&a.checks);
		return release(cli, a.release_node);
	}
	if ((a.have_source = cli_source_check(&a.cs)) < 0) {
		snprintf(a.msg, sizeof(a.msg), "%s", err_msg());
		goto usage;
	}
	args_finish(&a);
	if ((st = cli_deploy_open(cli, &a.f, &ctx, tmp)) != CMD_OK)
		goto out;
	if (!a.have_source && (st = own_configs(cli, &a)) != CMD_OK)
		goto out;
	if ((st = node_settings(cli, &a, tmp)) != CMD_OK)
		goto out;
	/* The builds' derivations as plain lines: the round view may own the terminal. */
	prog = progress_start(cli->json || cli->quiet ? PROGRESS_OFF : PROGRESS_LINES, 0);
	nix_watch(ctx.nix, progress_build, prog);
	r = run_with_signals(&ctx, &a.f.targets, &a.o, &hooks, &last);
	nix_watch(ctx.nix, NULL, NULL);
	progress_stop(prog);
	if (r < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	/* The fleet ends well when every node is congruent or was healed in the last round. */
	st = last.round && last.congruent + last.healed == last.nodes ? CMD_OK : CMD_PARTIAL;
out:
	if (ctx.nix)
		ctx.nix->ops->close(ctx.nix);
	args_release(&a);
	return st;
usage:
	cli_checks_release(&a.checks);
	return cli_usage(cli, "%s", a.msg);
}

const struct cmd_entry cmd_watch_entry = {
	.name = "watch",
	.summary = "keep every target on a configuration: detect drift, heal, back off, quarantine",
	.usage = "chimera watch (-t TARGETS | --targets-file FILE)\n"
		 "                     [-c FILE.nix [-A ATTR] [--arg NAME VALUE] [--argstr NAME VALUE]\n"
		 "                      | --flake REF#ATTR | --expect STOREPATH]\n"
		 "                     [--interval S] [--once | --rounds N] [--no-heal]\n"
		 "                     [--max-heal-attempts N] [--verify-every N] [--check SPEC]...\n"
		 "                     [--confirm-timeout S | --no-magic-rollback] [--activate MODE] [--goal G]\n"
		 "                     [--profile PATH] [--parallel N] [--connect-timeout S] [--timeout S]\n"
		 "       chimera watch --release NODE\n"
		 "       chimera --server URL watch --status",
	.help = "Builds the configuration once (again when the Nix file or the flake's lock\n"
		"changes, or on SIGHUP). Without -c, --flake or --expect each machine is kept on\n"
		"its own configuration from chimera.toml (config + attr, or flake): each distinct\n"
		"one is built once, up to four at a time, and a selected machine without one is a\n"
		"usage error naming it. Then every --interval seconds it checks every node over an\n"
		"SSH session kept open between rounds (a dropped one is reopened next round):\n"
		"  - the profile points at the expected path;\n"
		"  - every closure path is present (shell builtins: no process per path);\n"
		"  - every --verify-every rounds, `nix-store --verify-path` of the closure;\n"
		"  - /run/current-system, where the node has it, is the expected path;\n"
		"  - every --check passes (else [defaults] checks, or the machine's own);\n"
		"  - every session the machine declares in chimera.toml (sessions = { NAME =\n"
		"    \"COMMAND\" }) is running in tmux; a missing one is started again, its\n"
		"    profile's bin first on PATH (watch.session.restarted), which is a heal.\n"
		"(A closure whose path names pass 128 KiB gets neither of the per-path checks:\n"
		"only the profile and /run/current-system are compared.)\n"
		"A node that does not answer within --connect-timeout is unreachable for the round\n"
		"(a verify round within --timeout).\n"
		"A drifted node is healed as deploy would (send what is missing, set the profile,\n"
		"activate, magic rollback) and checked again. Store paths gone from its disk but\n"
		"registered, or whose files a verify round found changed, are restored in place\n"
		"from this machine's copy first (no binary cache; node.store.repaired). A node\n"
		"whose heal fails waits 2 s, then 6 s, 18 s, ... (at most 5 min) before the next\n"
		"try, and after --max-heal-attempts failures in a row (counted across runs, from\n"
		"the ledger: three `--once` runs that fail make three) is quarantined: reported,\n"
		"left alone, until `chimera watch --release NODE` or a later successful deploy to\n"
		"it. Each round appends watch.round to the ledger; changes append\n"
		"watch.node.drifted, .healed, .heal_failed, .quarantined, .recovered, .unreachable.\n"
		"SIGINT or SIGTERM lets the node steps in flight finish, starts no more, and\n"
		"records watch.stopped.\n"
		"\n"
		"options:\n"
		SOURCE_OPTIONS_HELP
		"  --interval S             seconds from one round's start to the next, at least 1\n"
		"                           (default 30); a round longer than that is followed at once\n"
		"  --once                   one round, then exit\n"
		"  --rounds N               N rounds, then exit\n"
		"  --no-heal                report drift, change nothing\n"
		"  --max-heal-attempts N    failed heals in a row before quarantine (default 3)\n"
		"  --verify-every N         verify the closure's contents every N rounds (default\n"
		"                           10; 0: never)\n"
		CHECK_OPTIONS_HELP
		"  --confirm-timeout S      magic rollback of heals, as for deploy (default 30)\n"
		"  --no-magic-rollback      heal without a dead-man switch\n"
		"  --activate MODE          as for deploy (default: [defaults] activation, else auto)\n"
		"  --goal switch|boot       as for deploy; boot leaves the running system to the next\n"
		"                           boot, so only the profile is watched (test and\n"
		"                           dry-activate leave the profile alone: refused)\n"
		"  --activation-timeout S   a heal's activation, as for deploy (default 240)\n"
		FLEET_OPTIONS_HELP
		"  --lock-wait S            accepted as elsewhere, but a heal never waits: a drifted\n"
		"                           node another operation holds is 'held' this round\n"
		"                           (watch.node.held, naming the holder) and left alone\n"
		"  --json                   one JSON object a line per round: the counts, rss_kb, and\n"
		"                           every node that is not congruent with its reason\n"
		"  --release NODE           let a quarantined node be healed again, and exit\n"
		"  --status                 with --server URL (or CHIMERA_SERVER): the watch that\n"
		"                           chimera serve keeps, per node: state, last check, heals,\n"
		"                           quarantine (exit 0 all congruent or healed, 3 not, 1\n"
		"                           when it does not run); alone, as `watch status` too\n"
		"\n"
		"On a terminal each round redraws a table of the nodes (past 40 nodes, of those\n"
		"not congruent); otherwise one line per round and one per node not congruent.\n"
		"\n"
		"exit status (with --once or --rounds): 0 when the last round ends with every node\n"
		"congruent or healed, 3 otherwise; 1 on errors, 2 for bad usage.\n",
	.exec = cmd_watch_exec,
};
