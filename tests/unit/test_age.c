/* Unit tests for formats/age: keys, round trips, several recipients, every failure kind, real age output. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "adapters/openssl/cipher_openssl.h"
#include "formats/age.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

/* The cipher every age call here uses. */
#define C cipher_openssl()

/* N deterministic bytes, NUL bytes included. */
static uint8_t *pattern(size_t n, unsigned seed)
{
	uint8_t *p = malloc(n ? n : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 7 + seed) % 251);
	return p;
}

static void new_identity(struct age_identity *id, struct age_recipient *rc)
{
	assert_int_equal(age_identity_generate(C, id), 0);
	age_identity_recipient(id, rc);
}

/* The spec's example key pair, and text round trips of generated keys. */
static void test_keys(void **state)
{
	static const char sec[] = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
	static const char pub[] = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
	struct age_identity id, id2;
	struct age_recipient rc, rc2;
	char text[AGE_IDENTITY_TEXT_MAX], ptext[AGE_RECIPIENT_TEXT_MAX], lower[sizeof(sec)];
	size_t i;

	assert_int_equal(age_identity_parse(C, sec, strlen(sec), &id), 0);
	age_identity_recipient(&id, &rc);
	age_recipient_format(&rc, ptext);
	assert_string_equal(ptext, pub);
	age_identity_format(&id, text);
	assert_string_equal(text, sec);
	assert_int_equal(age_recipient_parse(pub, strlen(pub), &rc2), 0);
	assert_memory_equal(rc.public, rc2.public, AGE_KEY_LEN);
	/* Identities are upper case, as age writes and reads them. */
	for (i = 0; i < sizeof(sec); i++)
		lower[i] = (char)(sec[i] >= 'A' && sec[i] <= 'Z' ? sec[i] - 'A' + 'a' : sec[i]);
	assert_int_equal(age_identity_parse(C, lower, strlen(lower), &id2), ERR_INVALID);
	assert_contains(err_msg(), "expected AGE-SECRET-KEY-1");

	assert_int_equal(age_identity_generate(C, &id), 0);
	age_identity_format(&id, text);
	assert_int_equal(strncmp(text, "AGE-SECRET-KEY-1", 16), 0);
	assert_int_equal(strlen(text), 74);
	assert_int_equal(age_identity_parse(C, text, strlen(text), &id2), 0);
	assert_memory_equal(id.secret, id2.secret, AGE_KEY_LEN);
	assert_memory_equal(id.public, id2.public, AGE_KEY_LEN);
	age_identity_recipient(&id, &rc);
	age_recipient_format(&rc, ptext);
	assert_int_equal(strlen(ptext), 62);
	assert_int_equal(age_recipient_parse(ptext, strlen(ptext), &rc2), 0);
	assert_memory_equal(rc.public, rc2.public, AGE_KEY_LEN);
	age_identity_wipe(&id);
	age_identity_wipe(&id2);
}

