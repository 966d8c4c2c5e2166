/* The Nix domain's projections folded from nix.* events (projection.h). */
#include "app/nix/projection.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"

#define PROJ_FILE "projections/nix.json"

json_t *nix_proj_new(void)
{
	return json_pack("{s:I, s:I, s:{}, s:[], s:{}}", "seq", (json_int_t)0, "skipped", (json_int_t)0, "flakes", "builds",
			 "gc");
}

/* P's flake at DIR, made (with no inputs) when it is not there yet; NULL when out of memory. */
static json_t *flake_at(json_t *p, const char *dir)
{
	json_t *flakes = json_object_get(p, "flakes"), *f = json_object_get(flakes, dir);

	if (f)
		return f;
	f = json_pack("{s:s, s:n, s:n, s:n, s:I, s:{}}", "dir", dir, "template", "created", "updated", "seq", (json_int_t)0,
		      "inputs");
	if (!f || json_object_set_new(flakes, dir, f) < 0)
		return NULL;
	return f;
}

/* Copy KEY of FROM into TO (null when FROM has none). */
static int copy_field(json_t *to, const json_t *from, const char *key)
{
	json_t *v = json_object_get(from, key);

	return json_object_set_new(to, key, v ? json_deep_copy(v) : json_null());
}

/* Append E to the array A, dropping the oldest past MAX. */
static int append_capped(json_t *a, json_t *e, size_t max)
{
	if (!e || json_array_append_new(a, e) < 0)
		return -1;
	while (json_array_size(a) > max)
		json_array_remove(a, 0);
	return 0;
}

static int fold_flake(json_t *p, const struct ledger_event *ev, const json_t *pl)
{
	const char *dir = json_string_value(json_object_get(pl, "dir"));
	const json_t *inputs = json_object_get(pl, "inputs"), *locked = json_object_get(pl, "locked");
	const char *input = json_string_value(json_object_get(pl, "input"));
	json_t *f;

	if (!dir)
		return 1;
	if (strcmp(ev->topic, "nix.flake.created") == 0) {
		/* A flake made again in the same directory is a new flake: its inputs start empty. */
		json_object_del(json_object_get(p, "flakes"), dir);
		if (!(f = flake_at(p, dir)) || copy_field(f, pl, "template") < 0 ||
		    json_object_set_new(f, "created", json_string(ev->time)) < 0)
			return -1;
	} else if (strcmp(ev->topic, "nix.flake.input_added") == 0) {
		if (!input || !json_is_object(locked))
			return 1;
		if (!(f = flake_at(p, dir)) || json_object_set_new(json_object_get(f, "inputs"), input, json_deep_copy(locked)) < 0)
			return -1;
	} else {
		/* locked and updated name every direct input: the set is replaced whole. */
		if (!json_is_object(inputs))
			return 1;
		if (!(f = flake_at(p, dir)) || json_object_set_new(f, "inputs", json_deep_copy(inputs)) < 0)
			return -1;
	}
	if (json_object_set_new(f, "updated", json_string(ev->time)) < 0 ||
	    json_object_set_new(f, "seq", json_integer(ev->seq)) < 0)
		return -1;
	return 0;
}

static int fold_build(json_t *p, const struct ledger_event *ev, const json_t *pl)
{
	json_t *b;

	if (!json_is_string(json_object_get(pl, "path")) || !json_is_string(json_object_get(pl, "installable")))
		return 1;
	if (!(b = json_pack("{s:I, s:s}", "seq", (json_int_t)ev->seq, "time", ev->time)) ||
	    copy_field(b, pl, "installable") < 0 || copy_field(b, pl, "attr") < 0 || copy_field(b, pl, "path") < 0 ||
	    copy_field(b, pl, "ms") < 0 || copy_field(b, pl, "out_link") < 0) {
		json_decref(b);
		return -1;
	}
	return append_capped(json_object_get(p, "builds"), b, NIX_PROJ_BUILDS_MAX);
}

