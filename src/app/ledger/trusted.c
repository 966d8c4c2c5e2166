/* The ledger with its trust checks: the open-time head check, signed checkpoints and the sidecar. */
#include "app/ledger/trusted.h"
#include "ports/lease.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "util/banned.h"

struct trusted {
	struct ledger base;
	struct ledger *inner;
	struct signer *signer;
	char sidecar[PATH_MAX];
	char host[CHECKPOINT_HOST_MAX + 1];
	pthread_mutex_t lock;		/* guards since */
	pthread_mutex_t sign_lock;	/* the signer's ops, one thread at a time (deploy's nodes share it) */
	int64_t since;			/* events this handle appended since its last checkpoint */
	struct ledger_finding health;	/* the open-time check's */
};

static const struct ledger_ops trusted_ops;

static struct trusted *tl(struct ledger *l)
{
	return (struct trusted *)l;
}

int checkpoint_from_json(const char *payload, struct checkpoint *cp)
{
	json_t *doc = json_loads(payload ? payload : "", 0, NULL);
	const char *hash = NULL, *key = NULL, *sig = NULL, *host = NULL, *time = NULL;
	json_int_t seq = -1;
	int r = 0;

	memset(cp, 0, sizeof(*cp));
	if (!doc || json_unpack(doc, "{s:I, s:s, s:s, s:s, s:s, s:s}", "seq", &seq, "hash", &hash, "key", &key, "sig",
				&sig, "host", &host, "time", &time) < 0) {
		json_decref(doc);
		return err_set(ERR_INVALID, "a checkpoint payload needs seq, hash, key, sig, host and time");
	}
	cp->seq = (int64_t)seq;
	if (strlen(hash) >= sizeof(cp->hash) || strlen(key) >= sizeof(cp->key_id) || strlen(sig) >= sizeof(cp->sig) ||
	    strlen(host) >= sizeof(cp->host) || strlen(time) >= sizeof(cp->time))
		r = err_set(ERR_INVALID, "a checkpoint payload field is too long");
	else {
		snprintf(cp->hash, sizeof(cp->hash), "%s", hash);
		snprintf(cp->key_id, sizeof(cp->key_id), "%s", key);
		snprintf(cp->sig, sizeof(cp->sig), "%s", sig);
		snprintf(cp->host, sizeof(cp->host), "%s", host);
		snprintf(cp->time, sizeof(cp->time), "%s", time);
		r = checkpoint_check_fields(cp);
	}
	json_decref(doc);
	return r;
}

/* The head as a last-event scan sees it; HASH_OK when its hash recomputes. */
struct head {
	int64_t seq;
	char hash[SHA3_256_HEX];
	char payload[1024];	/* a checkpoint event's payload (cut: checkpoints are small) */
	bool hash_ok;
};

static int head_note(const struct ledger_event *ev, void *arg)
{
	struct head *h = arg;
	char again[SHA3_256_HEX];

	h->seq = ev->seq;
	memcpy(h->hash, ev->hash, sizeof(h->hash));
	snprintf(h->payload, sizeof(h->payload), "%s", ev->payload);
	h->hash_ok = chain_event_hash(ev, again) == 0 && strcmp(again, ev->hash) == 0;
	return 0;
}

/* The newest event (of TOPIC) into H (seq 0 when none). */
static int read_last(struct ledger *inner, const char *topic, struct head *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->hash, chain_genesis_hash, sizeof(h->hash));
	return ledger_last(inner, topic, head_note, h);
}

static int sign_head(struct trusted *t, struct checkpoint *cp)
{
	struct buf msg = BUF_INIT(0);
	uint8_t sig[SIGNER_SIG_LEN];
	struct head h;
	int r;

	memset(cp, 0, sizeof(*cp));
	if ((r = read_last(t->inner, NULL, &h)) < 0)
		return r;
	cp->seq = h.seq;
	memcpy(cp->hash, h.hash, sizeof(cp->hash));
	snprintf(cp->host, sizeof(cp->host), "%s", t->host);
	clock_format_utc(clock_wall_ms(), cp->time);
	pthread_mutex_lock(&t->sign_lock);
	if ((r = t->signer->ops->key_id(t->signer, cp->key_id)) == 0 && (r = checkpoint_message(cp, &msg)) == 0)
		r = t->signer->ops->sign(t->signer, msg.data, msg.len, sig);
	pthread_mutex_unlock(&t->sign_lock);
	if (r < 0)
		goto out;
	hex_encode(sig, sizeof(sig), cp->sig);
out:
	buf_release(&msg);
	return r;
}

