/* Dead-man switches on a node: the shell text that lists, claims and removes them, and the listing read back. */
#include "remote/deadman.h"
#include "util/err.h"
#include "util/shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int remote_deadman_op_check(const char *op)
{
	size_t i, n = strlen(op);
	char q[96];

	for (i = 0; i < n && is_alnum(op[i]); i++)
		;
	if (n == 0 || n > REMOTE_DEADMAN_OP_MAX || i < n)
		return err_set(ERR_INVALID, "'%s' cannot name the operation of a dead-man switch (expected 1 to %d letters"
			       " and digits, a deployment id)", err_quote(q, sizeof(q), op, n), REMOTE_DEADMAN_OP_MAX);
	return 0;
}

int remote_deadman_dir_check(const char *dir, size_t len)
{
	static const char prefix[] = REMOTE_DEADMAN_DIR "/";
	const size_t plen = sizeof(prefix) - 1;
	size_t i, dot = 0;
	char q[128];

	if (len <= plen || len >= sizeof(((struct remote_deadman *)0)->dir) || memcmp(dir, prefix, plen) != 0)
		goto bad;
	for (i = plen; i < len; i++) {
		if (dir[i] == '.' && !dot && i > plen && i + 1 < len)
			dot = i;
		else if (!is_alnum(dir[i]))
			goto bad;
	}
	if (!dot || dot - plen > REMOTE_DEADMAN_OP_MAX)
		goto bad;
	return 0;
bad:
	return err_set(ERR_INVALID, "unexpected dead-man directory '%s' from the node (expected %sOP.SUFFIX)",
		       err_quote(q, sizeof(q), dir, len), prefix);
}

