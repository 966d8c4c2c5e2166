/* The age file format (age-encryption.org/v1) with X25519 recipients, on OpenSSL 3. */
#include "formats/age.h"
#include "util/err.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGE_VERSION_LINE "age-encryption.org/v1\n"
#define AGE_X25519_INFO "age-encryption.org/v1/X25519"
#define AGE_PUBLIC_HRP "age"
#define AGE_SECRET_HRP "age-secret-key-"
#define AGE_ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define AGE_BODY_COLUMNS 64
#define AGE_MAC_LEN 32
#define AGE_MAC_B64 43			/* 32 bytes of unpadded base64 */
#define AGE_WRAPPED_LEN (AGE_FILE_KEY_LEN + AGE_TAG_LEN)
#define AGE_CHUNK_CT (AGE_CHUNK + AGE_TAG_LEN)

void age_free(void *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

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
			OPENSSL_cleanse(out, n);	/* what was decoded so far may be a secret key's start */
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
				OPENSSL_cleanse(out, n);
				return err_set(ERR_INVALID, "bad bech32 text: more than %zu bytes of data", n);
			}
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (chk != 1) {
		OPENSSL_cleanse(out, n);
		return err_set(ERR_INVALID, "bad bech32 text: checksum mismatch (a typo?)");
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0 || o != n) {
		OPENSSL_cleanse(out, n);
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

/* Keys */

static int x25519_public(const uint8_t secret[AGE_KEY_LEN], uint8_t public[AGE_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, secret, AGE_KEY_LEN);
	size_t len = AGE_KEY_LEN;
	int r = 0;

	if (!k || EVP_PKEY_get_raw_public_key(k, public, &len) != 1 || len != AGE_KEY_LEN)
		r = err_set(ERR_IO, "openssl: cannot derive an X25519 public key");
	EVP_PKEY_free(k);
	return r;
}

/* X25519(SECRET, PEER) into OUT; ERR_INVALID when the result is all zero (PEER is a low-order point). */
static int x25519(const uint8_t secret[AGE_KEY_LEN], const uint8_t peer[AGE_KEY_LEN], uint8_t out[AGE_KEY_LEN])
{
	static const uint8_t zero[AGE_KEY_LEN];
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, secret, AGE_KEY_LEN);
	EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, AGE_KEY_LEN);
	EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
	size_t len = AGE_KEY_LEN;
	int r = 0;

	if (!k || !p || !ctx || EVP_PKEY_derive_init(ctx) != 1) {
		r = err_set(ERR_IO, "openssl: cannot set up X25519");
		goto out;
	}
	/* OpenSSL refuses a derivation that ends in all zeros: that, too, is a low-order point. */
	if (EVP_PKEY_derive_set_peer(ctx, p) != 1 || EVP_PKEY_derive(ctx, out, &len) != 1 || len != AGE_KEY_LEN ||
	    CRYPTO_memcmp(out, zero, AGE_KEY_LEN) == 0) {
		OPENSSL_cleanse(out, AGE_KEY_LEN);
		r = err_set(ERR_INVALID, "X25519 with a low-order point");
	}
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(p);
	EVP_PKEY_free(k);
	return r;
}

int age_identity_generate(struct age_identity *id)
{
	int r;

	if (RAND_bytes(id->secret, AGE_KEY_LEN) != 1)
		return err_set(ERR_IO, "openssl: no random bytes");
	if ((r = x25519_public(id->secret, id->public)) < 0)
		age_identity_wipe(id);
	return r;
}

void age_identity_wipe(struct age_identity *id)
{
	OPENSSL_cleanse(id, sizeof(*id));
}

int age_identity_parse(const char *s, size_t len, struct age_identity *id)
{
	char why[256];
	int r;

	memset(id, 0, sizeof(*id));
	if (len < 16 || strncmp(s, "AGE-SECRET-KEY-1", 16) != 0)
		return err_set(ERR_INVALID, "not an age identity: expected AGE-SECRET-KEY-1...");
	if ((r = age_bech32_decode(AGE_SECRET_HRP, s, len, id->secret, AGE_KEY_LEN)) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg() + strlen("bad bech32 text: "));
		return err_set(r, "bad age identity: %s", why);
	}
	if ((r = x25519_public(id->secret, id->public)) < 0)
		age_identity_wipe(id);
	return r;
}

