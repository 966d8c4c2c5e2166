/* What every command shares: global options, the command table, state dir, output helpers. */
#ifndef CHIMERA_CLI_CLI_H
#define CHIMERA_CLI_CLI_H

#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdbool.h>

#include "app/config/inventory.h"
#include "runtime/world.h"
#include "core/target.h"
#include "ports/ledger.h"
#include "util/log.h"

/* What a command returns; cmd_exit_code maps it to the process exit status. */
enum cmd_status {
	CMD_OK,		/* 0: all good */
	CMD_ERROR,	/* 1: it failed */
	CMD_USAGE,	/* 2: bad usage or input */
	CMD_PARTIAL,	/* 3: some nodes failed */
};

struct cli {
	const char *state_dir_opt;	/* --state-dir, or NULL */
	const char *config_opt;		/* --config FILE before the command, or NULL */
	const char *ledger_opt;		/* --ledger URL, or NULL */
	const char *ssh_config_opt;	/* --ssh-config FILE, or NULL */
	const char *server;		/* --server URL, else $CHIMERA_SERVER, or NULL: act here (cli/remote.h) */
	bool server_flag;		/* SERVER came from --server, not the environment */
	const char *token_file;		/* --token-file FILE, or NULL */
	char state_dir[PATH_MAX];	/* resolved by cli_state_dir */
	bool json;
	int verbose;
	bool quiet;
	struct log_config log;
	const struct cmd_entry *cmd;	/* the command being run */
	struct world world;		/* opened from the options above (runtime/) */
};

/*
 * The inventory: --config FILE, else $CHIMERA_CONFIG, else ./chimera.toml when it exists
 * (else an empty one), with CHIMERA_* variables over the file's [defaults]. Loaded once.
 * Returns 0 with *OUT set, or the error (ERR_NOTFOUND for a named file that is missing,
 * ERR_INVALID with file:line:col).
 */
int cli_inventory(struct cli *cli, const struct inventory **out);

/* Where the inventory came from: "flag", "env", "file" (./chimera.toml) or "default" (none). */
const char *cli_inventory_source(const struct cli *cli);

void cli_release(struct cli *cli);

struct cmd_entry {
	const char *name;
	const char *summary;	/* one line for `chimera --help` */
	const char *usage;	/* synopsis lines, without "usage: " */
	const char *help;	/* the options and what the command does */
	enum cmd_status (*exec)(struct cli *cli, int argc, char **argv);
	/*
	 * A command of subcommands (NULL-ended; NULL for the others): each named "CMD SUB",
	 * run by main for `chimera CMD SUB ...` with argv[0] SUB, its own usage and --help.
	 * EXEC then runs only for no SUB or an unknown one (cmd_subs_unknown).
	 */
	const struct cmd_entry *const *subs;
};

/* The subcommand of CMD named WORD (the part of its name after "CMD "), or NULL. */
const struct cmd_entry *cmd_sub_find(const struct cmd_entry *cmd, const char *word);

/* For a command of subcommands run without one (ARGC 1) or with an unknown ARGV[1]: the usage error naming them. */
enum cmd_status cmd_subs_unknown(struct cli *cli, int argc, char **argv);

int cmd_exit_code(enum cmd_status s);

/* Resolve the state dir (--state-dir, CHIMERA_STATE_DIR, XDG_STATE_HOME, ~/.local/state) and create it 0700. */
int cli_state_dir(struct cli *cli);

/* A new handle on the ledger (--ledger URL, else the state dir's); the caller closes it. */
int cli_open_ledger(struct cli *cli, struct ledger **out);

/*
 * Fill L from -t SPEC and/or --targets-file FILE (one element a line, # comments), less
 * --exclude EXCLUDE (may be NULL). An element is a machine of the inventory (its name,
 * @TAG, a glob on names, all), "@lab" (every lab node), or a target written out
 * ([user@]host[:port], local). With machines in the inventory, a bare word that names
 * none is an error, not a host. Returns 0 or ERR_INVALID naming the bad element.
 */
