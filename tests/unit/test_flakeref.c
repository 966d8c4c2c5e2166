/* Unit tests for core/flakeref: every accepted kind, its canonical form, and rejections. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/flakeref.h"
#include "check.h"
#include "util/err.h"

#define REV "0123456789abcdef0123456789abcdef01234567"

/* Expected fields; NULL means "". ATTR is the formatted attribute path or NULL for none. */
struct good {
	const char *in;
	enum flakeref_kind kind;
	const char *id, *owner, *repo, *user, *host;
	unsigned port;
	const char *path, *ref, *rev, *dir, *attr;
	const char *canon;
};

static const struct good goods[] = {
	{ "nixpkgs", FLAKEREF_INDIRECT, "nixpkgs", NULL, NULL, NULL, NULL, 0,
	  NULL, NULL, NULL, NULL, NULL, "flake:nixpkgs" },
	{ "flake:nixpkgs", FLAKEREF_INDIRECT, "nixpkgs", NULL, NULL, NULL, NULL, 0,
	  NULL, NULL, NULL, NULL, NULL, "flake:nixpkgs" },
	{ "nixpkgs/nixos-24.05", FLAKEREF_INDIRECT, "nixpkgs", NULL, NULL, NULL, NULL, 0,
	  NULL, "nixos-24.05", NULL, NULL, NULL, "flake:nixpkgs/nixos-24.05" },
	{ "flake:my_flake-2/release/v1", FLAKEREF_INDIRECT, "my_flake-2", NULL, NULL, NULL,
	  NULL, 0, NULL, "release/v1", NULL, NULL, NULL, "flake:my_flake-2/release/v1" },
	{ "nixpkgs#hello", FLAKEREF_INDIRECT, "nixpkgs", NULL, NULL, NULL, NULL, 0,
	  NULL, NULL, NULL, NULL, "hello", "flake:nixpkgs#hello" },
	{ "nixpkgs#\"a.b\".c", FLAKEREF_INDIRECT, "nixpkgs", NULL, NULL, NULL, NULL, 0,
	  NULL, NULL, NULL, NULL, "\"a.b\".c", "flake:nixpkgs#\"a.b\".c" },
	{ "github:NixOS/nixpkgs", FLAKEREF_GITHUB, NULL, "NixOS", "nixpkgs", NULL, NULL, 0,
	  NULL, NULL, NULL, NULL, NULL, "github:NixOS/nixpkgs" },
	{ "github:NixOS/nixpkgs/nixos-24.05", FLAKEREF_GITHUB, NULL, "NixOS", "nixpkgs", NULL,
	  NULL, 0, NULL, "nixos-24.05", NULL, NULL, NULL, "github:NixOS/nixpkgs/nixos-24.05" },
	{ "github:owner/repo/" REV, FLAKEREF_GITHUB, NULL, "owner", "repo", NULL, NULL, 0,
	  NULL, REV, NULL, NULL, NULL, "github:owner/repo/" REV },
	{ "github:o/r/feature/x?dir=sub/dir#packages.x86_64-linux.default", FLAKEREF_GITHUB,
	  NULL, "o", "r", NULL, NULL, 0, NULL, "feature/x", NULL, "sub/dir",
	  "packages.x86_64-linux.default",
	  "github:o/r/feature/x?dir=sub/dir#packages.x86_64-linux.default" },
	{ "github:my.org/.github", FLAKEREF_GITHUB, NULL, "my.org", ".github", NULL, NULL, 0,
	  NULL, NULL, NULL, NULL, NULL, "github:my.org/.github" },
	{ "github:a_b/c-d?dir=nix", FLAKEREF_GITHUB, NULL, "a_b", "c-d", NULL, NULL, 0,
	  NULL, NULL, NULL, "nix", NULL, "github:a_b/c-d?dir=nix" },
	{ "path:/etc/nixos", FLAKEREF_PATH, NULL, NULL, NULL, NULL, NULL, 0,
	  "/etc/nixos", NULL, NULL, NULL, NULL, "path:/etc/nixos" },
	{ "path:/", FLAKEREF_PATH, NULL, NULL, NULL, NULL, NULL, 0,
	  "/", NULL, NULL, NULL, NULL, "path:/" },
	{ "path:/srv/fleet/flake+v1.2_x#nixosConfigurations.\"web\"", FLAKEREF_PATH, NULL,
	  NULL, NULL, NULL, NULL, 0, "/srv/fleet/flake+v1.2_x", NULL, NULL, NULL,
	  "nixosConfigurations.web", "path:/srv/fleet/flake+v1.2_x#nixosConfigurations.web" },
	{ "git+https://example.com/org/repo.git", FLAKEREF_GIT_HTTPS, NULL, NULL, NULL, NULL,
	  "example.com", 0, "/org/repo.git", NULL, NULL, NULL, NULL,
	  "git+https://example.com/org/repo.git" },
	{ "git+https://Git.Example.COM:8443/org/repo?rev=" REV "&ref=main&dir=sub",
	  FLAKEREF_GIT_HTTPS, NULL, NULL, NULL, NULL, "git.example.com", 8443, "/org/repo",
	  "main", REV, "sub", NULL,
	  "git+https://git.example.com:8443/org/repo?dir=sub&ref=main&rev=" REV },
	{ "git+https://10.0.0.1/x#a", FLAKEREF_GIT_HTTPS, NULL, NULL, NULL, NULL, "10.0.0.1",
	  0, "/x", NULL, NULL, NULL, "a", "git+https://10.0.0.1/x#a" },
	{ "git+ssh://git@github.com/org/repo.git?ref=release/1.0", FLAKEREF_GIT_SSH, NULL,
	  NULL, NULL, "git", "github.com", 0, "/org/repo.git", "release/1.0", NULL, NULL, NULL,
	  "git+ssh://git@github.com/org/repo.git?ref=release/1.0" },
	{ "git+ssh://github.com/org/repo", FLAKEREF_GIT_SSH, NULL, NULL, NULL, NULL,
	  "github.com", 0, "/org/repo", NULL, NULL, NULL, NULL, "git+ssh://github.com/org/repo" },
	{ "git+ssh://deploy@[2001:DB8::1]:2222/srv/git/fleet", FLAKEREF_GIT_SSH, NULL, NULL,
	  NULL, "deploy", "2001:db8::1", 2222, "/srv/git/fleet", NULL, NULL, NULL, NULL,
	  "git+ssh://deploy@[2001:db8::1]:2222/srv/git/fleet" },
	{ "git+ssh://[::1]/r", FLAKEREF_GIT_SSH, NULL, NULL, NULL, NULL, "::1", 0, "/r",
	  NULL, NULL, NULL, NULL, "git+ssh://[::1]/r" },
	{ "https://github.com/NixOS/nixpkgs/archive/nixos-24.05.tar.gz", FLAKEREF_TARBALL,
	  NULL, NULL, NULL, NULL, "github.com", 0, "/NixOS/nixpkgs/archive/nixos-24.05.tar.gz",
	  NULL, NULL, NULL, NULL, "https://github.com/NixOS/nixpkgs/archive/nixos-24.05.tar.gz" },
	{ "https://example.com/f.tgz", FLAKEREF_TARBALL, NULL, NULL, NULL, NULL,
	  "example.com", 0, "/f.tgz", NULL, NULL, NULL, NULL, "https://example.com/f.tgz" },
	{ "https://example.com:444/f.tar.xz", FLAKEREF_TARBALL, NULL, NULL, NULL, NULL,
	  "example.com", 444, "/f.tar.xz", NULL, NULL, NULL, NULL,
	  "https://example.com:444/f.tar.xz" },
	{ "https://EXAMPLE.com/f.tar.bz2", FLAKEREF_TARBALL, NULL, NULL, NULL, NULL,
	  "example.com", 0, "/f.tar.bz2", NULL, NULL, NULL, NULL,
	  "https://example.com/f.tar.bz2" },
	{ "https://example.com/a/b.zip#packages.\"x y\"", FLAKEREF_TARBALL, NULL, NULL, NULL,
	  NULL, "example.com", 0, "/a/b.zip", NULL, NULL, NULL, "packages.\"x y\"",
	  "https://example.com/a/b.zip#packages.\"x y\"" },
};

