/* Fuzz target for core/flakeref: flakeref_parse and flakeref_format. */
#include <stdio.h>
#include <string.h>

#include "core/flakeref.h"
#include "fuzz.h"
#include "util/err.h"


const char *const fuzz_seeds[] = {
	"nixpkgs",
	"nixpkgs/nixos-24.05",
	"flake:nixpkgs",
	"flake:nixpkgs/release/24.05#hello",
	"github:NixOS/nixpkgs",
	"github:NixOS/nixpkgs/nixos-unstable?dir=lib",
	"github:NixOS/nixpkgs/0123456789abcdef0123456789abcdef01234567#legacyPackages.x86_64-linux.hello",
	"github:owner/repo.git/feature/x-1?dir=sub/dir#nixosConfigurations.\"web 1\".config",
	"path:/",
	"path:/etc/nixos",
	"path:/home/u/src/my.flake+v2#nixosConfigurations.web1",
	"git+https://example.com/org/repo",
	"git+https://Git.Example.COM:8443/org/repo.git?dir=infra&ref=main&rev=0123456789abcdef0123456789abcdef01234567",
	"git+https://[2001:db8::1]:443/r?rev=ffffffffffffffffffffffffffffffffffffffff&ref=v1.0",
	"git+ssh://git@github.com/org/repo",
	"git+ssh://deploy@10.0.0.2:2222/srv/git/infra?ref=prod/2024#nixosConfigurations.db",
	"git+ssh://[::1]/repo",
	"https://example.com/archive/main.tar.gz",
	"https://example.com:8443/x/nixexprs.tar.xz#packages.x86_64-linux.default",
	"https://example.com/a.tgz",
	"https://example.com/a.tar.bz2",
	"https://example.com/a.zip",
	"git+ssh://" FUZZ_X16("u") "@" FUZZ_X4("h" FUZZ_X16("abcd") ".") "org:65535/"
	    FUZZ_X64("path/to/") "repo.git?ref=" FUZZ_X16("v1.2.3/") "x",
	/* 2047 bytes, one short of the limit, with an IPv6 host that formats longer */
	"git+https://[1:2:3:4:5:6::7]/p?dir=" FUZZ_X64("dddddddddddddd/") "end&ref="
	    FUZZ_X16("refs/heads/mai-") "x&rev=0123456789abcdef0123456789abcdef01234567#"
	    FUZZ_X4("\"" FUZZ_X16("y.y ") "\".") FUZZ_X16("xx.")
	    FUZZ_X16("abcdefghijklmnopqrstuvwxyz") "abcdefghijklmnopqrstuvwxy",
	/* near misses */
	"",
	"#",
	"nixpkgs#",
	"nixpkgs#a..b",
	"nixpkgs/",
	"nixpkgs/../x",
	"nixpkgs//x",
	"nixpkgs/-x",
	"1nixpkgs",
	".",
	"./flake",
	"/etc/nixos",
	"path:.",
	"path:/etc/../x",
	"path:/etc/",
	"path:etc",
	"path:/etc?dir=x",
	"github:NixOS",
	"github:NixOS/",
	"github:-x/y",
	"github:./..",
	"github:o/r?ref=main",
	"github:o/r?dir=a&dir=b",
	"github:o/r?dir=/abs",
	"github:o/r?dir=",
	"github:o/r?",
	"github:o/r?dir=a&",
	"git+https://example.com",
	"git+https://u@example.com/r",
	"git+https://example.com/r?rev=0123",
	"git+https://example.com/r?rev=0123456789ABCDEF0123456789abcdef01234567",
	"git+https://example.com/r?x=y",
	"git+https://example.com/r?ref",
	"git+https://example.com:0/r",
	"git+https://[::1/r",
	"git+https://example.com/r%20x",
	"git+ssh://-oProxyCommand=x@h/r",
	"git+ssh://u@@h/r",
	"git+http://example.com/r",
	"http://example.com/a.tar.gz",
	"https://example.com/a.tar",
	"https://example.com/.tar.gz",
	"https://u@example.com/a.tar.gz",
	"https://example.com/a.tar.gz?ref=x",
	"file:///etc/nixos",
	"github:o/r;id",
	"github:o/r$(id)",
	"nixpkgs#a b",
	"nixpkgs#\"a$b\"",
	"nix pkgs",
	"nixpkgs\xc3\xa9",
	"github:o/r?dir=" FUZZ_X256("dirname/") "x",
	"github:o/r/" FUZZ_X64("ref/") "x",
	"git+https://h/r?ref=a&ref=b",
	"git+https://h/r?rev=0123456789abcdef0123456789abcdef01234567&rev=0123456789abcdef0123456789abcdef01234567",
	"flake:nixpkgs#" FUZZ_X256("a.b.") "c",
	"git+https://h/" FUZZ_X256("long/path") "?ref=" FUZZ_X64("r") "#" FUZZ_X256("x"),
	NULL,
};

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool chars_in(const char *s, const char *extra)
{
	for (; *s != '\0'; s++) {
		if (!is_alnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return false;
	}
	return true;
}

/* A path of names other than "." and "..", separated by single '/'. */
static bool path_ok(const char *s, bool absolute)
{
	const char *p = s, *slash;
	size_t n;

	if (absolute) {
		if (s[0] != '/')
			return false;
		if (s[1] == '\0')
			return true;
		p = s + 1;
	}
	if (!chars_in(p, "._+-/"))
		return false;
	for (;;) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (slash == NULL)
			return true;
		p = slash + 1;
	}
}

