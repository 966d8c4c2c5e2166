/* systemctl show output (KEY=VALUE lines, units separated by blank lines): bytes in, unit states out. */
#include "formats/systemd_show.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* The keys read; each may appear once in a unit. */
enum sd_key {
	K_ID,
	K_DESCRIPTION,
	K_LOAD_STATE,
	K_LOAD_ERROR,
	K_ACTIVE_STATE,
	K_SUB_STATE,
	K_UNIT_FILE_STATE,
	K_TYPE,
	K_RESULT,
	K_MAIN_PID,
	K_MEMORY_CURRENT,
	K_EXEC_MAIN_START,
	K_INACTIVE_EXIT,
	K_ACTIVE_ENTER,
	K_ACTIVE_EXIT,
	K_INACTIVE_ENTER,
	K_COUNT,
};

static const char *const key_names[K_COUNT] = {
	[K_ID] = "Id",
	[K_DESCRIPTION] = "Description",
	[K_LOAD_STATE] = "LoadState",
	[K_LOAD_ERROR] = "LoadError",
	[K_ACTIVE_STATE] = "ActiveState",
	[K_SUB_STATE] = "SubState",
	[K_UNIT_FILE_STATE] = "UnitFileState",
	[K_TYPE] = "Type",
	[K_RESULT] = "Result",
	[K_MAIN_PID] = "MainPID",
	[K_MEMORY_CURRENT] = "MemoryCurrent",
	[K_EXEC_MAIN_START] = "ExecMainStartTimestamp",
	[K_INACTIVE_EXIT] = "InactiveExitTimestamp",
	[K_ACTIVE_ENTER] = "ActiveEnterTimestamp",
	[K_ACTIVE_EXIT] = "ActiveExitTimestamp",
	[K_INACTIVE_ENTER] = "InactiveEnterTimestamp",
};

