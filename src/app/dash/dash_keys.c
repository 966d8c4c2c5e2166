/* The dashboard's keys: what each does to the state, and the view (filter, sort) they steer. */
#include "app/dash/dash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/banned.h"

/* Whether R matches the filter: a part of its name, node or state, any case. */
static bool matches(const struct dash_row *r, const char *filter)
{
	return !filter[0] || strcasestr(r->name, filter) || strcasestr(r->node, filter) ||
	       strcasestr(dash_row_state(r), filter);
}

static int cmp_rows(const struct dash_row *a, const struct dash_row *b, enum dash_sort s)
{
	int c = 0;

	switch (s) {
	case DASH_SORT_STATE: c = strcmp(dash_row_state(a), dash_row_state(b)); break;
	case DASH_SORT_GENERATION: c = (a->generation < b->generation) - (a->generation > b->generation); break;
	case DASH_SORT_CHECK: c = -strcmp(a->check, b->check); break;
	case DASH_SORT_HEALS: c = (a->heals < b->heals) - (a->heals > b->heals); break;
	case DASH_SORT_NAME:
	case DASH_SORT_N: break;
	}
	return c ? c : strcmp(a->name, b->name);
}

/* qsort_r's comparison of two indices into D's rows (names break ties, so the order is total). */
static int cmp_view(const void *a, const void *b, void *arg)
{
	const struct dash *d = arg;

	return cmp_rows(&d->rows[*(const size_t *)a], &d->rows[*(const size_t *)b], d->sort);
}

void dash_refilter(struct dash *d)
{
	const struct dash_row *keep = dash_selected(d);
	char name[DASH_NAME_MAX] = "";
	size_t i, n = 0, *v;

	if (keep)
		snprintf(name, sizeof(name), "%s", keep->name);
	if (!(v = realloc(d->view, (d->n ? d->n : 1) * sizeof(*v))))
		return;
	d->view = v;
	for (i = 0; i < d->n; i++)
		if (matches(&d->rows[i], d->filter))
			v[n++] = i;
	/* n log n: after a probe every row's state and check time may have moved. */
	if (n > 1)
		qsort_r(v, n, sizeof(*v), cmp_view, d);
	d->nview = n;
	/* The cursor stays on its machine when it is still shown. */
	d->sel = 0;
	for (i = 0; name[0] && i < n; i++)
		if (strcmp(d->rows[v[i]].name, name) == 0)
			d->sel = i;
}

static size_t pages(const struct dash *d)
{
	return d->nview ? (d->nview + DASH_PAGE_ROWS - 1) / DASH_PAGE_ROWS : 1;
}

/* A key while the filter is typed: letters add, Backspace takes back, Enter applies, Esc drops. */
static enum dash_action filter_key(struct dash *d, int key)
{
	size_t len = strlen(d->input);

	if (key == TERM_KEY_ENTER) {
		snprintf(d->filter, sizeof(d->filter), "%s", d->input);
		d->mode = DASH_TABLE;
		dash_refilter(d);
		d->sel = 0;	/* the first page of what the filter shows */
		if (d->filter[0])
			dash_message(d, false, "filter '%s': %zu of %zu machines", d->filter, d->nview, d->n);
		else
			dash_message(d, false, "no filter: %zu machines", d->n);
	} else if (key == TERM_KEY_ESC) {
		d->mode = DASH_TABLE;
	} else if (key == TERM_KEY_BACKSPACE) {
		if (len)
			d->input[len - 1] = '\0';
	} else if (key >= 32 && key < 127 && len + 1 < sizeof(d->input)) {
		d->input[len] = (char)key;
		d->input[len + 1] = '\0';
	}
	return DASH_NONE;
}

/* R: the confirmation asked for the chosen machine (its name kept: the rows may move meanwhile). */
static enum dash_action ask_rollback(struct dash *d, const struct dash_row *r)
{
	if (!r) {
		dash_message(d, true, "no machine chosen to roll back");
		return DASH_NONE;
	}
	snprintf(d->confirm, sizeof(d->confirm), "%s", r->name);
	d->mode = DASH_CONFIRM;
	return DASH_NONE;
}

