/* age's text encodings: Bech32 (BIP 173) for keys, unpadded canonical base64 for stanzas and the MAC. */
#include "formats/age.h"
#include "formats/age_internal.h"
#include "ports/cipher.h"
#include "util/err.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include "util/banned.h"

/* Bech32 (BIP 173) */

static const char bech32_chars[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t bech32_step(uint32_t chk, uint8_t v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3 };
	uint8_t top = chk >> 25;
	int i;

	chk = ((chk & 0x1ffffff) << 5) ^ v;
	for (i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

/* The checksum state after the expanded HRP (lowercase). */
static uint32_t bech32_hrp(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < n; i++)
		chk = bech32_step(chk, (uint8_t)hrp[i] >> 5);
	chk = bech32_step(chk, 0);
	for (i = 0; i < n; i++)
		chk = bech32_step(chk, (uint8_t)hrp[i] & 31);
	return chk;
}

int age_bech32_encode(const char *hrp, const uint8_t *data, size_t n, int upper, char *out, size_t len)
{
	size_t hlen = strlen(hrp), nv = (n * 8 + 4) / 5, need = hlen + 1 + nv + 6 + 1, o = 0, i;
	uint32_t chk, acc = 0;
	int bits = 0;

	if (need > len)
		return err_set(ERR_LIMIT, "bech32 text of %zu bytes does not fit in %zu", need, len);
	chk = bech32_hrp(hrp, hlen);
	memcpy(out, hrp, hlen);
	o = hlen;
	out[o++] = '1';
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			uint8_t v = (acc >> (bits - 5)) & 31;

			bits -= 5;
			chk = bech32_step(chk, v);
			out[o++] = bech32_chars[v];
		}
	}
	if (bits > 0) {
		uint8_t v = (acc << (5 - bits)) & 31;

		chk = bech32_step(chk, v);
		out[o++] = bech32_chars[v];
	}
	for (i = 0; i < 6; i++)
		chk = bech32_step(chk, 0);
	chk ^= 1;
	for (i = 0; i < 6; i++)
		out[o++] = bech32_chars[(chk >> (5 * (5 - i))) & 31];
	out[o] = '\0';
	if (upper)
		for (i = 0; i < o; i++)
			if (out[i] >= 'a' && out[i] <= 'z')
				out[i] = (char)(out[i] - 'a' + 'A');
	acc = 0;
	return 0;
}

int age_bech32_decode(const char *hrp, const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t hlen = strlen(hrp), sep = 0, i, o = 0;
	bool lower = false, upper = false, found = false;
	uint32_t chk, acc = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126)
			return err_set(ERR_INVALID, "bad bech32 text: character %zu is not printable ASCII", i + 1);
		if (c >= 'a' && c <= 'z')
			lower = true;
		if (c >= 'A' && c <= 'Z')
			upper = true;
		if (c == '1') {
			sep = i;
			found = true;
		}
	}
	if (lower && upper)
		return err_set(ERR_INVALID, "bad bech32 text: mixed upper and lower case");
	if (!found)
		return err_set(ERR_INVALID, "bad bech32 text: no '1' separator");
	if (sep != hlen || strncasecmp(s, hrp, hlen) != 0)
		return err_set(ERR_INVALID, "bad bech32 text: expected the prefix '%s1'", hrp);
	if (len - sep - 1 < 6)
		return err_set(ERR_INVALID, "bad bech32 text: too short for its checksum");
	chk = bech32_hrp(hrp, hlen);
	for (i = sep + 1; i < len; i++) {
		char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
		const char *at = memchr(bech32_chars, c, 32);
		uint8_t v;

		if (!at || c == '\0') {
			cipher_wipe(out, n);	/* what was decoded so far may be a secret key's start */
			return err_set(ERR_INVALID, "bad bech32 text: character %zu is not in the bech32 alphabet", i + 1);
		}
		v = (uint8_t)(at - bech32_chars);
		chk = bech32_step(chk, v);
		if (i >= len - 6)
			continue;
		acc = (acc << 5) | v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= n) {
				cipher_wipe(out, n);
				return err_set(ERR_INVALID, "bad bech32 text: more than %zu bytes of data", n);
			}
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (chk != 1) {
		cipher_wipe(out, n);
		return err_set(ERR_INVALID, "bad bech32 text: checksum mismatch (a typo?)");
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0 || o != n) {
		cipher_wipe(out, n);
		return err_set(ERR_INVALID, "bad bech32 text: expected %zu bytes of data", n);
	}
	acc = 0;
	return 0;
}

/* Unpadded, canonical base64 */

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

size_t age_b64_encode(const uint8_t *p, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = b64_chars[v >> 18];
		out[o++] = b64_chars[(v >> 12) & 63];
		out[o++] = b64_chars[(v >> 6) & 63];
		out[o++] = b64_chars[v & 63];
	}
	if (n - i == 1) {
		out[o++] = b64_chars[p[i] >> 2];
		out[o++] = b64_chars[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];

		out[o++] = b64_chars[v >> 10];
		out[o++] = b64_chars[(v >> 4) & 63];
		out[o++] = b64_chars[(v & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

int age_b64_decode(const char *s, size_t len, uint8_t *out, size_t max)
{
	size_t i, o = 0, rem = len % 4, want = len / 4 * 3 + (rem ? rem - 1 : 0);
	uint32_t acc = 0;
	int bits = 0, v = 0;

	if (rem == 1)
		return err_set(ERR_INVALID, "bad base64: %zu characters is not a possible length", len);
	if (want > max)
		return err_set(ERR_INVALID, "bad base64: %zu bytes where at most %zu fit", want, max);
	for (i = 0; i < len; i++) {
		if ((v = b64_value((unsigned char)s[i])) < 0)
			return err_set(ERR_INVALID, "bad base64: character %zu is not in the alphabet%s", i + 1,
				       s[i] == '=' ? " (padding is not allowed)" : "");
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return err_set(ERR_INVALID, "bad base64: not canonical (trailing bits are set)");
	return (int)o;
}


bool age_b64_chars_ok(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b64_value((unsigned char)p[i]) < 0)
			return false;
	return true;
}
