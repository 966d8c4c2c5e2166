/* Error codes and the thread-local message kept with the last one. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

static _Thread_local char err_buf[8192];	/* room for a failed build's log lines */
static _Thread_local int err_last;

/*
 * Format into a scratch buffer first: a message built on the last one ("X: %s", err_msg())
 * reads err_buf while it is written.
 */
static void __attribute__((format(printf, 1, 0))) err_format(const char *fmt, va_list ap)
{
	static _Thread_local char next[sizeof(err_buf)];

	vsnprintf(next, sizeof(next), fmt, ap);
	memcpy(err_buf, next, sizeof(err_buf));
}

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_format(fmt, ap);
	va_end(ap);
	err_last = code;
	return code;
}

int err_set_errno(int code, int errno_value, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	err_format(fmt, ap);
	va_end(ap);
	n = strlen(err_buf);
	if (n < sizeof(err_buf))
		snprintf(err_buf + n, sizeof(err_buf) - n, ": %s", strerror(errno_value));
	err_last = code;
	return code;
}

const char *err_msg(void)
{
	if (err_buf[0] == '\0')
		return err_str(err_last);
	return err_buf;
}

const char *err_str(int code)
{
	switch (code) {
	case ERR_OK: return "success";
	case ERR_NOMEM: return "out of memory";
	case ERR_INVALID: return "bad input";
	case ERR_NOTFOUND: return "not found";
	case ERR_TIMEOUT: return "timed out";
	case ERR_AUTH: return "authentication failed";
	case ERR_IO: return "i/o error";
	case ERR_CORRUPT: return "corrupt data";
	case ERR_LIMIT: return "over limit";
	case ERR_BUSY: return "busy";
	case ERR_UNSUPPORTED: return "unsupported";
	case ERR_EXISTS: return "already exists";
	}
	return "unknown error";
}

void err_clear(void)
{
	err_buf[0] = '\0';
	err_last = 0;
}

char *err_quote(char *dst, size_t dstlen, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t need = (c >= 0x20 && c < 0x7f && c != '\\') ? 1 : 4;

		if (o + need + 4 > dstlen) {
			if (o + 4 <= dstlen) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (need == 1) {
			dst[o++] = (char)c;
		} else if (c == '\\') {
			memcpy(dst + o, "\\\\", 2);
			o += 2;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return dst;
}

int err_bad_input(const char *what, const char *s, size_t len, const char *why, const char *form)
{
	char q[128];

	err_quote(q, sizeof(q), s, len);
	if (!why || why == form)
		return err_set(ERR_INVALID, "%s '%s': %s", what, q, form);
	return err_set(ERR_INVALID, "%s '%s': %s; %s", what, q, why, form);
}

int err_bad_line(const struct err_line *l, int code, const char *expected)
{
	char q[ERR_LINE_QUOTE_MAX];

	err_quote(q, l->quote && l->quote < sizeof(q) ? l->quote : sizeof(q), l->text, l->len);
	return err_set(code, "%s line %u '%s': %s", l->input, l->num, q, expected);
}
