/* The inventory's settings precedence: CHIMERA_* variables over [defaults], a machine's own, flags over all. */
#include "app/config/inventory.h"
#include "core/goal.h"
#include "core/profile.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* One CHIMERA_* variable over a [defaults] setting: an integer in [MIN, MAX]. */
static int env_long(const struct inv_env *e, const char *var, long min, long max, long *val, enum inv_source *from)
{
	const char *v = e->get(var, e->arg);
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return err_set(ERR_INVALID, "%s='%.64s': expected a whole number from %ld to %ld", var, v, min, max);
	*val = n;
	*from = INV_FROM_ENV;
	return 0;
}

static int env_str(const struct inv_env *e, const char *var, char *val, size_t len, enum inv_source *from)
{
	const char *v = e->get(var, e->arg);

	if (!v || !*v)
		return 0;
	if (strlen(v) >= len)
		return err_set(ERR_INVALID, "%s is over %zu bytes", var, len - 1);
	snprintf(val, len, "%s", v);
	*from = INV_FROM_ENV;
	return 0;
}

int inventory_apply_env(struct inventory *inv, const struct inv_env *e)
{
	struct inv_defaults *d = &inv->defaults;
	long port = d->port;
	int r;

	if ((r = env_str(e, "CHIMERA_USER", d->user, sizeof(d->user), &d->user_from)) < 0 ||
	    (r = env_long(e, "CHIMERA_PORT", 1, 65535, &port, &d->port_from)) < 0 ||
	    (r = env_str(e, "CHIMERA_PROFILE", d->profile, sizeof(d->profile), &d->profile_from)) < 0 ||
	    (r = env_str(e, "CHIMERA_ACTIVATION", d->activation, sizeof(d->activation), &d->activation_from)) < 0 ||
	    (r = env_str(e, "CHIMERA_GOAL", d->goal, sizeof(d->goal), &d->goal_from)) < 0 ||
	    (r = env_long(e, "CHIMERA_PARALLEL", 1, 4096, &d->parallel, &d->parallel_from)) < 0 ||
	    (r = env_long(e, "CHIMERA_CONNECT_TIMEOUT", 1, 3600, &d->connect_timeout, &d->connect_timeout_from)) < 0)
		return r;
	d->port = (uint16_t)port;
	if (d->profile_from == INV_FROM_ENV && (r = profile_path_check(d->profile)) < 0)
		return err_set(ERR_INVALID, "CHIMERA_PROFILE: %s", err_msg());
	if (d->goal_from == INV_FROM_ENV && (r = goal_parse(d->goal, &(enum goal){ GOAL_SWITCH })) < 0)
		return err_set(ERR_INVALID, "CHIMERA_GOAL: %s", err_msg());
	return 0;
}

const char *inventory_profile(const struct inventory *inv, const struct inv_machine *m, const char *flag)
{
	if (flag)
		return flag;
	if (m && m->profile && inv->defaults.profile_from <= INV_FROM_FILE)
		return m->profile;
	return inv->defaults.profile;
}

const char *inventory_activation(const struct inventory *inv, const struct inv_machine *m, const char *flag)
{
	if (flag)
		return flag;
	if (m && m->activation && inv->defaults.activation_from <= INV_FROM_FILE)
		return m->activation;
	return inv->defaults.activation;
}

const char *inventory_goal(const struct inventory *inv, const struct inv_machine *m, const char *flag)
{
	if (flag)
		return flag;
	if (m && m->goal && inv->defaults.goal_from <= INV_FROM_FILE)
		return m->goal;
	return inv->defaults.goal;
}

bool inventory_sudo(const struct inventory *inv, const struct inv_machine *m, int flag)
{
	if (flag > 0)
		return true;
	if (m && m->sudo)
		return m->sudo > 0;
	return inv->defaults.sudo;
}

const char *inventory_sudo_command(const struct inventory *inv, const struct inv_machine *m)
{
	return m && m->sudo_command ? m->sudo_command : inv->defaults.sudo_command;
}
