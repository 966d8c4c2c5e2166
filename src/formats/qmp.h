/*
 * QEMU's Machine Protocol (QMP) as pure logic: bytes in, classified messages out; commands
 * written into a buf; a session's order of messages. No I/O: the caller owns the socket.
 *
 * What this relies on, from QEMU's docs/interop/qmp-spec (read as docs/interop/qmp-spec.rst
 * of QEMU's tree and its older docs/qmp-spec.txt), qapi/control.json (qmp_capabilities,
 * query-version) and qapi/run-state.json (query-status):
 * - The server sends JSON objects in ASCII, one message per line (each ends with "\n"; a
 *   "\r" before it is dropped here). Members may come in any order.
 * - On connect the server greets: {"QMP": {"version": {"qemu": {"major": N, "minor": N,
 *   "micro": N}, "package": S}, "capabilities": [...]}}.
 * - The client is then in capabilities negotiation mode: only {"execute":
 *   "qmp_capabilities"} runs, answered {"return": {}}; other commands get a CommandNotFound
 *   error. After it, commands run.
 * - A command is {"execute": NAME, "arguments": {...}, "id": ID}; "arguments" and "id" are
 *   optional, ID is any JSON value and the answer carries the same one. The answer is
 *   {"return": VALUE, "id": ID} or {"error": {"class": S, "desc": S}, "id": ID}; "desc" is
 *   meant for humans. Answers come in the order of the commands (no out-of-band here).
 * - Events are {"event": NAME, "data": {...}, "timestamp": {"seconds": N, "microseconds":
 *   N}} ("data" optional) and may come at any time, between a command and its answer too:
 *   SHUTDOWN, POWERDOWN, STOP, RESUME, RESET... A client must skip events it does not know,
 *   and (QEMU issue 2176) events from before negotiation may come before its answer.
 * - query-status returns {"running": BOOL, "status": S, ...} (S: "running", "paused",
 *   "shutdown", "prelaunch", "inmigrate"...). human-monitor-command takes
 *   {"command-line": S} and returns the monitor's output as a string: savevm, loadvm and
 *   delvm print nothing on success and the error text otherwise. query-version returns the
 *   greeting's version object. system_powerdown and quit return {}.
 */
#ifndef CHIMERA_FORMATS_QMP_H
#define CHIMERA_FORMATS_QMP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define QMP_LINE_MAX (1024 * 1024)	/* default bound on one message line */
#define QMP_ID_MAX 64			/* longest id written or matched */
#define QMP_PENDING_MAX 16		/* commands a session waits on at once */
#define QMP_EVENTS_MAX 1024		/* events a session queues before it fails */

enum qmp_kind { QMP_GREETING, QMP_RETURN, QMP_ERROR, QMP_EVENT };

/* One message; all pointers borrowed from the reader and valid during the callback only. */
struct qmp_msg {
	enum qmp_kind kind;
	json_t *json;		/* the whole object */
	const char *id;		/* a string id; NULL when none or not a string */
	json_t *value;		/* greeting: the "QMP" object; return: "return"; event: "data" or NULL */
	const char *err_class;	/* error: "class" */
	const char *err_desc;	/* error: "desc" */
	const char *event;	/* event: its name */
	long long ts_sec;	/* event: timestamp, -1 when none */
	long long ts_usec;
};

/* FN(MSG, ARG) for each message; a nonzero return stops qmp_feed, which returns it. */
typedef int (*qmp_msg_fn)(const struct qmp_msg *msg, void *arg);

struct qmp_reader {
	struct buf line;
	size_t line_max;
	unsigned line_num;	/* lines read, for messages */
	int failed;		/* the error that stopped the stream, 0 while it is good */
};

/* LINE_MAX 0 means QMP_LINE_MAX. */
void qmp_reader_init(struct qmp_reader *r, size_t line_max);
void qmp_reader_release(struct qmp_reader *r);

/*
 * Read LEN bytes, calling FN for each message they complete. Returns 0, FN's return,
 * ERR_INVALID for a line that is not a QMP message, ERR_LIMIT for a line past the bound,
 * or ERR_NOMEM; after an error every later call fails the same way.
 */
