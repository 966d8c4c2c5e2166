/* Signed checkpoints: the signed bytes, the text form and its strict parser. */
#include "core/checkpoint.h"
#include "util/err.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static int lower_hex(const char *s, size_t n)
{
	size_t i;

	if (strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Printable ASCII without spaces, 1..MAX bytes. */
static int word_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

int checkpoint_check_fields(const struct checkpoint *cp)
{
	if (cp->seq < 0)
		return err_set(ERR_INVALID, "bad checkpoint seq %" PRId64 ": expected a number >= 0", cp->seq);
	if (!lower_hex(cp->hash, SHA3_256_HEX - 1))
		return err_set(ERR_INVALID, "bad checkpoint hash: expected 64 lowercase hex digits");
	if (!lower_hex(cp->key_id, CHECKPOINT_KEY_ID_LEN))
		return err_set(ERR_INVALID, "bad checkpoint key: expected %d lowercase hex digits", CHECKPOINT_KEY_ID_LEN);
	if (!lower_hex(cp->sig, CHECKPOINT_SIG_LEN * 2))
		return err_set(ERR_INVALID, "bad checkpoint sig: expected %d lowercase hex digits", CHECKPOINT_SIG_LEN * 2);
	if (!word_ok(cp->host, CHECKPOINT_HOST_MAX))
		return err_set(ERR_INVALID, "bad checkpoint host: expected 1 to %d printable characters, no spaces",
			       CHECKPOINT_HOST_MAX);
	if (!word_ok(cp->time, CLOCK_UTC_LEN - 1))
		return err_set(ERR_INVALID, "bad checkpoint time: expected UTC like 2026-01-02T03:04:05.678Z");
	return 0;
}

int checkpoint_message(const struct checkpoint *cp, struct buf *out)
{
	return buf_printf(out, CHECKPOINT_MAGIC "\nseq %" PRId64 "\nhash %s\nkey %s\nhost %s\ntime %s\n", cp->seq,
			  cp->hash, cp->key_id, cp->host, cp->time);
}

int checkpoint_format(const struct checkpoint *cp, struct buf *out)
{
	int r;

	if ((r = checkpoint_message(cp, out)) < 0)
		return r;
	return buf_printf(out, "sig %s\n", cp->sig);
}

int checkpoint_sig_bytes(const struct checkpoint *cp, uint8_t sig[CHECKPOINT_SIG_LEN])
{
	if (!lower_hex(cp->sig, CHECKPOINT_SIG_LEN * 2) || hex_decode(cp->sig, sig, CHECKPOINT_SIG_LEN) < 0)
		return err_set(ERR_INVALID, "bad checkpoint sig: expected %d lowercase hex digits", CHECKPOINT_SIG_LEN * 2);
	return 0;
}

/* The fields of the text form, and where each goes. */
enum { F_SEQ, F_HASH, F_KEY, F_SIG, F_HOST, F_TIME, F_N };
static const char *const field_names[F_N] = { "seq", "hash", "key", "sig", "host", "time" };

static int field_index(const char *name, size_t n)
{
	int i;

	for (i = 0; i < F_N; i++)
		if (strlen(field_names[i]) == n && memcmp(field_names[i], name, n) == 0)
			return i;
	return -1;
}

static int put_field(struct checkpoint *cp, int f, const char *v, size_t n)
{
	static const size_t caps[F_N] = { 20, SHA3_256_HEX, CHECKPOINT_KEY_ID_LEN + 1, CHECKPOINT_SIG_LEN * 2 + 1,
					  CHECKPOINT_HOST_MAX + 1, CLOCK_UTC_LEN };
	char *dst[F_N] = { NULL, cp->hash, cp->key_id, cp->sig, cp->host, cp->time };
	char num[21], *end;

	if (n >= caps[f])
		return -1;
	if (f != F_SEQ) {
		memcpy(dst[f], v, n);
		dst[f][n] = '\0';
		return 0;
	}
	memcpy(num, v, n);
	num[n] = '\0';
	if (n == 0 || num[0] < '0' || num[0] > '9' || (num[0] == '0' && n > 1))
		return -1;
	errno = 0;
	cp->seq = strtoll(num, &end, 10);
	return errno || *end ? -1 : 0;
}

int checkpoint_parse(const char *text, size_t len, const char *what, struct checkpoint *cp)
{
	size_t at = 0, ml = strlen(CHECKPOINT_MAGIC), line = 1;
	int seen[F_N] = { 0 }, i, r;

	memset(cp, 0, sizeof(*cp));
	if (len > CHECKPOINT_TEXT_MAX)
		return err_set(ERR_INVALID, "%s: over %d bytes: not a checkpoint", what, CHECKPOINT_TEXT_MAX);
	if (len < ml + 1 || memcmp(text, CHECKPOINT_MAGIC "\n", ml + 1) != 0)
		return err_set(ERR_INVALID, "%s: line 1: expected '%s'", what, CHECKPOINT_MAGIC);
	at = ml + 1;
	while (at < len) {
		const char *l = text + at, *nl = memchr(l, '\n', len - at), *sp;
		size_t ll = nl ? (size_t)(nl - l) : len - at;

		line++;
		at += ll + (nl ? 1 : 0);
		if (ll == 0)
			continue;
		if (memchr(l, '\0', ll))
			return err_set(ERR_INVALID, "%s: line %zu: a NUL byte", what, line);
		if (!(sp = memchr(l, ' ', ll)))
			return err_set(ERR_INVALID, "%s: line %zu: expected 'NAME VALUE'", what, line);
		if ((i = field_index(l, (size_t)(sp - l))) < 0)
			continue;	/* a later version's field */
		if (seen[i]++)
			return err_set(ERR_INVALID, "%s: line %zu: '%s' given twice", what, line, field_names[i]);
		if (put_field(cp, i, sp + 1, ll - (size_t)(sp - l) - 1) < 0)
			return err_set(ERR_INVALID, "%s: line %zu: bad %s", what, line, field_names[i]);
	}
	for (i = 0; i < F_N; i++)
		if (!seen[i])
			return err_set(ERR_INVALID, "%s: no '%s' line: expected seq, hash, key, sig, host and time",
				       what, field_names[i]);
	if ((r = checkpoint_check_fields(cp)) < 0) {
		char m[256];

		snprintf(m, sizeof(m), "%s", err_msg());
		return err_set(r, "%s: %s", what, m);
	}
	return 0;
}

const char *ledger_kind_name(enum ledger_kind k)
{
	static const char *const names[] = { "ok", "changed", "removed", "reordered", "truncated", "rewritten",
					     "bad_signature", "corrupt", "unsealed" };

	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "unknown";
}

int ledger_finding_set(struct ledger_finding *f, enum ledger_kind kind, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	f->kind = kind;
	f->seq = seq;
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	switch (kind) {
	case LEDGER_OK:
		f->todo[0] = '\0';
		break;
	case LEDGER_CORRUPT:
		snprintf(f->todo, sizeof(f->todo), "stop writing to it; restore chimera.db (and chimera.db.checkpoint) "
			 "from a backup, then run chimera ledger verify");
		break;
	case LEDGER_UNSEALED:
		snprintf(f->todo, sizeof(f->todo), "restore chimera.db.checkpoint from a backup, or run chimera ledger "
			 "verify and, when the chain is intact, chimera ledger seal");
		break;
	default:
		snprintf(f->todo, sizeof(f->todo), "run chimera ledger verify (and verify --witnesses -t all); restore "
			 "chimera.db from a backup the fleet's witnesses account for");
		break;
	}
	return 1;
}
