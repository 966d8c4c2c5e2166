/* The shell command that reads a store path's closure on a node, with each path's NAR size, and its answer. */
#include "remote/closure.h"
#include "core/storepath.h"
#include "util/err.h"
#include "util/shell.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

int remote_closure_query(struct buf *cmd, const char *path)
{
	/* set -f: a store path's name may hold '?', which the unquoted list must not glob. */
	if (buf_adds(cmd, "set -f; p=") < 0 || shell_quote(cmd, path) < 0 ||
	    buf_adds(cmd, "; r=$(nix-store -q --requisites \"$p\") || exit $?; printf '%s\\n' \"$r\"; echo "
			  REMOTE_SIZES_MARK "; exec nix-store -q --size $r\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* The next line of [*P, END) into LINE and N; false at the end. */
static bool next_line(const char **p, const char *end, const char **line, size_t *n)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p += *n + 1;
	return true;
}

static int bad_line(unsigned num, const char *line, size_t n, const char *expected)
{
	struct err_line l = { .input = "the node's closure", .num = num, .text = line, .len = n };

	return err_bad_line(&l, ERR_INVALID, expected);
}

/* A whole number of N bytes at S (at most 19 digits) into *V; false when it is not one. */
static bool size_value(const char *s, size_t n, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0 || n > 19)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return true;
}

static bool is_mark(const char *line, size_t n)
{
	return n == sizeof(REMOTE_SIZES_MARK) - 1 && memcmp(line, REMOTE_SIZES_MARK, n) == 0;
}

int remote_closure_parse(const char *out, size_t len, int (*add)(const char *path, uint64_t nar_size, void *arg),
			 void *arg)
{
	const char *p = out, *end = out + len, *line = NULL, *paths, *sizes;
	size_t n = 0, npaths = 0, nsizes = 0;
	bool marked = false;
	unsigned num = 0;
	uint64_t v;
	int r;

	/* First pass: every path and every size well formed, and as many of each. */
	while (next_line(&p, end, &line, &n)) {
		num++;
		if ((marked = is_mark(line, n)))
			break;
		if (!storepath_valid(line, n))
			return bad_line(num, line, n, "expected a store path");
		npaths++;
	}
	if (!marked)
		return err_set(ERR_INVALID, "the node's closure: no line '" REMOTE_SIZES_MARK "' after the paths");
	sizes = p;
	while (next_line(&p, end, &line, &n)) {
		num++;
		if (!size_value(line, n, &v))
			return bad_line(num, line, n, "expected a NAR size in bytes");
		nsizes++;
	}
	if (npaths != nsizes)
		return err_set(ERR_INVALID, "the node's closure: %zu paths but %zu sizes", npaths, nsizes);
	/* Second pass: hand each path with its size. */
	for (paths = out, p = sizes; npaths--;) {
		char path[STOREPATH_MAX];
		const char *sl = NULL;
		size_t sn = 0;

		next_line(&paths, end, &line, &n);
		next_line(&p, end, &sl, &sn);
		memcpy(path, line, n);
		path[n] = '\0';
		size_value(sl, sn, &v);
		if ((r = add(path, v, arg)) < 0)
			return r;
	}
	return 0;
}
