/*
 * The "lab" HostFactory provider: a machine is a running node of `chimera lab` that no
 * machine of the inventory reaches yet, claimed by writing it into chimera.toml (tag
 * hostfactory); returned, it leaves chimera.toml and goes back to the lab, still running.
 */
#include "adapters/lab/lab.h"
#include "app/config/machines.h"
#include "app/hostfactory/hostfactory.h"
#include "ports/http.h"
#include "runtime/providers.h"
#include "util/err.h"
#include "util/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

struct lab_provider {
	struct provider base;
	struct world *w;
	char inventory[PATH_MAX];
	struct http *http;
	/* The lab's nodes, read once for the operation, sorted by address; which are in the inventory. */
	struct lab_node *nodes;
	size_t n;
	bool loaded;
	bool *claimed;		/* NULL until a create read the inventory */
	size_t next;		/* no node before it is free */
};

static int addr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lab_node *)a)->addr, ((const struct lab_node *)b)->addr);
}

/* The lab's nodes, read on first use and kept for the operation. ERR_LIMIT when there is no lab. */
static int lab_nodes(struct lab_provider *lp)
{
	struct lab lab;
	const char *dir;
	int r;

	if (lp->loaded)
		return 0;
	if ((r = world_state_dir(lp->w, &dir)) < 0 || (r = lab_open(&lab, dir)) < 0)
		return r;
	if (!lab.exists || lab.nodes == 0)
		return err_set(ERR_LIMIT, "no lab in '%s': start its nodes with chimera lab up N", dir);
	if ((r = lab_status(&lab, &lp->nodes, &lp->n)) < 0)
		return r;
	qsort(lp->nodes, lp->n, sizeof(*lp->nodes), addr_cmp);
	lp->loaded = true;
	return 0;
}

/* Mark the nodes the inventory reaches already (once, at the first create). */
static int read_claims(struct lab_provider *lp)
{
	struct inventory inv;
	struct target t;
	char target[96];
	size_t i;
	int r = 0;

	if (lp->claimed)
		return 0;
	if (!(lp->claimed = calloc(lp->n + 1, sizeof(*lp->claimed))))
		return err_set(ERR_NOMEM, "out of memory");
	inventory_init(&inv);
	if (fs_exists(lp->inventory) && (r = inventory_load(lp->inventory, &inv)) < 0) {
		inventory_release(&inv);
		free(lp->claimed);
		lp->claimed = NULL;
		return r;
	}
	for (i = 0; i < lp->n; i++) {
		snprintf(target, sizeof(target), "root@%s:22", lp->nodes[i].addr);
		lp->claimed[i] = target_parse(&t, target, strlen(target)) == 0 && inventory_find_target(&inv, &t) != NULL;
	}
	inventory_release(&inv);
	return 0;
}

static int lab_create(struct provider *p, const struct provider_spec *s, struct provider_machine *out)
{
	static const char *const tags[] = { HF_MACHINE_TAG };
	struct lab_provider *lp = (struct lab_provider *)p;
	size_t i, alive = 0;
	char target[96];
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = lab_nodes(lp)) < 0 || (r = read_claims(lp)) < 0)
		return r;
	for (i = 0; i < lp->n; i++)
		alive += lp->nodes[i].alive;
	if (alive == 0)
		return err_set(ERR_LIMIT, "no lab node is running: start them with chimera lab up N");
	for (i = lp->next; i < lp->n && (!lp->nodes[i].alive || lp->claimed[i]); i++)
		;
	lp->next = i;
	if (i == lp->n)
		return err_set(ERR_LIMIT, "every running lab node is in '%s' already: start more with chimera lab up N",
			       lp->inventory);
	snprintf(target, sizeof(target), "root@%s:22", lp->nodes[i].addr);
	if ((r = machines_add(lp->inventory, s->name, target, tags, 1)) < 0)
		return r;
	lp->claimed[i] = true;
	snprintf(out->name, sizeof(out->name), "%s", s->name);
	snprintf(out->target, sizeof(out->target), "%s", target);
	snprintf(out->address, sizeof(out->address), "%s", lp->nodes[i].addr);
	return 0;
}

static int lab_state(struct provider *p, const struct provider_machine *m, long wait_ms, enum provider_state *out,
		     char *why, size_t len)
{
	struct lab_provider *lp = (struct lab_provider *)p;
	struct http_tcp_result res = { 0 };
	const struct lab_node *node;
	struct lab_node key;
	int r;

	*out = PROVIDER_GONE;
	snprintf(why, len, "lab node %s is not running", m->address);
	if ((r = lab_nodes(lp)) < 0)
		return r == ERR_LIMIT ? 0 : r;
	snprintf(key.addr, sizeof(key.addr), "%s", m->address);
	node = bsearch(&key, lp->nodes, lp->n, sizeof(*lp->nodes), addr_cmp);
	if (!node || !node->alive)
		return 0;
	if (!lp->http && (r = world_open_http(lp->w, &lp->http)) < 0)
		return r;
	if ((r = lp->http->ops->tcp_connect(lp->http, m->address, 22, wait_ms > 0 ? wait_ms : 1000, &res)) < 0)
		return r;
	*out = res.connected ? PROVIDER_READY : PROVIDER_BOOTING;
	snprintf(why, len, "%s", res.connected ? "" : res.message);
	return 0;
}

static int lab_destroy(struct provider *p, const struct provider_machine *m)
{
	struct lab_provider *lp = (struct lab_provider *)p;
	int r = machines_rm(lp->inventory, m->name);

	return r == ERR_NOTFOUND ? 0 : r;
}

static void lab_close(struct provider *p)
{
	struct lab_provider *lp = (struct lab_provider *)p;

	http_close(lp->http);
	free(lp->nodes);
	free(lp->claimed);
	free(lp);
}

static const struct provider_ops lab_ops = {
	.name = "lab",
	.keeps = true,
	.create = lab_create,
	.state = lab_state,
	.destroy = lab_destroy,
	.close = lab_close,
};

int provider_lab_open(struct world *w, const char *inventory, struct provider **out)
{
	struct lab_provider *lp = calloc(1, sizeof(*lp));

	*out = NULL;
	if (!lp)
		return err_set(ERR_NOMEM, "out of memory");
	lp->base.ops = &lab_ops;
	lp->w = w;
	snprintf(lp->inventory, sizeof(lp->inventory), "%s", inventory);
	*out = &lp->base;
	return 0;
}
