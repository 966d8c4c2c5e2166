/* chimera events: read the ledger, optionally following it as it grows. */
#include "app/ledger/events.h"
#include "cli/cli.h"
#include "cli/remote.h"
#include "formats/sse.h"
#include "util/clock.h"
#include "util/err.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static volatile sig_atomic_t stop_follow;

static void on_signal(int sig)
{
	stop_follow = 1;
}

/* One event as a line of text, or of JSON with --json (ARG points at the flag). */
static int print_event(const struct ledger_event *ev, void *arg)
{
	const bool *json = arg;
	struct buf line = BUF_INIT(0);

	if (*json) {
		events_event_json(ev, &line);
	} else {
		buf_printf(&line, "%6lld %s %-20s", (long long)ev->seq, ev->time, ev->topic);
		if (ev->node)
			buf_printf(&line, " node=%s", ev->node);
		if (ev->deployment)
			buf_printf(&line, " run=%s", ev->deployment);
		buf_printf(&line, " %s\n", ev->payload);
	}
	fwrite(line.data, 1, line.len, stdout);
	buf_release(&line);
	return 0;
}

#define REMOTE_PAGE 1000		/* events asked for at once */
#define REMOTE_RETRY_MS 1000		/* --follow: the pause before following again after the stream ended */

/* F's --topic, --node (and --deployment when WITH_DEPLOYMENT) onto the query Q, which is then ended. 0 or a buf error. */
static int filters_query(struct buf *q, const struct ledger_filter *f, bool with_deployment)
{
	int r = 0;

	if (f->topic)
		r = remote_query(q, "topic", f->topic);
	if (r == 0 && f->node)
		r = remote_query(q, "node", f->node);
	if (r == 0 && with_deployment && f->deployment)
		r = remote_query(q, "deployment", f->deployment);
	return r < 0 ? r : buf_addc(q, '\0');
}

/* Up to WANT of F's events after *AFTER from the server, printed; *AFTER moved, *GOT how many. */
static enum cmd_status remote_page(struct cli *cli, const struct ledger_filter *f, int64_t want, int64_t *after,
				   int64_t *got)
{
	struct buf q = BUF_INIT(64 * 1024);
	struct ledger_event ev;
	const json_t *o;
	json_t *doc = NULL;
	char num[2][32], *payload;
	enum cmd_status st;
	size_t i;
	int r;

	*got = 0;
	snprintf(num[0], sizeof(num[0]), "%lld", (long long)*after);
	snprintf(num[1], sizeof(num[1]), "%lld", (long long)want);
	if ((r = buf_adds(&q, "/api/v1/events")) == 0 && (r = remote_query(&q, "after", num[0])) == 0)
		r = remote_query(&q, "limit", num[1]);
	if (r < 0 || filters_query(&q, f, true) < 0) {
		buf_release(&q);
		return cli_usage(cli, "--topic, --node or --deployment is too long for a request");
	}
	st = remote_get(cli, q.data, CMD_ERROR, REMOTE_TIMEOUT_MS, &doc);
	buf_release(&q);
	if (st != CMD_OK)
		return st;
	json_array_foreach(json_object_get(doc, "events"), i, o) {
		if (events_event_from_json(o, &ev, &payload) < 0) {
			json_decref(doc);
			return cli_fail(cli, CMD_ERROR, "the server's answer: %s", err_msg());
		}
		print_event(&ev, &cli->json);
		free(payload);
		*after = ev.seq;
		(*got)++;
	}
	json_decref(doc);
	return CMD_OK;
}

/* --follow through a server: the event stream's state while it is read. */
struct follow {
	struct cli *cli;
	const struct ledger_filter *f;
	struct sse_parser sse;
	int64_t after, n;	/* the last seq printed; how many printed */
	enum cmd_status st;
};

/* One frame of the stream: an event printed as here (--deployment is filtered here: the stream does not take it). */
static int follow_frame(const struct sse_frame *frame, void *arg)
{
	struct follow *fw = arg;
	struct ledger_event ev;
	char *payload;
	json_t *o = json_loadb(frame->data, frame->data_len, 0, NULL);

	if (!o || events_event_from_json(o, &ev, &payload) < 0) {
		json_decref(o);
		fw->st = cli_fail(fw->cli, CMD_ERROR, "the server's event stream: a frame that is not an event (id %s)",
				  frame->id);
		return 1;
	}
	if (ev.seq > fw->after) {
		if (!fw->f->deployment || (ev.deployment && strcmp(ev.deployment, fw->f->deployment) == 0)) {
			print_event(&ev, &fw->cli->json);
			fw->n++;
		}
		fw->after = ev.seq;
	}
	free(payload);
	json_decref(o);
	return fw->f->limit && fw->n >= fw->f->limit;
}

/* The stream's bytes (NULL: a second went by): frames printed; nonzero ends the stream. */
static int follow_bytes(const char *data, size_t len, void *arg)
{
	struct follow *fw = arg;
	int r;

	if (stop_follow)
		return 1;
	if (!data)
		return 0;
	if ((r = sse_feed(&fw->sse, data, len, follow_frame, fw)) < 0) {
		fw->st = cli_fail(fw->cli, CMD_ERROR, "the server's event stream: %s", err_msg());
		return 1;
	}
	if (r == 0)
		fflush(stdout);
	return r;
}

