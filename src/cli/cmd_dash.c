/* chimera dash: the fleet in the terminal, live: counts, machines, events; a machine's detail; rollback. */
#include "app/dash/dash.h"
#include "cli/cli.h"
#include "cli/dash_feed.h"
#include "runtime/term.h"
#include "util/clock.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

#define KEY_WAIT_MS 1000	/* the longest wait for a key: the clock in the table moves on */

struct dash_run {
	struct cli *cli;
	struct dash d;
	struct dash_feed f;
	struct term *t;
	struct dash_frame *frame;
	int saved_err;			/* the real stderr while a file stands in for it; -1 when not */
	int64_t next_probe;		/* clock_mono_ms of the next probe */
	bool ended;			/* a deploy or rollback ended among the events just taken */
};

static void fold(const struct ledger_event *ev, void *arg)
{
	struct dash_run *run = arg;

	dash_event(&run->d, ev);
	if (strcmp(ev->topic, "chimera.deploy.complete") == 0 || strcmp(ev->topic, "chimera.rollback.complete") == 0)
		run->ended = true;
}

static void draw(struct dash_run *run)
{
	int rows, cols;

	run->t->ops->size(run->t, &rows, &cols);
	dash_frame(&run->d, rows, cols, run->frame);
	run->t->ops->draw(run->t, run->frame->lines, run->frame->n);
}

/* Every machine probed (here, or by the server) and the answer folded; the next probe planned. */
static void probe(struct dash_run *run)
{
	char msg[DASH_TEXT_MAX], now[CLOCK_UTC_LEN];
	json_t *doc = NULL;

	if (dash_feed_status(&run->f, true, &doc, msg, sizeof(msg)) == 0) {
		clock_format_utc(clock_wall_ms(), now);
		dash_set_status(&run->d, doc, now);
		json_decref(doc);
		doc = NULL;
		/* The probe is in the ledger now: congruent or drifted against what was deployed there. */
		if (dash_feed_status(&run->f, false, &doc, msg, sizeof(msg)) == 0)
			dash_set_status(&run->d, doc, NULL);
		/* What the last probe said (asked for, or failed) is over. */
		if (strcmp(run->d.message, "probing every machine") == 0 || strncmp(run->d.message, "probe: ", 7) == 0)
			run->d.message[0] = '\0';
	} else {
		dash_message(&run->d, true, "probe: %s", msg);
	}
	json_decref(doc);
	run->next_probe = clock_mono_ms() + run->d.interval_s * 1000;
}

static void open_detail(struct dash_run *run)
{
	const struct dash_row *r = run->d.detail ? dash_find(&run->d, json_string_value(json_object_get(run->d.detail, "name")))
						 : dash_selected(&run->d);
	char name[DASH_NAME_MAX], msg[DASH_TEXT_MAX];
	json_t *doc = NULL;

	if (!r)
		return;
	snprintf(name, sizeof(name), "%s", r->name);
	dash_message(&run->d, false, "reading %s's generations on the machine", name);
	draw(run);
	if (dash_feed_detail(&run->f, name, &doc, msg, sizeof(msg)) < 0) {
		dash_message(&run->d, true, "%s: %s", name, msg);
		run->d.mode = DASH_TABLE;
		return;
	}
	run->d.message[0] = '\0';
	dash_set_detail(&run->d, doc);
}

static void rollback(struct dash_run *run)
{
	char msg[DASH_TEXT_MAX];
	int r;

	dash_message(&run->d, false, "rolling %s back...", run->d.confirm);
	draw(run);
	r = dash_feed_rollback(&run->f, run->d.confirm, msg, sizeof(msg));
	/* A detail shown is read again: its generations changed. */
	if (r == 0 && run->d.detail)
		open_detail(run);
	dash_message(&run->d, r < 0, "%s", msg);
	run->d.confirm[0] = '\0';
	run->next_probe = 0;	/* see where it ended */
}

/* The loop: draw, wait for a key or events or the probe's time, act. */
static void run_loop(struct dash_run *run)
{
	char error[512];
	int64_t left;
	int key;

	for (;;) {
		if (clock_mono_ms() >= run->next_probe) {
			probe(run);
		}
		draw(run);
		left = run->next_probe - clock_mono_ms();
		key = run->t->ops->key(run->t, dash_feed_wake_fd(&run->f),
				       left < 0 ? 0 : left > KEY_WAIT_MS ? KEY_WAIT_MS : (int)left);
		run->ended = false;
		if (dash_feed_take(&run->f, fold, run, error, sizeof(error)))
			dash_refilter(&run->d);
		if (error[0])
			dash_message(&run->d, true, "%s", error);
		if (run->ended)
			run->next_probe = 0;	/* a deploy or rollback ended: where is everyone now */
		switch (dash_key(&run->d, key)) {
		case DASH_QUIT: return;
		case DASH_REFRESH: run->next_probe = 0; break;
		case DASH_OPEN_DETAIL: open_detail(run); break;
		case DASH_ROLLBACK: rollback(run); break;
		case DASH_INTERVAL: run->next_probe = clock_mono_ms() + run->d.interval_s * 1000; break;
		case DASH_NONE: break;
		}
	}
}

