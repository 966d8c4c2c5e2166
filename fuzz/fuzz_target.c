/* Fuzz target for core/target: target_parse, target_format and target_list_parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/target.h"
#include "fuzz.h"
#include "util/err.h"

#define LIST_PAIRWISE_MAX 200	/* check lists for duplicates pair by pair up to this size */

const char *const fuzz_seeds[] = {
	"h",
	"example.com",
	"Example.COM",
	"root@example.com",
	"deploy@web-1.example.com:2222",
	"_svc@h:1",
	"a.b_c-d@h:65535",
	"u@192.0.2.1",
	"10.0.0.255:65535",
	"0.0.0.0",
	"1host.example",
	"1.2.3.4.example.com",
	"xn--bcher-kva.example",
	"[::1]",
	"root@[::1]:2222",
	"[2001:DB8::1]",
	"[0:0:0:0:0:0:0:1]:22",
	"[::ffff:192.0.2.1]",
	"x@[fe80::1]:22",
	"abcdefghijklmnopqrstuvwxyzabcdef@h",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b",
	"a,b,c",
	"h,root@h:22,H",
	"web1:22,web2:2222,[::1],u@10.0.0.1",
	"deploy@" FUZZ_X4(FUZZ_X16("abc") "-host-12345.") "example:65535",
	FUZZ_X16("h1,h2:2222,") "[::1]",
	/* near misses */
	"",
	"root@@h",
	"@h",
	"u@",
	"1u@h",
	"-oProxyCommand=sh@h",
	"h:0",
	"h:65536",
	"h:022",
	"h:",
	"h:22:22",
	"::1",
	"[::1",
	"[::1]x",
	"[::1]:",
	"[fe80::1%eth0]",
	"[1.2.3.4]",
	"1.2.3",
	"256.1.1.1",
	"01.2.3.4",
	"0x7f000001",
	"0x7f.1",
	"h.123",
	"-h",
	"h-",
	"a..b",
	"h.",
	"h;id",
	"h$(id)",
	"h`id`",
	"a b",
	"h\tx",
	"h\n",
	"\xc3\xa9@h",
	"h,",
	",h",
	"h,,h",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b",
	"abcdefghijklmnopqrstuvwxyzabcdefg@h",
	"deploy@" FUZZ_X4(FUZZ_X16("abc") "-host-12345.") "example.org",
	FUZZ_X16(FUZZ_X4("abcdefg.")) "com",
	"[" FUZZ_X16("1") "::1]",
	NULL,
};

static bool is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Every field of T is well formed and safe to hand to a shell or to ssh. */
static void check_fields(const struct target *t)
{
	size_t ulen = strnlen(t->user, sizeof(t->user));
	size_t hlen = strnlen(t->host, sizeof(t->host));
	size_t i;

	size_t tlen = strnlen(t->transport, sizeof(t->transport));

	FUZZ_CHECK(tlen >= 1 && tlen <= TARGET_TRANSPORT_MAX, "transport length %zu", tlen);
	for (i = 0; i < tlen; i++)
		FUZZ_CHECK(t->transport[i] >= 'a' && t->transport[i] <= 'z', "transport '%s' has '%c'", t->transport,
			   t->transport[i]);
	FUZZ_CHECK(ulen >= 1 && ulen <= TARGET_USER_MAX, "user length %zu", ulen);
	FUZZ_CHECK(hlen >= 1 && hlen <= TARGET_HOST_MAX, "host length %zu", hlen);
	FUZZ_CHECK(is_alpha((unsigned char)t->user[0]) || t->user[0] == '_',
	    "user '%s' does not start with a letter or '_'", t->user);
	FUZZ_CHECK(t->host[0] != '-', "host '%s' starts with '-'", t->host);
	FUZZ_CHECK(t->port >= 1, "port 0");
	for (i = 0; i < ulen; i++) {
		int c = (unsigned char)t->user[i];

		FUZZ_CHECK(!fuzz_is_shell_special(c), "user has byte 0x%02x", (unsigned)c);
		FUZZ_CHECK(is_alpha(c) || is_lower_alnum(c) || c == '.' || c == '_' || c == '-',
		    "user '%s' has '%c'", t->user, c);
	}
	for (i = 0; i < hlen; i++) {
		int c = (unsigned char)t->host[i];

		FUZZ_CHECK(!fuzz_is_shell_special(c), "host has byte 0x%02x", (unsigned)c);
		switch (t->kind) {
		case TARGET_HOST_NAME:
			FUZZ_CHECK(is_lower_alnum(c) || c == '.' || c == '-',
			    "host name '%s' has '%c'", t->host, c);
			break;
		case TARGET_HOST_IPV4:
			FUZZ_CHECK((c >= '0' && c <= '9') || c == '.', "IPv4 '%s' has '%c'",
			    t->host, c);
			break;
		case TARGET_HOST_IPV6:
			FUZZ_CHECK(is_lower_alnum(c) || c == ':' || c == '.', "IPv6 '%s' has '%c'",
			    t->host, c);
			break;
		default:
			fuzz_fail("bad host kind %d", (int)t->kind);
		}
	}
}

