/* Fuzz target for formats/systemd_show: systemd_show_parse against a model of the format it reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/systemd_show.h"
#include "fuzz.h"
#include "util/err.h"

/*
 * The real captures of tests/fixtures/systemd (systemd 252, `systemctl show` with TZ=UTC0
 * LC_ALL=C), one unit a macro: multi.txt is its units with a blank line between them, and
 * each single-unit capture is one of them (or a unit of its own).
 */
#define UNIT_DBUS \
	"Type=notify\n" \
	"MainPID=0\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=\n" \
	"MemoryCurrent=[not set]\n" \
	"Id=dbus.service\n" \
	"Description=D-Bus User Message Bus\n" \
	"LoadState=loaded\n" \
	"ActiveState=inactive\n" \
	"SubState=dead\n" \
	"UnitFileState=static\n" \
	"InactiveExitTimestamp=\n" \
	"ActiveEnterTimestamp=\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=\n"

#define UNIT_APP_METRICS \
	"Type=\n" \
	"MainPID=0\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=\n" \
	"MemoryCurrent=[not set]\n" \
	"Id=app-metrics.service\n" \
	"Description=app-metrics.service\n" \
	"LoadState=not-found\n" \
	"ActiveState=inactive\n" \
	"SubState=dead\n" \
	"UnitFileState=\n" \
	"InactiveExitTimestamp=\n" \
	"ActiveEnterTimestamp=\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=org.freedesktop.systemd1.NoSuchUnit \"Unit app-metrics.service not found.\"\n"

#define UNIT_APP \
	"Type=simple\n" \
	"MainPID=46\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=Mon 2026-11-23 02:33:56 UTC\n" \
	"MemoryCurrent=180224\n" \
	"Id=app.service\n" \
	"Description=Chimera fixture: a long-running application\n" \
	"LoadState=loaded\n" \
	"ActiveState=active\n" \
	"SubState=running\n" \
	"UnitFileState=enabled\n" \
	"InactiveExitTimestamp=Mon 2026-11-23 02:33:56 UTC\n" \
	"ActiveEnterTimestamp=Mon 2026-11-23 02:33:56 UTC\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=\n"

#define UNIT_DIRMNGR \
	"Type=simple\n" \
	"MainPID=0\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=\n" \
	"MemoryCurrent=[not set]\n" \
	"Id=dirmngr.service\n" \
	"Description=GnuPG network certificate management daemon\n" \
	"LoadState=loaded\n" \
	"ActiveState=inactive\n" \
	"SubState=dead\n" \
	"UnitFileState=static\n" \
	"InactiveExitTimestamp=\n" \
	"ActiveEnterTimestamp=\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=\n"

#define UNIT_SETUP \
	"Type=oneshot\n" \
	"MainPID=0\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=Mon 2026-11-23 02:33:57 UTC\n" \
	"MemoryCurrent=[not set]\n" \
	"Id=setup.service\n" \
	"Description=Chimera fixture: one-time setup\n" \
	"LoadState=loaded\n" \
	"ActiveState=active\n" \
	"SubState=exited\n" \
	"UnitFileState=static\n" \
	"InactiveExitTimestamp=Mon 2026-11-23 02:33:57 UTC\n" \
	"ActiveEnterTimestamp=Mon 2026-11-23 02:33:58 UTC\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=\n"

#define UNIT_PK_DEBCONF_HELPER \
	"Type=simple\n" \
	"MainPID=0\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=\n" \
	"MemoryCurrent=[not set]\n" \
	"Id=pk-debconf-helper.service\n" \
	"Description=debconf communication service\n" \
	"LoadState=loaded\n" \
	"ActiveState=inactive\n" \
	"SubState=dead\n" \
	"UnitFileState=static\n" \
	"InactiveExitTimestamp=\n" \
	"ActiveEnterTimestamp=\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=\n"

#define UNIT_WORKER_1 \
	"Type=exec\n" \
	"MainPID=52\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=Mon 2026-11-23 02:33:58 UTC\n" \
	"MemoryCurrent=253952\n" \
	"Id=worker@1.service\n" \
	"Description=Chimera fixture: worker 1\n" \
	"LoadState=loaded\n" \
	"ActiveState=active\n" \
	"SubState=running\n" \
	"UnitFileState=static\n" \
	"InactiveExitTimestamp=Mon 2026-11-23 02:33:58 UTC\n" \
	"ActiveEnterTimestamp=Mon 2026-11-23 02:33:58 UTC\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=\n"

