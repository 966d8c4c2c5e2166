/* What deploy, status, generations and rollback share: executors per target, node probes. */
#ifndef CHIMERA_APP_FLEET_H
#define CHIMERA_APP_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/profile.h"
#include "core/target.h"
#include "ports/executor.h"
#include "ports/http.h"
#include "ports/ledger.h"
#include "util/buf.h"

#define FLEET_TAIL 2048		/* bytes of stderr kept for a failed step */
#define FLEET_PARALLEL_DEFAULT 64

/* The parts a fleet operation runs on. */
struct fleet {
	struct executor *ssh;	/* every target but "local" */
	struct executor *local;	/* the target "local"; may be NULL when none is used */
	struct ledger *ledger;
	struct http *http;	/* health checks' http: and tcp: (NULL: they fail) */
	int parallel;		/* nodes in flight at once */
	long step_timeout_s;	/* one step on one node; 0: the executor's default */
	/*
	 * A target's own profile and activation (from its machine in the inventory), over the
	 * operation's: fills the fields it has and leaves the others NULL. May be NULL.
	 */
	void (*node_settings)(const struct target *t, const char **profile, const char **activate, void *arg);
	void *node_settings_arg;
};

/* T's profile: its own (f->node_settings), else DFLT. */
const char *fleet_profile(const struct fleet *f, const struct target *t, const char *dflt);

/* T's activation: its own, else DFLT. */
const char *fleet_activate(const struct fleet *f, const struct target *t, const char *dflt);

/* True for the target spelled "local": the controller itself, reached without SSH. */
bool fleet_is_local(const struct target *t);

/* The executor for T, or NULL with ERR_UNSUPPORTED set when it has none. */
struct executor *fleet_executor(const struct fleet *f, const struct target *t);

/* A node's name in reports and events: "local", or user@host:port. */
void fleet_node_name(const struct target *t, char *buf, size_t len);

struct fleet_failure;

/*
 * Connect to T with its executor: *EX and *S on success; else FAIL says why (step
 * "connect") and the error is returned.
 */
int fleet_connect(const struct fleet *f, const struct target *t, struct executor **ex, struct exec_session **s,
		  struct fleet_failure *fail);

/* Why a step failed, kept for the report and the node.failed event. */
struct fleet_failure {
	const char *step;	/* NULL while nothing failed */
	int err;		/* the ERR_* code, 0 when the command ran and exited non-zero */
	int status;		/* the command's exit status, -1 when it did not run to its end */
	char message[512];
	char stderr_tail[FLEET_TAIL + 1];
};

/*
 * Run CMD as step STEP in S. Returns 0 when it ran and exited 0; otherwise fills F (step,
 * status, message, stderr tail) and returns the error, or ERR_IO for a non-zero exit.
 * RES (initialised and released by the caller) keeps the output.
 */
int fleet_step(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *step,
	       const char *cmd, const struct exec_input *in, struct exec_result *res, struct fleet_failure *fail);

/*
 * Judge a command run as step STEP: R is what the executor's run returned, RES what the
 * command did. Returns and fills FAIL as fleet_step does.
 */
int fleet_judge(struct fleet_failure *fail, const char *step, int r, const struct exec_result *res);

/*
 * Read PROFILE in S into GENS, as step STEP. With EXPECTED (may be ""), first `readlink -f`
 * alone: a node on the expected path (the usual case) answers with one exec and no fork,
 * and GENS then holds only current_path. Any other answer gets the full probe (link,
 * generation, path) on the same session. Returns 0, or an error with FAIL filled.
 */
int fleet_read_profile(const struct fleet *f, struct executor *ex, struct exec_session *s, const char *step,
		       const char *profile, const char *expected, struct gen_list *gens, struct fleet_failure *fail);

/* Fill F for a step that failed with error R (message from err_msg()). */
void fleet_fail(struct fleet_failure *fail, const char *step, int r);

/*
 * Shell commands run on nodes. Every value is validated by the caller and quoted here.
 * probe_current prints "link L" and "path P" lines for PROFILE (nothing when it does not
 * exist); probe_generations adds a "gen NUM EPOCH PATH" line per generation.
 */
int remote_probe_current(struct buf *cmd, const char *profile);
int remote_probe_generations(struct buf *cmd, const char *profile);
/*
 * PROFILE fully resolved: `cd -P` and `pwd` (shell builtins, no process) when it leads to a
 * directory, else one exec of `readlink -f`. The cheapest way to confirm a node is on a path.
 */
int remote_probe_resolved(struct buf *cmd, const char *profile);
/*
 * probe_current, then one line per path of the N PATHS that is absent from the node's
 * store. Absent means missing; present is taken as valid until Nix says otherwise (a valid
 * path's references are valid, so `nix-env --set` of the top path vouches for the rest).
 * With LIST (a file on the node from remote_stash), the paths are read from it instead.
 */
int remote_check_paths(struct buf *cmd, const char *profile, char *const *paths, size_t n, const char *list);
/* `nix-store --check-validity --print-invalid` of the N PATHS (or those in LIST): Nix's own word on each. */
int remote_invalid_paths(struct buf *cmd, char *const *paths, size_t n, const char *list);
/* Read a `nix-store --export` stream on stdin into the node's store. */
int remote_import(struct buf *cmd);

