/* Growable byte buffer with a size cap; data is always NUL-terminated. */
#include "util/buf.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

char buf_empty[1];

void buf_init(struct buf *b, size_t max)
{
	b->data = buf_empty;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->data);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap)
		b->data[0] = '\0';
}

static int buf_grow(struct buf *b, size_t extra)
{
	size_t want, ncap;
	char *p;

	if (extra > (size_t)-1 / 2 - b->len)
		return err_set(ERR_LIMIT, "buffer too large");
	want = b->len + extra;
	if (b->max && want > b->max)
		return err_set(ERR_LIMIT, "buffer over its limit of %zu bytes", b->max);
	if (want + 1 <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < want + 1)
		ncap *= 2;
	p = realloc(b->cap ? b->data : NULL, ncap);
	if (!p)
		return err_set(ERR_NOMEM, "out of memory");
	if (!b->cap)
		p[0] = '\0';
	b->data = p;
	b->cap = ncap;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	if ((r = buf_grow(b, n)) < 0)
		return r;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n, r;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return err_set(ERR_INVALID, "bad format string");
	if ((r = buf_grow(b, (size_t)n)) < 0)
		return r;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (len)
		*len = b->len;
	if (b->cap)
		p = b->data;
	else
		p = strdup("");
	buf_init(b, b->max);
	return p;
}
