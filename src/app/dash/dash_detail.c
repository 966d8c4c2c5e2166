/* The dashboard's detail of one machine: where it is, its generations, facts and last events. */
#include "app/dash/dash_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* Lines past the detail's scroll position, up to the screen's. */
struct scroll {
	struct dash_frame *f;
	int cols, rows;
	size_t skip;
};

static void line(struct scroll *s, enum term_style style, const char *text)
{
	if (s->skip) {
		s->skip--;
		return;
	}
	if (s->f->n < s->rows)
		dash_put(s->f, s->cols, style, "%s", text);
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static void generations(const json_t *doc, struct scroll *s)
{
	const json_t *g;
	char text[DASH_TEXT_MAX];
	size_t i;

	line(s, TERM_BAR, "generations");
	if (str(doc, "generations_error")[0]) {
		snprintf(text, sizeof(text), "  cannot list them: %s", str(doc, "generations_error"));
		line(s, TERM_BAD, text);
	}
	json_array_foreach(json_object_get(doc, "generations"), i, g) {
		bool cur = json_is_true(json_object_get(g, "current"));

		snprintf(text, sizeof(text), "%s %4lld  %-20.20s %s", cur ? "*" : " ",
			 (long long)json_integer_value(json_object_get(g, "generation")), str(g, "date"), str(g, "path"));
		line(s, cur ? TERM_GOOD : TERM_PLAIN, text);
	}
}

/* A fact as text: a string, a number, or the object's compact JSON. */
static void fact_text(const json_t *v, char *out, size_t len)
{
	char *j;

	if (json_is_string(v)) {
		snprintf(out, len, "%s", json_string_value(v));
	} else if ((j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY))) {
		snprintf(out, len, "%s", j);
		free(j);
	} else {
		snprintf(out, len, "?");
	}
}

static void facts(const json_t *doc, struct scroll *s)
{
	static const char *const keys[] = { "hostname", "os", "kernel", "arch", "cpus", "memory", "uptime", "load",
					    "nix" };
	const json_t *f = json_object_get(doc, "facts"), *v;
	char text[DASH_TEXT_MAX], val[DASH_TEXT_MAX - 16];
	size_t i;

	snprintf(text, sizeof(text), "facts%s%s", str(doc, "facts_gathered")[0] ? ", gathered " : "",
		 str(doc, "facts_gathered"));
	line(s, TERM_BAR, text);
	if (!json_is_object(f)) {
		line(s, TERM_DIM, "  none gathered (chimera facts gathers them)");
		return;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!(v = json_object_get(f, keys[i])) || json_is_null(v))
			continue;
		fact_text(v, val, sizeof(val));
		snprintf(text, sizeof(text), "  %-9s %s", keys[i], val);
		line(s, TERM_PLAIN, text);
	}
}

static void events(const json_t *doc, struct scroll *s)
{
	const json_t *e;
	char text[DASH_TEXT_MAX], *p;
	size_t i;

	line(s, TERM_BAR, "events");
	json_array_foreach(json_object_get(doc, "events"), i, e) {
		const json_t *payload = json_object_get(e, "payload");

		p = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(text, sizeof(text), "%6lld %.8s %s %s", (long long)json_integer_value(json_object_get(e, "seq")),
			 strlen(str(e, "time")) > 11 ? str(e, "time") + 11 : str(e, "time"), str(e, "topic"), p ? p : "");
		free(p);
		line(s, dash_sev_style(dash_severity(str(e, "topic"), payload)), text);
	}
	if (!json_array_size(json_object_get(doc, "events")))
		line(s, TERM_DIM, "  none");
}

void dash_detail_lines(const struct dash *d, int rows, int cols, struct dash_frame *f)
{
	const json_t *doc = d->detail;
	const char *name = str(doc, "name");
	const struct dash_row *r = dash_find(d, name);
	struct scroll s = { f, cols, rows, d->detail_top };
	char text[DASH_TEXT_MAX];

	dash_put(f, cols, TERM_BAR, "%s  %s  (q back, j/k scroll, r again, R roll back)", doc ? name : "loading...",
		 str(doc, "target"));
	if (!doc)
		return;
	if (r) {
		snprintf(text, sizeof(text), "state %s  generation %s%.0u  path %s  checked %s  heals %u",
			 dash_row_state(r), r->generation ? "" : "-", r->generation, r->path[0] ? r->path : "-",
			 r->check[0] ? r->check : "never", r->heals);
		line(&s, TERM_PLAIN, text);
	}
	generations(doc, &s);
	facts(doc, &s);
	events(doc, &s);
}
