/* Wall and monotonic clocks, and UTC timestamps with milliseconds. */
#ifndef CHIMERA_UTIL_CLOCK_H
#define CHIMERA_UTIL_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLOCK_UTC_LEN 25	/* "2026-11-22T19:45:01.123Z" + NUL */

int64_t clock_wall_ms(void);	/* milliseconds since the epoch */
int64_t clock_mono_ms(void);	/* milliseconds on a clock that never goes back */
int64_t clock_mono_us(void);	/* the same clock in microseconds */
void clock_sleep_ms(int64_t ms);	/* sleep MS milliseconds, through signals */

/* Format MS (epoch milliseconds) as "YYYY-MM-DDTHH:MM:SS.mmmZ" into OUT. */
void clock_format_utc(int64_t ms, char out[CLOCK_UTC_LEN]);

/* Epoch seconds S as "YYYY-MM-DDTHH:MM:SSZ" into OUT (LEN bytes, at least 21). */
/* A time clock_format_utc wrote (or without the milliseconds) as ms since the epoch; 0 when S is not one. */
int64_t clock_parse_utc_ms(const char *s);

void clock_format_utc_s(int64_t s, char *out, size_t len);

#endif