static int fold_gc(json_t *p, const struct ledger_event *ev, const json_t *pl)
{
	static const char *const fields[] = { "profile", "ok", "dry_run", "generations_deleted", "generations_kept",
					      "freed_bytes", "paths_removed" };
	const char *node = ev->node ? ev->node : json_string_value(json_object_get(pl, "node"));
	json_t *gc = json_object_get(p, "gc"), *list, *g;
	size_t i;

	if (!node)
		return 1;
	if (!(list = json_object_get(gc, node))) {
		if (!(list = json_array()) || json_object_set_new(gc, node, list) < 0)
			return -1;
	}
	if (!(g = json_pack("{s:I, s:s, s:o}", "seq", (json_int_t)ev->seq, "time", ev->time, "gc",
			    ev->deployment ? json_string(ev->deployment) : json_null())))
		return -1;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (copy_field(g, pl, fields[i]) < 0) {
			json_decref(g);
			return -1;
		}
	return append_capped(list, g, NIX_PROJ_GC_MAX);
}

int nix_proj_fold(json_t *p, const struct ledger_event *ev)
{
	json_t *pl;
	int r = 0;

	if (strncmp(ev->topic, "nix.", 4) != 0 || ev->seq <= json_integer_value(json_object_get(p, "seq")))
		return 0;
	pl = ev->payload ? json_loads(ev->payload, 0, NULL) : NULL;
	if (!json_is_object(pl))
		r = 1;
	else if (strncmp(ev->topic, "nix.flake.", 10) == 0)
		r = fold_flake(p, ev, pl);
	else if (strcmp(ev->topic, "nix.package.built") == 0)
		r = fold_build(p, ev, pl);
	else if (strcmp(ev->topic, "nix.gc.completed") == 0)
		r = fold_gc(p, ev, pl);
	json_decref(pl);
	if (r < 0)
		return err_set(ERR_NOMEM, "out of memory");
	/* A payload without what its topic promises is counted; an evaluation (no projection) only moves the seq. */
	if (r > 0 && json_object_set_new(p, "skipped", json_integer(json_integer_value(json_object_get(p, "skipped")) + 1)) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	if (json_object_set_new(p, "seq", json_integer(ev->seq)) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int fold_cb(const struct ledger_event *ev, void *arg)
{
	return nix_proj_fold(arg, ev);
}

int nix_proj_catch_up(json_t *p, struct ledger *l)
{
	struct ledger_filter f = { .topic = "nix.*", .since = json_integer_value(json_object_get(p, "seq")) };

	return ledger_scan(l, &f, fold_cb, p);
}

int nix_proj_rebuild(struct ledger *l, json_t **out)
{
	json_t *p = nix_proj_new();
	int r;

	*out = NULL;
	if (!p)
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = nix_proj_catch_up(p, l)) < 0) {
		json_decref(p);
		return r;
	}
	*out = p;
	return 0;
}

/* Whether P has the projection's shape (so that folding into it cannot go astray). */
static bool proj_shaped(const json_t *p)
{
	return json_is_object(p) && json_is_integer(json_object_get(p, "seq")) &&
	       json_integer_value(json_object_get(p, "seq")) >= 0 && json_is_integer(json_object_get(p, "skipped")) &&
	       json_is_object(json_object_get(p, "flakes")) && json_is_array(json_object_get(p, "builds")) &&
	       json_is_object(json_object_get(p, "gc"));
}

int nix_proj_save(const char *state_dir, const json_t *p)
{
	char dir[PATH_MAX], path[PATH_MAX];
	char *text;
	int r;

	snprintf(dir, sizeof(dir), "%s/projections", state_dir);
	snprintf(path, sizeof(path), "%s/%s", state_dir, PROJ_FILE);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_set_errno(ERR_IO, errno, "cannot make '%s'", dir);
	if (!(text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS)))
		return err_set(ERR_NOMEM, "out of memory");
	r = fs_write_file(path, text, strlen(text), 0600);
	free(text);
	return r;
}

