/* The sudo wrapper around an executor (exec_sudo.h). */
#include "runtime/exec_sudo.h"
#include "core/sudo.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

struct exec_sudo {
	struct executor base;
	struct executor *inner;
	sudo_for_fn sudo_for;
	void *arg;
};

/* The wrapper's session: the inner one, and the command put before each of its commands ("" for none). */
struct exec_session {
	struct exec_session *inner;
	struct exec_sudo *ex;
	char prefix[SUDO_COMMAND_MAX + 1];
};

static int sudo_connect(struct executor *base, const struct target *t, struct exec_session **out)
{
	struct exec_sudo *ex = (struct exec_sudo *)base;
	struct exec_session *s = calloc(1, sizeof(*s));
	const char *prefix = ex->sudo_for ? ex->sudo_for(t, ex->arg) : NULL;
	int r;

	*out = NULL;
	if (!s)
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = ex->inner->ops->connect(ex->inner, t, &s->inner)) < 0) {
		free(s);
		return r;
	}
	s->ex = ex;
	snprintf(s->prefix, sizeof(s->prefix), "%s", prefix ? prefix : "");
	*out = s;
	return 0;
}

static int sudo_run(struct exec_session *s, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	struct buf wrapped = BUF_INIT(0);
	int r;

	if (!s->prefix[0])
		return s->ex->inner->ops->run(s->inner, cmd, o, res);
	/* sudo's own complaint (a password wanted, not in sudoers) ends up in stderr with its status. */
	if (buf_printf(&wrapped, "%s sh -c ", s->prefix) < 0 || shell_quote(&wrapped, cmd) < 0) {
		buf_release(&wrapped);
		return err_set(ERR_NOMEM, "out of memory");
	}
	r = s->ex->inner->ops->run(s->inner, wrapped.data, o, res);
	buf_release(&wrapped);
	return r;
}

static void sudo_disconnect(struct exec_session *s)
{
	if (!s)
		return;
	s->ex->inner->ops->disconnect(s->inner);
	free(s);
}

static void sudo_close(struct executor *base)
{
	struct exec_sudo *ex = (struct exec_sudo *)base;

	if (!ex)
		return;
	ex->inner->ops->close(ex->inner);
	free(ex);
}

static const struct executor_ops sudo_ops = {
	.name = "sudo",
	.connect = sudo_connect,
	.run = sudo_run,
	.disconnect = sudo_disconnect,
	.close = sudo_close,
};

int exec_sudo_wrap_set(struct executor_set *set, sudo_for_fn sudo_for, void *arg)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		struct exec_sudo *ex = calloc(1, sizeof(*ex));

		if (!ex)
			return err_set(ERR_NOMEM, "out of memory");
		ex->base.ops = &sudo_ops;
		ex->inner = set->items[i].ex;
		ex->sudo_for = sudo_for;
		ex->arg = arg;
		set->items[i].ex = &ex->base;
	}
	return 0;
}