/* Every single-character change of a key is caught by the checksum, and the other faults have their own message. */
static void test_bech32_errors(void **state)
{
	static const char pub[] = "age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj";
	static const char sec[] = "AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX";
	struct age_recipient rc;
	struct age_identity id;
	char s[128];
	size_t i;

	for (i = 4; i < strlen(pub); i++) {
		snprintf(s, sizeof(s), "%s", pub);
		s[i] = s[i] == 'q' ? 'p' : 'q';
		assert_int_equal(age_recipient_parse(s, strlen(s), &rc), ERR_INVALID);
		assert_contains(err_msg(), "checksum");
		assert_contains(err_msg(), "bad age recipient");
	}
	for (i = 16; i < strlen(sec); i++) {
		snprintf(s, sizeof(s), "%s", sec);
		s[i] = s[i] == 'Q' ? 'P' : 'Q';
		assert_int_equal(age_identity_parse(C, s, strlen(s), &id), ERR_INVALID);
		assert_contains(err_msg(), "checksum");
		/* The message never shows the secret. */
		assert_null(strstr(err_msg(), s + 16));
	}
	snprintf(s, sizeof(s), "%s", pub);
	s[10] = 'Z';
	assert_int_equal(age_recipient_parse(s, strlen(s), &rc), ERR_INVALID);
	assert_contains(err_msg(), "mixed upper and lower case");
	snprintf(s, sizeof(s), "%s", pub);
	s[10] = 'b';	/* not in the alphabet */
	assert_int_equal(age_recipient_parse(s, strlen(s), &rc), ERR_INVALID);
	assert_contains(err_msg(), "not in the bech32 alphabet");
	assert_int_equal(age_recipient_parse(LIT("agezvkyg2lq"), &rc), ERR_INVALID);
	assert_contains(err_msg(), "no '1' separator");
	/* A bad character late in a secret key: what was decoded before it is not left behind. */
	{
		uint8_t out[32], zero[32] = { 0 };

		snprintf(s, sizeof(s), "%s", sec);
		s[40] = 'B';
		memset(out, 0xa5, sizeof(out));
		assert_int_equal(age_bech32_decode("age-secret-key-", s, strlen(s), out, sizeof(out)), ERR_INVALID);
		assert_contains(err_msg(), "not in the bech32 alphabet");
		assert_memory_equal(out, zero, sizeof(out));
	}
	/* Shorter than the version line, and no prefix of it: no read past the end. */
	{
		uint8_t *plain = NULL, *data = malloc(6);	/* on the heap, exactly: ASan sees an over-read */
		size_t plen = 0;

		memcpy(data, "age1\r\n", 6);
		assert_int_equal(age_identity_parse(C, sec, strlen(sec), &id), 0);
		assert_int_equal(age_decrypt(C, &id, 1, data, 6, &plain, &plen), ERR_INVALID);
		assert_contains(err_msg(), "not an age file");
		assert_null(plain);
		free(data);
	}
	assert_int_equal(age_recipient_parse(sec, strlen(sec), &rc), ERR_INVALID);
	assert_contains(err_msg(), "expected the prefix 'age1'");
	assert_int_equal(age_identity_parse(C, pub, strlen(pub), &id), ERR_INVALID);
	assert_contains(err_msg(), "expected AGE-SECRET-KEY-1");
	/* A valid checksum over the wrong length of data. */
	{
		uint8_t d[20] = { 1, 2, 3 };

		assert_int_equal(age_bech32_encode("age", d, sizeof(d), 0, s, sizeof(s)), 0);
		assert_int_equal(age_recipient_parse(s, strlen(s), &rc), ERR_INVALID);
		assert_contains(err_msg(), "expected 32 bytes");
	}
	assert_int_equal(age_recipient_parse(LIT("age1qqqqqq"), &rc), ERR_INVALID);
	assert_int_equal(age_recipient_parse(LIT(""), &rc), ERR_INVALID);
}

static void test_base64(void **state)
{
	uint8_t out[8];
	char text[16];

	assert_int_equal(age_b64_encode((const uint8_t *)"f", 1, text), 2);
	assert_string_equal(text, "Zg");
	assert_int_equal(age_b64_encode((const uint8_t *)"fo", 2, text), 3);
	assert_string_equal(text, "Zm8");
	assert_int_equal(age_b64_encode((const uint8_t *)"foo", 3, text), 4);
	assert_string_equal(text, "Zm9v");
	assert_int_equal(age_b64_decode(LIT("Zm8"), out, sizeof(out)), 2);
	assert_memory_equal(out, "fo", 2);
	assert_int_equal(age_b64_decode(LIT("Zm9="), out, sizeof(out)), ERR_INVALID);
	assert_contains(err_msg(), "padding");
	assert_int_equal(age_b64_decode(LIT("Zm9"), out, sizeof(out)), ERR_INVALID);	/* trailing bits */
	assert_contains(err_msg(), "not canonical");
	assert_int_equal(age_b64_decode(LIT("Zm9vY"), out, sizeof(out)), ERR_INVALID);
	assert_int_equal(age_b64_decode(LIT("Zm9vZm9vZm9v"), out, sizeof(out)), ERR_INVALID);
	assert_int_equal(age_b64_decode(LIT(""), out, sizeof(out)), 0);
}

