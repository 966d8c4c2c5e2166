/*
 * The cipher port: the cryptographic primitives of age (X25519, ChaCha20-Poly1305, HKDF, HMAC,
 * randomness), and SHA-256 for digests others compare with sha256sum.
 */
#ifndef CHIMERA_PORTS_CIPHER_H
#define CHIMERA_PORTS_CIPHER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CIPHER_X25519_LEN 32	/* an X25519 secret, public key or shared secret */
#define CIPHER_KEY_LEN 32	/* a ChaCha20-Poly1305 key */
#define CIPHER_NONCE_LEN 12	/* a ChaCha20-Poly1305 nonce */
#define CIPHER_TAG_LEN 16	/* a Poly1305 tag */
#define CIPHER_MAC_LEN 32	/* an HMAC-SHA-256 */
#define CIPHER_SHA256_LEN 32	/* a SHA-256 digest */

struct cipher;

/*
 * What a back end implements. Every function is safe to call from several threads at once
 * on one handle, returns 0 or a negative ERR_* with err_set, and leaves no secret it made
 * in memory it frees. Outputs are never partly written on failure unless said.
 */
struct cipher_ops {
	const char *name;
	/* N bytes from the CSPRNG into OUT. ERR_IO when there are none. */
	int (*random)(const struct cipher *c, void *out, size_t n);
	/* The X25519 public key of SECRET into PUBLIC. ERR_IO when the back end fails. */
	int (*x25519_public)(const struct cipher *c, const uint8_t secret[CIPHER_X25519_LEN],
			     uint8_t public[CIPHER_X25519_LEN]);
	/*
	 * X25519(SECRET, PEER) into SHARED. ERR_INVALID (SHARED wiped) when the result is all
	 * zero, i.e. PEER is a low-order point; ERR_IO when the back end fails.
	 */
	int (*x25519)(const struct cipher *c, const uint8_t secret[CIPHER_X25519_LEN],
		      const uint8_t peer[CIPHER_X25519_LEN], uint8_t shared[CIPHER_X25519_LEN]);
	/* HKDF-SHA-256 (RFC 5869) of IKM with SALT (none when SALT_LEN is 0) and INFO: OUT_LEN bytes into OUT. */
	int (*hkdf_sha256)(const struct cipher *c, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
			   size_t salt_len, const char *info, uint8_t *out, size_t out_len);
	/* HMAC-SHA-256 of LEN bytes of DATA under KEY (KEY_LEN bytes) into OUT. */
	int (*hmac_sha256)(const struct cipher *c, const uint8_t *key, size_t key_len, const void *data, size_t len,
			   uint8_t out[CIPHER_MAC_LEN]);
	/* SHA-256 (FIPS 180-4) of LEN bytes of DATA (may be NULL when LEN is 0) into OUT. */
	int (*sha256)(const struct cipher *c, const void *data, size_t len, uint8_t out[CIPHER_SHA256_LEN]);
	/* ChaCha20-Poly1305 (RFC 8439, no associated data): LEN bytes of IN into OUT, the tag into TAG. */
	int (*seal)(const struct cipher *c, const uint8_t key[CIPHER_KEY_LEN], const uint8_t nonce[CIPHER_NONCE_LEN],
		    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[CIPHER_TAG_LEN]);
	/*
	 * The inverse of seal: LEN bytes of IN with TAG into OUT. A failed authentication is
	 * ERR_CORRUPT without a message (the caller says which chunk), with OUT wiped.
	 */
	int (*open)(const struct cipher *c, const uint8_t key[CIPHER_KEY_LEN], const uint8_t nonce[CIPHER_NONCE_LEN],
		    const uint8_t *in, size_t len, uint8_t *out, const uint8_t tag[CIPHER_TAG_LEN]);
};

/* A back end's handle starts with its operations; the rest is its own. */
struct cipher {
	const struct cipher_ops *ops;
};

/* Zero LEN bytes at P in a way the compiler does not drop (P may be NULL when LEN is 0). */
static inline void cipher_wipe(void *p, size_t len)
{
	if (p && len)
		explicit_bzero(p, len);
}

/* 1 when the N bytes at A and B are equal, in a time that does not depend on where they differ. */
static inline int cipher_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

#endif
