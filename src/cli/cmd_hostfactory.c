/* chimera hostfactory: the Symphony HostFactory provider's five operations, one subcommand each. */
#include "app/hostfactory/hostfactory.h"
#include "cli/cli.h"
#include "runtime/hostfactory.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* The failure shape on stdout (HostFactory reads it) and the message on stderr; ST returned. */
static enum cmd_status fail_shape(struct cli *cli, enum cmd_status st, const char *msg)
{
	char *doc = NULL;

	if (hf_render_failure(msg, &doc) == 0 && doc) {
		printf("%s\n", doc);
		free(doc);
	}
	return st == CMD_USAGE ? cli_usage(cli, "%s", msg) : cli_fail(cli, st, "%s", msg);
}

/* hf_call.configured: the provider config's chimera settings under the flags (state dir, ledger, log level). */
static void apply_config(const struct hf_config *cfg, void *arg)
{
	struct cli *cli = arg;
	enum log_level lvl;

	if (!cli->state_dir_opt && cfg->state_dir[0])
		cli->world.opt.state_dir = cfg->state_dir;
	if (!cli->ledger_opt && cfg->ledger[0])
		cli->world.opt.ledger = cfg->ledger;
	if (cfg->log_level[0] && log_level_parse(cfg->log_level, &lvl) == 0) {
		cli->log.level = lvl;
		log_setup(&cli->log);
	}
}

struct hf_args {
	const char *file;	/* -f FILE */
	const char *confdir;	/* --confdir DIR, else $HF_PROVIDER_CONFDIR */
};

static enum cmd_status parse(struct cli *cli, const struct hf_op *op, int argc, char **argv, struct hf_args *a)
{
	static const struct option options[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "confdir", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+f:", options, NULL)) != -1) {
		if (c == 'f')
			a->file = optarg;
		else if (c == 'C')
			a->confdir = optarg;
		else
			return fail_shape(cli, CMD_USAGE, cli_bad_option(argv, options));
	}
	if (optind < argc)
		return fail_shape(cli, CMD_USAGE, "unexpected argument: the input goes in a file given with -f FILE");
	if (op->input && !a->file)
		return fail_shape(cli, CMD_USAGE, "missing -f FILE: the operation's input file");
	if (!a->confdir)
		a->confdir = getenv("HF_PROVIDER_CONFDIR");
	if (!a->confdir || !*a->confdir)
		return fail_shape(cli, CMD_USAGE, "no provider configuration: set HF_PROVIDER_CONFDIR (or --confdir DIR)"
						  " to the directory holding " HF_TEMPLATES_FILE);
	return CMD_OK;
}

static enum cmd_status hostfactory_exec(struct cli *cli, int argc, char **argv)
{
	const struct hf_op *op = hf_op_find(argv[0]);
	struct buf input = BUF_INIT(0);
	struct hf_report rep = { 0 };
	/* CALL outlives the run: the world's options may point into its config. */
	struct hf_call call = { .configured = apply_config, .arg = cli };
	struct hf_args a;
	enum cmd_status st;
	int r;

	if (!op)
		return cmd_subs_unknown(cli, argc, argv);
	/* The reply is JSON already (--json changes nothing): one document on stdout, errors too. */
	cli->json = false;
	if ((st = parse(cli, op, argc, argv, &a)) != CMD_OK)
		return st;
	if (op->input && fs_read_file(a.file, &input) < 0)
		return fail_shape(cli, CMD_USAGE, err_msg());
	call.confdir = a.confdir;
	r = hf_run(&cli->world, op, &call, input.data ? input.data : "", input.len, &rep);
	if (rep.json)
		printf("%s\n", rep.json);
	if (r == 0)
		st = CMD_OK;
	else
		st = cli_fail(cli, r == ERR_INVALID ? CMD_USAGE : CMD_ERROR, "%s", rep.message);
	hf_report_release(&rep);
	buf_release(&input);
	return st;
}

/* chimera hostfactory configure --request REQ: getRequestStatus's background half. */
static enum cmd_status configure_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option options[] = {
		{ "request", required_argument, NULL, 'r' },
		{ "confdir", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 },
	};
	struct hf_call call = { .configured = apply_config, .arg = cli };
	const char *req = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+r:", options, NULL)) != -1) {
		if (c == 'r')
			req = optarg;
		else if (c == 'C')
			call.confdir = optarg;
		else
			return cli_usage(cli, "%s", cli_bad_option(argv, options));
	}
	if (optind < argc || !req)
		return cli_usage(cli, "expected --request REQ (a req- request id)");
	if (!call.confdir && !(call.confdir = getenv("HF_PROVIDER_CONFDIR")))
		return cli_usage(cli, "no provider configuration: set HF_PROVIDER_CONFDIR (or --confdir DIR)");
	if (hf_run_configure(&cli->world, &call, req) < 0)
		return cli_fail(cli, CMD_ERROR, "configuring %s: %s", req, err_msg());
	return CMD_OK;
}

#define HF_USAGE_TAIL " [--confdir DIR]"
#define HF_HELP_COMMON                                                                                              \
	"\n"                                                                                                        \
	"The reply, a JSON document as HostFactory reads it, is the only thing on stdout; logs go\n"               \
	"to stderr (--log-file FILE to keep them). A failure prints {\"message\": ...} naming the\n"              \
	"problem and exits 1 (2 for bad input: malformed JSON, an unknown template, request or\n"                  \
	"machine, a count over maxNumber, no -f FILE).\n"                                                          \
	"\n"                                                                                                        \
	"  -f, --file FILE  the operation's input, written by HostFactory\n"                                       \
	"  --confdir DIR    the provider's configuration (default $HF_PROVIDER_CONFDIR):\n"                          \
	"                   " HF_TEMPLATES_FILE " and, optional, " HF_CONFIG_FILE "\n"                                 \
	"Every change is a hostfactory.* event in the ledger (docs/hostfactory.md).\n"