static void round_trip(size_t len, size_t nrc)
{
	struct age_identity ids[3];
	struct age_recipient rcs[3];
	uint8_t *plain = pattern(len, (unsigned)len), *enc = NULL, *dec = NULL;
	size_t enc_len = 0, dec_len = 0, i, nchunks = len == 0 ? 1 : (len + AGE_CHUNK - 1) / AGE_CHUNK;

	for (i = 0; i < nrc; i++)
		new_identity(&ids[i], &rcs[i]);
	assert_int_equal(age_encrypt(C, rcs, nrc, plain, len, &enc, &enc_len), 0);
	assert_true(enc_len > len + nchunks * AGE_TAG_LEN + AGE_NONCE_LEN);
	assert_memory_equal(enc, "age-encryption.org/v1\n-> X25519 ", 32);
	for (i = 0; i < nrc; i++) {
		assert_int_equal(age_decrypt(C, &ids[i], 1, enc, enc_len, &dec, &dec_len), 0);
		assert_int_equal(dec_len, len);
		if (len)
			assert_memory_equal(dec, plain, len);
		age_free(dec, dec_len);
	}
	/* The payload is exactly the chunks: one tag per 64 KiB, no empty final chunk. */
	{
		const uint8_t *mac = (const uint8_t *)strstr((const char *)enc, "\n--- ");
		size_t header;

		assert_non_null(mac);
		header = (size_t)(mac - enc) + 5 + 43 + 1;
		assert_int_equal(enc_len - header, AGE_NONCE_LEN + len + nchunks * AGE_TAG_LEN);
	}
	free(enc);
	free(plain);
	for (i = 0; i < nrc; i++)
		age_identity_wipe(&ids[i]);
}

static void test_round_trips(void **state)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 200000, 3 * 65536 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		round_trip(sizes[i], 1);
}

static void test_several_recipients(void **state)
{
	round_trip(100, 3);
	round_trip(65536 + 5, 2);
}

static void test_wrong_identity(void **state)
{
	struct age_identity a, b, both[2];
	struct age_recipient ra, rb;
	uint8_t *enc, *dec = (uint8_t *)"x";
	size_t enc_len, dec_len = 9;

	new_identity(&a, &ra);
	new_identity(&b, &rb);
	assert_int_equal(age_encrypt(C, &ra, 1, "secret", 6, &enc, &enc_len), 0);
	assert_int_equal(age_decrypt(C, &b, 1, enc, enc_len, &dec, &dec_len), ERR_AUTH);
	assert_contains(err_msg(), "no identity matches");
	assert_null(dec);
	assert_int_equal(dec_len, 0);
	/* With several identities, the one that matches is found. */
	both[0] = b;
	both[1] = a;
	assert_int_equal(age_decrypt(C, both, 2, enc, enc_len, &dec, &dec_len), 0);
	assert_memory_equal(dec, "secret", 6);
	age_free(dec, dec_len);
	free(enc);
	assert_int_equal(age_encrypt(C, &ra, 0, "x", 1, &enc, &enc_len), ERR_INVALID);
}

