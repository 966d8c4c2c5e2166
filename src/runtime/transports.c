/* The registry of target transports: adding one is an adapter and a row here. */
#include "runtime/transports.h"
#include "adapters/local/exec_local.h"
#include "adapters/ssh/exec_ssh.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

static int open_ssh(const struct transport_params *p, struct executor **out)
{
	struct exec_ssh_config c = {
		.connect_timeout_s = p->connect_timeout_s,
		.connect_timeout_set = p->connect_timeout_set,
		.timeout_s = p->timeout_s,
		.stall_timeout_s = p->stall_timeout_s,
		.accept_new_host_keys = p->accept_new_host_keys,
		.settings = p->ssh_settings,
		.settings_arg = p->ssh_settings_arg,
	};

	return exec_ssh_new(&c, out);
}

static int open_local(const struct transport_params *p, struct executor **out)
{
	struct exec_local_config c = { .timeout_s = p->timeout_s };

	return exec_local_new(&c, out);
}

const struct transport transports[] = {
	{ TARGET_TRANSPORT_SSH, "[user@]host[:port]: one in-process SSH session per node", open_ssh },
	{ TARGET_TRANSPORT_LOCAL, "local: the controller itself, /bin/sh without SSH", open_local },
	{ NULL, NULL, NULL },
};

const struct transport *transport_find(const char *name)
{
	const struct transport *t;

	for (t = transports; t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

int transport_open_all(const struct transport_params *p, struct executor_set *set)
{
	const struct transport *t;
	int r;

	memset(set, 0, sizeof(*set));
	for (t = transports; t->name; t++) {
		if (set->n == EXECUTOR_TRANSPORTS_MAX)
			return err_set(ERR_LIMIT, "more than %d transports", EXECUTOR_TRANSPORTS_MAX);
		if ((r = t->open(p, &set->items[set->n].ex)) < 0)
			return r;
		snprintf(set->items[set->n].transport, sizeof(set->items[set->n].transport), "%s", t->name);
		set->n++;
	}
	return 0;
}

void transport_close_all(struct executor_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->items[i].ex)
			set->items[i].ex->ops->close(set->items[i].ex);
	memset(set, 0, sizeof(*set));
}