void age_identity_format(const struct age_identity *id, char out[AGE_IDENTITY_TEXT_MAX])
{
	age_bech32_encode(AGE_SECRET_HRP, id->secret, AGE_KEY_LEN, 1, out, AGE_IDENTITY_TEXT_MAX);
}

void age_identity_recipient(const struct age_identity *id, struct age_recipient *out)
{
	memcpy(out->public, id->public, AGE_KEY_LEN);
}

int age_recipient_parse(const char *s, size_t len, struct age_recipient *r)
{
	char q[96], why[256];
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = age_bech32_decode(AGE_PUBLIC_HRP, s, len, r->public, AGE_KEY_LEN)) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg() + strlen("bad bech32 text: "));
		return err_set(rc, "bad age recipient '%s': %s; expected age1... as age-keygen prints it",
			       err_quote(q, sizeof(q), s, len), why);
	}
	return 0;
}

void age_recipient_format(const struct age_recipient *r, char out[AGE_RECIPIENT_TEXT_MAX])
{
	age_bech32_encode(AGE_PUBLIC_HRP, r->public, AGE_KEY_LEN, 0, out, AGE_RECIPIENT_TEXT_MAX);
}

void age_identities_free(struct age_identity *ids, size_t n)
{
	age_free(ids, n * sizeof(*ids));
}

int age_identity_file_parse(const char *name, const char *text, size_t len, struct age_identity **ids, size_t *n)
{
	struct age_identity *list = NULL, *grown;
	size_t count = 0, cap = 0, line = 0, off = 0;
	int r = 0;

	*ids = NULL;
	*n = 0;
	while (off < len) {
		const char *p = text + off, *nl = memchr(p, '\n', len - off);
		size_t l = nl ? (size_t)(nl - p) : len - off;

		off += l + (nl ? 1 : 0);
		line++;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l == 0 || p[0] == '#')
			continue;
		if (count == cap) {
			/* Grow by hand, so no copy of a secret is left behind in freed memory. */
			cap = cap ? cap * 2 : 2;
			if (!(grown = calloc(cap, sizeof(*grown)))) {
				r = err_set(ERR_NOMEM, "out of memory");
				goto out;
			}
			if (count)
				memcpy(grown, list, count * sizeof(*list));
			age_identities_free(list, count);
			list = grown;
		}
		if ((r = age_identity_parse(p, l, &list[count])) < 0) {
			char why[256];

			snprintf(why, sizeof(why), "%s", err_msg());
			r = err_set(r, "%s:%zu: %s", name, line, why);
			goto out;
		}
		count++;
	}
	if (count == 0) {
		r = err_set(ERR_INVALID, "%s: no identity in the file: expected a line AGE-SECRET-KEY-1...", name);
		goto out;
	}
	*ids = list;
	*n = count;
	list = NULL;
out:
	age_identities_free(list, cap);
	return r;
}

int age_identity_file_format(const struct age_identity *id, const char *created, char *out, size_t len)
{
	char pub[AGE_RECIPIENT_TEXT_MAX], sec[AGE_IDENTITY_TEXT_MAX];
	struct age_recipient rc;
	int n;

	age_identity_recipient(id, &rc);
	age_recipient_format(&rc, pub);
	age_identity_format(id, sec);
	if (created)
		n = snprintf(out, len, "# created: %s\n# public key: %s\n%s\n", created, pub, sec);
	else
		n = snprintf(out, len, "# public key: %s\n%s\n", pub, sec);
	OPENSSL_cleanse(sec, sizeof(sec));
	if (n < 0 || (size_t)n >= len) {
		OPENSSL_cleanse(out, len);
		return err_set(ERR_LIMIT, "identity file text does not fit in %zu bytes", len);
	}
	return n;
}