struct bad {
	const char *s;
	size_t len;
	const char *hint;	/* must appear in the message too, or NULL */
};

static const struct bad bads[] = {
	/* empty, whitespace, NUL */
	{ LIT(""), "expected github:owner/repo" },
	{ LIT(" nixpkgs"), "character outside" },
	{ LIT("nixpkgs "), "character outside" },
	{ LIT("nix pkgs"), "character outside" },
	{ LIT("nixpkgs\t"), "character outside" },
	{ LIT("nixpkgs\n"), "character outside" },
	{ LIT("nixpkgs\0"), "character outside" },
	{ LIT("nix\0pkgs"), "character outside" },
	{ LIT("nixpkgs#a\0"), "bad attribute path" },
	/* shell metacharacters */
	{ LIT("nixpkgs;rm"), "character outside" },
	{ LIT("nixpkgs|x"), "character outside" },
	{ LIT("$nixpkgs"), "character outside" },
	{ LIT("`x`"), "character outside" },
	{ LIT("nixpkgs(1)"), "character outside" },
	{ LIT("<x"), "character outside" },
	{ LIT(">x"), "character outside" },
	{ LIT("x\\y"), "character outside" },
	{ LIT("'x'"), "character outside" },
	{ LIT("\"x\""), "character outside" },
	{ LIT("x*"), "character outside" },
	{ LIT("!x"), "character outside" },
	{ LIT("{x}"), "character outside" },
	{ LIT("~/flake"), "character outside" },
	{ LIT("github:a/b%2e"), "character outside" },
	{ LIT("path:/a/$(id)"), "character outside" },
	{ LIT("nixpkgs&"), "bad registry id" },
	/* fragment */
	{ LIT("nixpkgs#"), "bad attribute path" },
	{ LIT("nixpkgs#a..b"), "bad attribute path" },
	{ LIT("nixpkgs##a"), "bad attribute path" },
	{ LIT("nixpkgs#a;b"), "bad attribute path" },
	{ LIT("nixpkgs#\"$x\""), "bad attribute path" },
	/* registry ids */
	{ LIT("1nixpkgs"), "bad registry id" },
	{ LIT("-nixpkgs"), "bad registry id" },
	{ LIT("_x"), "bad registry id" },
	{ LIT("flake:"), "bad registry id" },
	{ LIT("flake:/x"), "bad registry id" },
	{ LIT("nixpkgs/"), "bad ref" },
	{ LIT("nixpkgs/../x"), "bad ref" },
	{ LIT("nixpkgs/a..b"), "bad ref" },
	{ LIT("nixpkgs/a//b"), "bad ref" },
	{ LIT("nixpkgs/-x"), "bad ref" },
	{ LIT("nixpkgs/x."), "bad ref" },
	{ LIT("nixpkgs?dir=x"), "not allowed here" },
	{ LIT("nix.pkgs"), "bad registry id" },
	/* github */
	{ LIT("github:"), "expected github:owner/repo" },
	{ LIT("github:a"), "expected github:owner/repo" },
	{ LIT("github:a/"), "bad owner or repo" },
	{ LIT("github:/b"), "bad owner or repo" },
	{ LIT("github:a/b/"), "bad ref" },
	{ LIT("github:-a/b"), "bad owner or repo" },
	{ LIT("github:./b"), "bad owner or repo" },
	{ LIT("github:a/.."), "bad owner or repo" },
	{ LIT("github:a/b/../c"), "bad ref" },
	{ LIT("github:a/b/x..y"), "bad ref" },
	{ LIT("github:a@b/c"), "bad owner or repo" },
	{ LIT("github:a/b?ref=main"), "unknown query parameter" },
	{ LIT("github:a/b?dir=../x"), "bad dir" },
	{ LIT("github:a/b?dir=a/../x"), "bad dir" },
	{ LIT("github:a/b?dir=/abs"), "bad dir" },
	{ LIT("github:a/b?dir=a//b"), "bad dir" },
	{ LIT("github:a/b?dir=a/"), "bad dir" },
	{ LIT("github:a/b?dir="), "bad dir" },
	{ LIT("github:a/b?"), "empty query" },
	{ LIT("github:a/b?dir=a&dir=b"), "repeated query parameter" },
	{ LIT("github:a/b?dir"), "without '='" },
	{ LIT("github:a/b?&dir=a"), "empty query parameter" },
	{ LIT("github:a/b?dir=a&"), "empty query parameter" },
	{ LIT("GITHUB:a/b"), "unknown scheme" },
	/* path */
	{ LIT("path:"), "bad path" },
	{ LIT("path:relative"), "bad path" },
	{ LIT("path:/a/../b"), "bad path" },
	{ LIT("path:/a/./b"), "bad path" },
	{ LIT("path:/a/.."), "bad path" },
	{ LIT("path:/a//b"), "bad path" },
	{ LIT("path:/a/"), "bad path" },
	{ LIT("path:/a b"), "character outside" },
	{ LIT("path:/a:b"), "bad path" },
	{ LIT("path:/a?dir=x"), "not allowed here" },
	{ LIT("/etc/nixos"), "use path:/absolute/dir" },
	{ LIT("."), "use path:/absolute/dir" },
	{ LIT("./flake"), "use path:/absolute/dir" },
	/* git */
	{ LIT("git+https://"), "missing path" },
	{ LIT("git+https://host"), "missing path" },
	{ LIT("git+https://host/"), "bad url path" },
	{ LIT("git+https:///x"), "missing host" },
	{ LIT("git+https://user@host/x"), "user names are not allowed" },
	{ LIT("git+https://h/x?ref=a..b"), "bad ref" },
	{ LIT("git+https://h/x?rev=abc"), "bad rev" },
	{ LIT("git+https://h/x?rev=0123456789ABCDEF0123456789ABCDEF01234567"), "bad rev" },
	{ LIT("git+https://h/x?foo=bar"), "unknown query parameter" },
	{ LIT("git+https://h/x?ref=a&ref=b"), "repeated query parameter" },
	{ LIT("git+https://h/x/../y"), "bad url path" },
	{ LIT("git+https://h:0/x"), "bad host" },
	{ LIT("git+ssh://root@@h/x"), "bad host" },
	{ LIT("git+ssh://h:99999/x"), "bad host" },
	{ LIT("git+ssh://::1/x"), "bad host" },
	{ LIT("git+ssh://[::1/x"), "bad host" },
	{ LIT("git+ssh://-oProxyCommand=x/y"), "bad host" },
	{ LIT("git+ssh://h_1/x"), "bad host" },
	{ LIT("git+http://h/x"), "plain http" },
	{ LIT("git+file:///x"), "unknown scheme" },
	/* tarballs */
	{ LIT("http://example.com/x.tar.gz"), "plain http" },
	{ LIT("https://example.com/x"), "must name a .tar.gz" },
	{ LIT("https://example.com/x.tar"), "must name a .tar.gz" },
	{ LIT("https://example.com/.tar.gz"), "must name a .tar.gz" },
	{ LIT("https://example.com/x.TAR.GZ"), "must name a .tar.gz" },
	{ LIT("https://example.com/x.tar.gz?foo=1"), "not allowed here" },
	{ LIT("https://user@example.com/x.tar.gz"), "user names are not allowed" },
	{ LIT("https://example.com"), "missing path" },
	{ LIT("https://example.com/x.tar.gz/"), "bad url path" },
	{ LIT("ftp://x/y.tar.gz"), "unknown scheme" },
	{ LIT("unknown:foo"), "unknown scheme" },
	/* Unicode look-alikes */
	{ LIT("nixpkgs\xef\xbc\x9a"), "character outside" },
	{ LIT("github\xef\xbc\x9a" "a/b"), "character outside" },
	{ LIT("nixpkgs#\xd0\xb0"), "bad attribute path" },
	{ LIT("\xd0\xb0pkgs"), "character outside" },
	{ LIT("git+ssh://git\xef\xbc\xa0h/x"), "character outside" },
	{ LIT("nixpkgs\xc2\xa0"), "character outside" },
	{ LIT("path:/\xd0\xb0"), "character outside" },
};

