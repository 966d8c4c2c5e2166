/* age keys: X25519 identities and recipients as text, and identity files as age-keygen writes them. */
#include "formats/age.h"
#include "formats/age_internal.h"
#include "ports/cipher.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

void age_free(void *p, size_t len)
{
	if (!p)
		return;
	cipher_wipe(p, len);
	free(p);
}

int age_identity_generate(const struct cipher *c, struct age_identity *id)
{
	int r;

	if ((r = c->ops->random(c, id->secret, AGE_KEY_LEN)) < 0 ||
	    (r = c->ops->x25519_public(c, id->secret, id->public)) < 0)
		age_identity_wipe(id);
	return r;
}

void age_identity_wipe(struct age_identity *id)
{
	cipher_wipe(id, sizeof(*id));
}

int age_identity_parse(const struct cipher *c, const char *s, size_t len, struct age_identity *id)
{
	char why[256];
	int r;

	memset(id, 0, sizeof(*id));
	if (len < 16 || strncmp(s, "AGE-SECRET-KEY-1", 16) != 0)
		return err_set(ERR_INVALID, "not an age identity: expected AGE-SECRET-KEY-1...");
	if ((r = age_bech32_decode(AGE_SECRET_HRP, s, len, id->secret, AGE_KEY_LEN)) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg() + strlen("bad bech32 text: "));
		return err_set(r, "bad age identity: %s", why);
	}
	if ((r = c->ops->x25519_public(c, id->secret, id->public)) < 0)
		age_identity_wipe(id);
	return r;
}

void age_identity_format(const struct age_identity *id, char out[AGE_IDENTITY_TEXT_MAX])
{
	age_bech32_encode(AGE_SECRET_HRP, id->secret, AGE_KEY_LEN, 1, out, AGE_IDENTITY_TEXT_MAX);
}

void age_identity_recipient(const struct age_identity *id, struct age_recipient *out)
{
	memcpy(out->public, id->public, AGE_KEY_LEN);
}

int age_recipient_parse(const char *s, size_t len, struct age_recipient *r)
{
	char q[96], why[256];
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = age_bech32_decode(AGE_PUBLIC_HRP, s, len, r->public, AGE_KEY_LEN)) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg() + strlen("bad bech32 text: "));
		return err_set(rc, "bad age recipient '%s': %s; expected age1... as age-keygen prints it",
			       err_quote(q, sizeof(q), s, len), why);
	}
	return 0;
}

void age_recipient_format(const struct age_recipient *r, char out[AGE_RECIPIENT_TEXT_MAX])
{
	age_bech32_encode(AGE_PUBLIC_HRP, r->public, AGE_KEY_LEN, 0, out, AGE_RECIPIENT_TEXT_MAX);
}

void age_identities_free(struct age_identity *ids, size_t n)
{
	age_free(ids, n * sizeof(*ids));
}

int age_identity_file_parse(const struct cipher *c, const char *name, const char *text, size_t len,
			    struct age_identity **ids, size_t *n)
{
	struct age_identity *list = NULL, *grown;
	size_t count = 0, cap = 0, line = 0, off = 0;
	int r = 0;

	*ids = NULL;
	*n = 0;
	while (off < len) {
		const char *p = text + off, *nl = memchr(p, '\n', len - off);
		size_t l = nl ? (size_t)(nl - p) : len - off;

		off += l + (nl ? 1 : 0);
		line++;
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l == 0 || p[0] == '#')
			continue;
		if (count == cap) {
			/* Grow by hand, so no copy of a secret is left behind in freed memory. */
			cap = cap ? cap * 2 : 2;
			if (!(grown = calloc(cap, sizeof(*grown)))) {
				r = err_set(ERR_NOMEM, "out of memory");
				goto out;
			}
			if (count)
				memcpy(grown, list, count * sizeof(*list));
			age_identities_free(list, count);
			list = grown;
		}
		if ((r = age_identity_parse(c, p, l, &list[count])) < 0) {
			char why[256];

			snprintf(why, sizeof(why), "%s", err_msg());
			r = err_set(r, "%s:%zu: %s", name, line, why);
			goto out;
		}
		count++;
	}
	if (count == 0) {
		r = err_set(ERR_INVALID, "%s: no identity in the file: expected a line AGE-SECRET-KEY-1...", name);
		goto out;
	}
	*ids = list;
	*n = count;
	list = NULL;
out:
	age_identities_free(list, cap);
	return r;
}

int age_identity_file_format(const struct age_identity *id, const char *created, char *out, size_t len)
{
	char pub[AGE_RECIPIENT_TEXT_MAX], sec[AGE_IDENTITY_TEXT_MAX];
	struct age_recipient rc;
	int n;

	age_identity_recipient(id, &rc);
	age_recipient_format(&rc, pub);
	age_identity_format(id, sec);
	if (created)
		n = snprintf(out, len, "# created: %s\n# public key: %s\n%s\n", created, pub, sec);
	else
		n = snprintf(out, len, "# public key: %s\n%s\n", pub, sec);
	cipher_wipe(sec, sizeof(sec));
	if (n < 0 || (size_t)n >= len) {
		cipher_wipe(out, len);
		return err_set(ERR_LIMIT, "identity file text does not fit in %zu bytes", len);
	}
	return n;
}

