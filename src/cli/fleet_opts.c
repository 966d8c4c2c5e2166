/* Options and set-up shared by the commands that work on a fleet (deploy, status, generations, rollback). */
#include "cli/fleet_opts.h"
#include "adapters/curl/http_curl.h"
#include "adapters/lab/lab.h"
#include "adapters/local/exec_local.h"
#include "adapters/nix/nix_cli.h"
#include "adapters/ssh/exec_ssh.h"
#include "app/deploy.h"
#include "util/fs.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_fleet_init(struct cli_fleet *f)
{
	memset(f, 0, sizeof(*f));
	f->profile = PROFILE_DEFAULT;
	f->parallel = FLEET_PARALLEL_DEFAULT;
	f->connect_timeout = 10;
	f->timeout = 600;
	target_list_init(&f->targets);
}

int cli_fleet_opt(struct cli_fleet *f, int c, const char *arg)
{
	int r = 0;

	switch (c) {
	case FLEET_OPT_TARGETS: f->spec = arg; break;
	case FLEET_OPT_EXCLUDE: f->exclude = arg; break;
	case FLEET_OPT_TARGETS_FILE: f->file = arg; break;
	case FLEET_OPT_PARALLEL:
		r = cli_int("--parallel", arg, 1, 4096, &f->parallel);
		f->set_parallel = true;
		break;
	case FLEET_OPT_CONNECT_TIMEOUT:
		r = cli_int("--connect-timeout", arg, 1, 3600, &f->connect_timeout);
		f->set_connect_timeout = true;
		break;
	case FLEET_OPT_TIMEOUT: r = cli_int("--timeout", arg, 1, 86400 * 7, &f->timeout); break;
	case FLEET_OPT_ACCEPT_NEW: f->accept_new = 1; break;
	case FLEET_OPT_PROFILE:
		if ((r = profile_path_check(arg)) == 0)
			f->profile = arg;
		f->set_profile = true;
		break;
	default: return 0;
	}
	return r < 0 ? r : 1;
}

/*
 * The fleet's node_settings: a machine's own profile and activation are the file's, so a
 * flag or a CHIMERA_* variable (which set them for every node) wins over them.
 */
static void target_settings(const struct target *t, const char **profile, const char **activate, void *arg)
{
	const struct cli_fleet *f = arg;
	const struct inv_machine *m = f->inv ? inventory_find_target(f->inv, t) : NULL;

	if (!m)
		return;
	*profile = inventory_profile(f->inv, m, f->set_profile ? f->profile : NULL);
	*activate = inventory_activation(f->inv, m, f->set_activate ? f->activate : NULL);
}

/* The exec_ssh_config target_config: the selected machine's own ssh config file, if it has one. */
static const char *target_ssh_conf(const struct target *t, void *arg)
{
	const struct cli_fleet *f = arg;
	const struct inv_machine *m = f->ssh_confs ? inventory_find_target(f->inv, t) : NULL;

	return m ? f->ssh_confs[m - f->inv->machines] : NULL;
}

/* Write STATE/ssh/NAME.conf for each selected machine with ssh_options. */
static int write_ssh_confs(struct cli *cli, const struct inventory *inv, struct cli_fleet *f)
{
	char dir[PATH_MAX], path[PATH_MAX + INV_NAME_MAX + 8];
	size_t i, k;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/ssh", cli->state_dir);
	for (i = 0; i < f->targets.n && r == 0; i++) {
		const struct inv_machine *m = inventory_find_target(inv, &f->targets.items[i]);
		struct buf conf = BUF_INIT(64 * 1024);

		if (!m || !m->nssh_options)
			continue;
		if (!f->ssh_confs && !(f->ssh_confs = calloc(inv->n, sizeof(*f->ssh_confs))))
			return err_set(ERR_NOMEM, "out of memory");
		snprintf(path, sizeof(path), "%s/%s.conf", dir, m->name);
		buf_printf(&conf, "# ssh_options of machine %s in %s, written by chimera\n", m->name, inv->path);
		for (k = 0; k < m->nssh_options; k++) {
			const char *o = m->ssh_options[k];
			size_t key = strcspn(o, "=");

			buf_printf(&conf, "%.*s %s\n", (int)key, o, o + key + 1);
		}
		if ((r = fs_mkdir_p(dir, 0700)) == 0 && (r = fs_write_file(path, conf.data, conf.len, 0600)) == 0 &&
		    !(f->ssh_confs[m - inv->machines] = strdup(path)))
			r = err_set(ERR_NOMEM, "out of memory");
		buf_release(&conf);
	}
	return r;
}

int cli_fleet_open(struct cli *cli, struct cli_fleet *f)
{
	struct exec_ssh_config scfg = { 0 };
	struct exec_local_config lcfg = { 0 };
	struct lab lab;
	char labcfg[PATH_MAX];
	const struct inventory *inv;
	int r;


	if ((r = cli_targets(cli, f->spec, f->exclude, f->file, &f->targets)) < 0 || (r = cli_inventory(cli, &inv)) < 0)
		return r;
	/* Flags first, then CHIMERA_* variables and the inventory's [defaults] (cli_inventory ranked those). */
	if (!f->set_profile)
		f->profile = inv->defaults.profile;
	if (!f->set_parallel)
		f->parallel = inv->defaults.parallel;
	if (!f->set_connect_timeout)
		f->connect_timeout = inv->defaults.connect_timeout;
	f->set_activate = f->activate != NULL;
	if (!f->activate)
		f->activate = inv->defaults.activation;
	if ((r = cli_state_dir(cli)) < 0 || (r = lab_open(&lab, cli->state_dir)) < 0)
		return r;
	scfg.config_file = lab_ssh_config(&lab, labcfg, sizeof(labcfg))[0] ? labcfg : NULL;
	scfg.connect_timeout_s = f->connect_timeout;
	scfg.timeout_s = f->timeout;
	scfg.accept_new_host_keys = f->accept_new;
	f->inv = inv;
	if ((r = write_ssh_confs(cli, inv, f)) < 0)
		return r;
	scfg.target_config = target_ssh_conf;
	scfg.target_config_arg = f;
	lcfg.timeout_s = f->timeout;
	if ((r = exec_ssh_new(&scfg, &f->fleet.ssh)) < 0 || (r = exec_local_new(&lcfg, &f->fleet.local)) < 0 ||
	    (r = cli_open_ledger(cli, &f->fleet.ledger)) < 0 || (r = http_curl_new(&f->fleet.http)) < 0)
		return r;
	f->fleet.parallel = (int)f->parallel;
	f->fleet.node_settings = target_settings;
	f->fleet.node_settings_arg = f;
	f->fleet.step_timeout_s = f->timeout;
	return 0;
}

