/* chimera pipeline: simulate, heal, certify, deploy what is certified, verify, roll back on failure. */
#include "app/pipeline/pipeline_project.h"
#include "platform/platform.h"
#include "platform/sim.h"
#include "cli/check_opts.h"
#include "cli/cli.h"
#include "cli/fleet_opts.h"
#include "cli/progress.h"
#include "util/err.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

enum {
	OPT_PLATFORM = 2500,
	OPT_NO_HEAL,
	OPT_DRY_RUN,
	OPT_HOOK,
	OPT_ROLLBACK_HOOK,
	OPT_HOOK_TIMEOUT,
	OPT_HOOK_RETRIES,
	OPT_HOOK_BACKOFF,
	OPT_VERIFY_WAIT,
	OPT_CERT,
};

/* Live progress on stderr: the states as they are entered. */
static void on_state(const struct pipeline *p, void *arg)
{
	struct cli *cli = arg;

	if (cli->json || cli->quiet || p->state == PL_IDLE)
		return;
	fprintf(stderr, "pipeline %s: %s\n", p->id, pipeline_state_name(p->state));
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static long long num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static void print_simulation(const json_t *j)
{
	const json_t *counts = json_object_get(j, "counts");

	if (!j || json_is_null(j)) {
		printf("failed\n");
		return;
	}
	printf("%s: %lld critical, %lld high, %lld medium, %lld low%s%s\n",
	       json_is_true(json_object_get(j, "passed")) ? "passed" : "did not pass", num(counts, "critical"),
	       num(counts, "high"), num(counts, "medium"), num(counts, "low"), str(j, "built")[0] ? "; built " : "",
	       str(j, "built"));
}

static void print_healing(const json_t *j)
{
	printf("%zu fix%s tried, %s%s\n", json_array_size(json_object_get(j, "actions")),
	       json_array_size(json_object_get(j, "actions")) == 1 ? "" : "es",
	       json_is_true(json_object_get(json_object_get(j, "after"), "passed")) ? "passes now" : "still fails",
	       json_is_true(json_object_get(j, "written")) ? "; written, the original kept as .bak" : "");
	if (str(j, "diff")[0])
		printf("%s", str(j, "diff"));
}

static void print_certification(const json_t *j)
{
	if (json_is_true(json_object_get(j, "certified")))
		printf("certified, key %s: %s\n", str(json_object_get(j, "content"), "key_id"), str(j, "file"));
	else
		printf("%s\n", str(j, "note")[0] ? str(j, "note") : "not certified");
}

static void print_deploy(const json_t *j)
{
	const json_t *h = json_object_get(j, "hook"), *n;
	size_t i;

	if (h) {
		printf("POST %s: %s after %lld attempt%s\n", str(h, "url"), str(h, "detail"), num(h, "attempts"),
		       num(h, "attempts") == 1 ? "" : "s");
	} else if (json_object_get(j, "would_post")) {
		printf("dry run: would POST to %s\n",
		       json_is_null(json_object_get(j, "would_post")) ? "(no hook given)" : str(j, "would_post"));
	} else if (json_object_get(j, "nodes")) {
		printf("%s on %zu nodes: %lld ok, %lld failed, %lld switched\n", str(j, "path"),
		       json_array_size(json_object_get(j, "nodes")), num(j, "ok"), num(j, "failed"), num(j, "changed"));
		json_array_foreach (json_object_get(j, "nodes"), i, n)
			if (str(n, "error")[0])
				printf("      %s: %s\n", str(n, "node"), str(n, "error"));
	} else {
		printf("not deployed\n");
	}
}

static void print_verify(const json_t *j)
{
	const json_t *c, *n;
	size_t i, k;

	printf("%s\n", json_is_true(json_object_get(j, "passed")) ? "passed" : "FAILED");
	json_array_foreach (json_object_get(j, "checks"), i, c)
		printf("      %s %s: %s\n", json_is_true(json_object_get(c, "ok")) ? "ok  " : "FAIL", str(c, "check"),
		       str(c, "detail"));
	json_array_foreach (json_object_get(j, "nodes"), k, n)
		json_array_foreach (json_object_get(n, "checks"), i, c)
			printf("      %s %s %s: %s\n", json_is_true(json_object_get(c, "ok")) ? "ok  " : "FAIL",
			       str(n, "node"), str(c, "check"), str(c, "detail"));
}

static void print_rollback(const json_t *j)
{
	if (json_object_get(j, "hook"))
		printf("POST %s: %s\n", str(json_object_get(j, "hook"), "url"), str(json_object_get(j, "hook"), "detail"));
	else
		printf("%lld node%s back on their previous generation\n", num(j, "switched"),
		       num(j, "switched") == 1 ? "" : "s");
}

/* One line per state passed through, from its report. */
static void print_state(const struct pipeline *p, enum pipeline_state s)
{
	const json_t *st = p->stages;

	printf("  %-11s %7.2fs  ", pipeline_state_name(s), p->state_ms[s] / 1000.0);
	switch (s) {
	case PL_SIMULATING: print_simulation(json_object_get(st, "simulation")); break;
	case PL_HEALING: print_healing(json_object_get(st, "healing")); break;
	case PL_CERTIFYING: print_certification(json_object_get(st, "certification")); break;
	case PL_DEPLOYING: print_deploy(json_object_get(st, "deploy")); break;
	case PL_VERIFYING: print_verify(json_object_get(st, "verify")); break;
	case PL_ROLLBACK: print_rollback(json_object_get(st, "rollback")); break;
	default: printf("\n");
	}
}

static void print_text(const struct pipeline *p, const char *platform, const char *dir)
{
	size_t i;

	printf("pipeline %s (%s, %s): %s in %.2fs%s\n", p->id, platform, dir, pipeline_state_name(p->state), p->ms / 1000.0,
	       p->flags.dry_run ? " (dry run)" : "");
	for (i = 1; i < p->npath; i++)
		if (p->path[i] != PL_SUCCESS && p->path[i] != PL_REJECTED)
			print_state(p, p->path[i]);
	if (p->reason[0])
		printf("  reason: %s\n", p->reason);
}

/* Everything the command line says, and the buffers the request points into. */
struct pl_args {
	struct pipeline_request rq;
	struct cli_fleet f;
	struct cli_source cs;
	struct cli_checks checks;
	const char *cert;
	struct cli_magic magic;
	char certbuf[PATH_MAX], dirbuf[PATH_MAX], tmp[PATH_MAX], nixfile[PATH_MAX], name[PATH_MAX];
};

static void args_init(struct pl_args *a)
{
	memset(a, 0, sizeof(*a));
	cli_fleet_init(&a->f);
	cli_checks_init(&a->checks);
	a->rq.hook = (struct hook_opts){ .timeout_ms = HOOK_TIMEOUT_MS, .retries = HOOK_RETRIES,
					 .backoff_ms = HOOK_BACKOFF_MS };
	a->rq.hook_url = getenv("CHIMERA_BUILD_HOOK");
	a->rq.rollback_hook_url = getenv("CHIMERA_ROLLBACK_HOOK");
	if (a->rq.hook_url && !a->rq.hook_url[0])
		a->rq.hook_url = NULL;
	if (a->rq.rollback_hook_url && !a->rq.rollback_hook_url[0])
		a->rq.rollback_hook_url = NULL;
}

static void args_release(struct pl_args *a)
{
	cli_fleet_close(&a->f);
	cli_checks_release(&a->checks);
}

/* The command's options: parse_args reads them, and the bad one is named from them. */
static const struct option options[] = {
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "no-heal", no_argument, NULL, OPT_NO_HEAL },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "hook", required_argument, NULL, OPT_HOOK },
	{ "rollback-hook", required_argument, NULL, OPT_ROLLBACK_HOOK },
	{ "hook-timeout", required_argument, NULL, OPT_HOOK_TIMEOUT },
	{ "hook-retries", required_argument, NULL, OPT_HOOK_RETRIES },
	{ "hook-backoff-ms", required_argument, NULL, OPT_HOOK_BACKOFF },
	{ "verify-wait", required_argument, NULL, OPT_VERIFY_WAIT },
	{ "cert", required_argument, NULL, OPT_CERT },
	FLEET_ACTIVATE_OPTION,
	MAGIC_OPTIONS,
	FLEET_OPTIONS,
	SOURCE_OPTIONS,
	CHECK_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* The options of pipeline's own, C with optarg. Returns CMD_OK, or a usage error printed. */