/* Any change of one byte anywhere, header or payload, makes decryption fail. */
static void test_every_byte_corruption(void **state)
{
	static const uint8_t masks[] = { 0x01, 0x20, 0x80, 0xff };
	struct age_identity id;
	struct age_recipient rc;
	uint8_t *enc, *dec;
	size_t enc_len, dec_len, i, m, mac_fail = 0, payload_fail = 0, auth_fail = 0;
	const char *mac_line;

	new_identity(&id, &rc);
	assert_int_equal(age_encrypt(C, &rc, 1, "a small secret", 14, &enc, &enc_len), 0);
	mac_line = strstr((const char *)enc, "\n--- ");
	assert_non_null(mac_line);
	for (i = 0; i < enc_len; i++) {
		for (m = 0; m < sizeof(masks); m++) {
			int r;

			enc[i] ^= masks[m];
			r = age_decrypt(C, &id, 1, enc, enc_len, &dec, &dec_len);
			enc[i] ^= masks[m];
			if (r == 0)
				fail_msg("flipping byte %zu with 0x%02x still decrypts", i, masks[m]);
			assert_null(dec);
			if (strstr(err_msg(), "header MAC mismatch"))
				mac_fail++;
			if (strstr(err_msg(), "payload chunk 1 of 1 fails authentication"))
				payload_fail++;
			if (r == ERR_AUTH)
				auth_fail++;
		}
	}
	/* The MAC bytes themselves, and each payload byte, are caught by the right check. */
	assert_true(mac_fail > 0);
	assert_true(auth_fail > 0);
	assert_true(payload_fail >= (enc_len - (size_t)((const uint8_t *)mac_line - enc) - 49 - 16) * 4);
	assert_int_equal(age_decrypt(C, &id, 1, enc, enc_len, &dec, &dec_len), 0);
	age_free(dec, dec_len);
	free(enc);
}

/* Cutting the file anywhere fails: in the header, in the nonce, mid-chunk and at a chunk boundary. */
static void test_truncation(void **state)
{
	struct age_identity id;
	struct age_recipient rc;
	uint8_t *plain = pattern(2 * AGE_CHUNK + 10, 1), *enc, *dec;
	size_t enc_len, dec_len, cut, header;

	new_identity(&id, &rc);
	assert_int_equal(age_encrypt(C, &rc, 1, plain, 2 * AGE_CHUNK + 10, &enc, &enc_len), 0);
	header = (size_t)((uint8_t *)strstr((char *)enc, "\n--- ") - enc) + 49;
	for (cut = 0; cut < header + 40; cut++) {
		assert_true(age_decrypt(C, &id, 1, enc, cut, &dec, &dec_len) < 0);
		assert_null(dec);
	}
	assert_int_equal(age_decrypt(C, &id, 1, enc, header + 3, &dec, &dec_len), ERR_CORRUPT);
	assert_contains(err_msg(), "truncated: the payload nonce");
	assert_int_equal(age_decrypt(C, &id, 1, enc, header - 10, &dec, &dec_len), ERR_CORRUPT);
	assert_contains(err_msg(), "truncated: the age header ends");
	/* After the first, the second full chunk: a clean cut at a chunk boundary. */
	cut = header + AGE_NONCE_LEN + 2 * (AGE_CHUNK + AGE_TAG_LEN);
	assert_int_equal(age_decrypt(C, &id, 1, enc, cut, &dec, &dec_len), ERR_CORRUPT);
	assert_contains(err_msg(), "truncated: the payload stops after chunk 2");
	assert_int_equal(age_decrypt(C, &id, 1, enc, cut - (AGE_CHUNK + AGE_TAG_LEN), &dec, &dec_len), ERR_CORRUPT);
	assert_contains(err_msg(), "truncated: the payload stops after chunk 1");
	for (cut = enc_len - 40; cut < enc_len; cut++)
		assert_int_equal(age_decrypt(C, &id, 1, enc, cut, &dec, &dec_len), ERR_CORRUPT);
	/* Bytes added at the end fail as well. */
	{
		uint8_t *more = malloc(enc_len + 1);

		memcpy(more, enc, enc_len);
		more[enc_len] = 0;
		assert_int_equal(age_decrypt(C, &id, 1, more, enc_len + 1, &dec, &dec_len), ERR_CORRUPT);
		free(more);
	}
	free(enc);
	free(plain);
}

