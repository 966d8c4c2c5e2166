/* Identifiers: NixOS generation numbers, session ids and time-sortable deployment ids. */
#ifndef CHIMERA_CORE_IDS_H
#define CHIMERA_CORE_IDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GENERATION_MAX 2147483647u
#define GENERATION_TEXT_MAX 11		/* buffer for generation_format: 10 digits + NUL */

/*
 * Parse LEN bytes of S as a generation number, decimal 1..2147483647 with no sign,
 * leading zero or whitespace, into *OUT (set to 0 first). Returns 0, or ERR_INVALID with
 * a message quoting S; *OUT stays 0.
 */
int generation_parse(uint32_t *out, const char *s, size_t len);

/*
 * Write G in decimal into BUF. Returns 0; ERR_INVALID when G is 0 or over
 * GENERATION_MAX; ERR_LIMIT when BUF is too small. BUF is "" on failure.
 */
int generation_format(uint32_t g, char *buf, size_t buflen);

#define SESSION_ID_BYTES 16
#define SESSION_ID_LEN 32		/* lowercase hex digits */

/* 128 random bits naming one run of the tool. */
struct session_id {
	uint8_t b[SESSION_ID_BYTES];
};

/* Fill OUT from getrandom(2). Returns 0, or ERR_IO with OUT zeroed. */
int session_id_generate(struct session_id *out);

/*
 * Parse exactly 32 lowercase hex digits from LEN bytes of S into OUT (zeroed first).
 * Returns 0, or ERR_INVALID with a message quoting S; OUT stays zeroed.
 */
int session_id_parse(struct session_id *out, const char *s, size_t len);

/* Write ID as 32 lowercase hex digits into BUF (33 bytes). Returns 0 or ERR_LIMIT. */
int session_id_format(const struct session_id *id, char *buf, size_t buflen);

/* True when A and B hold the same 128 bits. */
bool session_id_equal(const struct session_id *a, const struct session_id *b);

#define DEPLOYMENT_ID_BYTES 16
#define DEPLOYMENT_ID_LEN 26		/* Crockford base-32 characters */
#define DEPLOYMENT_ID_RANDOM 10		/* random bytes after the 6-byte timestamp */
#define DEPLOYMENT_ID_TIME_MAX 0xffffffffffffull	/* 48-bit milliseconds */

/*
 * ULID-style: a 48-bit big-endian Unix time in milliseconds, then 80 random bits,
 * printed as 26 uppercase Crockford base-32 characters (0-9 A-Z without I L O U).
 * Ids from different milliseconds sort by time as bytes and as text.
 */
struct deployment_id {
	uint8_t b[DEPLOYMENT_ID_BYTES];
};

/*
 * Build OUT from NOW_MS and getrandom(2). Returns 0; ERR_INVALID when NOW_MS exceeds
 * 48 bits; ERR_IO when no random bytes can be had. OUT is zeroed on failure.
 */
int deployment_id_generate(struct deployment_id *out, uint64_t now_ms);

/* Like deployment_id_generate with the random part given in RND (for tests and replay). */
int deployment_id_make(struct deployment_id *out, uint64_t now_ms,
    const uint8_t rnd[DEPLOYMENT_ID_RANDOM]);

/*
 * Parse exactly 26 uppercase Crockford base-32 characters from LEN bytes of S into OUT
 * (zeroed first); the first must be 0-7, as 26 characters hold 130 bits and an id 128.
 * Returns 0, or ERR_INVALID with a message quoting S; OUT stays zeroed.
 */
int deployment_id_parse(struct deployment_id *out, const char *s, size_t len);

/* Write ID as 26 characters into BUF (27 bytes). Returns 0 or ERR_LIMIT. */
int deployment_id_format(const struct deployment_id *id, char *buf, size_t buflen);

/* The millisecond timestamp held in ID. */
uint64_t deployment_id_time_ms(const struct deployment_id *id);

/* Negative, 0 or positive as A sorts before, with or after B. */
int deployment_id_cmp(const struct deployment_id *a, const struct deployment_id *b);

#endif