static enum cmd_status own_opt(struct cli *cli, struct pl_args *a, int c, char **argv)
{
	long v;

	switch (c) {
	case OPT_PLATFORM: a->rq.platform = optarg; break;
	case OPT_NO_HEAL: a->rq.no_heal = true; break;
	case OPT_DRY_RUN: a->rq.dry_run = true; break;
	case OPT_HOOK: a->rq.hook_url = optarg; break;
	case OPT_ROLLBACK_HOOK: a->rq.rollback_hook_url = optarg; break;
	case OPT_CERT: a->cert = optarg; break;
	case OPT_HOOK_TIMEOUT:
		if (cli_int("--hook-timeout", optarg, 1, 3600, &v) < 0)
			return cli_usage(cli, "%s", err_msg());
		a->rq.hook.timeout_ms = v * 1000;
		break;
	case OPT_HOOK_RETRIES:
		if (cli_int("--hook-retries", optarg, 0, 20, &v) < 0)
			return cli_usage(cli, "%s", err_msg());
		a->rq.hook.retries = (int)v;
		break;
	case OPT_HOOK_BACKOFF:
		if (cli_int("--hook-backoff-ms", optarg, 0, 600000, &v) < 0)
			return cli_usage(cli, "%s", err_msg());
		a->rq.hook.backoff_ms = v;
		break;
	case OPT_VERIFY_WAIT:
		if (cli_int("--verify-wait", optarg, 0, 3600, &v) < 0)
			return cli_usage(cli, "%s", err_msg());
		a->rq.verify_wait_ms = v * 1000;
		break;
	default: return cli_usage(cli, "%s", cli_bad_option(argv, options));
	}
	return CMD_OK;
}