/* Primitives */

/* HKDF-SHA-256 of IKM with SALT (none when SALT_LEN is 0) and INFO, 32 bytes into OUT. */
static int hkdf(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len, const char *info,
		uint8_t out[32])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5], *p = params;
	int r = 0;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
	if (salt_len)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
	*p = OSSL_PARAM_construct_end();
	if (!ctx || EVP_KDF_derive(ctx, out, 32, params) != 1)
		r = err_set(ERR_IO, "openssl: HKDF-SHA-256 failed");
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

static int hmac_sha256(const uint8_t key[32], const void *data, size_t len, uint8_t out[AGE_MAC_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int r = 0;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_MAC_init(ctx, key, 32, params) != 1 || EVP_MAC_update(ctx, data, len) != 1 ||
	    EVP_MAC_final(ctx, out, &outl, AGE_MAC_LEN) != 1 || outl != AGE_MAC_LEN)
		r = err_set(ERR_IO, "openssl: HMAC-SHA-256 failed");
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

/*
 * ChaCha20-Poly1305 of LEN bytes IN into OUT with KEY and NONCE; the tag goes to (ENC) or
 * comes from TAG. Decryption that fails authentication is ERR_CORRUPT with OUT wiped.
 */
static int aead(EVP_CIPHER_CTX *c, int enc, const uint8_t key[32], const uint8_t nonce[12], const uint8_t *in,
		size_t len, uint8_t *out, uint8_t tag[AGE_TAG_LEN])
{
	int n = 0, fin = 0;

	if (EVP_CipherInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce, enc) != 1 ||
	    (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, AGE_TAG_LEN, tag) != 1) ||
	    (len && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1))
		return err_set(ERR_IO, "openssl: ChaCha20-Poly1305 failed");
	if (EVP_CipherFinal_ex(c, out + n, &fin) != 1) {
		OPENSSL_cleanse(out, len);
		return enc ? err_set(ERR_IO, "openssl: ChaCha20-Poly1305 failed") : ERR_CORRUPT;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, AGE_TAG_LEN, tag) != 1)
		return err_set(ERR_IO, "openssl: ChaCha20-Poly1305 failed");
	return 0;
}

static void chunk_nonce(uint8_t nonce[12], uint64_t counter, int last)
{
	int i;

	memset(nonce, 0, 12);
	for (i = 0; i < 8; i++)
		nonce[10 - i] = (uint8_t)(counter >> (8 * i));
	nonce[11] = last ? 1 : 0;
}

/* The wrap key of an X25519 stanza: HKDF(shared, share || recipient, info). */
static int wrap_key(const uint8_t shared[32], const uint8_t share[32], const uint8_t recipient[32], uint8_t key[32])
{
	uint8_t salt[64];

	memcpy(salt, share, 32);
	memcpy(salt + 32, recipient, 32);
	return hkdf(shared, 32, salt, sizeof(salt), AGE_X25519_INFO, key);
}

/* Encryption */

/* Append a stanza body as base64 wrapped at 64 columns, ending with a shorter (maybe empty) line. */
static int put_body(struct buf *h, const uint8_t *body, size_t n)
{
	char text[AGE_WRAPPED_LEN * 2];
	size_t len = age_b64_encode(body, n, text), i;
	int r = 0;

	for (i = 0; r == 0 && i + AGE_BODY_COLUMNS <= len; i += AGE_BODY_COLUMNS) {
		r = buf_add(h, text + i, AGE_BODY_COLUMNS);
		r = r ? r : buf_addc(h, '\n');
	}
	r = r ? r : buf_add(h, text + i, len - i);
	return r ? r : buf_addc(h, '\n');
}

