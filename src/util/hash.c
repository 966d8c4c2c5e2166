/* SHA3-256 through OpenSSL, and hex encoding. */
#include "util/hash.h"
#include "util/err.h"
#include "util/text.h"

#include <openssl/evp.h>
#include <pthread.h>
#include "util/banned.h"

static EVP_MD *sha3_md;
static pthread_once_t sha3_once = PTHREAD_ONCE_INIT;

static void sha3_fetch(void)
{
	sha3_md = EVP_MD_fetch(NULL, "SHA3-256", NULL);
}

struct sha3_ctx *sha3_begin(void)
{
	EVP_MD_CTX *c;

	pthread_once(&sha3_once, sha3_fetch);
	if (!sha3_md)
		return NULL;
	if (!(c = EVP_MD_CTX_new()))
		return NULL;
	if (EVP_DigestInit_ex(c, sha3_md, NULL) != 1) {
		EVP_MD_CTX_free(c);
		return NULL;
	}
	return (struct sha3_ctx *)c;
}

void sha3_update(struct sha3_ctx *c, const void *p, size_t n)
{
	EVP_DigestUpdate((EVP_MD_CTX *)c, p, n);
}

void sha3_end(struct sha3_ctx *c, uint8_t out[SHA3_256_LEN])
{
	unsigned int n = SHA3_256_LEN;

	EVP_DigestFinal_ex((EVP_MD_CTX *)c, out, &n);
	EVP_MD_CTX_free((EVP_MD_CTX *)c);
}

int sha3_256(const void *p, size_t n, uint8_t out[SHA3_256_LEN])
{
	struct sha3_ctx *c = sha3_begin();

	if (!c)
		return err_set(ERR_NOMEM, "cannot start a SHA3-256 digest");
	sha3_update(c, p, n);
	sha3_end(c, out);
	return 0;
}

void hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_decode(const char *s, uint8_t *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = text_hex_value(s[2 * i]), lo;

		if (hi < 0 || (lo = text_hex_value(s[2 * i + 1])) < 0)
			return err_set(ERR_INVALID, "bad hex digit");
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (s[2 * n] != '\0')
		return err_set(ERR_INVALID, "hex string too long");
	return 0;
}