/*
 * A command line carries at most what one SSH packet does (sshd takes 256 KiB); paths
 * beyond REMOTE_INLINE_MAX bytes go to the node as a file instead: remote_stash writes its
 * stdin to a new private file under /tmp and prints the name, which remote_stash_parse
 * checks and copies to FILE (LEN bytes); remote_remove deletes it.
 */
#define REMOTE_INLINE_MAX (128 * 1024)
bool remote_paths_fit(char *const *paths, size_t n);
int remote_stash(struct buf *cmd);
int remote_stash_parse(const struct buf *out, char *file, size_t len);
int remote_remove(struct buf *cmd, const char *file);
/* Point PROFILE at its generation GEN. */
int remote_switch_generation(struct buf *cmd, const char *profile, uint32_t gen);
/*
 * Activate PATH. MODE "auto": PATH/bin/switch-to-configuration switch, else PATH/bin/activate,
 * else nothing; "none": nothing; anything else is a shell command run by sh -c with PATH as
 * $1 and in CHIMERA_STORE_PATH. The command prints "chimera-activation WHAT" first.
 */
int remote_activate(struct buf *cmd, const char *path, const char *mode);
/*
 * A node's whole deploy of PATH to PROFILE as one command, each step's end marked by a line
 * on stdout, so a node costs one channel (one sshd session process, one shell):
 *   check     remote_check_paths for the N closure PATHS (or LIST), then "chimera-ready". It
 *             then reads one line from stdin: EOF ends the command there with status 0 (a
 *             dry run, or nothing to do); else "copy MODE GEN" or "- MODE GEN".
 *   copy      with "copy": `nix-store --import` of the rest of stdin, then "chimera-copied";
 *             a path still absent after it (gone from the disk but registered, which the
 *             import passes by) makes it print "chimera-stale P..." and exit 75.
 *   switch    MODE "set": `nix-env --set` (directory made when missing); "valid": the
 *             profile is already on PATH, `nix-store --check-validity` proves PATH valid.
 *             Then "chimera-switched".
 *   arm       with CONFIRM_S > 0, MODE "set" and GEN a number (not "-"): the dead-man switch
 *             is started detached (setsid, stdio to a file): unless remote_confirm claims its
 *             directory within CONFIRM_S seconds, the node switches back to generation GEN
 *             and activates it by itself. Prints "chimera-armed DIR".
 *   activate  as remote_activate (its "chimera-activation WHAT" line), then "chimera-activated".
 *   confirm   "chimera-profile P": PROFILE resolved.
 * A failing step ends the command with its status; the last marker says which step it was.
 * With MODE given here (and PREV_GEN for GEN, 0 for none), the command starts at switch.
 */
int remote_deploy(struct buf *cmd, const char *profile, char *const *paths, size_t n, const char *list,
		  const char *path, const char *activate, long confirm_s, const char *mode, uint32_t prev_gen);
/*
 * What watch looks at on a node, in one command: "profile P" (PROFILE resolved; bare
 * "profile" when there is none), "current C" where /run/current-system exists, "missing Q"
 * for each of the N PATHS absent, and with VERIFY `nix-store --verify-path` of them: when it
 * fails, "verify-failed" and each line it printed as "verify LINE". Builtins only, but on
 * verify rounds.
 */
int remote_watch_probe(struct buf *cmd, const char *profile, char *const *paths, size_t n, int verify);

/*
 * The probe's first line, the only part that names PROFILE: a probe for another profile
 * is this line for it followed by what comes after this line in one already made.
 */
int remote_watch_probe_head(struct buf *cmd, const char *profile);
/*
 * Unregister and delete the N PATHS (stale: registered but gone from the disk), whatever
 * roots they have. Nix refuses while a valid path still refers to one of them.
 */
int remote_purge(struct buf *cmd, char *const *paths, size_t n);
#define REMOTE_STALE_STATUS 75
#define REMOTE_TOKEN_MAX 48
/* 0 when the LEN bytes at DIR are a dead-man directory name as remote_deploy makes them. */
int remote_token_check(const char *dir, size_t len);
/*
 * Claim DIR for the controller (the node then keeps its new generation): prints
 * "chimera-confirmed" and exits 0, or, when the dead-man switch claimed it first, prints
 * its result so far and exits 1.
 */
int remote_confirm(struct buf *cmd, const char *dir);
/* After the switch fired: print its result ("rolled-back", ...), its log tail on stderr; remove DIR. */
int remote_deadman_report(struct buf *cmd, const char *dir);
/* The activation the output of remote_activate names ("switch-to-configuration", "activate", "none", "command"). */
void remote_activation_kind(const struct buf *out, char *kind, size_t len);

/*
 * Split probe output: lines starting with "/nix/store/" go to MISSING (may be NULL: then
 * they are an error), the rest to gen_list_parse for PROFILE. Returns 0 or ERR_INVALID.
 */
int fleet_parse_probe(const char *profile, const struct buf *out, struct gen_list *gens, char ***missing,
		      size_t *nmissing);

/* Free a list from fleet_parse_probe. */
void fleet_free_paths(char **paths, size_t n);

/* Append a JSON event with a payload built by the caller; takes the reference to PAYLOAD. */
int fleet_record(struct ledger *l, const char *topic, const char *deployment, const char *node, void *payload,
		 int64_t *seq);

#endif
