/* The shell commands chimera runs on nodes for Nix profiles: probes, copies, switches, activation, dead-man switches. */
#ifndef CHIMERA_REMOTE_NIX_H
#define CHIMERA_REMOTE_NIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/goal.h"
#include "util/buf.h"

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
 * How a path is activated: MODE "auto": PATH/bin/switch-to-configuration GOAL, else (switch,
 * test) PATH/bin/activate, else nothing; "none": nothing; anything else is a shell command
 * run by sh -c with PATH as $1 and in CHIMERA_STORE_PATH, GOAL in CHIMERA_GOAL (with
 * dry-activate the command is named, not run). What GOAL does to the profile is the
 * caller's (remote_deploy's MODE).
 */
struct remote_act {
	const char *mode;
	enum goal goal;
};

/* Activate PATH by ACT. The command prints "chimera-activation WHAT" first. */
int remote_activate(struct buf *cmd, const char *path, const struct remote_act *act);
/*
 * A node's whole deploy of PATH to PROFILE as one command, each step's end marked by a line
 * on stdout, so a node costs one channel (one sshd session process, one shell):
 *   check     remote_check_paths for the N closure PATHS (or LIST), REMOTE_DEADMAN_ANY's
 *             line when a dead-man switch is there (remote_deadman_any), then
 *             "chimera-ready". It then reads one line from stdin: EOF ends the command there
 *             with status 0 (a dry run, a switch to settle first, or nothing to do); else
 *             "copy MODE GEN" or "- MODE GEN", then the witness to keep, up to a line
 *             WITNESS_END (remote_witness_take: none when WITNESS_END comes first).
 *   copy      with "copy": `nix-store --import` of the rest of stdin, then "chimera-copied";
 *             a path still absent after it (gone from the disk but registered, which the
 *             import passes by) makes it print "chimera-stale P..." and exit 75.
 *   switch    MODE "set": `nix-env --set` (directory made when missing); "valid": the
 *             profile is already on PATH, `nix-store --check-validity` proves PATH valid.
 *             Then "chimera-switched".
 *   arm       with CONFIRM_S > 0, MODE "set" and GEN a number (not "-"): the dead-man switch
 *             is started detached (setsid, stdio to a file) in its directory under
 *             REMOTE_DEADMAN_DIR (remote/deadman.h), tagged with OP (the operation arming
 *             it), PATH, PROFILE, GEN and its deadline: unless remote_confirm claims the
 *             directory within CONFIRM_S seconds, the node switches back to generation GEN
 *             and activates it by itself. Prints "chimera-armed DIR".
 *   activate  as remote_activate (its "chimera-activation WHAT" line), then "chimera-activated".
 *   confirm   "chimera-profile P": PROFILE resolved.
 * A failing step ends the command with its status; the last marker says which step it was.
 * With MODE given here (and PREV_GEN for GEN, 0 for none), the command starts at switch.
 * OP (remote_deadman_op_check) is required when CONFIRM_S > 0, else may be NULL.
 */
int remote_deploy(struct buf *cmd, const char *profile, char *const *paths, size_t n, const char *list,
		  const char *path, const struct remote_act *act, long confirm_s, const char *op, const char *mode,
		  uint32_t prev_gen);
/*
 * What watch looks at on a node, in one command: "profile P" (PROFILE resolved; bare
 * "profile" when there is none), "current C" where /run/current-system exists, "missing Q"
 * for each of the N PATHS absent, "deadman-fired DIR" per dead-man switch that has fired
 * (remote_deadman_fired), and with VERIFY `nix-store --verify-path` of them: when it
 * fails, "verify-failed" and each line it printed as "verify LINE". Builtins only, but on
 * verify rounds.
 */
int remote_watch_probe(struct buf *cmd, const char *profile, char *const *paths, size_t n, int verify);

/*
 * The probe's first line, the only part that names PROFILE: a probe for another profile
 * is this line for it followed by what comes after this line in one already made.
 */
int remote_watch_probe_head(struct buf *cmd, const char *profile);
/* The copy's exit status when paths are still absent after it: restored in place (remote/store.h). */
#define REMOTE_STALE_STATUS 75
#define REMOTE_TOKEN_MAX 95
/* 0 when the LEN bytes at DIR are a dead-man directory name as remote_deploy makes them (remote_deadman_dir_check). */
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

#endif
