/* The signer port on OpenSSL: Ed25519 with EVP, the key loaded (or made) on first use. */
#include "adapters/openssl/signer_openssl.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "util/banned.h"

#define PUB_LEN 32

struct signer_openssl {
	struct signer base;
	char dir[PATH_MAX];	/* STATE/keys */
	char path[PATH_MAX];	/* STATE/keys/certify-ed25519.pem */
	EVP_PKEY *key;		/* NULL until first use */
};

static struct signer_openssl *so(struct signer *s)
{
	return (struct signer_openssl *)s;
}

/* Read the key at S->path. Returns 0, 1 when there is none, or an error. */
static int key_read(struct signer_openssl *s)
{
	FILE *f = fopen(s->path, "r");

	if (!f)
		return errno == ENOENT ? 1 : err_set_errno(ERR_IO, errno, "cannot read '%s'", s->path);
	s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!s->key || EVP_PKEY_get_base_id(s->key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(s->key);
		s->key = NULL;
		return err_set(ERR_CORRUPT, "'%s' is not an Ed25519 private key", s->path);
	}
	return 0;
}

/* Make a key and write it to S->path, made 0600 before any byte of it is written. */
static int key_make(struct signer_openssl *s)
{
	FILE *f;
	int fd, e;

	if (fs_mkdir_p(s->dir, 0700) < 0)
		return ERR_IO;
	if (!(s->key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")))
		return err_set(ERR_IO, "cannot make an Ed25519 key");
	if ((fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 || !(f = fdopen(fd, "w"))) {
		e = errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	if (!PEM_write_PrivateKey(f, s->key, NULL, NULL, 0, NULL, NULL) || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(s->path);
		EVP_PKEY_free(s->key);
		s->key = NULL;
		return err_set(ERR_IO, "cannot write '%s'", s->path);
	}
	fclose(f);
	return 0;
fail:
	EVP_PKEY_free(s->key);
	s->key = NULL;
	return err_set_errno(ERR_IO, e, "cannot write '%s'", s->path);
}

/* The key, loaded or made on first use. */
static int key_get(struct signer_openssl *s)
{
	int r;

	if (s->key)
		return 0;
	if ((r = key_read(s)) == 1)
		r = key_make(s);
	return r;
}

static int ossl_key_id(struct signer *sg, char id[SIGNER_KEY_ID_LEN + 1])
{
	struct signer_openssl *s = so(sg);
	uint8_t pub[PUB_LEN], md[SHA3_256_LEN];
	char hex[SHA3_256_HEX];
	size_t len = sizeof(pub);
	int r;

	id[0] = '\0';
	if ((r = key_get(s)) < 0)
		return r;
	if (EVP_PKEY_get_raw_public_key(s->key, pub, &len) != 1 || len != PUB_LEN || sha3_256(pub, len, md) < 0)
		return err_set(ERR_IO, "cannot read the public key");
	hex_encode(md, sizeof(md), hex);
	snprintf(id, SIGNER_KEY_ID_LEN + 1, "%.*s", SIGNER_KEY_ID_LEN, hex);
	return 0;
}

static int ossl_sign(struct signer *sg, const void *msg, size_t len, uint8_t sig[SIGNER_SIG_LEN])
{
	struct signer_openssl *s = so(sg);
	EVP_MD_CTX *md = NULL;
	size_t sig_len = SIGNER_SIG_LEN;
	int r;

	if ((r = key_get(s)) < 0)
		return r;
	if (!(md = EVP_MD_CTX_new()) || EVP_DigestSignInit(md, NULL, NULL, NULL, s->key) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, msg, len) != 1 || sig_len != SIGNER_SIG_LEN)
		r = err_set(ERR_IO, "cannot sign the certificate");
	EVP_MD_CTX_free(md);
	return r;
}

static int ossl_verify(struct signer *sg, const void *msg, size_t len, const uint8_t sig[SIGNER_SIG_LEN])
{
	struct signer_openssl *s = so(sg);
	EVP_MD_CTX *md = NULL;
	int r;

	if ((r = key_get(s)) < 0)
		return r;
	if (!(md = EVP_MD_CTX_new()) || EVP_DigestVerifyInit(md, NULL, NULL, NULL, s->key) != 1 ||
	    EVP_DigestVerify(md, sig, SIGNER_SIG_LEN, msg, len) != 1)
		r = err_set(ERR_CORRUPT, "the signature does not match: the certificate was changed or not made here");
	EVP_MD_CTX_free(md);
	return r;
}

static void ossl_close(struct signer *sg)
{
	struct signer_openssl *s = so(sg);

	EVP_PKEY_free(s->key);
	free(s);
}

static const struct signer_ops openssl_ops = {
	.alg = "ed25519",
	.key_id = ossl_key_id,
	.sign = ossl_sign,
	.verify = ossl_verify,
	.close = ossl_close,
};

int signer_openssl_new(const char *state_dir, struct signer **out)
{
	struct signer_openssl *s;
	int n;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return err_set(ERR_NOMEM, "out of memory");
	snprintf(s->dir, sizeof(s->dir), "%s/keys", state_dir);
	n = snprintf(s->path, sizeof(s->path), "%s/keys/certify-ed25519.pem", state_dir);
	if (n < 0 || (size_t)n >= sizeof(s->path)) {
		free(s);
		return err_set(ERR_INVALID, "state directory '%.200s' is too long for its key file", state_dir);
	}
	s->base.ops = &openssl_ops;
	*out = &s->base;
	return 0;
}
