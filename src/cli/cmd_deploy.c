/* chimera deploy: build a configuration once and put every target on it. */
#include "app/fleet/deploy_fleet.h"
#include "app/fleet/deploy_resume.h"
#include "app/fleet/sessions.h"
#include "cli/check_opts.h"
#include "cli/closure_text.h"
#include "cli/fleet_opts.h"
#include "cli/progress.h"
#include "cli/remote.h"
#include "cli/cli.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static void on_step(size_t slot, const struct deploy_node *n, void *arg)
{
	progress_step(arg, slot, n->name, deploy_step_name(n->step), &n->sent);
}

/* What a finished node's progress line says. */
static void done_what(const struct deploy_node *n, char *what, size_t len)
{
	if (n->rolled_back_by_node)
		snprintf(what, len, "ROLLED BACK BY THE NODE: %s", n->fail.message);
	else if (n->outcome == OUTCOME_FAILED)
		snprintf(what, len, "FAILED at %s: %s", n->fail.step, n->fail.message);
	else
		snprintf(what, len, "%s in %.2fs", n->outcome == OUTCOME_PLANNED ? "checked" : "deployed", n->ms / 1000.0);
}

static void on_done(size_t slot, const struct deploy_node *n, void *arg)
{
	char what[600];

	done_what(n, what, sizeof(what));
	progress_done(arg, slot, n->name, n->outcome != OUTCOME_FAILED, what);
}

/* TEXT's lines, indented, each after MARK. */
static void print_lines(const char *text, const char *mark)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		printf("    %s%.*s\n", mark, len, p);
		p += len + (nl ? 1 : 0);
	}
}

static void print_tail(const char *tail)
{
	print_lines(tail, "! ");
}

static void print_text(const struct deploy_report *rep, int dry_run)
{
	char cb[32];
	size_t i;
	int s;

	cli_bytes(rep->closure_bytes, cb, sizeof(cb));
	printf("%s %s: %s (%zu paths, %s), built in %.2fs\n", dry_run ? "dry run" : "deployment", rep->id, rep->path,
	       rep->closure_paths, cb, rep->build_ms / 1000.0);
	printf("%-30s %-9s %-20s", "NODE", "OUTCOME", dry_run ? "WOULD COPY" : "COPIED");
	for (s = 0; s < STEP_COUNT; s++)
		printf(" %8s", deploy_step_name(s));
	printf("\n");
	for (i = 0; i < rep->n; i++) {
		const struct deploy_node *n = &rep->nodes[i];
		char copied[48], b[32];

		cli_bytes(n->copy_bytes, b, sizeof(b));
		snprintf(copied, sizeof(copied), "%zu paths, %s", n->copy_paths, b);
		printf("%-30s %-9s %-20s", n->name, deploy_outcome_name(n->outcome), n->step_ms[STEP_CHECK] >= 0 ? copied : "-");
		for (s = 0; s < STEP_COUNT; s++) {
			if (n->step_ms[s] >= 0)
				printf(" %7.2fs", n->step_ms[s] / 1000.0);
			else
				printf(" %8s", "-");
		}
		printf("\n");
		if (n->outcome == OUTCOME_FAILED) {
			printf("    failed at %s", n->fail.step);
			if (n->fail.status >= 0)
				printf(" (exit %d)", n->fail.status);
			printf(": %s\n", n->fail.message);
			print_tail(n->fail.stderr_tail);
			if (n->rolled_back_by_node)
				printf("    rolled back by the node: on its previous generation %u again\n", n->previous_gen);
			else if (n->restored > 0)
				printf("    profile put back on the previous generation %u and activated\n", n->previous_gen);
			else if (n->restored < 0)
				printf("    putting it back on generation %u failed: %s\n", n->previous_gen, n->restore_error);
		} else if (dry_run) {
			printf("    would switch %s -> %s\n", n->previous[0] ? n->previous : "(no profile)",
			       strcmp(n->previous, rep->path) == 0 ? "(unchanged)" : rep->path);
			if (n->diff)
				closure_text_print(n->diff, "    ");
		} else if (n->goal != GOAL_SWITCH) {
			printf("    goal %s: %s\n", goal_name(n->goal),
			       n->goal == GOAL_BOOT	 ? "profile set, the running system changes at the next boot"
			       : n->goal == GOAL_TEST ? "activated, the profile left where it was"
						: "nothing changed; the activation said:");
			if (n->goal == GOAL_DRY_ACTIVATE)
				print_lines(n->shown, "| ");
		}
	}
	printf("%zu nodes: %zu %s, %zu failed in %.2fs (deployment %s)\n", rep->n, rep->ok,
	       dry_run ? "checked" : "deployed", rep->failed, rep->ms / 1000.0, rep->id);
}