int remote_deadman_list(struct buf *cmd)
{
	/* Builtins only: read, echo, kill -0, cd -P. A switch still being made (no info yet) is left for later. */
	if (buf_adds(cmd, "for k in " REMOTE_DEADMAN_DIR "/*; do [ -f \"$k/info\" ] || continue; echo \"deadman $k\"; pr=;"
			  " while read -r a b; do case $a in op|path|profile|gen|deadline) echo \"$a $b\";; esac;"
			  " if [ \"$a\" = profile ]; then pr=$b; fi; done < \"$k/info\";"
			  " w=; if [ -r \"$k/pid\" ]; then read -r w < \"$k/pid\"; fi; echo \"pid $w\";"
			  " if [ -n \"$w\" ] && kill -0 \"$w\" 2>/dev/null; then echo alive; fi;"
			  " if [ -d \"$k/claim\" ]; then echo claimed; fi;"
			  " if [ -e \"$k/result\" ]; then x=; read -r x < \"$k/result\"; echo \"result $x\"; fi;"
			  " if [ -n \"$pr\" ] && cd -P -- \"$pr\" 2>/dev/null; then echo \"now $PWD\"; fi;"
			  " echo end; done; exit 0\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_deadman_fired(struct buf *cmd)
{
	if (buf_adds(cmd, "for k in " REMOTE_DEADMAN_DIR "/*/result; do if [ -e \"$k\" ]; then"
			  " echo \"deadman-fired ${k%/result}\"; fi; done\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_deadman_any(struct buf *cmd)
{
	if (buf_adds(cmd, "for k in " REMOTE_DEADMAN_DIR "/*/info; do if [ -e \"$k\" ]; then echo " REMOTE_DEADMAN_ANY
			  "; break; fi; done\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* "for d in DIRS; do " with each of the N DIRS quoted. */
static int add_for_dirs(struct buf *cmd, char *const *dirs, size_t n)
{
	size_t i;

	if (buf_adds(cmd, "for d in") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (buf_addc(cmd, ' ') < 0 || shell_quote(cmd, dirs[i]) < 0)
			return err_set(ERR_NOMEM, "out of memory");
	return buf_adds(cmd, "; do ") < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

int remote_deadman_claim(struct buf *cmd, char *const *dirs, size_t n)
{
	if (add_for_dirs(cmd, dirs, n) < 0 ||
	    buf_adds(cmd, "if mkdir -- \"$d/claim\" 2>/dev/null; then w=; if [ -r \"$d/pid\" ]; then read -r w < \"$d/pid\"; fi;"
			  " if [ -n \"$w\" ]; then kill -- \"-$w\" 2>/dev/null || kill \"$w\" 2>/dev/null; fi;"
			  " rm -rf -- \"$d\"; echo \"claimed $d\"; else echo \"busy $d\"; fi; done\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_deadman_remove(struct buf *cmd, char *const *dirs, size_t n)
{
	size_t i;

	if (buf_adds(cmd, "exec rm -rf --") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (buf_addc(cmd, ' ') < 0 || shell_quote(cmd, dirs[i]) < 0)
			return err_set(ERR_NOMEM, "out of memory");
	return buf_addc(cmd, '\n') < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

/* A number of up to 19 digits, at most MAX: 0 with *V, or -1. */
static int parse_num(const char *s, size_t len, int64_t max, int64_t *v)
{
	int64_t x = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || x > (max - (s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Copy the LEN printable bytes at S into DST (CAP bytes); -1 when they do not fit or one is not printable. */
static int take_text(char *dst, size_t cap, const char *s, size_t len)
{
	size_t i;

	if (len >= cap)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	memcpy(dst, s, len);
	dst[len] = 0;
	return 0;
}

/* One line LINE (LEN bytes, KEY its first word of KLEN) of switch SW; NULL when it is fine, else why not. */
static const char *take_line(struct remote_deadman *sw, const char *line, size_t len, size_t klen)
{
	const char *v = line + klen + (klen < len);
	size_t vlen = len - klen - (klen < len);
	int64_t x;

#define KEY(lit) (klen == sizeof(lit) - 1 && memcmp(line, lit, klen) == 0)
	if (KEY("op")) {
		if (take_text(sw->op, sizeof(sw->op), v, vlen) < 0 || remote_deadman_op_check(sw->op) < 0)
			return "not an operation id";
	} else if (KEY("path")) {
		if (vlen && !storepath_valid(v, vlen))
			return "not a store path";
		snprintf(sw->path, sizeof(sw->path), "%.*s", (int)vlen, v);
	} else if (KEY("profile")) {
		if (take_text(sw->profile, sizeof(sw->profile), v, vlen) < 0 || profile_path_check(sw->profile) < 0)
			return "not a profile path";
	} else if (KEY("gen")) {
		if (parse_num(v, vlen, UINT32_MAX, &x) < 0)
			return "not a generation";
		sw->gen = (uint32_t)x;
	} else if (KEY("deadline")) {
		if (parse_num(v, vlen, INT64_MAX, &sw->deadline) < 0)
			return "not a time";
	} else if (KEY("pid")) {
		if (vlen && (parse_num(v, vlen, 0x7fffffff, &x) < 0 || x == 0))
			return "not a process id";
		sw->pid = vlen ? (long)x : 0;
	} else if (KEY("alive") && klen == len) {
		sw->alive = 1;
	} else if (KEY("claimed") && klen == len) {
		sw->claimed = 1;
	} else if (KEY("result")) {
		if (take_text(sw->result, sizeof(sw->result), v, vlen) < 0)
			return "not a result";
		sw->fired = 1;
	} else if (KEY("now")) {
		if (take_text(sw->now, sizeof(sw->now), v, vlen) < 0 || sw->now[0] != '/')
			return "not a resolved path";
	} else {
		return "not a line of a dead-man switch";
	}
#undef KEY
	return NULL;
}

int remote_deadman_parse(const struct buf *out, struct remote_deadman *sw, size_t max, size_t *n)
{
	const char *p = out->data, *end = out->data + out->len, *why = NULL;
	struct remote_deadman cur;
	int in = 0, num = 0;
	char q[128];

	*n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p;
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p), klen;

		p = nl ? nl + 1 : end;
		num++;
		klen = (size_t)((const char *)(memchr(line, ' ', len) ? memchr(line, ' ', len) : line + len) - line);
		if (!in) {
			/* Between switches: anything but a switch's first line is noise (a login banner). */
			if (klen != 7 || memcmp(line, "deadman", 7) != 0 || klen == len)
				continue;
			memset(&cur, 0, sizeof(cur));
			if (remote_deadman_dir_check(line + 8, len - 8) < 0) {
				why = "not a dead-man directory";
				goto bad;
			}
			memcpy(cur.dir, line + 8, len - 8);
			in = 1;
		} else if (len == 3 && memcmp(line, "end", 3) == 0) {
			if (*n < max)
				sw[(*n)++] = cur;
			in = 0;
		} else if ((why = take_line(&cur, line, len, klen)) != NULL) {
			goto bad;
		}
		continue;
bad:
		memset(sw, 0, max * sizeof(*sw));
		*n = 0;
		return err_set(ERR_INVALID, "dead-man listing line %d '%s': %s", num, err_quote(q, sizeof(q), line, len),
			       why);
	}
	if (in) {
		memset(sw, 0, max * sizeof(*sw));
		*n = 0;
		return err_set(ERR_INVALID, "dead-man listing ends after line %d inside a switch (no 'end' line)", num);
	}
	return 0;
}
