/* Target lists: machines of the inventory by name, tag or glob, @lab, and targets written out. */
#include "runtime/world.h"
#include "adapters/lab/lab.h"
#include "runtime/ssh_config.h"
#include "core/selector.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/text.h"
#include "util/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* Resolve "@NAME" list elements; only "@lab" (every lab node) exists so far. */
static int add_group(const char *name, size_t len, struct target_list *l, void *arg)
{
	struct world *w = arg;
	const char *dir;
	struct lab lab;
	int r;

	if (len != 3 || memcmp(name, "lab", 3) != 0)
		return err_set(ERR_INVALID, "unknown group '@%.*s': expected '@lab'", (int)(len > 64 ? 64 : len),
			       name);
	if ((r = world_state_dir(w, &dir)) < 0 || (r = lab_open(&lab, dir)) < 0)
		return r;
	if (!lab.exists || lab.nodes == 0)
		return err_set(ERR_NOTFOUND, "'@lab' names no nodes: run 'chimera lab up N' first");
	return lab_targets(&lab, l);
}

/*
 * With machines in the inventory, only what looks like an address is a target written
 * out: a bare word that names no machine is a typo, not a host.
 */
static bool looks_like_target(const char *e, size_t len)
{
	return memchr(e, '.', len) || memchr(e, ':', len) || memchr(e, '@', len) || (len == 5 && memcmp(e, "local", 5) == 0);
}

/* What resolving a target list needs, made once per world_targets (not per element or line). */
struct resolve {
	struct world *w;
	const struct inventory *inv;
	struct sel_machine *m;	/* the inventory's machines as selectors see them */
	size_t *order;		/* room for every machine */
	struct target_list *l;	/* where the current list goes */
	bool machines;		/* the inventory has some */
};

/* An element that selected no machine: @lab, or a target written out. */
static int resolve_other(const char *e, size_t len, void *arg)
{
	struct resolve *rs = arg;

	if (len > 1 && e[0] == '@' && (len != 4 || memcmp(e, "@lab", 4) != 0) && rs->machines)
		return ERR_NOTFOUND;
	if (rs->machines && e[0] != '@' && (selector_is_glob(e, len) || !looks_like_target(e, len)))
		return ERR_NOTFOUND;
	if (!rs->machines && ((len == 3 && memcmp(e, "all", 3) == 0) || selector_is_glob(e, len)))
		return err_set(ERR_INVALID, "'%.*s' selects machines of an inventory, and there is none: give --config "
			       "FILE, set CHIMERA_CONFIG or add ./chimera.toml", (int)(len > 200 ? 200 : len), e);
	return target_list_append(rs->l, e, len, add_group, rs->w);
}

static int resolve_init(struct resolve *rs, struct world *w, const struct inventory *inv)
{
	size_t i;

	*rs = (struct resolve){ .w = w, .inv = inv, .machines = inv->n > 0 };
	rs->m = calloc(inv->n ? inv->n : 1, sizeof(*rs->m));
	rs->order = calloc(inv->n ? inv->n : 1, sizeof(*rs->order));
	if (!rs->m || !rs->order)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < inv->n; i++)
		rs->m[i] = (struct sel_machine){ inv->machines[i].name, inv->machines[i].tags, inv->machines[i].ntags };
	return 0;
}

static void resolve_release(struct resolve *rs)
{
	free(rs->m);
	free(rs->order);
	rs->m = NULL;
	rs->order = NULL;
}

/*
 * Append to L the targets of the machines the LEN bytes of SPEC select, and the other
 * elements. Without machines every element goes to resolve_other, which refuses "all"
 * and globs.
 */
static int add_spec(struct resolve *rs, const char *spec, size_t len, struct target_list *l)
{
	size_t norder, nelem = 0, i;
	int r;

	rs->l = l;
	/* Element by element, so machines and targets written out keep the order given. */
	for (i = 0; i <= len;) {
		const char *c = memchr(spec + i, ',', len - i);
		size_t end = c ? (size_t)(c - spec) : len, k;

		if (end == i)
			return err_set(ERR_INVALID, "bad target list '%.*s': element %zu is empty; expected NAME, @TAG, a "
				       "glob, all or [user@]host[:port], comma-separated", (int)(len > 200 ? 200 : len), spec,
				       nelem + 1);
		nelem++;
		norder = 0;
		if ((r = selector_select(spec + i, end - i, rs->m, rs->inv->n, resolve_other, rs, rs->order, &norder)) < 0)
			return r;
		for (k = 0; k < norder; k++)
			if ((r = target_list_add(l, &rs->inv->machines[rs->order[k]].target)) < 0)
				return r;
		i = end + 1;
	}
	return 0;
}

/* A targets file's line: its specs added, an error named with FILE:LINENO. */
struct file_lines {
	struct resolve *rs;
	struct target_list *l;
	const char *file;
};

static int add_line(char *line, int lineno, void *arg)
{
	struct file_lines *fl = arg;
	char msg[1024];
	int r;

	if ((r = add_spec(fl->rs, line, strlen(line), fl->l)) < 0) {
		snprintf(msg, sizeof(msg), "%s", err_msg());
		r = err_set(r, "%s:%d: %s", fl->file, lineno, msg);
	}
	return r;
}

static int add_file(struct resolve *rs, struct target_list *l, const char *file)
{
	struct buf b = BUF_INIT(64 << 20);
	struct file_lines fl = { rs, l, file };
	int r;

	if ((r = fs_read_file(file, &b)) == 0 && b.data)
		r = text_list_lines(b.data, add_line, &fl);
	buf_release(&b);
	return r;
}

int world_targets(struct world *w, const char *spec, const char *exclude, const char *file, struct target_list *l)
{
	const struct inventory *inv;
	struct target_list drop, keep;
	struct resolve rs = { 0 };
	size_t i;
	int r = 0;

	target_list_init(l);
	target_list_init(&drop);
	target_list_init(&keep);
	if ((r = world_inventory(w, &inv)) < 0 || (r = resolve_init(&rs, w, inv)) < 0)
		goto fail;
	if (spec && (r = add_spec(&rs, spec, strlen(spec), l)) < 0)
		goto fail;
	if (file && (r = add_file(&rs, l, file)) < 0)
		goto fail;
	/* labels are the real user@host:port: HostName, User and Port of the ssh config applied */
	if ((r = world_ssh_resolve(w, l)) < 0)
		goto fail;
	if (exclude) {
		if ((r = add_spec(&rs, exclude, strlen(exclude), &drop)) < 0 || (r = world_ssh_resolve(w, &drop)) < 0) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s", err_msg());
			r = err_set(r, "--exclude: %s", msg);
			goto fail;
		}
		for (i = 0; i < l->n; i++)
			if (!target_list_has(&drop, &l->items[i]) && (r = target_list_add(&keep, &l->items[i])) < 0)
				goto fail;
		target_list_release(l);
		*l = keep;
		target_list_init(&keep);
	}
	target_list_release(&drop);
	resolve_release(&rs);
	if (l->n == 0) {
		r = err_set(ERR_INVALID, exclude ? "no targets left after --exclude" : "no targets: give -t TARGETS or --targets-file FILE");
		goto fail;
	}
	return 0;
fail:
	resolve_release(&rs);
	target_list_release(&drop);
	target_list_release(&keep);
	target_list_release(l);
	return r;
}

