/*
 * chimera mcp: the fleet as a Model Context Protocol server over stdio (docs/mcp.md).
 * Newline-delimited JSON-RPC on stdin and stdout; logs on stderr only. Each tools/call runs
 * on a thread of its own, so that a long one can be cancelled or pinged past.
 */
#include "api/api.h"
#include "api/mcp_api.h"
#include "cli/cli.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <getopt.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

struct stdio_server {
	struct mcp_session *s;
	pthread_mutex_t out_lock;	/* one message at a time on stdout */
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned threads;		/* messages being handled */
};

struct line {
	struct stdio_server *srv;
	char *text;
	size_t len;
};

static void send_line(void *arg, const char *text)
{
	struct stdio_server *srv = arg;

	pthread_mutex_lock(&srv->out_lock);
	fputs(text, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	pthread_mutex_unlock(&srv->out_lock);
}

static void *line_thread(void *arg)
{
	struct line *l = arg;
	struct stdio_server *srv = l->srv;

	mcp_session_handle(srv->s, l->text, l->len, send_line, srv);
	free(l->text);
	free(l);
	pthread_mutex_lock(&srv->lock);
	srv->threads--;
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

/*
 * Handle TEXT (taken): a tools/call on a thread of its own (it may be long: a ping or its
 * cancel must get past it), the rest here, in order (initialize before what follows it).
 */
static void dispatch(struct stdio_server *srv, char *text, size_t len)
{
	struct line *l = mcp_message_is(text, len, "tools/call") ? malloc(sizeof(*l)) : NULL;
	pthread_attr_t attr;
	pthread_t t;
	int r = -1;

	if (l) {
		*l = (struct line){ srv, text, len };
		pthread_mutex_lock(&srv->lock);
		srv->threads++;
		pthread_mutex_unlock(&srv->lock);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		r = pthread_create(&t, &attr, line_thread, l);
		pthread_attr_destroy(&attr);
	}
	if (r == 0)
		return;
	if (l) {
		pthread_mutex_lock(&srv->lock);
		srv->threads--;
		pthread_mutex_unlock(&srv->lock);
		free(l);
	}
	mcp_session_handle(srv->s, text, len, send_line, srv);
	free(text);
}

/*
 * The next line of IN into B (its newline and a trailing CR dropped), B's cap (HTTPD_BODY_MAX)
 * kept at most: a longer line is read to its end, not kept, and *LONG set. 0, or -1 at the
 * end of the input.
 */
static int read_line(FILE *in, struct buf *b, bool *too_long)
{
	bool any = false;
	int c;

	buf_reset(b);
	*too_long = false;
	while ((c = getc_unlocked(in)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (!*too_long && buf_addc(b, (char)c) < 0) {
			*too_long = true;
			buf_reset(b);
		}
	}
	if (!any)
		return -1;
	if (b->len && b->data[b->len - 1] == '\r')
		b->data[--b->len] = '\0';
	return 0;
}

/* Read messages until stdin ends; then cancel the calls still running and wait for them. */
static void serve_stdio(struct stdio_server *srv)
{
	struct buf line = BUF_INIT(HTTPD_BODY_MAX);
	bool too_long;
	size_t n;
	char *text;

	while (read_line(stdin, &line, &too_long) == 0) {
		if (too_long) {
			send_line(srv, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
				       "\"message\":\"a message over 1 MiB is not taken\"}}");
			continue;
		}
		if (line.len == 0)
			continue;
		if (!(text = buf_detach(&line, &n))) {
			log_error("mcp", "out of memory: a message was dropped");
			continue;
		}
		dispatch(srv, text, n);
	}
	buf_release(&line);
	pthread_mutex_lock(&srv->lock);
	if (srv->threads)
		log_info("mcp", "stdin closed: %u message(s) still being handled; tool calls running are "
			 "cancelled (nodes in flight finish)", srv->threads);
	mcp_session_cancel_all(srv->s);
	while (srv->threads)
		pthread_cond_wait(&srv->idle, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
}

static enum cmd_status cmd_mcp_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	struct stdio_server srv = { 0 };
	struct api_options o;
	struct mcp_api m = { 0 };
	struct mcp_backend be;
	struct passwd *pw;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		return cli_usage(cli, "%s", cli_bad_option(argv, opts));
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	api_options_init(&o);
	o.world = cli->world.opt;
	o.watch = false;
	/* A client gone mid-call: its jobs finish (stdin's end says the rest), no SIGPIPE kills them. */
	signal(SIGPIPE, SIG_IGN);
	if (api_open_local(&o, &m.api) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	/* The local user acts, as with the CLI: every tool; the ledger names them. */
	m.role = TOKEN_ROLE_ADMIN;
	pw = getpwuid(getuid());
	snprintf(m.caller, sizeof(m.caller), "mcp-stdio:%.40s", pw ? pw->pw_name : "unknown");
	mcp_api_backend(&m, &be);
	srv.s = mcp_session_new(m.role, &be);
	pthread_mutex_init(&srv.out_lock, NULL);
	pthread_mutex_init(&srv.lock, NULL);
	pthread_cond_init(&srv.idle, NULL);
	if (srv.s) {
		log_info("mcp", "serving MCP on stdin and stdout as %s", m.caller);
		serve_stdio(&srv);
	}
	mcp_session_free(srv.s);
	pthread_cond_destroy(&srv.idle);
	pthread_mutex_destroy(&srv.lock);
	pthread_mutex_destroy(&srv.out_lock);
	api_close_local(m.api);
	return srv.s ? CMD_OK : cli_fail(cli, CMD_ERROR, "out of memory");
}

const struct cmd_entry cmd_mcp_entry = {
	.name = "mcp",
	.summary = "serve the fleet to an AI assistant over the Model Context Protocol (stdio)",
	.usage = "chimera mcp",
	.help = "Speaks MCP (2025-06-18; 2025-03-26 and 2024-11-05 too) on stdin and stdout:\n"
		"newline-delimited JSON-RPC, logs on stderr only. Tools read the fleet\n"
		"(fleet_status, machine, generations, deployments, deployment, events,\n"
		"ledger_verify, watch_state, simulate) and act on it (deploy, rollback, exec,\n"
		"release, heal, certify, pipeline) through the same use cases, leases and ledger\n"
		"records as the CLI and `chimera serve`; the local user acts, as with the CLI.\n"
		"Resources: chimera://machines, chimera://machines/{name},\n"
		"chimera://deployments/{id}, chimera://ledger/head. `chimera serve` offers the\n"
		"same over HTTP at /mcp, each token's role deciding its tools. See docs/mcp.md.\n"
		"\n"
		"A client's assistant config: {\"command\": \"chimera\", \"args\": [\"mcp\"]}.\n"
		"\n"
		"exit status: 0 once stdin ends, 1 when the state cannot be opened, 2 for bad usage.\n",
	.exec = cmd_mcp_exec,
};