static enum cmd_status parse_args(struct cli *cli, struct pl_args *a, int argc, char **argv)
{
	const struct cli_opts shared = { &a->f, &a->cs, &a->checks, &a->magic };
	enum cmd_status st;
	int c, r;

	while ((r = cli_opts_next(&shared, argc, argv, "t:c:A:", options, &c)) > 0)
		if ((st = own_opt(cli, a, c, argv)) != CMD_OK)
			return st;
	if (r < 0)
		return cli_usage(cli, "%s", err_msg());
	if (optind < argc)
		a->rq.dir = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (!pipeline_platform_known(a->rq.platform))
		return cli_usage(cli, "%s", "give --platform netlify, render or nix");
	cli_checks_finish(&a->checks);
	a->rq.checks = a->checks.specs;
	a->rq.nchecks = a->checks.n;
	return CMD_OK;
}

/* netlify and render: a hook to POST to, checks from here, and the configuration file in DIR. */
static enum cmd_status check_web(struct cli *cli, struct pl_args *a)
{
	struct pipeline_request *rq = &a->rq;
	char path[PATH_MAX];
	const char *cf;
	size_t i;

	if (a->f.spec || a->f.file || a->cs.src.file || a->cs.src.flake || a->cs.expect || a->cs.src.attr)
		return cli_usage(cli, "%s", "-t, -c, -A, --flake and --expect go with --platform nix; netlify and render "
					     "deploy through --hook");
	if (!rq->hook_url && !rq->dry_run)
		return cli_usage(cli, "%s", "give --hook URL (or set CHIMERA_BUILD_HOOK) to deploy");
	if ((rq->hook_url && hook_url_check(rq->hook_url) < 0) ||
	    (rq->rollback_hook_url && hook_url_check(rq->rollback_hook_url) < 0))
		return cli_usage(cli, "%s", err_msg());
	for (i = 0; i < rq->nchecks; i++)
		if (strstr(rq->checks[i].text, HEALTH_HOST_PLACEHOLDER))
			return cli_usage(cli, "--check '%s': {host} stands for a node, and netlify and render have none; "
					      "write the site's address", rq->checks[i].text);
	if (!rq->dir)
		rq->dir = ".";
	cf = sim_config_file(rq->platform);
	snprintf(path, sizeof(path), "%s/%s", rq->dir, cf);
	if (access(path, R_OK) < 0)
		return cli_fail(cli, CMD_USAGE, "no %s: '%s' does not exist", cf, path);
	return CMD_OK;
}

