/* The shell commands chimera runs on nodes for Nix profiles; every value is validated by the caller and quoted here. */
#include "remote/nix.h"
#include "remote/deadman.h"
#include "remote/witness.h"
#include "core/profile.h"
#include "util/err.h"
#include "util/shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static int add_quoted(struct buf *cmd, const char *before, const char *word, const char *after)
{
	if (buf_adds(cmd, before) < 0 || shell_quote(cmd, word) < 0 || buf_adds(cmd, after) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_import(struct buf *cmd)
{
	return buf_adds(cmd, "exec nix-store --import >/dev/null\n") < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

int remote_probe_current(struct buf *cmd, const char *profile)
{
	return add_quoted(cmd, "p=", profile,
			  "; if l=$(readlink \"$p\" 2>/dev/null); then printf 'link %s\\n' \"$l\";"
			  " case $l in /nix/store/*) t=$l;; /*) t=$(readlink \"$l\" 2>/dev/null);;"
			  " *) t=$(readlink \"${p%/*}/$l\" 2>/dev/null);; esac; printf 'path %s\\n' \"$t\"; fi\n");
}

int remote_probe_resolved(struct buf *cmd, const char *profile)
{
	/* cd -P and pwd are builtins: a profile on a directory resolves with no process at all. */
	return add_quoted(cmd, "p=", profile,
			  "; if cd -P -- \"$p\" 2>/dev/null; then pwd; else exec readlink -f -- \"$p\"; fi\n");
}

int remote_probe_generations(struct buf *cmd, const char *profile)
{
	if (remote_probe_current(cmd, profile) < 0)
		return ERR_NOMEM;
	if (buf_adds(cmd, "d=${p%/*}; b=${p##*/}; for g in \"$d/$b\"-*-link; do [ -L \"$g\" ] || continue;"
			  " n=${g#\"$d/$b\"-}; n=${n%-link};"
			  " printf 'gen %s %s %s\\n' \"$n\" \"$(stat -c %Y \"$g\")\" \"$(readlink \"$g\")\"; done\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_check_paths(struct buf *cmd, const char *profile, char *const *paths, size_t n, const char *list)
{
	size_t i;

	/* Shell builtins only: no process per path, no Nix start-up. */
	if (remote_probe_current(cmd, profile) < 0)
		return ERR_NOMEM;
	if (list) {
		if (add_quoted(cmd, "M=; while read -r q; do [ -e \"$q\" ] || { printf '%s\\n' \"$q\"; M=\"$M $q\"; }; done < ",
				list, "\n") < 0)
			return ERR_NOMEM;
		return 0;
	}
	if (buf_adds(cmd, "M=; for q in") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (add_quoted(cmd, " ", paths[i], "") < 0)
			return ERR_NOMEM;
	if (buf_adds(cmd, "; do [ -e \"$q\" ] || { printf '%s\\n' \"$q\"; M=\"$M $q\"; }; done\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_invalid_paths(struct buf *cmd, char *const *paths, size_t n, const char *list)
{
	size_t i;

	if (list)
		return add_quoted(cmd, "exec xargs nix-store --check-validity --print-invalid < ", list, "\n");
	if (buf_adds(cmd, "exec nix-store --check-validity --print-invalid") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (add_quoted(cmd, " ", paths[i], "") < 0)
			return ERR_NOMEM;
	return buf_addc(cmd, '\n') < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
}

bool remote_paths_fit(char *const *paths, size_t n)
{
	size_t i, bytes = 0;

	for (i = 0; i < n; i++)
		bytes += strlen(paths[i]) + 3;
	return bytes <= REMOTE_INLINE_MAX;
}

int remote_stash(struct buf *cmd)
{
	return buf_adds(cmd, "umask 077; f=$(mktemp /tmp/chimera-paths.XXXXXXXXXX) && cat > \"$f\" && echo \"$f\"\n") < 0
		       ? err_set(ERR_NOMEM, "out of memory")
		       : 0;
}

int remote_stash_parse(const struct buf *out, char *file, size_t len)
{
	static const char prefix[] = "/tmp/chimera-paths.";
	size_t n = out->len, i;
	char q[96];

	while (n && out->data[n - 1] == '\n')
		n--;
	if (n <= sizeof(prefix) - 1 || n >= len || memcmp(out->data, prefix, sizeof(prefix) - 1) != 0)
		goto bad;
	for (i = sizeof(prefix) - 1; i < n; i++)
		if (!((out->data[i] >= 'a' && out->data[i] <= 'z') || (out->data[i] >= 'A' && out->data[i] <= 'Z') ||
		      (out->data[i] >= '0' && out->data[i] <= '9')))
			goto bad;
	memcpy(file, out->data, n);
	file[n] = 0;
	return 0;
bad:
	return err_set(ERR_INVALID, "unexpected answer '%s' from the node where a temporary file name was due",
		       err_quote(q, sizeof(q), out->data, out->len));
}

int remote_remove(struct buf *cmd, const char *file)
{
	return add_quoted(cmd, "exec rm -f -- ", file, "\n");
}

int remote_switch_generation(struct buf *cmd, const char *profile, uint32_t gen)
{
	if (add_quoted(cmd, "exec nix-env -p ", profile, "") < 0 || buf_printf(cmd, " --switch-generation %u\n", gen) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/*
 * The activation of the store path that the shell word WORD gives (quoted text, or a
 * variable like "$Q"), by ACT's mode and goal. With TAIL "", the activation is the command's
 * last act (exec); with a TAIL such as " || exit", the shell goes on after it.
 */
static int add_activation_of(struct buf *cmd, const char *word, const struct remote_act *act, const char *tail)
{
	const char *run = *tail ? "" : "exec ", *goal = goal_name(act->goal);
	int r;

	if (strcmp(act->mode, "none") == 0)
		return buf_adds(cmd, "echo 'chimera-activation none'\n") < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
	if (strcmp(act->mode, "auto") == 0) {
		/* switch-to-configuration knows the four goals; a plain closure's bin/activate is run now for switch and test. */
		r = buf_printf(cmd,
			       "P=%s; if [ -x \"$P/bin/switch-to-configuration\" ]; then"
			       " echo 'chimera-activation switch-to-configuration';"
			       " %s\"$P/bin/switch-to-configuration\" %s%s;"
			       " elif [ -x \"$P/bin/activate\" ]; then echo 'chimera-activation activate';",
			       word, run, goal, tail);
		if (r >= 0 && goal_activates(act->goal))
			r = buf_printf(cmd, " %s\"$P/bin/activate\"%s;", run, tail);
		else if (r >= 0)
			r = buf_printf(cmd, " echo \"chimera: %s: $P/bin/activate %s\";", goal,
				       act->goal == GOAL_BOOT ? "runs at no boot step; the profile is set" : "would run");
		if (r >= 0)
			r = buf_adds(cmd, " else echo 'chimera-activation none'; fi\n");
		return r < 0 ? err_set(ERR_NOMEM, "out of memory") : 0;
	}
	if (act->goal == GOAL_DRY_ACTIVATE) {
		/* A command of the user's cannot be trusted to change nothing: name it, run nothing. */
		if (buf_adds(cmd, "echo 'chimera-activation command'; echo \"chimera: dry-activate: would run\" ") < 0 ||
		    add_quoted(cmd, "", act->mode, " \"with \"") < 0 || buf_printf(cmd, "%s\n", word) < 0)
			return err_set(ERR_NOMEM, "out of memory");
		return 0;
	}
	if (buf_printf(cmd, "echo 'chimera-activation command'; CHIMERA_STORE_PATH=%s; CHIMERA_GOAL=%s;"
			    " export CHIMERA_STORE_PATH CHIMERA_GOAL; %ssh -c ",
		       word, goal, run) < 0 ||
	    add_quoted(cmd, "", act->mode, " chimera-activate ") < 0 || buf_printf(cmd, "%s%s\n", word, tail) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* The same for a literal PATH (validated by the caller). */
static int add_activation(struct buf *cmd, const char *path, const struct remote_act *act, const char *tail)
{
	struct buf word = BUF_INIT(0);
	int r;

	r = shell_quote(&word, path) < 0 ? err_set(ERR_NOMEM, "out of memory") : add_activation_of(cmd, word.data, act, tail);
	buf_release(&word);
	return r;
}

int remote_activate(struct buf *cmd, const char *path, const struct remote_act *act)
{
	return add_activation(cmd, path, act, "");
}

/*
 * The dead-man switch, run detached with $1 its directory, $2 the profile, $3 the
 * generation to go back to: unless the controller claims $1 first (remote_confirm,
 * remote_deadman_claim), it claims it after CONFIRM_S seconds, switches back and
 * activates, and leaves "result". Its directory is REMOTE_DEADMAN_DIR/OP.XXXXXXXXXX with
 * the info that says who armed it, what it protects (PATH) and when it fires.
 */
static int add_deadman(struct buf *cmd, const char *op, const char *path, const struct remote_act *act, long confirm_s)
{
	struct buf body = BUF_INIT(0);
	int r = 0;

	if (buf_printf(&body,
		       "sleep %ld; mkdir \"$1/claim\" 2>/dev/null || exit 0\n"
		       "echo \"chimera: no confirmation within %lds; back to generation $3\"\n"
		       "nix-env -p \"$2\" --switch-generation \"$3\" || { echo switch-failed > \"$1/result\"; exit 1; }\n"
		       "Q=$(readlink -f -- \"$2\")\n",
		       confirm_s, confirm_s) < 0 ||
	    add_activation_of(&body, "\"$Q\"", act, " || { echo activate-failed > \"$1/result\"; exit 1; }") < 0 ||
	    buf_adds(&body, "echo rolled-back > \"$1/result\"\n") < 0)
		r = err_set(ERR_NOMEM, "out of memory");
	if (r == 0 &&
	    (buf_printf(cmd, "if [ \"$m\" = set ] && [ \"${g:--}\" != - ]; then R=%s;"
			     " { [ -d \"$R\" ] || mkdir -p \"$R\"; } && k=$(mktemp -d \"$R/%s.XXXXXXXXXX\") || exit;"
			     " printf 'op %%s\\npath %%s\\nprofile %%s\\ngen %%s\\ndeadline %%s\\n' %s ",
			REMOTE_DEADMAN_DIR, op, op) < 0 ||
	     shell_quote(cmd, path) < 0 ||
	     buf_printf(cmd, " \"$p\" \"$g\" \"$(( $(date +%%s) + %ld ))\" > \"$k/info\" || exit;"
			     " if command -v setsid >/dev/null 2>&1; then s=setsid; else s=; fi;"
			     " $s sh -c ", confirm_s) < 0 ||
	     shell_quote(cmd, body.data) < 0 ||
	     buf_adds(cmd, " chimera-deadman \"$k\" \"$p\" \"$g\" </dev/null >\"$k/log\" 2>&1 &"
			   " echo $! > \"$k/pid\"; echo \"chimera-armed $k\"; fi\n") < 0))
		r = err_set(ERR_NOMEM, "out of memory");
	buf_release(&body);
	return r;
}

int remote_deploy(struct buf *cmd, const char *profile, char *const *paths, size_t n, const char *list,
		  const char *path, const struct remote_act *act, long confirm_s, const char *op, const char *mode,
		  uint32_t prev_gen)
{
	char dir[PROFILE_PATH_MAX + 1];
	const char *slash = strrchr(profile, '/');
	int r;

	if (confirm_s > 0 && (r = remote_deadman_op_check(op ? op : "")) < 0)
		return r;

	snprintf(dir, sizeof(dir), "%.*s", slash && slash != profile ? (int)(slash - profile) : 1, profile);
	if (mode) {
		if (add_quoted(cmd, "p=", profile, "; ") < 0 || buf_printf(cmd, "m=%s; g=", mode) < 0 ||
		    (prev_gen ? buf_printf(cmd, "%u\n", prev_gen) : buf_adds(cmd, "-\n")) < 0)
			return err_set(ERR_NOMEM, "out of memory");
	} else {
		/* check, then wait for the controller's word: "COPY MODE GEN", or EOF to stop. */
		if (remote_check_paths(cmd, profile, paths, n, list) < 0 || remote_deadman_any(cmd) < 0 ||
		    buf_adds(cmd, "echo chimera-ready\n"
				  "read -r c m g || exit 0\n") < 0 ||
		    remote_witness_take(cmd) < 0 ||
		    buf_adds(cmd, "if [ \"$c\" = copy ]; then nix-store --import >/dev/null || exit;"
				  /* Still absent: on disk no more, yet registered, so the import passed it by. */
				  " set -f; s=; for q in $M; do [ -e \"$q\" ] || s=\"$s $q\"; done; set +f;"
				  " if [ -n \"$s\" ]; then echo \"chimera-stale$s\"; exit 75; fi;"
				  " echo chimera-copied; fi\n") < 0)
			return err_set(ERR_NOMEM, "out of memory");
	}
	/* switch: a new generation, or (already on the path) Nix's word that it is valid. */
	if (add_quoted(cmd, "if [ \"$m\" = set ]; then D=", dir,
		       "; { [ -d \"$D\" ] || mkdir -p \"$D\"; } && nix-env -p \"$p\" --set ") < 0 ||
	    add_quoted(cmd, "", path, " || exit; else nix-store --check-validity ") < 0 ||
	    add_quoted(cmd, "", path, " || exit; fi\necho chimera-switched\n") < 0)
		return ERR_NOMEM;
	if (confirm_s > 0 && add_deadman(cmd, op, path, act, confirm_s) < 0)
		return ERR_NOMEM;
	if (add_activation(cmd, path, act, " || exit") < 0)
		return ERR_NOMEM;
	if (buf_adds(cmd, "echo chimera-activated\n"
			  "if cd -P -- \"$p\" 2>/dev/null; then echo \"chimera-profile $PWD\";"
			  " else echo \"chimera-profile $(readlink -f -- \"$p\")\"; fi\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_watch_probe_head(struct buf *cmd, const char *profile)
{
	/* Builtins but for a profile that does not lead to a directory. */
	return add_quoted(cmd, "p=", profile,
			  "; if cd -P -- \"$p\" 2>/dev/null; then echo \"profile $PWD\";"
			  " elif [ -e \"$p\" ]; then echo \"profile $(readlink -f -- \"$p\")\"; else echo profile; fi\n") < 0
		       ? ERR_NOMEM
		       : 0;
}

int remote_watch_probe(struct buf *cmd, const char *profile, char *const *paths, size_t n, int verify)
{
	size_t i;

	/* Builtins but for the head's profile that does not lead to a directory, and the verify rounds. */
	if (remote_watch_probe_head(cmd, profile) < 0 ||
	    buf_adds(cmd, "if cd -P /run/current-system 2>/dev/null; then echo \"current $PWD\"; fi\n") < 0 ||
	    remote_deadman_fired(cmd) < 0)
		return ERR_NOMEM;
	if (!n)
		return 0;
	if (buf_adds(cmd, "for q in") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (add_quoted(cmd, " ", paths[i], "") < 0)
			return ERR_NOMEM;
	if (buf_adds(cmd, "; do [ -e \"$q\" ] || echo \"missing $q\"; done\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	if (!verify)
		return 0;
	if (buf_adds(cmd, "if ! v=$(nix-store --verify-path") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++)
		if (add_quoted(cmd, " ", paths[i], "") < 0)
			return ERR_NOMEM;
	if (buf_adds(cmd, " 2>&1 >/dev/null); then echo verify-failed;"
			  " printf '%s\\n' \"$v\" | while read -r x; do echo \"verify $x\"; done; fi\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_token_check(const char *dir, size_t len)
{
	return remote_deadman_dir_check(dir, len);
}

int remote_confirm(struct buf *cmd, const char *dir)
{
	/* Claimed: stop the sleeping switch (its own process group under setsid) and clear up. */
	if (add_quoted(cmd, "d=", dir,
		       "; if mkdir -- \"$d/claim\" 2>/dev/null; then"
		       " if read -r w < \"$d/pid\"; then kill -- \"-$w\" 2>/dev/null || kill \"$w\" 2>/dev/null; fi;"
		       " rm -rf -- \"$d\"; echo chimera-confirmed;"
		       " else cat -- \"$d/result\" 2>/dev/null; exit 1; fi\n") < 0)
		return ERR_NOMEM;
	return 0;
}

int remote_deadman_report(struct buf *cmd, const char *dir)
{
	if (add_quoted(cmd, "d=", dir, "; cat -- \"$d/result\" 2>/dev/null; tail -n 5 -- \"$d/log\" >&2 2>/dev/null; rm -rf -- \"$d\"\n") < 0)
		return ERR_NOMEM;
	return 0;
}

void remote_activation_kind(const struct buf *out, char *kind, size_t len)
{
	static const char mark[] = "chimera-activation ";
	const char *p = out->len >= sizeof(mark) - 1 && memcmp(out->data, mark, sizeof(mark) - 1) == 0
				? out->data + sizeof(mark) - 1
				: NULL;
	size_t n = 0;

	if (!p) {
		snprintf(kind, len, "unknown");
		return;
	}
	while (p + n < out->data + out->len && p[n] != '\n')
		n++;
	snprintf(kind, len, "%.*s", (int)n, p);
}
