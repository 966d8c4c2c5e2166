/* age encryption and decryption: X25519 stanzas wrapping the file key, the header MAC, the chunked payload. */
#include "formats/age.h"
#include "formats/age_internal.h"
#include "ports/cipher.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static void chunk_nonce(uint8_t nonce[CIPHER_NONCE_LEN], uint64_t counter, int last)
{
	int i;

	memset(nonce, 0, CIPHER_NONCE_LEN);
	for (i = 0; i < 8; i++)
		nonce[10 - i] = (uint8_t)(counter >> (8 * i));
	nonce[11] = last ? 1 : 0;
}

/* HKDF-SHA-256 of FILE_KEY with SALT (SALT_LEN bytes; none when 0) and INFO: a 32-byte key into OUT. */
static int file_key_derive(const struct cipher *c, const uint8_t file_key[AGE_FILE_KEY_LEN], const uint8_t *salt,
			   size_t salt_len, const char *info, uint8_t out[CIPHER_KEY_LEN])
{
	return c->ops->hkdf_sha256(c, file_key, AGE_FILE_KEY_LEN, salt, salt_len, info, out, CIPHER_KEY_LEN);
}

/* The header MAC: HMAC-SHA-256 under HKDF(file key, "header") of the LEN header bytes at DATA. */
static int header_mac(const struct cipher *c, const uint8_t file_key[AGE_FILE_KEY_LEN], const void *data,
		      size_t len, uint8_t mac[AGE_MAC_LEN])
{
	uint8_t key[CIPHER_KEY_LEN];
	int r;

	if ((r = file_key_derive(c, file_key, NULL, 0, "header", key)) == 0)
		r = c->ops->hmac_sha256(c, key, sizeof(key), data, len, mac);
	cipher_wipe(key, sizeof(key));
	return r;
}

/* The wrap key of an X25519 stanza: HKDF(shared, share || recipient, info). */
static int wrap_key(const struct cipher *c, const uint8_t shared[32], const uint8_t share[32],
		    const uint8_t recipient[32], uint8_t key[CIPHER_KEY_LEN])
{
	uint8_t salt[64];

	memcpy(salt, share, 32);
	memcpy(salt + 32, recipient, 32);
	return c->ops->hkdf_sha256(c, shared, 32, salt, sizeof(salt), AGE_X25519_INFO, key, CIPHER_KEY_LEN);
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
static int put_x25519(const struct cipher *c, struct buf *h, const struct age_recipient *r,
		      const uint8_t file_key[AGE_FILE_KEY_LEN])
{
	static const uint8_t zero_nonce[CIPHER_NONCE_LEN];
	uint8_t eph[AGE_KEY_LEN], share[AGE_KEY_LEN], shared[AGE_KEY_LEN], key[CIPHER_KEY_LEN], body[AGE_WRAPPED_LEN];
	char share64[48], q[AGE_RECIPIENT_TEXT_MAX];
	int rc;

	if ((rc = c->ops->random(c, eph, sizeof(eph))) < 0 || (rc = c->ops->x25519_public(c, eph, share)) < 0)
		goto out;
	if ((rc = c->ops->x25519(c, eph, r->public, shared)) < 0) {
		age_recipient_format(r, q);
		rc = err_set(ERR_INVALID, "bad age recipient '%s': a low-order point", q);
		goto out;
	}
	if ((rc = wrap_key(c, shared, share, r->public, key)) < 0 ||
	    (rc = c->ops->seal(c, key, zero_nonce, file_key, AGE_FILE_KEY_LEN, body, body + AGE_FILE_KEY_LEN)) < 0)
		goto out;
	age_b64_encode(share, sizeof(share), share64);
	if ((rc = buf_printf(h, "-> X25519 %s\n", share64)) < 0 || (rc = put_body(h, body, sizeof(body))) < 0)
		goto out;
out:
	cipher_wipe(eph, sizeof(eph));
	cipher_wipe(shared, sizeof(shared));
	cipher_wipe(key, sizeof(key));
	return rc;
}

/* The header for the N recipients RS into H: the version line, a stanza each, the MAC line. */
static int put_header(const struct cipher *c, struct buf *h, const struct age_recipient *rs, size_t n,
		      const uint8_t file_key[AGE_FILE_KEY_LEN])
{
	uint8_t mac[AGE_MAC_LEN];
	char mac64[48];
	size_t i;
	int r;

	if ((r = buf_adds(h, AGE_VERSION_LINE)) < 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = put_x25519(c, h, &rs[i], file_key)) < 0)
			return r;
	if ((r = buf_adds(h, "---")) < 0 || (r = header_mac(c, file_key, h->data, h->len, mac)) < 0)
		return r;
	age_b64_encode(mac, sizeof(mac), mac64);
	return buf_printf(h, " %s\n", mac64);
}

