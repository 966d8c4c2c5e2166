/*
 * `chimera dash`'s state, with no terminal and no I/O: the fleet table folded from the
 * inventory, status documents and ledger events; the log of the last events; what the keys
 * do (filter, pages, sort, detail, rollback's confirmation, the probe interval); and the
 * screen it all makes, as lines (ports/term.h) for any size. The command feeds it and draws.
 */
#ifndef CHIMERA_APP_DASH_DASH_H
#define CHIMERA_APP_DASH_DASH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/chain.h"
#include "core/storepath.h"
#include "core/target.h"
#include "ports/term.h"
#include "util/clock.h"

#define DASH_PAGE_ROWS 20	/* machines a page */
#define DASH_LOG_MAX 500	/* events kept for the log pane */
#define DASH_INTERVAL_MIN 1	/* the probe interval's range, seconds */
#define DASH_INTERVAL_MAX 60
#define DASH_INTERVAL_DEFAULT 10
#define DASH_NAME_MAX 64
#define DASH_TEXT_MAX 256
#define DASH_COLS_MAX 400	/* wider screens are drawn this wide */
#define DASH_ROWS_MAX 300

enum dash_mode { DASH_TABLE, DASH_FILTER, DASH_DETAIL, DASH_HELP, DASH_CONFIRM, DASH_LOG };
enum dash_sort { DASH_SORT_NAME, DASH_SORT_STATE, DASH_SORT_GENERATION, DASH_SORT_CHECK, DASH_SORT_HEALS,
		 DASH_SORT_N };
enum dash_sev { DASH_INFO, DASH_WARN, DASH_ERROR };

struct dash_row {
	char name[DASH_NAME_MAX];	/* the inventory's name (the node's when it has none) */
	char node[TARGET_FORMAT_MAX];	/* user@host:port, as events name it */
	char state[16];			/* congruent, drifted, unreachable, unknown */
	char activity[16];		/* "" or deploying, rolling back, failed: what events say is going on */
	char op[32];			/* the deployment (or rollback) id of the activity, "" none */
	char lost[16];			/* "" or unreachable, unknown: what the last probe found when it did not read the profile */
	uint32_t generation;		/* 0: not known */
	char path[STOREPATH_MAX];	/* "" when not known */
	char check[CLOCK_UTC_LEN];	/* when it was last looked at, "" never */
	unsigned heals;			/* watch.node.healed events seen */
};

struct dash_log {
	int64_t seq;
	enum dash_sev sev;
	char text[DASH_TEXT_MAX];	/* "HH:MM:SS topic machine payload" */
};

struct dash {
	struct dash_row *rows;
	size_t n, cap;
	size_t *by_node;		/* indexes into ROWS sorted by node: an event finds its row in log n */
	size_t *view;			/* rows shown: filtered, sorted; indexes into ROWS */
	size_t nview;
	struct dash_log log[DASH_LOG_MAX];	/* a ring: the oldest at LOG_START */
	size_t log_start, log_n;
	int64_t seq;			/* the newest event folded */
	char filter[DASH_NAME_MAX];
	char input[DASH_NAME_MAX];	/* the filter being typed */
	enum dash_sort sort;
	enum dash_mode mode;
	size_t sel;			/* the chosen row, an index into VIEW */
	int interval_s;
	char source[DASH_TEXT_MAX];	/* "local" or the server's URL, for the title */
	char message[DASH_TEXT_MAX];	/* the status line: what the last action did */
	bool message_bad;
	char confirm[DASH_NAME_MAX];	/* the machine a rollback waits for y on */
	json_t *detail;			/* the detail's document (dash_set_detail) */
	size_t detail_top;		/* the detail's first line shown */
};

/* What a key asks the command to do, besides what it changed in the state. */
enum dash_action {
	DASH_NONE,
	DASH_QUIT,
	DASH_REFRESH,		/* probe every machine now */
	DASH_OPEN_DETAIL,	/* load the detail of dash_selected() */
	DASH_ROLLBACK,		/* roll dash_confirmed()'s machine back to its previous generation */
	DASH_INTERVAL,		/* the probe interval changed */
};

void dash_init(struct dash *d, const char *source);
void dash_release(struct dash *d);

/*
 * The machines of DOC (the machines list: {"machines": [{"name", "target"}, ...]}), in its
 * order; rows of machines still there keep what is known of them. Returns 0 or ERR_NOMEM.
 */
int dash_set_machines(struct dash *d, const json_t *doc);

/*
 * Fold a status document ({"cached", "expected", "nodes": [{"node", "state", "actual",
 * "generation"?, "seen"?}]}, cached or probed) into the rows of its nodes; NOW is the
 * check's time for a probed one. A probe without an expected path gives only the states
 * unreachable and unknown: congruent or drifted is the cached document's word.
 */
void dash_set_status(struct dash *d, const json_t *doc, const char *now);

/*
 * Fold one ledger event (seq, time, topic, node, payload) into the rows and the log; one at
 * or before the newest folded is passed over. Call dash_refilter after a batch.
 */
void dash_event(struct dash *d, const struct ledger_event *ev);

/* The severity a log line of TOPIC with payload PAYLOAD (may be NULL) is shown with. */
enum dash_sev dash_severity(const char *topic, const json_t *payload);

/* What row R shows as its state: its activity, else what the last probe could not do, else its state. */
const char *dash_row_state(const struct dash_row *r);

/* How many rows show STATE (dash_row_state). */
size_t dash_count(const struct dash *d, const char *state);

/* The row the cursor is on, or NULL when none is shown. */
const struct dash_row *dash_selected(const struct dash *d);

/* The row of machine NAME, or NULL. */
const struct dash_row *dash_find(const struct dash *d, const char *name);

/* Set the status line (BAD: shown as an error). */
void dash_message(struct dash *d, bool bad, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Apply KEY (a character or a TERM_KEY_* value) to the state; returns what the command must do. */
enum dash_action dash_key(struct dash *d, int key);

/* Show DOC (taken; NULL: none) as the detail: {"name", "target", "state", "generations", "facts", "events"}. */
void dash_set_detail(struct dash *d, json_t *doc);

/* Recompute the view after the rows, the filter or the sort changed. */
void dash_refilter(struct dash *d);

/* The screen of ROWS x COLS. */
struct dash_frame {
	struct term_line lines[DASH_ROWS_MAX];
	char text[DASH_ROWS_MAX][DASH_COLS_MAX + 1];
	int n;
};

/* Lay D out on a screen of ROWS x COLS into F (the lines point into F). */
void dash_frame(const struct dash *d, int rows, int cols, struct dash_frame *f);

#endif
