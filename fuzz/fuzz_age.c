/* Fuzz target for formats/age: decryption of any bytes, key and Bech32 round trips, encryption. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/openssl/cipher_openssl.h"
#include "formats/age.h"
#include "fuzz.h"
#include "util/err.h"

/* The cipher every age call here uses. */
#define C cipher_openssl()

/*
 * A fixed identity made once with age-keygen (a test key: nothing is secret here) and
 * a second one, to which some seeds are also encrypted.
 */
#define ME_SECRET "AGE-SECRET-KEY-1U6DMCJFTJ8MTJWAXCYAJZUH2EFNLZ9Q0P3J94ZSC5VZ44T83UQYQWNK70E"
#define ME_PUBLIC "age1hdn7epnr3cms2wma9ztz0yt3fahx83s2jpnkvvsp52qg4urww9fqlkn4ch"
#define OTHER_SECRET "AGE-SECRET-KEY-1L8DJJSZEV7WJRVN6CRVP075ZYEK2FQ0ZFH4GEEK8G79JGY3W5QDQUMAFKY"
#define OTHER_PUBLIC "age1anh46m3umg8khw9rlaccn59azhf24szmggk5tfv75q8vl5kpysas6fvwaq"

#define BECH32_MAX_BYTES 256	/* input bytes taken for the Bech32 and base64 round trips */

/*
 * Binary age files made by Debian's age 1.1.1 (`age -r`), re-made until they held no NUL
 * byte so that they fit in a seed string. To ME: "", "hello, chimera\n"; to ME and OTHER:
 * "DATABASE_URL=postgres://app:hunter2@db/app\n"; to OTHER only: "secret for someone else";
 * to OTHER and ME: "x".
 */
#define FILE_EMPTY \
	"age-encryption.org/v1\n" \
	"-> X25519 rOYTzlmSDv18QuL5vW6pkKXjODZbxZTj8e/BrRN6HiY\n" \
	"E+DBzqk5GOhn1scRfpBM76nfkzeW6bfiWMSrPqgWHs8\n" \
	"--- 6KBy+nF3cl0G/14I2Wpe6eLKXcnMKJo5xHDO+i7ieLw\n" \
	"\031i\226u\315\362\261lo\263W\242\310\373\245\252\030\334\263\362VJ\371\226" \
	"\204\244\232'\257\341\371\007"

#define FILE_HELLO \
	"age-encryption.org/v1\n" \
	"-> X25519 Ck6XSWsE5U7+QJ4OVsefzhyKZwuswwxOQ5CipoBlRF8\n" \
	"8MpdwmrKCwwByh4j6J3c/vth4hyf8EDbaLiv/G6i1Mo\n" \
	"--- ZlhGKBp62WPgSi1ewvaWxaoOG+nLfZYlTtRWDCIrUaU\n" \
	"\255v\005\304B\317}T\253|\230b\353\354d\234Q@\356\027m\371\264e-\335\311" \
	"\251\2240\254\364\237\232\324\204Ut\363\313\214\324\253tC\211\243"

#define FILE_TWO \
	"age-encryption.org/v1\n" \
	"-> X25519 FUpxNWkueIZFppKYaFQVc+LCSjwSbafBQg81nKrStFQ\n" \
	"uHDe/hjhrIlMLUgOj4Gr/Xyb+jWC2YfLD5rjcQnMZHY\n" \
	"-> X25519 zyFPUsd73s4B+h7SL+6x45W5FtO8rBi2UdeqLzJ7jX8\n" \
	"6tiS7Z5O74sVuvO/hmeZabOddWd1ThmO4bRzWfdVOfo\n" \
	"--- kvagWtgrdO0W4qHWOvraGGObqRqDRDAmZoqweaJ2fDM\n" \
	"]\030^\351\016\357q\350_\357\372R19\006\\X\3645>j\3765\335[\023\264\007\341" \
	"\024\333\3364>\204\3300\272\321\212\213\223+\343<\341\013=\326\351nG\234" \
	"\215R\224\020p\211Y\261\355\337\010E\226\?\226^\266\364\216\337\033\204"

#define FILE_OTHER \
	"age-encryption.org/v1\n" \
	"-> X25519 vXpLPV+Hu9ue9SFd4ARYoIpMicd7j8joqNbT+FE8oHU\n" \
	"vf1DQPW4HTuEJrpuWER21FrIAHmVpRipD/lGBuKDUCs\n" \
	"--- cPZw2jo0V/XOF4mibqEj5wlt8Wl75mBL9l5Gp2t2Rnc\n" \
	"D\266\030\346\360d\230\262\207\033B\014\007\256=\313\010\010\301\325\202" \
	"\314\241\255Fc\353G1\367\?\030\003E3C5\260\210\003\265=\363\340I\342j\321" \
	"\364:s-\"\235\341"

