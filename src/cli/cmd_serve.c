/* chimera serve: the control plane over HTTP (src/api/). */
#include "api/api.h"
#include "cli/cli.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

enum { OPT_LISTEN = 3000, OPT_TLS_CERT, OPT_TLS_KEY, OPT_NO_WATCH, OPT_INSECURE, OPT_INTERVAL, OPT_READY,
       OPT_MAX_CONN, OPT_THREADS, OPT_ROUTES };

/*
 * ADDR:PORT ("127.0.0.1:8470", "[::1]:8470", ":8470" for 127.0.0.1) into HOST (LEN bytes)
 * and *PORT. Returns 0, or -1 with MSG saying what was expected.
 */
static int parse_listen(const char *s, char *host, size_t len, int *port, char *msg, size_t mlen)
{
	const char *colon = strrchr(s, ':');
	unsigned char addr[sizeof(struct in6_addr)];
	size_t hl;
	long p;

	if (!colon) {
		snprintf(msg, mlen, "--listen '%s': expected ADDR:PORT (127.0.0.1:8470, [::1]:8470)", s);
		return -1;
	}
	hl = (size_t)(colon - s);
	if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']')
		s++, hl -= 2;
	if (hl == 0)
		snprintf(host, len, "127.0.0.1");
	else if (hl < len)
		snprintf(host, len, "%.*s", (int)hl, s);
	else
		host[0] = '\0';
	if (cli_int("--listen's port", colon + 1, 0, 65535, &p) < 0) {
		snprintf(msg, mlen, "--listen '%s': expected a port from 0 to 65535 after the ':'", colon + 1);
		return -1;
	}
	if (!host[0] || (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1)) {
		snprintf(msg, mlen, "--listen: '%.*s' is not a numeric IPv4 or IPv6 address", (int)hl, s);
		return -1;
	}
	*port = (int)p;
	return 0;
}

static void print_route(const struct api_route *r, void *arg)
{
	bool json = *(const bool *)arg;

	if (json)
		printf("{\"method\":\"%s\",\"path\":\"%s\",\"role\":\"%s\"}\n", r->method, r->pattern,
		       r->role == TOKEN_ROLE_NONE ? "none" : token_role_name(r->role));
	else
		printf("%-7s %-40s %s\n", r->method, r->pattern,
		       r->role == TOKEN_ROLE_NONE ? "(no token)" : token_role_name(r->role));
}

static bool loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

static enum cmd_status cmd_serve_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
		{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
		{ "no-watch", no_argument, NULL, OPT_NO_WATCH },
		{ "insecure-http", no_argument, NULL, OPT_INSECURE },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "ready-file", required_argument, NULL, OPT_READY },
		{ "max-connections", required_argument, NULL, OPT_MAX_CONN },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "routes", no_argument, NULL, OPT_ROUTES },
		{ NULL, 0, NULL, 0 },
	};
	struct api_options o;
	char host[64] = "", msg[300];
	bool routes = false;
	long v;
	int c;

	api_options_init(&o);
	o.world = cli->world.opt;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			if (parse_listen(optarg, host, sizeof(host), &o.port, msg, sizeof(msg)) < 0)
				return cli_usage(cli, "%s", msg);
			o.host = host;
			break;
		case OPT_TLS_CERT: o.tls_cert = optarg; break;
		case OPT_TLS_KEY: o.tls_key = optarg; break;
		case OPT_NO_WATCH: o.watch = false; break;
		case OPT_INSECURE: o.insecure_http = true; break;
		case OPT_INTERVAL:
			if (cli_int("--interval", optarg, 1, 86400, &o.watch_interval_s) < 0)
				return cli_usage(cli, "%s", err_msg());
			break;
		case OPT_READY: o.ready_file = optarg; break;
		case OPT_MAX_CONN:
			if (cli_int("--max-connections", optarg, 8, 65536, &v) < 0)
				return cli_usage(cli, "%s", err_msg());
			o.max_connections = (unsigned)v;
			break;
		case OPT_THREADS:
			if (cli_int("--threads", optarg, 1, 64, &v) < 0)
				return cli_usage(cli, "%s", err_msg());
			o.threads = (unsigned)v;
			break;
		case OPT_ROUTES: routes = true; break;
		default: return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (routes) {
		api_routes_each(print_route, &cli->json);
		return CMD_OK;
	}
	if (!o.tls_cert != !o.tls_key)
		return cli_usage(cli, "--tls-cert and --tls-key go together: give both, or neither");
	if (!loopback(o.host) && !o.tls_cert && !o.insecure_http)
		return cli_usage(cli, "--listen %s is not a loopback address: give --tls-cert and --tls-key, or "
				      "--insecure-http to serve tokens in clear text anyway", o.host);
	if (api_serve(&o) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	return CMD_OK;
}

const struct cmd_entry cmd_serve_entry = {
	.name = "serve",
	.summary = "run the control plane: HTTP API, live events, metrics, the fleet kept",
	.usage = "chimera serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]\n"
		 "                     [--no-watch] [--interval S] [--insecure-http]\n"
		 "                     [--max-connections N] [--threads N] [--ready-file FILE]\n"
		 "       chimera serve --routes [--json]",
	.help = "Serves the API v1 (docs/api.md; the OpenAPI document at /api/v1/openapi.json)\n"
		"with bearer tokens (chimera tokens), Server-Sent Events at\n"
		"/api/v1/events/stream and Prometheus metrics at /metrics. Unless --no-watch, it\n"
		"keeps every machine of chimera.toml that has a configuration on it, as\n"
		"`chimera watch` does (drift healed, backoff, quarantine, the same events), under\n"
		"the same node leases as every other command. What POST routes start runs as a\n"
		"job (GET /api/v1/jobs). A web dashboard is at / (docs/web.md): sign in there\n"
		"with a token; it shows the fleet, machines, deployments, the watch, the ledger,\n"
		"pipelines and jobs, live over the event stream.\n"
		"\n"
		"options:\n"
		"  --listen ADDR:PORT       where to listen (default 127.0.0.1:8470; port 0: any)\n"
		"  --tls-cert FILE, --tls-key FILE\n"
		"                           serve HTTPS with this PEM certificate and key\n"
		"  --insecure-http          allow a non-loopback address without TLS\n"
		"  --no-watch               serve the API only; keep no machine\n"
		"  --interval S             seconds between watch rounds (default 30)\n"
		"  --max-connections N      open connections at most (default 4096); past it, 503\n"
		"  --threads N              threads answering requests (default 4)\n"
		"  --ready-file FILE        write the base URL to FILE once listening\n"
		"  --routes                 list the routes (method, path, least role) and exit\n"
		"\n"
		"Limits: a request body over 1 MiB is answered 413, headers over 8 KiB 431;\n"
		"request headers must be whole within 10 s (a slow client is dropped); an idle\n"
		"connection is closed after 60 s; 10 failed authentications in a minute from one\n"
		"address are answered 429 until the minute ends.\n"
		"Signals: SIGTERM or SIGINT stops taking work, lets node steps in flight finish,\n"
		"records the jobs left unfinished as interrupted, and exits; SIGHUP reads\n"
		"chimera.toml again (a file that does not parse keeps the old one) and restarts\n"
		"the watch on its machines. After a kill -9, the next start records the jobs that\n"
		"were running as interrupted, and the nodes' leases are taken over by whoever\n"
		"acts on them next.\n"
		"\n"
		"exit status: 0 after SIGTERM, 1 when it cannot start, 2 for bad usage.\n",
	.exec = cmd_serve_exec,
};
