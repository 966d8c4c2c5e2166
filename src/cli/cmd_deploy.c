/* chimera deploy: build a configuration once and put every target on it. */
#include "app/deploy.h"
#include "adapters/openssl/cipher_openssl.h"
#include "app/fleet/secrets_push.h"
#include "app/sessions.h"
#include "cli/check_opts.h"
#include "cli/fleet_opts.h"
#include "cli/progress.h"
#include "cli/cli.h"
#include "util/err.h"
#include "util/pool.h"

#include <jansson.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What deploy does on each node's session around its steps: the secrets, the session. */
struct deploy_hooks {
	const struct inventory *inv;
	const struct fleet *fleet;
	struct secrets_store st;
	bool secrets;			/* the store is in use: push (and remove revoked ones) */
	const char *session;		/* -s SESSION, or NULL */
	const char *command;		/* its command */
};

/* Before activation: every secret granted to the node, and none that is not. */
static int hook_secrets(struct deploy_node *n, struct executor *ex, struct exec_session *s, void *arg)
{
	struct deploy_hooks *h = arg;
	struct secrets_push_report rep;
	char key[SECRETS_KEY_MAX + 1];
	int r;

	secrets_target_key(h->inv, &n->target, key, sizeof(key));
	r = secrets_push(&h->st, h->fleet, ex, s, key, secrets_owner_for(h->inv, &n->target), &rep, &n->fail);
	if (r < 0 && !n->fail.step)
		fleet_fail(&n->fail, "secrets", r);
	secrets_push_record(h->fleet->ledger, n->deployment, n->name, key, &rep, r < 0 ? &n->fail : NULL);
	secrets_push_report_release(&rep);
	return r;
}

/* After a node is deployed: -s SESSION -- CMD, in the new closure's PATH, replacing the last one. */
static int hook_session(struct deploy_node *n, struct executor *ex, struct exec_session *s, void *arg)
{
	struct deploy_hooks *h = arg;
	struct session_spec spec = { .name = h->session, .command = h->command, .path_dir = n->path, .replace = true };
	bool replaced = false;
	int r;

	r = sessions_start(ex, s, n->name, &spec, &replaced, &n->fail);
	if (r < 0 && !n->fail.step)
		fleet_fail(&n->fail, "session", r);
	if (h->fleet->ledger) {
		json_t *p = json_pack("{s:s, s:s, s:s, s:b, s:b, s:s}", "session", h->session, "command", h->command,
				      "path", n->path, "ok", r == 0, "replaced", replaced, "error",
				      r == 0 ? "" : n->fail.message);
		char *text = p ? json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

		ledger_append1(h->fleet->ledger, "session.start", n->deployment, n->name, text, NULL);
		free(text);
		json_decref(p);
	}
	return r;
}

/* One configuration's nodes: with machines' own configurations, one per distinct configuration. */
struct config_group {
	struct nix_source src;
	struct target_list targets;
	struct deploy_node_opts *nodes;		/* in the group's target order */
	size_t *slot;				/* each node's position in the whole selection */
	struct deploy_ctx ctx;
	struct deploy_opts opts;
	struct deploy_report rep;
	int err;				/* deploy_run's error: the build or the set-up */
	char msg[1024];
	struct progress *prog;			/* shared by the groups */
};

