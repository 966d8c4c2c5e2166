/* Nix store paths: check, split and print /nix/store/<hash>-<name>. */
#include "core/storepath.h"

#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/banned.h"

#define QUOTE_MAX 128

static const char storepath_form[] = "expected /nix/store/<32-char hash>-<name>";
static const char nixhash_form[] =
    "expected 32 characters of nix base-32 (0-9 and a-z without e o t u)";

/* Nix's base-32 alphabet, 0123456789abcdfghijklmnpqrsvwxyz. */
static int is_nix32(int c)
{
	return (c >= '0' && c <= '9') ||
	    (c >= 'a' && c <= 'z' && c != 'e' && c != 'o' && c != 't' && c != 'u');
}

static int is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '+' || c == '-' || c == '.' || c == '_' || c == '?' || c == '=';
}

static int hash_valid(const char *s, size_t len)
{
	size_t i;

	if (len != NIXHASH_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_nix32((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* Returns NULL when S is a store path, else why it is not. */
static const char *storepath_check(const char *s, size_t len)
{
	const char *name = s + STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1;
	size_t i, nlen;

	if (len < STOREPATH_PREFIX_LEN + NIXHASH_LEN + 2 ||
	    memcmp(s, STOREPATH_PREFIX, STOREPATH_PREFIX_LEN) != 0 ||
	    s[STOREPATH_PREFIX_LEN + NIXHASH_LEN] != '-')
		return storepath_form;
	if (!hash_valid(s + STOREPATH_PREFIX_LEN, NIXHASH_LEN))
		return "hash not in nix base-32 (0-9 and a-z without e o t u)";
	nlen = len - (size_t)(name - s);
	if (nlen > STOREPATH_NAME_MAX)
		return "name longer than 211 characters";
	if (name[0] == '.')
		return "name starts with '.'";
	for (i = 0; i < nlen; i++) {
		if (!is_name_char((unsigned char)name[i]))
			return "name has a character outside [A-Za-z0-9+._?=-]";
	}
	return NULL;
}

int nixhash_parse(struct nixhash *out, const char *s, size_t len)
{
	char q[QUOTE_MAX];

	memset(out, 0, sizeof(*out));
	if (!hash_valid(s, len)) {
		err_quote(q, sizeof(q), s, len);
		return err_set(ERR_INVALID, "bad nix hash '%s': %s", q, nixhash_form);
	}
	memcpy(out->s, s, NIXHASH_LEN);
	return 0;
}

int storepath_parse(struct storepath *out, const char *s, size_t len)
{
	const char *why;
	size_t off = STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1;

	memset(out, 0, sizeof(*out));
	if ((why = storepath_check(s, len)) != NULL)
		return err_bad_input("bad store path", s, len, why, storepath_form);
	memcpy(out->hash.s, s + STOREPATH_PREFIX_LEN, NIXHASH_LEN);
	memcpy(out->name, s + off, len - off);
	return 0;
}

bool storepath_valid(const char *s, size_t len)
{
	return storepath_check(s, len) == NULL;
}

int storepath_format(const struct storepath *p, char *buf, size_t len)
{
	int n;

	if (len > 0)
		buf[0] = '\0';
	n = snprintf(buf, len, "%s%s-%s", STOREPATH_PREFIX, p->hash.s, p->name);
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		return err_set(ERR_LIMIT, "store path '%s' does not fit in %zu bytes",
		    p->name, len);
	}
	return 0;
}

bool storepath_equal(const struct storepath *a, const struct storepath *b)
{
	return strcmp(a->hash.s, b->hash.s) == 0 && strcmp(a->name, b->name) == 0;
}