const struct cmd_entry cmd_hostfactory_templates_entry = {
	.name = "hostfactory getAvailableTemplates",
	.summary = "the templates, each with how many more machines it can give",
	.usage = "chimera hostfactory getAvailableTemplates [-f FILE]" HF_USAGE_TAIL,
	.help = "Lists the templates of " HF_TEMPLATES_FILE " with availableNumber: maxNumber less the\n"
		"template's machines not yet failed, terminated or returned. The input file, when given, is not read.\n" HF_HELP_COMMON,
	.exec = hostfactory_exec,
};

const struct cmd_entry cmd_hostfactory_request_entry = {
	.name = "hostfactory requestMachines",
	.summary = "ask for machines of a template: made now, ready later",
	.usage = "chimera hostfactory requestMachines -f FILE" HF_USAGE_TAIL,
	.help = "Input {\"template\": {\"templateId\": ID, \"machineCount\": N}}. Makes N machines with the\n"
		"template's provider (qemu: VMs booting in the background; lab: free lab nodes), writes\n"
		"them into chimera.toml with tag hostfactory, and replies {\"requestId\": \"req-...\"} at once.\n" HF_HELP_COMMON,
	.exec = hostfactory_exec,
};

const struct cmd_entry cmd_hostfactory_status_entry = {
	.name = "hostfactory getRequestStatus",
	.summary = "where requests are; readies machines (deploy, then status congruent)",
	.usage = "chimera hostfactory getRequestStatus -f FILE" HF_USAGE_TAIL,
	.help = "Input {\"requests\": [{\"requestId\": ID}, ...]}. Reconciles each request first: machines\n"
		"whose sshd answers get the template's configuration deployed and their status read, in\n"
		"a process of its own (chimera hostfactory configure), so the call answers at once with\n"
		"them executing; a machine reports succeed only when congruent. One not ready within\n"
		"bootTimeout, or whose configuring process ended without a result, fails and is taken\n"
		"back. A request is running until every machine succeeded (complete) or some failed\n"
		"(complete_with_error).\n" HF_HELP_COMMON,
	.exec = hostfactory_exec,
};

const struct cmd_entry cmd_hostfactory_return_entry = {
	.name = "hostfactory requestReturnMachines",
	.summary = "hand machines back: stopped, deleted, out of chimera.toml",
	.usage = "chimera hostfactory requestReturnMachines -f FILE" HF_USAGE_TAIL,
	.help = "Input {\"machines\": [{\"name\": NAME, \"machineId\": ID}, ...]}. Each machine is stopped and\n"
		"deleted (qemu) or given back to the lab (lab) and taken out of chimera.toml; replies\n"
		"{\"requestId\": \"ret-...\"}, whose machines getRequestStatus then reports.\n" HF_HELP_COMMON,
	.exec = hostfactory_exec,
};

const struct cmd_entry cmd_hostfactory_returns_entry = {
	.name = "hostfactory getReturnRequests",
	.summary = "machines chimera takes back: quarantined by watch, or gone out of band",
	.usage = "chimera hostfactory getReturnRequests -f FILE" HF_USAGE_TAIL,
	.help = "Input {\"machines\": [...]} (may be empty: every machine). Replies with the machines\n"
		"chimera wants back, each with its gracePeriod: one that watch quarantined (the\n"
		"config's gracePeriod), or whose VM or lab node no longer runs (0).\n" HF_HELP_COMMON,
	.exec = hostfactory_exec,
};

const struct cmd_entry cmd_hostfactory_configure_entry = {
	.name = "hostfactory configure",
	.summary = "(started by getRequestStatus) deploy a request's new machines in the background",
	.usage = "chimera hostfactory configure --request REQ [--confdir DIR]",
	.help = "getRequestStatus starts this in a process of its own for a request's machines that\n"
		"answer but are not configured yet, and answers at once (their result: executing).\n"
		"It deploys the template's configuration to the machines marked for it (a\n"
		"hostfactory.machine.configuring event with its pid), reads their status, and records\n"
		"hostfactory.machine.configured, taking back those not congruent. Its output goes to\n"
		"$HF_PROVIDER_LOGDIR/chimera-configure.log (else STATE/hostfactory-configure.log).\n"
		"A machine whose process ended without a result is taken back by the next\n"
		"getRequestStatus. See docs/hostfactory.md.\n",
	.exec = configure_exec,
};

static const struct cmd_entry *const hostfactory_subs[] = {
	&cmd_hostfactory_templates_entry, &cmd_hostfactory_request_entry, &cmd_hostfactory_status_entry,
	&cmd_hostfactory_return_entry,	  &cmd_hostfactory_returns_entry, &cmd_hostfactory_configure_entry,
	NULL,
};

const struct cmd_entry cmd_hostfactory_entry = {
	.name = "hostfactory",
	.summary = "the IBM Spectrum Symphony HostFactory provider: request and return machines",
	.usage = "chimera hostfactory OPERATION [-f FILE] [--confdir DIR]",
	.help = "The five operations of HostFactory's provider interface, as scripts/hostfactory/*.sh\n"
		"calls them: getAvailableTemplates, requestMachines, getRequestStatus,\n"
		"requestReturnMachines, getReturnRequests; and configure, the process getRequestStatus\n"
		"starts to deploy new machines. See docs/hostfactory.md.\n",
	.exec = cmd_subs_unknown,
	.subs = hostfactory_subs,
};
