/* Wall and monotonic clocks, and UTC timestamps with milliseconds. */
#include "util/clock.h"

#include <string.h>
#include <errno.h>
#include <time.h>
#include "util/banned.h"

int64_t clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void clock_format_utc(int64_t ms, char out[CLOCK_UTC_LEN])
{
	int64_t sub = ms % 1000;
	time_t secs;
	struct tm tm;

	if (sub < 0)	/* before 1970: floor, so the milliseconds stay 0-999 */
		sub += 1000;
	secs = (time_t)((ms - sub) / 1000);

	gmtime_r(&secs, &tm);
	if (strftime(out, CLOCK_UTC_LEN, "%Y-%m-%dT%H:%M:%S", &tm) != 19) {
		memcpy(out, "0000-00-00T00:00:00.000Z", CLOCK_UTC_LEN);
		return;
	}
	out[19] = '.';
	out[20] = (char)('0' + sub / 100);
	out[21] = (char)('0' + sub / 10 % 10);
	out[22] = (char)('0' + sub % 10);
	out[23] = 'Z';
	out[24] = '\0';
}

void clock_format_utc_s(int64_t s, char *out, size_t len)
{
	time_t tt = (time_t)s;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t clock_parse_utc_ms(const char *s)
{
	struct tm tm;
	const char *end;
	int ms = 0;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	if (end[0] == '.' && end[1] >= '0' && end[1] <= '9' && end[2] >= '0' && end[2] <= '9' && end[3] >= '0' &&
	    end[3] <= '9')
		ms = (end[1] - '0') * 100 + (end[2] - '0') * 10 + (end[3] - '0');
	return (int64_t)timegm(&tm) * 1000 + ms;
}
