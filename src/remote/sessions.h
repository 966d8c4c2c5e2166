/* tmux sessions on nodes (socket "chimera"): names, the commands sent, and their listing parsed. */
#ifndef CHIMERA_REMOTE_SESSIONS_H
#define CHIMERA_REMOTE_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define SESSION_NAME_MAX 64
#define SESSION_SOCKET "chimera"	/* every session lives on `tmux -L chimera` of the node's user */
#define SESSION_OPTION "@chimera_cmd"	/* the session option holding the command it was started with */
#define SESSION_EXISTS_STATUS 73	/* the start command's exit status when the name is taken */
#define SESSION_MISSING_STATUS 74	/* the kill command's exit status when there is no such session */
#define SESSION_ENV_MAX 16		/* most variables in session_spec.env */

/*
 * 0 when NAME is 1 to 64 of A-Z a-z 0-9 _ - not starting with '-'. '.' and ':' are refused:
 * tmux turns them into '_' and reads them as window and pane separators in targets.
 * Else ERR_INVALID with a message quoting NAME and the expected form.
 */
int sessions_name_check(const char *name);

/* What to start. */
struct session_spec {
	const char *name;		/* checked with sessions_name_check */
	const char *command;		/* a shell command line, run by /bin/sh -c inside the session */
	const char *path_dir;		/* NULL, or a store path whose bin/ goes first on PATH */
	const char *const *env;		/* NULL, or NULL-terminated "NAME=VALUE" strings exported first */
	const char *shown;		/* what listing shows as the command; NULL: COMMAND */
	bool replace;			/* an existing session of that name is killed first, not an error */
};

/* Node-side shell commands; every value is checked here and quoted with shell_quote. */

/*
 * Append to CMD the command that starts SPEC's session detached and keeps SPEC->shown (or
 * its command) in SESSION_OPTION. It prints "chimera-started" or "chimera-replaced" and exits
 * 0; exits SESSION_EXISTS_STATUS (printing "chimera-exists") when the name is taken and
 * SPEC->replace is false, 127 without tmux. Returns 0 or ERR_INVALID naming the bad field.
 */
int sessions_cmd_start(struct buf *cmd, const struct session_spec *spec);

/* The command listing the sessions, one line each for sessions_parse_list; nothing when there are none. */
int sessions_cmd_list(struct buf *cmd);

/* The command killing session NAME; exits SESSION_MISSING_STATUS when there is none. */
int sessions_cmd_kill(struct buf *cmd, const char *name);

/* The command exiting 0 when session NAME exists, 1 when not, else with tmux's error. */
int sessions_cmd_has(struct buf *cmd, const char *name);

/*
 * The command that writes its stdin to a file for session NAME in the node user's
 * ${XDG_STATE_HOME:-$HOME/.local/state}/chimera/run (per user: not /var, which lab nodes
 * share), as NAME.SUFFIX (SUFFIX: [a-z]{1,8}), and prints "chimera-file PATH".
 */
int sessions_cmd_stage(struct buf *cmd, const char *name, const char *suffix);

/* `nix-shell FILE --run COMMAND`, both quoted, appended to CMD. Returns 0 or ERR_NOMEM. */
int sessions_cmd_nix_shell(struct buf *cmd, const char *file, const char *command);

/*
 * Encode the command text S for SESSION_OPTION: one line of printable text ("\\", "\n", "\t",
 * "\xNN" escapes) that never ends with ';' (tmux would take that as a command separator).
 * sessions_unescape reverses it (unknown escapes are kept as they are). Both return 0 or a buf error.
 */
int sessions_escape(struct buf *out, const char *s);
int sessions_unescape(struct buf *out, const char *s, size_t len);

/* One session as listed. */
struct session_info {
	char name[SESSION_NAME_MAX + 1];
	int64_t created;	/* epoch seconds */
	int attached;		/* clients attached */
	char *command;		/* owned; "" when it was not started by chimera */
};

struct session_list {
	struct session_info *items;	/* owned */
	size_t n;
};

void session_list_release(struct session_list *l);

/*
 * Parse LEN bytes of the list command's output (lines "NAME\tCREATED\tATTACHED\tCOMMAND")
 * into L (emptied first; release it even on failure). Returns 0, or ERR_INVALID naming the
 * bad line and what was expected.
 */
int sessions_parse_list(const char *data, size_t len, struct session_list *l);

#endif
