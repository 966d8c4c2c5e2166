/* A fleet operation's world: settings completed from the inventory, ssh configs, executors, ledger. */
#include "runtime/ssh_config.h"
#include "runtime/exec_sudo.h"
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
	r->stall_timeout = 60;
	r->activation_timeout = 240;
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
/* The sudo wrapper's question: a machine's own sudo, --sudo, or [defaults] sudo; NULL for none. */
static const char *target_sudo(const struct target *t, void *arg)
{
	const struct world_fleet *f = arg;
	const struct inv_machine *m = f->inv ? inventory_find_target(f->inv, t) : NULL;

	if (!f->inv || !inventory_sudo(f->inv, m, f->reach->sudo))
		return NULL;
	return inventory_sudo_command(f->inv, m);
}

static void target_settings(const struct target *t, struct node_settings *out, void *arg)
{
	const struct world_fleet *f = arg;
	const struct inv_machine *m = f->inv ? inventory_find_target(f->inv, t) : NULL;

	if (!m)
		return;
	out->profile = inventory_profile(f->inv, m, f->reach->set_profile ? f->reach->profile : NULL);
	out->activate = inventory_activation(f->inv, m, f->reach->set_activate ? f->reach->activate : NULL);
	out->goal = inventory_goal(f->inv, m, f->reach->set_goal ? f->reach->goal : NULL);
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
	r->set_goal = r->goal != NULL;
	if (!r->goal)
		r->goal = inv->defaults.goal;
}

int world_open_fleet(struct world *w, struct world_reach *reach, const struct target_list *targets,
		     struct world_fleet *f)
{
	struct transport_params p = { 0 };
	struct world_ssh *ssh = NULL;
	const char *dir;
	size_t i;
	int r;

	memset(f, 0, sizeof(*f));
	f->reach = reach;
	if ((r = world_inventory(w, &f->inv)) < 0 || (r = world_state_dir(w, &dir)) < 0)
		return r;
	/* the ssh config world_targets resolved TARGETS with; the executor asks it per host (none without ssh targets) */
	for (i = 0; i < targets->n && targets->items[i].transport[0] &&
		    strcmp(targets->items[i].transport, TARGET_TRANSPORT_SSH) != 0; i++)
		;
	if (i < targets->n && (r = world_ssh_of(w, &ssh)) < 0)
		return r;
	reach_complete(reach, f->inv);
	p.connect_timeout_s = reach->connect_timeout;
	/* chimera's own setting beats the ssh config's ConnectTimeout; its built-in 10 s does not */
	p.connect_timeout_set = reach->set_connect_timeout || f->inv->defaults.connect_timeout_from != INV_FROM_DEFAULT;
	p.timeout_s = reach->timeout;
	p.stall_timeout_s = reach->stall_timeout;
	p.accept_new_host_keys = reach->accept_new;
	p.ssh_settings = ssh ? world_ssh_settings : NULL;
	p.ssh_settings_arg = ssh;
	if ((r = transport_open_all(&p, &f->fleet.executors)) < 0 ||
	    (r = exec_sudo_wrap_set(&f->fleet.executors, target_sudo, f)) < 0 || (r = world_open_ledger(w, &f->fleet.ledger)) < 0 ||
	    (r = world_open_http(w, &f->fleet.http)) < 0)
		return r;
	f->fleet.parallel = (int)reach->parallel;
	f->fleet.node_settings = target_settings;
	f->fleet.node_settings_arg = f;
	f->fleet.step_timeout_s = reach->timeout;
	f->fleet.activation_timeout_s = reach->activation_timeout;
	f->fleet.lock_wait_s = reach->lock_wait;
	return 0;
}

void world_fleet_close(struct world_fleet *f)
{
	transport_close_all(&f->fleet.executors);
	http_close(f->fleet.http);
	ledger_close(f->fleet.ledger);
	memset(f, 0, sizeof(*f));
}