/* Replace the first occurrence of FROM in the header of ENC with TO (same length or not). */
static uint8_t *edit(const uint8_t *enc, size_t len, const char *from, const char *to, size_t *out_len)
{
	const char *at = memmem(enc, len, from, strlen(from));
	size_t pre, fl = strlen(from), tl = strlen(to);
	uint8_t *out;

	assert_non_null(at);
	pre = (size_t)((const uint8_t *)at - enc);
	out = malloc(len - fl + tl);
	memcpy(out, enc, pre);
	memcpy(out + pre, to, tl);
	memcpy(out + pre + tl, enc + pre + fl, len - pre - fl);
	*out_len = len - fl + tl;
	return out;
}

/* Malformed headers and stanzas: each with its own error, none of them a key problem. */
static void test_bad_headers(void **state)
{
	struct age_identity id;
	struct age_recipient rc;
	uint8_t *enc, *bad, *dec;
	size_t enc_len, bad_len, dec_len;
	char share[44];
	const char *p;

	new_identity(&id, &rc);
	assert_int_equal(age_encrypt(C, &rc, 1, "v", 1, &enc, &enc_len), 0);
	p = strstr((char *)enc, "-> X25519 ") + 10;
	memcpy(share, p, 43);
	share[43] = '\0';

	assert_int_equal(age_decrypt(C, &id, 1, LIT("hello, this is not age"), &dec, &dec_len), ERR_INVALID);
	assert_contains(err_msg(), "not an age file");
	assert_int_equal(age_decrypt(C, &id, 1, LIT("age-encryption.org/v2\n"), &dec, &dec_len), ERR_INVALID);
	assert_contains(err_msg(), "unsupported age version");
	assert_int_equal(age_decrypt(C, &id, 1, LIT("-----BEGIN AGE ENCRYPTED FILE-----\n"), &dec, &dec_len), ERR_INVALID);
	assert_contains(err_msg(), "armored");
	assert_int_equal(age_decrypt(C, &id, 1, LIT(""), &dec, &dec_len), ERR_CORRUPT);
	assert_contains(err_msg(), "truncated");

	/* A third argument in an X25519 stanza. */
	{
		char with[64];

		snprintf(with, sizeof(with), "%s extra", share);
		bad = edit(enc, enc_len, share, with, &bad_len);
		assert_int_equal(age_decrypt(C, &id, 1, bad, bad_len, &dec, &dec_len), ERR_INVALID);
		assert_contains(err_msg(), "bad X25519 stanza on header line 2: 3 arguments");
		free(bad);
	}
	/* A share that is not 32 bytes. */
	bad = edit(enc, enc_len, share, "AAAA", &bad_len);
	assert_int_equal(age_decrypt(C, &id, 1, bad, bad_len, &dec, &dec_len), ERR_INVALID);
	assert_contains(err_msg(), "the share is not 32 bytes");
	free(bad);
	/* Two spaces between arguments. */
	bad = edit(enc, enc_len, "-> X25519 ", "-> X25519  ", &bad_len);
	assert_int_equal(age_decrypt(C, &id, 1, bad, bad_len, &dec, &dec_len), ERR_INVALID);
	assert_contains(err_msg(), "empty stanza argument");
	free(bad);
	/* A body line longer than 64 columns. */
	{
		const char *body = strchr(p, '\n') + 1;
		char from[50], to[120];

		memcpy(from, body, 43);
		from[43] = '\0';
		snprintf(to, sizeof(to), "%s%s", from, "AAAAAAAAAAAAAAAAAAAAAAAAAAAA");
		bad = edit(enc, enc_len, from, to, &bad_len);
		assert_int_equal(age_decrypt(C, &id, 1, bad, bad_len, &dec, &dec_len), ERR_INVALID);
		assert_contains(err_msg(), "at most 64 base64 characters");
		free(bad);
		/* A body of the wrong length (42 characters: 31 bytes). */
		bad = edit(enc, enc_len, from, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &bad_len);
		assert_int_equal(age_decrypt(C, &id, 1, bad, bad_len, &dec, &dec_len), ERR_INVALID);
		assert_contains(err_msg(), "a body of 31 bytes, expected 32");
		free(bad);
	}
	/* An unknown stanza is ignored: no identity matches. */
	bad = edit(enc, enc_len, "-> X25519 ", "-> Y25519 ", &bad_len);
	assert_int_equal(age_decrypt(C, &id, 1, bad, bad_len, &dec, &dec_len), ERR_AUTH);
	assert_contains(err_msg(), "no identity matches: the file has no X25519 recipient");
	free(bad);
	/* An scrypt stanza is refused. */
	bad = edit(enc, enc_len, "-> X25519 ", "-> scrypt ", &bad_len);
	assert_int_equal(age_decrypt(C, &id, 1, bad, bad_len, &dec, &dec_len), ERR_INVALID);
	assert_contains(err_msg(), "scrypt");
	free(bad);
	/* A MAC line with padding. */
	bad = edit(enc, enc_len, "\n--- ", "\n---  ", &bad_len);
	assert_int_equal(age_decrypt(C, &id, 1, bad, bad_len, &dec, &dec_len), ERR_INVALID);
	assert_contains(err_msg(), "43-character MAC");
	free(bad);
	/* No stanza at all. */
	bad = edit(enc, enc_len, "-> X25519 ", "--- ", &bad_len);
	assert_int_equal(age_decrypt(C, &id, 1, bad, bad_len, &dec, &dec_len), ERR_INVALID);
	assert_contains(err_msg(), "no recipient stanza");
	free(bad);
	free(enc);
}