/* Own configurations: each configuration's deployment, then the totals. */
static void print_groups(const struct fleet_deploy_report *rep)
{
	size_t i, k;

	for (i = 0; i < rep->ngroups; i++) {
		const struct fleet_deploy_group *c = &rep->groups[i];

		if (c->src.flake)
			printf("== configuration %s (%zu nodes)\n", c->src.flake, c->targets.n);
		else
			printf("== configuration %s%s%s (%zu nodes)\n", c->src.file, c->src.attr ? " -A " : "",
			       c->src.attr ? c->src.attr : "", c->targets.n);
		if (!c->err) {
			print_text(&c->rep, rep->dry_run);
			continue;
		}
		printf("failed before any node: %s\n", c->msg);
		for (k = 0; k < c->targets.n; k++) {
			char name[TARGET_FORMAT_MAX];

			fleet_node_name(&c->targets.items[k], name, sizeof(name));
			printf("  %s: not deployed\n", name);
		}
	}
	printf("%zu configurations, %zu nodes: %zu %s, %zu failed\n", rep->ngroups, rep->total, rep->ok,
	       rep->dry_run ? "checked" : "deployed", rep->total - rep->ok);
}

/* A usage error once checks were being gathered: they are released first. */
static enum cmd_status usage_out(struct cli *cli, struct cli_checks *checks, const char *msg)
{
	cli_checks_release(checks);
	return cli_usage(cli, "%s", msg);
}

enum { OPT_DRY_RUN = 2000, OPT_ON_FAILURE, OPT_RESUME, OPT_REPAIR, OPT_DIFF };

/* What deploy's command line says. */
struct deploy_args {
	struct cli_fleet f;
	struct cli_source cs;
	struct deploy_opts o;		/* o.source points at cs.src */
	struct cli_checks checks;
	struct cli_magic magic;
	const char *session;		/* -s SESSION, or NULL */
	struct buf command;		/* its command: the words after '--', joined by spaces */
	bool own_configs;		/* no configuration given: each machine's own from chimera.toml */
	const char *resume;		/* --resume ID, or NULL */
	struct deploy_resume rs;	/* what ID left unfinished */
	struct buf resume_spec;		/* its nodes as a target list */
};

static void args_init(struct deploy_args *a)
{
	*a = (struct deploy_args){ .command = BUF_INIT(256 * 1024), .resume_spec = BUF_INIT(0) };
	a->o.source = &a->cs.src;
	cli_fleet_init(&a->f);
	cli_checks_init(&a->checks);
}

/* The command's options: parse_args reads them, and the bad one is named from them. */
static const struct option options[] = {
	FLEET_OPTIONS,
	LEASE_OPTIONS,
	SOURCE_OPTIONS,
	FLEET_ACTIVATE_OPTION,
	MAGIC_OPTIONS,
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "diff", no_argument, NULL, OPT_DIFF },
	{ "repair", no_argument, NULL, OPT_REPAIR },
	{ "on-failure", required_argument, NULL, OPT_ON_FAILURE },
	{ "session", required_argument, NULL, 's' },
	{ "resume", required_argument, NULL, OPT_RESUME },
	CHECK_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* One of deploy's own options, C (ARG its argument); a usage error releases the checks. */
static enum cmd_status parse_own(struct cli *cli, struct deploy_args *a, int c, const char *arg, char **argv)
{
	char msg[300];

