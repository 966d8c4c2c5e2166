/*
 * Nix's structured log (`--log-format internal-json`): the "@nix {json}" lines nix-build and
 * `nix build` write on stderr, read line by line into build events.
 */
#ifndef CHIMERA_FORMATS_NIXLOG_H
#define CHIMERA_FORMATS_NIXLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/storepath.h"

/*
 * What Nix 2.8 writes (checked against nix-bin 2.8.0, the .jsonlog files of tests/fixtures/nix):
 *   {"action":"msg","level":L,"msg":TEXT}                      a message (0 error ... 7 vomit)
 *   {"action":"start","id":ID,"type":T,"level":L,"text":TEXT,"fields":[...]}
 *   {"action":"stop","id":ID}
 *   {"action":"result","id":ID,"type":R,"fields":[...]}
 * Activity types T: 104 the whole build (its progress results count the derivations),
 * 105 one derivation (fields[0] its .drv path). Result types R: 101 a line of the
 * builder's output, 107 a post-build hook's line, 104 a phase (fields[0] its name),
 * 105 progress [done, expected, running, failed] ("expected" loses the failed ones). Nix
 * 2.8 sends a derivation's progress result before its stop, and names a failed one in an
 * error message ("builder for '...drv' failed ..."), before or after the stop. So a
 * derivation failed when an error named its .drv while it was open, or when "failed" rose
 * and no other open derivation was named; otherwise it was built when "done" rose, and
 * else stopped unfinished (cancelled after another failed).
 */

#define NIXLOG_TAIL 25			/* log lines kept per derivation, for its failure */
#define NIXLOG_LINE_MAX 512		/* bytes of a log line kept (cut on a character) */
#define NIXLOG_TEXT_MAX (64 * 1024)	/* bytes of a message kept */
#define NIXLOG_INPUT_MAX (256 * 1024)	/* bytes of one input line read; the rest is dropped */
#define NIXLOG_BUILDS_MAX 64		/* derivations followed at once; more are not reported */
#define NIXLOG_NAME_MAX (STOREPATH_NAME_MAX + 1)

enum nixlog_kind {
	NIXLOG_TEXT,		/* a line with no build meaning: a message, another activity, a plain line */
	NIXLOG_BUILD_START,	/* a derivation started building: drv, name */
	NIXLOG_BUILD_LINE,	/* a line of its output: drv, name, text */
	NIXLOG_BUILD_PHASE,	/* it entered a phase: drv, name, text (the phase) */
	NIXLOG_BUILD_DONE,	/* it stopped: drv, name, result, ms, tail */
	NIXLOG_COUNTS,		/* done, total, running or failed moved */
};

enum nixlog_result {
	NIXLOG_BUILT,
	NIXLOG_FAILED,
	NIXLOG_STOPPED,		/* ended without building or failing: cancelled, or Nix ended first */
};

/* One event; every pointer is valid during the callback only. */
struct nixlog_event {
	enum nixlog_kind kind;
	/*
	 * What nix-build without --log-format prints for this line (messages, "building
	 * '...drv'...", the builder's lines, lines that are not "@nix" JSON), without colour
	 * codes, carriage returns or other control characters (a message keeps its newlines
	 * and tabs); NULL when it prints nothing.
	 */
	const char *plain;
	/*
	 * TEXT: the level of the message or activity (0 error, 1 warning, ... 3 info), 3 for
	 * a builder's line of a derivation not followed, -1 for a line that is not Nix's JSON
	 * (or a message without a level from 0 to 7); -1 for the other kinds.
	 */
	int level;
	const char *drv;	/* the build events: the derivation's .drv path */
	const char *name;	/* its name, without the hash and ".drv" */
	const char *text;	/* BUILD_LINE: the line (no control characters); BUILD_PHASE: the phase */
	enum nixlog_result result;	/* BUILD_DONE */
	int64_t ms;			/* BUILD_DONE: from its start */
	const char *const *tail;	/* BUILD_DONE: its last NTAIL output lines, oldest first */
	size_t ntail;
	/* Every event: the whole build's derivations built, in all (failed ones too), building, failed. */
	size_t done, total, running, failed;
};

typedef void (*nixlog_fn)(const struct nixlog_event *ev, void *arg);

struct nixlog;

/* A reader that hands each event to FN with ARG. NULL when out of memory. */
struct nixlog *nixlog_new(nixlog_fn fn, void *arg);

/*
 * Read LEN bytes of Nix's stderr, split anywhere; complete lines are parsed (a line is
 * read the same whatever the split). NOW_MS is the caller's clock, for the derivations'
 * times. Returns 0 or ERR_NOMEM.
 */
int nixlog_feed(struct nixlog *p, const char *data, size_t len, int64_t now_ms);

/* The input ended: parse a last line without its newline, stop every derivation still open. */
int nixlog_end(struct nixlog *p, int64_t now_ms);

/* True once a "@nix" line was read. */
bool nixlog_structured(const struct nixlog *p);

void nixlog_free(struct nixlog *p);

/*
 * For an error from Nix's own text TEXT (LEN bytes, as `plain` gives it): what to set when
 * the text names a build-users-group that does not exist, or a daemon socket nobody
 * listens on, written into OUT (OUTLEN bytes). Returns true when it wrote one.
 */
bool nixlog_hint(const char *text, size_t len, char *out, size_t outlen);

/* True when a line of the nix.conf text TEXT (LEN bytes) sets KEY ("KEY = ..."). */
bool nixlog_conf_sets(const char *text, size_t len, const char *key);

#endif
