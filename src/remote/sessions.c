/* tmux sessions on nodes: names, the commands sent, and their listing parsed. */
#include "remote/sessions.h"
#include "util/err.h"
#include "util/text.h"
#include "util/shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define TMUX "tmux -L " SESSION_SOCKET
#define NEED_TMUX "command -v tmux >/dev/null 2>&1 || { echo 'tmux is not installed on this node' >&2; exit 127; }\n"

int sessions_name_check(const char *name)
{
	size_t n = strlen(name), i;
	char q[96];

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			break;
	}
	if (n == 0 || n > SESSION_NAME_MAX || i < n || name[0] == '-')
		return err_set(ERR_INVALID,
			       "bad session name '%s': expected 1 to %d of A-Z a-z 0-9 _ - not starting with '-'",
			       err_quote(q, sizeof(q), name, n), SESSION_NAME_MAX);
	return 0;
}

static int nomem(void)
{
	return err_set(ERR_NOMEM, "out of memory");
}

/* Append BEFORE, WORD quoted, AFTER. */
static int add_q(struct buf *cmd, const char *before, const char *word, const char *after)
{
	if (buf_adds(cmd, before) < 0 || shell_quote(cmd, word) < 0 || buf_adds(cmd, after) < 0)
		return nomem();
	return 0;
}

int sessions_escape(struct buf *out, const char *s)
{
	size_t n = strlen(s), i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\\')
			r = buf_adds(out, "\\\\");
		else if (c == '\n')
			r = buf_adds(out, "\\n");
		else if (c == '\t')
			r = buf_adds(out, "\\t");
		else if (c < 0x20 || c == 0x7f || (c == ';' && i == n - 1))
			r = buf_printf(out, "\\x%02x", c);
		else
			r = buf_addc(out, (char)c);
	}
	return r;
}

int sessions_unescape(struct buf *out, const char *s, size_t len)
{
	size_t i;
	int r = 0;

	for (i = 0; i < len && r == 0; i++) {
		if (s[i] != '\\' || i + 1 == len) {
			r = buf_addc(out, s[i]);
			continue;
		}
		switch (s[i + 1]) {
		case '\\': r = buf_addc(out, '\\'); i++; break;
		case 'n': r = buf_addc(out, '\n'); i++; break;
		case 't': r = buf_addc(out, '\t'); i++; break;
		case 'x':
			if (i + 3 < len && text_hex_value(s[i + 2]) >= 0 && text_hex_value(s[i + 3]) >= 0) {
				r = buf_addc(out, (char)(text_hex_value(s[i + 2]) * 16 + text_hex_value(s[i + 3])));
				i += 3;
				break;
			}
			/* fall through */
		default: r = buf_addc(out, '\\'); break;
		}
	}
	return r;
}

/* 0 when NAME is a variable name. */
static int env_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return -1;
	}
	return 0;
}

/* The script the session's /bin/sh runs: SPEC's variables, PATH, then the command. */
static int session_script(struct buf *sc, const struct session_spec *spec)
{
	char q[96];
	size_t i;

	for (i = 0; spec->env && spec->env[i]; i++) {
		const char *e = spec->env[i], *eq = strchr(e, '=');

		if (i == SESSION_ENV_MAX)
			return err_set(ERR_LIMIT, "more than %d session variables", SESSION_ENV_MAX);
		if (!eq || env_name_ok(e, (size_t)(eq - e)) < 0)
			return err_set(ERR_INVALID, "bad session variable '%s': expected NAME=VALUE",
				       err_quote(q, sizeof(q), e, strlen(e)));
		if (buf_add(sc, e, (size_t)(eq - e + 1)) < 0 || shell_quote(sc, eq + 1) < 0 ||
		    buf_printf(sc, "; export %.*s\n", (int)(eq - e), e) < 0)
			return nomem();
	}
	if (spec->path_dir) {
		if (spec->path_dir[0] != '/')
			return err_set(ERR_INVALID, "bad PATH directory '%s': expected an absolute path",
				       err_quote(q, sizeof(q), spec->path_dir, strlen(spec->path_dir)));
		if (add_q(sc, "PATH=", spec->path_dir, "/bin:\"$PATH\"; export PATH\n") < 0)
			return ERR_NOMEM;
	}
	/* Ends with a newline: tmux takes an argument ending with ';' as a command separator. */
	if (buf_adds(sc, spec->command) < 0 || buf_addc(sc, '\n') < 0)
		return nomem();
	return 0;
}

