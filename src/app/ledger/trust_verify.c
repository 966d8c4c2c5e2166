/* `chimera ledger verify`: the chain, the checkpoints and the checkpoint file, each problem by its kind. */
#include "app/ledger/trust_verify.h"
#include "app/ledger/trusted.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

#define RING 256	/* recent hashes kept by the walk: a checkpoint names one of these, usually */

struct walk {
	struct ledger *l;
	struct trust_verify_report *rep;
	int64_t expect;
	char prev[SHA3_256_HEX];
	char ring[RING][SHA3_256_HEX];
	bool broken;		/* the chain broke: stop */
	bool rewritten;		/* a checkpoint event already found the rewrite */
};

static struct ledger_finding *add(struct trust_verify_report *rep)
{
	if (rep->nfindings == TRUST_VERIFY_FINDINGS) {
		rep->more++;
		return NULL;
	}
	return &rep->findings[rep->nfindings++];
}

/* The hash of event SEQ: from the ring when recent, else read. 1 found, 0 none, or an error. */
static int hash_at(struct walk *w, int64_t seq, char out[SHA3_256_HEX])
{
	struct checkpoint probe = { .seq = seq };
	int r;

	if (seq >= 1 && seq < w->expect && w->expect - seq <= RING) {
		memcpy(out, w->ring[seq % RING], SHA3_256_HEX);
		return 1;
	}
	memcpy(probe.hash, chain_genesis_hash, SHA3_256_HEX);
	r = checkpoint_accounted(w->l, &probe, out);
	return r < 0 ? r : strcmp(out, "none") != 0;
}

/* A checkpoint event at AT (its payload PAYLOAD): signed by us, and naming an event we hold. */
static int check_event(struct walk *w, int64_t at, const char *payload)
{
	struct ledger_finding *f;
	struct checkpoint cp;
	char have[SHA3_256_HEX];
	int r;

	w->rep->checkpoints++;
	if (checkpoint_from_json(payload, &cp) < 0) {
		if ((f = add(w->rep)))
			ledger_finding_set(f, LEDGER_BAD_SIGNATURE, at, "the checkpoint event at seq %" PRId64
					   " is malformed: %s", at, err_msg());
		return 0;
	}
	if (w->l->trust && w->l->trust->check && (r = w->l->trust->check(w->l, &cp)) < 0) {
		if ((f = add(w->rep)))
			ledger_finding_set(f, LEDGER_BAD_SIGNATURE, at, "the checkpoint event at seq %" PRId64 " (sealing seq %"
					   PRId64 ") has a bad signature: %s", at, cp.seq, err_msg());
		return 0;
	}
	if ((r = hash_at(w, cp.seq, have)) < 0)
		return r;
	if (cp.seq > 0 && (r == 0 || strcmp(have, cp.hash) != 0) && !w->rewritten) {
		w->rewritten = true;
		if ((f = add(w->rep)))
			ledger_finding_set(f, LEDGER_REWRITTEN, cp.seq, "the checkpoint at seq %" PRId64 " signed hash %.16s... "
					   "for event %" PRId64 ", which now has %.16s...: the ledger was rewritten at or "
					   "before seq %" PRId64 " and its chain recomputed", at, cp.hash, cp.seq,
					   r ? have : "none", cp.seq);
	}
	return 0;
}

static int walk_one(const struct ledger_event *ev, void *arg)
{
	struct walk *w = arg;
	struct ledger_finding *f = NULL;
	char h[SHA3_256_HEX];

	if (ev->seq != w->expect) {
		if ((f = add(w->rep)) && ev->seq > w->expect)
			ledger_finding_set(f, LEDGER_REMOVED, w->expect, "events %" PRId64 " to %" PRId64 " are missing "
					   "(the next stored seq is %" PRId64 ")", w->expect, ev->seq - 1, ev->seq);
		else if (f)
			ledger_finding_set(f, LEDGER_REORDERED, w->expect, "events out of order: seq %" PRId64 " where %"
					   PRId64 " belongs", ev->seq, w->expect);
	} else if (strcmp(ev->prev_hash, w->prev) != 0) {
		if ((f = add(w->rep)))
			ledger_finding_set(f, LEDGER_REMOVED, ev->seq, "event %" PRId64 "'s prev_hash does not link to event %"
					   PRId64 ": an event was removed, replaced or moved there", ev->seq, ev->seq - 1);
	} else if (chain_event_hash(ev, h) < 0 || strcmp(h, ev->hash) != 0) {
		if ((f = add(w->rep)))
			ledger_finding_set(f, LEDGER_CHANGED, ev->seq, "event %" PRId64 " does not hash to its stored hash: "
					   "its contents were changed", ev->seq);
	} else {
		memcpy(w->prev, ev->hash, SHA3_256_HEX);
		memcpy(w->ring[ev->seq % RING], ev->hash, SHA3_256_HEX);
		w->expect++;
		w->rep->checked++;
		w->rep->head = ev->seq;
		if (strcmp(ev->topic, "ledger.checkpoint") == 0)
			return check_event(w, ev->seq, ev->payload);
		return 0;
	}
	w->broken = true;
	return 1;
}

