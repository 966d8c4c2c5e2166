/* Options and set-up shared by the commands that work on a fleet (deploy, status, generations, rollback). */
#include "cli/fleet_opts.h"
#include "cli/check_opts.h"
#include "cli/progress.h"
#include "core/lease.h"
#include "app/fleet/deploy.h"
#include "util/fs.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

const struct option cli_fleet_options[] = {
	FLEET_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

const struct option cli_fleet_reach_options[] = {
	FLEET_REACH_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

const struct option cli_fleet_lease_options[] = {
	FLEET_REACH_OPTIONS,
	LEASE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

void cli_fleet_init(struct cli_fleet *f)
{
	memset(f, 0, sizeof(*f));
	world_reach_init(&f->reach);
	target_list_init(&f->targets);
	optind = 0;
	opterr = 0;
}

int cli_fleet_opt(struct cli_fleet *f, int c, const char *arg)
{
	int r = 0;

	switch (c) {
	case FLEET_OPT_TARGETS: f->spec = arg; break;
	case FLEET_OPT_EXCLUDE: f->exclude = arg; break;
	case FLEET_OPT_TARGETS_FILE: f->file = arg; break;
	case FLEET_OPT_PARALLEL:
		r = cli_int("--parallel", arg, 1, 4096, &f->reach.parallel);
		f->reach.set_parallel = true;
		break;
	case FLEET_OPT_CONNECT_TIMEOUT:
		r = cli_int("--connect-timeout", arg, 1, 3600, &f->reach.connect_timeout);
		f->reach.set_connect_timeout = true;
		break;
	case FLEET_OPT_LOCK_WAIT: r = cli_int("--lock-wait", arg, 0, LEASE_WAIT_MAX_S, &f->reach.lock_wait); break;
	case FLEET_OPT_TIMEOUT: r = cli_int("--timeout", arg, 1, 86400 * 7, &f->reach.timeout); break;
	case FLEET_OPT_ACCEPT_NEW: f->reach.accept_new = 1; break;
	case FLEET_OPT_ACTIVATE:
		if (!arg[0])
			return err_set(ERR_INVALID, "--activate needs auto, none or a command");
		f->reach.activate = arg;
		break;
	case FLEET_OPT_GOAL:
		if ((r = goal_parse(arg, &(enum goal){ GOAL_SWITCH })) < 0)
			return err_set(ERR_INVALID, "--goal: %s", err_msg());
		f->reach.goal = arg;
		break;
	case FLEET_OPT_SUDO: f->reach.sudo = 1; break;
	case FLEET_OPT_STALL_TIMEOUT: r = cli_int("--stall-timeout", arg, 0, 86400, &f->reach.stall_timeout); break;
	case FLEET_OPT_ACTIVATION_TIMEOUT:
		r = cli_int("--activation-timeout", arg, 1, 86400 * 7, &f->reach.activation_timeout);
		break;
	case FLEET_OPT_PROFILE:
		if ((r = profile_path_check(arg)) == 0)
			f->reach.profile = arg;
		f->reach.set_profile = true;
		break;
	default: return 0;
	}
	return r < 0 ? r : 1;
}

int cli_opts_next(const struct cli_opts *p, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, int *c)
{
	int r;

	while ((*c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if ((r = cli_fleet_opt(p->fleet, *c, optarg)) == 0 && p->source)
			r = cli_source_opt(p->source, *c, argc, argv);
		if (r == 0 && p->checks)
			r = cli_checks_opt(p->checks, *c, optarg);
		if (r == 0 && p->magic)
			r = cli_magic_opt(p->magic, *c, optarg);
		if (r < 0)
			return r;
		if (r == 0)
			return 1;
	}
	return 0;
}

int cli_magic_opt(struct cli_magic *m, int c, const char *arg)
{
	int r = 0;

	switch (c) {
	case MAGIC_OPT_CONFIRM_TIMEOUT: r = cli_int("--confirm-timeout", arg, 1, 3600, &m->confirm_s); break;
	case MAGIC_OPT_NO_MAGIC: m->off = true; break;
	default: return 0;
	}
	return r < 0 ? r : 1;
}

long cli_magic_confirm_s(const struct cli_magic *m)
{
	return m->off ? 0 : m->confirm_s ? m->confirm_s : 30;
}

enum cmd_status cli_fleet_opt_only(struct cli *cli, struct cli_fleet *f, int c, const char *arg, char **argv,
				   const struct option *longopts)
{
	int r = cli_fleet_opt(f, c, arg);

	if (r < 0)
		return cli_usage(cli, "%s", err_msg());
	if (r == 0)
		return cli_usage(cli, "%s", cli_bad_option(argv, longopts));
	return CMD_OK;
}

int cli_fleet_open(struct cli *cli, struct cli_fleet *f)
{
	int r;

	if ((r = cli_targets(cli, f->spec, f->exclude, f->file, &f->targets)) < 0 || (r = cli_state_dir(cli)) < 0)
		return r;
	return world_open_fleet(&cli->world, &f->reach, &f->targets, &f->w);
}

void cli_fleet_close(struct cli_fleet *f)
{
	world_fleet_close(&f->w);
	target_list_release(&f->targets);
}

enum cmd_status cli_fleet_status(size_t ok, size_t total)
{
	return ok == total ? CMD_OK : ok == 0 ? CMD_ERROR : CMD_PARTIAL;
}

int cli_source_opt(struct cli_source *s, int c, int argc, char **argv)
{
	struct nix_source *src = &s->src;

	switch (c) {
	case SOURCE_OPT_CONFIG: src->file = optarg; break;
	case SOURCE_OPT_ATTR: src->attr = optarg; break;
	case SOURCE_OPT_FLAKE: src->flake = optarg; break;
	case SOURCE_OPT_EXPECT: s->expect = optarg; break;
	case SOURCE_OPT_ARG:
	case SOURCE_OPT_ARGSTR:
		/* NAME is optarg, VALUE the next word. */
		if (optind >= argc)
			return err_set(ERR_INVALID, "--%s %s needs a VALUE", c == SOURCE_OPT_ARGSTR ? "argstr" : "arg",
				       optarg);
		if (src->nargs == NIX_ARGS_MAX)
			return err_set(ERR_INVALID, "more than %d --arg/--argstr", NIX_ARGS_MAX);
		src->args[src->nargs].is_str = c == SOURCE_OPT_ARGSTR;
		src->args[src->nargs].name = optarg;
		src->args[src->nargs].value = argv[optind++];
		src->nargs++;
		break;
	default: return 0;
	}
	return 1;
}

int cli_source_check(const struct cli_source *s)
{
	int given = !!s->expect + !!s->src.file + !!s->src.flake;

	if (given == 0) {
		if (s->src.attr || s->src.nargs)
			return err_set(ERR_INVALID, "-A, --arg and --argstr go with -c FILE.nix");
		return 0;
	}
	if (given > 1)
		return err_set(ERR_INVALID, "give only one of -c FILE.nix, --flake REF#ATTR and --expect STOREPATH");
	if (s->expect) {
		if (!storepath_valid(s->expect, strlen(s->expect)))
			return err_set(ERR_INVALID, "--expect '%s' is not a store path (/nix/store/HASH-NAME)", s->expect);
		if (s->src.attr || s->src.nargs)
			return err_set(ERR_INVALID, "-A, --arg and --argstr go with -c FILE.nix");
		return 1;
	}
	return nix_source_check(&s->src) < 0 ? ERR_INVALID : 1;
}

int cli_source_path(struct cli *cli, const struct cli_source *s, char out[STOREPATH_MAX])
{
	struct progress *prog;
	struct nix *nx;
	int r;

	if (s->expect) {
		snprintf(out, STOREPATH_MAX, "%s", s->expect);
		return 0;
	}
	if ((r = world_open_nix(&cli->world, &nx)) < 0)
		return r;
	prog = progress_start(progress_mode_for(cli->json, cli->quiet), 0);
	nix_watch(nx, progress_build, prog);
	r = nx->ops->build(nx, &s->src, out, NULL);
	progress_stop(prog);
	nx->ops->close(nx);
	return r;
}

enum cmd_status cli_deploy_open(struct cli *cli, struct cli_fleet *f, struct deploy_ctx *ctx, char *tmp)
{
	int r;

	if ((r = cli_fleet_open(cli, f)) < 0)
		return cli_fail_err(cli, r);
	if (world_spool_dir(&cli->world, tmp, PATH_MAX) < 0 || world_open_nix(&cli->world, &ctx->nix) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	ctx->fleet = f->w.fleet;
	return CMD_OK;
}

enum goal cli_fleet_goal(const struct cli_fleet *f)
{
	enum goal g = GOAL_SWITCH;

	if (f->reach.goal && goal_parse(f->reach.goal, &g) < 0)
		g = GOAL_SWITCH;
	return g;
}
