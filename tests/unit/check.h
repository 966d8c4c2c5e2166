/* Helpers the unit tests share: literals with their length, checks on error messages, fixtures. */
#ifndef CHIMERA_TESTS_CHECK_H
#define CHIMERA_TESTS_CHECK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

/* A literal with its length, so embedded NUL bytes survive. */
#define LIT(s) s, sizeof(s) - 1

/*
 * The last error message must quote S the way err_quote prints it, after WHAT. When the
 * quote in the message may be cut, only the part a short quote shows is required.
 */
static inline void assert_quotes(const char *what, const char *s, size_t len)
{
	char small[48], big[8192], want[256];
	const char *msg = err_msg();

	err_quote(small, sizeof(small), s, len);
	err_quote(big, sizeof(big), s, len);
	if (strcmp(small, big) == 0) {
		snprintf(want, sizeof(want), "%s '%s'", what, small);
	} else {
		small[strlen(small) - 3] = '\0';
		snprintf(want, sizeof(want), "%s '%s", what, small);
	}
	if (strstr(msg, want) == NULL)
		fail_msg("message \"%s\" does not contain \"%s\"", msg, want);
}

static inline void assert_contains(const char *msg, const char *want)
{
	if (strstr(msg, want) == NULL)
		fail_msg("message \"%s\" does not contain \"%s\"", msg, want);
}

/*
 * A fresh directory for one test's files, DIR (LEN bytes): NAME-XXXXXX made by mkdtemp
 * under $CHIMERA_TEST_TMP, else /var/tmp. Returns 0, or -1 when it could not be made.
 */
static inline int scratch_make(char *dir, size_t len, const char *name)
{
	const char *base = getenv("CHIMERA_TEST_TMP");

	if (!base)
		base = "/var/tmp";
	fs_mkdir_p(base, 0755);
	if ((size_t)snprintf(dir, len, "%s/%s-XXXXXX", base, name) >= len)
		return -1;
	return mkdtemp(dir) ? 0 : -1;
}

/* Appends tests/fixtures/REL (found from where this header is) to OUT; a missing file fails the test. */
static inline void read_fixture(const char *rel, struct buf *out)
{
	const char *slash = strrchr(__FILE__, '/');
	char path[4096];

	snprintf(path, sizeof(path), "%.*s/../fixtures/%s", slash ? (int)(slash - __FILE__) : 1,
		 slash ? __FILE__ : ".", rel);
	if (fs_read_file(path, out) < 0)
		fail_msg("cannot read fixture %s: %s", path, err_msg());
}

#endif