static int check_sig(struct trusted *t, const struct checkpoint *cp)
{
	char mine[SIGNER_KEY_ID_LEN + 1];
	uint8_t sig[CHECKPOINT_SIG_LEN];
	struct buf msg = BUF_INIT(0);
	int r;

	if ((r = checkpoint_check_fields(cp)) < 0 || (r = checkpoint_sig_bytes(cp, sig)) < 0)
		return err_set(ERR_CORRUPT, "a malformed checkpoint: %s", err_msg());
	pthread_mutex_lock(&t->sign_lock);
	if ((r = t->signer->ops->key_id(t->signer, mine)) < 0) {
		pthread_mutex_unlock(&t->sign_lock);
		return r;
	}
	if (strcmp(mine, cp->key_id) != 0) {
		pthread_mutex_unlock(&t->sign_lock);
		return err_set(ERR_CORRUPT, "signed by key %s, not this controller's key %s", cp->key_id, mine);
	}
	if ((r = checkpoint_message(cp, &msg)) == 0)
		r = t->signer->ops->verify(t->signer, msg.data, msg.len, sig);
	pthread_mutex_unlock(&t->sign_lock);
	buf_release(&msg);
	if (r == ERR_CORRUPT)
		return err_set(ERR_CORRUPT, "its signature does not verify with key %s", mine);
	return r;
}

static int sidecar_read(struct trusted *t, struct checkpoint *cp, int *present)
{
	struct buf text = BUF_INIT(CHECKPOINT_TEXT_MAX + 1);
	int r;

	*present = 0;
	memset(cp, 0, sizeof(*cp));
	if ((r = fs_read_file(t->sidecar, &text)) == ERR_NOTFOUND) {
		buf_release(&text);
		return 0;
	}
	if (r == 0) {
		*present = 1;
		r = checkpoint_parse(text.data ? text.data : "", text.len, t->sidecar, cp);
	}
	buf_release(&text);
	return r < 0 ? err_set(ERR_INVALID, "%s", err_msg()) : 0;
}

/* Write CP to the sidecar unless it already holds a later checkpoint; under a lock on SIDECAR.lock. */
static int sidecar_store(struct trusted *t, const struct checkpoint *cp)
{
	struct buf text = BUF_INIT(0);
	struct checkpoint old;
	char lockpath[PATH_MAX + 8];
	int fd, present = 0, r;

	snprintf(lockpath, sizeof(lockpath), "%s.lock", t->sidecar);
	if ((fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot open '%s'", lockpath);
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	if (sidecar_read(t, &old, &present) < 0 || !present || old.seq <= cp->seq) {
		if ((r = checkpoint_format(cp, &text)) == 0)
			r = fs_write_file(t->sidecar, text.data, text.len, 0600);
	} else {
		r = 0;
	}
	close(fd);	/* and the lock with it */
	buf_release(&text);
	return r;
}

/* Sign the head, append it as ledger.checkpoint and keep it in the sidecar. */
static int record_checkpoint(struct trusted *t, struct checkpoint *out)
{
	struct checkpoint cp;
	json_t *p;
	char *payload;
	int r;

	if ((r = sign_head(t, &cp)) < 0)
		return r;
	if (!(p = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)cp.seq, "hash", cp.hash, "key",
			    cp.key_id, "sig", cp.sig, "host", cp.host, "time", cp.time)) ||
	    !(payload = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS))) {
		json_decref(p);
		return err_set(ERR_NOMEM, "out of memory");
	}
	json_decref(p);
	r = ledger_append1(t->inner, "ledger.checkpoint", NULL, NULL, payload, NULL);
	free(payload);
	if (r == 0)
		r = sidecar_store(t, &cp);
	if (r == 0 && out)
		*out = cp;
	return r;
}

struct at_seq {
	int64_t seq;
	char hash[SHA3_256_HEX];
};

static int at_note(const struct ledger_event *ev, void *arg)
{
	struct at_seq *a = arg;

	a->seq = ev->seq;
	memcpy(a->hash, ev->hash, sizeof(a->hash));
	return 0;
}

int checkpoint_accounted(struct ledger *inner, const struct checkpoint *cp, char have[SHA3_256_HEX])
{
	struct at_seq a = { 0, "" };
	int r;

	snprintf(have, SHA3_256_HEX, "%s", cp->seq == 0 ? chain_genesis_hash : "none");
	if (cp->seq == 0)
		return strcmp(cp->hash, chain_genesis_hash) == 0;
	if ((r = ledger_at(inner, cp->seq, at_note, &a)) < 0)
		return r;
	if (a.seq != cp->seq)
		return 0;
	memcpy(have, a.hash, SHA3_256_HEX);
	return strcmp(a.hash, cp->hash) == 0;
}

