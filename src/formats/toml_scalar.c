/* TOML scalars: integers and floats in every base and form, dates and times. */
#include "formats/toml.h"
#include "formats/toml_internal.h"
#include "util/err.h"
#include "util/text.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* ASCII digits only, whatever the locale. */
bool toml_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Whether C is a digit of BASE (2, 8, 10 or 16). */
static bool digit_of(int c, int base)
{
	if (base == 16)
		return text_hex_value(c) >= 0;
	return c >= '0' && c < '0' + base;
}

/* Digits of BASE at W[*K] with single underscores between digits; at least one. Advances *K. */
static bool scan_digits(const char *w, size_t n, size_t *k, int base)
{
	size_t j = *k;

	if (j >= n || !digit_of((unsigned char)w[j], base))
		return false;
	while (j < n) {
		if (digit_of((unsigned char)w[j], base))
			j++;
		else if (w[j] == '_' && j + 1 < n && digit_of((unsigned char)w[j + 1], base))
			j++;
		else
			break;
	}
	*k = j;
	return true;
}

/* Characters a bare value (number, boolean, inf, nan) is made of. */
bool toml_word_char(int c)
{
	return toml_bare_char(c) || c == '+' || c == '.';
}

/* W (N bytes at source offset OFF) as an integer or float into V. */
int toml_parse_number(struct parser *p, size_t off, size_t n, struct toml_value *v)
{
	const char *w = p->s + off;
	size_t k = 0, j;
	bool neg = false, is_float = false;
	int base = 10, r;
	char q[64];

	if (w[0] == '+' || w[0] == '-') {
		neg = w[0] == '-';
		k = 1;
	}
	if (n - k == 3 && (memcmp(w + k, "inf", 3) == 0 || memcmp(w + k, "nan", 3) == 0)) {
		v->type = TOML_FLOAT;
		v->u.f = w[k] == 'i' ? (neg ? -INFINITY : INFINITY) : NAN;
		return 0;
	}
	if (k < n && !toml_is_digit((unsigned char)w[k]))
		return toml_perr(p, off, "bad value '%s'", toml_quote(p, q, sizeof(q), off, n));
	if (k == 0 && n > 2 && w[0] == '0' && (w[1] == 'x' || w[1] == 'o' || w[1] == 'b')) {
		base = w[1] == 'x' ? 16 : w[1] == 'o' ? 8 : 2;
		k = 2;
		if (!scan_digits(w, n, &k, base) || k != n)
			return toml_perr(p, off, "bad integer '%s'", toml_quote(p, q, sizeof(q), off, n));
	} else {
		size_t int_start = k;

		if (!scan_digits(w, n, &k, 10))
			return toml_perr(p, off, "bad number '%s'", toml_quote(p, q, sizeof(q), off, n));
		if (w[int_start] == '0' && k - int_start > 1)
			return toml_perr(p, off, "bad number '%s': leading zeros are not allowed", toml_quote(p, q, sizeof(q), off, n));
		if (k < n && w[k] == '.') {
			k++;
			is_float = true;
			if (!scan_digits(w, n, &k, 10))
				return toml_perr(p, off, "bad float '%s': expected digits after '.'", toml_quote(p, q, sizeof(q), off, n));
		}
		if (k < n && (w[k] == 'e' || w[k] == 'E')) {
			k++;
			is_float = true;
			if (k < n && (w[k] == '+' || w[k] == '-'))
				k++;
			if (!scan_digits(w, n, &k, 10))
				return toml_perr(p, off, "bad float '%s': expected digits in the exponent",
						 toml_quote(p, q, sizeof(q), off, n));
		}
		if (k != n)
			return toml_perr(p, off, "bad number '%s'", toml_quote(p, q, sizeof(q), off, n));
	}
	/* the text is well formed; convert it without underscores and prefix */
	buf_reset(&p->tmp);
	for (j = base == 10 ? 0 : 2; j < n; j++) {
		if (w[j] != '_' && (r = toml_bufr(buf_addc(&p->tmp, w[j]))) < 0)
			return r;
	}
	if (is_float) {
		double f;

		errno = 0;
		f = strtod(p->tmp.data, NULL);
		if (errno == ERANGE && isinf(f))
			return toml_perr(p, off, "float '%s' is out of range", toml_quote(p, q, sizeof(q), off, n));
		v->type = TOML_FLOAT;
		v->u.f = f;
	} else {
		uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		const char *d = p->tmp.data;

		if (*d == '+' || *d == '-')
			d++;
		for (; *d; d++) {
			uint64_t dv = (uint64_t)text_hex_value((unsigned char)*d);

			if (acc > (lim - dv) / (uint64_t)base)
				return toml_perr(p, off, "integer '%s' is out of range", toml_quote(p, q, sizeof(q), off, n));
			acc = acc * (uint64_t)base + dv;
		}
		v->type = TOML_INTEGER;
		if (neg)
			v->u.i = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
		else
			v->u.i = (int64_t)acc;
	}
	return 0;
}