/* A MAC that is wrong but well formed: the header MAC check, not the key, fails. */
static void test_bad_mac(void **state)
{
	struct age_identity id;
	struct age_recipient rc;
	uint8_t *enc, *dec;
	size_t enc_len, dec_len;
	char *mac;

	new_identity(&id, &rc);
	assert_int_equal(age_encrypt(C, &rc, 1, "v", 1, &enc, &enc_len), 0);
	mac = strstr((char *)enc, "\n--- ") + 5;
	mac[0] = mac[0] == 'A' ? 'B' : 'A';
	assert_int_equal(age_decrypt(C, &id, 1, enc, enc_len, &dec, &dec_len), ERR_CORRUPT);
	assert_contains(err_msg(), "header MAC mismatch");
	free(enc);
}

static void load_fixture_identity(struct age_identity **ids, size_t *n)
{
	struct buf text = BUF_INIT(0);

	read_fixture("age/identity.txt", &text);
	assert_int_equal(age_identity_file_parse(C, "identity.txt", text.data, text.len, ids, n), 0);
	assert_int_equal(*n, 1);
	buf_release(&text);
}

/* Files written by Debian's age 1.1.1 decrypt here. */
static void test_age_fixtures(void **state)
{
	struct age_identity *ids;
	struct buf f = BUF_INIT(0);
	uint8_t *dec, *want = pattern(65536 + 100, 3);
	size_t n, dec_len;

	load_fixture_identity(&ids, &n);
	read_fixture("age/small.age", &f);
	assert_int_equal(age_decrypt(C, ids, n, f.data, f.len, &dec, &dec_len), 0);
	assert_int_equal(dec_len, strlen("chimera age fixture: hello\n"));
	assert_memory_equal(dec, "chimera age fixture: hello\n", dec_len);
	age_free(dec, dec_len);
	buf_reset(&f);
	read_fixture("age/big.age", &f);
	assert_int_equal(age_decrypt(C, ids, n, f.data, f.len, &dec, &dec_len), 0);
	assert_int_equal(dec_len, 65536 + 100);
	assert_memory_equal(dec, want, dec_len);
	age_free(dec, dec_len);
	/* And a bit flipped in age's payload is caught. */
	f.data[f.len - 1] ^= 1;
	assert_int_equal(age_decrypt(C, ids, n, f.data, f.len, &dec, &dec_len), ERR_CORRUPT);
	buf_reset(&f);
	read_fixture("age/empty.age", &f);
	assert_int_equal(age_decrypt(C, ids, n, f.data, f.len, &dec, &dec_len), 0);
	assert_int_equal(dec_len, 0);
	age_free(dec, dec_len);
	buf_release(&f);
	free(want);
	age_identities_free(ids, n);
}