static bool ref_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && chars_in(s, "._/-") && strstr(s, "..") == NULL &&
	    strstr(s, "//") == NULL && strchr("-./", s[0]) == NULL &&
	    s[n - 1] != '/' && s[n - 1] != '.';
}

static bool empty(const char *s)
{
	return s[0] == '\0';
}

/* Fields match the rules of flakeref.h, and those the kind does not use are empty. */
static void check_fields(const struct flakeref *f)
{
	bool git = f->kind == FLAKEREF_GIT_HTTPS || f->kind == FLAKEREF_GIT_SSH;
	bool url = git || f->kind == FLAKEREF_TARBALL;
	size_t i;

	FUZZ_CHECK(f->kind <= FLAKEREF_TARBALL, "bad kind %d", (int)f->kind);
	FUZZ_CHECK(strcmp(flakeref_kind_name(f->kind), "unknown") != 0, "kind has no name");
	if (f->kind == FLAKEREF_INDIRECT) {
		FUZZ_CHECK(chars_in(f->id, "_-") && (f->id[0] | 0x20) >= 'a' &&
		    (f->id[0] | 0x20) <= 'z', "bad id '%s'", f->id);
	} else {
		FUZZ_CHECK(empty(f->id), "id '%s' set for %s", f->id,
		    flakeref_kind_name(f->kind));
	}
	if (f->kind == FLAKEREF_GITHUB) {
		FUZZ_CHECK(!empty(f->owner) && chars_in(f->owner, "._-") && f->owner[0] != '-' &&
		    strcmp(f->owner, ".") != 0 && strcmp(f->owner, "..") != 0,
		    "bad owner '%s'", f->owner);
		FUZZ_CHECK(!empty(f->repo) && chars_in(f->repo, "._-") && f->repo[0] != '-' &&
		    strcmp(f->repo, ".") != 0 && strcmp(f->repo, "..") != 0,
		    "bad repo '%s'", f->repo);
	} else {
		FUZZ_CHECK(empty(f->owner) && empty(f->repo), "owner or repo set for %s",
		    flakeref_kind_name(f->kind));
	}
	if (f->kind == FLAKEREF_GIT_SSH && !empty(f->user)) {
		FUZZ_CHECK(chars_in(f->user, "._-") && f->user[0] != '-' && f->user[0] != '.' &&
		    !is_digit((unsigned char)f->user[0]), "bad user '%s'", f->user);
	} else {
		FUZZ_CHECK(empty(f->user), "user '%s' set for %s", f->user,
		    flakeref_kind_name(f->kind));
	}
	if (url) {
		FUZZ_CHECK(!empty(f->host) && f->host[0] != '-', "bad host '%s'", f->host);
		for (i = 0; f->host[i] != '\0'; i++)
			FUZZ_CHECK(strchr("abcdefghijklmnopqrstuvwxyz0123456789.-:", f->host[i]),
			    "host '%s' has byte 0x%02x", f->host, (unsigned char)f->host[i]);
		FUZZ_CHECK(path_ok(f->path, true) && strcmp(f->path, "/") != 0,
		    "bad url path '%s'", f->path);
	} else {
		FUZZ_CHECK(empty(f->host) && f->port == 0, "host or port set for %s",
		    flakeref_kind_name(f->kind));
		if (f->kind == FLAKEREF_PATH)
			FUZZ_CHECK(path_ok(f->path, true), "bad path '%s'", f->path);
		else
			FUZZ_CHECK(empty(f->path), "path set for %s", flakeref_kind_name(f->kind));
	}
	if (!empty(f->ref))
		FUZZ_CHECK(f->kind == FLAKEREF_INDIRECT || f->kind == FLAKEREF_GITHUB || git,
		    "ref set for %s", flakeref_kind_name(f->kind));
	FUZZ_CHECK(empty(f->ref) || ref_ok(f->ref), "bad ref '%s'", f->ref);
	if (!empty(f->rev)) {
		FUZZ_CHECK(git, "rev set for %s", flakeref_kind_name(f->kind));
		FUZZ_CHECK(strlen(f->rev) == FLAKEREF_REV_LEN &&
		    strspn(f->rev, "0123456789abcdef") == FLAKEREF_REV_LEN, "bad rev '%s'", f->rev);
	}
	if (!empty(f->dir)) {
		FUZZ_CHECK(git || f->kind == FLAKEREF_GITHUB, "dir set for %s",
		    flakeref_kind_name(f->kind));
		FUZZ_CHECK(path_ok(f->dir, false), "bad dir '%s'", f->dir);
	}
	FUZZ_CHECK(f->has_attr == (f->attr.n > 0), "has_attr %d with %zu names",
	    f->has_attr, f->attr.n);
}