/* The payload of LEN bytes of IN into OUT: a fresh nonce, then the sealed chunks. */
static int put_payload(const struct cipher *c, const uint8_t file_key[AGE_FILE_KEY_LEN], const uint8_t *in,
		       size_t len, size_t nchunks, uint8_t *out)
{
	uint8_t key[CIPHER_KEY_LEN], nonce[CIPHER_NONCE_LEN];
	size_t i, o = AGE_NONCE_LEN;
	int r;

	if ((r = c->ops->random(c, out, AGE_NONCE_LEN)) < 0 ||
	    (r = file_key_derive(c, file_key, out, AGE_NONCE_LEN, "payload", key)) < 0)
		goto out;
	for (i = 0; i < nchunks; i++) {
		size_t at = i * AGE_CHUNK, clen = len - at < AGE_CHUNK ? len - at : AGE_CHUNK;

		chunk_nonce(nonce, i, i + 1 == nchunks);
		if ((r = c->ops->seal(c, key, nonce, in + at, clen, out + o, out + o + clen)) < 0)
			goto out;
		o += clen + AGE_TAG_LEN;
	}
out:
	cipher_wipe(key, sizeof(key));
	return r;
}

int age_encrypt(const struct cipher *c, const struct age_recipient *rs, size_t n, const void *plain, size_t len,
		uint8_t **out, size_t *out_len)
{
	struct buf h = BUF_INIT(AGE_HEADER_MAX);
	uint8_t file_key[AGE_FILE_KEY_LEN];
	size_t nchunks = len == 0 ? 1 : (len + AGE_CHUNK - 1) / AGE_CHUNK, total;
	uint8_t *res = NULL;
	int r = 0;

	*out = NULL;
	*out_len = 0;
	if (n == 0) {
		r = err_set(ERR_INVALID, "no recipient to encrypt to");
		goto out;
	}
	if (len > SIZE_MAX / 2) {
		r = err_set(ERR_LIMIT, "%zu bytes are too many to encrypt", len);
		goto out;
	}
	if ((r = c->ops->random(c, file_key, sizeof(file_key))) < 0 || (r = put_header(c, &h, rs, n, file_key)) < 0)
		goto out;
	total = h.len + AGE_NONCE_LEN + len + nchunks * AGE_TAG_LEN;
	if (!(res = malloc(total))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(res, h.data, h.len);
	if ((r = put_payload(c, file_key, plain, len, nchunks, res + h.len)) < 0)
		goto out;
	*out = res;
	*out_len = total;
	res = NULL;
out:
	free(res);
	cipher_wipe(file_key, sizeof(file_key));
	buf_release(&h);
	return r;
}

/* Decryption */

/* Check an X25519 stanza strictly and decode its share into SHARE. */
static int x25519_check(const struct age_stanza *s, uint8_t share[AGE_KEY_LEN])
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
static int x25519_unwrap(const struct cipher *c, const struct age_stanza *s, const uint8_t share[AGE_KEY_LEN],
			 const struct age_identity *id, uint8_t file_key[AGE_FILE_KEY_LEN])
{
	static const uint8_t zero_nonce[CIPHER_NONCE_LEN];
	uint8_t shared[AGE_KEY_LEN], key[CIPHER_KEY_LEN];
	int r;

	if ((r = c->ops->x25519(c, id->secret, share, shared)) < 0) {
		if (r == ERR_INVALID)
			r = err_set(ERR_INVALID, "bad X25519 stanza on header line %zu: the share is a "
				    "low-order point", s->line);
		goto out;
	}
	if ((r = wrap_key(c, shared, share, id->public, key)) < 0)
		goto out;
	r = c->ops->open(c, key, zero_nonce, s->body, AGE_FILE_KEY_LEN, file_key, s->body + AGE_FILE_KEY_LEN);
	r = r == 0 ? 1 : r == ERR_CORRUPT ? 0 : r;
out:
	cipher_wipe(shared, sizeof(shared));
	cipher_wipe(key, sizeof(key));
	return r;
}

/* Open chunk I (CLEN bytes at DATA and its tag; LAST when it should be the final one) into OUT. */
static int chunk_open(const struct cipher *c, const uint8_t key[CIPHER_KEY_LEN], size_t i, size_t nchunks,
		      bool last, const uint8_t *data, size_t clen, uint8_t *out)
{
	uint8_t nonce[CIPHER_NONCE_LEN];
	int r;

	chunk_nonce(nonce, i, last);
	r = c->ops->open(c, key, nonce, data, clen, out, data + clen);
	if (r == ERR_CORRUPT && last && clen == AGE_CHUNK) {
		/* A full chunk that is not final: the file was cut at a chunk boundary. */
		chunk_nonce(nonce, i, 0);
		if (c->ops->open(c, key, nonce, data, clen, out, data + clen) == 0) {
			cipher_wipe(out, clen);
			return err_set(ERR_CORRUPT, "truncated: the payload stops after chunk %zu, before its final "
				       "chunk", i + 1);
		}
	}
	if (r == ERR_CORRUPT)
		return err_set(ERR_CORRUPT, "payload chunk %zu of %zu fails authentication: the file is corrupted",
			       i + 1, nchunks);
	return r;
}

/* Decrypt the payload at DATA (LEN bytes from the nonce on) with FILE_KEY. */
static int payload_decrypt(const struct cipher *c, const uint8_t file_key[AGE_FILE_KEY_LEN], const uint8_t *data,
			   size_t len, uint8_t **plain, size_t *plain_len)
{
	uint8_t key[CIPHER_KEY_LEN];
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
	if ((r = file_key_derive(c, file_key, data, AGE_NONCE_LEN, "payload", key)) < 0)
		goto out;
	data += AGE_NONCE_LEN;
	for (i = 0; i < nchunks; i++) {
		bool last = i + 1 == nchunks;
		size_t clen = (last ? last_len : AGE_CHUNK_CT) - AGE_TAG_LEN;

		if ((r = chunk_open(c, key, i, nchunks, last, data, clen, res + o)) < 0)
			goto out;
		data += clen + AGE_TAG_LEN;
		o += clen;
	}
	*plain = res;
	*plain_len = total;
	res = NULL;
out:
	age_free(res, total);
	cipher_wipe(key, sizeof(key));
	return r;
}

/* Check the stanzas of H: no passphrase stanza, every X25519 one well formed. *NX counts the latter. */
static int stanzas_check(const struct age_header *h, size_t *nx)
{
	uint8_t share[AGE_KEY_LEN];
	size_t i;
	int r;

	*nx = 0;
	for (i = 0; i < h->n; i++) {
		if (age_stanza_is(&h->st[i], "scrypt"))
			return err_set(ERR_INVALID, "a passphrase (scrypt) age file: only X25519 recipients are "
				       "supported");
		if (age_stanza_is(&h->st[i], "X25519")) {
			if ((r = x25519_check(&h->st[i], share)) < 0)
				return r;
			(*nx)++;
		}
	}
	if (*nx == 0)
		return err_set(ERR_AUTH, "no identity matches: the file has no X25519 recipient");
	return 0;
}

/* The file key of H from the first of the N identities IDS that opens one of its X25519 stanzas. */
static int file_key_find(const struct cipher *c, const struct age_header *h, size_t nx,
			 const struct age_identity *ids, size_t n, uint8_t file_key[AGE_FILE_KEY_LEN])
{
	uint8_t share[AGE_KEY_LEN];
	size_t i, j;
	int r;

	for (j = 0; j < n; j++) {
		for (i = 0; i < h->n; i++) {
			if (!age_stanza_is(&h->st[i], "X25519"))
				continue;
			x25519_check(&h->st[i], share);
			if ((r = x25519_unwrap(c, &h->st[i], share, &ids[j], file_key)) != 0)
				return r < 0 ? r : 0;
		}
	}
	return err_set(ERR_AUTH, "no identity matches: the file is encrypted to %zu X25519 recipient%s, none of "
		       "them the %zu identit%s given", nx, nx == 1 ? "" : "s", n, n == 1 ? "y" : "ies");
}

int age_decrypt(const struct cipher *c, const struct age_identity *ids, size_t n, const void *data, size_t len,
		uint8_t **plain, size_t *plain_len)
{
	const uint8_t *d = data;
	struct age_header h;
	uint8_t file_key[AGE_FILE_KEY_LEN], mac[AGE_MAC_LEN];
	size_t nx = 0;
	int r;

	*plain = NULL;
	*plain_len = 0;
	if ((r = age_header_parse(d, len, &h)) < 0 || (r = stanzas_check(&h, &nx)) < 0 ||
	    (r = file_key_find(c, &h, nx, ids, n, file_key)) < 0 || (r = header_mac(c, file_key, d, h.mac_at, mac)) < 0)
		goto out;
	if (!cipher_equal(mac, h.mac, sizeof(mac))) {
		r = err_set(ERR_CORRUPT, "header MAC mismatch: the age header was altered");
		goto out;
	}
	r = payload_decrypt(c, file_key, d + h.end, len - h.end, plain, plain_len);
out:
	cipher_wipe(file_key, sizeof(file_key));
	age_header_release(&h);
	return r;
}