/* The checkpoint file: signed by us, not past the head, naming an event we hold. */
static int check_sealed(struct walk *w)
{
	struct trust_verify_report *rep = w->rep;
	struct ledger_finding *f;
	struct checkpoint sc;
	char have[SHA3_256_HEX];
	int present = 0, r;

	rep->sealed = -1;
	if (!w->l->trust || !w->l->trust->sealed)
		return 0;
	if (w->l->trust->sealed(w->l, &sc, &present) < 0) {
		if ((f = add(rep)))
			ledger_finding_set(f, LEDGER_UNSEALED, 0, "the checkpoint file is unreadable: %s", err_msg());
		return 0;
	}
	if (!present) {
		if (rep->checkpoints > 0 && (f = add(rep)))
			ledger_finding_set(f, LEDGER_UNSEALED, 0, "the checkpoint file is missing, though the ledger holds "
					   "%" PRId64 " checkpoints", rep->checkpoints);
		return 0;
	}
	rep->sealed = sc.seq;
	if ((r = w->l->trust->check(w->l, &sc)) < 0) {
		if ((f = add(rep)))
			ledger_finding_set(f, LEDGER_BAD_SIGNATURE, sc.seq, "the checkpoint file (seq %" PRId64 ") has a bad "
					   "signature: %s", sc.seq, err_msg());
	} else if (!w->broken && sc.seq > rep->head) {
		if ((f = add(rep)))
			ledger_finding_set(f, LEDGER_TRUNCATED, rep->head, "the %" PRId64 " event%s after seq %" PRId64
					   " %s missing: checkpoint at seq %" PRId64 " (signed by %s at %s)",
					   sc.seq - rep->head, sc.seq - rep->head == 1 ? "" : "s", rep->head,
					   sc.seq - rep->head == 1 ? "is" : "are", sc.seq, sc.host, sc.time);
	} else if (!w->broken && !w->rewritten && (r = hash_at(w, sc.seq, have)) >= 0 && sc.seq > 0 &&
		   (r == 0 || strcmp(have, sc.hash) != 0)) {
		if ((f = add(rep)))
			ledger_finding_set(f, LEDGER_REWRITTEN, sc.seq, "the checkpoint file signed hash %.16s... for event %"
					   PRId64 ", which now has %.16s...: the ledger was rewritten at or before seq %"
					   PRId64 " and its chain recomputed", sc.hash, sc.seq, r ? have : "none", sc.seq);
	} else if (r < 0) {
		return r;
	}
	return 0;
}

int trust_verify(struct ledger *l, struct trust_verify_report *rep)
{
	struct walk w = { .l = l, .rep = rep, .expect = 1 };
	struct ledger_filter all = { 0 };
	struct ledger_finding *f;
	int64_t t0 = clock_mono_ms();
	int r;

	memset(rep, 0, sizeof(*rep));
	memcpy(w.prev, chain_genesis_hash, SHA3_256_HEX);
	r = ledger_scan(l, &all, walk_one, &w);
	if (r == ERR_CORRUPT) {
		if ((f = add(rep)))
			ledger_finding_set(f, LEDGER_CORRUPT, w.expect, "%s", err_msg());
		w.broken = true;
	} else if (r < 0) {
		return r;
	}
	if (!w.broken && l->read && l->read->integrity && (r = l->read->integrity(l)) < 0) {
		if (r != ERR_CORRUPT)
			return r;
		if ((f = add(rep)))
			ledger_finding_set(f, LEDGER_CORRUPT, 0, "%s", err_msg());
		w.broken = true;
	}
	if ((r = check_sealed(&w)) == ERR_CORRUPT) {
		if ((f = add(rep)))
			ledger_finding_set(f, LEDGER_CORRUPT, 0, "%s", err_msg());
	} else if (r < 0) {
		return r;
	}
	rep->ms = clock_mono_ms() - t0;
	return 0;
}

void trust_verify_unopened(struct trust_verify_report *rep, const char *msg)
{
	memset(rep, 0, sizeof(*rep));
	rep->sealed = -1;
	rep->nfindings = 1;
	ledger_finding_set(&rep->findings[0], LEDGER_CORRUPT, 0, "%s", msg);
}

char *trust_verify_json(const struct trust_verify_report *rep)
{
	json_t *list = json_array();
	enum ledger_kind k = rep->nfindings ? rep->findings[0].kind : LEDGER_OK;
	int64_t broken = k == LEDGER_CHANGED || k == LEDGER_REMOVED || k == LEDGER_REORDERED ? rep->findings[0].seq : 0;
	size_t i;

	for (i = 0; i < rep->nfindings; i++) {
		const struct ledger_finding *f = &rep->findings[i];

		json_array_append_new(list, json_pack("{s:s, s:I, s:s, s:s}", "kind", ledger_kind_name(f->kind), "seq",
						      (json_int_t)f->seq, "message", f->message, "todo", f->todo));
	}
	return json_render(json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I}", "ok", rep->nfindings == 0,
				     "kind", ledger_kind_name(k), "broken_seq", (json_int_t)broken, "checked",
				     (json_int_t)rep->checked, "head", (json_int_t)rep->head, "checkpoints",
				     (json_int_t)rep->checkpoints, "sealed", (json_int_t)rep->sealed, "findings", list,
				     "more", (json_int_t)rep->more, "ms", (json_int_t)rep->ms));
}
