/*
 * The inventory: chimera.toml, the machines of a fleet with their names, tags and
 * settings, and the defaults they share. Read with formats/toml; edited in place with
 * targeted edits that keep comments and untouched lines byte for byte.
 */
#ifndef CHIMERA_APP_INVENTORY_H
#define CHIMERA_APP_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/healthspec.h"
#include "core/target.h"
#include "util/buf.h"

#define INV_NAME_MAX 63		/* a machine name: [A-Za-z0-9][A-Za-z0-9._-]* */
#define INV_TAGS_MAX 32
#define INV_CHECKS_MAX 16
#define INV_SSH_OPTS_MAX 16
#define INV_SESSIONS_MAX 32
#define INV_OWNER_MAX 65	/* "user[:group]" */

/* Where a setting's value came from, for `chimera config show`. */
enum inv_source { INV_FROM_DEFAULT, INV_FROM_FILE, INV_FROM_ENV, INV_FROM_FLAG };

const char *inv_source_name(enum inv_source s);	/* "default", "file", "env", "flag" */

/* The [defaults] table; each field with where it came from. */
struct inv_defaults {
	char user[TARGET_USER_MAX + 1];		/* "root" */
	enum inv_source user_from;
	uint16_t port;				/* 22 */
	enum inv_source port_from;
	char profile[1024];			/* PROFILE_DEFAULT */
	enum inv_source profile_from;
	char activation[1024];			/* "auto" */
	enum inv_source activation_from;
	char goal[16];				/* "switch" (core/goal.h) */
	enum inv_source goal_from;
	bool sudo;				/* log in as the user, act as root through SUDO_COMMAND */
	enum inv_source sudo_from;
	char sudo_command[256];			/* "sudo -n" */
	long parallel;				/* 64 */
	enum inv_source parallel_from;
	long connect_timeout;			/* 10 (seconds) */
	enum inv_source connect_timeout_from;
	struct health_spec *checks;		/* owned */
	size_t nchecks;
	enum inv_source checks_from;
	char secrets_owner[INV_OWNER_MAX + 1];	/* owner of pushed secrets, "user[:group]"; "": the login user */
};

/* A tmux session a machine must keep running (watch restarts it when it is gone). */
struct inv_session {
	char *name;			/* [A-Za-z0-9][A-Za-z0-9_-]*, at most 64 (tmux takes no '.') */
	char *command;
};

struct inv_machine {
	char name[INV_NAME_MAX + 1];
	struct target target;		/* target = "[user@]host[:port]", defaults' user and port filled in */
	char *tags[INV_TAGS_MAX];	/* owned */
	size_t ntags;
	char *profile;			/* NULL: the defaults' */
	char *activation;		/* NULL: the defaults' */
	char *goal;			/* NULL: the defaults' */
	int sudo;			/* 0: the defaults'; 1 yes, -1 no */
	char *sudo_command;		/* NULL: the defaults' */
	struct health_spec *checks;	/* owned; NULL/0: the defaults' */
	size_t nchecks;
	char *ssh_options[INV_SSH_OPTS_MAX];	/* "Key=Value" strings from ssh_options = [...]; owned */
	size_t nssh_options;
	struct inv_session sessions[INV_SESSIONS_MAX];	/* sessions = { NAME = "COMMAND", ... }; owned */
	size_t nsessions;
	char *secrets_owner;		/* NULL: the defaults' */
	/* Its configuration: file (+ attr), or a flake reference. Paths relative to chimera.toml's directory are made absolute. */
	char *config_file;
	char *config_attr;
	char *flake;
	int line;			/* of its [machines.NAME] header, 1-based */
};

struct inventory {
	char path[4096];		/* the file read; "" when there is none */
	struct inv_defaults defaults;
	struct inv_machine *machines;	/* in file order; owned */
	size_t n;
	struct inv_machine **by_target;	/* the machines sorted by target, for inventory_find_target; owned */
};

/* An empty inventory with built-in defaults (everything INV_FROM_DEFAULT). */
void inventory_init(struct inventory *inv);
void inventory_release(struct inventory *inv);