/* Append an X25519 stanza wrapping FILE_KEY for R. */
static int put_x25519(struct buf *h, EVP_CIPHER_CTX *c, const struct age_recipient *r,
		      const uint8_t file_key[AGE_FILE_KEY_LEN])
{
	static const uint8_t zero_nonce[12];
	uint8_t eph[AGE_KEY_LEN], share[AGE_KEY_LEN], shared[AGE_KEY_LEN], key[32], body[AGE_WRAPPED_LEN];
	char share64[48], q[AGE_RECIPIENT_TEXT_MAX];
	int rc;

	if (RAND_bytes(eph, sizeof(eph)) != 1) {
		rc = err_set(ERR_IO, "openssl: no random bytes");
		goto out;
	}
	if ((rc = x25519_public(eph, share)) < 0)
		goto out;
	if ((rc = x25519(eph, r->public, shared)) < 0) {
		age_recipient_format(r, q);
		rc = err_set(ERR_INVALID, "bad age recipient '%s': a low-order point", q);
		goto out;
	}
	if ((rc = wrap_key(shared, share, r->public, key)) < 0 ||
	    (rc = aead(c, 1, key, zero_nonce, file_key, AGE_FILE_KEY_LEN, body, body + AGE_FILE_KEY_LEN)) < 0)
		goto out;
	age_b64_encode(share, sizeof(share), share64);
	if ((rc = buf_printf(h, "-> X25519 %s\n", share64)) < 0 || (rc = put_body(h, body, sizeof(body))) < 0)
		goto out;
out:
	OPENSSL_cleanse(eph, sizeof(eph));
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int age_encrypt(const struct age_recipient *rs, size_t n, const void *plain, size_t len, uint8_t **out,
		size_t *out_len)
{
	struct buf h = BUF_INIT(AGE_HEADER_MAX);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t file_key[AGE_FILE_KEY_LEN], mac_key[32], mac[AGE_MAC_LEN], payload_key[32], nonce[12];
	const uint8_t *in = plain;
	size_t nchunks = len == 0 ? 1 : (len + AGE_CHUNK - 1) / AGE_CHUNK, total, i, o;
	char mac64[48];
	uint8_t *res = NULL;
	int r = 0;

	*out = NULL;
	*out_len = 0;
	if (!c) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if (n == 0) {
		r = err_set(ERR_INVALID, "no recipient to encrypt to");
		goto out;
	}
	if (len > SIZE_MAX / 2) {
		r = err_set(ERR_LIMIT, "%zu bytes are too many to encrypt", len);
		goto out;
	}
	if (RAND_bytes(file_key, sizeof(file_key)) != 1) {
		r = err_set(ERR_IO, "openssl: no random bytes");
		goto out;
	}
	if ((r = buf_adds(&h, AGE_VERSION_LINE)) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = put_x25519(&h, c, &rs[i], file_key)) < 0)
			goto out;
	if ((r = buf_adds(&h, "---")) < 0 || (r = hkdf(file_key, sizeof(file_key), NULL, 0, "header", mac_key)) < 0 ||
	    (r = hmac_sha256(mac_key, h.data, h.len, mac)) < 0)
		goto out;
	age_b64_encode(mac, sizeof(mac), mac64);
	if ((r = buf_printf(&h, " %s\n", mac64)) < 0)
		goto out;
	total = h.len + AGE_NONCE_LEN + len + nchunks * AGE_TAG_LEN;
	if (!(res = malloc(total))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(res, h.data, h.len);
	o = h.len;
	if (RAND_bytes(res + o, AGE_NONCE_LEN) != 1) {
		r = err_set(ERR_IO, "openssl: no random bytes");
		goto out;
	}
	if ((r = hkdf(file_key, sizeof(file_key), res + o, AGE_NONCE_LEN, "payload", payload_key)) < 0)
		goto out;
	o += AGE_NONCE_LEN;
	for (i = 0; i < nchunks; i++) {
		size_t at = i * AGE_CHUNK, clen = len - at < AGE_CHUNK ? len - at : AGE_CHUNK;

		chunk_nonce(nonce, i, i + 1 == nchunks);
		if ((r = aead(c, 1, payload_key, nonce, in + at, clen, res + o, res + o + clen)) < 0)
			goto out;
		o += clen + AGE_TAG_LEN;
	}
	*out = res;
	*out_len = total;
	res = NULL;
out:
	free(res);
	OPENSSL_cleanse(file_key, sizeof(file_key));
	OPENSSL_cleanse(mac_key, sizeof(mac_key));
	OPENSSL_cleanse(payload_key, sizeof(payload_key));
	EVP_CIPHER_CTX_free(c);
	buf_release(&h);
	return r;
}

/* Decryption */

struct stanza {
	const char *type;	/* first argument */
	size_t type_len;
	const char *arg;	/* second argument, when there is one */
	size_t arg_len;
	size_t nargs;
	uint8_t *body;		/* decoded, malloc'd */
	size_t body_len;
	size_t line;		/* of its "->" line, 1-based */
};

struct header {
	struct stanza *st;
	size_t n;
	size_t mac_at;		/* bytes covered by the MAC: up to and including "---" */
	uint8_t mac[AGE_MAC_LEN];
	size_t end;		/* where the payload starts */
};

static void header_release(struct header *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->st[i].body);
	free(h->st);
	memset(h, 0, sizeof(*h));
}

