/*
 * The fleet as the ledger's witness: every node chimera changes keeps the checkpoint of the
 * ledger's head at that moment (remote/witness.h), and `chimera ledger verify --witnesses`
 * reads them back and names each node whose checkpoint the ledger cannot account for.
 */
#ifndef CHIMERA_APP_LEDGER_WITNESS_H
#define CHIMERA_APP_LEDGER_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "app/fleet/fleet.h"
#include "core/checkpoint.h"
#include "core/target.h"
#include "ports/ledger.h"
#include "util/buf.h"

/*
 * The witness text for L's head now: a checkpoint signed with the controller's key, in its
 * text form, appended to OUT. Returns 0, ERR_UNSUPPORTED for a ledger without trust
 * checks, or the read's or the signer's error.
 */
int witness_text(struct ledger *l, struct buf *out);

/*
 * Write L's witness to the node behind S (one command on the open session; no new
 * connection). Called once per node at the end of its successful change. A failure costs
 * the node nothing: it is logged and returned, and callers go on.
 */
int witness_write(struct ledger *l, struct executor *ex, struct exec_session *s, const char *node);

enum witness_state {
	WITNESS_OK,		/* the ledger holds the event the node witnessed */
	WITNESS_ABSENT,		/* the node keeps no witness */
	WITNESS_UNACCOUNTED,	/* seq beyond the head, another hash at that seq, or a bad signature */
	WITNESS_UNREACHABLE,	/* could not connect or read */
};

/* "ok", "absent", "unaccounted", "unreachable". */
const char *witness_state_name(enum witness_state s);

struct witness_node {
	struct target target;
	char name[TARGET_FORMAT_MAX];
	enum witness_state state;
	struct checkpoint cp;	/* as read, when the node had one */
	char message[512];
};

struct witness_report {
	struct witness_node *nodes;
	size_t n;
	size_t ok, absent, unaccounted, unreachable;
	int64_t head;		/* the ledger's head when the check began */
	int64_t ms;
};

/*
 * Read every target's witness (in parallel, through F's executors, F->parallel at once)
 * and judge each against F's ledger. Returns 0 with REP filled (release it with
 * witness_report_release), or ERR_NOMEM / the ledger's error.
 */
int witness_verify(const struct fleet *f, const struct target_list *targets, struct witness_report *rep);

void witness_report_release(struct witness_report *rep);

/* REP as JSON (ok, head, counts, nodes with name, state, seq, host, message); the caller frees it. */
char *witness_report_json(const struct witness_report *rep);

#endif
