/* What other operations need kept, read from the ledger before a garbage collection: a running watch's paths, a rollback's generations. */
#include "app/nix/gc_needs.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/grow.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

struct gc_fold {
	json_t *watches;	/* id -> {"nodes": [...], "paths": [...], "interval": S, "last": MS, "stopped": bool} */
	json_t *rollbacks;	/* id -> {"nodes": [...], "gen": N, "open": bool} */
	json_t *before;		/* node -> {"seq": N, "path": P}: where its last change took it from */
};

struct gc_fold *gc_fold_new(void)
{
	struct gc_fold *fd = calloc(1, sizeof(*fd));

	if (!fd)
		return NULL;
	fd->watches = json_object();
	fd->rollbacks = json_object();
	fd->before = json_object();
	if (!fd->watches || !fd->rollbacks || !fd->before) {
		gc_fold_free(fd);
		return NULL;
	}
	return fd;
}

void gc_fold_free(struct gc_fold *fd)
{
	if (!fd)
		return;
	json_decref(fd->watches);
	json_decref(fd->rollbacks);
	json_decref(fd->before);
	free(fd);
}

/* Add S to the array A when it is a non-empty string A does not hold yet. */
static void add_path(json_t *a, const json_t *s)
{
	const json_t *v;
	size_t i;

	if (!json_is_string(s) || json_string_length(s) == 0)
		return;
	json_array_foreach(a, i, v)
		if (json_equal(v, s))
			return;
	json_array_append(a, (json_t *)s);
}

static void watch_started(struct gc_fold *fd, const char *id, const json_t *p, int64_t ms)
{
	json_t *nodes = json_object_get(p, "nodes"), *paths = json_array(), *c;
	size_t i;

	/* A reference of our own to the node list, or a new empty one. */
	nodes = json_is_array(nodes) ? json_incref(nodes) : json_array();

	add_path(paths, json_object_get(p, "path"));
	json_array_foreach(json_object_get(p, "configurations"), i, c)
		add_path(paths, json_object_get(c, "path"));
	json_object_set_new(fd->watches, id,
			    json_pack("{s:o, s:o, s:I, s:I, s:b}", "nodes", nodes, "paths", paths, "interval",
				      json_integer_value(json_object_get(p, "interval_s")), "last", (json_int_t)ms,
				      "stopped", 0));
}

/* A watch.* event EV of the watch W (id known), at MS. */
static int watch_event(struct gc_fold *fd, const struct ledger_event *ev, json_t *w, int64_t ms)
{
	json_t *p;

	if (ms > json_integer_value(json_object_get(w, "last")))
		json_object_set_new(w, "last", json_integer(ms));
	if (strcmp(ev->topic, "watch.stopped") == 0) {
		json_object_set_new(w, "stopped", json_true());
	} else if (strcmp(ev->topic, "watch.config.changed") == 0) {
		if (!(p = json_loads(ev->payload, 0, NULL)))
			return 0;
		add_path(json_object_get(w, "paths"), json_object_get(p, "to"));
		json_decref(p);
	}
	return 0;
}

/* A node's last change: it was on PATH (a string, may be empty) before event SEQ. */
static void note_before(struct gc_fold *fd, const char *node, int64_t seq, const json_t *path)
{
	json_t *b = json_object_get(fd->before, node);

	if (b && json_integer_value(json_object_get(b, "seq")) > seq)
		return;
	json_object_set_new(fd->before, node,
			    json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "path", json_is_string(path) ? json_string_value(path) : ""));
}

static int node_event(struct gc_fold *fd, const struct ledger_event *ev)
{
	int deploy = strcmp(ev->topic, "node.deploy.complete") == 0;
	json_t *p = json_loads(ev->payload, 0, NULL);

	if (p)
		note_before(fd, ev->node, ev->seq, json_object_get(p, deploy ? "previous" : "from_path"));
	json_decref(p);
	return 0;
}

static int rollback_event(struct gc_fold *fd, const struct ledger_event *ev)
{
	json_t *rb = json_object_get(fd->rollbacks, ev->deployment), *p, *nodes;

	if (strcmp(ev->topic, "chimera.rollback.triggered") != 0) {
		/* complete, or the rollback died (deploy.interrupted): no longer in progress. */
		if (rb)
			json_object_set_new(rb, "open", json_false());
		return 0;
	}
	if (!(p = json_loads(ev->payload, 0, NULL)))
		return 0;
	nodes = json_object_get(p, "nodes");
	if (json_is_array(nodes))
		json_object_set_new(fd->rollbacks, ev->deployment,
				    json_pack("{s:O, s:I, s:b}", "nodes", nodes, "gen",
					      json_integer_value(json_object_get(p, "generation")), "open", 1));
	json_decref(p);
	return 0;
}

int gc_fold_event(struct gc_fold *fd, const struct ledger_event *ev)
{
	const char *t = ev->topic;
	json_t *w;

	if (strncmp(t, "watch.", 6) == 0 && ev->deployment) {
		int64_t ms = clock_parse_utc_ms(ev->time);
		json_t *p;

		if (strcmp(t, "watch.started") == 0) {
			if ((p = json_loads(ev->payload, 0, NULL)))
				watch_started(fd, ev->deployment, p, ms);
			json_decref(p);
			return 0;
		}
		return (w = json_object_get(fd->watches, ev->deployment)) ? watch_event(fd, ev, w, ms) : 0;
	}
	if (ev->node && (strcmp(t, "node.deploy.complete") == 0 || strcmp(t, "node.rollback.complete") == 0))
		return node_event(fd, ev);
	if (!ev->node && ev->deployment &&
	    (strcmp(t, "chimera.rollback.triggered") == 0 || strcmp(t, "chimera.rollback.complete") == 0 ||
	     strcmp(t, "deploy.interrupted") == 0))
		return rollback_event(fd, ev);
	return 0;
}