static void on_step(const struct deploy_node *n, void *arg)
{
	progress_step(arg, n->index, n->name, deploy_step_name(n->step), &n->sent);
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

static void on_done(const struct deploy_node *n, size_t done, size_t total, void *arg)
{
	char what[600];

	(void)done;
	(void)total;
	done_what(n, what, sizeof(what));
	progress_done(arg, n->index, n->name, n->outcome != OUTCOME_FAILED, what);
}

/* The progress of a group's node, in its slot of the whole selection. */
static void group_step(const struct deploy_node *n, void *arg)
{
	const struct config_group *g = arg;

	progress_step(g->prog, g->slot[n->index], n->name, deploy_step_name(n->step), &n->sent);
}

static void group_done(const struct deploy_node *n, size_t done, size_t total, void *arg)
{
	const struct config_group *g = arg;
	char what[600];

	(void)done;
	(void)total;
	done_what(n, what, sizeof(what));
	progress_done(g->prog, g->slot[n->index], n->name, n->outcome != OUTCOME_FAILED, what);
}

static const char *outcome_name(enum deploy_outcome o)
{
	switch (o) {
	case OUTCOME_DEPLOYED: return "deployed";
	case OUTCOME_PLANNED: return "planned";
	case OUTCOME_FAILED: return "failed";
	default: return "pending";
	}
}

static json_t *node_json(const struct deploy_node *n, const char *path)
{
	json_t *o = json_object(), *steps = json_object();
	int s;

	for (s = 0; s < STEP_COUNT; s++)
		if (n->step_ms[s] >= 0)
			json_object_set_new(steps, deploy_step_name(s), json_integer(n->step_ms[s]));
	json_object_set_new(o, "node", json_string(n->name));
	json_object_set_new(o, "outcome", json_string(outcome_name(n->outcome)));
	json_object_set_new(o, "previous", n->previous[0] ? json_string(n->previous) : json_null());
	json_object_set_new(o, "would_switch", json_boolean(strcmp(n->previous, path) != 0));
	json_object_set_new(o, "copy", json_pack("{s:I, s:I}", "paths", (json_int_t)n->copy_paths, "bytes",
						 (json_int_t)n->copy_bytes));
	json_object_set_new(o, "activation", n->activation[0] ? json_string(n->activation) : json_null());
	json_object_set_new(o, "steps_ms", steps);
	json_object_set_new(o, "ms", json_integer(n->ms));
	if (n->outcome == OUTCOME_FAILED) {
		json_object_set_new(o, "failed_step", json_string(n->fail.step));
		json_object_set_new(o, "status", n->fail.status >= 0 ? json_integer(n->fail.status) : json_null());
		json_object_set_new(o, "error", json_string(n->fail.message));
		json_object_set_new(o, "stderr_tail", json_string(n->fail.stderr_tail));
		json_object_set_new(o, "restored_previous", n->restored ? json_boolean(n->restored > 0) : json_null());
		json_object_set_new(o, "rolled_back_by_node", json_boolean(n->rolled_back_by_node));
		json_object_set_new(o, "restore_error", n->restored < 0 ? json_string(n->restore_error) : json_null());
	}
	return o;
}

static json_t *report_json(const struct deploy_report *rep, int dry_run)
{
	json_t *nodes = json_array();
	size_t i;

	for (i = 0; i < rep->n; i++)
		json_array_append_new(nodes, node_json(&rep->nodes[i], rep->path));
	return json_pack("{s:s, s:s, s:b, s:I, s:{s:I, s:I}, s:o, s:{s:I, s:I, s:I, s:I}}", "deployment", rep->id, "path",
			rep->path, "dry_run", dry_run, "build_ms", (json_int_t)rep->build_ms, "closure", "paths",
			(json_int_t)rep->closure_paths, "bytes", (json_int_t)rep->closure_bytes, "nodes", nodes, "summary",
			"nodes", (json_int_t)rep->n, "ok", (json_int_t)rep->ok, "failed", (json_int_t)rep->failed, "ms",
			(json_int_t)rep->ms);
}

static void print_tail(const char *tail)
{
	const char *p = tail;

	while (*p) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);

		printf("    ! %.*s\n", len, p);
		p += len + (nl ? 1 : 0);
	}
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
		printf("%-30s %-9s %-20s", n->name, outcome_name(n->outcome), n->step_ms[STEP_CHECK] >= 0 ? copied : "-");
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
		}
	}
	printf("%zu nodes: %zu %s, %zu failed in %.2fs (deployment %s)\n", rep->n, rep->ok,
	       dry_run ? "checked" : "deployed", rep->failed, rep->ms / 1000.0, rep->id);
}