#define UNIT_WORKER_A_B \
	"Type=exec\n" \
	"MainPID=53\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=Mon 2026-11-23 02:33:58 UTC\n" \
	"MemoryCurrent=385024\n" \
	"Id=worker@a\\x2db.service\n" \
	"Description=Chimera fixture: worker a-b\n" \
	"LoadState=loaded\n" \
	"ActiveState=active\n" \
	"SubState=running\n" \
	"UnitFileState=static\n" \
	"InactiveExitTimestamp=Mon 2026-11-23 02:33:58 UTC\n" \
	"ActiveEnterTimestamp=Mon 2026-11-23 02:33:58 UTC\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=\n"

#define UNIT_BROKEN \
	"Type=simple\n" \
	"MainPID=0\n" \
	"Result=exit-code\n" \
	"ExecMainStartTimestamp=Mon 2026-11-23 02:33:58 UTC\n" \
	"MemoryCurrent=[not set]\n" \
	"Id=broken.service\n" \
	"Description=Chimera fixture: a daemon that exits with an error\n" \
	"LoadState=loaded\n" \
	"ActiveState=failed\n" \
	"SubState=failed\n" \
	"UnitFileState=static\n" \
	"InactiveExitTimestamp=Mon 2026-11-23 02:33:58 UTC\n" \
	"ActiveEnterTimestamp=Mon 2026-11-23 02:33:58 UTC\n" \
	"ActiveExitTimestamp=Mon 2026-11-23 02:33:59 UTC\n" \
	"InactiveEnterTimestamp=Mon 2026-11-23 02:33:59 UTC\n" \
	"LoadError=\n"

#define UNIT_GPG_AGENT \
	"Type=simple\n" \
	"MainPID=0\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=\n" \
	"MemoryCurrent=[not set]\n" \
	"Id=gpg-agent.service\n" \
	"Description=GnuPG cryptographic agent and passphrase cache\n" \
	"LoadState=loaded\n" \
	"ActiveState=inactive\n" \
	"SubState=dead\n" \
	"UnitFileState=static\n" \
	"InactiveExitTimestamp=\n" \
	"ActiveEnterTimestamp=\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=\n"

#define UNIT_BACKUP \
	"Type=oneshot\n" \
	"MainPID=0\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=\n" \
	"MemoryCurrent=[not set]\n" \
	"Id=backup.service\n" \
	"Description=Chimera fixture: a backup that was never started\n" \
	"LoadState=loaded\n" \
	"ActiveState=inactive\n" \
	"SubState=dead\n" \
	"UnitFileState=disabled\n" \
	"InactiveExitTimestamp=\n" \
	"ActiveEnterTimestamp=\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=\n"

#define UNIT_NOSUCH \
	"Type=\n" \
	"MainPID=0\n" \
	"Result=success\n" \
	"ExecMainStartTimestamp=\n" \
	"MemoryCurrent=[not set]\n" \
	"Id=nosuch.service\n" \
	"Description=nosuch.service\n" \
	"LoadState=not-found\n" \
	"ActiveState=inactive\n" \
	"SubState=dead\n" \
	"UnitFileState=\n" \
	"InactiveExitTimestamp=\n" \
	"ActiveEnterTimestamp=\n" \
	"ActiveExitTimestamp=\n" \
	"InactiveEnterTimestamp=\n" \
	"LoadError=org.freedesktop.systemd1.NoSuchUnit \"Unit nosuch.service not found.\"\n"

