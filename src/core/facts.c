/* Facts about a node: the line format the facts script prints, and its pure parser. */
#include "core/facts.h"
#include "core/profile.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* Keys that may appear once; a bit each in the parser's "seen" mask. */
enum facts_key {
	K_HOSTNAME, K_OS_ID, K_OS_VERSION, K_KERNEL, K_ARCH, K_CPUS, K_MEM_TOTAL, K_MEM_AVAILABLE,
	K_UPTIME, K_LOAD, K_NIX, K_PROFILE, K_PROFILE_LINK, K_PROFILE_TARGET,
	K_ONCE_COUNT,
	K_DISK = K_ONCE_COUNT, K_SESSION, K_END, K_UNKNOWN,
};

static const char *const key_names[] = {
	"hostname", "os_id", "os_version", "kernel", "arch", "cpus", "mem_total", "mem_available",
	"uptime", "load", "nix", "profile", "profile_link", "profile_target",
	"disk", "session", "end",
};

void facts_init(struct facts *f)
{
	memset(f, 0, sizeof(*f));
	f->cpus = -1;
	f->mem_total = -1;
	f->mem_available = -1;
	f->uptime = -1;
}

void facts_release(struct facts *f)
{
	size_t i;

	for (i = 0; i < f->nsessions; i++)
		free(f->sessions[i]);
	free(f->sessions);
	facts_init(f);
}

static enum facts_key key_of(const char *k, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (strlen(key_names[i]) == n && memcmp(key_names[i], k, n) == 0)
			return (enum facts_key)i;
	return K_UNKNOWN;
}

static int set_text(const struct err_line *l, char *dst, size_t cap, const char *v, size_t n)
{
	size_t i;

	if (n >= cap)
		return err_bad_line(l, ERR_LIMIT, "value too long");
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return err_bad_line(l, ERR_INVALID, "control character in the value");
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* N bytes of S as a decimal number of at most 15 digits (so scaling by 1024 cannot overflow). */
static int parse_uint(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 15)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "D+" or "D+.D+" into *OUT, and its whole part into *WHOLE. */
static int parse_decimal(const char *s, size_t n, double *out, int64_t *whole)
{
	const char *dot = memchr(s, '.', n);
	size_t wn = dot ? (size_t)(dot - s) : n, i;
	double frac = 0, scale = 1;
	int64_t w;

	if (parse_uint(s, wn, &w) < 0)
		return -1;
	if (dot) {
		if (wn + 1 == n)
			return -1;
		for (i = wn + 1; i < n; i++) {
			if (s[i] < '0' || s[i] > '9' || i - wn > 9)
				return -1;
			scale /= 10;
			frac += (s[i] - '0') * scale;
		}
	}
	*out = (double)w + frac;
	if (whole)
		*whole = w;
	return 0;
}

/* Split off the next space-separated word of *S (N bytes left in *N). */
static int next_word(const char **s, size_t *n, const char **w, size_t *wn)
{
	while (*n && **s == ' ') {
		(*s)++;
		(*n)--;
	}
	if (*n == 0)
		return -1;
	*w = *s;
	while (*n && **s != ' ') {
		(*s)++;
		(*n)--;
	}
	*wn = (size_t)(*s - *w);
	return 0;
}

static int parse_kb(const struct err_line *l, const char *v, size_t n, int64_t *bytes)
{
	const char *w, *u;
	size_t wn, un;
	int64_t kb;

	if (next_word(&v, &n, &w, &wn) < 0 || parse_uint(w, wn, &kb) < 0)
		return err_bad_line(l, ERR_INVALID, "expected a size as /proc/meminfo gives it ('N kB')");
	if (next_word(&v, &n, &u, &un) == 0 && !(un == 2 && memcmp(u, "kB", 2) == 0))
		return err_bad_line(l, ERR_INVALID, "expected a size as /proc/meminfo gives it ('N kB')");
	if (next_word(&v, &n, &u, &un) == 0)
		return err_bad_line(l, ERR_INVALID, "expected a size as /proc/meminfo gives it ('N kB')");
	*bytes = kb * 1024;
	return 0;
}

/* os-release values may be quoted, and double quotes may hold \-escapes. */
static int set_os_value(const struct err_line *l, char *dst, const char *v, size_t n)
{
	char tmp[FACTS_TEXT_MAX];
	size_t i, o = 0;

	if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'')
		return set_text(l, dst, FACTS_TEXT_MAX, v + 1, n - 2);
	if (!(n >= 2 && v[0] == '"' && v[n - 1] == '"'))
		return set_text(l, dst, FACTS_TEXT_MAX, v, n);
	for (i = 1; i + 1 < n; i++) {
		if (v[i] == '\\' && i + 2 < n)
			i++;
		if (o + 1 >= sizeof(tmp))
			return err_bad_line(l, ERR_LIMIT, "value too long");
		tmp[o++] = v[i];
	}
	return set_text(l, dst, FACTS_TEXT_MAX, tmp, o);
}

