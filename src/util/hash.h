/* SHA3-256 through OpenSSL, and hex encoding. */
#ifndef CHIMERA_UTIL_HASH_H
#define CHIMERA_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define SHA3_256_LEN 32
#define SHA3_256_HEX (SHA3_256_LEN * 2 + 1)

struct sha3_ctx;

/* Start a digest. Returns NULL when OpenSSL has no SHA3-256 or memory is short. */
struct sha3_ctx *sha3_begin(void);
void sha3_update(struct sha3_ctx *c, const void *p, size_t n);
/* Finish into OUT and free C. */
void sha3_end(struct sha3_ctx *c, uint8_t out[SHA3_256_LEN]);

/* One-shot digest of N bytes at P. Returns 0 or ERR_NOMEM. */
int sha3_256(const void *p, size_t n, uint8_t out[SHA3_256_LEN]);

void hex_encode(const uint8_t *p, size_t n, char *out);	/* out holds 2n+1 */
/* Decode exactly 2n lowercase or uppercase hex chars of S into OUT. Returns 0 or ERR_INVALID. */
int hex_decode(const char *s, uint8_t *out, size_t n);

#endif
