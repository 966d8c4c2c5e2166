/* A fleet operation's world: settings completed from the inventory, ssh configs, executors, ledger. */
#include "runtime/transports.h"
#include "runtime/world.h"
#include "core/lease.h"
#include "ports/http.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

void world_reach_init(struct world_reach *r)
{
	memset(r, 0, sizeof(*r));
	r->profile = PROFILE_DEFAULT;
	r->lock_wait = LEASE_WAIT_DEFAULT_S;
	r->parallel = FLEET_PARALLEL_DEFAULT;
	r->connect_timeout = 10;
	r->timeout = 600;
}

const char *world_transport_names(void)
{
	static char names[EXECUTOR_TRANSPORTS_MAX * (TARGET_TRANSPORT_MAX + 2) + 1];
	const struct transport *t;
	size_t len = 0;

	if (names[0])
		return names;
	for (t = transports; t->name && len < sizeof(names); t++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", t == transports ? "" : ", ", t->name);
	return names;
}

/*
 * The fleet's node_settings: a machine's own profile and activation are the file's, so a
 * flag or a CHIMERA_* variable (which set them for every node) wins over them.
 */
static void target_settings(const struct target *t, const char **profile, const char **activate, void *arg)
{
	const struct world_fleet *f = arg;
	const struct inv_machine *m = f->inv ? inventory_find_target(f->inv, t) : NULL;

	if (!m)
		return;
	*profile = inventory_profile(f->inv, m, f->reach->set_profile ? f->reach->profile : NULL);
	*activate = inventory_activation(f->inv, m, f->reach->set_activate ? f->reach->activate : NULL);
}

/* The ssh executor's target_config: the selected machine's own ssh config file, if it has one. */
static const char *target_ssh_conf(const struct target *t, void *arg)
{
	const struct world_fleet *f = arg;
	const struct inv_machine *m = f->ssh_confs ? inventory_find_target(f->inv, t) : NULL;

	return m ? f->ssh_confs[m - f->inv->machines] : NULL;
}

/* One machine's ssh_options as an OpenSSH client config, at PATH. */
static int write_ssh_conf(const struct inventory *inv, const struct inv_machine *m, const char *dir, const char *path)
{
	struct buf conf = BUF_INIT(64 * 1024);
	size_t k;
	int r;

	buf_printf(&conf, "# ssh_options of machine %s in %s, written by chimera\n", m->name, inv->path);
	for (k = 0; k < m->nssh_options; k++) {
		const char *o = m->ssh_options[k];
		size_t key = strcspn(o, "=");

		buf_printf(&conf, "%.*s %s\n", (int)key, o, o + key + 1);
	}
	if ((r = fs_mkdir_p(dir, 0700)) == 0)
		r = fs_write_file(path, conf.data, conf.len, 0600);
	buf_release(&conf);
	return r;
}

/* Write STATE/ssh/NAME.conf for each selected machine with ssh_options. */
static int write_ssh_confs(const char *state_dir, const struct target_list *targets, struct world_fleet *f)
{
	const struct inventory *inv = f->inv;
	char dir[PATH_MAX], path[PATH_MAX + INV_NAME_MAX + 8];
	size_t i;
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/ssh", state_dir);
	for (i = 0; i < targets->n && r == 0; i++) {
		const struct inv_machine *m = inventory_find_target(inv, &targets->items[i]);

		if (!m || !m->nssh_options)
			continue;
		if (!f->ssh_confs && !(f->ssh_confs = calloc(inv->n, sizeof(*f->ssh_confs))))
			return err_set(ERR_NOMEM, "out of memory");
		snprintf(path, sizeof(path), "%s/%s.conf", dir, m->name);
		if ((r = write_ssh_conf(inv, m, dir, path)) == 0 && !(f->ssh_confs[m - inv->machines] = strdup(path)))
			r = err_set(ERR_NOMEM, "out of memory");
	}
	return r;
}

/* Flags first, then CHIMERA_* variables and the inventory's [defaults] (world_inventory ranked those). */
static void reach_complete(struct world_reach *r, const struct inventory *inv)
{
	if (!r->set_profile)
		r->profile = inv->defaults.profile;
	if (!r->set_parallel)
		r->parallel = inv->defaults.parallel;
	if (!r->set_connect_timeout)
		r->connect_timeout = inv->defaults.connect_timeout;
	r->set_activate = r->activate != NULL;
	if (!r->activate)
		r->activate = inv->defaults.activation;
}

int world_open_fleet(struct world *w, struct world_reach *reach, const struct target_list *targets,
		     struct world_fleet *f)
{
	struct transport_params p = { 0 };
	char labcfg[PATH_MAX];
	const char *dir;
	int r;

	memset(f, 0, sizeof(*f));
	f->reach = reach;
	if ((r = world_inventory(w, &f->inv)) < 0 || (r = world_state_dir(w, &dir)) < 0 ||
	    (r = world_lab_ssh_config(w, labcfg, sizeof(labcfg))) < 0)
		return r;
	reach_complete(reach, f->inv);
	if ((r = write_ssh_confs(dir, targets, f)) < 0)
		return r;
	p.ssh_config = labcfg[0] ? labcfg : NULL;
	p.connect_timeout_s = reach->connect_timeout;
	p.timeout_s = reach->timeout;
	p.accept_new_host_keys = reach->accept_new;
	p.target_config = target_ssh_conf;
	p.target_config_arg = f;
	if ((r = transport_open_all(&p, &f->fleet.executors)) < 0 || (r = world_open_ledger(w, &f->fleet.ledger)) < 0 ||
	    (r = world_open_http(w, &f->fleet.http)) < 0)
		return r;
	f->fleet.parallel = (int)reach->parallel;
	f->fleet.node_settings = target_settings;
	f->fleet.node_settings_arg = f;
	f->fleet.step_timeout_s = reach->timeout;
	f->fleet.lock_wait_s = reach->lock_wait;
	return 0;
}

void world_fleet_close(struct world_fleet *f)
{
	size_t i;

	transport_close_all(&f->fleet.executors);
	http_close(f->fleet.http);
	ledger_close(f->fleet.ledger);
	for (i = 0; f->ssh_confs && f->inv && i < f->inv->n; i++)
		free(f->ssh_confs[i]);
	free(f->ssh_confs);
	memset(f, 0, sizeof(*f));
}
