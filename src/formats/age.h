/*
 * The age file format (age-encryption.org/v1) with X25519 recipients. The format is here;
 * the primitives (X25519, ChaCha20-Poly1305, HKDF, HMAC, randomness) come through the
 * cipher port C (ports/cipher.h), which every function that needs them takes first.
 */
#ifndef CHIMERA_FORMATS_AGE_H
#define CHIMERA_FORMATS_AGE_H

#include <stddef.h>
#include <stdint.h>

#include "ports/cipher.h"
#include "util/buf.h"

#define AGE_KEY_LEN 32			/* an X25519 secret or public key */
#define AGE_FILE_KEY_LEN 16
#define AGE_NONCE_LEN 16		/* the payload nonce */
#define AGE_CHUNK 65536			/* plaintext bytes per payload chunk */
#define AGE_TAG_LEN 16
#define AGE_RECIPIENT_TEXT_MAX 64	/* "age1" and 58 characters, with room */
#define AGE_IDENTITY_TEXT_MAX 80	/* "AGE-SECRET-KEY-1" and 58 characters, with room */
#define AGE_HEADER_MAX (1024 * 1024)	/* a longer header is refused */
#define AGE_STANZAS_MAX 4096

/* An X25519 identity: the secret and its public key. Wipe with age_identity_wipe. */
struct age_identity {
	uint8_t secret[AGE_KEY_LEN];
	uint8_t public[AGE_KEY_LEN];
};

/* An X25519 recipient: a public key. */
struct age_recipient {
	uint8_t public[AGE_KEY_LEN];
};

/* A fresh identity from C's CSPRNG. Returns 0, or C's error (ERR_IO) with ID wiped. */
int age_identity_generate(const struct cipher *c, struct age_identity *id);

/*
 * Parse LEN bytes of S as "AGE-SECRET-KEY-1..." (Bech32, upper or lower case, not mixed)
 * into ID and derive its public key. Returns 0 or ERR_INVALID; the message never quotes S.
 */
int age_identity_parse(const struct cipher *c, const char *s, size_t len, struct age_identity *id);

/* ID's secret key as "AGE-SECRET-KEY-1..." into OUT (AGE_IDENTITY_TEXT_MAX bytes). Wipe OUT after use. */
void age_identity_format(const struct age_identity *id, char out[AGE_IDENTITY_TEXT_MAX]);

/* ID's recipient (public key) as "age1..." into OUT. */
void age_identity_recipient(const struct age_identity *id, struct age_recipient *out);

/* Zero ID. */
void age_identity_wipe(struct age_identity *id);

/*
 * Parse an identity file as age-keygen writes it: '#' comment lines and blank lines are
 * skipped, every other line must be one "AGE-SECRET-KEY-1..." (a trailing CR is allowed).
 * NAME is the file's name for messages. On success *IDS (malloc'd, free with
 * age_identities_free) holds the *N identities, N >= 1. Returns 0, or ERR_INVALID naming
 * NAME:LINE and never quoting the line.
 */
int age_identity_file_parse(const struct cipher *c, const char *name, const char *text, size_t len,
			    struct age_identity **ids, size_t *n);

/* Wipe and free N identities from age_identity_file_parse. IDS may be NULL. */
void age_identities_free(struct age_identity *ids, size_t n);

/*
 * Write ID as age-keygen writes it into OUT (LEN bytes): "# created: CREATED\n# public
 * key: age1...\n" then the secret key line. CREATED (an RFC 3339 time) may be NULL: that
 * line is left out. Returns the length, or ERR_LIMIT when OUT is too small (512 bytes are
 * enough). The caller wipes OUT: it holds the secret.
 */
int age_identity_file_format(const struct age_identity *id, const char *created, char *out, size_t len);

/* Parse LEN bytes of S as "age1..." (Bech32). Returns 0 or ERR_INVALID quoting S and the expected form. */
int age_recipient_parse(const char *s, size_t len, struct age_recipient *r);

/* R as "age1..." into OUT (AGE_RECIPIENT_TEXT_MAX bytes). */
void age_recipient_format(const struct age_recipient *r, char out[AGE_RECIPIENT_TEXT_MAX]);

/*
 * Encrypt LEN bytes of PLAIN to the N recipients RS (N >= 1) as a binary age file. On
 * success *OUT (malloc'd, free()) holds *OUT_LEN bytes. Returns 0, ERR_INVALID (no
 * recipient, or a recipient that is a low-order point), ERR_NOMEM or ERR_IO (the cipher).
 * Every key and intermediate buffer is wiped.
 */
int age_encrypt(const struct cipher *c, const struct age_recipient *rs, size_t n, const void *plain, size_t len,
		uint8_t **out, size_t *out_len);

/*
 * Decrypt the LEN bytes of the age file DATA with any of the N identities IDS. On success
 * *PLAIN (malloc'd; wipe and free it with age_free) holds *PLAIN_LEN bytes; on failure it
 * is NULL and nothing decrypted is left in memory. Errors, each with its own message:
 *   ERR_INVALID  not an age v1 file, an armored file, a malformed header line, a bad
 *                X25519 stanza ("bad X25519 stanza"), a passphrase (scrypt) file
 *   ERR_AUTH     "no identity matches" any X25519 stanza
 *   ERR_CORRUPT  "header MAC mismatch"; the payload "truncated" (nonce or final chunk
 *                missing); a chunk that fails authentication ("payload chunk K ... corrupted")
 *   ERR_NOMEM, ERR_IO (the cipher)
 */
int age_decrypt(const struct cipher *c, const struct age_identity *ids, size_t n, const void *data, size_t len,
		uint8_t **plain, size_t *plain_len);

/* Wipe LEN bytes at P and free it. P may be NULL. */
void age_free(void *p, size_t len);

/*
 * Bech32 (BIP 173, no length limit): encode N bytes of DATA with HRP (lowercase) into OUT
 * (LEN bytes), upper case when UPPER. Returns 0 or ERR_LIMIT when OUT is too small.
 */
int age_bech32_encode(const char *hrp, const uint8_t *data, size_t n, int upper, char *out, size_t len);

/*
 * Decode LEN bytes of S: its HRP must be HRP (compared in lower case) and its data exactly
 * N bytes into OUT. Returns 0 or ERR_INVALID with what is wrong (mixed case, no separator,
 * a bad character, the checksum, the HRP, the length); S is not quoted, and nothing decoded is
 * left in OUT.
 */
int age_bech32_decode(const char *hrp, const char *s, size_t len, uint8_t *out, size_t n);

/*
 * Unpadded base64, canonical only: encode N bytes into OUT (4*ceil(N/3) + 1 bytes
 * suffice; returns the length). Decode LEN characters of S into OUT (at most MAX bytes):
 * returns the byte count, or ERR_INVALID for a bad character, padding, a bad length,
 * non-zero trailing bits or more than MAX bytes.
 */
size_t age_b64_encode(const uint8_t *p, size_t n, char *out);
int age_b64_decode(const char *s, size_t len, uint8_t *out, size_t max);

#endif