void cli_fleet_close(struct cli_fleet *f)
{
	size_t i;

	if (f->fleet.ssh)
		f->fleet.ssh->ops->close(f->fleet.ssh);
	if (f->fleet.local)
		f->fleet.local->ops->close(f->fleet.local);
	ledger_close(f->fleet.ledger);
	http_close(f->fleet.http);
	target_list_release(&f->targets);
	for (i = 0; f->ssh_confs && f->inv && i < f->inv->n; i++)
		free(f->ssh_confs[i]);
	free(f->ssh_confs);
	f->ssh_confs = NULL;
	memset(&f->fleet, 0, sizeof(f->fleet));
}

static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int cli_machine_configs(struct cli *cli, const struct cli_fleet *f, const char *verb, struct nix_source **srcs,
			size_t *nsrcs, size_t **of)
{
	const struct inventory *inv;
	struct buf missing = BUF_INIT(4096);
	struct nix_source *s = NULL;
	size_t *idx = NULL, n = 0, nmissing = 0, i, j;
	int r;

	*srcs = NULL;
	*nsrcs = 0;
	*of = NULL;
	if ((r = cli_inventory(cli, &inv)) < 0)
		return r;
	s = calloc(f->targets.n ? f->targets.n : 1, sizeof(*s));
	idx = calloc(f->targets.n ? f->targets.n : 1, sizeof(*idx));
	if (!s || !idx) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < f->targets.n; i++) {
		const struct inv_machine *m = inventory_find_target(inv, &f->targets.items[i]);
		char name[TARGET_FORMAT_MAX];

		if (!m || (!m->config_file && !m->flake)) {
			if (nmissing++ < 5) {
				fleet_node_name(&f->targets.items[i], name, sizeof(name));
				buf_printf(&missing, "%s'%s'", nmissing > 1 ? ", " : "", m ? m->name : name);
			}
			continue;
		}
		for (j = 0; j < n && !(str_same(s[j].file, m->config_file) && str_same(s[j].attr, m->config_attr) &&
				       str_same(s[j].flake, m->flake));
		     j++)
			;
		if (j == n) {
			s[n].file = m->config_file;
			s[n].attr = m->config_attr;
			s[n].flake = m->flake;
			n++;
		}
		idx[i] = j;
	}
	if (nmissing) {
		r = err_set(ERR_INVALID,
			    "no configuration to %s %s%s: give -c FILE.nix or --flake REF#ATTR, or set config or flake for "
			    "%s in chimera.toml",
			    verb, missing.data, nmissing > 5 ? " and more" : "", nmissing > 1 ? "them" : "it");
		goto out;
	}
	*srcs = s;
	*nsrcs = n;
	*of = idx;
	s = NULL;
	idx = NULL;
out:
	free(s);
	free(idx);
	buf_release(&missing);
	return r;
}

int cli_node_opts(struct cli *cli, const struct cli_fleet *f, bool flag_checks, struct deploy_node_opts **out)
{
	const struct inventory *inv;
	struct deploy_node_opts *v = NULL;
	bool any = false;
	size_t i;
	int r;

	*out = NULL;
	if ((r = cli_inventory(cli, &inv)) < 0)
		return r;
	if (inv->n == 0 || flag_checks)
		return 0;
	if (!(v = calloc(f->targets.n ? f->targets.n : 1, sizeof(*v))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < f->targets.n; i++) {
		const struct inv_machine *m = inventory_find_target(inv, &f->targets.items[i]);

		if (m && m->nchecks) {
			v[i].checks = m->checks;
			v[i].nchecks = m->nchecks;
			any = true;
		}
	}
	if (!any) {
		free(v);
		v = NULL;
	}
	*out = v;
	return 0;
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

int cli_source_path(const struct cli_source *s, char out[STOREPATH_MAX])
{
	struct nix *nx;
	int r;

	if (s->expect) {
		snprintf(out, STOREPATH_MAX, "%s", s->expect);
		return 0;
	}
	if ((r = nix_cli_new(&nx)) < 0)
		return r;
	r = nx->ops->build(nx, &s->src, out, NULL);
	nx->ops->close(nx);
	return r;
}

enum cmd_status cli_deploy_open(struct cli *cli, struct cli_fleet *f, struct deploy_ctx *ctx, char *tmp)
{
	int r;

	if ((r = cli_fleet_open(cli, f)) < 0)
		return r == ERR_INVALID ? cli_usage(cli, "%s", err_msg()) : cli_fail(cli, CMD_ERROR, "%s", err_msg());
	snprintf(tmp, PATH_MAX, "%s/tmp", cli->state_dir);
	if (fs_mkdir_p(tmp, 0700) < 0 || nix_cli_new(&ctx->nix) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	ctx->fleet = f->fleet;
	return CMD_OK;
}
