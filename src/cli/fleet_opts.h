/* Options and set-up shared by the commands that work on a fleet (deploy, status, generations, rollback). */
#ifndef CHIMERA_CLI_FLEET_OPTS_H
#define CHIMERA_CLI_FLEET_OPTS_H

#include <getopt.h>
#include <limits.h>

#include "app/fleet/fleet.h"
#include "ports/nix.h"
#include "cli/cli.h"

enum {
	FLEET_OPT_TARGETS = 't',
	FLEET_OPT_TARGETS_FILE = 1000,
	FLEET_OPT_PARALLEL,
	FLEET_OPT_CONNECT_TIMEOUT,
	FLEET_OPT_TIMEOUT,
	FLEET_OPT_ACCEPT_NEW,
	FLEET_OPT_PROFILE,
	FLEET_OPT_EXCLUDE,
	FLEET_OPT_ACTIVATE,
	FLEET_OPT_LOCK_WAIT,
	FLEET_OPT_GOAL,
	FLEET_OPT_SUDO,
	FLEET_OPT_STALL_TIMEOUT,
	FLEET_OPT_ACTIVATION_TIMEOUT,
	SOURCE_OPT_CONFIG = 'c',
	SOURCE_OPT_ATTR = 'A',
	SOURCE_OPT_ARG = 1100,
	SOURCE_OPT_ARGSTR,
	SOURCE_OPT_FLAKE,
	SOURCE_OPT_EXPECT,
	MAGIC_OPT_CONFIRM_TIMEOUT = 1400,
	MAGIC_OPT_NO_MAGIC,
};

/* The getopt_long entries naming the expected configuration. */
#define SOURCE_OPTIONS                                                   \
	{ "config", required_argument, NULL, SOURCE_OPT_CONFIG },        \
	{ "attr", required_argument, NULL, SOURCE_OPT_ATTR },            \
	{ "arg", required_argument, NULL, SOURCE_OPT_ARG },              \
	{ "argstr", required_argument, NULL, SOURCE_OPT_ARGSTR },        \
	{ "flake", required_argument, NULL, SOURCE_OPT_FLAKE },          \
	{ "expect", required_argument, NULL, SOURCE_OPT_EXPECT }

#define SOURCE_OPTIONS_HELP                                                                   \
	"  -c, --config FILE.nix    the Nix file to build\n"                                     \
	"  -A, --attr ATTR          the attribute of FILE.nix to build\n"                        \
	"  --arg NAME VALUE         pass a Nix expression argument to FILE.nix\n"                \
	"  --argstr NAME VALUE      pass a string argument to FILE.nix\n"                        \
	"  --flake REF#ATTR         build a flake output instead\n"                              \
	"  --expect STOREPATH       a store path already built\n"

/* What the source options gathered. */
struct cli_source {
	struct nix_source src;
	const char *expect;
};

/*
 * Take option C (from SOURCE_OPTIONS); --arg and --argstr also take the next word of
 * ARGV. Returns 1 when it was one, 0 when not, or ERR_INVALID.
 */
int cli_source_opt(struct cli_source *s, int c, int argc, char **argv);

/* 0 when no source was given, 1 when exactly one was (and it is well formed), else ERR_INVALID. */
int cli_source_check(const struct cli_source *s);

/* The expected store path: --expect, or the result of building the source. */
int cli_source_path(struct cli *cli, const struct cli_source *s, char out[STOREPATH_MAX]);

/* The help line of --sudo. */
#define FLEET_SUDO_HELP                                                                               \
	"  --sudo                   log in as the target's user, run every command as root\n"         \
	"                           through its sudo command (default \"sudo -n\"; chimera.toml's\n" \
	"                           sudo and sudo_command set it per machine)\n"

/* The getopt_long entries of every command that reaches a fleet: targets and connections. */
#define FLEET_REACH_OPTIONS                                                            \
	{ "targets", required_argument, NULL, FLEET_OPT_TARGETS },                     \
	{ "targets-file", required_argument, NULL, FLEET_OPT_TARGETS_FILE },           \
	{ "exclude", required_argument, NULL, FLEET_OPT_EXCLUDE },                     \
	{ "parallel", required_argument, NULL, FLEET_OPT_PARALLEL },                   \
	{ "connect-timeout", required_argument, NULL, FLEET_OPT_CONNECT_TIMEOUT },     \
	{ "timeout", required_argument, NULL, FLEET_OPT_TIMEOUT },                     \
	{ "accept-new-host-keys", no_argument, NULL, FLEET_OPT_ACCEPT_NEW },           \
	{ "sudo", no_argument, NULL, FLEET_OPT_SUDO },                                 \
	{ "stall-timeout", required_argument, NULL, FLEET_OPT_STALL_TIMEOUT }

