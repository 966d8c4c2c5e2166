/* Growable byte buffer with a size cap; data is always NUL-terminated. */
#ifndef CHIMERA_UTIL_BUF_H
#define CHIMERA_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;	/* never NULL after buf_init; points at "" until something is added */
	size_t len;
	size_t cap;
	size_t max;	/* the most bytes it may hold; 0 means no limit */
};

#define BUF_INIT(max_) { buf_empty, 0, 0, (max_) }
extern char buf_empty[1];

void buf_init(struct buf *b, size_t max);

/* Release the memory and reset to empty; the buffer may be reused. */
void buf_release(struct buf *b);

/* Drop the contents, keep the memory. */
void buf_reset(struct buf *b);

/* Append N bytes. Returns 0, ERR_NOMEM, or ERR_LIMIT (nothing appended) past max. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Hand the memory to the caller (free() it) and reset B. Never NULL unless out of memory. */
char *buf_detach(struct buf *b, size_t *len);

#endif
