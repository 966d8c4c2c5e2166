/*
 * The CLI as a client of `chimera serve`: with --server URL (or CHIMERA_SERVER) status,
 * deploy, rollback, deployments, events, machines and watch --status ask the server's API
 * v1 instead of acting here, and print what it answers as the local command prints its own
 * report. Requests carry the bearer token (--token-file, CHIMERA_TOKEN, CHIMERA_TOKEN_FILE);
 * the token is never printed. docs/client.md.
 */
#ifndef CHIMERA_CLI_REMOTE_H
#define CHIMERA_CLI_REMOTE_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>

#include "cli/cli.h"
#include "cli/fleet_opts.h"
#include "ports/ledger.h"
#include "util/buf.h"

#define REMOTE_TIMEOUT_MS 60000		/* one request, unless it probes nodes */
#define REMOTE_PROBE_TIMEOUT_MS 900000	/* GET /status?refresh=1: the server contacts every node */
#define REMOTE_POLL_MS 500		/* a job's progress, asked this often */
#define REMOTE_BODY_MAX (16u << 20)	/* the largest answer taken */

/* Whether the command runs through a server (--server or CHIMERA_SERVER). */
bool remote_on(const struct cli *cli);

/*
 * GET PATH_QUERY (from "/api/v1/...", with its query) from the server; *DOC its JSON
 * answer (decref it). Returns CMD_OK, or the error printed (as the command's: "chimera
 * status: error: the server answered 403: ...") and its status: 400 is CMD_USAGE, 404 is
 * NOTFOUND (the command's own status for a name it does not know), anything else CMD_ERROR.
 * TIMEOUT_MS is the whole exchange.
 */
enum cmd_status remote_get(struct cli *cli, const char *path_query, enum cmd_status notfound, long timeout_ms,
			   json_t **doc);

/*
 * POST BODY (a reference is taken) to PATH, then, the work being a job (202), ask for the job
 * every REMOTE_POLL_MS until it has ended, showing its nodes' steps on stderr as the local
 * command does (not with --json or -q). *JOB is the ended job's document (decref it): its
 * "report" is the command's --json document, or null with "error" saying why. Returns
 * CMD_OK, or the error printed and its status (as remote_get).
 */
enum cmd_status remote_job(struct cli *cli, const char *path, json_t *body, json_t **job);

/*
 * An ended job without a report, or one whose report came with an error (the ledger did not
 * take every event): that error printed. Returns CMD_ERROR.
 */
enum cmd_status remote_job_error(struct cli *cli, const json_t *job);

/*
 * After an ended job's report was printed: ST, or, when the job's error is the ledger's
 * refusal of its events ("the ledger did not take every event: ..."), that printed as the
 * local command prints it, and CMD_ERROR. (A job's error may also only sum up its report.)
 */
enum cmd_status remote_job_status(struct cli *cli, const json_t *job, enum cmd_status st);

/* DOC as the local command prints its --json document (indented by 2, then a newline). */
void remote_print_json(const json_t *doc);

/* Append VALUE to B percent-encoded (all but letters, digits and -._~): a path segment. 0 or a buf error. */
int remote_path_segment(struct buf *b, const char *value);

/* Append "NAME=VALUE" to the query Q, after '?' or '&', VALUE percent-encoded. Returns 0 or a buf error. */
int remote_query(struct buf *q, const char *name, const char *value);

/*
 * GET PATH_QUERY as an event stream (Accept: text/event-stream, Last-Event-ID when
 * LAST_EVENT_ID is not NULL, no time limit): a 2xx answer's body goes to FN piece by piece,
 * and FN(NULL, 0, ARG) runs about once a second meanwhile; FN's nonzero return ends it.
 * Returns CMD_OK when the stream ended (the server closed it, or FN asked), or the error
 * printed as remote_get prints it (a refused connection, 401, 403, ...).
 */
enum cmd_status remote_stream(struct cli *cli, const char *path_query, const char *last_event_id,
			      int (*fn)(const char *data, size_t len, void *arg), void *arg);

/*
 * The server's events after *AFTER that match F (topic, node, deployment; at most F's limit,
 * 0 none; F's since is not read) to FN in seq order, a page of GET /events at a time
 * (remote_events.c); with FOLLOW then its event stream from the last one given, and again,
 * a second after the server ended it, until *STOP is set (a signal, another thread), FN
 * returns nonzero or the limit is reached. *AFTER is moved to the last seq read, so that a
 * caller that tries again after an error goes on from there. Returns CMD_OK, or the error
 * printed (as remote_get prints it) and its status.
 */
enum cmd_status remote_events(struct cli *cli, const struct ledger_filter *f, bool follow, int64_t *after,
			      ledger_event_fn fn, void *arg, volatile sig_atomic_t *stop);

/*
 * The fleet options of F a server is asked with: -t and the lines of --targets-file (read
 * here) as "targets", --exclude as "exclude", and the settings a POST body takes (profile,
 * parallel, connect_timeout, timeout, stall_timeout, activation_timeout, lock_wait, activate,
 * goal, sudo, accept_new_host_keys) into BODY; or, with BODY NULL, targets and exclude onto
 * the query QUERY (a GET: any setting is then a usage error). Returns CMD_OK, or a usage
 * error printed (no targets, an unreadable --targets-file).
 */
enum cmd_status remote_fleet(struct cli *cli, const struct cli_fleet *f, json_t *body, struct buf *query);

/* cli_source_check with -c's file the server's: it is not looked for here (the server does). */
int remote_source_check(const struct cli_source *s);

/*
 * The source options of CS into BODY: "file" (absolute: a path on the server), "attr",
 * "args", "argstrs", "flake" or "expect". Returns CMD_OK, or a usage error printed (a
 * relative -c).
 */
enum cmd_status remote_source(struct cli *cli, const struct cli_source *cs, json_t *body);

#endif