#define FILE_BOTH \
	"age-encryption.org/v1\n" \
	"-> X25519 Uo1s7Rincrd0ippfnBy5ZAgZLaBLAWJMBJ/fZiRqpwE\n" \
	"WyzGCRbAURb3Wjtq8NTm+hlg9KWV+Jy2bgKmspEmhgM\n" \
	"-> X25519 FJjJ2ozOzXYNruvOezT+sWd0Nupsol3ptvjV0Ohk4Cg\n" \
	"c/SBNk0AoXLvAKCtaW+0flqUjyZUE3m0dSUQXWQTVL0\n" \
	"--- zS4h6Q6i3TkKO4c6jBMv/2lRdbK21t3deXOI+qZTmz4\n" \
	"[di\227\341\373\345\001\320\256\001j\362{\351\274%\\\317\273\203;\211\363" \
	"\304\235),J)\011\231\004"

/* FILE_HELLO without its payload */
#define HEADER_HELLO \
	"age-encryption.org/v1\n" \
	"-> X25519 Ck6XSWsE5U7+QJ4OVsefzhyKZwuswwxOQ5CipoBlRF8\n" \
	"8MpdwmrKCwwByh4j6J3c/vth4hyf8EDbaLiv/G6i1Mo\n" \
	"--- ZlhGKBp62WPgSi1ewvaWxaoOG+nLfZYlTtRWDCIrUaU\n"
/* A 43-character base64 run: 32 bytes. */
#define B43(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

/* The age files among the seeds and what they decrypt to with ME; NULL: not to ME. */
static const struct {
	const char *file;
	const char *plain;
} known[] = {
	{ FILE_EMPTY, "" },
	{ FILE_HELLO, "hello, chimera\n" },
	{ FILE_TWO, "DATABASE_URL=postgres://app:hunter2@db/app\n" },
	{ FILE_OTHER, NULL },
	{ FILE_BOTH, "x" },
};

const char *const fuzz_seeds[] = {
	FILE_EMPTY,
	FILE_HELLO,
	FILE_TWO,
	FILE_OTHER,
	FILE_BOTH,
	/* keys, for the round trips on the first line */
	ME_SECRET,
	ME_PUBLIC "\n" FILE_HELLO,
	OTHER_SECRET "\n",
	OTHER_PUBLIC,
	"# created: 2026-11-23T02:38:58Z\n# public key: " ME_PUBLIC "\n" ME_SECRET "\n",
	"AGE1HDN7EPNR3CMS2WMA9ZTZ0YT3FAHX83S2JPNKVVSP52QG4URWW9FQLKN4CH",
	"age-secret-key-1u6dmcjftj8mtjwaxcyajzuh2efnlz9q0p3j94zsc5vz44t83uqyqwnk70e",
	"AGE-SECRET-KEY-1U6DMCJFTJ8MTJWAXCYAJZUH2EFNLZ9Q0P3J94ZSC5VZ44T83UQYQWNK70e",
	"age1hdn7epnr3cms2wma9ztz0yt3fahx83s2jpnkvvsp52qg4urww9fqlkn4cq",
	"age1hdn7epnr3cms2wma9ztz0yt3fahx83s2jpnkvvsp52qg4urww9fqlkn4",
	"age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq",
	"age1\r\n",
	"AGE-SECRET-KEY-1\n",
	"SGVsbG8sIGNoaW1lcmEK",
	/* near misses of the file format */
	HEADER_HELLO,
	"age-encryption.org/v1",
	"age-encryption.org/v1\n",
	"age-encryption.org/v2\n-> X25519 " B43("A") "\n" B43("A") "\n--- " B43("A") "\n",
	"-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCg==\n-----END AGE ENCRYPTED FILE-----\n",
	"age-encryption.org/v1\n--- " B43("A") "\n",
	"age-encryption.org/v1\n-> X25519 " B43("A") "\n" B43("A") "\n--- " B43("A") "\n" FUZZ_X16("payload!"),
	"age-encryption.org/v1\n-> X25519 " B43("9") "\n" B43("B") "\n--- " B43("A") "\n" FUZZ_X4("payload!"),
	"age-encryption.org/v1\n-> X25519 " B43("A") " extra\n" B43("A") "\n--- " B43("A") "\n",
	"age-encryption.org/v1\n-> X25519 " B43("B") "\n" FUZZ_X16("AAAA") "\n\n--- " B43("A") "\n",
	"age-encryption.org/v1\n-> X25519 " B43("B") "\n" FUZZ_X16("AAAA") "A\n--- " B43("A") "\n",
	"age-encryption.org/v1\n-> scrypt c2FsdHNhbHRzYWx0c2FsdA 18\n" B43("A") "\n--- " B43("A") "\n",
	"age-encryption.org/v1\n-> grease-\x7f x\n\n--- " B43("A") "\n",
	"age-encryption.org/v1\n-> ssh-ed25519 Xyz " B43("A") "\n" B43("A") "\n--- " B43("A") "\n",
	"age-encryption.org/v1\n->  X25519\n\n--- " B43("A") "\n",
	"age-encryption.org/v1\n-> X25519 " B43("A") "\n" B43("A") "\n---" B43("A") "\n",
	"age-encryption.org/v1\n-> X25519 " B43("A") "\n" B43("A") "\n--- " B43("B") "\n",
	"age-encryption.org/v1\r\n-> X25519 " B43("A") "\r\n" B43("A") "\r\n--- " B43("A") "\r\n",
	NULL,
};

