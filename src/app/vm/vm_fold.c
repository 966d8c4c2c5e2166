/* The VM projection: vm.* events folded into the VMs that exist, with what the hypervisor says runs. */
#include "app/vm/vm_internal.h"
#include "util/clock.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

struct fold {
	struct vm_list *l;
	int err;
};

struct vm_info *vm_find(struct vm_list *l, const char *name)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].spec.name, name) == 0)
			return &l->items[i];
	return NULL;
}

static void take_created(struct vm_info *vi, const char *name, json_t *p, const struct ledger_event *ev)
{
	memset(vi, 0, sizeof(*vi));
	snprintf(vi->spec.name, sizeof(vi->spec.name), "%s", name);
	vi->spec.cpus = (int)json_integer_value(json_object_get(p, "cpus"));
	vi->spec.memory_mib = (int)json_integer_value(json_object_get(p, "memory_mib"));
	vi->spec.disk_gib = (int)json_integer_value(json_object_get(p, "disk_gib"));
	vi->spec.port = (int)json_integer_value(json_object_get(p, "port"));
	snprintf(vi->spec.address, sizeof(vi->spec.address), "%s", json_string_value(json_object_get(p, "address")) ?: "");
	snprintf(vi->spec.dir, sizeof(vi->spec.dir), "%s", json_string_value(json_object_get(p, "dir")) ?: "");
	snprintf(vi->target, sizeof(vi->target), "%s", json_string_value(json_object_get(p, "target")) ?: "");
	snprintf(vi->state, sizeof(vi->state), "stopped");
	vi->created_ms = clock_parse_utc_ms(ev->time);
}

/* LABEL added to VI's comma-separated snapshots. */
static int add_label(struct vm_info *vi, const char *label)
{
	size_t old = vi->snapshots ? strlen(vi->snapshots) : 0;
	char *s = realloc(vi->snapshots, old + strlen(label) + 2);

	if (!s)
		return err_set(ERR_NOMEM, "out of memory");
	snprintf(s + old, strlen(label) + 2, "%s%s", old ? "," : "", label);
	vi->snapshots = s;
	return 0;
}

static int fold_one(const struct ledger_event *ev, void *arg)
{
	struct fold *f = arg;
	struct vm_list *l = f->l;
	struct vm_info *vi;
	json_t *p;
	int r = 0;

	if (!ev->node || !(p = json_loads(ev->payload ? ev->payload : "{}", 0, NULL)))
		return 0;
	vi = vm_find(l, ev->node);
	if (strcmp(ev->topic, "vm.created") == 0) {
		if (!vi) {
			struct vm_info *grown = realloc(l->items, (l->n + 1) * sizeof(*grown));

			if (!grown) {
				json_decref(p);
				return f->err = err_set(ERR_NOMEM, "out of memory");
			}
			l->items = grown;
			vi = &l->items[l->n++];
		} else {
			vm_info_release(vi);
		}
		take_created(vi, ev->node, p, ev);
	} else if (!vi) {
		/* An event of a VM created before the ledger's start, or deleted: nothing to fold into. */
	} else if (strcmp(ev->topic, "vm.started") == 0) {
		snprintf(vi->accel, sizeof(vi->accel), "%s", json_string_value(json_object_get(p, "accel")) ?: "");
		vi->started_ms = clock_parse_utc_ms(ev->time);
		if (json_integer_value(json_object_get(p, "boot_ms")) > 0)
			vi->boot_ms = json_integer_value(json_object_get(p, "boot_ms"));
	} else if (strcmp(ev->topic, "vm.snapshotted") == 0) {
		const char *label = json_string_value(json_object_get(p, "label"));

		if (label)
			r = add_label(vi, label);
	} else if (strcmp(ev->topic, "vm.deleted") == 0) {
		size_t k = (size_t)(vi - l->items);

		vm_info_release(vi);
		memmove(&l->items[k], &l->items[k + 1], (l->n - k - 1) * sizeof(*vi));
		l->n--;
	}
	if (vi && r == 0 && strcmp(ev->topic, "vm.deleted") != 0)
		vi->seq = ev->seq;
	json_decref(p);
	return r < 0 ? (f->err = r) : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct vm_info *)a)->spec.name, ((const struct vm_info *)b)->spec.name);
}

int vm_fold(const struct vm_ctx *c, struct vm_list *out)
{
	struct ledger_filter f = { .topic = "vm.*" };
	struct fold st = { .l = out };
	int r;

	memset(out, 0, sizeof(*out));
	r = ledger_scan(c->ledger, &f, fold_one, &st);
	if (st.err)
		r = st.err;
	if (r < 0) {
		vm_list_release(out);
		return r;
	}
	if (out->n)
		qsort(out->items, out->n, sizeof(*out->items), by_name);
	return 0;
}

void vm_refresh(const struct vm_ctx *c, struct vm_info *vi)
{
	struct vm_live live;

	if (c->hv->ops->live(c->hv, &vi->spec, &live) == 0) {
		vi->pid = live.pid;
		snprintf(vi->state, sizeof(vi->state), "%s", live.status);
	}
}

int vm_list(const struct vm_ctx *c, struct vm_list *out)
{
	size_t i;
	int r;

	if ((r = vm_fold(c, out)) < 0)
		return r;
	for (i = 0; i < out->n; i++)
		vm_refresh(c, &out->items[i]);
	return 0;
}

int vm_get(const struct vm_ctx *c, const char *name, struct vm_info *out)
{
	struct vm_list l;
	struct vm_info *vi;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = vm_fold(c, &l)) < 0)
		return r;
	if (!(vi = vm_find(&l, name))) {
		vm_list_release(&l);
		return err_set(ERR_NOTFOUND, "no VM named '%s' (chimera vm list shows them)", name);
	}
	*out = *vi;
	vi->snapshots = NULL;
	vm_list_release(&l);
	vm_refresh(c, out);
	return 0;
}

void vm_info_release(struct vm_info *vi)
{
	free(vi->snapshots);
	vi->snapshots = NULL;
}

void vm_list_release(struct vm_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		vm_info_release(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void vm_report_release(struct vm_report *rep)
{
	vm_info_release(&rep->vm);
}