const char *const fuzz_seeds[] = {
	UNIT_APP,	/* running.txt */
	UNIT_BACKUP,	/* inactive.txt */
	UNIT_BROKEN,	/* failed.txt */
	UNIT_NOSUCH,	/* not-found.txt */
	UNIT_SETUP,	/* oneshot.txt */
	UNIT_WORKER_1,	/* templated.txt */
	/* multi.txt */
	UNIT_DBUS "\n" UNIT_APP_METRICS "\n" UNIT_APP "\n"
	UNIT_DIRMNGR "\n" UNIT_SETUP "\n" UNIT_PK_DEBCONF_HELPER "\n"
	UNIT_WORKER_1 "\n" UNIT_WORKER_A_B "\n" UNIT_BROKEN "\n"
	UNIT_GPG_AGENT,
	/* near misses */
	"",
	"\n\n\n",
	"Id=a.service",
	"Id=a.service\r\n",
	"Id=a.service\n\nId=b.service\n",
	"Id=a.service\n\n\n\nId=b.service\nUnknownKey=x\nX-Vendor=\n",
	"Id=a.service\nId=b.service\n",
	"Description=no id here\n",
	"Id=a.service\n\nDescription=second unit has no id\n",
	"Id=\n",
	"Id=a.service\nnot a key value line\n",
	"Id=a.service\n=value\n",
	"Id=a.service\nKey_With-Dash=1\n",
	"Id=a.service\nMainPID=2147483647\n",
	"Id=a.service\nMainPID=2147483648\n",
	"Id=a.service\nMainPID=-1\n",
	"Id=a.service\nMainPID=\n",
	"Id=a.service\nMemoryCurrent=18446744073709551615\n",
	"Id=a.service\nMemoryCurrent=18446744073709551614\n",
	"Id=a.service\nMemoryCurrent=18446744073709551616\n",
	"Id=a.service\nMemoryCurrent=infinity\n",
	"Id=a.service\nMemoryCurrent=\n",
	"Id=a.service\nMemoryCurrent=12k\n",
	"Id=a.service\nActiveState=active\nActiveEnterTimestamp=@1795342502\n",
	"Id=a.service\nActiveState=activating\nInactiveExitTimestamp=Sun 2026-11-22 10:15:02.123456 UTC\n",
	"Id=a.service\nActiveState=deactivating\nActiveExitTimestamp=Sat 2024-02-29 23:59:60 GMT\n",
	"Id=a.service\nActiveState=reloading\nActiveEnterTimestamp=Mon 2026-11-23 02:33:56 CET\n",
	"Id=a.service\nActiveState=refreshing\nActiveEnterTimestamp=Thu 1970-01-01 00:00:00 UTC\n",
	"Id=a.service\nActiveState=failed\nInactiveEnterTimestamp=n/a\n",
	"Id=a.service\nActiveState=maintenance\nInactiveEnterTimestamp=[not set]\n",
	"Id=a.service\nExecMainStartTimestamp=Tue 2026-11-23 02:33:56 UTC\n",
	"Id=a.service\nExecMainStartTimestamp=Mon 2026-02-29 02:33:56 UTC\n",
	"Id=a.service\nExecMainStartTimestamp=Mon 2026-11-23 24:00:00 UTC\n",
	"Id=a.service\nExecMainStartTimestamp=Mon 2026-11-23 02:33:56\n",
	"Id=a.service\nExecMainStartTimestamp=Mon 2026-11-23 02:33:56 U/C\n",
	"Id=a.service\nExecMainStartTimestamp=Mon 2026-11-23 02:33:56. UTC\n",
	"Id=a.service\nExecMainStartTimestamp=@\n",
	"Id=a.service\nExecMainStartTimestamp=@9223372036854775808\n",
	"Id=a.service\nExecMainStartTimestamp=Mon 2026-11-23 02:33:56 Europe-Berlin-Summer-Time-That-Is-Too-Long\n",
	"Id=a.service\nActiveEnterTimestamp=\nActiveEnterTimestamp=\n",
	"Id=a.service\nLoadState=" FUZZ_X16("ab") "\n",
	"Id=a.service\nSubState=" FUZZ_X16("a") "\n",
	"Id=a.service\nSubState=" FUZZ_X16("a") FUZZ_X16("b") "\n",
	"Id=" FUZZ_X256("u") ".service\n",
	"Id=" FUZZ_X64("unit") ".service\n",
	"Id=a.service\nDescription=" FUZZ_X256("\xc3\xa9") "\n",
	"Id=a.service\nDescription=" FUZZ_X256("x\xe2\x82\xac") "\n",
	"Id=a.service\nLoadError=" FUZZ_X64("\xf0\x9f\x98\x80") "\n",
	"Id=a.service\nDescription=tab\there \xff bytes\n",
	NULL,
};

