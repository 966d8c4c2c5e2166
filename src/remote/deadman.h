/* Dead-man switches on a node: where they live, how they are listed, claimed and removed, and the listing read back. */
#ifndef CHIMERA_REMOTE_DEADMAN_H
#define CHIMERA_REMOTE_DEADMAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/profile.h"
#include "core/storepath.h"
#include "util/buf.h"

/*
 * A switch lives in its own directory REMOTE_DEADMAN_DIR/OP.XXXXXXXXXX (OP: the operation
 * that armed it, mktemp's suffix), made by remote_deploy's arm step, holding:
 *   info     "op OP", "path P" (what it protects), "profile PR", "gen G" (what it goes
 *            back to), "deadline EPOCH" (when it fires), one a line
 *   pid      the switch's process, the leader of its own process group (setsid)
 *   log      its output
 *   claim/   made by whoever claims it first: the controller (it never fires) or the
 *            switch itself when it fires
 *   result   written by the switch after firing: "rolled-back", "switch-failed" or
 *            "activate-failed"
 */
#define REMOTE_DEADMAN_DIR "/nix/var/chimera/deadman"
#define REMOTE_DEADMAN_OP_MAX 40	/* an operation id: [A-Za-z0-9], 1 to this many characters */
#define REMOTE_DEADMAN_MAX 32	/* switches read from one listing; more are left to the next */
#define REMOTE_DEADMAN_RESULT_MAX 32

/* 0 when OP can name the operation that arms a switch (it goes into a directory name). */
int remote_deadman_op_check(const char *op);

/*
 * List every switch on the node in one command, shell builtins only, each as
 *   "deadman DIR", its info lines, "pid W", "alive" when W runs, "claimed" when claim/
 *   exists, "result R" once it fired, "now P" (its profile resolved), then "end".
 */
int remote_deadman_list(struct buf *cmd);
/*
 * The cheap check for a probe that runs often: one glob, builtins only, a line
 * "deadman-fired DIR" per switch that has fired; nothing (status 0) when none has.
 */
int remote_deadman_fired(struct buf *cmd);
/* What remote_deadman_any's text prints when a switch is there. */
#define REMOTE_DEADMAN_ANY "chimera-deadman"
/*
 * For a command that goes on to change the node: one glob, builtins only, a line
 * REMOTE_DEADMAN_ANY when at least one switch (with its info) is there, else nothing.
 * The controller then settles them (remote_deadman_list, _claim) before it goes on.
 */
int remote_deadman_any(struct buf *cmd);
/*
 * Claim each of the N DIRS for the controller, so that it never fires: its process group
 * killed and the directory removed ("claimed DIR"), or "busy DIR" when the switch had
 * claimed it first (it is firing or has fired).
 */
int remote_deadman_claim(struct buf *cmd, char *const *dirs, size_t n);
/* Remove the N DIRS (switches settled: fired and recorded, or claimed by a controller that died). */
int remote_deadman_remove(struct buf *cmd, char *const *dirs, size_t n);

/* One switch as remote_deadman_list shows it. */
struct remote_deadman {
	char dir[96];
	char op[REMOTE_DEADMAN_OP_MAX + 1];	/* "" when its info had none */
	char path[STOREPATH_MAX];		/* the path it protects, "" when unknown */
	char profile[PROFILE_PATH_MAX + 1];
	uint32_t gen;				/* the generation it goes back to, 0 when unknown */
	int64_t deadline;			/* epoch seconds, 0 when unknown */
	long pid;				/* 0 when unknown */
	int alive, claimed, fired;
	char result[REMOTE_DEADMAN_RESULT_MAX];	/* after firing; "" when it left none */
	char now[STOREPATH_MAX];		/* its profile resolved now, "" when it does not resolve */
};

/*
 * Read remote_deadman_list's output OUT into SW (room for MAX), their number in *N.
 * Switches beyond MAX are left out. Returns 0, or ERR_INVALID naming the bad line (SW then
 * holds nothing).
 */
int remote_deadman_parse(const struct buf *out, struct remote_deadman *sw, size_t max, size_t *n);
/* 0 when the LEN bytes at DIR are a switch's directory as remote_deploy makes them. */
int remote_deadman_dir_check(const char *dir, size_t len);

#endif