/* nix: targets, and a Nix file (-c FILE, else DIR/default.nix) that sits in the project directory. */
static enum cmd_status check_nix(struct cli *cli, struct pl_args *a)
{
	struct pipeline_request *rq = &a->rq;
	char d[PATH_MAX], b[PATH_MAX], base[PATH_MAX];

	if (rq->hook_url && getenv("CHIMERA_BUILD_HOOK") != rq->hook_url)
		return cli_usage(cli, "%s", "--hook goes with netlify and render; nix deploys to -t TARGETS");
	if (rq->rollback_hook_url && getenv("CHIMERA_ROLLBACK_HOOK") != rq->rollback_hook_url)
		return cli_usage(cli, "%s", "--rollback-hook goes with netlify and render; nix rolls back the nodes itself");
	rq->hook_url = rq->rollback_hook_url = NULL;
	if (a->cs.src.flake || a->cs.expect)
		return cli_usage(cli, "%s", "the nix pipeline builds a file: give -c FILE.nix [-A ATTR] (not --flake or "
					     "--expect: a certificate covers the file it was built from)");
	if (!a->f.spec && !a->f.file)
		return cli_usage(cli, "%s", "give -t TARGETS or --targets-file FILE to deploy to");
	if (a->cs.src.file) {
		snprintf(a->nixfile, sizeof(a->nixfile), "%s", a->cs.src.file);
		if (!rq->dir) {
			snprintf(a->dirbuf, sizeof(a->dirbuf), "%s", a->cs.src.file);
			rq->dir = dirname(a->dirbuf);
		}
	} else {
		snprintf(a->nixfile, sizeof(a->nixfile), "%s/default.nix", rq->dir ? rq->dir : ".");
		if (!rq->dir)
			rq->dir = ".";
	}
	snprintf(base, sizeof(base), "%s", a->nixfile);
	snprintf(a->name, sizeof(a->name), "%s", basename(base));
	snprintf(b, sizeof(b), "%s", a->nixfile);
	if (access(a->nixfile, R_OK) < 0)
		return cli_fail(cli, CMD_USAGE, "no Nix configuration: '%s' does not exist", a->nixfile);
	if (!realpath(dirname(b), d) || !realpath(rq->dir, b) || strcmp(d, b) != 0)
		return cli_usage(cli, "'%s' must be in the project directory (the certificate covers the files there)",
				 a->nixfile);
	a->cs.src.file = a->nixfile;
	rq->nix_file = a->nixfile;
	rq->nix_name = a->name;
	if (cli_source_check(&a->cs) < 0)
		return cli_usage(cli, "%s", err_msg());
	return CMD_OK;
}

/* What the exit status says of a run that reached a final state. */
static enum cmd_status run_status(struct cli *cli, const struct pipeline *p)
{
	if (p->ledger_err)
		return cli_fail(cli, CMD_ERROR, "the ledger did not take every event: %s", p->ledger_msg);
	if (p->state == PL_SUCCESS)
		return CMD_OK;
	if (p->state == PL_ROLLBACK && p->rollback_failed)
		return CMD_ERROR;
	return CMD_PARTIAL;
}