#define NKEYS 16
#define QUOTE_LEN 96	/* the parser quotes a line into this many bytes */

/* The keys the header's SYSTEMD_SHOW_PROPERTIES names, in its order. */
static const char *const keys[NKEYS] = {
	"Id", "Description", "LoadState", "LoadError", "ActiveState", "SubState", "UnitFileState", "Type",
	"Result", "MainPID", "MemoryCurrent", "ExecMainStartTimestamp", "InactiveExitTimestamp",
	"ActiveEnterTimestamp", "ActiveExitTimestamp", "InactiveEnterTimestamp",
};

enum { K_ID, K_DESC, K_LOAD, K_LOADERR, K_ACTIVE, K_SUB, K_FILE, K_TYPE, K_RESULT, K_PID, K_MEM, K_T0 };

/* What the model predicts: 0, or the error code, its line and whether it is the missing Id. */
struct verdict {
	int code;
	unsigned line;
	bool no_id;
};

static int key_index(const char *k, size_t n)
{
	int i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i]) == n && memcmp(keys[i], k, n) == 0)
			return i;
	return -1;
}

static bool is_digits(const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return n > 0;
}

/* Digits V (N) no greater than the decimal MAX, leading zeros allowed. */
static bool digits_at_most(const char *v, size_t n, const char *max)
{
	size_t m = strlen(max);

	if (!is_digits(v, n))
		return false;
	while (n > 1 && v[0] == '0')
		v++, n--;
	return n < m || (n == m && memcmp(v, max, m) <= 0);
}

static bool eq(const char *v, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(v, s, n) == 0;
}

static bool unset_time(const char *v, size_t n)
{
	return n == 0 || eq(v, n, "n/a") || eq(v, n, "[not set]");
}

/* N decimal digits at V that were checked to fit. */
static uint64_t dec(const char *v, size_t n)
{
	uint64_t x = 0;

	while (n--)
		x = x * 10 + (uint64_t)(*v++ - '0');
	return x;
}

static int num(const char *v, size_t n)
{
	int x = 0;

	while (n--)
		x = x * 10 + (*v++ - '0');
	return x;
}

/*
 * The model's timestamp rules, from the header and systemd's format: "@SECONDS" or
 * "Www YYYY-MM-DD HH:MM:SS[.f+] ZONE" with a real date and its weekday; the calendar
 * comes from libc (timegm/gmtime_r), not the parser's own arithmetic.
 */
static bool stamp_ok(const char *v, size_t n, int64_t *epoch)
{
	static const char wd[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const int dig[] = { 4, 5, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22 };
	struct tm tm = { 0 }, g;
	size_t i;
	time_t t;
	int y, mo, d, h, mi, s;

	if (n > 1 && v[0] == '@') {
		if (!digits_at_most(v + 1, n - 1, "9223372036854775807"))
			return false;
		*epoch = (int64_t)dec(v + 1, n - 1);
		return true;
	}
	if (n < 23 || v[3] != ' ' || v[8] != '-' || v[11] != '-' || v[14] != ' ' || v[17] != ':' || v[20] != ':')
		return false;
	for (i = 0; i < sizeof(dig) / sizeof(dig[0]); i++)
		if (v[dig[i]] < '0' || v[dig[i]] > '9')
			return false;
	i = 23;
	if (i < n && v[i] == '.') {
		if (++i >= n || v[i] < '0' || v[i] > '9')
			return false;
		while (i < n && v[i] >= '0' && v[i] <= '9')
			i++;
	}
	if (i + 1 >= n || v[i] != ' ')
		return false;
	for (i++; i < n; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') ||
		      v[i] == '+' || v[i] == '-'))
			return false;
	y = num(v + 4, 4), mo = num(v + 9, 2), d = num(v + 12, 2);
	h = num(v + 15, 2), mi = num(v + 18, 2), s = num(v + 21, 2);
	if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	if (!gmtime_r(&t, &g) || g.tm_mday != d || g.tm_mon != mo - 1 || memcmp(v, wd[g.tm_wday], 3) != 0)
		return false;
	for (i = n; v[i - 1] != ' '; i--)
		;
	if ((eq(v + i, n - i, "UTC") || eq(v + i, n - i, "GMT")) && t >= 0)
		*epoch = (int64_t)t + h * 3600 + mi * 60 + s;
	else
		*epoch = -1;
	return true;
}