/* The line at *OFF in DATA (without its LF) into *LINE and *N; false when no LF ends it. */
static bool next_line(const uint8_t *data, size_t len, size_t *off, const char **line, size_t *n)
{
	const uint8_t *p = data + *off, *nl;
	size_t left = len - *off;

	if (*off >= AGE_HEADER_MAX)
		return false;
	if (left > AGE_HEADER_MAX - *off)
		left = AGE_HEADER_MAX - *off;
	nl = left ? memchr(p, '\n', left) : NULL;
	if (!nl)
		return false;
	*line = (const char *)p;
	*n = (size_t)(nl - p);
	*off += *n + 1;
	return true;
}

static int truncated_header(const uint8_t *data, size_t len, size_t off)
{
	if (len - off > 0 && (off >= AGE_HEADER_MAX || len > AGE_HEADER_MAX))
		return err_set(ERR_LIMIT, "age header longer than %d bytes", AGE_HEADER_MAX);
	return err_set(ERR_CORRUPT, "truncated: the age header ends before its '---' MAC line");
}

/* Parse the arguments of a "-> " line (ARGS, N bytes after the arrow) into S. */
static int parse_args(const char *args, size_t n, size_t line, struct stanza *s)
{
	size_t i, start = 0;

	if (n == 0)
		return err_set(ERR_INVALID, "bad age header line %zu: a stanza without arguments", line);
	for (i = 0; i <= n; i++) {
		if (i < n && args[i] != ' ') {
			if ((unsigned char)args[i] < 0x21 || (unsigned char)args[i] > 0x7e)
				return err_set(ERR_INVALID, "bad age header line %zu: a stanza argument with a "
					       "character that is not printable ASCII", line);
			continue;
		}
		if (i == start)
			return err_set(ERR_INVALID, "bad age header line %zu: an empty stanza argument", line);
		if (s->nargs == 0) {
			s->type = args + start;
			s->type_len = i - start;
		} else if (s->nargs == 1) {
			s->arg = args + start;
			s->arg_len = i - start;
		}
		s->nargs++;
		start = i + 1;
	}
	return 0;
}

static bool is_b64_line(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b64_value((unsigned char)p[i]) < 0)
			return false;
	return true;
}