/* Format T, parse it back, format again: same target, same text; short buffers fail. */
static void check_roundtrip(const struct target *t)
{
	char a[TARGET_FORMAT_MAX], b[TARGET_FORMAT_MAX];
	struct target u;
	size_t n, i;
	int r;

	r = target_format(t, a, sizeof(a));
	FUZZ_CHECK(r == 0, "target_format failed: %s", err_msg());
	n = strlen(a);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(a[i] == '[' || a[i] == ']' || !fuzz_is_shell_special((unsigned char)a[i]),
		    "formatted '%s' has byte 0x%02x", a, (unsigned char)a[i]);
	fuzz_err_mark();
	r = target_parse(&u, a, n);
	FUZZ_CHECK(r == 0, "formatted '%s' does not parse: %s", a, err_msg());
	FUZZ_CHECK(target_equal(t, &u), "'%s' parses to a different target", a);
	FUZZ_CHECK(t->kind == u.kind, "'%s' parses to another host kind", a);
	r = target_format(&u, b, sizeof(b));
	FUZZ_CHECK(r == 0 && strcmp(a, b) == 0, "format not idempotent: '%s' then '%s'", a, b);
	r = target_format(t, b, n);
	FUZZ_CHECK(r == ERR_LIMIT && b[0] == '\0',
	    "format of '%s' into %zu bytes gave %d and '%s'", a, n, r, b);
}

/* Join the canonical forms of L with commas; NULL when there is nothing to join. */
static char *join_list(const struct target_list *l)
{
	char one[TARGET_FORMAT_MAX];
	size_t i, n, pos = 0;
	char *text;

	if (l->n == 0)
		return NULL;
	text = malloc(l->n * TARGET_FORMAT_MAX);
	FUZZ_CHECK(text != NULL, "out of memory");
	for (i = 0; i < l->n; i++) {
		FUZZ_CHECK(target_format(&l->items[i], one, sizeof(one)) == 0, "format failed");
		n = strlen(one);
		if (i > 0)
			text[pos++] = ',';
		memcpy(text + pos, one, n);
		pos += n;
	}
	text[pos] = '\0';
	return text;
}

static void check_list(const char *s, size_t len, int single_r, const struct target *single)
{
	struct target_list l, m, added;
	size_t i, j, commas = 0;
	char *text;
	int r;

	for (i = 0; i < len; i++)
		commas += s[i] == ',';
	fuzz_err_mark();
	r = target_list_parse(&l, s, len);
	if (r != 0) {
		fuzz_check_failure("target_list_parse", r, false);
		FUZZ_CHECK(strstr(err_msg(), "target list") != NULL,
		    "list message \"%s\" does not name the list", err_msg());
		FUZZ_CHECK(l.items == NULL && l.n == 0, "failed list not empty");
		FUZZ_CHECK(commas > 0 || single_r != 0, "list of one fails but target parses");
		return;
	}
	FUZZ_CHECK(commas > 0 || single_r == 0, "target fails but list of one parses");
	FUZZ_CHECK(l.n >= 1 && l.n <= commas + 1, "list of %zu from %zu elements", l.n,
	    commas + 1);
	if (commas == 0)
		FUZZ_CHECK(l.n == 1 && target_equal(&l.items[0], single),
		    "list of one differs from the target");
	for (i = 0; i < l.n; i++) {
		check_fields(&l.items[i]);
		if (l.n <= LIST_PAIRWISE_MAX) {
			for (j = 0; j < i; j++)
				FUZZ_CHECK(!target_equal(&l.items[i], &l.items[j]),
				    "items %zu and %zu are duplicates", j, i);
		}
	}
	text = join_list(&l);
	fuzz_err_mark();
	r = target_list_parse(&m, text, strlen(text));
	FUZZ_CHECK(r == 0, "joined list '%s' does not parse: %s", text, err_msg());
	FUZZ_CHECK(m.n == l.n, "joined list has %zu targets, not %zu", m.n, l.n);
	for (i = 0; i < l.n; i++)
		FUZZ_CHECK(target_equal(&l.items[i], &m.items[i]), "joined list item %zu differs",
		    i);
	if (l.n <= LIST_PAIRWISE_MAX) {
		target_list_init(&added);
		for (i = 0; i < l.n; i++) {
			FUZZ_CHECK(target_list_add(&added, &l.items[i]) == 0, "add failed");
			FUZZ_CHECK(target_list_add(&added, &l.items[i]) == 0, "add failed");
		}
		FUZZ_CHECK(added.n == l.n, "target_list_add kept %zu of %zu", added.n, l.n);
		target_list_release(&added);
	}
	free(text);
	target_list_release(&m);
	target_list_release(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct target t;
	int r;

	fuzz_begin(data, size);
	fuzz_err_mark();
	r = target_parse(&t, s, size);
	if (r == 0) {
		check_fields(&t);
		check_roundtrip(&t);
	} else {
		fuzz_check_failure("target_parse", r, false);
		fuzz_check_quotes("bad target", s, size);
		FUZZ_CHECK(fuzz_all_zero(&t, sizeof(t)), "failed target_parse left OUT set");
	}
	check_list(s, size, r, &t);
	return 0;
}
