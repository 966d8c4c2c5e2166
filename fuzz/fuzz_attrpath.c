/* Fuzz target for core/attrpath: attrpath_parse, attrpath_format and attrpath_append. */
#include <stdio.h>
#include <string.h>

#include "core/attrpath.h"
#include "fuzz.h"
#include "util/err.h"

/*
 * The whole input is parsed as a path. It is also cut at each newline into raw names
 * that are appended one by one, so the seeds with '\n' feed attrpath_append.
 */
const char *const fuzz_seeds[] = {
	"packages.x86_64-linux.default",
	"nixosConfigurations.web1.config.system.build.toplevel",
	"a",
	"_",
	"0",
	"host-1",
	"a'b",
	"\"a.b c\"",
	"a.\"b\".c",
	"\"-x\".\"'y\"",
	"\"x86_64-linux\"",
	"\"a;b|c&d\".\"(e)\"",
	"legacyPackages.\"aarch64-darwin\".\"hello world\"",
	"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p"
	    ".q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l",
	"a\nb c\n-x\nx86_64-linux\n\"q\"",
	FUZZ_X4("\"" FUZZ_X64("q r.") "\".") FUZZ_X16("abcdefghijklmno") "end",
	FUZZ_X64("name with spaces\n"),
	FUZZ_X64("n\n") "one too many",
	FUZZ_X16("x86_64-linux\n") FUZZ_X16("a.b\n") "end",
	"with.dot\nwith space\n'apos",
	/* near misses */
	"",
	".",
	"a.",
	".a",
	"a..b",
	"\"\"",
	"\"a",
	"\"a\"b",
	"\"a$b\"",
	"\"a`b`\"",
	"\"a\\\"b\"",
	"-a",
	"'a",
	"a b",
	"a/b",
	"a#b",
	"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p"
	    ".q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h.i.j.k.l.m",
	"\"\xc3\xa9\"",
	"a\n\nb",
	FUZZ_X16("\"" FUZZ_X64("q r.") "\".") "end",
	FUZZ_X16(FUZZ_X64("x")) "y",
	FUZZ_X64("x.") "x",
	"a$b\nc",
	NULL,
};

static bool is_bare_first(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_';
}

static bool is_quoted_char(int c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '$' && c != '`';
}

/* Length of NAME once formatted: bare when it may be, else in double quotes. */
static size_t formatted_len(const char *name, size_t len)
{
	size_t i;
	bool bare = len > 0 && is_bare_first((unsigned char)name[0]);

	for (i = 1; bare && i < len; i++)
		bare = is_bare_first((unsigned char)name[i]) || name[i] == '-' || name[i] == '\'';
	return len + (bare ? 0 : 2);
}

static void check_names(const struct attrpath *p)
{
	size_t i, j, len;
	const char *name;

	FUZZ_CHECK(attrpath_count(p) == p->n, "count %zu, n %zu", attrpath_count(p), p->n);
	FUZZ_CHECK(p->n <= ATTRPATH_SEGMENTS_MAX, "%zu names", p->n);
	FUZZ_CHECK(attrpath_segment(p, p->n) == NULL, "segment past the end is not NULL");
	for (i = 0; i < p->n; i++) {
		name = attrpath_segment(p, i);
		FUZZ_CHECK(name != NULL, "segment %zu is NULL", i);
		len = strlen(name);
		FUZZ_CHECK(len > 0, "segment %zu is empty", i);
		for (j = 0; j < len; j++)
			FUZZ_CHECK(is_quoted_char((unsigned char)name[j]),
			    "segment %zu has byte 0x%02x", i, (unsigned char)name[j]);
	}
}

