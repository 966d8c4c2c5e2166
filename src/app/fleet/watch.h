/* Use case: keep a fleet on its configuration, round after round, over sessions kept open. */
#ifndef CHIMERA_APP_WATCH_H
#define CHIMERA_APP_WATCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "app/fleet/deploy.h"
#include "app/fleet/sessions.h"
#include "core/healthspec.h"

#define WATCH_BACKOFF_FIRST_MS 2000	/* after the first failed heal; x3 after each further one */
#define WATCH_BACKOFF_MAX_MS 300000
#define WATCH_REASON_MAX 512

enum watch_state {
	WATCH_UNKNOWN,
	WATCH_CONGRUENT,	/* on the expected path, closure present, checks pass */
	WATCH_DRIFTED,		/* drift seen and left (--no-heal, or backing off) */
	WATCH_HEALED,		/* drift seen and healed this round */
	WATCH_FAILED,		/* drift seen, the heal failed */
	WATCH_UNREACHABLE,
	WATCH_QUARANTINED,	/* left alone until released */
	WATCH_HELD,		/* drift seen, the node held by another operation: not healed this round */
};

const char *watch_state_name(enum watch_state s);

/* The tmux sessions one node must keep: watch starts a missing one again (that is a heal). */
struct watch_sessions {
	const struct session_spec *specs;
	size_t n;
};

/* A configuration the watch keeps nodes on: built from SOURCE, or EXPECT, a path already built. */
struct watch_config {
	const struct nix_source *source;	/* built at start, and again when its file changes; NULL with EXPECT */
	const char *expect;
};

struct watch_node {
	struct target target;
	char name[TARGET_FORMAT_MAX];
	size_t config;			/* its configuration: an index into watch_opts' configs */
	const char *expected;		/* that configuration's path as last built; borrowed */
	/* Its settings: its own (watch_opts' nodes, the fleet's node_settings), else watch_opts'; borrowed. */
	const char *profile;
	const char *activate;
	enum goal goal;			/* switch or boot */
	const struct health_spec *checks;
	size_t nchecks;
	const struct watch_sessions *sessions;	/* may be NULL */
	struct executor *ex;
	struct exec_session *s;		/* kept open across rounds; NULL until connected */
	enum watch_state state;		/* this round's */
	char reason[WATCH_REASON_MAX];	/* what drifted, why it is unreachable or failed */
	char actual[STOREPATH_MAX];	/* where its profile pointed, "" if unknown */
	int heal_failures;		/* in a row, across watch runs (app/fleet/watch_fold.h) */
	int damaged;			/* this round's nix-store --verify-path failed: a heal restores the paths first */
	int64_t next_heal_ms;		/* monotonic; no heal before */
	int quarantined;
	unsigned heals;
	int64_t checked_ms;		/* wall clock of the last check that reached it */
	enum watch_state last;		/* the previous round's state, to record changes */
};

struct watch_round {
	uint64_t round;
	size_t nodes, congruent, drifted, healed, failed, unreachable, quarantined, held;
	int64_t ms;
	long rss_kb;			/* the controller's resident memory after the round */
};

struct watch_opts {
	const struct watch_config *configs;	/* at least one */
	size_t nconfigs;
	const size_t *config_of;		/* per target, an index into CONFIGS; NULL: all take the first */
	const char *profile;
	const char *activate;
	enum goal goal;				/* switch (0) or boot; test and dry-activate are refused */
	long interval_s;
	long probe_timeout_s;			/* a node slower than this to answer the probe is unreachable
						   (verify rounds get the fleet's step timeout) */
	uint64_t rounds;			/* 0: until stopped */
	int heal;
	int max_heal_attempts;
	int verify_every;			/* rounds between `nix-store --verify-path`; 0: never */
	long confirm_s;				/* magic rollback on heals; 0: off */
	const struct health_spec *checks;
	size_t nchecks;
	const char *tmp_dir;
	/* Per-target checks, in target order; NULL: every node takes CHECKS. */
	const struct deploy_node_opts *nodes;
	/* Per-target sessions to keep, in target order; NULL: none. */
	const struct watch_sessions *sessions;
};

struct watch_hooks {
	/*
	 * After each round, with every node's state in NODES; PATH is the expected path when
	 * there is one configuration, else NULL (each node's is its expected).
	 */
	void (*round)(const struct watch_round *r, const struct watch_node *nodes, size_t n, const char *path,
		      void *arg);
	void *arg;
};

/*
 * Watch TARGETS until *STOP (set from a signal handler), or OPTS->rounds rounds. Each
 * configuration is built once at the start (up to four at a time); each round checks every
 * node against its own (one command on its open session), heals drift unless told not to,
 * backs off and quarantines, and records watch.round; *RELOAD asks for every configuration
 * to be rebuilt before the next round. Returns 0 when it ran (LAST holds the last round),
 * or an error from the set-up (a build, naming its configuration; the ledger) before any
 * round.
 */
int watch_run(const struct deploy_ctx *ctx, const struct target_list *targets, const struct watch_opts *opts,
	      const struct watch_hooks *hooks, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
	      struct watch_round *last);

/* Record that NODE (a name as watch reports it) may be healed again: watch.node.released. */
int watch_release(struct ledger *l, const char *node);
/* The same, its event's "by" BY (a server: the API token's name); watch_release is BY "chimera watch --release". */
int watch_release_by(struct ledger *l, const char *node, const char *by);

/*
 * Round R of the N NODES as one compact JSON line (no newline), as `chimera watch --json`
 * prints it; PATH is the one configuration's (NULL with several). The caller frees it.
 */
char *watch_round_json(const struct watch_round *r, const struct watch_node *nodes, size_t n, const char *path);

/* What `chimera watch --release NODE --json` prints once NODE's release is recorded: {"released", "ok"}. */
char *watch_release_json(const char *node);

#endif
