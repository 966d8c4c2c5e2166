/* systemd on nodes: the actions chimera knows, unit names, and the systemctl commands. */
#include "remote/services.h"
#include "formats/systemd_show.h"
#include "util/err.h"
#include "util/shell.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

static const char *const action_names[] = {
	[SERVICES_LIST] = "list",
	[SERVICES_STATUS] = "status",
	[SERVICES_START] = "start",
	[SERVICES_STOP] = "stop",
	[SERVICES_RESTART] = "restart",
	[SERVICES_ENABLE] = "enable",
	[SERVICES_DISABLE] = "disable",
};

#define ACTION_COUNT (sizeof(action_names) / sizeof(action_names[0]))

const char *services_action_name(enum services_action a)
{
	return (size_t)a < ACTION_COUNT ? action_names[a] : "?";
}

int services_action_parse(const char *s, enum services_action *out)
{
	char q[64];
	size_t i;

	for (i = 0; i < ACTION_COUNT; i++) {
		if (strcmp(s, action_names[i]) == 0) {
			*out = (enum services_action)i;
			return 0;
		}
	}
	return err_set(ERR_INVALID,
		       "unknown services subcommand '%s': expected list, status, start, stop, restart, enable or disable",
		       err_quote(q, sizeof(q), s, strlen(s)));
}

bool services_action_takes_unit(enum services_action a)
{
	return a != SERVICES_LIST;
}

bool services_action_changes(enum services_action a)
{
	return a != SERVICES_LIST && a != SERVICES_STATUS;
}

/* The unit types systemd knows: a name ending in one of them keeps it, as systemctl does. */
static bool has_unit_suffix(const char *name)
{
	static const char *const types[] = { "service", "socket", "device", "mount", "automount", "swap",
					     "target", "path", "timer", "slice", "scope" };
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(dot + 1, types[i]) == 0)
			return true;
	}
	return false;
}

int services_unit_name(const char *name, char *out, size_t len)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.@-";
	size_t n = strlen(name), need;
	bool suffix = has_unit_suffix(name);
	char q[96];

	err_quote(q, sizeof(q), name, n);
	if (n == 0 || strspn(name, ok) != n || name[0] == '-' || name[0] == '.' || name[n - 1] == '.')
		return err_set(ERR_INVALID,
			       "bad unit name '%s': expected letters, digits and :_.@- (like nginx or getty@tty1.service)",
			       q);
	need = n + (suffix ? 0 : strlen(".service"));
	if (need > SD_NAME_MAX || need >= len)
		return err_set(ERR_INVALID, "bad unit name '%s': longer than %d bytes", q, SD_NAME_MAX);
	snprintf(out, len, "%s%s", name, suffix ? "" : ".service");
	return 0;
}

int services_remote_detect(struct buf *cmd)
{
	/* sd_booted(): systemd runs as the init system exactly when this directory exists. */
	return buf_adds(cmd, "if [ -d /run/systemd/system ]; then echo systemd; else echo none; fi");
}

int services_remote_action(struct buf *cmd, enum services_action a, const char *unit)
{
	int r;

	if ((r = buf_printf(cmd, "LC_ALL=C systemctl --no-ask-password %s -- ", services_action_name(a))) < 0)
		return r;
	return shell_quote(cmd, unit);
}

int services_remote_show(struct buf *cmd, const char *unit)
{
	int r;

	if ((r = buf_adds(cmd, "TZ=UTC0 LC_ALL=C systemctl show --no-pager --all -p " SYSTEMD_SHOW_PROPERTIES " -- ")) < 0)
		return r;
	return shell_quote(cmd, unit ? unit : "*.service");
}
