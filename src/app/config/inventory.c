/* The inventory: its life (init, release), lookups by name and by target, and loading chimera.toml. */
#include "app/config/inventory_internal.h"
#include "core/profile.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

const char *inv_source_name(enum inv_source s)
{
	switch (s) {
	case INV_FROM_DEFAULT:
		return "default";
	case INV_FROM_FILE:
		return "file";
	case INV_FROM_ENV:
		return "env";
	case INV_FROM_FLAG:
		return "flag";
	}
	return "default";
}

void inventory_init(struct inventory *inv)
{
	memset(inv, 0, sizeof(*inv));
	snprintf(inv->defaults.user, sizeof(inv->defaults.user), "%s", TARGET_DEFAULT_USER);
	inv->defaults.port = TARGET_DEFAULT_PORT;
	snprintf(inv->defaults.profile, sizeof(inv->defaults.profile), "%s", PROFILE_DEFAULT);
	snprintf(inv->defaults.activation, sizeof(inv->defaults.activation), "auto");
	snprintf(inv->defaults.goal, sizeof(inv->defaults.goal), "switch");
	snprintf(inv->defaults.sudo_command, sizeof(inv->defaults.sudo_command), "sudo -n");
	inv->defaults.parallel = 64;
	inv->defaults.connect_timeout = 10;
	/* memset made every *_from INV_FROM_DEFAULT (0) */
}

static void machine_release(struct inv_machine *m)
{
	size_t i;

	for (i = 0; i < m->ntags; i++)
		free(m->tags[i]);
	for (i = 0; i < m->nssh_options; i++)
		free(m->ssh_options[i]);
	for (i = 0; i < m->nsessions; i++) {
		free(m->sessions[i].name);
		free(m->sessions[i].command);
	}
	free(m->secrets_owner);
	free(m->profile);
	free(m->activation);
	free(m->goal);
	free(m->sudo_command);
	free(m->checks);
	free(m->config_file);
	free(m->config_attr);
	free(m->flake);
	memset(m, 0, sizeof(*m));
}

void inventory_release(struct inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n; i++)
		machine_release(&inv->machines[i]);
	free(inv->machines);
	free(inv->by_target);
	free(inv->defaults.checks);
	inventory_init(inv);
}

const struct inv_machine *inventory_find(const struct inventory *inv, const char *name)
{
	size_t i;

	for (i = 0; i < inv->n; i++) {
		if (strcmp(inv->machines[i].name, name) == 0)
			return &inv->machines[i];
	}
	return NULL;
}

static int target_cmp(const struct target *a, const struct target *b)
{
	int c = strcmp(a->host, b->host);

	if (c == 0)
		c = a->port < b->port ? -1 : a->port > b->port;
	return c ? c : strcmp(a->user, b->user);
}

static int by_target_cmp(const void *a, const void *b)
{
	return target_cmp(&(*(struct inv_machine *const *)a)->target, &(*(struct inv_machine *const *)b)->target);
}

static int target_key_cmp(const void *key, const void *elem)
{
	return target_cmp(key, &(*(struct inv_machine *const *)elem)->target);
}

/* The index inventory_find_target searches; targets are unique (parse refuses duplicates). */
int inv_index_targets(struct inventory *inv)
{
	size_t i;

	if (!inv->n)
		return 0;
	if (!(inv->by_target = calloc(inv->n, sizeof(*inv->by_target))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < inv->n; i++)
		inv->by_target[i] = &inv->machines[i];
	qsort(inv->by_target, inv->n, sizeof(*inv->by_target), by_target_cmp);
	return 0;
}

int inventory_reindex(struct inventory *inv)
{
	free(inv->by_target);
	inv->by_target = NULL;
	return inv_index_targets(inv);
}

const struct inv_machine *inventory_find_target(const struct inventory *inv, const struct target *t)
{
	struct inv_machine **m;

	if (!inv->by_target)
		return NULL;
	m = bsearch(t, inv->by_target, inv->n, sizeof(*inv->by_target), target_key_cmp);
	return m ? *m : NULL;
}

int inventory_load(const char *path, struct inventory *inv)
{
	struct buf b = BUF_INIT(64 << 20);
	int r;

	r = fs_read_file(path, &b);
	if (r == ERR_NOTFOUND)
		r = err_set(ERR_NOTFOUND, "no inventory at '%s'", path);
	else if (r == 0)
		r = inventory_parse(path, b.data, b.len, inv);
	buf_release(&b);
	return r;
}