static struct age_identity me, other;
static struct age_recipient me_rcpt;

/* Build the two identities once, and check the key text they come from. */
static void setup(void)
{
	static bool ready;
	char text[AGE_RECIPIENT_TEXT_MAX];
	uint8_t *out;
	size_t out_len;

	if (ready)
		return;
	FUZZ_CHECK(age_identity_parse(C, ME_SECRET, strlen(ME_SECRET), &me) == 0, "ME does not parse: %s", err_msg());
	FUZZ_CHECK(age_identity_parse(C, OTHER_SECRET, strlen(OTHER_SECRET), &other) == 0, "OTHER does not parse");
	age_identity_recipient(&me, &me_rcpt);
	age_recipient_format(&me_rcpt, text);
	FUZZ_CHECK(strcmp(text, ME_PUBLIC) == 0, "ME's recipient is %s, age-keygen said " ME_PUBLIC, text);
	FUZZ_CHECK(age_encrypt(C, &me_rcpt, 0, "x", 1, &out, &out_len) == ERR_INVALID && out == NULL,
		   "encryption to no recipient did not fail");
	ready = true;
}

/* A failed call set a message of its own, not empty, printable ASCII. */
static void check_message(const char *what)
{
	const char *msg = err_msg();
	size_t n = strlen(msg), bad;

	FUZZ_CHECK(!fuzz_err_marked(), "%s failed without setting a message", what);
	FUZZ_CHECK(n > 0, "%s failed with an empty message", what);
	bad = fuzz_unprintable(msg, n);
	FUZZ_CHECK(bad == n, "%s: message has raw byte 0x%02x at %zu", what, (unsigned char)msg[bad], bad);
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The code of a failed age_decrypt and its message agree with the header's list. */
static void check_decrypt_failure(const uint8_t *data, size_t size, int r)
{
	static const char version[] = "age-encryption.org/v1\n";
	const char *msg = err_msg();

	check_message("age_decrypt");
	switch (r) {
	case ERR_INVALID:
		FUZZ_CHECK(starts(msg, "not an age file") || starts(msg, "unsupported age version") ||
			   starts(msg, "an armored") || starts(msg, "bad age header") ||
			   starts(msg, "bad X25519 stanza") || starts(msg, "a passphrase (scrypt)"),
			   "ERR_INVALID with \"%s\"", msg);
		break;
	case ERR_AUTH:
		FUZZ_CHECK(starts(msg, "no identity matches"), "ERR_AUTH with \"%s\"", msg);
		break;
	case ERR_CORRUPT:
		FUZZ_CHECK(starts(msg, "truncated: ") || starts(msg, "header MAC mismatch") ||
			   starts(msg, "payload chunk ") || starts(msg, "bad payload: "), "ERR_CORRUPT with \"%s\"", msg);
		break;
	case ERR_NOMEM:
		break;
	default:
		fuzz_fail("age_decrypt failed with %d (%s): \"%s\"", r, err_str(r), msg);
	}
	/* Without the version line nothing past it is looked at. */
	if (size < sizeof(version) - 1 || memcmp(data, version, sizeof(version) - 1) != 0)
		FUZZ_CHECK(r == ERR_INVALID || (r == ERR_CORRUPT && size < sizeof(version) - 1 &&
						memcmp(data, version, size) == 0),
			   "no version line, but %d: \"%s\"", r, msg);
}

/* Which known file DATA is, or -1. */
static int known_file(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].file) == size && memcmp(known[i].file, data, size) == 0)
			return (int)i;
	return -1;
}