/* The model's verdict on one known key's value: 0, ERR_INVALID or ERR_LIMIT. */
static int value_ok(int k, const char *v, size_t n)
{
	int64_t e;

	switch (k) {
	case K_ID:
		return n == 0 ? ERR_INVALID : n > SD_NAME_MAX ? ERR_LIMIT : 0;
	case K_DESC:
	case K_LOADERR:
		return 0;
	case K_PID:
		return digits_at_most(v, n, "2147483647") ? 0 : ERR_INVALID;
	case K_MEM:
		if (n == 0 || eq(v, n, "[not set]") || eq(v, n, "infinity"))
			return 0;
		return digits_at_most(v, n, "18446744073709551615") ? 0 : ERR_INVALID;
	default:
		if (k >= K_T0)
			return unset_time(v, n) || (n < SD_TIME_MAX && stamp_ok(v, n, &e)) ? 0 : ERR_INVALID;
		return n >= SD_STATE_MAX ? ERR_LIMIT : 0;	/* the states, Type and Result */
	}
}

/* One line of the input: its number, text, and for KEY=VALUE lines the key's index. */
struct mline {
	unsigned no;
	const char *p, *v;
	size_t n, vn;
};

static bool next_line(const char **p, const char *end, struct mline *l)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	l->no++;
	l->p = *p;
	l->n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p = nl ? nl + 1 : end;
	return true;
}

/* Run the model over the input: what systemd_show_parse must return, and where. */
static struct verdict model(const char *s, size_t len)
{
	struct verdict res = { 0 };
	struct mline l = { 0 };
	const char *p = s, *eqp;
	unsigned start = 0;
	bool open = false, has_id = false;
	uint32_t seen = 0;
	size_t i;
	int k, r;

	while (next_line(&p, s + len, &l)) {
		if (l.n == 0) {
			if (open && !has_id)
				return (struct verdict){ ERR_INVALID, start, true };
			open = false;
			continue;
		}
		res.line = l.no;
		res.code = ERR_INVALID;
		if (memchr(l.p, '\0', l.n) || !(eqp = memchr(l.p, '=', l.n)) || eqp == l.p)
			return res;
		for (i = 0; l.p + i < eqp; i++)
			if (!((l.p[i] >= 'A' && l.p[i] <= 'Z') || (l.p[i] >= 'a' && l.p[i] <= 'z') ||
			      (l.p[i] >= '0' && l.p[i] <= '9')))
				return res;
		if (!open) {
			open = true;
			has_id = false;
			seen = 0;
			start = l.no;
		}
		if ((k = key_index(l.p, (size_t)(eqp - l.p))) < 0)
			continue;
		if (seen & (1u << k))
			return res;
		seen |= 1u << k;
		if ((r = value_ok(k, eqp + 1, (size_t)(l.p + l.n - eqp - 1))) != 0) {
			res.code = r;
			return res;
		}
		has_id |= k == K_ID;
	}
	if (open && !has_id)
		return (struct verdict){ ERR_INVALID, start, true };
	return (struct verdict){ 0 };
}

static char *str_field(struct sd_unit *u, int k, size_t *cap)
{
	switch (k) {
	case K_ID: *cap = sizeof(u->id); return u->id;
	case K_DESC: *cap = sizeof(u->description); return u->description;
	case K_LOAD: *cap = sizeof(u->load_state); return u->load_state;
	case K_LOADERR: *cap = sizeof(u->load_error); return u->load_error;
	case K_ACTIVE: *cap = sizeof(u->active_state); return u->active_state;
	case K_SUB: *cap = sizeof(u->sub_state); return u->sub_state;
	case K_FILE: *cap = sizeof(u->unit_file_state); return u->unit_file_state;
	case K_TYPE: *cap = sizeof(u->type); return u->type;
	case K_RESULT: *cap = sizeof(u->result); return u->result;
	default: return NULL;
	}
}

static struct sd_time *time_field(struct sd_unit *u, int k)
{
	struct sd_time *t[] = { &u->exec_main_start, &u->inactive_exit, &u->active_enter, &u->active_exit,
				&u->inactive_enter };

	return k >= K_T0 && k < NKEYS ? t[k - K_T0] : NULL;
}