/* Open what the platform runs on (from the world), run, and report. */
static enum cmd_status open_and_run(struct cli *cli, struct pl_args *a)
{
	struct pipeline_parts parts = { 0 };
	struct deploy_ctx ctx = { 0 };
	struct pipeline p = { 0 };
	struct progress *prog = NULL;
	enum cmd_status st = CMD_ERROR;
	bool nix = platform_builds(platform_find(a->rq.platform));
	int r;

	if (world_open_signer(&cli->world, &parts.signer) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (nix) {
		if ((st = cli_deploy_open(cli, &a->f, &ctx, a->tmp)) != CMD_OK)
			goto out;
		parts.deploy = &ctx;
		parts.ledger = a->f.w.fleet.ledger;
		parts.http = a->f.w.fleet.http;
		a->rq.targets = &a->f.targets;
		a->rq.source = &a->cs.src;
		a->rq.profile = a->f.reach.profile;
		a->rq.activate = a->f.reach.activate;
		a->rq.goal = cli_fleet_goal(&a->f);
		a->rq.confirm_s = cli_magic_confirm_s(&a->magic);
		a->rq.tmp_dir = a->tmp;
	} else {
		if (cli_open_ledger(cli, &parts.ledger) < 0) {
			st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
			goto out;
		}
		if (world_open_executor(&cli->world, "local", 600, &parts.local) < 0)
			parts.local = NULL;
		if (world_open_http(&cli->world, &parts.http) < 0)
			parts.http = NULL;
	}
	a->rq.on_state = on_state;
	a->rq.arg = cli;
	/* The build's derivations as plain lines, between the state lines. */
	if (ctx.nix) {
		prog = progress_start(cli->json || cli->quiet ? PROGRESS_OFF : PROGRESS_LINES, 0);
		nix_watch(ctx.nix, progress_build, prog);
	}
	r = pipeline_project(&parts, &a->rq, &p);
	if (ctx.nix)
		nix_watch(ctx.nix, NULL, NULL);
	progress_stop(prog);
	if (r < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
	} else {
		if (cli->json)
			cli_print_json(pipeline_json(&p));
		else
			print_text(&p, a->rq.platform, a->rq.dir);
		st = run_status(cli, &p);
	}
	pipeline_release(&p);
out:
	if (!nix) {
		ledger_close(parts.ledger);
		http_close(parts.http);
	}
	if (parts.local)
		parts.local->ops->close(parts.local);
	if (ctx.nix)
		ctx.nix->ops->close(ctx.nix);
	signer_close(parts.signer);
	return st;
}

static enum cmd_status cmd_pipeline_exec(struct cli *cli, int argc, char **argv)
{
	struct pl_args a;
	enum cmd_status st;