static void groups_free(struct config_group *g, size_t n)
{
	size_t i;

	for (i = 0; g && i < n; i++) {
		target_list_release(&g[i].targets);
		free(g[i].nodes);
		free(g[i].slot);
		deploy_report_release(&g[i].rep);
	}
	free(g);
}

/* Add target I of F (machine M) to group G. */
static int group_add(struct config_group *g, const struct cli_fleet *f, const struct deploy_opts *o, size_t i)
{
	size_t k = g->targets.n;
	struct deploy_node_opts *nodes;
	size_t *slot;
	int r;

	if ((r = target_list_add(&g->targets, &f->targets.items[i])) < 0)
		return r;
	if (!(nodes = realloc(g->nodes, (k + 1) * sizeof(*nodes))))
		return err_set(ERR_NOMEM, "out of memory");
	g->nodes = nodes;
	if (!(slot = realloc(g->slot, (k + 1) * sizeof(*slot))))
		return err_set(ERR_NOMEM, "out of memory");
	g->slot = slot;
	memset(&g->nodes[k], 0, sizeof(g->nodes[k]));
	if (o->nodes)
		g->nodes[k] = o->nodes[i];
	g->slot[k] = i;
	return 0;
}

/*
 * Group the selected machines by their own configuration (config + attr, or flake) into
 * *OUT. A target that is no machine, or a machine without one, is ERR_INVALID naming them.
 */
static int group_machines(struct cli *cli, const struct cli_fleet *f, const struct deploy_opts *o,
			  struct config_group **out, size_t *nout)
{
	struct config_group *g = NULL;
	struct nix_source *srcs;
	size_t ng = 0, *of, i;
	int r;