static void check_time(const struct sd_time *t, const char *what)
{
	FUZZ_CHECK(strnlen(t->text, sizeof(t->text)) < sizeof(t->text), "%s: text not NUL-terminated", what);
	if (!t->set)
		FUZZ_CHECK(t->text[0] == '\0' && t->epoch == -1, "%s: not set but text '%s', epoch %lld", what,
			   t->text, (long long)t->epoch);
	else
		FUZZ_CHECK(t->text[0] != '\0', "%s: set with an empty text", what);
}

/* One KEY=VALUE line (known key K) against what the parser made of it in U. */
static void check_value(struct sd_unit *u, int k, const char *v, size_t n, unsigned no)
{
	struct sd_time *t = time_field(u, k);
	size_t cap, m, i;
	char *f = str_field(u, k, &cap);
	int64_t e;

	if (f) {
		m = strnlen(f, cap);
		FUZZ_CHECK(m < cap, "line %u: %s not NUL-terminated", no, keys[k]);
		if (k == K_DESC || k == K_LOADERR) {
			/* cut only when too long, just before a byte that starts a character */
			FUZZ_CHECK(m <= n && memcmp(f, v, m) == 0, "line %u: %s '%s' is not a prefix of the value", no,
				   keys[k], f);
			if (m < n) {
				FUZZ_CHECK(n >= cap && ((unsigned char)v[m] & 0xc0) != 0x80,
					   "line %u: %s cut at %zu of %zu, not on a character boundary", no, keys[k], m, n);
				for (i = m + 1; i < cap; i++)
					FUZZ_CHECK(((unsigned char)v[i] & 0xc0) == 0x80,
						   "line %u: %s cut at %zu, before the last boundary %zu", no, keys[k], m, i);
			}
		} else {
			FUZZ_CHECK(m == n && memcmp(f, v, n) == 0, "line %u: %s is '%s'", no, keys[k], f);
		}
	} else if (k == K_PID) {
		FUZZ_CHECK(u->main_pid == dec(v, n), "line %u: MainPID %u", no, u->main_pid);
	} else if (k == K_MEM) {
		uint64_t x = is_digits(v, n) ? dec(v, n) : 0;
		bool known = is_digits(v, n) && x != UINT64_MAX;

		FUZZ_CHECK(u->memory_known == known && u->memory == (known ? x : 0),
			   "line %u: MemoryCurrent gave known %d, %llu", no, u->memory_known,
			   (unsigned long long)u->memory);
	} else if (t) {
		check_time(t, keys[k]);
		if (unset_time(v, n)) {
			FUZZ_CHECK(!t->set, "line %u: %s set from an empty value", no, keys[k]);
		} else {
			FUZZ_CHECK(stamp_ok(v, n, &e), "line %u: model refuses the stamp", no);
			FUZZ_CHECK(t->set && strlen(t->text) == n && memcmp(t->text, v, n) == 0,
				   "line %u: %s text '%s'", no, keys[k], t->text);
			FUZZ_CHECK(t->epoch == e, "line %u: %s epoch %lld, expected %lld", no, keys[k],
				   (long long)t->epoch, (long long)e);
		}
	}
}

/* A key the unit's block did not have keeps its empty value. */
static void check_absent(struct sd_unit *u, int k)
{
	struct sd_time *t = time_field(u, k);
	size_t cap;
	char *f = str_field(u, k, &cap);

	if (f)
		FUZZ_CHECK(f[0] == '\0', "%s '%s' without its key", keys[k], f);
	else if (k == K_PID)
		FUZZ_CHECK(u->main_pid == 0, "MainPID %u without its key", u->main_pid);
	else if (k == K_MEM)
		FUZZ_CHECK(!u->memory_known && u->memory == 0, "MemoryCurrent known without its key");
	else if (t)
		FUZZ_CHECK(!t->set && t->text[0] == '\0' && t->epoch == -1, "%s set without its key", keys[k]);
}

