/*
 * Where `chimera dash` gets the fleet from: here (the inventory, the ledger followed by its
 * wait, probes and rollbacks run here) or a server (its API's documents and event stream,
 * its rollback job). Events come from a thread, queued, and the wake descriptor turns
 * readable when some wait.
 */
#ifndef CHIMERA_CLI_DASH_FEED_H
#define CHIMERA_CLI_DASH_FEED_H

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "cli/cli.h"
#include "cli/fleet_opts.h"

struct dash_queued;

struct dash_feed {
	struct cli *cli;
	bool remote;
	struct cli_fleet fleet;		/* here: every machine, for probes and the cached status */
	bool fleet_open;
	pthread_t thread;
	bool thread_started;
	volatile sig_atomic_t stop;
	int wake[2];			/* a pipe: the thread writes a byte for each batch */
	pthread_mutex_t lock;
	struct dash_queued *head, *tail;	/* events not taken yet */
	char error[512];		/* the thread's last error, "" none (under LOCK) */
};

/* Open F on CLI's world or server. Returns CMD_OK, or the error printed. */
enum cmd_status dash_feed_open(struct cli *cli, struct dash_feed *f);

/* Start following the events from the first (in a thread). 0 or an error (message set). */
int dash_feed_follow(struct dash_feed *f);

/* The descriptor that turns readable when events are queued. */
int dash_feed_wake_fd(const struct dash_feed *f);

/*
 * Give FN each queued event, oldest first (EV lives until FN returns). *ERROR (ERRLEN bytes)
 * gets the following thread's error since the last call, "" when none. Returns how many.
 */
size_t dash_feed_take(struct dash_feed *f, void (*fn)(const struct ledger_event *ev, void *arg), void *arg,
		      char *error, size_t errlen);

/* The machines list document ({"machines": [...]}). 0 with *DOC set (decref it), or an error with MSG. */
int dash_feed_machines(struct dash_feed *f, json_t **doc, char *msg, size_t len);

/* The status document: from the ledger, or with PROBE every machine contacted. As above. */
int dash_feed_status(struct dash_feed *f, bool probe, json_t **doc, char *msg, size_t len);

/* Machine NAME's detail document (see dash_set_detail). As above. */
int dash_feed_detail(struct dash_feed *f, const char *name, json_t **doc, char *msg, size_t len);

/* Roll NAME back to its previous generation. 0 with what happened in MSG, or an error with MSG. */
int dash_feed_rollback(struct dash_feed *f, const char *name, char *msg, size_t len);

/* Stop the thread and close F. */
void dash_feed_close(struct dash_feed *f);

#endif
