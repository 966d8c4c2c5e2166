/* chimera certify: sign a configuration that passed simulation; --verify a certificate. */
#include "app/pipeline/certify_project.h"
#include "cli/cli.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

enum { OPT_PLATFORM = 2300, OPT_VERIFY, OPT_OUT, OPT_ARTIFACT };

static enum cmd_status verify(struct cli *cli, struct signer *sg, const char *file, const char *dir)
{
	int r = certify_verify_file(sg, file, dir);

	if (r < 0)
		return cli_fail(cli, r == ERR_CORRUPT ? CMD_PARTIAL : r == ERR_INVALID ? CMD_USAGE : CMD_ERROR, "%s",
				err_msg());
	if (cli->json)
		cli_print_json(certify_verified_json(file));
	else if (!cli->quiet)
		printf("%s: signature and every digest match\n", file);
	return CMD_OK;
}

static void print_checks(const struct cert_checks *c)
{
	printf("  configuration_valid  %s\n", c->configuration_valid ? "yes" : "NO");
	printf("  no_critical_issues   %s\n", c->no_critical_issues ? "yes" : "NO");
	printf("  simulation_passed    %s\n", c->simulation_passed ? "yes" : "NO");
	printf("  healing_successful   %s\n", c->healing_successful ? "yes" : "NO");
}

/* Certify RQ's project with SG, and say how it went. */
static enum cmd_status certify(struct cli *cli, struct signer *sg, const struct certify_request *rq)
{
	struct certify_report rep;
	enum cmd_status st = CMD_OK;
	int r;

	r = certify_project(sg, rq, &rep);
	if (r < 0) {
		if (!rep.simulated)
			st = cli_fail(cli, r == ERR_NOTFOUND ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
		else
			st = cli_fail(cli, r == ERR_INVALID ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
	} else if (cli->json) {
		cli_print_json(certify_report_json(&rep));
		st = rep.certified ? CMD_OK : CMD_PARTIAL;
	} else if (!rep.certified) {
		printf("not certified: %s in %s did not pass\n", rep.sim.nfiles ? rep.sim.files[0] : rq->platform, rq->dir);
		print_checks(&rep.checks);
		st = CMD_PARTIAL;
	} else if (!cli->quiet) {
		printf("certified %s (%s, key %s): %s\n", rep.sim.nfiles ? rep.sim.files[0] : rq->platform, rq->platform,
		       json_string_value(json_object_get(rep.cert, "key_id")), rep.file);
	}
	certify_report_release(&rep);
	return st;
}

static enum cmd_status cmd_certify_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "verify", required_argument, NULL, OPT_VERIFY },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "artifact", required_argument, NULL, OPT_ARTIFACT },
		{ NULL, 0, NULL, 0 },
	};
	struct certify_request rq = { .dir = "." };
	const char *verify_file = NULL;
	struct signer *sg = NULL;
	enum cmd_status st;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PLATFORM: rq.platform = optarg; break;
		case OPT_VERIFY: verify_file = optarg; break;
		case OPT_OUT: rq.out_file = optarg; break;
		case OPT_ARTIFACT: rq.artifact = optarg; break;
		default: return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (optind < argc)
		rq.dir = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (cli_state_dir(cli) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (!verify_file && !certify_platform_known(rq.platform))
		return cli_usage(cli, "give --platform netlify or --platform render (or --verify CERT)");
	/* The signer stays in the cli until runtime/ opens it. */
	if (world_open_signer(&cli->world, &sg) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	st = verify_file ? verify(cli, sg, verify_file, rq.dir) : certify(cli, sg, &rq);
	signer_close(sg);
	return st;
}

const struct cmd_entry cmd_certify_entry = {
	.name = "certify",
	.summary = "sign a configuration that passed simulation, or verify a certificate",
	.usage = "chimera certify --platform netlify|render [DIR] [--artifact STOREPATH] [--out FILE]\n"
		 "       chimera certify --verify CERT [DIR]",
	.help = "Simulates DIR's configuration and checks configuration_valid (it parses),\n"
		"no_critical_issues, simulation_passed (nothing critical or high) and\n"
		"healing_successful (no issue heal should fix is left). Only when all four hold it\n"
		"writes a certificate (JSON, version 1): the SHA3-256 of every configuration file\n"
		"and of the simulation and healing reports, the artifact, the time, a random\n"
		"nonce, the key id, and an Ed25519 signature by this controller's key\n"
		"(STATE/keys/certify-ed25519.pem, made on first use, mode 0600).\n"
		"\n"
		"--verify CERT checks the signature against this controller's key and every file's\n"
		"digest against DIR's files now; a changed file is named.\n"
		"\n"
		"options:\n"
		"  --platform NAME          netlify or render\n"
		"  --artifact STOREPATH     record the built artifact (a Nix store path)\n"
		"  --out FILE               where to write it (default DIR/chimera-certificate.json)\n"
		"  --verify CERT            check a certificate instead\n"
		"  --json                   one JSON document\n"
		"\n"
		"exit status: 0 certified (or verified), 3 when a check fails (nothing is written) or\n"
		"the certificate does not match, 2 for bad usage or a missing file, 1 on errors.\n",
	.exec = cmd_certify_exec,
};