/* A read that failed while checking: SQLite's corruption, or any other error, both stop appends. */
static void read_failed(struct ledger_finding *f, const char *what)
{
	ledger_finding_set(f, LEDGER_CORRUPT, 0, "cannot read %s: %s", what, err_msg());
}

/* Check CP (from WHERE) against the signer and the events; 1 when it found something (F set). */
static int checkpoint_judge(struct trusted *t, const struct checkpoint *cp, const char *where, struct ledger_finding *f)
{
	char have[SHA3_256_HEX];
	int r;

	if ((r = check_sig(t, cp)) < 0)
		return ledger_finding_set(f, LEDGER_BAD_SIGNATURE, cp->seq, "%s (seq %" PRId64 "): %s", where, cp->seq,
					  err_msg());
	if ((r = checkpoint_accounted(t->inner, cp, have)) < 0) {
		read_failed(f, "the event a checkpoint names");
		return 1;
	}
	if (r == 0)
		return ledger_finding_set(f, LEDGER_REWRITTEN, cp->seq,
					  "event %" PRId64 " has hash %.16s..., but %s signed %.16s... for it: the ledger "
					  "was rewritten at or before seq %" PRId64, cp->seq, have, where, cp->hash, cp->seq);
	return 0;
}

/* The open-time head check: a bounded number of reads whatever the ledger's length. */
static void head_check(struct trusted *t)
{
	struct ledger_finding *f = &t->health;
	struct checkpoint cp, sc;
	struct head h, c;
	int present = 0;

	memset(f, 0, sizeof(*f));
	if (read_last(t->inner, NULL, &h) < 0)
		return read_failed(f, "the ledger's head");
	if (h.seq && !h.hash_ok) {
		ledger_finding_set(f, LEDGER_CHANGED, h.seq, "the last event (seq %" PRId64 ") does not hash to its stored "
				   "hash: its contents were changed", h.seq);
		return;
	}
	if (read_last(t->inner, "ledger.checkpoint", &c) < 0)
		return read_failed(f, "the last checkpoint");
	if (c.seq && checkpoint_from_json(c.payload, &cp) < 0) {
		ledger_finding_set(f, LEDGER_BAD_SIGNATURE, c.seq, "the checkpoint event at seq %" PRId64 " is malformed: %s",
				   c.seq, err_msg());
		return;
	}
	if (c.seq && checkpoint_judge(t, &cp, "the last checkpoint event", f))
		return;
	if (sidecar_read(t, &sc, &present) < 0) {
		ledger_finding_set(f, LEDGER_UNSEALED, 0, "the checkpoint file is unreadable: %s", err_msg());
		return;
	}
	if (!present) {
		if (c.seq)
			ledger_finding_set(f, LEDGER_UNSEALED, 0, "the checkpoint file '%s' is missing, though the ledger "
					   "holds checkpoints (the last at seq %" PRId64 ")", t->sidecar, c.seq);
		return;
	}
	if (sc.seq > h.seq) {
		ledger_finding_set(f, LEDGER_TRUNCATED, h.seq, "the %" PRId64 " event%s after seq %" PRId64 " %s missing: "
				   "checkpoint at seq %" PRId64 " (signed by %s at %s)", sc.seq - h.seq,
				   sc.seq - h.seq == 1 ? "" : "s", h.seq, sc.seq - h.seq == 1 ? "is" : "are", sc.seq,
				   sc.host, sc.time);
		if (check_sig(t, &sc) < 0)
			ledger_finding_set(f, LEDGER_BAD_SIGNATURE, sc.seq, "the checkpoint file (seq %" PRId64 "): %s",
					   sc.seq, err_msg());
		return;
	}
	checkpoint_judge(t, &sc, "the checkpoint file", f);
}

static int trusted_append(struct ledger *l, const struct ledger_new *evs, size_t n, int64_t *last)
{
	struct trusted *t = tl(l);
	bool due;
	int r;

	if (t->health.kind != LEDGER_OK)
		return ledger_writable(l);
	if ((r = t->inner->ops->append(t->inner, evs, n, last)) < 0)
		return r;
	pthread_mutex_lock(&t->lock);
	t->since += (int64_t)n;
	if ((due = t->since >= CHECKPOINT_EVERY))
		t->since = 0;
	pthread_mutex_unlock(&t->lock);
	if (due && record_checkpoint(t, NULL) < 0)
		log_kv(LOG_WARN, "ledger", "cannot record a checkpoint", "error", err_msg(), (const char *)NULL);
	return 0;
}

static int trusted_scan(struct ledger *l, const struct ledger_filter *f, ledger_event_fn fn, void *arg)
{
	return ledger_scan(tl(l)->inner, f, fn, arg);
}