/* since: the stamp `systemctl status` shows for the unit's active state. */
static void check_since(struct sd_unit *u)
{
	const char *a = u->active_state;
	const struct sd_time *want = NULL;

	check_time(&u->since, "since");
	if (!strcmp(a, "active") || !strcmp(a, "reloading") || !strcmp(a, "refreshing"))
		want = &u->active_enter;
	else if (!strcmp(a, "inactive") || !strcmp(a, "failed"))
		want = &u->inactive_enter;
	else if (!strcmp(a, "activating"))
		want = &u->inactive_exit;
	else if (!strcmp(a, "deactivating"))
		want = &u->active_exit;
	if (!want)
		FUZZ_CHECK(!u->since.set && u->since.epoch == -1, "since set for active state '%s'", a);
	else
		FUZZ_CHECK(u->since.set == want->set && u->since.epoch == want->epoch &&
			   strcmp(u->since.text, want->text) == 0,
			   "since '%s' is not the stamp for active state '%s'", u->since.text, a);
}

/* Walk the blocks again and hold every unit against its lines. */
static void check_units(const char *s, size_t len, struct sd_unit_list *l)
{
	struct mline ln = { 0 };
	const char *p = s, *eqp;
	struct sd_unit *u = NULL;
	uint32_t seen = 0;
	size_t nu = 0;
	int k;

	for (;;) {
		bool more = next_line(&p, s + len, &ln);

		if ((!more || ln.n == 0) && u) {
			for (k = 0; k < NKEYS; k++)
				if (!(seen & (1u << k)))
					check_absent(u, k);
			FUZZ_CHECK(u->id[0] != '\0', "unit %zu has an empty Id", nu - 1);
			FUZZ_CHECK(systemd_unit_missing(u) == (strcmp(u->load_state, "not-found") == 0),
				   "systemd_unit_missing disagrees with LoadState '%s'", u->load_state);
			check_since(u);
			u = NULL;
		}
		if (!more)
			break;
		if (ln.n == 0)
			continue;
		if (!u) {
			FUZZ_CHECK(nu < l->n, "%zu units parsed, the input has more blocks", l->n);
			u = &l->items[nu++];
			seen = 0;
		}
		eqp = memchr(ln.p, '=', ln.n);
		FUZZ_CHECK(eqp != NULL, "line %u has no '=' but parsed", ln.no);
		if ((k = key_index(ln.p, (size_t)(eqp - ln.p))) < 0)
			continue;
		seen |= 1u << k;
		check_value(u, k, eqp + 1, (size_t)(ln.p + ln.n - eqp - 1), ln.no);
	}
	FUZZ_CHECK(nu == l->n, "%zu units parsed from %zu blocks", l->n, nu);
	FUZZ_CHECK((l->n == 0) == (l->items == NULL), "%zu units with items %p", l->n, (void *)l->items);
}

/* The message names line V.line and, for a bad line, quotes it as the parser does. */
static void check_message(const char *s, size_t len, struct verdict v)
{
	struct mline ln = { 0 };
	const char *p = s;
	char q[QUOTE_LEN], want[QUOTE_LEN + 64];

	if (v.no_id) {
		snprintf(want, sizeof(want), "systemctl show line %u: the unit starting here has no Id", v.line);
	} else {
		while (next_line(&p, s + len, &ln) && ln.no < v.line)
			;
		FUZZ_CHECK(ln.no == v.line, "the input has no line %u", v.line);
		err_quote(q, sizeof(q), ln.p, ln.n);
		snprintf(want, sizeof(want), "systemctl show line %u '%s': ", v.line, q);
	}
	FUZZ_CHECK(strncmp(err_msg(), want, strlen(want)) == 0, "message \"%s\" does not start \"%s\"", err_msg(),
		   want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sd_unit_list l = { (struct sd_unit *)&l, 99 };
	struct verdict v = model(s, size);
	int r;

	fuzz_begin(data, size);
	fuzz_err_mark();
	r = systemd_show_parse(s, size, &l);
	FUZZ_CHECK(r == v.code, "systemd_show_parse returned %d (%s), the model expects %d at line %u", r,
		   err_str(r), v.code, v.line);
	if (r < 0) {
		FUZZ_CHECK(l.items == NULL && l.n == 0, "failed parse left %zu units", l.n);
		fuzz_check_failure("systemd_show_parse", r, true);
		check_message(s, size, v);
		return 0;
	}
	check_units(s, size, &l);
	systemd_show_release(&l);
	FUZZ_CHECK(l.items == NULL && l.n == 0, "systemd_show_release left %zu units", l.n);
	return 0;
}