static int parse_disk(const struct err_line *l, struct facts *f, const char *v, size_t n)
{
	struct facts_disk *d;
	const char *w[4];
	size_t wn[4], i;
	int64_t kb[3];
	int r;

	if (f->ndisks == FACTS_DISKS_MAX)
		return err_bad_line(l, ERR_LIMIT, "more disks than chimera keeps");
	for (i = 0; i < 4; i++)
		if (next_word(&v, &n, &w[i], &wn[i]) < 0)
			return err_bad_line(l, ERR_INVALID, "expected 'disk=PATH SIZE USED AVAIL' (KiB)");
	while (n && *v == ' ')
		v++, n--;
	if (n || w[0][0] != '/')
		return err_bad_line(l, ERR_INVALID, "expected 'disk=PATH SIZE USED AVAIL' (KiB)");
	for (i = 0; i < 3; i++)
		if (parse_uint(w[i + 1], wn[i + 1], &kb[i]) < 0)
			return err_bad_line(l, ERR_INVALID, "expected 'disk=PATH SIZE USED AVAIL' (KiB)");
	for (i = 0; i < f->ndisks; i++)
		if (strlen(f->disks[i].path) == wn[0] && memcmp(f->disks[i].path, w[0], wn[0]) == 0)
			return err_bad_line(l, ERR_INVALID, "that disk is given twice");
	d = &f->disks[f->ndisks];
	if ((r = set_text(l, d->path, sizeof(d->path), w[0], wn[0])) < 0)
		return r;
	d->size = kb[0] * 1024;
	d->used = kb[1] * 1024;
	d->avail = kb[2] * 1024;
	f->ndisks++;
	return 0;
}

/* "nix-store (Nix) 2.8.0": the word after "(Nix)", else the last word. */
static int parse_nix(const struct err_line *l, struct facts *f, const char *v, size_t n)
{
	const char *w, *last = NULL;
	size_t wn, lastn = 0;
	int after_nix = 0;

	while (next_word(&v, &n, &w, &wn) == 0) {
		if (after_nix) {
			last = w;
			lastn = wn;
			break;
		}
		after_nix = wn == 5 && memcmp(w, "(Nix)", 5) == 0;
		last = w;
		lastn = wn;
	}
	if (!last)
		return 0;	/* empty: no Nix */
	if (lastn == 0 || last[0] < '0' || last[0] > '9')
		return err_bad_line(l, ERR_INVALID, "expected `nix-store --version` output ('nix-store (Nix) 2.8.0')");
	return set_text(l, f->nix_version, sizeof(f->nix_version), last, lastn);
}

static int parse_load(const struct err_line *l, struct facts *f, const char *v, size_t n)
{
	const char *w;
	size_t wn;
	int i;

	for (i = 0; i < 3; i++)
		if (next_word(&v, &n, &w, &wn) < 0 || parse_decimal(w, wn, &f->load[i], NULL) < 0)
			return err_bad_line(l, ERR_INVALID, "expected three load averages ('0.15 0.10 0.05')");
	if (next_word(&v, &n, &w, &wn) == 0)
		return err_bad_line(l, ERR_INVALID, "expected three load averages ('0.15 0.10 0.05')");
	f->has_load = true;
	return 0;
}

static int add_session(const struct err_line *l, struct facts *f, const char *v, size_t n)
{
	char **grown, *s;
	char tmp[FACTS_TEXT_MAX];
	int r;

	if (n == 0)
		return err_bad_line(l, ERR_INVALID, "expected a tmux session name");
	if ((r = set_text(l, tmp, sizeof(tmp), v, n)) < 0)
		return r;
	if (f->nsessions == FACTS_SESSIONS_MAX)
		return err_bad_line(l, ERR_LIMIT, "more tmux sessions than chimera keeps");
	if (!(grown = realloc(f->sessions, (f->nsessions + 1) * sizeof(*grown))))
		return err_set(ERR_NOMEM, "out of memory");
	f->sessions = grown;
	if (!(s = strdup(tmp)))
		return err_set(ERR_NOMEM, "out of memory");
	f->sessions[f->nsessions++] = s;
	return 0;
}