static int trusted_wait(struct ledger *l, int64_t after_seq, int timeout_ms, int64_t *head)
{
	return ledger_wait(tl(l)->inner, after_seq, timeout_ms, head);
}

static int trusted_latest(struct ledger *l, const char *topic, const char *node, ledger_event_fn fn, void *arg)
{
	return ledger_latest(tl(l)->inner, topic, node, fn, arg);
}

static int trusted_last(struct ledger *l, const char *topic, ledger_event_fn fn, void *arg)
{
	return ledger_last(tl(l)->inner, topic, fn, arg);
}

static int trusted_integrity(struct ledger *l)
{
	struct ledger *in = tl(l)->inner;

	return in->read && in->read->integrity ? in->read->integrity(in) : 0;
}

static void trusted_close(struct ledger *l)
{
	struct trusted *t = tl(l);

	if (t->since > 0 && t->health.kind == LEDGER_OK && record_checkpoint(t, NULL) < 0)
		log_kv(LOG_WARN, "ledger", "cannot record a checkpoint", "error", err_msg(), (const char *)NULL);
	ledger_close(t->inner);
	signer_close(t->signer);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->sign_lock);
	free(t);
}

static void trust_health(struct ledger *l, struct ledger_finding *out)
{
	*out = tl(l)->health;
}

static int trust_checkpoint(struct ledger *l, struct checkpoint *out)
{
	return sign_head(tl(l), out);
}

static int trust_check(struct ledger *l, const struct checkpoint *cp)
{
	return check_sig(tl(l), cp);
}

static int trust_sealed(struct ledger *l, struct checkpoint *out, int *present)
{
	return sidecar_read(tl(l), out, present);
}

/* Leases live in the back end's database: the decorator hands them through. */
static int trusted_acquire(struct ledger *l, const char *node, const struct lease_holder *me, lease_alive_fn alive,
			   void *alive_arg, enum lease_answer *answer, struct lease_holder *prev, char **moved)
{
	return lease_acquire(tl(l)->inner, node, me, alive, alive_arg, answer, prev, moved);
}

static int trusted_renew(struct ledger *l, const char *op, int64_t expires_ms, size_t *n)
{
	return lease_renew(tl(l)->inner, op, expires_ms, n);
}

static int trusted_release(struct ledger *l, const char *op, const char *node)
{
	return lease_release(tl(l)->inner, op, node);
}

static int trusted_list(struct ledger *l, const char *node,
			int (*fn)(const char *node, const struct lease_holder *h, void *arg), void *arg)
{
	return lease_list(tl(l)->inner, node, fn, arg);
}

static const struct ledger_lease_ops trusted_lease_ops = {
	.acquire = trusted_acquire,
	.renew = trusted_renew,
	.release = trusted_release,
	.list = trusted_list,
};

static const struct ledger_ops trusted_ops = {
	.name = "trusted",
	.append = trusted_append,
	.scan = trusted_scan,
	.wait = trusted_wait,
	.close = trusted_close,
};

static const struct ledger_read_ops trusted_read_ops = {
	.latest = trusted_latest,
	.last = trusted_last,
	.integrity = trusted_integrity,
};

static const struct ledger_trust_ops trusted_trust_ops = {
	.health = trust_health,
	.checkpoint = trust_checkpoint,
	.check = trust_check,
	.sealed = trust_sealed,
};

int trusted_ledger_open(struct ledger *inner, struct signer *signer, const char *sidecar, const char *host,
			struct ledger **out)
{
	struct trusted *t;

	*out = NULL;
	if (!(t = calloc(1, sizeof(*t)))) {
		ledger_close(inner);
		signer_close(signer);
		return err_set(ERR_NOMEM, "out of memory");
	}
	t->base.ops = &trusted_ops;
	t->base.read = &trusted_read_ops;
	t->base.trust = &trusted_trust_ops;
	t->base.lease = inner->lease ? &trusted_lease_ops : NULL;
	t->inner = inner;
	t->signer = signer;
	snprintf(t->sidecar, sizeof(t->sidecar), "%s", sidecar);
	snprintf(t->host, sizeof(t->host), "%s", host && *host ? host : "unknown");
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->sign_lock, NULL);
	head_check(t);
	*out = &t->base;
	return 0;
}

int trusted_ledger_seal(struct ledger *l, struct checkpoint *out)
{
	struct trusted *t = tl(l);
	int r;

	if (l->ops != &trusted_ops)
		return err_set(ERR_UNSUPPORTED, "the %s ledger keeps no checkpoints", l->ops->name);
	if ((r = record_checkpoint(t, out)) == 0)
		head_check(t);
	return r;
}