/* --follow: GET /events/stream from the last seq printed, again after it ends, until a signal or --limit. */
static enum cmd_status follow_remote(struct cli *cli, const struct ledger_filter *f, int64_t after, int64_t n)
{
	struct follow fw = { .cli = cli, .f = f, .after = after, .n = n, .st = CMD_OK };
	struct buf q = BUF_INIT(64 * 1024);
	char last[32];
	enum cmd_status st = CMD_OK;

	if (buf_adds(&q, "/api/v1/events/stream") < 0 || filters_query(&q, f, false) < 0) {
		buf_release(&q);
		return cli_usage(cli, "--topic or --node is too long for a request");
	}
	while (!stop_follow && fw.st == CMD_OK && !(f->limit && fw.n >= f->limit)) {
		sse_init(&fw.sse);
		snprintf(last, sizeof(last), "%lld", (long long)fw.after);
		st = remote_stream(cli, q.data, last, follow_bytes, &fw);
		sse_release(&fw.sse);
		if (st != CMD_OK || fw.st != CMD_OK)
			break;
		/* The server ended the stream (a restart, a reload): follow again from the last seq. */
		if (!stop_follow && !(f->limit && fw.n >= f->limit))
			clock_sleep_ms(REMOTE_RETRY_MS);
	}
	buf_release(&q);
	return st != CMD_OK ? st : fw.st;
}

/* --server: GET /events page after page, printed as here; --follow then reads the event stream. */
static enum cmd_status events_remote(struct cli *cli, const struct ledger_filter *f, bool follow)
{
	int64_t after = f->since, n = 0, want, got;
	enum cmd_status st = CMD_OK;

	if (follow) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		setvbuf(stdout, NULL, _IOLBF, 0);
	}
	while (!stop_follow) {
		want = f->limit && f->limit - n < REMOTE_PAGE ? f->limit - n : REMOTE_PAGE;
		if (want <= 0 || (st = remote_page(cli, f, want, &after, &got)) != CMD_OK)
			break;
		n += got;
		/* A short page is the end of what there is. */
		if (got < want) {
			fflush(stdout);
			if (follow)
				st = follow_remote(cli, f, after, n);
			break;
		}
	}
	fflush(stdout);
	return st;
}

static enum cmd_status cmd_events_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topic", required_argument, NULL, 't' },
		{ "deployment", required_argument, NULL, 'd' },
		{ "node", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct ledger_filter f = { 0 };
	struct ledger *ledger = NULL;
	bool follow = false;
	long num;
	int c, r = 0;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:d:n:s:l:f", opts, NULL)) != -1) {
		switch (c) {
		case 't': f.topic = optarg; break;
		case 'd': f.deployment = optarg; break;
		case 'n': f.node = optarg; break;
		case 's':
			if (cli_int("--since", optarg, 0, LONG_MAX, &num) < 0)
				return cli_usage(cli, "%s", err_msg());
			f.since = num;
			break;
		case 'l':
			if (cli_int("--limit", optarg, 1, LONG_MAX, &num) < 0)
				return cli_usage(cli, "%s", err_msg());
			f.limit = num;
			break;
		case 'f': follow = true; break;
		default:
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (remote_on(cli))
		return events_remote(cli, &f, follow);
	if (cli_open_ledger(cli, &ledger) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (follow) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		setvbuf(stdout, NULL, _IOLBF, 0);
		r = events_follow(ledger, &f, print_event, &cli->json, &stop_follow);
	} else {
		r = events_query(ledger, &f, print_event, &cli->json);
	}
	fflush(stdout);
	if (r < 0) {
		ledger_close(ledger);
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	}
	ledger_close(ledger);
	return CMD_OK;
}

const struct cmd_entry cmd_events_entry = {
	.name = "events",
	.summary = "list ledger events, or follow them as they come",
	.usage = "chimera events [--topic T] [--deployment ID] [--node N] [--since SEQ]\n"
		 "                      [--limit N] [--follow] [--json]",
	.help = "Prints the ledger's events in seq order.\n"
		"\n"
		"With --server URL (or CHIMERA_SERVER) the server's ledger is read, a page of\n"
		"events at a time; --follow then reads its event stream (docs/client.md).\n"
		"\n"
		"options:\n"
		"  -t, --topic T         only topic T; 'node.*' matches every node.* topic\n"
		"  -d, --deployment ID   only events of one deployment or run\n"
		"  -n, --node N          only events about node N (as user@host:port)\n"
		"  -s, --since SEQ       only events after SEQ\n"
		"  -l, --limit N         at most N events\n"
		"  -f, --follow          keep printing new events until interrupted\n"
		"  --json                one JSON object a line (seq, time, topic, deployment,\n"
		"                        node, payload, prev_hash, hash)\n",
	.exec = cmd_events_exec,
};