static const char *orempty(const char *s)
{
	return s ? s : "";
}

static void test_accepts(void **state)
{
	char buf[FLAKEREF_FORMAT_MAX], attr[ATTRPATH_FORMAT_MAX];
	struct flakeref f, back;
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];

		err_clear();
		if (flakeref_parse(&f, g->in, strlen(g->in)) != 0)
			fail_msg("'%s' rejected: %s", g->in, err_msg());
		assert_int_equal(f.kind, g->kind);
		assert_string_equal(f.id, orempty(g->id));
		assert_string_equal(f.owner, orempty(g->owner));
		assert_string_equal(f.repo, orempty(g->repo));
		assert_string_equal(f.user, orempty(g->user));
		assert_string_equal(f.host, orempty(g->host));
		assert_int_equal(f.port, g->port);
		assert_string_equal(f.path, orempty(g->path));
		assert_string_equal(f.ref, orempty(g->ref));
		assert_string_equal(f.rev, orempty(g->rev));
		assert_string_equal(f.dir, orempty(g->dir));
		assert_int_equal(f.has_attr, g->attr != NULL);
		if (g->attr != NULL) {
			assert_int_equal(attrpath_format(&f.attr, attr, sizeof(attr)), 0);
			assert_string_equal(attr, g->attr);
		}
		assert_int_equal(flakeref_format(&f, buf, sizeof(buf)), 0);
		assert_string_equal(buf, g->canon);
		/* the canonical form parses back to the same value */
		if (flakeref_parse(&back, buf, strlen(buf)) != 0)
			fail_msg("canonical '%s' rejected: %s", buf, err_msg());
		assert_memory_equal(&f, &back, sizeof(f));
	}
}

