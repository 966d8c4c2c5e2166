/* The signer port: a controller's signing key (Ed25519), its id, signatures made and checked. */
#ifndef CHIMERA_PORTS_SIGNER_H
#define CHIMERA_PORTS_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#define SIGNER_KEY_ID_LEN 16	/* hex characters of a key id: the start of SHA3-256 of the public key */
#define SIGNER_SIG_LEN 64	/* bytes of an Ed25519 signature */

struct signer;

/*
 * Every op loads the key on first use (a back end may make it then, see its constructor)
 * and reports a key it cannot read or make as ERR_IO or ERR_CORRUPT, naming where it is.
 * The ops may be called from one thread at a time.
 */
struct signer_ops {
	const char *alg;	/* the signature's algorithm as certificates name it: "ed25519" */
	/* The key's id into ID: SIGNER_KEY_ID_LEN lowercase hex characters. Returns 0 or an error. */
	int (*key_id)(struct signer *s, char id[SIGNER_KEY_ID_LEN + 1]);
	/* Sign the LEN bytes at MSG into SIG. Returns 0 or an error (ERR_IO when signing fails). */
	int (*sign)(struct signer *s, const void *msg, size_t len, uint8_t sig[SIGNER_SIG_LEN]);
	/* 0 when SIG is this key's signature of MSG, ERR_CORRUPT when it is not, or an error. */
	int (*verify)(struct signer *s, const void *msg, size_t len, const uint8_t sig[SIGNER_SIG_LEN]);
	void (*close)(struct signer *s);
};

struct signer {
	const struct signer_ops *ops;
};

/* Close S when it is not NULL. */
static inline void signer_close(struct signer *s)
{
	if (s)
		s->ops->close(s);
}

#endif