	args_init(&a);
	if ((st = parse_args(cli, &a, argc, argv)) != CMD_OK)
		goto out;
	st = platform_builds(platform_find(a.rq.platform)) ? check_nix(cli, &a) : check_web(cli, &a);
	if (st != CMD_OK)
		goto out;
	if (cli_state_dir(cli) < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (!a.cert) {
		snprintf(a.certbuf, sizeof(a.certbuf), "%s/chimera-certificate.json", a.rq.dir);
		a.cert = a.certbuf;
	}
	a.rq.cert_file = a.cert;
	st = open_and_run(cli, &a);
out:
	args_release(&a);
	return st;
}

const struct cmd_entry cmd_pipeline_entry = {
	.name = "pipeline",
	.summary = "simulate, heal, certify, deploy only what is certified, verify, roll back on failure",
	.usage = "chimera pipeline --platform netlify|render [DIR] [--hook URL] [--rollback-hook URL]\n"
		 "                        [--check SPEC]... [--no-heal] [--dry-run] [--json]\n"
		 "       chimera pipeline --platform nix [DIR] [-c FILE.nix [-A ATTR]] (-t TARGETS | --targets-file F)\n"
		 "                        [--check SPEC]... [--no-heal] [--dry-run] [--json]",
	.help = "Runs the state machine IDLE -> SIMULATING -> HEALING -> CERTIFYING -> DEPLOYING ->\n"
		"VERIFYING, ending in SUCCESS, REJECTED or ROLLBACK:\n"
		"  SIMULATING  netlify/render: the rules of `chimera simulate`; nix: build the file\n"
		"              (it must parse, evaluate and build)\n"
		"  HEALING     only when the simulation did not pass and heal has a fix for what\n"
		"              blocks it: the fixes of `chimera heal`, written with a .bak when the\n"
		"              healed file passes\n"
		"  CERTIFYING  the four checks of `chimera certify`; the signed certificate is\n"
		"              written (nix: it names the store path built)\n"
		"  DEPLOYING   first the certificate is checked again against the files: nothing\n"
		"              uncertified is deployed. netlify/render: POST to the build hook,\n"
		"              retried with back-off on connection errors, timeouts, 408, 429 and\n"
		"              5xx; nix: `chimera deploy` of the certified store path to TARGETS\n"
		"  VERIFYING   the --check health checks (nix: on every node deployed)\n"
		"  ROLLBACK    on a failed check (or nodes that failed mid-deploy), nix puts every\n"
		"              node it switched back on its previous generation; netlify/render\n"
		"              POST to --rollback-hook. Without one the result is REJECTED: the\n"
		"              deploy stays live and the report says so.\n"
		"Every step is an event under one deployment id: deploy.initiated,\n"
		"chimera.simulate.start/.complete, deploy.heal.intent/.complete, deploy.certified,\n"
		"chimera.deploy.start/.complete, chimera.verify.complete, chimera.rollback.triggered,\n"
		"pipeline.state at each transition and pipeline.complete. Hook URLs are recorded\n"
		"with their secret parts masked.\n"
		"\n"
		"options:\n"
		"  --platform NAME          netlify, render or nix\n"
		"  --no-heal                reject what does not pass instead of healing it\n"
		"  --dry-run                simulate, heal and check in memory, write nothing, sign\n"
		"                           nothing, POST nothing (nix: deploy --dry-run)\n"
		"  --cert FILE              where the certificate goes (DIR/chimera-certificate.json)\n"
		"  --hook URL               the build hook (or CHIMERA_BUILD_HOOK)\n"
		"  --rollback-hook URL      POSTed when verification fails (or CHIMERA_ROLLBACK_HOOK)\n"
		"  --hook-timeout S         per attempt (default 30)\n"
		"  --hook-retries N         attempts after a failed first one (default 3)\n"
		"  --hook-backoff-ms MS     the first pause between attempts; it doubles (1000)\n"
		"  --verify-wait S          wait S seconds after the hook before checking (0)\n"
		CHECK_OPTIONS_HELP
		"                           (netlify/render: from here, no {host})\n"
		"nix only:\n"
		"  -c, --config FILE.nix    the file to build (default DIR/default.nix); DIR\n"
		"                           defaults to its directory\n"
		"  -A, --attr ATTR          the attribute to build\n"
		"  --arg NAME VALUE, --argstr NAME VALUE   arguments for FILE.nix\n"
		"  --activate MODE, --goal GOAL, --activation-timeout S, --confirm-timeout S,\n"
		"  --no-magic-rollback      as for deploy\n"
		FLEET_OPTIONS_HELP
		"  --json                   one JSON document: the states, the reason and each\n"
		"                           state's report\n"
		"\n"
		"exit status: 0 SUCCESS, 3 REJECTED or ROLLBACK (the rollback worked), 1 when a\n"
		"rollback failed or the ledger did not take an event, 2 for bad usage or no\n"
		"configuration.\n",
	.exec = cmd_pipeline_exec,
};