static void test_identity_files(void **state)
{
	struct age_identity id, *ids;
	struct age_recipient rc;
	char text[512], pub[AGE_RECIPIENT_TEXT_MAX], two[1100];
	size_t n;
	int len;

	new_identity(&id, &rc);
	len = age_identity_file_format(&id, "2024-01-02T03:04:05Z", text, sizeof(text));
	assert_true(len > 0);
	age_recipient_format(&rc, pub);
	assert_int_equal(strncmp(text, "# created: 2024-01-02T03:04:05Z\n# public key: age1", 50), 0);
	assert_non_null(strstr(text, pub));
	assert_int_equal(age_identity_file_parse(C, "k", text, (size_t)len, &ids, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(ids[0].secret, id.secret, AGE_KEY_LEN);
	age_identities_free(ids, n);
	/* Two keys, CRLF lines and blank lines. */
	snprintf(two, sizeof(two), "%s\r\n\r\n%s", text, text);
	assert_int_equal(age_identity_file_parse(C, "k", two, strlen(two), &ids, &n), 0);
	assert_int_equal(n, 2);
	age_identities_free(ids, n);
	assert_int_equal(age_identity_file_parse(C, "k", LIT("# only a comment\n\n"), &ids, &n), ERR_INVALID);
	assert_contains(err_msg(), "k: no identity");
	snprintf(two, sizeof(two), "# c\n%s", pub);
	assert_int_equal(age_identity_file_parse(C, "k", two, strlen(two), &ids, &n), ERR_INVALID);
	assert_contains(err_msg(), "k:2: not an age identity");
	assert_int_equal(age_identity_file_format(&id, NULL, text, 40), ERR_LIMIT);
	age_identity_wipe(&id);
}

/* A cipher over OpenSSL's that counts the calls of each primitive, and fails one of them on demand. */
struct spy_cipher {
	struct cipher base;
	int random, x25519, hkdf, hmac, seal, open;
	int fail_random;	/* every random call fails */
	int fail_open;		/* the open call with this number (counted from 1) fails */
};

#define SPY(c) ((struct spy_cipher *)(uintptr_t)(c))

static int spy_random(const struct cipher *c, void *out, size_t n)
{
	SPY(c)->random++;
	if (SPY(c)->fail_random)
		return err_set(ERR_IO, "spy: no random bytes");
	return C->ops->random(C, out, n);
}

static int spy_x25519_public(const struct cipher *c, const uint8_t *secret, uint8_t *public)
{
	SPY(c)->x25519++;
	return C->ops->x25519_public(C, secret, public);
}

static int spy_x25519(const struct cipher *c, const uint8_t *secret, const uint8_t *peer, uint8_t *shared)
{
	SPY(c)->x25519++;
	return C->ops->x25519(C, secret, peer, shared);
}

static int spy_hkdf(const struct cipher *c, const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
		    const char *info, uint8_t *out, size_t out_len)
{
	SPY(c)->hkdf++;
	return C->ops->hkdf_sha256(C, ikm, ikm_len, salt, salt_len, info, out, out_len);
}

static int spy_hmac(const struct cipher *c, const uint8_t *key, size_t key_len, const void *data, size_t len,
		    uint8_t *out)
{
	SPY(c)->hmac++;
	return C->ops->hmac_sha256(C, key, key_len, data, len, out);
}

static int spy_seal(const struct cipher *c, const uint8_t *key, const uint8_t *nonce, const uint8_t *in, size_t len,
		    uint8_t *out, uint8_t *tag)
{
	SPY(c)->seal++;
	return C->ops->seal(C, key, nonce, in, len, out, tag);
}

static int spy_open(const struct cipher *c, const uint8_t *key, const uint8_t *nonce, const uint8_t *in, size_t len,
		    uint8_t *out, const uint8_t *tag)
{
	if (++SPY(c)->open == SPY(c)->fail_open)
		return ERR_CORRUPT;
	return C->ops->open(C, key, nonce, in, len, out, tag);
}

static const struct cipher_ops spy_ops = {
	.name = "spy",
	.random = spy_random,
	.x25519_public = spy_x25519_public,
	.x25519 = spy_x25519,
	.hkdf_sha256 = spy_hkdf,
	.hmac_sha256 = spy_hmac,
	.seal = spy_seal,
	.open = spy_open,
};

/* Every primitive age uses comes through the cipher port, and a failing one fails the call cleanly. */
static void test_cipher_port(void **state)
{
	struct spy_cipher spy = { .base = { &spy_ops } };
	const struct cipher *c = &spy.base;
	struct age_identity id;
	struct age_recipient rc;
	uint8_t *enc = NULL, *plain = NULL;
	size_t enc_len = 0, plain_len = 0;

	assert_int_equal(age_identity_generate(c, &id), 0);
	assert_int_equal(spy.random, 1);
	assert_int_equal(spy.x25519, 1);
	age_identity_recipient(&id, &rc);

	/* One chunk to one recipient: file key, ephemeral key and nonce; share, shared secret; wrap, MAC, payload keys. */
	assert_int_equal(age_encrypt(c, &rc, 1, "hello", 5, &enc, &enc_len), 0);
	assert_int_equal(spy.random, 4);
	assert_int_equal(spy.x25519, 3);
	assert_int_equal(spy.hkdf, 3);
	assert_int_equal(spy.hmac, 1);
	assert_int_equal(spy.seal, 2);
	assert_int_equal(age_decrypt(c, &id, 1, enc, enc_len, &plain, &plain_len), 0);
	assert_int_equal(plain_len, 5);
	assert_memory_equal(plain, "hello", 5);
	assert_int_equal(spy.open, 2);
	age_free(plain, plain_len);

	/* The stanza does not open: no identity matches. The payload does not: ERR_CORRUPT naming the chunk. */
	spy.open = 0;
	spy.fail_open = 1;
	assert_int_equal(age_decrypt(c, &id, 1, enc, enc_len, &plain, &plain_len), ERR_AUTH);
	assert_null(plain);
	spy.open = 0;
	spy.fail_open = 2;
	assert_int_equal(age_decrypt(c, &id, 1, enc, enc_len, &plain, &plain_len), ERR_CORRUPT);
	assert_non_null(strstr(err_msg(), "payload chunk 1 of 1"));
	assert_null(plain);
	spy.fail_open = 0;
	free(enc);

	spy.fail_random = 1;
	assert_int_equal(age_encrypt(c, &rc, 1, "hello", 5, &enc, &enc_len), ERR_IO);
	assert_null(enc);
	assert_int_equal(enc_len, 0);
	assert_int_equal(age_identity_generate(c, &id), ERR_IO);
	for (size_t i = 0; i < sizeof(id.secret); i++)
		assert_int_equal(id.secret[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_bech32_errors),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_several_recipients),
		cmocka_unit_test(test_wrong_identity),
		cmocka_unit_test(test_every_byte_corruption),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_bad_mac),
		cmocka_unit_test(test_age_fixtures),
		cmocka_unit_test(test_identity_files),
		cmocka_unit_test(test_cipher_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
