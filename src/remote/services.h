/* systemd on nodes: the actions chimera knows, unit names, and the systemctl commands sent. */
#ifndef CHIMERA_REMOTE_SERVICES_H
#define CHIMERA_REMOTE_SERVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

enum services_action {
	SERVICES_LIST,
	SERVICES_STATUS,
	SERVICES_START,
	SERVICES_STOP,
	SERVICES_RESTART,
	SERVICES_ENABLE,
	SERVICES_DISABLE,
};

/* "list", "status", "start", ... Never NULL. */
const char *services_action_name(enum services_action a);

/* Parse a subcommand name into *OUT. Returns 0, or ERR_INVALID quoting S and naming the choices. */
int services_action_parse(const char *s, enum services_action *out);

/* True when action A works on one named unit (all but list). */
bool services_action_takes_unit(enum services_action a);

/* True for the actions that change something (start, stop, restart, enable, disable). */
bool services_action_changes(enum services_action a);

/*
 * Check NAME as a unit name ([A-Za-z0-9:_.@-], at most SD_NAME_MAX bytes, not starting
 * with '-' or '.') and write it to OUT (LEN bytes) with ".service" appended unless it ends
 * in a unit type (.service, .socket, .timer, .target ...), as systemctl itself does.
 * Returns 0, or ERR_INVALID quoting NAME and the expected form.
 */
int services_unit_name(const char *name, char *out, size_t len);

/*
 * The shell commands run on a node; each appends to CMD and returns 0 or a buf error.
 * detect prints "systemd" when /run/systemd/system is a directory (sd_booted()'s test),
 * else "none", with shell builtins only. action runs `systemctl ACTION -- UNIT`. show runs
 * `systemctl show` of UNIT, or of every loaded service ('*.service') when UNIT is NULL,
 * for SYSTEMD_SHOW_PROPERTIES, with TZ=UTC0 and LC_ALL=C so timestamps parse.
 */
int services_remote_detect(struct buf *cmd);
int services_remote_action(struct buf *cmd, enum services_action a, const char *unit);
int services_remote_show(struct buf *cmd, const char *unit);

/* One node's outcome. */

#endif