/* Format P, parse it back, format again; rebuild it with attrpath_append. */
static void check_roundtrip(const struct attrpath *p)
{
	char a[ATTRPATH_FORMAT_MAX], b[ATTRPATH_FORMAT_MAX];
	struct attrpath q, built;
	size_t n, i, want = 0;
	const char *name;
	int r;

	r = attrpath_format(p, a, sizeof(a));
	FUZZ_CHECK(r == 0, "attrpath_format failed: %s", err_msg());
	n = strlen(a);
	for (i = 0; i < p->n; i++) {
		name = attrpath_segment(p, i);
		want += formatted_len(name, strlen(name)) + (i > 0);
	}
	FUZZ_CHECK(n == want, "formatted '%s' is %zu bytes, expected %zu", a, n, want);
	FUZZ_CHECK(n <= ATTRPATH_TEXT_MAX, "formatted path of %zu bytes", n);
	fuzz_err_mark();
	r = attrpath_parse(&q, a, n);
	FUZZ_CHECK(r == 0, "formatted '%s' does not parse: %s", a, err_msg());
	FUZZ_CHECK(attrpath_equal(p, &q), "'%s' parses to a different path", a);
	r = attrpath_format(&q, b, sizeof(b));
	FUZZ_CHECK(r == 0 && strcmp(a, b) == 0, "format not idempotent: '%s', '%s'", a, b);
	r = attrpath_format(p, b, n);
	FUZZ_CHECK(r == ERR_LIMIT && b[0] == '\0', "format into %zu bytes gave %d, '%s'", n, r,
	    b);

	attrpath_init(&built);
	for (i = 0; i < p->n; i++) {
		name = attrpath_segment(p, i);
		r = attrpath_append(&built, name, strlen(name));
		FUZZ_CHECK(r == 0, "appending name %zu of '%s' failed: %s", i, a, err_msg());
	}
	FUZZ_CHECK(attrpath_equal(p, &built), "'%s' rebuilt by appending differs", a);
}

static void check_parse(const char *s, size_t len)
{
	struct attrpath p;
	int r;

	fuzz_err_mark();
	r = attrpath_parse(&p, s, len);
	if (r == 0) {
		FUZZ_CHECK(p.n >= 1, "parsed an empty path");
		check_names(&p);
		check_roundtrip(&p);
		return;
	}
	fuzz_check_failure("attrpath_parse", r, false);
	fuzz_check_quotes("bad attribute path", s, len);
	FUZZ_CHECK(p.n == 0 && p.used == 0, "failed attrpath_parse left OUT set");
}

/* Append each newline-separated piece of S as a raw name; compare with the rules. */
static void check_append(const char *s, size_t len)
{
	char a[ATTRPATH_FORMAT_MAX];
	struct attrpath p, before;
	size_t start = 0, i, j, n, cur = 0;
	bool name_ok;
	int r;

	attrpath_init(&p);
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n')
			continue;
		n = i - start;
		name_ok = n > 0;
		for (j = start; name_ok && j < i; j++)
			name_ok = is_quoted_char((unsigned char)s[j]);
		before = p;
		fuzz_err_mark();
		r = attrpath_append(&p, s + start, n);
		if (!name_ok) {
			FUZZ_CHECK(r == ERR_INVALID, "bad name appended with %d", r);
			fuzz_check_failure("attrpath_append", r, false);
			fuzz_check_quotes("bad attribute name", s + start, n);
		} else if (before.n == ATTRPATH_SEGMENTS_MAX ||
		    cur + (before.n > 0) + formatted_len(s + start, n) > ATTRPATH_TEXT_MAX) {
			FUZZ_CHECK(r == ERR_LIMIT, "append past the limits gave %d", r);
			fuzz_check_failure("attrpath_append", r, true);
		} else {
			FUZZ_CHECK(r == 0, "append of a good name failed: %s", err_msg());
		}
		if (r != 0) {
			FUZZ_CHECK(p.n == before.n && p.used == before.used &&
			    memcmp(p.off, before.off, sizeof(p.off)) == 0 &&
			    memcmp(p.buf, before.buf, sizeof(p.buf)) == 0,
			    "failed append changed the path");
		} else {
			FUZZ_CHECK(p.n == before.n + 1, "append did not add one name");
			FUZZ_CHECK(strlen(attrpath_segment(&p, p.n - 1)) == n &&
			    memcmp(attrpath_segment(&p, p.n - 1), s + start, n) == 0,
			    "appended name was not stored as given");
			cur += (before.n > 0) + formatted_len(s + start, n);
		}
		start = i + 1;
	}
	/* The whole check once at the end: after every append it would be quadratic. */
	if (p.n > 0) {
		check_names(&p);
		check_roundtrip(&p);
		FUZZ_CHECK(attrpath_format(&p, a, sizeof(a)) == 0 && strlen(a) == cur,
		    "appended path formats as %zu bytes, not %zu", strlen(a), cur);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_begin(data, size);
	check_parse((const char *)data, size);
	check_append((const char *)data, size);
	return 0;
}