	switch (c) {
	case OPT_ON_FAILURE:
		if (strcmp(arg, "rollback") != 0 && strcmp(arg, "keep") != 0)
			return usage_out(cli, &a->checks, "--on-failure: expected rollback or keep");
		a->o.keep_on_failure = strcmp(arg, "keep") == 0;
		break;
	case OPT_DRY_RUN: a->o.dry_run = 1; break;
	case OPT_DIFF: a->o.diff = true; break;
	case OPT_REPAIR: a->o.repair = 1; break;
	case 's':
		if (sessions_name_check(arg) < 0)
			return usage_out(cli, &a->checks, err_msg());
		a->session = arg;
		break;
	case OPT_RESUME: {
		struct deployment_id id;

		if (deployment_id_parse(&id, arg, strlen(arg)) < 0) {
			snprintf(msg, sizeof(msg), "--resume '%s': expected a deployment id (26 characters, as"
				 " 'chimera deployments' lists them)", arg);
			return usage_out(cli, &a->checks, msg);
		}
		a->resume = arg;
		break;
	}
	default:
		snprintf(msg, sizeof(msg), "%s", cli_bad_option(argv, options));
		return usage_out(cli, &a->checks, msg);
	}
	return CMD_OK;
}

/* The command line into A (set up by args_init): CMD_OK, or a usage error with the checks released. */
static enum cmd_status parse_args(struct cli *cli, int argc, char **argv, struct deploy_args *a)
{
	const struct cli_opts shared = { &a->f, &a->cs, &a->checks, &a->magic };
	enum cmd_status st;
	char msg[300];
	int c, r;

	while ((r = cli_opts_next(&shared, argc, argv, "+t:c:A:s:", options, &c)) > 0)
		if ((st = parse_own(cli, a, c, optarg, argv)) != CMD_OK)
			return st;
	if (r < 0)
		return usage_out(cli, &a->checks, err_msg());
	if (optind < argc && !a->session) {
		snprintf(msg, sizeof(msg), "unexpected argument '%s' (a command goes after -s SESSION --)", argv[optind]);
		return usage_out(cli, &a->checks, msg);
	}
	if (a->session && optind >= argc)
		return usage_out(cli, &a->checks, "-s SESSION needs a command after '--'");
	if (a->o.diff && !a->o.dry_run)
		return usage_out(cli, &a->checks, "--diff goes with --dry-run: it shows what a deploy would change");
	if ((r = remote_on(cli) ? remote_source_check(&a->cs) : cli_source_check(&a->cs)) < 0)
		return usage_out(cli, &a->checks, err_msg());
	if (a->resume && r == 1)
		return usage_out(cli, &a->checks, "--resume deploys the path the ledger recorded: leave out -c, --flake"
						  " and --expect");
	if (a->resume && (a->f.spec || a->f.file))
		return usage_out(cli, &a->checks, "--resume re-runs the deployment's own unfinished nodes: leave out -t"
						  " and --targets-file");
	if (a->resume)
		r = 1;
	if (a->session) {
		for (c = optind; c < argc; c++)
			if ((c > optind && buf_addc(&a->command, ' ') < 0) || buf_adds(&a->command, argv[c]) < 0) {
				buf_release(&a->command);
				return usage_out(cli, &a->checks, "the session's command is too long");
			}
	}
	a->own_configs = r == 0;
	a->o.expect = a->cs.expect;
	a->o.confirm_s = cli_magic_confirm_s(&a->magic);
	cli_checks_finish(&a->checks);
	a->o.checks = a->checks.specs;
	a->o.nchecks = a->checks.n;
	return CMD_OK;
}

/*
 * --resume ID: the unfinished nodes of ID become the targets, its path the expected one,
 * its profile and activation the defaults (flags still win). CMD_OK, or the status printed.
 */
static enum cmd_status resume_setup(struct cli *cli, struct deploy_args *a)
{
	struct ledger *l = NULL;
	size_t i;
	int r;