static void check_decrypt(const uint8_t *data, size_t size)
{
	const struct age_identity both[2] = { me, other };
	uint8_t *plain = (uint8_t *)&plain, *plain2 = NULL;
	size_t plain_len = 99, plain2_len = 0;
	int k = known_file(data, size), r, r2;

	fuzz_err_mark();
	r = age_decrypt(C, &me, 1, data, size, &plain, &plain_len);
	if (r == 0) {
		/* Header and payload are authenticated: only a file made for ME opens. */
		FUZZ_CHECK(k >= 0 && known[k].plain, "an age file that is no seed decrypts");
		FUZZ_CHECK(plain != NULL && plain_len == strlen(known[k].plain) &&
			   memcmp(plain, known[k].plain, plain_len) == 0, "seed %d decrypts to other bytes", k);
	} else {
		FUZZ_CHECK(plain == NULL && plain_len == 0, "failed age_decrypt returned plaintext");
		check_decrypt_failure(data, size, r);
		FUZZ_CHECK(k < 0 || (!known[k].plain && r == ERR_AUTH), "seed %d fails: %s", k, err_msg());
	}
	/* ME first, then OTHER: what ME decides stands; OTHER adds only files made for it. */
	fuzz_err_mark();
	r2 = age_decrypt(C, both, 2, data, size, &plain2, &plain2_len);
	if (r != ERR_AUTH)
		FUZZ_CHECK(r2 == r, "with ME: %d, with ME and OTHER: %d (%s)", r, r2, err_msg());
	else
		FUZZ_CHECK(r2 != 0 || k >= 0, "an age file that is no seed decrypts with OTHER");
	if (r == 0)
		FUZZ_CHECK(plain2_len == plain_len && memcmp(plain, plain2, plain_len) == 0,
			   "ME and OTHER decrypt to other bytes than ME alone");
	if (r2 < 0)
		FUZZ_CHECK(plain2 == NULL && plain2_len == 0, "failed age_decrypt returned plaintext");
	age_free(plain, plain_len);
	age_free(plain2, plain2_len);
}

/* The input as plaintext: encrypted to ME, it decrypts back; OTHER cannot open it; a changed byte is caught. */
static void check_encrypt(const uint8_t *data, size_t size)
{
	uint8_t *file = NULL, *plain = NULL;
	size_t file_len = 0, plain_len = 0, at, i;
	uint32_t h = 2166136261u;
	int r;

	r = age_encrypt(C, &me_rcpt, 1, data, size, &file, &file_len);
	FUZZ_CHECK(r == 0, "age_encrypt failed: %s", err_msg());
	FUZZ_CHECK(file_len > size + AGE_NONCE_LEN + AGE_TAG_LEN && memcmp(file, "age-encryption.org/v1\n", 22) == 0,
		   "age_encrypt made %zu bytes for %zu", file_len, size);
	at = file_len - size - AGE_NONCE_LEN - AGE_TAG_LEN;
	FUZZ_CHECK(file[at - 1] == '\n', "the header of an encrypted file does not end where the payload starts");
	r = age_decrypt(C, &me, 1, file, file_len, &plain, &plain_len);
	FUZZ_CHECK(r == 0, "what age_encrypt made does not decrypt: %s", err_msg());
	FUZZ_CHECK(plain_len == size && memcmp(plain, data, size) == 0, "encrypted and decrypted, the bytes differ");
	age_free(plain, plain_len);
	/* One more decryption each, taking turns, to keep the replay test quick. */
	for (i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	if (h & 1) {
		fuzz_err_mark();
		r = age_decrypt(C, &other, 1, file, file_len, &plain, &plain_len);
		FUZZ_CHECK(r == ERR_AUTH && plain == NULL, "OTHER opens a file for ME: %d", r);
		check_message("age_decrypt");
	} else {
		at = (h >> 1) % file_len;
		file[at] ^= (uint8_t)(1u << (h >> 29));
		fuzz_err_mark();
		r = age_decrypt(C, &me, 1, file, file_len, &plain, &plain_len);
		FUZZ_CHECK(r < 0 && plain == NULL, "a file with byte %zu changed still decrypts", at);
		check_decrypt_failure(file, file_len, r);
	}
	free(file);
}

/* N characters of upper-case Bech32 data with a letter: no message has such a run. */
static bool upper_key(const char *p, size_t n)
{
	bool letter = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
			return false;
		letter |= p[i] >= 'A';
	}
	return letter;
}