/* Exactly N digits at source offset AT into *OUT. */
static bool fixed_digits(const struct parser *p, size_t at, int n, int *out)
{
	int k, x = 0;

	if (at + (size_t)n > p->len)
		return false;
	for (k = 0; k < n; k++) {
		if (!toml_is_digit((unsigned char)p->s[at + (size_t)k]))
			return false;
		x = x * 10 + (p->s[at + (size_t)k] - '0');
	}
	*out = x;
	return true;
}

/* Days in month M (1-12) of year Y, leap years counted. */
static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* Whether the source has C at AT. */
static bool at_char(const struct parser *p, size_t at, char c)
{
	return at < p->len && p->s[at] == c;
}

/* Where a date/time token ends, to quote it in a message. */
static size_t token_end(const struct parser *p, size_t at)
{
	while (at < p->len && (toml_word_char((unsigned char)p->s[at]) || p->s[at] == ':'))
		at++;
	return at;
}

/* HH:MM:SS[.frac] at *K into DT. */
static int parse_time(struct parser *p, size_t start, size_t *k, struct toml_datetime *dt)
{
	size_t at = *k;
	char q[64];

	if (!fixed_digits(p, at, 2, &dt->hour) || !at_char(p, at + 2, ':') ||
	    !fixed_digits(p, at + 3, 2, &dt->minute) || !at_char(p, at + 5, ':') ||
	    !fixed_digits(p, at + 6, 2, &dt->second))
		return toml_perr(p, start, "bad time in '%s': expected HH:MM:SS",
				 toml_quote(p, q, sizeof(q), start, token_end(p, at) - start));
	if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
		return toml_perr(p, start, "bad time in '%s': %s out of range",
				 toml_quote(p, q, sizeof(q), start, token_end(p, at) - start),
				 dt->hour > 23 ? "hour" : dt->minute > 59 ? "minute" : "second");
	at += 8;
	if (at_char(p, at, '.')) {
		at++;
		if (at >= p->len || !toml_is_digit((unsigned char)p->s[at]))
			return toml_perr(p, start, "bad time in '%s': expected digits after '.'",
					 toml_quote(p, q, sizeof(q), start, token_end(p, at) - start));
		for (; at < p->len && toml_is_digit((unsigned char)p->s[at]); at++) {
			if (dt->frac_digits < 9) {
				dt->nanosecond = dt->nanosecond * 10 + (uint32_t)(p->s[at] - '0');
				dt->frac_digits++;
			}
		}
		for (int d = dt->frac_digits; d < 9; d++)
			dt->nanosecond *= 10;
	}
	*k = at;
	return 0;
}

/* A date, a time, or a date and time with an optional offset, at p->i, into V. */
int toml_parse_datetime(struct parser *p, struct toml_value *v)
{
	struct toml_datetime dt = { 0 };
	size_t start = p->i, k = p->i;
	bool has_date = false, has_time = true;
	char q[64];
	int r;

	if (fixed_digits(p, k, 4, &dt.year) && at_char(p, k + 4, '-')) {
		has_date = true;
		if (!fixed_digits(p, k + 5, 2, &dt.month) || !at_char(p, k + 7, '-') ||
		    !fixed_digits(p, k + 8, 2, &dt.day))
			return toml_perr(p, start, "bad date '%s': expected YYYY-MM-DD",
					 toml_quote(p, q, sizeof(q), start, token_end(p, k) - start));
		if (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > days_in_month(dt.year, dt.month))
			return toml_perr(p, start, "bad date '%s': %s out of range", toml_quote(p, q, sizeof(q), start, 10),
					 dt.month < 1 || dt.month > 12 ? "month" : "day");
		k += 10;
		if (at_char(p, k, 'T') || at_char(p, k, 't'))
			k++;
		else if (at_char(p, k, ' ') && k + 3 < p->len && toml_is_digit((unsigned char)p->s[k + 1]) &&
			 toml_is_digit((unsigned char)p->s[k + 2]) && p->s[k + 3] == ':')
			k++;
		else
			has_time = false;
	}
	if (has_time && (r = parse_time(p, start, &k, &dt)) < 0)
		return r;
	if (has_date && has_time) {
		if (at_char(p, k, 'Z') || at_char(p, k, 'z')) {
			dt.offset_z = true;
			k++;
			v->type = TOML_DATETIME;
		} else if (at_char(p, k, '+') || at_char(p, k, '-')) {
			int oh, om;

			if (!fixed_digits(p, k + 1, 2, &oh) || !at_char(p, k + 3, ':') || !fixed_digits(p, k + 4, 2, &om))
				return toml_perr(p, start, "bad offset in '%s': expected +HH:MM or -HH:MM",
						 toml_quote(p, q, sizeof(q), start, token_end(p, k + 1) - start));
			if (oh > 23 || om > 59)
				return toml_perr(p, start, "bad offset in '%s': out of range",
						 toml_quote(p, q, sizeof(q), start, token_end(p, k + 1) - start));
			dt.offset_minutes = (oh * 60 + om) * (p->s[k] == '-' ? -1 : 1);
			k += 6;
			v->type = TOML_DATETIME;
		} else {
			v->type = TOML_DATETIME_LOCAL;
		}
	} else {
		v->type = has_date ? TOML_DATE_LOCAL : TOML_TIME_LOCAL;
	}
	v->u.dt = dt;
	p->i = k;
	return 0;
}
