/* The ledger's chain rule shared by every back end: validation, canonical bytes, hashing, verify. */
#include "core/chain.h"
#include "util/err.h"
#include "util/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

const char chain_genesis_hash[SHA3_256_HEX] =
	"0000000000000000000000000000000000000000000000000000000000000000";

int chain_topic_ok(const char *t)
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

int chain_prepare(const struct ledger_new *ev, struct buf *payload_out)
{
	char q[96];

	if (!ev->topic || !chain_topic_ok(ev->topic))
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

int chain_canonical(const struct ledger_event *ev, struct buf *out)
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

int chain_event_hash(const struct ledger_event *ev, char hash_out[SHA3_256_HEX])
{
	struct buf canon = BUF_INIT(0);
	uint8_t prev[SHA3_256_LEN], digest[SHA3_256_LEN];
	struct sha3_ctx *c;
	int r;

	hash_out[0] = '\0';
	if (hex_decode(ev->prev_hash, prev, sizeof(prev)) < 0)
		return err_set(ERR_CORRUPT, "event %" PRId64 " has a malformed prev_hash", ev->seq);
	if ((r = chain_canonical(ev, &canon)) < 0)
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

void chain_verify_begin(struct chain_verify *cv, struct ledger_verify_report *report)
{
	memset(report, 0, sizeof(*report));
	cv->report = report;
	cv->expect = 1;
	memcpy(cv->prev, chain_genesis_hash, SHA3_256_HEX);
}

int chain_verify_next(struct chain_verify *cv, const struct ledger_event *ev)
{
	struct ledger_verify_report *rep = cv->report;
	char h[SHA3_256_HEX];

	if (ev->seq != cv->expect) {
		rep->broken_seq = cv->expect;
		snprintf(rep->reason, sizeof(rep->reason),
			 ev->seq > cv->expect ? "event missing (next stored seq is %" PRId64 ")"
					      : "events out of order (found seq %" PRId64 ")", ev->seq);
		return 1;
	}
	if (strcmp(ev->prev_hash, cv->prev) != 0) {
		rep->broken_seq = ev->seq;
		snprintf(rep->reason, sizeof(rep->reason), "prev_hash does not match the hash of the event before");
		return 1;
	}
	if (chain_event_hash(ev, h) < 0 || strcmp(h, ev->hash) != 0) {
		rep->broken_seq = ev->seq;
		snprintf(rep->reason, sizeof(rep->reason), "hash does not match the event's contents");
		return 1;
	}
	memcpy(cv->prev, ev->hash, SHA3_256_HEX);
	cv->expect++;
	rep->checked++;
	return 0;
}