/* The machines and what the ledger (or server) knows of them, before the screen is taken: errors print plainly. */
static enum cmd_status first_load(struct dash_run *run)
{
	char msg[DASH_TEXT_MAX];
	json_t *doc = NULL;

	if (dash_feed_machines(&run->f, &doc, msg, sizeof(msg)) < 0)
		return run->f.remote ? CMD_ERROR : cli_fail(run->cli, CMD_ERROR, "%s", msg);
	if (dash_set_machines(&run->d, doc) < 0) {
		json_decref(doc);
		return cli_fail(run->cli, CMD_ERROR, "out of memory");
	}
	json_decref(doc);
	if (dash_feed_status(&run->f, false, &doc, msg, sizeof(msg)) < 0)
		return run->f.remote ? CMD_ERROR : cli_fail(run->cli, CMD_ERROR, "%s", msg);
	dash_set_status(&run->d, doc, NULL);
	json_decref(doc);
	return CMD_OK;
}

/* While the screen is up, stderr goes to a file: nothing printed garbles it (the status line shows a request's error). */
static int stderr_to_file(struct dash_run *run)
{
	FILE *tmp = tmpfile();

	fflush(stderr);
	if (!tmp || (run->saved_err = dup(STDERR_FILENO)) < 0 || dup2(fileno(tmp), STDERR_FILENO) < 0) {
		if (tmp)
			fclose(tmp);
		return err_set(ERR_IO, "cannot put stderr aside while the screen is up");
	}
	fclose(tmp);	/* fd 2 keeps the file */
	return 0;
}

static void stderr_back(struct dash_run *run)
{
	if (run->saved_err < 0)
		return;
	fflush(stderr);
	dup2(run->saved_err, STDERR_FILENO);
	close(run->saved_err);
	run->saved_err = -1;
}

static enum cmd_status dash_run_all(struct dash_run *run)
{
	enum cmd_status st;
	int r;

	if ((st = first_load(run)) != CMD_OK)
		return st;
	if (!(run->frame = malloc(sizeof(*run->frame))))
		return cli_fail(run->cli, CMD_ERROR, "out of memory");
	if (stderr_to_file(run) < 0)
		return cli_fail(run->cli, CMD_ERROR, "%s", err_msg());
	if ((r = world_open_term(true, &run->t)) < 0) {
		stderr_back(run);
		return cli_fail(run->cli, CMD_ERROR, "%s", err_msg());
	}
	if (dash_feed_follow(&run->f) < 0)
		dash_message(&run->d, true, "events cannot be followed: %s", err_msg());
	run_loop(run);
	run->t->ops->close(run->t);
	run->t = NULL;
	return CMD_OK;
}

static enum cmd_status cmd_dash_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct dash_run run = { .cli = cli, .saved_err = -1 };
	enum cmd_status st;
	long interval = DASH_INTERVAL_DEFAULT;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:", opts, NULL)) != -1) {
		if (c != 'i')
			return cli_usage(cli, "%s", cli_bad_option(argv, opts));
		if (cli_int("--interval", optarg, DASH_INTERVAL_MIN, DASH_INTERVAL_MAX, &interval) < 0)
			return cli_usage(cli, "%s", err_msg());
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (cli->json)
		return cli_usage(cli, "the dashboard draws a screen, it has no --json (chimera status --cached --json,"
				      " chimera events --follow --json)");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return cli_usage(cli, "the dashboard needs a terminal (for the fleet as text: chimera status --cached,"
				      " chimera events --follow)");
	dash_init(&run.d, cli->server ? cli->server : "local");
	run.d.interval_s = (int)interval;
	if ((st = dash_feed_open(cli, &run.f)) == CMD_OK)
		st = dash_run_all(&run);
	dash_feed_close(&run.f);
	stderr_back(&run);
	dash_release(&run.d);
	free(run.frame);
	return st;
}

const struct cmd_entry cmd_dash_entry = {
	.name = "dash",
	.summary = "the fleet live in the terminal: states, machines, events, rollback",
	.usage = "chimera dash [--interval S] [--server URL --token-file FILE]",
	.help = "A full-screen view of the inventory's machines: a header with how many are in\n"
		"each state, a table of machines (name, state, generation, store path, last\n"
		"check, heals) 20 a page, and the newest of the last 500 ledger events below\n"
		"it, coloured by severity (red failed, yellow drift, heals and rollbacks).\n"
		"\n"
		"Here it follows the ledger (woken by each append, from any process) and probes\n"
		"every machine's profile every S seconds; with --server URL (or CHIMERA_SERVER)\n"
		"it reads the server's event stream and asks the server to probe.\n"
		"\n"
		"keys:\n"
		"  q quit   r probe now   + - probe more or less often (1 to 60 s)\n"
		"  n p next and previous page   j k (arrows) move   s sort by the next column\n"
		"  / filter by name, target or state   Enter the machine's detail (generations,\n"
		"  facts, events)   R roll the machine back to its previous generation, after a\n"
		"  y (through a server: operator tokens only)   l the event log   ? help\n"
		"\n"
		"options:\n"
		"  -i, --interval S   probe every S seconds (1 to 60; default 10)\n"
		"\n"
		"Honours NO_COLOR; redraws when the window is resized; gives the terminal back on\n"
		"q, SIGINT and SIGTERM. docs/dash.md.\n",
	.exec = cmd_dash_exec,
};
