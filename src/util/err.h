/* Error codes and the thread-local message kept with the last one. */
#ifndef CHIMERA_UTIL_ERR_H
#define CHIMERA_UTIL_ERR_H

#include <stddef.h>

/* Functions return 0 or one of these; the message says what and quotes the input. */
enum err_code {
	ERR_OK = 0,
	ERR_NOMEM = -1,		/* out of memory */
	ERR_INVALID = -2,	/* bad input */
	ERR_NOTFOUND = -3,	/* no such thing */
	ERR_TIMEOUT = -4,	/* gave up waiting */
	ERR_AUTH = -5,		/* authentication or host key refused */
	ERR_IO = -6,		/* system call, network or database failure */
	ERR_CORRUPT = -7,	/* stored data fails its own checks */
	ERR_LIMIT = -8,		/* over a size or count limit */
	ERR_BUSY = -9,		/* held by someone else */
	ERR_UNSUPPORTED = -10,	/* missing prerequisite or not possible here */
	ERR_EXISTS = -11,	/* already there (a name taken) */
};

/* Record CODE with a printf-style message for this thread; returns CODE. */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like err_set, appending ": " and strerror(errno_value). */
int err_set_errno(int code, int errno_value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The message of this thread's last error, or the code's name if none was set. Never NULL. */
const char *err_msg(void);

/* A short lowercase name for CODE ("bad input"). Never NULL. */
const char *err_str(int code);

void err_clear(void);

/*
 * Write S (LEN bytes, may hold NUL or non-ASCII) into DST as printable ASCII for
 * quoting in messages: control and non-ASCII bytes become \xNN, long input is cut
 * with "...". DST is always NUL-terminated. Returns DST.
 */
char *err_quote(char *dst, size_t dstlen, const char *s, size_t len);

/*
 * Set the error for the bad input S (LEN bytes, quoted by err_quote, cut at 127 bytes):
 * "WHAT 'S': WHY; FORM", or "WHAT 'S': FORM" when WHY is NULL or FORM itself (FORM says
 * what was expected). Returns ERR_INVALID.
 */
int err_bad_input(const char *what, const char *s, size_t len, const char *why, const char *form);

#define ERR_LINE_QUOTE_MAX 256

/* A line of a line-oriented input being parsed, for messages that name it. */
struct err_line {
	const char *input;	/* what is read, as messages name it: "facts", "systemctl show" */
	size_t quote;		/* room for the quoted line (err_quote's DSTLEN); 0 or past ERR_LINE_QUOTE_MAX: that */
	unsigned num;		/* 1-based */
	const char *text;	/* the line, without its end */
	size_t len;
};

/*
 * Set the error CODE for line L: "INPUT line NUM 'TEXT': EXPECTED", TEXT quoted by err_quote
 * into L's quote bytes (EXPECTED says what was wrong or expected). Returns CODE.
 */
int err_bad_line(const struct err_line *l, int code, const char *expected);

#endif
