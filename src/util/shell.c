/* Quoting for POSIX shell command lines. */
#include "util/shell.h"

#include <string.h>
#include "util/banned.h"

int shell_quote(struct buf *out, const char *s)
{
	const char *p;
	int r;

	if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=.,/:@%^")
			  == strlen(s))
		return buf_adds(out, s);
	if ((r = buf_addc(out, '\'')) < 0)
		return r;
	for (p = s; *p; p++) {
		r = *p == '\'' ? buf_adds(out, "'\\''") : buf_addc(out, *p);
		if (r < 0)
			return r;
	}
	return buf_addc(out, '\'');
}
