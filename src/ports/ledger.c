/* Chain rules shared by every ledger back end: validation, canonical bytes, hashing, verify. */
#include "ports/ledger.h"
#include "util/err.h"
#include "util/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char ledger_genesis_hash[SHA3_256_HEX] =
	"0000000000000000000000000000000000000000000000000000000000000000";

int ledger_append1(struct ledger *l, const char *topic, const char *deployment, const char *node,
		   const char *payload, int64_t *seq)
{
	struct ledger_new ev = { topic, deployment, node, payload };

	return ledger_append(l, &ev, 1, seq);
}

static int topic_ok(const char *t)
{
	size_t n = strlen(t), i;

	if (n == 0 || n > LEDGER_TOPIC_MAX || t[0] == '.' || t[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = t[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int text_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	}
	return 1;
}

int ledger_prepare(const struct ledger_new *ev, struct buf *payload_out)
{
	char q[96];

	if (!ev->topic || !topic_ok(ev->topic))
		return err_set(ERR_INVALID, "bad topic '%s': expected lowercase words of [a-z0-9_-] joined by dots",
			       ev->topic ? err_quote(q, sizeof(q), ev->topic, strlen(ev->topic)) : "");
	if (ev->deployment && !text_ok(ev->deployment, LEDGER_DEPLOYMENT_MAX))
		return err_set(ERR_INVALID, "bad deployment id '%s'",
			       err_quote(q, sizeof(q), ev->deployment, strlen(ev->deployment)));
	if (ev->node && !text_ok(ev->node, LEDGER_NODE_MAX))
		return err_set(ERR_INVALID, "bad node '%s'", err_quote(q, sizeof(q), ev->node, strlen(ev->node)));
	if (ev->payload && strlen(ev->payload) > LEDGER_PAYLOAD_MAX)
		return err_set(ERR_LIMIT, "payload over %d bytes", LEDGER_PAYLOAD_MAX);
	return json_canonical(ev->payload ? ev->payload : "{}", payload_out);
}

static int add_opt_string(struct buf *b, const char *s)
{
	return s ? json_add_string(b, s) : buf_adds(b, "null");
}

int ledger_canonical(const struct ledger_event *ev, struct buf *out)
{
	int r = 0;

	if ((r = buf_adds(out, "{\"deployment\":")) < 0 ||
	    (r = add_opt_string(out, ev->deployment)) < 0 ||
	    (r = buf_adds(out, ",\"node\":")) < 0 ||
	    (r = add_opt_string(out, ev->node)) < 0 ||
	    (r = buf_adds(out, ",\"payload\":")) < 0 ||
	    (r = buf_adds(out, ev->payload)) < 0 ||
	    (r = buf_printf(out, ",\"seq\":%" PRId64 ",\"time\":", ev->seq)) < 0 ||
	    (r = json_add_string(out, ev->time)) < 0 ||
	    (r = buf_adds(out, ",\"topic\":")) < 0 ||
	    (r = json_add_string(out, ev->topic)) < 0 ||
	    (r = buf_addc(out, '}')) < 0)
		return r;
	return 0;
}

int ledger_event_hash(const struct ledger_event *ev, char hash_out[SHA3_256_HEX])
{
	struct buf canon = BUF_INIT(0);
	uint8_t prev[SHA3_256_LEN], digest[SHA3_256_LEN];
	struct sha3_ctx *c;
	int r;

	hash_out[0] = '\0';
	if (hex_decode(ev->prev_hash, prev, sizeof(prev)) < 0)
		return err_set(ERR_CORRUPT, "event %" PRId64 " has a malformed prev_hash", ev->seq);
	if ((r = ledger_canonical(ev, &canon)) < 0)
		goto out;
	if (!(c = sha3_begin())) {
		r = err_set(ERR_NOMEM, "cannot start a SHA3-256 digest");
		goto out;
	}
	sha3_update(c, prev, sizeof(prev));
	sha3_update(c, canon.data, canon.len);
	sha3_end(c, digest);
	hex_encode(digest, sizeof(digest), hash_out);
out:
	buf_release(&canon);
	return r;
}

struct verify_state {
	struct ledger_verify_report *rep;
	int64_t expect;
	char prev[SHA3_256_HEX];
};

static int verify_one(const struct ledger_event *ev, void *arg)
{
	struct verify_state *vs = arg;
	struct ledger_verify_report *rep = vs->rep;
	char h[SHA3_256_HEX];

	if (ev->seq != vs->expect) {
		rep->broken_seq = vs->expect;
		snprintf(rep->reason, sizeof(rep->reason),
			 ev->seq > vs->expect ? "event missing (next stored seq is %" PRId64 ")"
					      : "events out of order (found seq %" PRId64 ")", ev->seq);
		return 1;
	}
	if (strcmp(ev->prev_hash, vs->prev) != 0) {
		rep->broken_seq = ev->seq;
		snprintf(rep->reason, sizeof(rep->reason), "prev_hash does not match the hash of the event before");
		return 1;
	}
	if (ledger_event_hash(ev, h) < 0 || strcmp(h, ev->hash) != 0) {
		rep->broken_seq = ev->seq;
		snprintf(rep->reason, sizeof(rep->reason), "hash does not match the event's contents");
		return 1;
	}
	memcpy(vs->prev, ev->hash, SHA3_256_HEX);
	vs->expect++;
	rep->checked++;
	return 0;
}

int ledger_verify(struct ledger *l, struct ledger_verify_report *report)
{
	struct ledger_filter all = { 0 };
	struct verify_state vs;
	int r;

	memset(report, 0, sizeof(*report));
	vs.rep = report;
	vs.expect = 1;
	memcpy(vs.prev, ledger_genesis_hash, SHA3_256_HEX);
	r = ledger_scan(l, &all, verify_one, &vs);
	return r < 0 ? r : 0;
}

/* One event seen by ledger_latest_scan's first pass. */
struct latest_seen {
	char *node;
	int64_t seq;
};

struct latest_state {
	struct latest_seen *v;
	size_t n, cap;
	int64_t *keep;		/* the newest seq per node, ascending */
	size_t nkeep;
	ledger_event_fn fn;
	void *arg;
	int err;
};

static int latest_collect(const struct ledger_event *ev, void *arg)
{
	struct latest_state *st = arg;

	if (!ev->node)
		return 0;
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct latest_seen *v = realloc(st->v, cap * sizeof(*v));

		if (!v)
			return st->err = err_set(ERR_NOMEM, "out of memory");
		st->v = v;
		st->cap = cap;
	}
	if (!(st->v[st->n].node = strdup(ev->node)))
		return st->err = err_set(ERR_NOMEM, "out of memory");
	st->v[st->n++].seq = ev->seq;
	return 0;
}

static int seen_cmp(const void *a, const void *b)
{
	const struct latest_seen *x = a, *y = b;
	int c = strcmp(x->node, y->node);

	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int seq_cmp(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;

	return (*x > *y) - (*x < *y);
}

static int latest_emit(const struct ledger_event *ev, void *arg)
{
	struct latest_state *st = arg;

	if (!bsearch(&ev->seq, st->keep, st->nkeep, sizeof(*st->keep), seq_cmp))
		return 0;
	return st->fn(ev, st->arg);
}

int ledger_latest_scan(struct ledger *l, const char *topic, const char *node, ledger_event_fn fn, void *arg)
{
	struct ledger_filter f = { .topic = topic, .node = node };
	struct latest_state st = { .fn = fn, .arg = arg };
	size_t i, tn = topic ? strlen(topic) : 0;
	int r;

	if (tn == 0 || (tn >= 2 && strcmp(topic + tn - 2, ".*") == 0))
		return err_set(ERR_INVALID, "latest needs one exact topic, not '%s'", topic ? topic : "");
	/* Two passes: first which seq is newest per node (nodes only), then those events whole. */
	r = ledger_scan(l, &f, latest_collect, &st);
	if (st.err)
		r = st.err;
	if (r != 0)
		goto out;
	if (st.n == 0)
		goto out;
	qsort(st.v, st.n, sizeof(*st.v), seen_cmp);
	if (!(st.keep = malloc(st.n * sizeof(*st.keep)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < st.n; i++)
		if (i + 1 == st.n || strcmp(st.v[i].node, st.v[i + 1].node) != 0)
			st.keep[st.nkeep++] = st.v[i].seq;
	qsort(st.keep, st.nkeep, sizeof(*st.keep), seq_cmp);
	f.since = st.keep[0] - 1;
	r = ledger_scan(l, &f, latest_emit, &st);
out:
	for (i = 0; i < st.n; i++)
		free(st.v[i].node);
	free(st.v);
	free(st.keep);
	return r;
}
