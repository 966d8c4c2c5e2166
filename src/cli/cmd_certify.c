/* chimera certify: sign a configuration that passed simulation; --verify a certificate. */
#include "app/certify.h"
#include "platform/netlify/netlify.h"
#include "platform/render/render.h"
#include "cli/cli.h"
#include "util/err.h"
#include "util/fs.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_PLATFORM = 2300, OPT_VERIFY, OPT_OUT, OPT_ARTIFACT };

static enum cmd_status verify(struct cli *cli, const char *file, const char *dir)
{
	json_error_t jerr;
	json_t *cert = json_load_file(file, 0, &jerr);
	enum cmd_status st;
	int r;

	if (!cert)
		return cli_fail(cli, CMD_USAGE, "%s: not JSON: %s at %d:%d", file, jerr.text, jerr.line, jerr.column);
	r = cert_verify(cli->state_dir, dir, cert);
	if (r == 0) {
		st = CMD_OK;
		if (cli->json)
			cli_print_json(json_pack("{s:b, s:s}", "ok", 1, "certificate", file));
		else if (!cli->quiet)
			printf("%s: signature and every digest match\n", file);
	} else {
		st = cli_fail(cli, r == ERR_CORRUPT ? CMD_PARTIAL : r == ERR_INVALID ? CMD_USAGE : CMD_ERROR, "%s: %s", file,
			      err_msg());
	}
	json_decref(cert);
	return st;
}

static void print_checks(const struct cert_checks *c)
{
	printf("  configuration_valid  %s\n", c->configuration_valid ? "yes" : "NO");
	printf("  no_critical_issues   %s\n", c->no_critical_issues ? "yes" : "NO");
	printf("  simulation_passed    %s\n", c->simulation_passed ? "yes" : "NO");
	printf("  healing_successful   %s\n", c->healing_successful ? "yes" : "NO");
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
	const char *platform = NULL, *verify_file = NULL, *out_file = NULL, *artifact = NULL, *dir = ".";
	struct sim_report rep;
	struct cert_checks checks;
	char path[PATH_MAX];
	json_t *cert = NULL;
	enum cmd_status st;
	int c, r;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PLATFORM: platform = optarg; break;
		case OPT_VERIFY: verify_file = optarg; break;
		case OPT_OUT: out_file = optarg; break;
		case OPT_ARTIFACT: artifact = optarg; break;
		default: return cli_usage(cli, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (cli_state_dir(cli) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (verify_file)
		return verify(cli, verify_file, dir);
	if (!platform || (strcmp(platform, "netlify") != 0 && strcmp(platform, "render") != 0))
		return cli_usage(cli, "give --platform netlify or --platform render (or --verify CERT)");
	sim_report_init(&rep, platform);
	r = strcmp(platform, "netlify") == 0 ? sim_netlify(dir, &rep) : sim_render(dir, &rep);
	if (r < 0) {
		st = cli_fail(cli, r == ERR_NOTFOUND ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
		goto out;
	}
	r = cert_project(cli->state_dir, dir, &rep, NULL, artifact, &checks, &cert);
	if (r == 1) {
		/* Never a certificate for what did not pass. */
		if (cli->json)
			cli_print_json(json_pack("{s:b, s:{s:b, s:b, s:b, s:b}, s:o}", "certified", 0, "checks",
						 "configuration_valid", checks.configuration_valid, "no_critical_issues",
						 checks.no_critical_issues, "simulation_passed", checks.simulation_passed,
						 "healing_successful", checks.healing_successful, "simulation",
						 sim_report_json(&rep)));
		else {
			printf("not certified: %s in %s did not pass\n", rep.nfiles ? rep.files[0] : platform, dir);
			print_checks(&checks);
		}
		st = CMD_PARTIAL;
		goto out;
	}
	if (r < 0) {
		st = cli_fail(cli, r == ERR_INVALID ? CMD_USAGE : CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (!out_file) {
		snprintf(path, sizeof(path), "%s/chimera-certificate.json", dir);
		out_file = path;
	}
	r = cert_write(out_file, cert);
	if (r < 0) {
		st = cli_fail(cli, CMD_ERROR, "%s", err_msg());
		goto out;
	}
	if (cli->json)
		cli_print_json(json_pack("{s:b, s:s, s:O}", "certified", 1, "certificate", out_file, "content", cert));
	else if (!cli->quiet)
		printf("certified %s (%s, key %s): %s\n", rep.nfiles ? rep.files[0] : platform, platform,
		       json_string_value(json_object_get(cert, "key_id")), out_file);
	st = CMD_OK;
out:
	json_decref(cert);
	sim_report_release(&rep);
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
