/* `chimera nix gc --json` and the nix.gc.completed payload: one schema for a node, the CLI and the API. */
#include "app/nix/gc.h"
#include "util/json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static json_t *u64_or_null(bool known, uint64_t v)
{
	return known ? json_integer((json_int_t)v) : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_utf8_string(s, strlen(s)) : json_null();
}

static json_t *why_json(unsigned why)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; i < GC_WHY_COUNT; i++)
		if (why & (1u << i))
			json_array_append_new(a, json_string(gc_why_name(1u << i)));
	return a;
}

static json_t *choice_json(const struct gc_choice *c, bool kept)
{
	json_t *o = json_pack("{s:I, s:I, s:s}", "generation", (json_int_t)c->num, "time", (json_int_t)c->time, "path",
			      c->path);

	if (o && kept) {
		json_object_set_new(o, "why", why_json(c->why));
		json_object_set_new(o, "by", str_or_null(c->by));
	}
	return o;
}

static const char *measure_name(enum gc_measure m)
{
	return m == GC_MEASURE_DU ? "du" : m == GC_MEASURE_NIX ? "nix" : NULL;
}

json_t *gc_node_json(const struct gc_report *rep, const struct gc_node *n)
{
	/* What went: in a dry run what would, else only once the node said the generations were deleted. */
	bool went = rep->dry_run ? n->ok : n->deleted;
	json_t *o, *dn = json_array(), *kn = json_array(), *pn = json_array(), *d = json_array(), *k = json_array();
	size_t i;

	for (i = 0; i < n->plan.n; i++) {
		const struct gc_choice *c = &n->plan.items[i];

		if (c->why) {
			json_array_append_new(kn, json_integer(c->num));
			json_array_append_new(k, choice_json(c, true));
			continue;
		}
		json_array_append_new(pn, json_integer(c->num));
		if (went) {
			json_array_append_new(dn, json_integer(c->num));
			json_array_append_new(d, choice_json(c, false));
		}
	}
	o = json_pack("{s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o}", "node", n->name, "profile", n->profile, "ok",
		      n->ok, "dry_run", rep->dry_run, "generations_deleted", dn, "generations_kept", kn, "planned", pn,
		      "deleted", d, "kept", k, "current", n->current ? json_integer(n->current) : json_null());
	if (!o)
		return NULL;
	json_object_set_new(o, "freed_bytes", u64_or_null(n->measure != GC_MEASURE_NONE, n->freed_bytes));
	json_object_set_new(o, "measure", str_or_null(measure_name(n->measure)));
	json_object_set_new(o, "nix_freed_bytes", u64_or_null(n->nix_known, n->nix_freed_bytes));
	json_object_set_new(o, "paths_removed", u64_or_null(n->paths_known, n->paths_removed));
	json_object_set_new(o, "switches", json_integer((json_int_t)n->switches));
	json_object_set_new(o, "warning", str_or_null(n->warning));
	json_object_set_new(o, "step", str_or_null(n->fail.step));
	json_object_set_new(o, "error", n->fail.step ? str_or_null(n->fail.message) : json_null());
	json_object_set_new(o, "ms", json_integer(n->ms));
	return o;
}

char *gc_report_json(const struct gc_report *rep)
{
	json_t *nodes = json_array(), *doc;
	size_t i;

	for (i = 0; i < rep->n; i++)
		json_array_append_new(nodes, gc_node_json(rep, &rep->nodes[i]));
	doc = json_pack("{s:s, s:b, s:s, s:I, s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I}", "gc", rep->id,
			"dry_run", rep->dry_run, "profile", rep->profile, "keep", (json_int_t)rep->keep, "older_than",
			str_or_null(rep->older_than), "older_than_s",
			rep->older_than[0] ? json_integer(rep->older_than_s) : json_null(), "nodes", nodes, "summary",
			"nodes", (json_int_t)rep->n, "ok", (json_int_t)rep->ok, "failed", (json_int_t)rep->failed,
			"generations_deleted", (json_int_t)rep->generations_deleted, "freed_bytes",
			(json_int_t)rep->freed_bytes, "paths_removed", (json_int_t)rep->paths_removed, "ms",
			(json_int_t)rep->ms);
	return json_render(doc);
}
