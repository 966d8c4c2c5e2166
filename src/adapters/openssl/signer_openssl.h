/* The signer port on OpenSSL: an Ed25519 key kept as PEM in the state directory. */
#ifndef CHIMERA_ADAPTERS_OPENSSL_SIGNER_OPENSSL_H
#define CHIMERA_ADAPTERS_OPENSSL_SIGNER_OPENSSL_H

#include "ports/signer.h"

/*
 * A signer with the key STATE_DIR/keys/certify-ed25519.pem, read on first use, or made
 * then when it does not exist (the file created mode 0600 before any byte of it is
 * written, its directory 0700). Nothing is read here: *OUT (closed with signer_close)
 * only remembers the path. Returns 0, ERR_INVALID for a path too long, or ERR_NOMEM.
 */
int signer_openssl_new(const char *state_dir, struct signer **out);

#endif