static void test_rejects(void **state)
{
	struct flakeref f;
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		int r;

		err_clear();
		memset(&f, 0x55, sizeof(f));
		r = flakeref_parse(&f, b->s, b->len);
		if (r != ERR_INVALID)
			fail_msg("case %zu (%s) returned %d, not ERR_INVALID", i, b->s, r);
		assert_quotes("bad flake reference", b->s, b->len);
		if (b->hint != NULL)
			assert_contains(err_msg(), b->hint);
		assert_int_equal(f.kind, FLAKEREF_INDIRECT);
		assert_string_equal(f.id, "");
		assert_string_equal(f.host, "");
		assert_false(f.has_attr);
	}
}

static void test_long(void **state)
{
	char s[FLAKEREF_TEXT_MAX + 8];
	struct flakeref f;
	size_t n;

	/* paths are capped at 1024 bytes */
	n = (size_t)snprintf(s, sizeof(s), "path:");
	while (n < 5 + FLAKEREF_PATH_MAX) {
		s[n++] = '/';
		s[n++] = 'd';
	}
	assert_int_equal(n, 5 + FLAKEREF_PATH_MAX);
	assert_int_equal(flakeref_parse(&f, s, n), 0);
	assert_int_equal(strlen(f.path), FLAKEREF_PATH_MAX);
	s[n++] = 'e';
	err_clear();
	assert_int_equal(flakeref_parse(&f, s, n), ERR_INVALID);
	assert_contains(err_msg(), "bad path");
	/* so are attribute paths, and the whole reference at 2048 */
	memset(s, 'a', sizeof(s));
	memcpy(s, "nixpkgs#", 8);
	assert_int_equal(flakeref_parse(&f, s, 8 + ATTRPATH_TEXT_MAX), 0);
	err_clear();
	assert_int_equal(flakeref_parse(&f, s, 8 + ATTRPATH_TEXT_MAX + 1), ERR_INVALID);
	assert_contains(err_msg(), "longer than 1024 bytes");
	err_clear();
	assert_int_equal(flakeref_parse(&f, s, FLAKEREF_TEXT_MAX + 1), ERR_INVALID);
	assert_contains(err_msg(), "longer than 2048 bytes");
	assert_quotes("bad flake reference", s, FLAKEREF_TEXT_MAX + 1);
	/* an id of 101 characters */
	err_clear();
	assert_int_equal(flakeref_parse(&f, s + 8, 101), ERR_INVALID);
	assert_contains(err_msg(), "bad registry id");
	assert_int_equal(flakeref_parse(&f, s + 8, 100), 0);
}