/* The getopt_long entries every fleet command on profiles takes. */
#define FLEET_OPTIONS                                                                  \
	FLEET_REACH_OPTIONS,                                                           \
	{ "profile", required_argument, NULL, FLEET_OPT_PROFILE }

/* --activate MODE and --goal GOAL of the commands that switch profiles (deploy, watch, rollback, pipeline): cli_fleet_opt takes them. */
#define FLEET_ACTIVATE_OPTION                                                          \
	{ "activate", required_argument, NULL, FLEET_OPT_ACTIVATE },                   \
	{ "goal", required_argument, NULL, FLEET_OPT_GOAL },                           \
	{ "activation-timeout", required_argument, NULL, FLEET_OPT_ACTIVATION_TIMEOUT }

/* The help line of --goal. */
#define FLEET_GOAL_HELP                                                                               \
	"  --goal GOAL              switch (the default, or [defaults] goal / a machine's goal):\n"   \
	"                           set the profile and activate; boot: set the profile, activate\n" \
	"                           at the next boot (switch-to-configuration boot); test:\n"        \
	"                           activate, leave the profile; dry-activate: change nothing,\n"    \
	"                           show what activation would do (docs/deploy.md)\n"                 \
	"  --activation-timeout S   give up on activation after S seconds (default 240, or\n"      \
	"                           --timeout when that is shorter)\n"

/* The operation's goal once world_open_fleet completed F's reach (its name was checked). */
struct cli_fleet;
enum goal cli_fleet_goal(const struct cli_fleet *f);

/* The magic rollback options of deploy, watch and pipeline: a dead-man switch confirmed in time, or none. */
#define MAGIC_OPTIONS                                                                  \
	{ "confirm-timeout", required_argument, NULL, MAGIC_OPT_CONFIRM_TIMEOUT },     \
	{ "no-magic-rollback", no_argument, NULL, MAGIC_OPT_NO_MAGIC }

/* What MAGIC_OPTIONS gathered; all zero is the default (on, 30 seconds). */
struct cli_magic {
	long confirm_s;		/* --confirm-timeout, 0 when not given */
	bool off;		/* --no-magic-rollback */
};

/* Take option C with ARG: 1 when it was one of MAGIC_OPTIONS, 0 when not, or ERR_INVALID. */
int cli_magic_opt(struct cli_magic *m, int c, const char *arg);

/* The seconds a node waits for its confirmation: 0 when magic rollback is off, else --confirm-timeout or 30. */
long cli_magic_confirm_s(const struct cli_magic *m);

/* The getopt_long entry of every command that changes nodes (they take node leases). */
#define LEASE_OPTIONS { "lock-wait", required_argument, NULL, FLEET_OPT_LOCK_WAIT }

#define LEASE_OPTIONS_HELP                                                                          \
	"  --lock-wait S            wait up to S seconds for a node another operation holds\n"      \
	"                           (default 10; 0: do not wait); still held: that node fails\n"     \
	"                           naming its holder, the others go on (exit 3)\n"

/* The whole getopt_long table of a command whose options are FLEET_OPTIONS, or FLEET_REACH_OPTIONS. */
extern const struct option cli_fleet_options[];
extern const struct option cli_fleet_reach_options[];
/* FLEET_REACH_OPTIONS and LEASE_OPTIONS: the commands on reach alone that change nodes (sessions, services). */
extern const struct option cli_fleet_lease_options[];