/* Copy N bytes at V into DST (CAP bytes). With CUT, cut long text on a UTF-8 boundary; else ERR_LIMIT. */
static int copy_value(const struct err_line *ln, const char *key, char *dst, size_t cap, const char *v, size_t n,
		      bool cut)
{
	char what[96];

	if (n >= cap) {
		if (!cut) {
			snprintf(what, sizeof(what), "%s longer than %zu bytes", key, cap - 1);
			return err_bad_line(ln, ERR_LIMIT, what);
		}
		n = cap - 1;
		while (n > 0 && ((unsigned char)v[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* Parse N decimal digits at V into *OUT. Returns 0, or -1 when not digits or past MAX. */
static int parse_u64(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned char)v[i] - '0';

		if (d > 9 || x > (max - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

static bool is_value(const char *v, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(v, s, n) == 0;
}

/* Days from 1970-01-01 to Y-M-D in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Read exactly N digits at *P into *OUT and move past them. */
static bool digits(const char **p, const char *end, int n, int *out)
{
	int x = 0;

	if (end - *p < n)
		return false;
	for (; n > 0; n--, (*p)++) {
		if (**p < '0' || **p > '9')
			return false;
		x = x * 10 + (**p - '0');
	}
	*out = x;
	return true;
}

static bool lit(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

/*
 * "Www YYYY-MM-DD HH:MM:SS[.ffffff] ZONE" as systemd's pretty timestamps print it (C
 * locale), or "@SECONDS". EPOCH is set when ZONE is UTC or GMT, else -1. Returns false
 * when V is neither form, or the date or weekday is impossible.
 */
static bool parse_stamp(const char *v, size_t n, int64_t *epoch)
{
	static const char wdays[7][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };	/* from 1970-01-01 */
	const char *p = v, *end = v + n, *zone;
	int y, mo, d, h, mi, s, frac;
	int64_t days;
	uint64_t secs;

	if (n > 1 && v[0] == '@') {
		if (parse_u64(v + 1, n - 1, INT64_MAX, &secs) < 0)
			return false;
		*epoch = (int64_t)secs;
		return true;
	}
	if (n < 4 || v[3] != ' ')
		return false;
	p += 4;
	if (!digits(&p, end, 4, &y) || !lit(&p, end, '-') || !digits(&p, end, 2, &mo) || !lit(&p, end, '-') ||
	    !digits(&p, end, 2, &d) || !lit(&p, end, ' ') || !digits(&p, end, 2, &h) || !lit(&p, end, ':') ||
	    !digits(&p, end, 2, &mi) || !lit(&p, end, ':') || !digits(&p, end, 2, &s))
		return false;
	if (lit(&p, end, '.')) {
		if (!digits(&p, end, 1, &frac))
			return false;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
		return false;
	if (!lit(&p, end, ' ') || p == end)
		return false;
	for (zone = p; p < end; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' ||
		      *p == '-'))
			return false;
	}
	days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	if (memcmp(v, wdays[((days % 7) + 7) % 7], 3) != 0)
		return false;
	/* Unknown (-1) in another zone, and before 1970, which systemd never prints. */
	if ((is_value(zone, (size_t)(end - zone), "UTC") || is_value(zone, (size_t)(end - zone), "GMT")) && days >= 0)
		*epoch = days * 86400 + h * 3600 + mi * 60 + s;
	else
		*epoch = -1;
	return true;
}

static int parse_time(const struct err_line *ln, const char *key, const char *v, size_t n, struct sd_time *t)
{
	char what[96];

	memset(t, 0, sizeof(*t));
	t->epoch = -1;
	if (n == 0 || is_value(v, n, "n/a") || is_value(v, n, "[not set]"))
		return 0;
	if (n >= sizeof(t->text) || !parse_stamp(v, n, &t->epoch)) {
		snprintf(what, sizeof(what), "%s is not a timestamp (Www YYYY-MM-DD HH:MM:SS ZONE)", key);
		return err_bad_line(ln, ERR_INVALID, what);
	}
	memcpy(t->text, v, n);
	t->text[n] = '\0';
	t->set = true;
	return 0;
}

static int set_key(struct sd_unit *u, enum sd_key k, const struct err_line *ln, const char *v, size_t n)
{
	const char *key = key_names[k];
	uint64_t x;
	char what[96];

	switch (k) {
	case K_ID:
		if (n == 0)
			return err_bad_line(ln, ERR_INVALID, "empty Id");
		return copy_value(ln, key, u->id, sizeof(u->id), v, n, false);
	case K_DESCRIPTION: return copy_value(ln, key, u->description, sizeof(u->description), v, n, true);
	case K_LOAD_ERROR: return copy_value(ln, key, u->load_error, sizeof(u->load_error), v, n, true);
	case K_LOAD_STATE: return copy_value(ln, key, u->load_state, sizeof(u->load_state), v, n, false);
	case K_ACTIVE_STATE: return copy_value(ln, key, u->active_state, sizeof(u->active_state), v, n, false);
	case K_SUB_STATE: return copy_value(ln, key, u->sub_state, sizeof(u->sub_state), v, n, false);
	case K_UNIT_FILE_STATE:
		return copy_value(ln, key, u->unit_file_state, sizeof(u->unit_file_state), v, n, false);
	case K_TYPE: return copy_value(ln, key, u->type, sizeof(u->type), v, n, false);
	case K_RESULT: return copy_value(ln, key, u->result, sizeof(u->result), v, n, false);
	case K_MAIN_PID:
		if (parse_u64(v, n, INT32_MAX, &x) < 0)
			return err_bad_line(ln, ERR_INVALID, "MainPID is not a process id (a number up to 2147483647)");
		u->main_pid = (uint32_t)x;
		return 0;
	case K_MEMORY_CURRENT:
		if (n == 0 || is_value(v, n, "[not set]") || is_value(v, n, "infinity"))
			return 0;
		if (parse_u64(v, n, UINT64_MAX, &x) < 0) {
			snprintf(what, sizeof(what), "%s is not a byte count", key);
			return err_bad_line(ln, ERR_INVALID, what);
		}
		/* 2^64-1 is systemd's "no value": accounting off or the unit not running. */
		u->memory_known = x != UINT64_MAX;
		u->memory = u->memory_known ? x : 0;
		return 0;
	case K_EXEC_MAIN_START: return parse_time(ln, key, v, n, &u->exec_main_start);
	case K_INACTIVE_EXIT: return parse_time(ln, key, v, n, &u->inactive_exit);
	case K_ACTIVE_ENTER: return parse_time(ln, key, v, n, &u->active_enter);
	case K_ACTIVE_EXIT: return parse_time(ln, key, v, n, &u->active_exit);
	case K_INACTIVE_ENTER: return parse_time(ln, key, v, n, &u->inactive_enter);
	case K_COUNT: break;
	}
	return 0;
}

/* Choose since as `systemctl status` does for the unit's active state. */
static void pick_since(struct sd_unit *u)
{
	const char *a = u->active_state;
	const struct sd_time *t = NULL;

	if (!strcmp(a, "active") || !strcmp(a, "reloading") || !strcmp(a, "refreshing"))
		t = &u->active_enter;
	else if (!strcmp(a, "inactive") || !strcmp(a, "failed"))
		t = &u->inactive_enter;
	else if (!strcmp(a, "activating"))
		t = &u->inactive_exit;
	else if (!strcmp(a, "deactivating"))
		t = &u->active_exit;
	if (t)
		u->since = *t;
	else
		u->since = (struct sd_time){ .epoch = -1 };
}

/* Append a fresh unit to L (CAP its room). */
static int add_unit(struct sd_unit_list *l, size_t *cap, struct sd_unit **out)
{
	struct sd_unit *u;

	if (l->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		if (!(u = realloc(l->items, ncap * sizeof(*u))))
			return err_set(ERR_NOMEM, "out of memory");
		l->items = u;
		*cap = ncap;
	}
	u = &l->items[l->n++];
	memset(u, 0, sizeof(*u));
	u->exec_main_start.epoch = u->inactive_exit.epoch = u->active_enter.epoch = -1;
	u->active_exit.epoch = u->inactive_enter.epoch = u->since.epoch = -1;
	*out = u;
	return 0;
}

/* Close the open unit U, which started at line START. */
static int end_unit(struct sd_unit *u, unsigned start)
{
	if (!u->id[0])
		return err_set(ERR_INVALID, "systemctl show line %u: the unit starting here has no Id", start);
	pick_since(u);
	return 0;
}

int systemd_show_parse(const char *data, size_t len, struct sd_unit_list *out)
{
	const char *p = data, *end = data + len, *nl, *eq;
	struct sd_unit *u = NULL;
	struct err_line ln = { .input = "systemctl show", .quote = 96 };
	unsigned start = 0;
	uint32_t seen = 0;
	size_t cap = 0, klen;
	int k, r = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		ln.num++;
		ln.text = p;
		ln.len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl ? nl + 1 : end;
		if (ln.len == 0) {
			if (u && (r = end_unit(u, start)) < 0)
				goto out;
			u = NULL;
			continue;
		}
		if (memchr(ln.text, '\0', ln.len)) {
			r = err_bad_line(&ln, ERR_INVALID, "a NUL byte");
			goto out;
		}
		if (!(eq = memchr(ln.text, '=', ln.len))) {
			r = err_bad_line(&ln, ERR_INVALID, "expected KEY=VALUE");
			goto out;
		}
		klen = (size_t)(eq - ln.text);
		for (k = 0; k < (int)klen; k++) {
			char c = ln.text[k];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
				break;
		}
		if (klen == 0 || k < (int)klen) {
			r = err_bad_line(&ln, ERR_INVALID, "expected KEY=VALUE with KEY made of letters and digits");
			goto out;
		}
		if (!u) {
			if ((r = add_unit(out, &cap, &u)) < 0)
				goto out;
			start = ln.num;
			seen = 0;
		}
		for (k = 0; k < K_COUNT; k++) {
			if (strlen(key_names[k]) == klen && memcmp(key_names[k], ln.text, klen) == 0)
				break;
		}
		if (k == K_COUNT)
			continue;	/* a property this parser does not read */
		if (seen & (1u << k)) {
			char what[64];

			snprintf(what, sizeof(what), "%s given twice for one unit", key_names[k]);
			r = err_bad_line(&ln, ERR_INVALID, what);
			goto out;
		}
		seen |= 1u << k;
		if ((r = set_key(u, (enum sd_key)k, &ln, eq + 1, (size_t)(ln.text + ln.len - eq - 1))) < 0)
			goto out;
	}
	if (u)
		r = end_unit(u, start);
out:
	if (r < 0)
		systemd_show_release(out);
	return r;
}

void systemd_show_release(struct sd_unit_list *l)
{
	free(l->items);
	memset(l, 0, sizeof(*l));
}

bool systemd_unit_missing(const struct sd_unit *u)
{
	return strcmp(u->load_state, "not-found") == 0;
}
