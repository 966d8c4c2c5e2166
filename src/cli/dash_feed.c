/* chimera dash's sources: the world here or a server; events followed in a thread and queued. */
#include "cli/dash_feed.h"
#include "app/ledger/events.h"
#include "cli/remote.h"
#include "util/clock.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

#define RETRY_MS 2000		/* after an error reading a server's events, before trying again */

/* An event queued by the following thread: the strings after the struct. */
struct dash_queued {
	struct dash_queued *next;
	struct ledger_event ev;
	char strings[];
};

static char *dup_into(char **p, const char *s)
{
	char *at = *p;
	size_t n = strlen(s) + 1;

	memcpy(at, s, n);
	*p += n;
	return at;
}

/* Called from the following thread: EV copied onto the queue, the main loop woken. */
static int enqueue(const struct ledger_event *ev, void *arg)
{
	struct dash_feed *f = arg;
	size_t n = strlen(ev->topic) + 1 + (ev->node ? strlen(ev->node) + 1 : 0) +
		   (ev->deployment ? strlen(ev->deployment) + 1 : 0) + (ev->payload ? strlen(ev->payload) + 1 : 3);
	struct dash_queued *q = calloc(1, sizeof(*q) + n);
	char *p;

	if (!q)
		return ERR_NOMEM;
	p = q->strings;
	q->ev = *ev;
	q->ev.topic = dup_into(&p, ev->topic);
	q->ev.node = ev->node ? dup_into(&p, ev->node) : NULL;
	q->ev.deployment = ev->deployment ? dup_into(&p, ev->deployment) : NULL;
	q->ev.payload = dup_into(&p, ev->payload ? ev->payload : "{}");
	pthread_mutex_lock(&f->lock);
	if (f->tail)
		f->tail->next = q;
	else
		f->head = q;
	f->tail = q;
	pthread_mutex_unlock(&f->lock);
	if (write(f->wake[1], "e", 1) < 0) {
		/* the pipe is full: the main loop has bytes to wake on already */
	}
	return f->stop ? 1 : 0;
}

static void thread_error(struct dash_feed *f, const char *msg)
{
	pthread_mutex_lock(&f->lock);
	snprintf(f->error, sizeof(f->error), "%s", msg);
	pthread_mutex_unlock(&f->lock);
	if (write(f->wake[1], "!", 1) < 0) {
		/* as in enqueue */
	}
}

static void *follow_local(void *arg)
{
	struct dash_feed *f = arg;
	struct ledger_filter flt = { 0 };
	struct ledger *l = NULL;

	if (cli_open_ledger(f->cli, &l) < 0 || events_follow(l, &flt, enqueue, f, &f->stop) < 0)
		thread_error(f, err_msg());
	if (l)
		ledger_close(l);
	return NULL;
}

/* The server's events queued; after an error, said on the status line, again from the last one read. */
static void *follow_remote(void *arg)
{
	struct dash_feed *f = arg;
	struct ledger_filter flt = { 0 };
	int64_t after = 0;

	while (!f->stop) {
		if (remote_events(f->cli, &flt, true, &after, enqueue, f, &f->stop) != CMD_OK && !f->stop)
			thread_error(f, "the server's events cannot be read; trying again");
		for (int i = 0; i < RETRY_MS / 100 && !f->stop; i++)
			clock_sleep_ms(100);
	}
	return NULL;
}

static void on_usr1(int sig)
{
	/* only to interrupt the ledger's wait */
}

enum cmd_status dash_feed_open(struct cli *cli, struct dash_feed *f)
{
	int r;

	memset(f, 0, sizeof(*f));
	f->cli = cli;
	f->remote = remote_on(cli);
	f->wake[0] = f->wake[1] = -1;
	pthread_mutex_init(&f->lock, NULL);
	if (pipe2(f->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		return cli_fail(cli, CMD_ERROR, "cannot make a pipe: %s", strerror(errno));
	if (f->remote)
		return CMD_OK;
	cli_fleet_init(&f->fleet);
	f->fleet.spec = "all";
	if ((r = cli_fleet_open(cli, &f->fleet)) < 0)
		return cli_fail_err(cli, r);
	f->fleet_open = true;
	return CMD_OK;
}

int dash_feed_follow(struct dash_feed *f)
{
	struct sigaction sa = { 0 };
	int r;

	sa.sa_handler = on_usr1;	/* no SA_RESTART: the wait returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if ((r = pthread_create(&f->thread, NULL, f->remote ? follow_remote : follow_local, f)) != 0)
		return err_set(ERR_IO, "cannot start a thread: %s", strerror(r));
	f->thread_started = true;
	return 0;
}

int dash_feed_wake_fd(const struct dash_feed *f)
{
	return f->wake[0];
}

size_t dash_feed_take(struct dash_feed *f, void (*fn)(const struct ledger_event *ev, void *arg), void *arg,
		      char *error, size_t errlen)
{
	struct dash_queued *q, *next;
	char drain[256];
	size_t n = 0;

	while (read(f->wake[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&f->lock);
	q = f->head;
	f->head = f->tail = NULL;
	snprintf(error, errlen, "%s", f->error);
	f->error[0] = '\0';
	pthread_mutex_unlock(&f->lock);
	for (; q; q = next) {
		next = q->next;
		fn(&q->ev, arg);
		free(q);
		n++;
	}
	return n;
}

void dash_feed_close(struct dash_feed *f)
{
	struct dash_queued *q, *next;

	f->stop = 1;
	if (f->thread_started) {
		pthread_kill(f->thread, SIGUSR1);
		pthread_join(f->thread, NULL);
	}
	for (q = f->head; q; q = next) {
		next = q->next;
		free(q);
	}
	if (f->fleet_open)
		cli_fleet_close(&f->fleet);
	if (f->wake[0] >= 0)
		close(f->wake[0]);
	if (f->wake[1] >= 0)
		close(f->wake[1]);
	pthread_mutex_destroy(&f->lock);
}