static void test_format_limit(void **state)
{
	char buf[32];
	struct flakeref f;

	assert_int_equal(flakeref_parse(&f, LIT("github:NixOS/nixpkgs")), 0);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(flakeref_format(&f, buf, 16), ERR_LIMIT);
	assert_string_equal(buf, "");
	assert_int_equal(flakeref_parse(&f, LIT("nixpkgs#a.b")), 0);
	assert_int_equal(flakeref_format(&f, buf, 18), 0);
	assert_string_equal(buf, "flake:nixpkgs#a.b");
	assert_int_equal(flakeref_format(&f, buf, 17), ERR_LIMIT);
	assert_string_equal(buf, "");
}

/* An accepted reference must read back after formatting, even when its IPv6 host grows. */
static void test_canonical_growth(void **state)
{
	char in[FLAKEREF_TEXT_MAX + 64], out[FLAKEREF_FORMAT_MAX];
	struct flakeref f, g;
	size_t n = 0;
	int i;

	/* Found by fuzz_flakeref: "::7" formats as ":0:7", one byte longer than typed. */
#define ADD(str) do { memcpy(in + n, str, strlen(str)); n += strlen(str); } while (0)
	ADD("git+https://[1:2:3:4:5:6::7]/p?dir=");
	for (i = 0; i < 64; i++)
		ADD("dddddddddddddd/");
	ADD("end&ref=");
	for (i = 0; i < 16; i++)
		ADD("refs/heads/mai-");
	ADD("x&rev=0123456789abcdef0123456789abcdef01234567#");
	for (i = 0; i < 4; i++)
		ADD("\"y.y y.y y.y y.y y.y y.y y.y y.y y.y y.y y.y y.y y.y y.y y.y y.y \".");
	for (i = 0; i < 16; i++)
		ADD("xx.");
	for (i = 0; i < 17; i++)
		ADD("abcdefghijklmnopqrstuvwxyz");
#undef ADD
	assert_int_equal(n, FLAKEREF_TEXT_MAX);
	assert_int_equal(flakeref_parse(&f, in, n), ERR_INVALID);
	assert_contains(err_msg(), "canonical form");
	/* One byte shorter fits once written out, and reads back the same. */
	assert_int_equal(flakeref_parse(&f, in, n - 1), 0);
	assert_int_equal(flakeref_format(&f, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), FLAKEREF_TEXT_MAX);
	assert_int_equal(flakeref_parse(&g, out, strlen(out)), 0);
	assert_int_equal(flakeref_format(&g, in, sizeof(in)), 0);
	assert_string_equal(in, out);
}

static void test_kind_name(void **state)
{
	assert_string_equal(flakeref_kind_name(FLAKEREF_INDIRECT), "indirect");
	assert_string_equal(flakeref_kind_name(FLAKEREF_GITHUB), "github");
	assert_string_equal(flakeref_kind_name(FLAKEREF_PATH), "path");
	assert_string_equal(flakeref_kind_name(FLAKEREF_GIT_HTTPS), "git+https");
	assert_string_equal(flakeref_kind_name(FLAKEREF_GIT_SSH), "git+ssh");
	assert_string_equal(flakeref_kind_name(FLAKEREF_TARBALL), "tarball");
	assert_string_equal(flakeref_kind_name((enum flakeref_kind)42), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_format_limit),
		cmocka_unit_test(test_canonical_growth),
		cmocka_unit_test(test_kind_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
