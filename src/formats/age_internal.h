/* What the age_*.c files share and no one else needs: constants of the format and the parsed header. */
#ifndef CHIMERA_FORMATS_AGE_INTERNAL_H
#define CHIMERA_FORMATS_AGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/age.h"

#define AGE_VERSION_LINE "age-encryption.org/v1\n"
#define AGE_X25519_INFO "age-encryption.org/v1/X25519"
#define AGE_PUBLIC_HRP "age"
#define AGE_SECRET_HRP "age-secret-key-"
#define AGE_ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define AGE_BODY_COLUMNS 64
#define AGE_MAC_LEN 32
#define AGE_MAC_B64 43			/* 32 bytes of unpadded base64 */
#define AGE_WRAPPED_LEN (AGE_FILE_KEY_LEN + AGE_TAG_LEN)
#define AGE_CHUNK_CT (AGE_CHUNK + AGE_TAG_LEN)

/* One recipient stanza of a parsed header. */
struct age_stanza {
	const char *type;	/* first argument */
	size_t type_len;
	const char *arg;	/* second argument, when there is one */
	size_t arg_len;
	size_t nargs;
	uint8_t *body;		/* decoded, malloc'd */
	size_t body_len;
	size_t line;		/* of its "->" line, 1-based */
};

/* A parsed header; its stanzas point into the file's bytes. */
struct age_header {
	struct age_stanza *st;
	size_t n;
	size_t mac_at;		/* bytes covered by the MAC: up to and including "---" */
	uint8_t mac[AGE_MAC_LEN];
	size_t end;		/* where the payload starts */
};

/*
 * Parse the header of the LEN bytes of DATA into H (cleared first; release it with
 * age_header_release whatever the result). Returns 0 or ERR_INVALID, ERR_CORRUPT
 * (truncated), ERR_LIMIT or ERR_NOMEM with a message naming the header line.
 */
int age_header_parse(const uint8_t *data, size_t len, struct age_header *h);
void age_header_release(struct age_header *h);

/* True when S's type (first argument) is TYPE. */
bool age_stanza_is(const struct age_stanza *s, const char *type);

/* True when the N characters at P are all in the base64 alphabet (no padding). */
bool age_b64_chars_ok(const char *p, size_t n);

#endif