int cli_targets(struct cli *cli, const char *spec, const char *exclude, const char *file, struct target_list *l);

/*
 * The message of the last error cli_fail or cli_usage printed on this thread, "" when none
 * since cli_clear_error: what a caller that shows errors itself (the dash) says.
 */
const char *cli_last_error(void);
void cli_clear_error(void);

/* Print "chimera CMD: error: MSG" (or a JSON error object with --json). Returns CMD_ERROR. */
enum cmd_status cli_fail(struct cli *cli, enum cmd_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Print a usage error and the command's synopsis. Returns CMD_USAGE. */
enum cmd_status cli_usage(struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct option;
/*
 * What getopt_long just refused (it returned '?' for argv[optind - 1], LONGOPTS the table
 * it was given): "unknown option 'X'", "option 'X' needs a value" or "option 'X' takes no
 * value". A static buffer: valid until the next call.
 */
const char *cli_bad_option(char **argv, const struct option *longopts);

/*
 * Print err_msg() for error R: as a usage error (with the synopsis, CMD_USAGE) when R is
 * ERR_INVALID, the input being bad; else as an error (CMD_ERROR). Returns that status.
 */
enum cmd_status cli_fail_err(struct cli *cli, int r);

/*
 * The status of a command whose report is printed: ST, unless the ledger did not take every
 * event (LEDGER_ERR is not 0): then that is printed with LEDGER_MSG and CMD_ERROR returned.
 */
enum cmd_status cli_ledger_status(struct cli *cli, int ledger_err, const char *ledger_msg, enum cmd_status st);

/* Print the command's full help to stdout. Returns CMD_OK. */
enum cmd_status cli_help(struct cli *cli);

/* Parse a decimal integer in [MIN, MAX] for option NAME. Returns 0 or ERR_INVALID. */
int cli_int(const char *name, const char *s, long min, long max, long *out);

/* Print DOC indented on stdout and drop the reference. DOC may be NULL (out of memory). */
void cli_print_json(json_t *doc);

/* Print TEXT (a rendered JSON document from app/, may be NULL) on stdout and free it. */
void cli_print_json_text(char *text);

/* "512 B", "1.5 KiB", "2.0 MiB" into OUT. */
void cli_bytes(uint64_t bytes, char *out, size_t len);

/* Every command, in the order --help lists them. */
extern const struct cmd_entry cmd_deploy_entry;
extern const struct cmd_entry cmd_watch_entry;
extern const struct cmd_entry cmd_dash_entry;
extern const struct cmd_entry cmd_serve_entry;
extern const struct cmd_entry cmd_mcp_entry;
extern const struct cmd_entry cmd_pipeline_entry;
extern const struct cmd_entry cmd_simulate_entry;
extern const struct cmd_entry cmd_certify_entry;
extern const struct cmd_entry cmd_heal_entry;
extern const struct cmd_entry cmd_machines_entry;
extern const struct cmd_entry cmd_hostfactory_entry;
extern const struct cmd_entry cmd_config_entry;
extern const struct cmd_entry cmd_deployments_entry;
extern const struct cmd_entry cmd_events_entry;
extern const struct cmd_entry cmd_exec_entry;
extern const struct cmd_entry cmd_secrets_entry;
extern const struct cmd_entry cmd_tokens_entry;
extern const struct cmd_entry cmd_nix_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_sessions_entry;
extern const struct cmd_entry cmd_attach_entry;
extern const struct cmd_entry cmd_facts_entry;
extern const struct cmd_entry cmd_services_entry;
extern const struct cmd_entry cmd_generations_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_lab_entry;
extern const struct cmd_entry cmd_vm_entry;
extern const struct cmd_entry cmd_ledger_entry;
extern const struct cmd_entry cmd_rollback_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_toml_decode_entry;
extern const struct cmd_entry cmd_version_entry;

extern const struct cmd_entry *const cmd_table[];

#endif