/* Take one "key=value" line (after the header, before the end). Returns 1 at end=1. */
static int take(const struct err_line *l, struct facts *f, unsigned *seen)
{
	const char *eq = memchr(l->text, '=', l->len), *v;
	enum facts_key k;
	size_t n;
	double d;
	int64_t whole;

	if (!eq || eq == l->text)
		return err_bad_line(l, ERR_INVALID, "expected key=value");
	v = eq + 1;
	n = l->len - (size_t)(v - l->text);
	k = key_of(l->text, (size_t)(eq - l->text));
	if (k < K_ONCE_COUNT) {
		if (*seen & (1u << k))
			return err_bad_line(l, ERR_INVALID, "this key is given twice");
		*seen |= 1u << k;
	}
	switch (k) {
	case K_HOSTNAME: return set_text(l, f->hostname, sizeof(f->hostname), v, n);
	case K_KERNEL: return set_text(l, f->kernel, sizeof(f->kernel), v, n);
	case K_ARCH: return set_text(l, f->arch, sizeof(f->arch), v, n);
	case K_OS_ID: return set_os_value(l, f->os_id, v, n);
	case K_OS_VERSION: return set_os_value(l, f->os_version, v, n);
	case K_CPUS:
		if (parse_uint(v, n, &f->cpus) < 0 || f->cpus < 1) {
			f->cpus = -1;
			return err_bad_line(l, ERR_INVALID, "expected a positive integer");
		}
		return 0;
	case K_MEM_TOTAL: return parse_kb(l, v, n, &f->mem_total);
	case K_MEM_AVAILABLE: return parse_kb(l, v, n, &f->mem_available);
	case K_UPTIME:
		if (parse_decimal(v, n, &d, &whole) < 0)
			return err_bad_line(l, ERR_INVALID, "expected seconds as /proc/uptime gives them ('1234.56')");
		f->uptime = whole;
		return 0;
	case K_LOAD: return parse_load(l, f, v, n);
	case K_DISK: return parse_disk(l, f, v, n);
	case K_NIX: return parse_nix(l, f, v, n);
	case K_PROFILE:
		if (n == 0 || v[0] != '/')
			return err_bad_line(l, ERR_INVALID, "expected an absolute profile path");
		return set_text(l, f->profile, sizeof(f->profile), v, n);
	case K_PROFILE_LINK: return set_text(l, f->profile_link, sizeof(f->profile_link), v, n);
	case K_PROFILE_TARGET:
		if (n && v[0] != '/')
			return err_bad_line(l, ERR_INVALID, "expected an absolute path");
		return set_text(l, f->profile_target, sizeof(f->profile_target), v, n);
	case K_SESSION: return add_session(l, f, v, n);
	case K_END:
		if (!(n == 1 && v[0] == '1'))
			return err_bad_line(l, ERR_INVALID, "expected 'end=1'");
		return 1;
	default: return 0;	/* a key of a later format */
	}
}

int facts_parse(const char *text, size_t len, struct facts *f)
{
	static const char header[] = "chimera-facts=";
	const char *p = text, *end = text + len, *nl;
	struct err_line l = { .input = "facts", .quote = 160 };
	unsigned seen = 0;
	int started = 0, r = 0;
	char q[64];

	facts_release(f);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l.num++;
		l.text = p;
		l.len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl ? nl + 1 : end;
		if (l.len && l.text[l.len - 1] == '\r')
			l.len--;
		if (l.len == 0)
			continue;
		if (!started) {
			/* A login script may print before the facts: skip up to the header. */
			if (l.len < sizeof(header) - 1 || memcmp(l.text, header, sizeof(header) - 1) != 0)
				continue;
			if (l.len != sizeof(header) || l.text[sizeof(header) - 1] != '0' + FACTS_FORMAT) {
				r = err_bad_line(&l, ERR_INVALID, "this chimera reads facts format 1");
				goto fail;
			}
			started = 1;
			continue;
		}
		if ((r = take(&l, f, &seen)) < 0)
			goto fail;
		if (r == 1)
			break;
	}
	if (!started) {
		r = err_set(ERR_INVALID, "no 'chimera-facts=%d' line in the output (%s)", FACTS_FORMAT,
			    len ? err_quote(q, sizeof(q), text, len) : "it is empty");
		goto fail;
	}
	if (r != 1) {
		r = err_set(ERR_INVALID, "facts output ends after line %u without its 'end=1' line (cut short?)",
			    l.num);
		goto fail;
	}
	if (f->profile_link[0] && f->profile[0]) {
		const char *base = strrchr(f->profile, '/') + 1;

		f->generation = profile_link_generation(base, f->profile_link, strlen(f->profile_link));
	}
	return 0;
fail:
	facts_release(f);
	return r;
}