int qmp_feed(struct qmp_reader *r, const char *data, size_t len, qmp_msg_fn fn, void *arg);

/* Classify one JSON object as a message (MSG borrows from OBJ). ERR_INVALID names why. */
int qmp_classify(json_t *obj, struct qmp_msg *msg);

/*
 * Append {"execute": CMD, "arguments": ARGS, "id": ID} and "\n" to OUT. ARGS (an object,
 * borrowed) and ID may be NULL. ERR_INVALID for a bad name, id or arguments.
 */
int qmp_command(struct buf *out, const char *cmd, json_t *args, const char *id);
int qmp_capabilities(struct buf *out, const char *id);
int qmp_query_status(struct buf *out, const char *id);
int qmp_query_version(struct buf *out, const char *id);
int qmp_system_powerdown(struct buf *out, const char *id);
int qmp_quit(struct buf *out, const char *id);
/* human-monitor-command with COMMAND_LINE. */
int qmp_hmp(struct buf *out, const char *command_line, const char *id);
/* "savevm NAME", "loadvm NAME" or "delvm NAME" (VERB) through qmp_hmp; NAME is checked. */
int qmp_snapshot(struct buf *out, const char *verb, const char *name, const char *id);

/*
 * An answer message (a return or an error object) to CMD: 0 and *RET borrowed from it for a
 * return; ERR_INVALID "QEMU refused CMD: CLASS: DESC" for an error.
 */
int qmp_answer(json_t *answer, const char *cmd, json_t **ret);

struct qmp_status {
	bool running;
	char status[32];
};

/* query-status's return value. ERR_INVALID when it has not that shape. */
int qmp_parse_status(const json_t *ret, struct qmp_status *st);

/* A version object (query-version's return, the greeting's "version"). */
int qmp_parse_version(const json_t *ver, int *major, int *minor, int *micro);

/*
 * human-monitor-command's return: 0 when the output is empty (blanks only); otherwise
 * ERR_INVALID with the output (trimmed) in the message and, when TEXT is not NULL, there.
 */
int qmp_parse_hmp(const json_t *ret, struct buf *text);

enum qmp_state { QMP_WAIT_GREETING, QMP_WAIT_CAPABILITIES, QMP_READY, QMP_FAILED };

struct qmp_session {
	struct qmp_reader reader;
	enum qmp_state state;
	json_t *greeting;	/* the "QMP" object once greeted */
	json_t *pending;	/* id -> null while waiting, the answer message once answered */
	json_t *events;		/* event messages not taken yet, oldest first */
	struct buf *out;	/* where qmp_session_feed writes the negotiation */
	unsigned next_id;
	char prefix[24];
	char caps_id[QMP_ID_MAX + 1];
};

/* Ids are PREFIX-N (N from 1). LINE_MAX as for qmp_reader_init. */
int qmp_session_init(struct qmp_session *s, const char *prefix, size_t line_max);
void qmp_session_release(struct qmp_session *s);

/*
 * Read LEN bytes from the server. The greeting makes it append qmp_capabilities to OUT (to
 * be sent); its answer makes the session ready. Answers are kept by id, events queued.
 * Returns 0, or an error (the session fails): a bad line, an error answer to the
 * negotiation, an answer to no command, a second greeting, too many events.
 */
int qmp_session_feed(struct qmp_session *s, const char *data, size_t len, struct buf *out);

/* Append command CMD with ARGS to OUT with the next id, copied to ID. Only when ready. */
int qmp_session_send(struct qmp_session *s, struct buf *out, const char *cmd, json_t *args,
		     char id[QMP_ID_MAX + 1]);

/*
 * The answer to command ID: 0 and *ANSWER (the message, the caller's reference) once it
 * came, 1 while waiting, ERR_NOTFOUND for an id not sent.
 */
int qmp_session_take(struct qmp_session *s, const char *id, json_t **answer);

/* The oldest queued event message (the caller's reference), or NULL. */
json_t *qmp_session_event(struct qmp_session *s);

#endif
