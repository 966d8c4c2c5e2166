/* Identifiers: generation numbers, random session ids and ULID-style deployment ids. */
#include "core/ids.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "util/err.h"
#include "util/text.h"
#include "util/banned.h"

#define QUOTE_MAX 128

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static const char hexdig[] = "0123456789abcdef";

int generation_parse(uint32_t *out, const char *s, size_t len)
{
	char q[QUOTE_MAX];
	uint64_t v = 0;
	size_t i;
	int r = ERR_INVALID;

	*out = 0;
	if (len == 0 || len > 10 || s[0] == '0')
		goto out;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto out;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > GENERATION_MAX)
		goto out;
	*out = (uint32_t)v;
	r = 0;
out:
	if (r != 0) {
		err_quote(q, sizeof(q), s, len);
		err_set(r, "bad generation '%s': expected a number from 1 to 2147483647", q);
	}
	return r;
}

int generation_format(uint32_t g, char *buf, size_t buflen)
{
	int n;

	if (buflen > 0)
		buf[0] = '\0';
	if (g == 0 || g > GENERATION_MAX)
		return err_set(ERR_INVALID, "bad generation %u: expected 1 to 2147483647", g);
	n = snprintf(buf, buflen, "%u", g);
	if (n < 0 || (size_t)n >= buflen) {
		if (buflen > 0)
			buf[0] = '\0';
		return err_set(ERR_LIMIT, "generation %u does not fit in %zu bytes", g, buflen);
	}
	return 0;
}

/* Fill BUF with LEN random bytes, retrying short reads and EINTR. */
static int random_fill(uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = getrandom(buf + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_set_errno(ERR_IO, errno, "getrandom");
		}
		got += (size_t)n;
	}
	return 0;
}

int session_id_generate(struct session_id *out)
{
	int r;

	if ((r = random_fill(out->b, sizeof(out->b))) != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

/* A lowercase hex digit's value, or -1 (uppercase is refused: ids have one spelling). */
static int lower_hex(int c)
{
	return c >= 'A' && c <= 'F' ? -1 : text_hex_value(c);
}

/* Clear OUT (SIZE bytes) and fail the parse of S (LEN bytes) as WHAT, FORM expected. Returns ERR_INVALID. */
static int bad_id(void *out, size_t size, const char *what, const char *s, size_t len, const char *form)
{
	memset(out, 0, size);
	return err_bad_input(what, s, len, NULL, form);
}

int session_id_parse(struct session_id *out, const char *s, size_t len)
{
	static const char form[] = "expected 32 lowercase hex digits";
	size_t i;
	int hi, lo;

	memset(out, 0, sizeof(*out));
	if (len != SESSION_ID_LEN)
		return bad_id(out, sizeof(*out), "bad session id", s, len, form);
	for (i = 0; i < SESSION_ID_BYTES; i++) {
		hi = lower_hex((unsigned char)s[2 * i]);
		lo = lower_hex((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return bad_id(out, sizeof(*out), "bad session id", s, len, form);
		out->b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int session_id_format(const struct session_id *id, char *buf, size_t buflen)
{
	size_t i;

	if (buflen > 0)
		buf[0] = '\0';
	if (buflen < SESSION_ID_LEN + 1)
		return err_set(ERR_LIMIT, "session id does not fit in %zu bytes", buflen);
	for (i = 0; i < SESSION_ID_BYTES; i++) {
		buf[2 * i] = hexdig[id->b[i] >> 4];
		buf[2 * i + 1] = hexdig[id->b[i] & 15];
	}
	buf[SESSION_ID_LEN] = '\0';
	return 0;
}

bool session_id_equal(const struct session_id *a, const struct session_id *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

int deployment_id_make(struct deployment_id *out, uint64_t now_ms,
    const uint8_t rnd[DEPLOYMENT_ID_RANDOM])
{
	int i;

	memset(out, 0, sizeof(*out));
	if (now_ms > DEPLOYMENT_ID_TIME_MAX)
		return err_set(ERR_INVALID, "bad deployment time %llu ms: over 48 bits",
		    (unsigned long long)now_ms);
	for (i = 5; i >= 0; i--) {
		out->b[i] = (uint8_t)(now_ms & 0xff);
		now_ms >>= 8;
	}
	memcpy(out->b + 6, rnd, DEPLOYMENT_ID_RANDOM);
	return 0;
}

int deployment_id_generate(struct deployment_id *out, uint64_t now_ms)
{
	uint8_t rnd[DEPLOYMENT_ID_RANDOM];
	int r;

	memset(out, 0, sizeof(*out));
	if (now_ms > DEPLOYMENT_ID_TIME_MAX)
		return err_set(ERR_INVALID, "bad deployment time %llu ms: over 48 bits",
		    (unsigned long long)now_ms);
	if ((r = random_fill(rnd, sizeof(rnd))) != 0)
		return r;
	return deployment_id_make(out, now_ms, rnd);
}

/* Value of one Crockford digit in the canonical uppercase alphabet, or -1. */
static int crockval(int c)
{
	const char *p;

	if (c == '\0' || (p = strchr(crockford, c)) == NULL)
		return -1;
	return (int)(p - crockford);
}

/*
 * The 128 bits are read as a 130-bit number with two leading zero bits, five bits per
 * character, most significant first.
 */
int deployment_id_parse(struct deployment_id *out, const char *s, size_t len)
{
	static const char form[] = "expected 26 characters of 0-9 and A-Z without I L O U, the first 0-7";
	size_t i;
	int v, bit;

	memset(out, 0, sizeof(*out));
	if (len != DEPLOYMENT_ID_LEN)
		return bad_id(out, sizeof(*out), "bad deployment id", s, len, form);
	for (i = 0; i < DEPLOYMENT_ID_LEN; i++) {
		if ((v = crockval((unsigned char)s[i])) < 0 || (i == 0 && v > 7))
			return bad_id(out, sizeof(*out), "bad deployment id", s, len, form);
		for (bit = 4; bit >= 0; bit--) {
			size_t pos = i * 5 + (size_t)(4 - bit);	/* 0..129 */

			if (pos < 2 || !((v >> bit) & 1))
				continue;
			pos -= 2;
			out->b[pos / 8] |= (uint8_t)(0x80 >> (pos % 8));
		}
	}
	return 0;
}

int deployment_id_format(const struct deployment_id *id, char *buf, size_t buflen)
{
	size_t i, pos;
	int bit, v;

	if (buflen > 0)
		buf[0] = '\0';
	if (buflen < DEPLOYMENT_ID_LEN + 1)
		return err_set(ERR_LIMIT, "deployment id does not fit in %zu bytes", buflen);
	for (i = 0; i < DEPLOYMENT_ID_LEN; i++) {
		v = 0;
		for (bit = 0; bit < 5; bit++) {
			pos = i * 5 + (size_t)bit;
			v <<= 1;
			if (pos >= 2 && (id->b[(pos - 2) / 8] & (0x80 >> ((pos - 2) % 8))))
				v |= 1;
		}
		buf[i] = crockford[v];
	}
	buf[DEPLOYMENT_ID_LEN] = '\0';
	return 0;
}

uint64_t deployment_id_time_ms(const struct deployment_id *id)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < 6; i++)
		t = t << 8 | id->b[i];
	return t;
}

int deployment_id_cmp(const struct deployment_id *a, const struct deployment_id *b)
{
	return memcmp(a->b, b->b, sizeof(a->b));
}