static enum dash_action confirm_key(struct dash *d, int key)
{
	d->mode = d->detail ? DASH_DETAIL : DASH_TABLE;
	if (key == 'y' || key == 'Y')
		return DASH_ROLLBACK;
	dash_message(d, false, "rollback of %s cancelled", d->confirm);
	d->confirm[0] = '\0';
	return DASH_NONE;
}

static enum dash_action detail_key(struct dash *d, int key)
{
	switch (key) {
	case 'q':
	case TERM_KEY_ESC:
	case TERM_KEY_BACKSPACE:
		d->mode = DASH_TABLE;
		dash_set_detail(d, NULL);
		return DASH_NONE;
	case TERM_KEY_DOWN:
	case 'j': d->detail_top++; return DASH_NONE;
	case TERM_KEY_UP:
	case 'k': if (d->detail_top) d->detail_top--; return DASH_NONE;
	case 'R': {
		const char *name = json_string_value(json_object_get(d->detail, "name"));

		return ask_rollback(d, name ? dash_find(d, name) : NULL);
	}
	case 'r': return DASH_OPEN_DETAIL;
	default: return DASH_NONE;
	}
}

/* The keys of the table (and of the log view, which has the same). */
static enum dash_action table_key(struct dash *d, int key)
{
	size_t pg = d->sel / DASH_PAGE_ROWS;

	switch (key) {
	case 'q': return DASH_QUIT;
	case 'r': dash_message(d, false, "probing every machine"); return DASH_REFRESH;
	case '+':
	case '-': {
		int v = d->interval_s + (key == '+' ? 1 : -1);

		d->interval_s = v < DASH_INTERVAL_MIN ? DASH_INTERVAL_MIN : v > DASH_INTERVAL_MAX ? DASH_INTERVAL_MAX : v;
		dash_message(d, false, "probe every %d s", d->interval_s);
		return DASH_INTERVAL;
	}
	case 'n': if (pg + 1 < pages(d)) d->sel = (pg + 1) * DASH_PAGE_ROWS; return DASH_NONE;
	case 'p': if (pg) d->sel = (pg - 1) * DASH_PAGE_ROWS; return DASH_NONE;
	case TERM_KEY_DOWN:
	case 'j': if (d->sel + 1 < d->nview) d->sel++; return DASH_NONE;
	case TERM_KEY_UP:
	case 'k': if (d->sel) d->sel--; return DASH_NONE;
	case 's':
		d->sort = (enum dash_sort)((d->sort + 1) % DASH_SORT_N);
		dash_refilter(d);
		return DASH_NONE;
	case '/':
		d->mode = DASH_FILTER;
		snprintf(d->input, sizeof(d->input), "%s", d->filter);
		return DASH_NONE;
	case '?': d->mode = DASH_HELP; return DASH_NONE;
	case 'l': d->mode = d->mode == DASH_LOG ? DASH_TABLE : DASH_LOG; return DASH_NONE;
	case TERM_KEY_ESC: d->mode = DASH_TABLE; return DASH_NONE;
	case TERM_KEY_ENTER:
		if (!dash_selected(d))
			return DASH_NONE;
		d->mode = DASH_DETAIL;
		return DASH_OPEN_DETAIL;
	case 'R': return ask_rollback(d, dash_selected(d));
	default: return DASH_NONE;
	}
}

enum dash_action dash_key(struct dash *d, int key)
{
	if (key == TERM_KEY_QUIT)
		return DASH_QUIT;
	switch (d->mode) {
	case DASH_FILTER: return filter_key(d, key);
	case DASH_CONFIRM: return confirm_key(d, key);
	case DASH_DETAIL: return detail_key(d, key);
	case DASH_HELP: d->mode = DASH_TABLE; return DASH_NONE;
	case DASH_TABLE:
	case DASH_LOG: break;
	}
	return table_key(d, key);
}