/* Parse the header of DATA into H: stanzas with decoded bodies, the MAC, where the payload starts. */
static int header_parse(const uint8_t *data, size_t len, struct header *h)
{
	size_t off = 0, line = 1, cap = 0;
	const char *l;
	size_t n;
	int r;

	memset(h, 0, sizeof(*h));
	if (len >= strlen(AGE_ARMOR_BEGIN) && memcmp(data, AGE_ARMOR_BEGIN, strlen(AGE_ARMOR_BEGIN)) == 0)
		return err_set(ERR_INVALID, "an armored (PEM) age file: only the binary form is supported");
	if (len < strlen(AGE_VERSION_LINE) && memcmp(data, AGE_VERSION_LINE, len) == 0)
		return err_set(ERR_CORRUPT, "truncated: the file ends within the age version line");
	if (len < strlen(AGE_VERSION_LINE) || memcmp(data, AGE_VERSION_LINE, strlen(AGE_VERSION_LINE)) != 0) {
		if (len >= 19 && memcmp(data, "age-encryption.org/", 19) == 0)
			return err_set(ERR_INVALID, "unsupported age version: expected 'age-encryption.org/v1'");
		return err_set(ERR_INVALID, "not an age file: it does not start with 'age-encryption.org/v1'");
	}
	off = strlen(AGE_VERSION_LINE);
	for (;;) {
		struct stanza *s;
		size_t body_start, body_chars = 0;
		char *text;

		line++;
		if (!next_line(data, len, &off, &l, &n))
			return truncated_header(data, len, off);
		if (n >= 3 && memcmp(l, "---", 3) == 0) {
			if (h->n == 0)
				return err_set(ERR_INVALID, "bad age header: no recipient stanza before the MAC line");
			if (n != 4 + AGE_MAC_B64 || l[3] != ' ')
				return err_set(ERR_INVALID, "bad age header line %zu: expected '--- ' and a "
					       "43-character MAC", line);
			if (age_b64_decode(l + 4, AGE_MAC_B64, h->mac, sizeof(h->mac)) != AGE_MAC_LEN)
				return err_set(ERR_INVALID, "bad age header line %zu: the MAC is not canonical "
					       "base64", line);
			h->mac_at = (size_t)((const uint8_t *)l - data) + 3;
			h->end = off;
			return 0;
		}
		if (n < 3 || memcmp(l, "-> ", 3) != 0)
			return err_set(ERR_INVALID, "bad age header line %zu: expected a '-> ' stanza or the "
				       "'---' MAC line", line);
		if (h->n == AGE_STANZAS_MAX)
			return err_set(ERR_LIMIT, "age header with more than %d stanzas", AGE_STANZAS_MAX);
		if (h->n == cap) {
			struct stanza *grown;

			cap = cap ? cap * 2 : 4;
			if (!(grown = realloc(h->st, cap * sizeof(*grown))))
				return err_set(ERR_NOMEM, "out of memory");
			h->st = grown;
		}
		s = &h->st[h->n++];
		memset(s, 0, sizeof(*s));
		s->line = line;
		if ((r = parse_args(l + 3, n - 3, line, s)) < 0)
			return r;
		/* The body: full 64-column lines, then one shorter (maybe empty). */
		body_start = off;
		for (;;) {
			line++;
			if (!next_line(data, len, &off, &l, &n))
				return truncated_header(data, len, off);
			if (n > AGE_BODY_COLUMNS || !is_b64_line(l, n))
				return err_set(ERR_INVALID, "bad age header line %zu: a stanza body line must be "
					       "at most 64 base64 characters", line);
			body_chars += n;
			if (n < AGE_BODY_COLUMNS)
				break;
		}
		if (!(text = malloc(body_chars + 1)) || !(s->body = malloc(body_chars / 4 * 3 + 3))) {
			free(text);
			return err_set(ERR_NOMEM, "out of memory");
		}
		{
			size_t at = body_start, t = 0;

			while (t < body_chars) {
				const char *bl = (const char *)data + at;
				size_t bn = body_chars - t < AGE_BODY_COLUMNS ? body_chars - t : AGE_BODY_COLUMNS;

				memcpy(text + t, bl, bn);
				t += bn;
				at += bn + 1;
			}
		}
		r = age_b64_decode(text, body_chars, s->body, body_chars / 4 * 3 + 3);
		free(text);
		if (r < 0) {
			char why[256];

			snprintf(why, sizeof(why), "%s", err_msg());
			return err_set(ERR_INVALID, "bad age header: the body of the stanza on line %zu: %s", s->line,
				       why);
		}
		s->body_len = (size_t)r;
	}
}

