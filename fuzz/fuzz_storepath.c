/* Fuzz target for core/storepath: storepath_parse, storepath_valid and nixhash_parse. */
#include <stdio.h>
#include <string.h>

#include "core/storepath.h"
#include "fuzz.h"
#include "util/err.h"

const char *const fuzz_seeds[] = {
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-hello-2.12.1",
	"/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-a",
	"/nix/store/00000000000000000000000000000000-x86_64-linux+gtk3_?=.drv",
	"/nix/store/abcdfghijklmnpqrsvwxyz0123456789-nixos-system-web1-24.05",
	"/nix/store/abcdfghijklmnpqrsvwxyz0123456789--dash",
	"0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh",
	/* near misses */
	"",
	"/nix/store/",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-hello/bin/hello",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-.hidden",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhe-hello",
	"/nix/store/0C0VQ1CBC6BWX7BNPN5RSL1D2DZHBNHH-hello",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnh-hello",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhhh-hello",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh_hello",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-hello world",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-a;rm",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-$(id)",
	"/nix/Store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-hello",
	"nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-hello",
	"//nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-hello",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"/nix/store/0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhh-"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnh",
	"0c0vq1cbc6bwx7bnpn5rsl1d2dzhbnhu",
	NULL,
};

static bool is_nix32(int c)
{
	return (c >= '0' && c <= '9') ||
	    (c >= 'a' && c <= 'z' && c != 'e' && c != 'o' && c != 't' && c != 'u');
}

static bool is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    strchr("+-._?=", c) != NULL;
}

static bool hash_ok(const char *s, size_t len)
{
	size_t i;

	if (len != NIXHASH_LEN)
		return false;
	for (i = 0; i < len; i++) {
		if (!is_nix32((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* The rules of storepath.h written out again, to compare the parser against. */
static bool storepath_ok(const char *s, size_t len)
{
	size_t i, off = STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1;

	if (len <= off || len - off > STOREPATH_NAME_MAX)
		return false;
	if (memcmp(s, "/nix/store/", STOREPATH_PREFIX_LEN) != 0 || s[off - 1] != '-')
		return false;
	if (!hash_ok(s + STOREPATH_PREFIX_LEN, NIXHASH_LEN) || s[off] == '.')
		return false;
	for (i = off; i < len; i++) {
		if (s[i] == '\0' || !is_name_char((unsigned char)s[i]))
			return false;
	}
	return true;
}

static void check_path(const char *s, size_t len, const struct storepath *p)
{
	char a[STOREPATH_MAX], b[STOREPATH_MAX];
	struct storepath q;
	size_t n;
	int r;

	FUZZ_CHECK(hash_ok(p->hash.s, strlen(p->hash.s)), "bad hash '%s'", p->hash.s);
	r = storepath_format(p, a, sizeof(a));
	FUZZ_CHECK(r == 0, "storepath_format failed: %s", err_msg());
	n = strlen(a);
	FUZZ_CHECK(n == len && memcmp(a, s, len) == 0, "'%s' does not format back as itself",
	    a);
	fuzz_err_mark();
	r = storepath_parse(&q, a, n);
	FUZZ_CHECK(r == 0 && storepath_equal(p, &q), "'%s' does not parse back", a);
	r = storepath_format(&q, b, sizeof(b));
	FUZZ_CHECK(r == 0 && strcmp(a, b) == 0, "format not idempotent: '%s', '%s'", a, b);
	r = storepath_format(p, b, n);
	FUZZ_CHECK(r == ERR_LIMIT && b[0] == '\0', "format into %zu bytes gave %d, '%s'", n, r,
	    b);
}

static void check_hash(const char *s, size_t len)
{
	struct nixhash h;
	int r;

	fuzz_err_mark();
	r = nixhash_parse(&h, s, len);
	FUZZ_CHECK((r == 0) == hash_ok(s, len), "nixhash_parse returned %d", r);
	if (r == 0) {
		FUZZ_CHECK(strlen(h.s) == NIXHASH_LEN && memcmp(h.s, s, len) == 0,
		    "hash '%s' is not the input", h.s);
		return;
	}
	fuzz_check_failure("nixhash_parse", r, false);
	fuzz_check_quotes("bad nix hash", s, len);
	FUZZ_CHECK(h.s[0] == '\0', "failed nixhash_parse left OUT set");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct storepath p;
	bool valid;
	int r;

	fuzz_begin(data, size);
	fuzz_err_mark();
	valid = storepath_valid(s, size);
	FUZZ_CHECK(fuzz_err_marked(), "storepath_valid changed the error message");
	r = storepath_parse(&p, s, size);
	FUZZ_CHECK((r == 0) == valid, "storepath_parse returned %d, storepath_valid %d", r,
	    valid);
	FUZZ_CHECK(valid == storepath_ok(s, size), "storepath_valid says %d, the rules say %d",
	    valid, !valid);
	if (r == 0) {
		check_path(s, size, &p);
		check_hash(s + STOREPATH_PREFIX_LEN, NIXHASH_LEN);
	} else {
		fuzz_check_failure("storepath_parse", r, false);
		fuzz_check_quotes("bad store path", s, size);
		FUZZ_CHECK(p.hash.s[0] == '\0' && p.name[0] == '\0',
		    "failed storepath_parse left OUT set");
	}
	check_hash(s, size);
	return 0;
}