	*out = NULL;
	*nout = 0;
	if ((r = cli_machine_configs(cli, f, "deploy to", &srcs, &ng, &of)) < 0)
		return r;
	if (!(g = calloc(ng ? ng : 1, sizeof(*g)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ng; i++) {
		g[i].src = srcs[i];
		target_list_init(&g[i].targets);
	}
	for (i = 0; i < f->targets.n; i++)
		if ((r = group_add(&g[of[i]], f, o, i)) < 0)
			goto out;
	*out = g;
	*nout = ng;
	g = NULL;
out:
	groups_free(g, ng);
	free(srcs);
	free(of);
	return r;
}

static void group_run(size_t i, void *arg)
{
	struct config_group *g = (struct config_group *)arg + i;

	if ((g->err = deploy_run(&g->ctx, &g->targets, &g->opts, &g->rep)) < 0)
		snprintf(g->msg, sizeof(g->msg), "%s", err_msg());
}

/*
 * Deploy every selected machine its own configuration: each group built once by its own
 * deploy_run, up to GROUPS_AT_ONCE of them at a time (their builds in parallel too), the
 * fleet's --parallel shared between them.
 */
#define GROUPS_AT_ONCE 4

static enum cmd_status deploy_groups(struct cli *cli, const struct cli_fleet *f, const struct deploy_ctx *ctx,
				     const struct deploy_opts *o)
{
	struct config_group *g = NULL;
	struct progress *prog;
	size_t ng = 0, i, k, ok = 0, total = 0;
	json_t *docs;
	int at_once, r;
	enum cmd_status st;

	if ((r = group_machines(cli, f, o, &g, &ng)) < 0)
		return r == ERR_INVALID ? cli_usage(cli, "%s", err_msg()) : cli_fail(cli, CMD_ERROR, "%s", err_msg());
	at_once = ng < GROUPS_AT_ONCE ? (int)ng : GROUPS_AT_ONCE;
	prog = progress_start(progress_mode_for(cli->json, cli->quiet), f->targets.n);
	for (i = 0; i < ng; i++) {
		g[i].ctx = *ctx;
		g[i].ctx.fleet.parallel = ctx->fleet.parallel / at_once > 0 ? ctx->fleet.parallel / at_once : 1;
		g[i].ctx.progress = (struct deploy_progress){ .step = group_step, .done = group_done, .arg = &g[i] };
		g[i].prog = prog;
		g[i].opts = *o;
		g[i].opts.source = &g[i].src;
		g[i].opts.nodes = g[i].nodes;
	}
	r = pool_run(ng, at_once, group_run, g);
	progress_stop(prog);
	if (r < 0) {
		groups_free(g, ng);
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	}
	docs = json_array();
	for (i = 0; i < ng; i++) {
		const struct config_group *c = &g[i];
		json_t *machines = json_array();

		for (k = 0; k < c->targets.n; k++) {
			char name[TARGET_FORMAT_MAX];

			fleet_node_name(&c->targets.items[k], name, sizeof(name));
			json_array_append_new(machines, json_string(name));
		}
		total += c->targets.n;
		ok += c->err ? 0 : c->rep.ok;
		if (cli->json) {
			json_array_append_new(docs, json_pack("{s:o, s:o, s:o, s:o}", "source", deploy_source_json(&c->src),
							      "nodes", machines, "error",
							      c->err ? json_string(c->msg) : json_null(), "deployment",
							      c->err ? json_null() : report_json(&c->rep, o->dry_run)));
			continue;
		}
		json_decref(machines);
		if (c->src.flake)
			printf("== configuration %s (%zu nodes)\n", c->src.flake, c->targets.n);
		else
			printf("== configuration %s%s%s (%zu nodes)\n", c->src.file, c->src.attr ? " -A " : "",
			       c->src.attr ? c->src.attr : "", c->targets.n);
		if (c->err) {
			printf("failed before any node: %s\n", c->msg);
			for (k = 0; k < c->targets.n; k++) {
				char name[TARGET_FORMAT_MAX];

				fleet_node_name(&c->targets.items[k], name, sizeof(name));
				printf("  %s: not deployed\n", name);
			}
		} else {
			print_text(&c->rep, o->dry_run);
		}
	}
	if (cli->json)
		cli_print_json(json_pack("{s:o, s:{s:I, s:I, s:I, s:I}}", "configurations", docs, "summary",
					 "configurations", (json_int_t)ng, "nodes", (json_int_t)total, "ok",
					 (json_int_t)ok, "failed", (json_int_t)(total - ok)));
	else {
		json_decref(docs);
		printf("%zu configurations, %zu nodes: %zu %s, %zu failed\n", ng, total, ok,
		       o->dry_run ? "checked" : "deployed", total - ok);
	}
	st = cli_fleet_status(ok, total);
	for (i = 0; i < ng; i++)
		if (!g[i].err && g[i].rep.ledger_err) {
			st = cli_fail(cli, CMD_ERROR, "the ledger did not take every event: %s", g[i].rep.ledger_msg);
			break;
		}
	groups_free(g, ng);
	return st;
}

/* A usage error once checks were being gathered: they are released first. */
static enum cmd_status usage_out(struct cli *cli, struct cli_checks *checks, const char *msg)
{
	cli_checks_release(checks);
	return cli_usage(cli, "%s", msg);
}

enum { OPT_ACTIVATE = 2000, OPT_DRY_RUN, OPT_CONFIRM_TIMEOUT, OPT_NO_MAGIC, OPT_ON_FAILURE };

static enum cmd_status cmd_deploy_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		FLEET_OPTIONS,
		SOURCE_OPTIONS,
		{ "activate", required_argument, NULL, OPT_ACTIVATE },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "confirm-timeout", required_argument, NULL, OPT_CONFIRM_TIMEOUT },
		{ "no-magic-rollback", no_argument, NULL, OPT_NO_MAGIC },
		{ "on-failure", required_argument, NULL, OPT_ON_FAILURE },
		{ "session", required_argument, NULL, 's' },
		CHECK_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_fleet f;
	struct cli_source cs = { 0 };
	struct deploy_opts o = { .source = &cs.src };
	struct cli_checks checks;
	char msg[300];
	long confirm = 30;
	int magic = 1;
	struct deploy_ctx ctx = { 0 };
	struct deploy_report rep = { 0 };
	struct progress *prog = NULL;
	char tmp[PATH_MAX] = "";
	const struct inventory *inv;
	struct deploy_node_opts *nodes = NULL;
	struct deploy_hooks hooks = { 0 };
	struct buf command = BUF_INIT(256 * 1024);
	char sdir[PATH_MAX + 16];
	struct stat sst;
	bool own_configs;
	enum cmd_status st = CMD_ERROR;
	int c, r;