static bool stanza_is(const struct stanza *s, const char *type)
{
	return s->type_len == strlen(type) && memcmp(s->type, type, s->type_len) == 0;
}

/* Check an X25519 stanza strictly and decode its share into SHARE. */
static int x25519_check(const struct stanza *s, uint8_t share[AGE_KEY_LEN])
{
	if (s->nargs != 2)
		return err_set(ERR_INVALID, "bad X25519 stanza on header line %zu: %zu arguments, expected "
			       "'X25519' and the ephemeral share", s->line, s->nargs);
	if (s->arg_len != 43 || age_b64_decode(s->arg, s->arg_len, share, AGE_KEY_LEN) != AGE_KEY_LEN)
		return err_set(ERR_INVALID, "bad X25519 stanza on header line %zu: the share is not 32 bytes "
			       "of canonical base64", s->line);
	if (s->body_len != AGE_WRAPPED_LEN)
		return err_set(ERR_INVALID, "bad X25519 stanza on header line %zu: a body of %zu bytes, "
			       "expected %d", s->line, s->body_len, AGE_WRAPPED_LEN);
	return 0;
}

/* Try to unwrap the file key from S (checked) with ID: 1 when it is ours, 0 when not, or an error. */
static int x25519_unwrap(EVP_CIPHER_CTX *c, const struct stanza *s, const uint8_t share[AGE_KEY_LEN],
			 const struct age_identity *id, uint8_t file_key[AGE_FILE_KEY_LEN])
{
	static const uint8_t zero_nonce[12];
	uint8_t shared[AGE_KEY_LEN], key[32], tag[AGE_TAG_LEN];
	int r;

	if ((r = x25519(id->secret, share, shared)) < 0) {
		if (r == ERR_INVALID)
			r = err_set(ERR_INVALID, "bad X25519 stanza on header line %zu: the share is a "
				    "low-order point", s->line);
		goto out;
	}
	if ((r = wrap_key(shared, share, id->public, key)) < 0)
		goto out;
	memcpy(tag, s->body + AGE_FILE_KEY_LEN, AGE_TAG_LEN);
	r = aead(c, 0, key, zero_nonce, s->body, AGE_FILE_KEY_LEN, file_key, tag);
	r = r == 0 ? 1 : r == ERR_CORRUPT ? 0 : r;
out:
	OPENSSL_cleanse(shared, sizeof(shared));
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

/* Decrypt the payload at DATA (LEN bytes from the nonce on) with FILE_KEY. */
static int payload_decrypt(EVP_CIPHER_CTX *c, const uint8_t file_key[AGE_FILE_KEY_LEN], const uint8_t *data,
			   size_t len, uint8_t **plain, size_t *plain_len)
{
	uint8_t key[32], nonce[12], tag[AGE_TAG_LEN];
	size_t ct, nchunks, last_len, total, i, o = 0;
	uint8_t *res = NULL;
	int r = 0;

	if (len < AGE_NONCE_LEN)
		return err_set(ERR_CORRUPT, "truncated: the payload nonce is %zu of %d bytes", len, AGE_NONCE_LEN);
	ct = len - AGE_NONCE_LEN;
	if (ct == 0)
		return err_set(ERR_CORRUPT, "truncated: the payload has no chunk");
	nchunks = (ct + AGE_CHUNK_CT - 1) / AGE_CHUNK_CT;
	last_len = ct - (nchunks - 1) * AGE_CHUNK_CT;
	if (last_len < AGE_TAG_LEN)
		return err_set(ERR_CORRUPT, "truncated: the last payload chunk is %zu bytes, shorter than its tag",
			       last_len);
	if (nchunks > 1 && last_len == AGE_TAG_LEN)
		return err_set(ERR_CORRUPT, "bad payload: it ends with an empty chunk");
	total = ct - nchunks * AGE_TAG_LEN;
	if (!(res = malloc(total ? total : 1)))
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = hkdf(file_key, AGE_FILE_KEY_LEN, data, AGE_NONCE_LEN, "payload", key)) < 0)
		goto out;
	data += AGE_NONCE_LEN;
	for (i = 0; i < nchunks; i++) {
		bool last = i + 1 == nchunks;
		size_t clen = (last ? last_len : AGE_CHUNK_CT) - AGE_TAG_LEN;

		chunk_nonce(nonce, i, last);
		memcpy(tag, data + clen, AGE_TAG_LEN);
		r = aead(c, 0, key, nonce, data, clen, res + o, tag);
		if (r == ERR_CORRUPT && last && clen == AGE_CHUNK) {
			/* A full chunk that is not final: the file was cut at a chunk boundary. */
			chunk_nonce(nonce, i, 0);
			if (aead(c, 0, key, nonce, data, clen, res + o, tag) == 0) {
				r = err_set(ERR_CORRUPT, "truncated: the payload stops after chunk %zu, before its "
					    "final chunk", i + 1);
				goto out;
			}
		}
		if (r == ERR_CORRUPT) {
			r = err_set(ERR_CORRUPT, "payload chunk %zu of %zu fails authentication: the file is "
				    "corrupted", i + 1, nchunks);
			goto out;
		}
		if (r < 0)
			goto out;
		data += clen + AGE_TAG_LEN;
		o += clen;
	}
	*plain = res;
	*plain_len = total;
	res = NULL;