	if ((r = world_open_ledger(&cli->world, &l)) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	r = deploy_resume_find(l, a->resume, &a->rs);
	ledger_close(l);
	if (r < 0)
		return cli_fail(cli, r == ERR_NOTFOUND || r == ERR_INVALID ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
	for (i = 0; i < a->rs.n; i++)
		if ((i && buf_addc(&a->resume_spec, ',') < 0) || buf_adds(&a->resume_spec, a->rs.nodes[i]) < 0)
			return cli_fail(cli, CMD_ERROR, "out of memory");
	a->f.spec = a->resume_spec.data;
	a->o.expect = a->rs.path;
	a->o.resumes = a->resume;
	if (!a->f.reach.set_profile && a->rs.profile) {
		a->f.reach.profile = a->rs.profile;
		a->f.reach.set_profile = true;
	}
	if (!a->f.reach.activate && a->rs.activate)
		a->f.reach.activate = a->rs.activate;
	if (!cli->json && !cli->quiet)
		printf("resuming deployment %s: %zu of its %zu nodes unfinished, %s\n", a->resume, a->rs.n, a->rs.total,
		       a->rs.path);
	return CMD_OK;
}

/* The report as --json's document, or as text: one table, or one per configuration. */
static void print_report(const struct cli *cli, const struct fleet_deploy_report *rep, int dry_run)
{
	if (cli->json)
		cli_print_json_text(fleet_deploy_report_json(rep));
	else if (rep->grouped)
		print_groups(rep);
	else
		print_text(&rep->single, dry_run);
}

/* What of A a server's POST /deployments cannot take, or NULL. */
static const char *not_for_server(const struct deploy_args *a)
{
	if (a->resume)
		return "--resume";
	if (a->o.diff)
		return "--diff";
	if (a->session)
		return "-s SESSION";
	if (a->o.keep_on_failure)
		return "--on-failure keep";
	if (a->checks.timeout_s != HEALTH_TIMEOUT_MS / 1000 || a->checks.retries != HEALTH_RETRIES)
		return "--check-timeout or --check-retries";
	return NULL;
}

/* --server: A as the body of POST /deployments, run as a job there; its report printed as here. */
static enum cmd_status deploy_remote(struct cli *cli, const struct deploy_args *a)
{
	struct fleet_deploy_report rep;
	json_t *body = json_object(), *job = NULL, *report, *checks;
	const char *no = not_for_server(a);
	enum cmd_status st;
	size_t i;

	if (!body)
		return cli_fail(cli, CMD_ERROR, "out of memory");
	if (no)
		st = cli_usage(cli, "%s is not sent to a server: leave it out with --server", no);
	else if ((st = remote_fleet(cli, &a->f, body, NULL)) == CMD_OK)
		st = remote_source(cli, &a->cs, body);
	if (st != CMD_OK) {
		json_decref(body);
		return st;
	}
	if (a->o.dry_run)
		json_object_set_new(body, "dry_run", json_true());
	if (a->o.repair)
		json_object_set_new(body, "repair", json_true());
	if (a->magic.off || a->magic.confirm_s)
		json_object_set_new(body, "confirm_timeout", json_integer(a->o.confirm_s));
	if (a->checks.n && (checks = json_array())) {
		for (i = 0; i < a->checks.n; i++)
			json_array_append_new(checks, json_string(a->checks.specs[i].text));
		json_object_set_new(body, "checks", checks);
	}
	if ((st = remote_job(cli, "/api/v1/deployments", body, &job)) != CMD_OK)
		return st;
	report = json_object_get(job, "report");
	if (!json_is_object(report)) {
		st = remote_job_error(cli, job);
	} else if (fleet_deploy_report_from_json(report, &rep) < 0) {
		st = cli_fail(cli, CMD_ERROR, "the server's report: %s", err_msg());
	} else {
		if (cli->json)
			remote_print_json(report);
		else if (rep.grouped)
			print_groups(&rep);
		else
			print_text(&rep.single, rep.dry_run);
		st = remote_job_status(cli, job, cli_fleet_status(rep.ok, rep.total));
		fleet_deploy_report_release(&rep);
	}
	json_decref(job);
	return st;
}

static enum cmd_status cmd_deploy_exec(struct cli *cli, int argc, char **argv)
{
	struct deploy_args a;
	struct deploy_ctx ctx = { 0 };
	struct fleet_deploy_request req = { 0 };
	struct fleet_deploy_report rep = { 0 };
	struct progress *prog = NULL;
	char tmp[PATH_MAX] = "";
	enum cmd_status st;
	int r;

	args_init(&a);
	if ((st = parse_args(cli, argc, argv, &a)) != CMD_OK)
		return st;
	if (remote_on(cli)) {
		st = deploy_remote(cli, &a);
		goto out;
	}
	if (a.resume && (st = resume_setup(cli, &a)) != CMD_OK)
		goto out;
	if ((st = cli_deploy_open(cli, &a.f, &ctx, tmp)) != CMD_OK)
		goto out;
	/* After the inventory is read: its [defaults] come under the flags, each machine's settings over those. */
	a.o.profile = a.f.reach.profile;
	a.o.activate = a.f.reach.activate;
	a.o.goal = cli_fleet_goal(&a.f);
	a.o.tmp_dir = tmp;
	if ((r = cli_inventory(cli, &req.inv)) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	req.opts = a.o;
	req.own_configs = a.own_configs;
	req.flag_checks = a.checks.n > 0;
	req.state_dir = cli->state_dir;
	req.cipher = world_cipher(&cli->world);
	req.session = a.session;
	req.command = a.session ? a.command.data : NULL;
	prog = progress_start(progress_mode_for(cli->json, cli->quiet), a.f.targets.n);
	nix_watch(ctx.nix, progress_build, prog);
	r = fleet_deploy_run(&ctx, &a.f.targets, &req, &(struct fleet_deploy_progress){ on_step, on_done, prog }, &rep);
	nix_watch(ctx.nix, NULL, NULL);
	progress_stop(prog);
	if (r < 0) {
		st = r == ERR_INVALID && a.own_configs ? cli_usage(cli, "%s", err_msg())
						       : cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	print_report(cli, &rep, a.o.dry_run);
	st = cli_fleet_status(rep.ok, rep.total);
	if (rep.ledger_err)
		st = cli_fail(cli, CMD_ERROR, "the ledger did not take every event: %s", rep.ledger_msg);
out:
	fleet_deploy_report_release(&rep);
	if (ctx.nix)
		ctx.nix->ops->close(ctx.nix);
	cli_fleet_close(&a.f);
	cli_checks_release(&a.checks);
	buf_release(&a.command);
	buf_release(&a.resume_spec);
	deploy_resume_release(&a.rs);
	return st;
}

const struct cmd_entry cmd_deploy_entry = {
	.name = "deploy",
	.summary = "build a Nix configuration once and switch every target to it",
	.usage = "chimera deploy (-t TARGETS | --targets-file FILE)\n"
		 "                      [-c FILE.nix [-A ATTR] [--arg NAME VALUE] [--argstr NAME VALUE]\n"
		 "                       | --flake REF#ATTR | --expect STOREPATH]\n"
		 "                      [--profile PATH] [--activate auto|none|CMD] [--goal GOAL]\n"
		 "                      [--parallel N] [--sudo]\n"
		 "                      [--dry-run [--diff]] [--repair] [--confirm-timeout S | --no-magic-rollback]\n"
		 "                      [--check SPEC]... [--on-failure rollback|keep]\n"
		 "                      [-s SESSION -- COMMAND...]\n"
		 "                      [--connect-timeout S] [--timeout S] [--accept-new-host-keys]\n"
		 "                      [--lock-wait S]\n"
		 "       chimera deploy --resume ID [options]",
	.help = "Builds the configuration once on this machine (nix-build, or `nix build` for a\n"
		"flake), then on every target in parallel, over one SSH session per node:\n"
		"  check     read the node's profile and find which closure paths it lacks\n"
		"  copy      stream only those paths (nix-store --export | --import); a path\n"
		"            gone from the node's disk but still registered is restored in\n"
		"            place from this machine's copy (nix-store --dump | --restore)\n"
		"  switch    nix-env -p PROFILE --set PATH (skipped when already there)\n"
		"  activate  see --activate\n"
		"  confirm   read the profile back; it must point at the built path; then log\n"
		"            in again over a new connection to confirm (magic rollback)\n"
		"One node failing never stops the others. When activation fails after a switch,\n"
		"the node is put back on the generation it was on. Magic rollback: before\n"
		"activating, the node starts a detached dead-man switch; unless chimera confirms\n"
		"over a new SSH connection within --confirm-timeout, the node goes back to its\n"
		"previous generation by itself and is reported \"rolled back by the node\". Every\n"
		"step is recorded in the ledger (deploy.initiated ... chimera.deploy.complete).\n"
		"\n"
		"Without -c, --flake or --expect, each selected machine of chimera.toml gets its own\n"
		"configuration (its config + attr, or flake): each distinct one is built once and\n"
		"deployed to its machines as a deployment of its own, up to 4 at a time, their\n"
		"builds in parallel, --parallel shared between them.\n"
		"A machine's own profile, activation, checks and ssh_options (chimera.toml) apply\n"
		"to it unless --profile, --activate or --check (or CHIMERA_PROFILE, CHIMERA_ACTIVATION)\n"
		"set them for every node.\n"
		"Secrets: once `chimera secrets` has been used, each node gets the secrets granted\n"
		"to it in /run/chimera/secrets/NAME (mode 0400, owner: secrets_owner in chimera.toml)\n"
		"over its session, on stdin, before activation; ones no longer granted are removed.\n"
		"\n"
		"options:\n"
		SOURCE_OPTIONS_HELP
		"  --activate MODE          auto (the default, or [defaults] activation): PATH/bin/\n"
		"                           switch-to-configuration GOAL\n"
		"                           if present, else PATH/bin/activate if present, else\n"
		"                           nothing; none; or a shell command, run on the node with\n"
		"                           the store path as $1 and in CHIMERA_STORE_PATH, the goal\n"
		"                           in CHIMERA_GOAL\n"
		FLEET_GOAL_HELP
		"  --resume ID              re-run exactly the nodes of deployment ID that did not\n"
		"                           finish (not deployed and confirmed, per the ledger),\n"
		"                           with its store path, profile and activation; an\n"
		"                           unknown or finished ID is an error (exit 2)\n"
		"  --dry-run                build and check, report per node what would be copied\n"
		"                           and switched, change nothing\n"
		"  --diff                   with --dry-run: per node, the closure it runs (its\n"
		"                           profile's path, read on the node) against the one it\n"
		"                           would get: packages changed, added, removed, rebuilt,\n"
		"                           with NAR sizes (as chimera nix diff; \"diff\" in --json)\n"
		"  --repair                 first check the closure's files on each node\n"
		"                           (nix-store --verify-path) and restore each registered\n"
		"                           path whose files changed from this machine's copy\n"
		"                           (node.store.repaired); no binary cache needed\n"
		"  --confirm-timeout S      seconds a node waits, from its switch, for the\n"
		"                           confirmation before rolling back by itself (30)\n"
		"  --no-magic-rollback      arm no dead-man switch and confirm nothing\n"
		CHECK_OPTIONS_HELP
		"                           (run on each node after activation and confirmation)\n"
		"  --on-failure WHAT        when a check fails: rollback (default: back to the\n"
		"                           previous generation, activated) or keep\n"
		"  -s, --session NAME -- COMMAND...\n"
		"                           once a node is deployed, run COMMAND in the tmux\n"
		"                           session NAME there (socket 'chimera'), the new closure's\n"
		"                           bin first on PATH; a session of that name is replaced\n"
		"                           (see chimera run, sessions, attach)\n"

		FLEET_OPTIONS_HELP
		LEASE_OPTIONS_HELP
		"  --json                   one JSON document with every node's outcome\n"
		"\n"
		"Every node is deployed under its lease (docs/internals/leases.md): a node another\n"
		"operation holds past --lock-wait fails at step \"lease\", naming the holder, and is\n"
		"left alone. A dead holder's lease is taken over: lease.takeover, and its run is\n"
		"recorded as interrupted (deploy.interrupted) with where each node was left.\n"
		"\n"
		"While it builds, stderr shows the derivations: on a terminal a status line\n"
		"(built/in all, the one building, its last log line), otherwise a line per\n"
		"derivation started and finished, with its time; nothing with --json or -q.\n"
		"A failed build's error quotes the failed derivation's last log lines (up to\n"
		"25). As root without a nixbld group or a Nix daemon, builds pass --option\n"
		"build-users-group '' unless a nix.conf or NIX_CONFIG sets it (docs/deploy.md).\n"
		"\n"
		"With --server URL (or CHIMERA_SERVER) the server deploys, as a job (POST\n"
		"/api/v1/deployments), and this prints its report as a deploy here would, the\n"
		"nodes' steps on stderr meanwhile. -t names the server's machines, and -c FILE\n"
		"(absolute), --flake and --expect name what is on the server: it builds there.\n"
		"Not sent: --resume, --diff, -s, --on-failure keep, --check-timeout,\n"
		"--check-retries, --targets-file, --exclude, --stall-timeout, --activation-timeout\n"
		"(docs/client.md).\n"
		"\n"
		"exit status: 0 when every node is deployed, 3 when some are, 1 when none is\n"
		"(or the build failed), 2 for bad usage.\n",
	.exec = cmd_deploy_exec,
};