/* The first line as a recipient and as an identity: what parses formats back to it. */
static void check_keys(const char *line, size_t n)
{
	char text[AGE_IDENTITY_TEXT_MAX], lower[AGE_IDENTITY_TEXT_MAX], file[512];
	struct age_recipient rc, rc2;
	struct age_identity id, *ids = NULL;
	size_t i, nids = 0;
	int r;

	fuzz_err_mark();
	r = age_recipient_parse(line, n, &rc);
	if (r == 0) {
		age_recipient_format(&rc, text);
		FUZZ_CHECK(strlen(text) == n && n < sizeof(lower), "recipient of %zu characters formats to '%s'", n, text);
		for (i = 0; i < n; i++)
			lower[i] = line[i] >= 'A' && line[i] <= 'Z' ? (char)(line[i] - 'A' + 'a') : line[i];
		FUZZ_CHECK(memcmp(text, lower, n) == 0, "recipient formats to '%s'", text);
		FUZZ_CHECK(age_recipient_parse(text, strlen(text), &rc2) == 0 &&
			   memcmp(rc.public, rc2.public, AGE_KEY_LEN) == 0, "formatted recipient '%s' parses otherwise", text);
	} else {
		fuzz_check_failure("age_recipient_parse", r, false);
		FUZZ_CHECK(r == ERR_INVALID, "age_recipient_parse: %d", r);
		fuzz_check_quotes("bad age recipient", line, n);
		FUZZ_CHECK(strstr(err_msg(), "expected age1...") != NULL, "no expected form in \"%s\"", err_msg());
	}
	fuzz_err_mark();
	r = age_identity_parse(C, line, n, &id);
	if (r == 0) {
		age_identity_format(&id, text);
		FUZZ_CHECK(strlen(text) == n && memcmp(text, line, n) == 0, "identity formats to another text");
		age_identity_recipient(&id, &rc);
		age_recipient_format(&rc, text);
		FUZZ_CHECK(age_recipient_parse(text, strlen(text), &rc2) == 0 &&
			   memcmp(rc2.public, id.public, AGE_KEY_LEN) == 0, "the identity's recipient does not parse back");
		r = age_identity_file_format(&id, "2026-11-23T02:38:58Z", file, sizeof(file));
		FUZZ_CHECK(r > 0 && (size_t)r == strlen(file), "age_identity_file_format: %d", r);
		FUZZ_CHECK(strstr(file, text) != NULL, "the identity file does not name its public key");
		fuzz_err_mark();
		r = age_identity_file_parse(C, "fuzz.key", file, strlen(file), &ids, &nids);
		FUZZ_CHECK(r == 0 && nids == 1 && memcmp(&ids[0], &id, sizeof(id)) == 0,
			   "the identity file does not parse back: %s", err_msg());
		FUZZ_CHECK(age_identity_file_format(&id, NULL, file, 40) == ERR_LIMIT && fuzz_all_zero(file, 40),
			   "a short identity file buffer is not refused and wiped");
		age_identities_free(ids, nids);
		age_identity_wipe(&id);
	} else {
		fuzz_check_failure("age_identity_parse", r, false);
		FUZZ_CHECK(r == ERR_INVALID, "age_identity_parse: %d", r);
		FUZZ_CHECK(starts(err_msg(), "not an age identity") || starts(err_msg(), "bad age identity: "),
			   "identity message \"%s\"", err_msg());
		/* The message never quotes the secret. */
		if (n >= 24 && starts(line, "AGE-SECRET-KEY-1") && upper_key(line + 16, 8))
			FUZZ_CHECK(!memmem(err_msg(), strlen(err_msg()), line + 16, 8), "the message quotes the key");
	}
}

