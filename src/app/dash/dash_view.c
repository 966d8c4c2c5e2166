/* The dashboard's screen as lines: title and counts, the table's page, the log pane, the status line. */
#include "app/dash/dash.h"
#include "app/dash/dash_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

void dash_put(struct dash_frame *f, int cols, enum term_style style, const char *fmt, ...)
{
	va_list ap;
	int w = cols < DASH_COLS_MAX ? cols : DASH_COLS_MAX;

	if (f->n >= DASH_ROWS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(f->text[f->n], (size_t)w + 1, fmt, ap);
	va_end(ap);
	f->lines[f->n].text = f->text[f->n];
	f->lines[f->n].style = style;
	f->n++;
}

static enum term_style state_style(const char *s)
{
	if (strcmp(s, "congruent") == 0)
		return TERM_GOOD;
	if (strcmp(s, "drifted") == 0 || strcmp(s, "deploying") == 0 || strcmp(s, "rolling back") == 0)
		return TERM_WARN;
	if (strcmp(s, "unreachable") == 0 || strcmp(s, "failed") == 0)
		return TERM_BAD;
	return TERM_PLAIN;
}

enum term_style dash_sev_style(enum dash_sev s)
{
	return s == DASH_ERROR ? TERM_BAD : s == DASH_WARN ? TERM_WARN : TERM_PLAIN;
}

/* A store path as "hash7..-name", the part a person tells paths apart by. */
void dash_short_path(const char *path, char *out, size_t len)
{
	const char *base = strncmp(path, "/nix/store/", 11) == 0 ? path + 11 : path;
	const char *dash = strchr(base, '-');

	if (!path[0])
		snprintf(out, len, "-");
	else if (dash && dash - base > 7)
		snprintf(out, len, "%.7s..%s", base, dash);
	else
		snprintf(out, len, "%s", base);
}

static void title(const struct dash *d, int cols, struct dash_frame *f)
{
	static const char *const sorts[] = { "name", "state", "generation", "last check", "heals" };
	size_t pg = d->sel / DASH_PAGE_ROWS + 1, npg = d->nview ? (d->nview + DASH_PAGE_ROWS - 1) / DASH_PAGE_ROWS : 1;

	dash_put(f, cols, TERM_BAR, "chimera dash  %s  probe %ds  page %zu/%zu  sort %s%s%s", d->source, d->interval_s,
		 pg, npg, sorts[d->sort], d->filter[0] ? "  filter " : "", d->filter);
	static const char *const states[] = { "congruent", "drifted", "unreachable", "unknown", "deploying",
					      "rolling back", "failed" };
	char counts[DASH_TEXT_MAX];
	const char *sep;
	size_t i, c, o;

	o = (size_t)snprintf(counts, sizeof(counts), "%zu machine%s", d->n, d->n == 1 ? "" : "s");
	/* Only the states some machine is in: the line fits 80 columns. */
	for (i = 0, sep = ":"; i < sizeof(states) / sizeof(states[0]) && o < sizeof(counts); i++) {
		if ((c = dash_count(d, states[i]))) {
			o += (size_t)snprintf(counts + o, sizeof(counts) - o, "%s %zu %s", sep, c, states[i]);
			sep = ",";
		}
	}
	dash_put(f, cols, TERM_PLAIN, "%s", counts);
}

/* The table's page: the cursor's page of the view. */
static void table(const struct dash *d, int cols, struct dash_frame *f)
{
	size_t first = d->sel / DASH_PAGE_ROWS * DASH_PAGE_ROWS, i;
	int pathw = cols - 50 > 8 ? cols - 50 : 8;

	dash_put(f, cols, TERM_BAR, "%-16s %-12s %4s %-*s %-8s %5s", "NAME", "STATE", "GEN", pathw, "PATH",
		 "CHECKED", "HEALS");
	for (i = first; i < d->nview && i < first + DASH_PAGE_ROWS; i++) {
		const struct dash_row *r = &d->rows[d->view[i]];
		const char *st = dash_row_state(r);
		char gen[16], path[STOREPATH_MAX];

		snprintf(gen, sizeof(gen), r->generation ? "%u" : "-", r->generation);
		dash_short_path(r->path, path, sizeof(path));
		dash_put(f, cols, i == d->sel ? TERM_SELECTED : state_style(st), "%-16.16s %-12.12s %4s %-*.*s %-8.8s %5u",
			 r->name, st, gen, pathw, pathw, path, strlen(r->check) > 11 ? r->check + 11 : "-", r->heals);
	}
	if (!d->nview)
		dash_put(f, cols, TERM_DIM, d->n ? "no machine matches the filter '%s' (/ to change it)"
						 : "no machines: add them to chimera.toml (chimera machines add)", d->filter);
}

/* The newest LINES events, oldest first. */
static void log_pane(const struct dash *d, int cols, int lines, struct dash_frame *f)
{
	size_t n = d->log_n < (size_t)lines ? d->log_n : (size_t)lines, i;

	for (i = d->log_n - n; i < d->log_n; i++) {
		const struct dash_log *l = &d->log[(d->log_start + i) % DASH_LOG_MAX];

		dash_put(f, cols, dash_sev_style(l->sev), "%s", l->text);
	}
}

static void help(int cols, struct dash_frame *f)
{
	static const char *const lines[] = {
		"q        quit (in a detail: back to the table)",
		"r        probe every machine now",
		"+ -      probe more or less often (every 1 to 60 s)",
		"n p      next and previous page (20 machines a page)",
		"j k      down and up (or the arrow keys)",
		"/        filter by a part of the name, target or state (Enter applies, Esc drops)",
		"s        sort by the next column (name, state, generation, last check, heals)",
		"Enter    the machine's detail: generations, facts, events",
		"R        roll the machine back to its previous generation (asks first)",
		"l        the log of the last 500 events, full screen",
		"?        this help",
	};
	size_t i;

	dash_put(f, cols, TERM_BAR, "chimera dash: keys (any key to go back)");
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		dash_put(f, cols, TERM_PLAIN, "  %s", lines[i]);
}

/* The bottom line: what is being typed or confirmed, else the last message, else the keys. */
static void status_line(const struct dash *d, int cols, struct dash_frame *f)
{
	if (d->mode == DASH_FILTER)
		dash_put(f, cols, TERM_BAR, "filter: %s_  (Enter applies, Esc drops)", d->input);
	else if (d->mode == DASH_CONFIRM)
		dash_put(f, cols, TERM_BAD, "roll %s back to its previous generation? y to confirm, any other key cancels",
			 d->confirm);
	else if (d->message[0])
		dash_put(f, cols, d->message_bad ? TERM_BAD : TERM_PLAIN, "%s", d->message);
	else
		dash_put(f, cols, TERM_DIM, "q quit  r probe  +/- interval  n/p page  / filter  Enter detail  R rollback  ? help");
}

void dash_frame(const struct dash *d, int rows, int cols, struct dash_frame *f)
{
	int left;

	f->n = 0;
	if (rows > DASH_ROWS_MAX)
		rows = DASH_ROWS_MAX;
	if (rows < 3 || cols < 10) {
		dash_put(f, cols, TERM_PLAIN, "too small");
		return;
	}
	if (d->mode == DASH_HELP) {
		help(cols, f);
	} else if (d->mode == DASH_DETAIL || (d->mode == DASH_CONFIRM && d->detail)) {
		dash_detail_lines(d, rows - 1, cols, f);
	} else if (d->mode == DASH_LOG) {
		dash_put(f, cols, TERM_BAR, "chimera dash: the last %zu events (l or Esc: back)", d->log_n);
		log_pane(d, cols, rows - 2, f);
	} else {
		title(d, cols, f);
		table(d, cols, f);
		if ((left = rows - 1 - f->n) > 1)
			dash_put(f, cols, TERM_BAR, "events");
		if ((left = rows - 1 - f->n) > 0)
			log_pane(d, cols, left, f);
	}
	while (f->n < rows - 1)
		dash_put(f, cols, TERM_PLAIN, "%s", "");
	if (f->n > rows - 1)
		f->n = rows - 1;
	status_line(d, cols, f);
}