static bool flakeref_same(const struct flakeref *a, const struct flakeref *b)
{
	return a->kind == b->kind && strcmp(a->id, b->id) == 0 &&
	    strcmp(a->owner, b->owner) == 0 && strcmp(a->repo, b->repo) == 0 &&
	    strcmp(a->user, b->user) == 0 && strcmp(a->host, b->host) == 0 &&
	    a->port == b->port && strcmp(a->path, b->path) == 0 &&
	    strcmp(a->ref, b->ref) == 0 && strcmp(a->rev, b->rev) == 0 &&
	    strcmp(a->dir, b->dir) == 0 && a->has_attr == b->has_attr &&
	    attrpath_equal(&a->attr, &b->attr);
}

/* Format F, parse it back, format again; a buffer one byte short fails cleanly. */
static void check_roundtrip(const struct flakeref *f)
{
	static char a[FLAKEREF_FORMAT_MAX], b[FLAKEREF_FORMAT_MAX];
	static struct flakeref g;
	const char *hash;
	size_t n, i;
	int r;

	r = flakeref_format(f, a, sizeof(a));
	FUZZ_CHECK(r == 0, "flakeref_format failed: %s", err_msg());
	n = strlen(a);
	hash = strchr(a, '#');
	for (i = 0; i < (hash ? (size_t)(hash - a) : n); i++)
		FUZZ_CHECK(!fuzz_is_shell_special((unsigned char)a[i]) || strchr("?&[]", a[i]),
		    "formatted '%s' has byte 0x%02x before '#'", a, (unsigned char)a[i]);
	fuzz_err_mark();
	FUZZ_CHECK(n <= FLAKEREF_TEXT_MAX, "accepted reference formats to %zu bytes", n);
	r = flakeref_parse(&g, a, n);
	FUZZ_CHECK(r == 0, "formatted '%s' does not parse: %s", a, err_msg());
	FUZZ_CHECK(flakeref_same(f, &g), "'%s' parses to a different reference", a);
	r = flakeref_format(&g, b, sizeof(b));
	FUZZ_CHECK(r == 0 && strcmp(a, b) == 0, "format not idempotent: '%s', '%s'", a, b);
	r = flakeref_format(f, b, n);
	FUZZ_CHECK(r == ERR_LIMIT && b[0] == '\0', "format into %zu bytes gave %d, '%s'", n, r,
	    b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct flakeref f, zero;
	const char *s = (const char *)data;
	int r;

	fuzz_begin(data, size);
	fuzz_err_mark();
	r = flakeref_parse(&f, s, size);
	if (r == 0) {
		check_fields(&f);
		check_roundtrip(&f);
	} else {
		fuzz_check_failure("flakeref_parse", r, false);
		fuzz_check_quotes("bad flake reference", s, size);
		FUZZ_CHECK(memcmp(&f, &zero, sizeof(f)) == 0, "failed flakeref_parse left OUT set");
	}
	return 0;
}