static int add_need(struct gc_needs *out, const char *node, unsigned why, uint32_t gen, bool previous,
		    const char *path, const char *by)
{
	struct gc_need *items = grow_array(out->items, &out->cap, out->n, sizeof(*out->items), 16), *nd;

	if (!items)
		return ERR_NOMEM;
	out->items = items;
	nd = &items[out->n++];
	memset(nd, 0, sizeof(*nd));
	snprintf(nd->node, sizeof(nd->node), "%s", node);
	nd->why = why;
	nd->gen = gen;
	nd->previous = previous;
	snprintf(nd->path, sizeof(nd->path), "%s", path ? path : "");
	snprintf(nd->by, sizeof(nd->by), "%s", by);
	return 0;
}

/* Every node of a running watch W (id ID) needs every path of its configurations. */
static int watch_needs(const char *id, const json_t *w, int64_t now_ms, struct gc_needs *out)
{
	int64_t last = json_integer_value(json_object_get(w, "last"));
	int64_t interval = json_integer_value(json_object_get(w, "interval"));
	const json_t *node, *path;
	size_t i, j;

	if (json_is_true(json_object_get(w, "stopped")) ||
	    now_ms - last > GC_WATCH_GRACE_MS + 3 * (interval > 0 && interval < 86400 ? interval : 0) * 1000)
		return 0;
	json_array_foreach(json_object_get(w, "nodes"), i, node) {
		if (!json_is_string(node))
			continue;
		json_array_foreach(json_object_get(w, "paths"), j, path)
			if (add_need(out, json_string_value(node), GC_WHY_WATCH, 0, false, json_string_value(path), id) < 0)
				return ERR_NOMEM;
	}
	return 0;
}

/* Every node of an open rollback RB (id ID) needs its generation, or the previous one and where it was before. */
static int rollback_needs(const struct gc_fold *fd, const char *id, const json_t *rb, struct gc_needs *out)
{
	json_int_t gen = json_integer_value(json_object_get(rb, "gen"));
	const json_t *node;
	size_t i;

	if (!json_is_true(json_object_get(rb, "open")))
		return 0;
	json_array_foreach(json_object_get(rb, "nodes"), i, node) {
		const char *name = json_string_value(node), *was;

		if (!name)
			continue;
		if (gen > 0 && gen <= UINT32_MAX) {
			if (add_need(out, name, GC_WHY_ROLLBACK, (uint32_t)gen, false, NULL, id) < 0)
				return ERR_NOMEM;
			continue;
		}
		was = json_string_value(json_object_get(json_object_get(fd->before, name), "path"));
		if (add_need(out, name, GC_WHY_ROLLBACK, 0, true, NULL, id) < 0 ||
		    (was && was[0] && add_need(out, name, GC_WHY_ROLLBACK, 0, false, was, id) < 0))
			return ERR_NOMEM;
	}
	return 0;
}

int gc_fold_finish(struct gc_fold *fd, int64_t now_ms, struct gc_needs *out)
{
	const char *id;
	json_t *v;
	int r = 0;

	memset(out, 0, sizeof(*out));
	json_object_foreach(fd->watches, id, v)
		if ((r = watch_needs(id, v, now_ms, out)) < 0)
			break;
	if (r == 0)
		json_object_foreach(fd->rollbacks, id, v)
			if ((r = rollback_needs(fd, id, v, out)) < 0)
				break;
	if (r < 0) {
		gc_needs_release(out);
		return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int fold_cb(const struct ledger_event *ev, void *arg)
{
	return gc_fold_event(arg, ev);
}

/* Whether FD has a rollback in progress (then the nodes' last changes are read too). */
static bool any_open(const struct gc_fold *fd)
{
	const char *id;
	json_t *v;

	json_object_foreach(fd->rollbacks, id, v)
		if (json_is_true(json_object_get(v, "open")))
			return true;
	return false;
}

int gc_needs_read(struct ledger *l, int64_t now_ms, struct gc_needs *out)
{
	static const char *const topics[] = { "watch.*", "chimera.rollback.*", "deploy.interrupted" };
	struct gc_fold *fd;
	size_t i;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (!l)
		return 0;
	if (!(fd = gc_fold_new()))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; r == 0 && i < sizeof(topics) / sizeof(topics[0]); i++)
		r = ledger_scan(l, &(struct ledger_filter){ .topic = topics[i] }, fold_cb, fd);
	if (r == 0 && any_open(fd) && (r = ledger_latest(l, "node.deploy.complete", NULL, fold_cb, fd)) == 0)
		r = ledger_latest(l, "node.rollback.complete", NULL, fold_cb, fd);
	if (r == 0)
		r = gc_fold_finish(fd, now_ms, out);
	gc_fold_free(fd);
	return r;
}

void gc_needs_release(struct gc_needs *n)
{
	free(n->items);
	memset(n, 0, sizeof(*n));
}
