/*
 * A dead holder's operation ends: each of its unfinished nodes is read (where its profile
 * points now) and the operation is recorded as interrupted (deploy.interrupted).
 */
#include "app/fleet/lease.h"
#include "app/ledger/deployments.h"
#include "util/err.h"
#include "util/pool.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

struct sweep_node {
	char name[LEASE_NODE_MAX];
	char current[STOREPATH_MAX];
	char old[STOREPATH_MAX];	/* the path of its last node.deploy.complete, "" if none */
	const char *state;		/* lease_node_state's word, or "unreachable" */
	char error[256];
};

struct sweep {
	struct fleet_op *op;
	const char *dead;		/* the dead operation's id */
	char profile[STOREPATH_MAX];
	char *path;			/* the dead deployment's path, NULL when it had none */
	struct sweep_node *nodes;
	size_t n;
};

static int sweep_add(struct sweep *sw, const char *name, size_t len)
{
	struct sweep_node *g;
	size_t i;

	for (i = 0; i < sw->n; i++)
		if (strlen(sw->nodes[i].name) == len && memcmp(sw->nodes[i].name, name, len) == 0)
			return 0;
	if (!(g = realloc(sw->nodes, (sw->n + 1) * sizeof(*g))))
		return err_set(ERR_NOMEM, "out of memory");
	sw->nodes = g;
	memset(&g[sw->n], 0, sizeof(g[sw->n]));
	snprintf(g[sw->n].name, sizeof(g[sw->n].name), "%.*s", (int)len, name);
	sw->n++;
	return 0;
}

/* deploy.initiated of the dead operation: its profile. */
static int initiated_profile(const struct ledger_event *ev, void *arg)
{
	struct sweep *sw = arg;
	json_t *p = json_loads(ev->payload, 0, NULL);
	const char *prof = json_string_value(json_object_get(p, "profile"));

	if (prof)
		snprintf(sw->profile, sizeof(sw->profile), "%s", prof);
	json_decref(p);
	return 0;
}

static int last_path(const struct ledger_event *ev, void *arg)
{
	struct sweep_node *n = arg;
	json_t *p = json_loads(ev->payload, 0, NULL);
	const char *path = json_string_value(json_object_get(p, "path"));

	snprintf(n->old, sizeof(n->old), "%s", path ? path : "");
	json_decref(p);
	return 0;
}

/* Read one node's profile over the fleet's executor. */
static void sweep_one(size_t i, void *arg)
{
	struct sweep *sw = arg;
	struct sweep_node *n = &sw->nodes[i];
	const struct fleet *f = sw->op->fleet;
	struct fleet_failure fail = { 0 };
	struct executor *ex;
	struct exec_session *s;
	struct gen_list gens;
	struct target t;

	ledger_latest(sw->op->ledger, "node.deploy.complete", n->name, last_path, n);
	gen_list_init(&gens);
	n->state = "unreachable";
	if (target_parse(&t, n->name, strlen(n->name)) < 0) {
		snprintf(n->error, sizeof(n->error), "%s", err_msg());
		return;
	}
	if (fleet_connect(f, &t, &ex, &s, &fail) < 0) {
		snprintf(n->error, sizeof(n->error), "%s", fail.message);
		return;
	}
	if (fleet_read_profile(f, ex, s, "interrupted", fleet_profile(f, &t, sw->profile), "", &gens, &fail) == 0) {
		snprintf(n->current, sizeof(n->current), "%s", gens.current_path);
		n->state = lease_node_state(gens.current_path, sw->path, n->old);
	} else {
		snprintf(n->error, sizeof(n->error), "%s", fail.message);
	}
	gen_list_release(&gens);
	ex->ops->disconnect(s);
}

/* The unfinished nodes: a deployment's pending ones, else the nodes that were leased. */
static int sweep_nodes(struct sweep *sw, const char *taken, const char *moved)
{
	struct deployment_record d;
	const char *p, *nl;
	size_t i;
	int r = 0;

	if (deployments_show(sw->op->ledger, sw->dead, &d) == 0) {
		if (d.path && !(sw->path = strdup(d.path)))
			r = err_set(ERR_NOMEM, "out of memory");
		for (i = 0; r == 0 && i < d.n; i++)
			if (d.outcomes[i].node && strcmp(d.outcomes[i].outcome, "pending") == 0)
				r = sweep_add(sw, d.outcomes[i].node, strlen(d.outcomes[i].node));
		deployment_record_release(&d);
		if (r < 0 || d.n > 0)
			return r;
	}
	if ((r = sweep_add(sw, taken, strlen(taken))) < 0)
		return r;
	for (p = moved; r == 0 && p && *p; p = nl ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		if (nl != p)
			r = sweep_add(sw, p, nl ? (size_t)(nl - p) : strlen(p));
	}
	return r;
}

int fleet_op_record_interrupted(struct fleet_op *op, const struct lease_holder *h, const char *taken,
				const char *moved)
{
	struct sweep sw = { .op = op, .dead = h->op, .profile = PROFILE_DEFAULT };
	struct ledger_filter f = { .topic = "deploy.initiated", .deployment = h->op };
	json_t *nodes, *pl;
	size_t i;
	int r;

	if ((r = sweep_nodes(&sw, taken, moved)) == 0 && (r = ledger_scan(op->ledger, &f, initiated_profile, &sw)) == 0 &&
	    sw.n > 0)
		r = pool_run(sw.n, op->fleet->parallel > 0 ? op->fleet->parallel : 1, sweep_one, &sw);
	if (r == 0) {
		nodes = json_array();
		for (i = 0; i < sw.n; i++) {
			json_t *o = json_pack("{s:s, s:s, s:s}", "node", sw.nodes[i].name, "state", sw.nodes[i].state,
					      "path", sw.nodes[i].current);

			if (sw.nodes[i].error[0])
				json_object_set_new(o, "error", json_string(sw.nodes[i].error));
			json_array_append_new(nodes, o);
		}
		pl = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "kind", h->kind, "by", op->me.op, "host", h->host, "pid",
			       (json_int_t)h->pid, "path", sw.path ? json_string(sw.path) : json_null(), "nodes", nodes);
		r = fleet_record(op->ledger, "deploy.interrupted", h->op, NULL, pl, NULL);
	}
	free(sw.nodes);
	free(sw.path);
	return r;
}