int sessions_cmd_start(struct buf *cmd, const struct session_spec *spec)
{
	struct buf sc = BUF_INIT(0), shown = BUF_INIT(0);
	int r;

	if ((r = sessions_name_check(spec->name)) < 0)
		return r;
	if (!spec->command || !spec->command[0])
		return err_set(ERR_INVALID, "no command for session '%s'", spec->name);
	if ((r = session_script(&sc, spec)) < 0)
		goto out;
	if ((r = sessions_escape(&shown, spec->shown ? spec->shown : spec->command)) < 0) {
		r = nomem();
		goto out;
	}
	/*
	 * A session replaced is renamed aside, the new one started, then the old one killed:
	 * killing it first could leave the server with no session, and a server with none exits
	 * while new-session is reaching it ("server exited unexpectedly"). If the start fails,
	 * the old session gets its name back.
	 */
	if (buf_adds(cmd, NEED_TMUX "r=chimera-started old=\n") < 0 ||
	    buf_printf(cmd, "if " TMUX " has-session -t =%s 2>/dev/null; then\n", spec->name) < 0 ||
	    (spec->replace ? buf_printf(cmd,
					"\told=chimera-replacing-$$\n"
					"\t" TMUX " rename-session -t =%s \"$old\" || exit 1\n"
					"\tr=chimera-replaced\n",
					spec->name)
			   : buf_printf(cmd, "\techo chimera-exists\n\texit %d\n", SESSION_EXISTS_STATUS)) < 0 ||
	    buf_printf(cmd, "fi\n" TMUX " new-session -d -s %s -- /bin/sh -c ", spec->name) < 0 ||
	    shell_quote(cmd, sc.data) < 0 ||
	    buf_printf(cmd, " \\; set-option -t =%s: " SESSION_OPTION " ", spec->name) < 0 ||
	    shell_quote(cmd, shown.data) < 0 ||
	    (spec->replace ? buf_printf(cmd,
					" || { [ -z \"$old\" ] || " TMUX " rename-session -t =\"$old\" %s; exit 1; }\n"
					"[ -z \"$old\" ] || " TMUX " kill-session -t =\"$old\"\n",
					spec->name)
			   : buf_adds(cmd, " || exit 1\n")) < 0 ||
	    buf_adds(cmd, "echo $r\n") < 0) {
		r = nomem();
		goto out;
	}
	r = 0;
out:
	buf_release(&sc);
	buf_release(&shown);
	return r;
}

int sessions_cmd_list(struct buf *cmd)
{
	/*
	 * No server (or no socket yet) is no sessions; anything else tmux says is an error. -u:
	 * without a UTF-8 locale (the usual case over SSH) tmux would print tabs as '_'.
	 */
	if (buf_adds(cmd, NEED_TMUX "if out=$(tmux -u -L " SESSION_SOCKET " list-sessions -F ") < 0 ||
	    shell_quote(cmd, "#{session_name}\t#{session_created}\t#{session_attached}\t#{" SESSION_OPTION "}") < 0 ||
	    buf_adds(cmd, " 2>&1); then printf '%s\\n' \"$out\"; exit 0; fi\n"
			  "case $out in *'no server running'*|*'error connecting'*) exit 0;; esac\n"
			  "printf '%s\\n' \"$out\" >&2\nexit 1\n") < 0)
		return nomem();
	return 0;
}

int sessions_cmd_kill(struct buf *cmd, const char *name)
{
	int r;

	if ((r = sessions_name_check(name)) < 0)
		return r;
	if (buf_printf(cmd, NEED_TMUX TMUX " has-session -t =%s 2>/dev/null || { echo chimera-missing; exit %d; }\n"
			    "exec " TMUX " kill-session -t =%s\n", name, SESSION_MISSING_STATUS, name) < 0)
		return nomem();
	return 0;
}

