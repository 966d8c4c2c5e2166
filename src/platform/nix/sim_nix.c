/* The Nix simulator: build a configuration with nix-build and read Nix 2.8's errors. */
#include "platform/nix/nix.h"
#include "platform/nix/rules.h"
#include "util/clock.h"
#include "util/err.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "util/banned.h"

#define STARTS(p, n, lit) ((n) >= sizeof(lit) - 1 && memcmp((p), (lit), sizeof(lit) - 1) == 0)

/* Copy LEN bytes of LOG into DST without ANSI escape sequences or carriage returns. */
static size_t nix_strip(char *dst, const char *log, size_t len)
{
	size_t i = 0, n = 0;

	while (i < len) {
		unsigned char c = (unsigned char)log[i];

		if (c == '\r') {
			i++;
		} else if (c == 0x1b && i + 1 < len && log[i + 1] == '[') {
			/* CSI: parameters and intermediates, then one final byte */
			for (i += 2; i < len && !((unsigned char)log[i] >= 0x40 && (unsigned char)log[i] <= 0x7e); i++)
				;
			i++;
		} else if (c == 0x1b && i + 1 < len && log[i + 1] == ']') {
			/* OSC (hyperlinks): up to BEL or ESC backslash */
			for (i += 2; i < len && log[i] != 0x07 && log[i] != 0x1b; i++)
				;
			i += i < len && log[i] == 0x1b ? 2 : 1;
		} else if (c == 0x1b) {
			i += 2;
		} else {
			dst[n++] = log[i++];
		}
	}
	dst[n] = 0;
	return n;
}

/* One line of the log: RAW at its start, P/N without surrounding white space. */
struct nix_line {
	const char *raw;
	const char *p;
	size_t n;
};

/* Take the line at *CUR (before END) into L; false at the end. */
static bool nix_next(const char **cur, const char *end, struct nix_line *l)
{
	const char *p = *cur, *nl, *e;

	if (p >= end)
		return false;
	nl = memchr(p, '\n', (size_t)(end - p));
	e = nl ? nl : end;
	*cur = nl ? nl + 1 : end;
	l->raw = p;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	l->p = p;
	l->n = (size_t)(e - p);
	return true;
}

/* Nix's own error lines start the line; a builder's output is printed as is, so may too. */
static bool nix_is_error(const struct nix_line *l)
{
	return l->raw == l->p && STARTS(l->p, l->n, "error:");
}

/* The text of error line L after "error:". */
static const char *nix_error_text(const struct nix_line *l, size_t *n)
{
	const char *p = l->p + 6;

	*n = l->n - 6;
	while (*n && (*p == ' ' || *p == '\t')) {
		p++;
		(*n)--;
	}
	return p;
}

static bool nix_is_build_failure(const char *msg, size_t n)
{
	return STARTS(msg, n, "builder for '") || STARTS(msg, n, "build of '") ||
	       STARTS(msg, n, "hash mismatch in fixed-output derivation");
}

static bool nix_is_building(const struct nix_line *l)
{
	static const char built[] = "will be built:";

	return STARTS(l->p, l->n, "building '") ||
	       (l->n >= sizeof(built) - 1 && memcmp(l->p + l->n - (sizeof(built) - 1), built, sizeof(built) - 1) == 0);
}

/* Read "at PATH:LINE:COL:" in L; PATH points into the line. */
static bool nix_position(const struct nix_line *l, const char **path, size_t *plen, int *line, int *col)
{
	const char *s, *e, *c1, *c2;
	long v[2];
	int i;

	if (!STARTS(l->p, l->n, "at ") || l->p[l->n - 1] != ':')
		return false;
	s = l->p + 3;
	e = l->p + l->n - 1;
	/* The path may hold colons, so take the numbers from the end. */
	for (c2 = e; c2 > s && c2[-1] != ':'; c2--)
		;
	if (c2 <= s)
		return false;
	for (c1 = c2 - 1; c1 > s && c1[-1] != ':'; c1--)
		;
	if (c1 <= s)
		return false;
	for (i = 0; i < 2; i++) {
		const char *d = i ? c2 : c1, *de = i ? e : c2 - 1;

		if (d == de || de - d > 9)
			return false;
		for (v[i] = 0; d < de; d++) {
			if (*d < '0' || *d > '9')
				return false;
			v[i] = v[i] * 10 + (*d - '0');
		}
	}
	*path = s;
	*plen = (size_t)(c1 - 1 - s);
	*line = (int)v[0];
	*col = (int)v[1];
	return true;
}

/* The file for a position in PATH: NAME for ABS, a sibling under ABS's directory, or NULL. */
static bool nix_file(const char *name, const char *abs, const char *path, size_t plen, char file[SIM_FILE_MAX])
{
	const char *slash = strrchr(abs, '/'), *nslash = strrchr(name, '/');
	size_t dlen = slash ? (size_t)(slash - abs) : 0;
	int ndir = nslash ? (int)(nslash + 1 - name) : 0;

	if (plen == strlen(abs) && memcmp(path, abs, plen) == 0) {
		snprintf(file, SIM_FILE_MAX, "%s", name);
		return true;
	}
	if (!slash || plen <= dlen + 1 || memcmp(path, abs, dlen) != 0 || path[dlen] != '/')
		return false;
	/* Relative to the project directory, as NAME is: behind NAME's own directory. */
	snprintf(file, SIM_FILE_MAX, "%.*s%.*s", ndir, name, (int)(plen - dlen - 1), path + dlen + 1);
	return true;
}