/* The help lines for FLEET_OPTIONS. */
#define FLEET_OPTIONS_HELP                                                                          \
	"  -t, --targets LIST       comma-separated: machines of chimera.toml (NAME, @TAG, a\n"     \
	"                           glob like web-*, all), [user@]host[:port], '@lab' (every\n"     \
	"                           lab node), 'local' (the controller itself, no SSH)\n"           \
	"  --exclude LIST           leave these out (same forms)\n"                                  \
	"  --targets-file FILE      one element a line; '#' starts a comment\n"                       \
	"  --profile PATH           the Nix profile (default: [defaults] profile, else\n"           \
	"                           " PROFILE_DEFAULT ")\n"                                          \
	"  --parallel N             nodes in flight at once (default: [defaults], else 64)\n"       \
	"  --connect-timeout S      give up connecting after S seconds (default: [defaults],\n"     \
	"                           else 10)\n"                                                      \
	"  --timeout S              give up on one step after S seconds (default 600)\n"              \
	"  --stall-timeout S        fail a node that sends nothing for S seconds, not even an\n"      \
	"                           answer to a keepalive (default 60; 0: never)\n"                 \
	"  --accept-new-host-keys   add unknown host keys to known_hosts (a changed key is\n"         \
	"                           always refused)\n"                                               \
	FLEET_SUDO_HELP

/* The help lines of the reach options for the commands whose targets default to 'local' (run, sessions). */
#define LOCAL_REACH_OPTIONS_HELP                                                                     \
	"  -t, --targets LIST       comma-separated: machines of chimera.toml (NAME, @TAG, a\n"     \
	"                           glob like web-*, all), [user@]host[:port], '@lab',\n"          \
	"                           'local'; default: local\n"                                    \
	"  --exclude LIST           leave these out (same forms)\n"                                 \
	"  --targets-file FILE      one element a line; '#' starts a comment\n"                      \
	"  --parallel N             nodes in flight at once (default 64)\n"                        \
	"  --connect-timeout S      give up connecting after S seconds (default 10)\n"

struct cli_fleet {
	const char *spec;
	const char *exclude;
	const char *file;
	struct world_reach reach;	/* the flags; completed from the inventory by cli_fleet_open */
	/* Filled by cli_fleet_open. */
	struct target_list targets;
	struct world_fleet w;		/* the executors, the ledger, each machine's settings */
};

/*
 * Start a fleet command's parse: F cleared (no flags, no targets) and getopt made to start
 * over on the command's own arguments (optind 0, opterr 0: the command prints its errors).
 */
void cli_fleet_init(struct cli_fleet *f);

/*
 * Take option C (from FLEET_OPTIONS) with ARG. Returns 1 when it was one, 0 when it is
 * not a fleet option, or ERR_INVALID naming the bad value.
 */
int cli_fleet_opt(struct cli_fleet *f, int c, const char *arg);

/*
 * Take option C with ARG for a command whose options are all F's (ARGV and LONGOPTS, the
 * command's, name a bad option: cli_bad_option). Returns CMD_OK, or CMD_USAGE with the
 * usage error printed (a bad value, a missing one, or an option that is not a fleet option).
 */
enum cmd_status cli_fleet_opt_only(struct cli *cli, struct cli_fleet *f, int c, const char *arg, char **argv,
				   const struct option *longopts);

struct deploy_ctx;

/*
 * What deploy and watch run on: cli_fleet_open, then the spool directory STATE/tmp (into
 * TMP, PATH_MAX bytes) and Nix; CTX gets F's fleet and the Nix adapter (closed by the
 * caller). Returns CMD_OK, or the status to exit with, the message printed.
 */
enum cmd_status cli_deploy_open(struct cli *cli, struct cli_fleet *f, struct deploy_ctx *ctx, char *tmp);

/* Resolve targets, open the ledger and the executors (world_open_fleet). Returns 0 or an error (message set). */
int cli_fleet_open(struct cli *cli, struct cli_fleet *f);

void cli_fleet_close(struct cli_fleet *f);

struct cli_checks;

/* The option parsers a fleet command shares: FLEET always; the others when it takes them, else NULL. */
struct cli_opts {
	struct cli_fleet *fleet;
	struct cli_source *source;
	struct cli_checks *checks;
	struct cli_magic *magic;
};

/*
 * The next option of ARGV that is the command's own, into *C (optarg its argument):
 * getopt_long with SHORTOPTS and LONGOPTS, every option that one of P's parsers takes
 * given to it first (fleet, source, checks, magic). getopt starts over at
 * cli_fleet_init. Returns 1 with *C set, 0 at the end of the options (optind at the first
 * operand), or the error of a bad value (ERR_INVALID, ERR_NOMEM; message set).
 */
int cli_opts_next(const struct cli_opts *p, int argc, char **argv, const char *shortopts,
		  const struct option *longopts, int *c);

/* The exit status for OK nodes of TOTAL: all, some, none. */
enum cmd_status cli_fleet_status(size_t ok, size_t total);

#endif