int sessions_cmd_has(struct buf *cmd, const char *name)
{
	int r;

	if ((r = sessions_name_check(name)) < 0)
		return r;
	if (buf_printf(cmd, NEED_TMUX "exec " TMUX " has-session -t =%s 2>/dev/null\n", name) < 0)
		return nomem();
	return 0;
}

int sessions_cmd_stage(struct buf *cmd, const char *name, const char *suffix)
{
	size_t n = strlen(suffix);
	char q[64];
	int r;

	if ((r = sessions_name_check(name)) < 0)
		return r;
	if (n == 0 || n > 8 || strspn(suffix, "abcdefghijklmnopqrstuvwxyz") != n)
		return err_set(ERR_INVALID, "bad file suffix '%s': expected 1 to 8 of a-z", err_quote(q, sizeof(q), suffix, n));
	if (buf_printf(cmd,
		       "d=\"${XDG_STATE_HOME:-${HOME:-/tmp}/.local/state}/chimera/run\"\n"
		       "f=\"$d/%s.%s\"\n"
		       "mkdir -p \"$d\" && cat > \"$f.tmp\" && mv -f \"$f.tmp\" \"$f\" && printf 'chimera-file %%s\\n' \"$f\"\n",
		       name, suffix) < 0)
		return nomem();
	return 0;
}

void session_list_release(struct session_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i].command);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* Parse N bytes of S as a decimal number in [0, MAX]. */
static int parse_num(const char *s, size_t n, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (max - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* One line of the list: NAME TAB CREATED TAB ATTACHED TAB COMMAND. */
static int parse_line(const char *p, size_t len, size_t lineno, struct session_info *si)
{
	const char *f[4];
	size_t fl[4], k = 0;
	const char *q = p, *end = p + len, *tab;
	struct buf cmd = BUF_INIT(0);
	int64_t created, attached;
	char quoted[96];

	while (k < 3 && (tab = memchr(q, '\t', (size_t)(end - q)))) {
		f[k] = q;
		fl[k++] = (size_t)(tab - q);
		q = tab + 1;
	}
	f[k] = q;
	fl[k++] = (size_t)(end - q);
	if (k < 4)
		goto bad;
	if (fl[0] == 0 || fl[0] > SESSION_NAME_MAX || memchr(f[0], '\0', fl[0]) ||
	    parse_num(f[1], fl[1], INT64_MAX, &created) < 0 || parse_num(f[2], fl[2], 1000000, &attached) < 0)
		goto bad;
	memcpy(si->name, f[0], fl[0]);
	si->name[fl[0]] = 0;
	si->created = created;
	si->attached = (int)attached;
	if (sessions_unescape(&cmd, f[3], fl[3]) < 0)
		return nomem();
	si->command = buf_detach(&cmd, NULL);
	return si->command ? 0 : nomem();
bad:
	return err_set(ERR_INVALID, "bad session list line %zu '%s': expected NAME<TAB>CREATED<TAB>ATTACHED<TAB>COMMAND",
		       lineno, err_quote(quoted, sizeof(quoted), p, len));
}

int sessions_parse_list(const char *data, size_t len, struct session_list *l)
{
	const char *p = data, *end = data + len, *nl;
	size_t lines = 0, lineno = 0, cap = 0;
	int r;

	l->items = NULL;
	l->n = 0;
	for (nl = p; nl < end; nl++)
		lines += *nl == '\n';
	cap = lines + 1;
	if (!(l->items = calloc(cap, sizeof(*l->items))))
		return nomem();
	while (p < end) {
		size_t n;

		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		lineno++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0) {
			if ((r = parse_line(p, n, lineno, &l->items[l->n])) < 0)
				return r;
			l->n++;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* Run CMD in S as STEP; 0 with RES filled whatever the exit status, else FAIL filled. */

int sessions_cmd_nix_shell(struct buf *cmd, const char *file, const char *command)
{
	if (add_q(cmd, "nix-shell ", file, " --run ") < 0 || shell_quote(cmd, command) < 0)
		return nomem();
	return 0;
}