/*
 * Parse LEN bytes of TOML TEXT (named PATH in messages) into INV (initialised by the
 * caller). Top-level tables: [defaults] and [machines.NAME]; keys:
 *   [defaults]: user (string), port (integer 1-65535), profile (absolute path string),
 *     activation (string: auto, none or a command), parallel (integer 1-4096),
 *     connect_timeout (integer seconds 1-3600), checks (array of health check strings),
 *     secrets_owner (string "user[:group]")
 *   [machines.NAME]: target (string, required), tags (array of strings), profile,
 *     activation, checks, secrets_owner (as above), ssh_options (array of "Key=Value"
 *     strings), sessions (table of NAME = "COMMAND"),
 *     config (string: a .nix file), attr (string, with config), flake (string REF#ATTR;
 *     not with config)
 * Anything else (an unknown key or table, a wrong type, a bad value, a duplicate name
 * or target) is ERR_INVALID with "PATH:LINE:COL: " and what was expected. Values read
 * from the file are INV_FROM_FILE.
 */
int inventory_parse(const char *path, const char *text, size_t len, struct inventory *inv);

/* Read and parse PATH. ERR_NOTFOUND when it does not exist. */
int inventory_load(const char *path, struct inventory *inv);

/* The machine called NAME, or NULL. */
const struct inv_machine *inventory_find(const struct inventory *inv, const char *name);

/* Where CHIMERA_* variables come from: GET(NAME, ARG) returns a value or NULL (getenv). */
struct inv_env {
	const char *(*get)(const char *name, void *arg);
	void *arg;
};

/*
 * Put the CHIMERA_USER, _PORT, _PROFILE, _ACTIVATION, _PARALLEL and _CONNECT_TIMEOUT
 * variables that are set (non-empty) over INV's [defaults], marking them INV_FROM_ENV: the
 * variables rank above the file. Returns 0 or ERR_INVALID naming the variable and the
 * expected form.
 */
int inventory_apply_env(struct inventory *inv, const struct inv_env *env);

/*
 * The profile (activation) for machine M (may be NULL) by precedence: FLAG (the command's
 * option, may be NULL), then a CHIMERA_* variable (it sets every node's), then M's own,
 * then [defaults]', then the built-in default.
 */
const char *inventory_profile(const struct inventory *inv, const struct inv_machine *m, const char *flag);
const char *inventory_activation(const struct inventory *inv, const struct inv_machine *m, const char *flag);
const char *inventory_goal(const struct inventory *inv, const struct inv_machine *m, const char *flag);
/* Whether M is reached through sudo (FLAG > 0: --sudo), and with which command. */
bool inventory_sudo(const struct inventory *inv, const struct inv_machine *m, int flag);
const char *inventory_sudo_command(const struct inventory *inv, const struct inv_machine *m);

/*
 * Sort the index inventory_find_target searches again, after machines' targets were
 * changed in place (the runtime resolves them with the ssh config). Returns 0 or ERR_NOMEM.
 */
int inventory_reindex(struct inventory *inv);

/* The machine whose target is T, or NULL (a binary search: fine once per node of thousands). */
const struct inv_machine *inventory_find_target(const struct inventory *inv, const struct target *t);

/*
 * Edit TEXT (LEN bytes of chimera.toml, named PATH in messages) into OUT: append a
 * [machines.NAME] table with target and, when NTAGS > 0, tags. Every existing byte is
 * kept. ERR_INVALID when NAME is not a valid machine name, NAME exists already, TARGET
 * does not parse or is another machine's, or a tag is bad; the text must parse (its
 * errors are returned as they are).
 */
int inventory_edit_add(const char *path, const char *text, size_t len, const char *name, const char *target,
		       const char *const *tags, size_t ntags, struct buf *out);

/*
 * Edit TEXT into OUT without the [machines.NAME] table: the lines from its header to its
 * last key (comments between them included), and the blank line before it when it is the
 * last thing in the file (so rm undoes add byte for byte). Comments before the header or
 * after the last key, and every other byte, are kept. ERR_NOTFOUND when there is no such
 * machine.
 */
int inventory_edit_rm(const char *path, const char *text, size_t len, const char *name, struct buf *out);

#endif
