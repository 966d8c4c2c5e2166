/* systemctl show output (KEY=VALUE lines, units separated by blank lines): bytes in, unit states out. */
#ifndef CHIMERA_FORMATS_SYSTEMD_SHOW_H
#define CHIMERA_FORMATS_SYSTEMD_SHOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The properties the parser reads, in the form `systemctl show -p` takes. Other keys in
 * the input are skipped, so a newer systemd that prints more does no harm.
 */
#define SYSTEMD_SHOW_PROPERTIES                                                                   \
	"Id,Description,LoadState,LoadError,ActiveState,SubState,UnitFileState,Type,Result,MainPID," \
	"MemoryCurrent,ExecMainStartTimestamp,InactiveExitTimestamp,ActiveEnterTimestamp,"          \
	"ActiveExitTimestamp,InactiveEnterTimestamp"

#define SD_NAME_MAX 256		/* a unit name, as systemd's UNIT_NAME_MAX */
#define SD_STATE_MAX 32		/* load, active, sub and unit file states, type, result */
#define SD_TIME_MAX 64
#define SD_DESCRIPTION_MAX 512	/* longer descriptions are cut on a character boundary */
#define SD_LOAD_ERROR_MAX 256	/* likewise */

/* A timestamp as systemctl prints it. */
struct sd_time {
	bool set;		/* false for an empty value or "n/a" */
	char text[SD_TIME_MAX];	/* as printed: "Sun 2026-11-22 10:15:02 UTC", or "@1795342502" */
	int64_t epoch;		/* seconds since 1970 UTC; -1 when the zone is not UTC or the time is
				   before 1970 (text only) */
};

/* One unit's state. Strings are "" when the input had no such key. */
struct sd_unit {
	char id[SD_NAME_MAX + 1];
	char description[SD_DESCRIPTION_MAX];
	char load_state[SD_STATE_MAX];		/* loaded, not-found, masked, error, ... */
	char load_error[SD_LOAD_ERROR_MAX];	/* the D-Bus error and its text, "" when none */
	char active_state[SD_STATE_MAX];	/* active, inactive, failed, activating, ... */
	char sub_state[SD_STATE_MAX];		/* running, dead, exited, failed, ... */
	char unit_file_state[SD_STATE_MAX];	/* enabled, disabled, static, masked, "" ... */
	char type[SD_STATE_MAX];		/* simple, oneshot, notify, ... */
	char result[SD_STATE_MAX];		/* success, exit-code, signal, ... */
	uint32_t main_pid;			/* 0: none */
	bool memory_known;			/* false for "[not set]" and 2^64-1 */
	uint64_t memory;			/* MemoryCurrent in bytes when memory_known */
	struct sd_time exec_main_start;
	struct sd_time inactive_exit, active_enter, active_exit, inactive_enter;
	/*
	 * Since when the unit is in its active state, chosen as `systemctl status` does:
	 * active and reloading from active_enter, inactive and failed from inactive_enter,
	 * activating from inactive_exit, deactivating from active_exit.
	 */
	struct sd_time since;
};

/* The units of one `systemctl show` output, in the order printed. */
struct sd_unit_list {
	struct sd_unit *items;	/* owned; NULL when n is 0 */
	size_t n;
};

/*
 * Parse LEN bytes at DATA (need not be NUL-terminated): blocks of KEY=VALUE lines, one per
 * unit, separated by one or more blank lines. Every block must have an Id. Empty input is
 * no units. Timestamps are parsed into epoch seconds when printed in UTC (run systemctl
 * with TZ=UTC0 and LC_ALL=C) or as @SECONDS; other zones keep their text only.
 *
 * Returns 0 with OUT filled (release it with systemd_show_release), or ERR_INVALID naming
 * the line (1-based) and quoting it: a line without '=', a bad key, a bad number or
 * timestamp, a key given twice in one unit, a block without Id; ERR_LIMIT for a name or
 * state too long; ERR_NOMEM. On error OUT is left empty.
 */
int systemd_show_parse(const char *data, size_t len, struct sd_unit_list *out);

/* Free what systemd_show_parse filled and leave L empty. */
void systemd_show_release(struct sd_unit_list *l);

/* Whether LOAD_STATE says the unit does not exist ("not-found"). */
bool systemd_unit_missing(const struct sd_unit *u);

#endif