/* Cut N bytes of MSG to fit a message without splitting a UTF-8 sequence. */
static int nix_msg_len(const char *msg, size_t n)
{
	if (n < SIM_MSG_MAX)
		return (int)n;
	n = SIM_MSG_MAX - 1;
	while (n && ((unsigned char)msg[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

int sim_nix_log(const char *name, const char *abs, const char *log, size_t len, struct sim_report *rep)
{
	char *text = malloc(len + 1), file[SIM_FILE_MAX];
	const char *cur, *end, *msg = NULL, *last = NULL, *rule;
	size_t mlen = 0, lastlen = 0;
	struct nix_line l, err = { NULL, NULL, 0 };
	bool building = false, built_before = false, at = false;
	int line = 0, col = 0, r;

	if (!text)
		return err_set(ERR_NOMEM, "out of memory");
	end = text + nix_strip(text, log, len);
	/* Nix's build failure beats any "error:" a builder printed; else the first error. */
	for (cur = text; nix_next(&cur, end, &l);) {
		if (l.n) {
			last = l.p;
			lastlen = l.n;
		}
		if (nix_is_building(&l))
			building = true;
		if (!nix_is_error(&l))
			continue;
		msg = nix_error_text(&l, &mlen);
		if (nix_is_build_failure(msg, mlen)) {
			err = l;
			built_before = building;
			break;
		}
		if (!err.p) {
			err = l;
			built_before = building;
		}
	}
	snprintf(file, sizeof(file), "%s", name);
	if (err.p) {
		msg = nix_error_text(&err, &mlen);
		/* Its position is the first "at" before the next error. */
		for (cur = err.p + err.n; nix_next(&cur, end, &l) && !nix_is_error(&l);) {
			const char *path;
			size_t plen;
			int pl, pc;

			if (nix_position(&l, &path, &plen, &pl, &pc)) {
				at = true;
				if (nix_file(name, abs, path, plen, file)) {
					line = pl;
					col = pc;
				}
				break;
			}
		}
	} else if (last) {
		msg = last;
		mlen = lastlen;
	} else {
		msg = "nix-build failed without an error message";
		mlen = strlen(msg);
	}
	if (err.p && STARTS(msg, mlen, "syntax error"))
		rule = NIX_ID(NIX_SYNTAX);
	else if (err.p && STARTS(msg, mlen, "expression does not evaluate to a derivation"))
		rule = NIX_ID(NIX_OUTPUT);
	else if (err.p && nix_is_build_failure(msg, mlen))
		rule = NIX_ID(NIX_BUILD);
	else if (!at && (err.p ? built_before : building))
		/* Evaluation is over once derivations are being built: the rest is the build's. */
		rule = NIX_ID(NIX_BUILD);
	else
		rule = NIX_ID(NIX_EVAL);
	r = sim_add(rep, rule, SIM_CRITICAL, file, line, col, SIM_FIX_NONE, NULL, "%.*s", nix_msg_len(msg, mlen), msg);
	free(text);
	return r;
}

/*
 * Whether nix-build ran, from the build's error: nix_cli fills the log only after the process
 * ran, and names a failed run "nix-build failed (exit N)"; an exec failure shows as exit 127
 * with proc's own "cannot run" line.
 */
static bool sim_nix_ran(const struct buf *log, const char *msg)
{
	static const char cant[] = "cannot run '";
	const char *nl = memchr(log->data, '\n', log->len);

	if (STARTS(log->data, log->len, cant) && nl == log->data + log->len - 1)
		return false;
	return log->len || STARTS(msg, strlen(msg), "nix-build failed (exit ") ||
	       STARTS(msg, strlen(msg), "the build printed");
}

int sim_nix(struct nix *nx, const struct nix_source *src, const char *name, char out[STOREPATH_MAX],
	    struct sim_report *rep)
{
	struct nix_source s;
	struct buf log = BUF_INIT(0);
	char abs[PATH_MAX];
	int64_t t0 = clock_mono_us();
	const char *msg;
	int r;

	out[0] = 0;
	if (!src->file || src->flake) {
		r = err_set(ERR_INVALID, "the nix simulator builds a file (-c FILE.nix), not a flake");
		goto out;
	}
	/* Checked here, so that ERR_INVALID from the build can only be about its outputs. */
	if ((r = nix_source_check(src)) < 0)
		goto out;
	if (rep->nfiles < sizeof(rep->files) / sizeof(rep->files[0]))
		snprintf(rep->files[rep->nfiles++], SIM_FILE_MAX, "%s", name);
	/* Nix names positions by the resolved path; build that one so they compare. */
	if (!realpath(src->file, abs)) {
		r = err_set_errno(ERR_IO, errno, "cannot resolve '%s'", src->file);
		goto out;
	}
	s = *src;
	s.file = abs;
	r = nx->ops->build(nx, &s, out, &log);
	if (r == 0 || r == ERR_NOMEM)
		goto out;
	msg = err_msg();
	if (r == ERR_INVALID) {
		out[0] = 0;
		r = sim_add(rep, NIX_ID(NIX_OUTPUT), SIM_CRITICAL, name, 0, 0, SIM_FIX_NONE, NULL, "%s", msg);
	} else if (r == ERR_IO && sim_nix_ran(&log, msg)) {
		out[0] = 0;
		if (STARTS(msg, strlen(msg), "the build printed"))
			r = sim_add(rep, NIX_ID(NIX_OUTPUT), SIM_CRITICAL, name, 0, 0, SIM_FIX_NONE, NULL, "%s", msg);
		else if (!log.len)
			r = sim_add(rep, NIX_ID(NIX_BUILD), SIM_CRITICAL, name, 0, 0, SIM_FIX_NONE, NULL, "%s", msg);
		else
			r = sim_nix_log(name, abs, log.data, log.len, rep);
	}
out:
	buf_release(&log);
	rep->us = clock_mono_us() - t0;
	return r;
}
