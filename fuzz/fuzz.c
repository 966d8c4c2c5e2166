/* Checks the fuzz targets share: failure reports and error message rules. */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define MARK "fuzz: no message was set"

static const uint8_t *cur_data;
static size_t cur_size;

void fuzz_begin(const uint8_t *data, size_t size)
{
	cur_data = data;
	cur_size = size;
}

static void print_input(void)
{
	size_t i;

	fprintf(stderr, "input (%zu bytes):", cur_size);
	for (i = 0; i < cur_size; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n  ", cur_data[i]);
	fputc('\n', stderr);
}

/* The last error message, escaped, as raw bytes in it may be what failed. */
static void print_message(void)
{
	static char q[4096];
	const char *msg = err_msg();

	err_quote(q, sizeof(q), msg, strlen(msg));
	fprintf(stderr, "last error message: \"%s\"\n", q);
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("property failed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_message();
	print_input();
	fflush(stderr);
	abort();
}

void fuzz_err_mark(void)
{
	err_set(ERR_CORRUPT, "%s", MARK);
}

bool fuzz_err_marked(void)
{
	return strcmp(err_msg(), MARK) == 0;
}

size_t fuzz_unprintable(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			break;
	}
	return i;
}

bool fuzz_is_shell_special(int c)
{
	return c <= ' ' || c >= 0x7f || strchr(";&|<>()$`\\\"'*?[]#~!{}", c) != NULL;
}

void fuzz_check_failure(const char *what, int r, bool limit_ok)
{
	const char *msg = err_msg();
	size_t n = strlen(msg), bad;

	FUZZ_CHECK(r == ERR_INVALID || r == ERR_NOMEM || (limit_ok && r == ERR_LIMIT),
	    "%s failed with %d (%s), expected ERR_INVALID or ERR_NOMEM", what, r, err_str(r));
	FUZZ_CHECK(!fuzz_err_marked(), "%s failed without setting a message", what);
	FUZZ_CHECK(n > 0, "%s failed with an empty message", what);
	bad = fuzz_unprintable(msg, n);
	FUZZ_CHECK(bad == n, "%s: message has raw byte 0x%02x at %zu: \"%s\"", what,
	    (unsigned char)msg[bad], bad, msg);
}

void fuzz_check_quotes(const char *prefix, const char *s, size_t len)
{
	char small[48], big[8192], want[256];

	err_quote(small, sizeof(small), s, len);
	err_quote(big, sizeof(big), s, len);
	if (strcmp(small, big) == 0) {
		snprintf(want, sizeof(want), "%s '%s'", prefix, small);
	} else {
		small[strlen(small) - 3] = '\0';
		snprintf(want, sizeof(want), "%s '%s", prefix, small);
	}
	FUZZ_CHECK(strstr(err_msg(), want) != NULL, "message \"%s\" does not contain \"%s\"",
	    err_msg(), want);
}

bool fuzz_all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++) {
		if (c[i] != 0)
			return false;
	}
	return true;
}

char *fuzz_strndup(const uint8_t *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL) {
		fputs("fuzz: out of memory\n", stderr);
		abort();
	}
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}
