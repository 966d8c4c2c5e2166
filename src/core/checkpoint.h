/*
 * Signed checkpoints of the ledger: the head (seq, hash) signed with the controller's key.
 * The values, the bytes that are signed, and the small text form kept beside the ledger
 * (the sidecar) and on every node chimera changes (the witness). Pure: no signing here.
 */
#ifndef CHIMERA_CORE_CHECKPOINT_H
#define CHIMERA_CORE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/hash.h"

#define CHECKPOINT_KEY_ID_LEN 16	/* hex characters of a key id (the signer's) */
#define CHECKPOINT_SIG_LEN 64		/* bytes of an Ed25519 signature */
#define CHECKPOINT_HOST_MAX 255
#define CHECKPOINT_TEXT_MAX 4096	/* the longest text checkpoint_parse takes */
/* A checkpoint is recorded at least every this many events during a long command. */
#define CHECKPOINT_EVERY 1000

/* The first line of the text form. */
#define CHECKPOINT_MAGIC "chimera-checkpoint v1"

struct checkpoint {
	int64_t seq;				/* the head it seals: 0 for an empty ledger */
	char hash[SHA3_256_HEX];		/* that event's hash (64 zeros for seq 0) */
	char key_id[CHECKPOINT_KEY_ID_LEN + 1];
	char sig[CHECKPOINT_SIG_LEN * 2 + 1];	/* hex of the signature of checkpoint_message */
	char host[CHECKPOINT_HOST_MAX + 1];	/* the controller that signed it */
	char time[CLOCK_UTC_LEN];		/* when, UTC */
};

/*
 * Append the bytes that are signed (every field but the signature, one "name value" line
 * each after the magic line) to OUT. Returns 0 or a buf error.
 */
int checkpoint_message(const struct checkpoint *cp, struct buf *out);

/* Append CP's text form (the message's lines, then "sig HEX") to OUT. Returns 0 or a buf error. */
int checkpoint_format(const struct checkpoint *cp, struct buf *out);

/*
 * Parse the text form (LEN bytes at TEXT, at most CHECKPOINT_TEXT_MAX) into CP. Lines of
 * other names are ignored (later versions may add some); each of seq, hash, key, sig,
 * host and time must appear once, well formed. Returns 0, or ERR_INVALID naming the
 * line and what was expected (WHAT names the source in the message: "witness", "sidecar").
 */
int checkpoint_parse(const char *text, size_t len, const char *what, struct checkpoint *cp);

/* Whether CP's fields are well formed (as checkpoint_parse checks them): 0 or ERR_INVALID naming the field. */
int checkpoint_check_fields(const struct checkpoint *cp);

/* Decode CP's signature into SIG. Returns 0 or ERR_INVALID. */
int checkpoint_sig_bytes(const struct checkpoint *cp, uint8_t sig[CHECKPOINT_SIG_LEN]);

/* What is wrong with a ledger, each in its own words: verify's and the open check's kinds. */
enum ledger_kind {
	LEDGER_OK,
	LEDGER_CHANGED,		/* an event's hash does not recompute: its contents changed */
	LEDGER_REMOVED,		/* a seq is missing, or prev_hash does not link to the event before */
	LEDGER_REORDERED,	/* seqs out of order */
	LEDGER_TRUNCATED,	/* a checkpoint sealed events past the head */
	LEDGER_REWRITTEN,	/* a signed checkpoint's hash differs from the event at its seq */
	LEDGER_BAD_SIGNATURE,	/* a checkpoint's signature or key is not this controller's */
	LEDGER_CORRUPT,		/* the database file fails its own checks */
	LEDGER_UNSEALED,	/* the checkpoint file beside the ledger is missing or unreadable */
};

/* The kind's name in --json output: "ok", "changed", "removed", ... */
const char *ledger_kind_name(enum ledger_kind k);

/* One finding: the kind, the seq it is at (0: none), what is wrong and what to do. */
struct ledger_finding {
	enum ledger_kind kind;
	int64_t seq;
	char message[512];
	char todo[320];
};

/* Set F to KIND at SEQ with a message from FMT, and the usual advice for KIND. Returns 1 (a finding). */
int ledger_finding_set(struct ledger_finding *f, enum ledger_kind kind, int64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