	cli_fleet_init(&f);
	cli_checks_init(&checks);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+t:c:A:s:", opts, NULL)) != -1) {
		if ((r = cli_fleet_opt(&f, c, optarg)) < 0)
			return usage_out(cli, &checks, err_msg());
		if (r == 1)
			continue;
		if ((r = cli_source_opt(&cs, c, argc, argv)) < 0)
			return usage_out(cli, &checks, err_msg());
		if (r == 1)
			continue;
		if ((r = cli_checks_opt(&checks, c, optarg)) < 0)
			return usage_out(cli, &checks, err_msg());
		if (r == 1)
			continue;
		switch (c) {
		case OPT_ON_FAILURE:
			if (strcmp(optarg, "rollback") != 0 && strcmp(optarg, "keep") != 0)
				return usage_out(cli, &checks, "--on-failure: expected rollback or keep");
			o.keep_on_failure = strcmp(optarg, "keep") == 0;
			break;
		case OPT_ACTIVATE:
			if (!optarg[0])
				return usage_out(cli, &checks, "--activate needs auto, none or a command");
			f.activate = optarg;
			break;
		case OPT_DRY_RUN: o.dry_run = 1; break;
		case 's':
			if (sessions_name_check(optarg) < 0)
				return usage_out(cli, &checks, err_msg());
			hooks.session = optarg;
			break;
		case OPT_CONFIRM_TIMEOUT:
			if (cli_int("--confirm-timeout", optarg, 1, 3600, &confirm) < 0)
				return usage_out(cli, &checks, err_msg());
			break;
		case OPT_NO_MAGIC: magic = 0; break;
		default:
			snprintf(msg, sizeof(msg), "unknown option '%s'", argv[optind - 1]);
			return usage_out(cli, &checks, msg);
		}
	}
	if (optind < argc && !hooks.session) {
		snprintf(msg, sizeof(msg), "unexpected argument '%s' (a command goes after -s SESSION --)", argv[optind]);
		return usage_out(cli, &checks, msg);
	}
	if (hooks.session && optind >= argc)
		return usage_out(cli, &checks, "-s SESSION needs a command after '--'");
	if ((r = cli_source_check(&cs)) < 0)
		return usage_out(cli, &checks, err_msg());
	if (hooks.session) {
		for (c = optind; c < argc; c++)
			if ((c > optind && buf_addc(&command, ' ') < 0) || buf_adds(&command, argv[c]) < 0) {
				buf_release(&command);
				return usage_out(cli, &checks, "the session's command is too long");
			}
		hooks.command = command.data;
	}
	own_configs = r == 0;	/* none given: each machine's own from chimera.toml */
	o.expect = cs.expect;
	o.confirm_s = magic ? confirm : 0;
	cli_checks_finish(&checks);
	o.checks = checks.specs;
	o.nchecks = checks.n;
	if ((st = cli_deploy_open(cli, &f, &ctx, tmp)) != CMD_OK)
		goto out;
	/* After the inventory is read: its [defaults] come under the flags, each machine's settings over those. */
	o.profile = f.profile;
	o.activate = f.activate;
	o.tmp_dir = tmp;
	if ((r = cli_inventory(cli, &inv)) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (!checks.n) {
		o.checks = inv->defaults.checks;
		o.nchecks = inv->defaults.nchecks;
	}
	if ((r = cli_node_opts(cli, &f, checks.n > 0, &nodes)) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	o.nodes = nodes;
	/* Secrets go out once the store has been used (so revoked ones are removed too). */
	snprintf(sdir, sizeof(sdir), "%s/secrets", cli->state_dir);
	if (stat(sdir, &sst) == 0) {
		if ((r = secrets_open_read(&hooks.st, cli->state_dir, cipher_openssl())) < 0) {
			st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
			goto out;
		}
		hooks.secrets = true;
		o.before = hook_secrets;
	}
	hooks.inv = inv;
	hooks.fleet = &ctx.fleet;
	if (hooks.session)
		o.after = hook_session;
	o.hook_arg = &hooks;
	if (own_configs) {
		st = deploy_groups(cli, &f, &ctx, &o);
		goto out;
	}
	prog = progress_start(progress_mode_for(cli->json, cli->quiet), f.targets.n);
	ctx.progress = (struct deploy_progress){ .step = on_step, .done = on_done, .arg = prog };
	r = deploy_run(&ctx, &f.targets, &o, &rep);
	progress_stop(prog);
	if (r < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		cli_print_json(report_json(&rep, o.dry_run));
	else
		print_text(&rep, o.dry_run);
	if (rep.ledger_err) {
		st = cli_fail(cli, CMD_ERROR, "the ledger did not take every event: %s", rep.ledger_msg);
		goto out;
	}
	st = cli_fleet_status(rep.ok, rep.n);
out:
	deploy_report_release(&rep);
	if (ctx.nix)
		ctx.nix->ops->close(ctx.nix);
	if (hooks.secrets)
		secrets_close(&hooks.st);
	cli_fleet_close(&f);
	cli_checks_release(&checks);
	buf_release(&command);
	free(nodes);
	return st;
}

const struct cmd_entry cmd_deploy_entry = {
	.name = "deploy",
	.summary = "build a Nix configuration once and switch every target to it",
	.usage = "chimera deploy (-t TARGETS | --targets-file FILE)\n"
		 "                      [-c FILE.nix [-A ATTR] [--arg NAME VALUE] [--argstr NAME VALUE]\n"
		 "                       | --flake REF#ATTR | --expect STOREPATH]\n"
		 "                      [--profile PATH] [--activate auto|none|CMD] [--parallel N]\n"
		 "                      [--dry-run] [--confirm-timeout S | --no-magic-rollback]\n"
		 "                      [--check SPEC]... [--on-failure rollback|keep]\n"
		 "                      [-s SESSION -- COMMAND...]\n"
		 "                      [--connect-timeout S] [--timeout S] [--accept-new-host-keys]",
	.help = "Builds the configuration once on this machine (nix-build, or `nix build` for a\n"
		"flake), then on every target in parallel, over one SSH session per node:\n"
		"  check     read the node's profile and find which closure paths it lacks\n"
		"  copy      stream only those paths (nix-store --export | --import)\n"
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
		"                           switch-to-configuration switch\n"
		"                           if present, else PATH/bin/activate if present, else\n"
		"                           nothing; none; or a shell command, run on the node with\n"
		"                           the store path as $1 and in CHIMERA_STORE_PATH\n"
		"  --dry-run                build and check, report per node what would be copied\n"
		"                           and switched, change nothing\n"
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
		"  --json                   one JSON document with every node's outcome\n"
		"\n"
		"exit status: 0 when every node is deployed, 3 when some are, 1 when none is\n"
		"(or the build failed), 2 for bad usage.\n",
	.exec = cmd_deploy_exec,
};
