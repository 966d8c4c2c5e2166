/* The cipher port on OpenSSL 3: X25519, ChaCha20-Poly1305, HKDF-SHA-256, HMAC-SHA-256, SHA-256, RAND_bytes. */
#include "adapters/openssl/cipher_openssl.h"
#include "util/err.h"

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include "util/banned.h"

static int ossl_random(const struct cipher *c, void *out, size_t n)
{
	if (n > INT_MAX || RAND_bytes(out, (int)n) != 1)
		return err_set(ERR_IO, "openssl: no random bytes");
	return 0;
}

static int ossl_x25519_public(const struct cipher *c, const uint8_t secret[CIPHER_X25519_LEN],
			      uint8_t public[CIPHER_X25519_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, secret, CIPHER_X25519_LEN);
	size_t len = CIPHER_X25519_LEN;
	int r = 0;

	if (!k || EVP_PKEY_get_raw_public_key(k, public, &len) != 1 || len != CIPHER_X25519_LEN)
		r = err_set(ERR_IO, "openssl: cannot derive an X25519 public key");
	EVP_PKEY_free(k);
	return r;
}

static int ossl_x25519(const struct cipher *c, const uint8_t secret[CIPHER_X25519_LEN],
		       const uint8_t peer[CIPHER_X25519_LEN], uint8_t shared[CIPHER_X25519_LEN])
{
	static const uint8_t zero[CIPHER_X25519_LEN];
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, secret, CIPHER_X25519_LEN);
	EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, CIPHER_X25519_LEN);
	EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
	size_t len = CIPHER_X25519_LEN;
	int r = 0;

	if (!k || !p || !ctx || EVP_PKEY_derive_init(ctx) != 1) {
		r = err_set(ERR_IO, "openssl: cannot set up X25519");
		goto out;
	}
	/* OpenSSL refuses a derivation that ends in all zeros: that, too, is a low-order point. */
	if (EVP_PKEY_derive_set_peer(ctx, p) != 1 || EVP_PKEY_derive(ctx, shared, &len) != 1 ||
	    len != CIPHER_X25519_LEN || CRYPTO_memcmp(shared, zero, CIPHER_X25519_LEN) == 0) {
		OPENSSL_cleanse(shared, CIPHER_X25519_LEN);
		r = err_set(ERR_INVALID, "X25519 with a low-order point");
	}
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(p);
	EVP_PKEY_free(k);
	return r;
}

static int ossl_hkdf_sha256(const struct cipher *c, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt,
			    size_t salt_len, const char *info, uint8_t *out, size_t out_len)
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
	if (!ctx || EVP_KDF_derive(ctx, out, out_len, params) != 1)
		r = err_set(ERR_IO, "openssl: HKDF-SHA-256 failed");
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

static int ossl_hmac_sha256(const struct cipher *c, const uint8_t *key, size_t key_len, const void *data,
			    size_t len, uint8_t out[CIPHER_MAC_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int r = 0;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_MAC_init(ctx, key, key_len, params) != 1 || EVP_MAC_update(ctx, data, len) != 1 ||
	    EVP_MAC_final(ctx, out, &outl, CIPHER_MAC_LEN) != 1 || outl != CIPHER_MAC_LEN)
		r = err_set(ERR_IO, "openssl: HMAC-SHA-256 failed");
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

static int ossl_sha256(const struct cipher *c, const void *data, size_t len, uint8_t out[CIPHER_SHA256_LEN])
{
	static const uint8_t none[1];
	unsigned int outl = 0;

	if (EVP_Digest(len ? data : none, len, out, &outl, EVP_sha256(), NULL) != 1 || outl != CIPHER_SHA256_LEN)
		return err_set(ERR_IO, "openssl: SHA-256 failed");
	return 0;
}

/* One ChaCha20-Poly1305 pass; ENC seals (TAG out), else opens (TAG in; ERR_CORRUPT and OUT wiped when forged). */
static int aead(int enc, const uint8_t key[CIPHER_KEY_LEN], const uint8_t nonce[CIPHER_NONCE_LEN],
		const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[CIPHER_TAG_LEN])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0, r = 0;

	if (!ctx)
		return err_set(ERR_NOMEM, "out of memory");
	if (len > INT_MAX || EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce, enc) != 1 ||
	    (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, CIPHER_TAG_LEN, tag) != 1) ||
	    (len && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)) {
		r = err_set(ERR_IO, "openssl: ChaCha20-Poly1305 failed");
		goto out;
	}
	if (EVP_CipherFinal_ex(ctx, out + n, &fin) != 1) {
		OPENSSL_cleanse(out, len);
		r = enc ? err_set(ERR_IO, "openssl: ChaCha20-Poly1305 failed") : ERR_CORRUPT;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, CIPHER_TAG_LEN, tag) != 1)
		r = err_set(ERR_IO, "openssl: ChaCha20-Poly1305 failed");
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static int ossl_seal(const struct cipher *c, const uint8_t key[CIPHER_KEY_LEN], const uint8_t nonce[CIPHER_NONCE_LEN],
		     const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[CIPHER_TAG_LEN])
{
	return aead(1, key, nonce, in, len, out, tag);
}

static int ossl_open(const struct cipher *c, const uint8_t key[CIPHER_KEY_LEN], const uint8_t nonce[CIPHER_NONCE_LEN],
		     const uint8_t *in, size_t len, uint8_t *out, const uint8_t tag[CIPHER_TAG_LEN])
{
	uint8_t t[CIPHER_TAG_LEN];

	memcpy(t, tag, sizeof(t));
	return aead(0, key, nonce, in, len, out, t);
}

static const struct cipher_ops openssl_ops = {
	.name = "openssl",
	.random = ossl_random,
	.x25519_public = ossl_x25519_public,
	.x25519 = ossl_x25519,
	.hkdf_sha256 = ossl_hkdf_sha256,
	.hmac_sha256 = ossl_hmac_sha256,
	.sha256 = ossl_sha256,
	.seal = ossl_seal,
	.open = ossl_open,
};

static const struct cipher openssl_cipher = { .ops = &openssl_ops };

const struct cipher *cipher_openssl(void)
{
	return &openssl_cipher;
}
