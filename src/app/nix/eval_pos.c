/* Where Nix's error message says the error is: its "at FILE:LINE:COLUMN:" line. */
#include "app/nix/eval.h"

#include <string.h>
#include "util/banned.h"

#define POS_NUM_MAX 999999999u

/* The whole number of the N bytes at S (1 to POS_NUM_MAX), or 0. */
static unsigned pos_number(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v;
}

/* Nix names an expression given on the command line "«string»". */
static const char in_expr[] = "\xc2\xab" "string" "\xc2\xbb";

/* The line of N bytes at S as "at FILE:LINE:COLUMN:" into OUT; false when it is not one. */
static bool pos_line(const char *s, size_t n, struct nix_errpos *out)
{
	const char *c1, *c2;
	size_t i, flen;

	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
		n--;
	if (n < 8 || memcmp(s, "at ", 3) != 0 || s[n - 1] != ':')
		return false;
	s += 3;
	n -= 4;
	/* From the right: COLUMN after the last ':', LINE after the one before. */
	for (c2 = s + n; c2 > s && c2[-1] != ':'; c2--)
		;
	if (c2 == s)
		return false;
	for (c1 = c2 - 1; c1 > s && c1[-1] != ':'; c1--)
		;
	if (c1 == s || c1 - 1 == s)
		return false;
	out->line = pos_number(c1, (size_t)(c2 - 1 - c1));
	out->column = pos_number(c2, (size_t)(s + n - c2));
	flen = (size_t)(c1 - 1 - s);
	if (!out->line || !out->column || flen >= sizeof(out->file))
		return false;
	for (i = 0; i < flen; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	if (flen == sizeof(in_expr) - 1 && memcmp(s, in_expr, flen) == 0) {
		out->expr = true;
	} else {
		memcpy(out->file, s, flen);
		out->file[flen] = '\0';
	}
	out->set = true;
	return true;
}

bool nix_errpos_find(const char *msg, size_t len, struct nix_errpos *out)
{
	const char *p = msg, *end = msg + len;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (pos_line(p, n, out))
			return true;
		memset(out, 0, sizeof(*out));
		p += n + 1;
	}
	return false;
}
