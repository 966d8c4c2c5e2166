/* Shared by the fuzz targets and the replay driver: the entry point, seeds and checks. */
#ifndef CHIMERA_FUZZ_FUZZ_H
#define CHIMERA_FUZZ_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUZZ_MAX_LEN 4096	/* longest input the replay driver builds */

/* Repeat a string literal, for long seeds: FUZZ_X64("ab") is 128 bytes. */
#define FUZZ_X2(s) s s
#define FUZZ_X4(s) FUZZ_X2(FUZZ_X2(s))
#define FUZZ_X16(s) FUZZ_X4(FUZZ_X4(s))
#define FUZZ_X64(s) FUZZ_X4(FUZZ_X16(s))
#define FUZZ_X256(s) FUZZ_X4(FUZZ_X64(s))

/* Each fuzz_<name>.c defines these two. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char *const fuzz_seeds[];	/* NULL-terminated */

/* Remember DATA so a failed property can print it. Call first in every test. */
void fuzz_begin(const uint8_t *data, size_t size);

/* Print the property that failed and the input in hex, then abort(). */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define FUZZ_CHECK(cond, ...) do {		\
	if (!(cond))				\
		fuzz_fail(__VA_ARGS__);		\
} while (0)

/* Set a message no parser writes, so a failure that leaves it in place is caught. */
void fuzz_err_mark(void);

/* True when err_msg() is still the mark set by fuzz_err_mark(). */
bool fuzz_err_marked(void);

/*
 * Check a failed call: R is ERR_INVALID or ERR_NOMEM (or ERR_LIMIT when LIMIT_OK) and
 * err_msg() was set by the call, is not empty and is printable ASCII. WHAT names the call.
 */
void fuzz_check_failure(const char *what, int r, bool limit_ok);

/*
 * The message must quote LEN bytes of S the way err_quote does, right after PREFIX
 * ("bad target '...'"). Long input may be cut, so only the start of the quote is required.
 */
void fuzz_check_quotes(const char *prefix, const char *s, size_t len);

/* Index of the first byte of S (LEN bytes) outside printable ASCII, or LEN. */
size_t fuzz_unprintable(const char *s, size_t len);

/* True when C is whitespace or means something to a POSIX shell. */
bool fuzz_is_shell_special(int c);

/* True when all N bytes at P are zero. */
bool fuzz_all_zero(const void *p, size_t n);

/* Copy LEN bytes of S into a fresh NUL-terminated buffer; aborts when out of memory. */
char *fuzz_strndup(const uint8_t *s, size_t len);

#endif