out:
	age_free(res, total);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

int age_decrypt(const struct age_identity *ids, size_t n, const void *data, size_t len, uint8_t **plain,
		size_t *plain_len)
{
	const uint8_t *d = data;
	struct header h;
	EVP_CIPHER_CTX *c = NULL;
	uint8_t file_key[AGE_FILE_KEY_LEN], mac_key[32], mac[AGE_MAC_LEN], share[AGE_KEY_LEN];
	size_t i, j, nx = 0;
	int r, found = 0;

	*plain = NULL;
	*plain_len = 0;
	if ((r = header_parse(d, len, &h)) < 0)
		goto out;
	for (i = 0; i < h.n; i++) {
		if (stanza_is(&h.st[i], "scrypt")) {
			r = err_set(ERR_INVALID, "a passphrase (scrypt) age file: only X25519 recipients are "
				    "supported");
			goto out;
		}
		if (stanza_is(&h.st[i], "X25519")) {
			if ((r = x25519_check(&h.st[i], share)) < 0)
				goto out;
			nx++;
		}
	}
	if (nx == 0) {
		r = err_set(ERR_AUTH, "no identity matches: the file has no X25519 recipient");
		goto out;
	}
	if (!(c = EVP_CIPHER_CTX_new())) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	for (j = 0; j < n && !found; j++) {
		for (i = 0; i < h.n && !found; i++) {
			if (!stanza_is(&h.st[i], "X25519"))
				continue;
			x25519_check(&h.st[i], share);
			if ((r = x25519_unwrap(c, &h.st[i], share, &ids[j], file_key)) < 0)
				goto out;
			found = r;
		}
	}
	if (!found) {
		r = err_set(ERR_AUTH, "no identity matches: the file is encrypted to %zu X25519 recipient%s, "
			    "none of them the %zu identit%s given", nx, nx == 1 ? "" : "s", n, n == 1 ? "y" : "ies");
		goto out;
	}
	if ((r = hkdf(file_key, sizeof(file_key), NULL, 0, "header", mac_key)) < 0 ||
	    (r = hmac_sha256(mac_key, d, h.mac_at, mac)) < 0)
		goto out;
	if (CRYPTO_memcmp(mac, h.mac, sizeof(mac)) != 0) {
		r = err_set(ERR_CORRUPT, "header MAC mismatch: the age header was altered");
		goto out;
	}
	r = payload_decrypt(c, file_key, d + h.end, len - h.end, plain, plain_len);
out:
	OPENSSL_cleanse(file_key, sizeof(file_key));
	OPENSSL_cleanse(mac_key, sizeof(mac_key));
	EVP_CIPHER_CTX_free(c);
	header_release(&h);
	return r;
}