int nix_proj_live(const char *state_dir, struct ledger *l, json_t **out)
{
	char path[PATH_MAX];
	struct buf b = BUF_INIT(256 << 20);
	json_t *p = NULL;
	json_int_t seq0;
	int r;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/%s", state_dir, PROJ_FILE);
	if ((r = fs_read_file(path, &b)) == 0) {
		p = json_loadb(b.data, b.len, 0, NULL);
		buf_release(&b);
		if (!proj_shaped(p)) {
			json_decref(p);
			return err_set(ERR_CORRUPT, "'%s' is not a projection of the nix events: remove it (it is rebuilt from"
				       " the ledger) or run chimera nix projections --rebuild", path);
		}
	} else {
		buf_release(&b);
		if (r != ERR_NOTFOUND)
			return r;
		if (!(p = nix_proj_new()))
			return err_set(ERR_NOMEM, "out of memory");
	}
	seq0 = json_integer_value(json_object_get(p, "seq"));
	if ((r = nix_proj_catch_up(p, l)) < 0) {
		json_decref(p);
		return r;
	}
	if (json_integer_value(json_object_get(p, "seq")) != seq0)
		nix_proj_save(state_dir, p);	/* best effort: see projection.h */
	*out = p;
	return 0;
}

json_t *nix_proj_flakes_json(const json_t *p, const char *dir)
{
	json_t *list = json_array(), *f;
	const char *key;

	json_object_foreach(json_object_get(p, "flakes"), key, f)
		if (!dir || strcmp(dir, key) == 0)
			json_array_append(list, f);
	return json_pack("{s:I, s:o}", "seq", json_integer_value(json_object_get(p, "seq")), "flakes", list);
}

/* The newest LIMIT (0: all) of the array A, oldest first, as a new array. */
static json_t *newest(const json_t *a, size_t limit)
{
	json_t *out = json_array();
	size_t n = json_array_size(a), i;

	for (i = limit && n > limit ? n - limit : 0; i < n; i++)
		json_array_append(out, json_array_get(a, i));
	return out;
}

json_t *nix_proj_builds_json(const json_t *p, size_t limit)
{
	const json_t *b = json_object_get(p, "builds");

	return json_pack("{s:I, s:I, s:o}", "seq", json_integer_value(json_object_get(p, "seq")), "total",
			 (json_int_t)json_array_size(b), "builds", newest(b, limit));
}

json_t *nix_proj_gc_json(const json_t *p, const char *node, size_t limit)
{
	json_t *out = json_object(), *runs;
	const char *key;

	json_object_foreach(json_object_get(p, "gc"), key, runs)
		if (!node || strcmp(node, key) == 0)
			json_object_set_new(out, key, newest(runs, limit));
	return json_pack("{s:I, s:o}", "seq", json_integer_value(json_object_get(p, "seq")), "gc", out);
}

int nix_proj_check(const char *state_dir, struct ledger *l, bool rebuild, json_t **out)
{
	json_t *live = NULL, *fresh = NULL;
	int r;

	*out = NULL;
	if ((r = nix_proj_rebuild(l, &fresh)) < 0 || (!rebuild && (r = nix_proj_live(state_dir, l, &live)) < 0) ||
	    (rebuild && (r = nix_proj_save(state_dir, fresh)) < 0)) {
		json_decref(fresh);
		return r;
	}
	*out = json_pack("{s:b, s:b, s:I, s:I, s:I, s:I, s:I}", "equal", rebuild || json_equal(live, fresh), "rebuilt",
			 rebuild, "seq", json_integer_value(json_object_get(fresh, "seq")), "flakes",
			 (json_int_t)json_object_size(json_object_get(fresh, "flakes")), "builds",
			 (json_int_t)json_array_size(json_object_get(fresh, "builds")), "gc_nodes",
			 (json_int_t)json_object_size(json_object_get(fresh, "gc")), "skipped",
			 json_integer_value(json_object_get(fresh, "skipped")));
	json_decref(live);
	json_decref(fresh);
	return *out ? 0 : err_set(ERR_NOMEM, "out of memory");
}