/* The whole input as an identity file: each key line counts, and none is quoted. */
static void check_identity_file(const char *s, size_t size)
{
	struct age_identity *ids = (struct age_identity *)&ids;
	size_t n = 99, lines = 0, off = 0, l;
	const char *nl;
	int r;

	while (off < size) {
		nl = memchr(s + off, '\n', size - off);
		l = nl ? (size_t)(nl - s - off) : size - off;
		if (l > 0 && s[off + l - 1] == '\r')
			l--;
		lines += l > 0 && s[off] != '#';
		off += (nl ? (size_t)(nl - s - off) : size - off) + 1;
	}
	fuzz_err_mark();
	r = age_identity_file_parse(C, "fuzz.key", s, size, &ids, &n);
	if (r == 0) {
		FUZZ_CHECK(n >= 1 && n == lines, "%zu identities from %zu key lines", n, lines);
		age_identities_free(ids, n);
	} else {
		fuzz_check_failure("age_identity_file_parse", r, false);
		FUZZ_CHECK(ids == NULL && n == 0, "failed age_identity_file_parse returned identities");
		FUZZ_CHECK(starts(err_msg(), "fuzz.key:"), "message \"%s\" does not name the file", err_msg());
	}
}

/* Bech32 and base64 of the input's first bytes decode back to them. */
static void check_codecs(const uint8_t *data, size_t size)
{
	static const char *const hrps[] = { "age", "age-secret-key-" };
	static char text[BECH32_MAX_BYTES * 2 + 64];
	static uint8_t back[BECH32_MAX_BYTES + 1];
	size_t k = size < BECH32_MAX_BYTES ? size : BECH32_MAX_BYTES, need, i, n;
	int upper = size > 0 && (data[0] & 1), h, r;

	for (h = 0; h < 2; h++) {
		need = strlen(hrps[h]) + 1 + (k * 8 + 4) / 5 + 6 + 1;
		r = age_bech32_encode(hrps[h], data, k, upper, text, need - 1);
		FUZZ_CHECK(r == ERR_LIMIT, "bech32 of %zu bytes fit in %zu", k, need - 1);
		r = age_bech32_encode(hrps[h], data, k, upper, text, need);
		FUZZ_CHECK(r == 0 && strlen(text) == need - 1, "bech32 of %zu bytes: %d, %zu characters", k, r,
			   strlen(text));
		for (i = 0; i < need - 1; i++)
			FUZZ_CHECK(upper ? !(text[i] >= 'a' && text[i] <= 'z') : !(text[i] >= 'A' && text[i] <= 'Z'),
				   "bech32 text '%s' is not in one case", text);
		r = age_bech32_decode(hrps[h], text, need - 1, back, k);
		FUZZ_CHECK(r == 0 && memcmp(back, data, k) == 0, "bech32 '%s' does not decode back: %s", text, err_msg());
		fuzz_err_mark();
		r = age_bech32_decode(hrps[h], text, need - 1, back, k + 1);
		FUZZ_CHECK(r == ERR_INVALID, "bech32 of %zu bytes decodes to %zu: %d", k, k + 1, r);
		check_message("age_bech32_decode");
		if (k > 0) {
			r = age_bech32_decode(hrps[h], text, need - 1, back, k - 1);
			FUZZ_CHECK(r == ERR_INVALID, "bech32 of %zu bytes decodes to %zu: %d", k, k - 1, r);
		}
		r = age_bech32_decode(hrps[1 - h], text, need - 1, back, k);
		FUZZ_CHECK(r == ERR_INVALID, "bech32 with HRP '%s' decodes with '%s'", hrps[h], hrps[1 - h]);
	}
	n = age_b64_encode(data, k, text);
	FUZZ_CHECK(n == k / 3 * 4 + (k % 3 ? k % 3 + 1 : 0) && strlen(text) == n, "base64 of %zu bytes is %zu", k, n);
	r = age_b64_decode(text, n, back, k);
	FUZZ_CHECK(r >= 0 && (size_t)r == k && memcmp(back, data, k) == 0, "base64 does not decode back: %d", r);
	if (k > 0)
		FUZZ_CHECK(age_b64_decode(text, n, back, k - 1) == ERR_INVALID, "base64 of %zu bytes fits in %zu", k,
			   k - 1);
	/* Base64 is canonical: what the first line decodes to encodes to the line again. */
	for (n = 0; n < k && data[n] != '\n'; n++)
		;
	r = age_b64_decode((const char *)data, n, back, sizeof(back));
	if (r >= 0) {
		FUZZ_CHECK(age_b64_encode(back, (size_t)r, text) == n && memcmp(text, data, n) == 0,
			   "base64 '%.*s' is not canonical", (int)n, (const char *)data);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);

	fuzz_begin(data, size);
	setup();
	check_decrypt(data, size);
	check_keys(s, nl ? (size_t)(nl - s) : size);
	check_identity_file(s, size);
	check_codecs(data, size);
	check_encrypt(data, size);
	return 0;
}
