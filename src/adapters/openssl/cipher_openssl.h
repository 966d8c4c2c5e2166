/* The cipher port on OpenSSL 3 (libcrypto). */
#ifndef CHIMERA_ADAPTERS_OPENSSL_CIPHER_OPENSSL_H
#define CHIMERA_ADAPTERS_OPENSSL_CIPHER_OPENSSL_H

#include "ports/cipher.h"

/*
 * The OpenSSL cipher: a static handle with no state of its own, never freed, shared by
 * every thread. Never fails; a primitive that fails at its call returns ERR_IO.
 */
const struct cipher *cipher_openssl(void);

#endif
