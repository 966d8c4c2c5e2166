/* The process_* figures of the metrics, from /proc/self (Linux): CPU, memory, descriptors, threads, start time. */
#include "api/metrics_internal.h"
#include "util/buf.h"
#include "util/fs.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "util/banned.h"

/* The fields of /proc/self/stat read here, numbered as proc(5) numbers them. */
enum {
	STAT_UTIME = 14,
	STAT_STIME = 15,
	STAT_THREADS = 20,
	STAT_STARTTIME = 22,
	STAT_VSIZE = 23,
	STAT_RSS = 24,
	STAT_LAST = STAT_RSS,
};

/*
 * Fields 3..STAT_LAST of /proc/self/stat into F (indexed by field number). Field 2, the
 * command, is in parentheses and may hold spaces: the rest starts after its last ')'.
 * Returns 0, or -1 when the file cannot be read or is short.
 */
static int read_stat(unsigned long long f[STAT_LAST + 1])
{
	struct buf b = BUF_INIT(64 * 1024);
	const char *p;
	char *end;
	int i, r = -1;

	memset(f, 0, sizeof(f[0]) * (STAT_LAST + 1));
	if (fs_read_file("/proc/self/stat", &b) < 0 || !(p = strrchr(b.data, ')')))
		goto out;
	p++;
	while (*p == ' ')
		p++;
	if (!*p)
		goto out;
	p++;	/* field 3, the state: one letter */
	for (i = 4; i <= STAT_LAST; i++) {
		f[i] = strtoull(p, &end, 10);
		if (end == p)
			goto out;
		p = end;
	}
	r = 0;
out:
	buf_release(&b);
	return r;
}

/* The boot time from /proc/stat's "btime" line, in seconds since the epoch; 0 when not found. */
static double boot_time(void)
{
	struct buf b = BUF_INIT(4 * 1024 * 1024);
	const char *p;
	double t = 0;

	if (fs_read_file("/proc/stat", &b) == 0 && (p = strstr(b.data, "\nbtime ")) != NULL)
		t = (double)strtoull(p + 7, NULL, 10);
	buf_release(&b);
	return t;
}

void metrics_process_start(struct metrics_process_start *s)
{
	unsigned long long f[STAT_LAST + 1];
	long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	double boot;

	s->ticks = ticks > 0 ? (double)ticks : 100;
	s->page = page > 0 ? (double)page : 4096;
	s->start_time_seconds = 0;
	if (read_stat(f) == 0 && (boot = boot_time()) > 0)
		s->start_time_seconds = boot + (double)f[STAT_STARTTIME] / s->ticks;
}

/* Entries of /proc/self/fd but the one reading it; 0 when it cannot be read. */
static double open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	double n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0;
}

void metrics_process_read(struct metrics_process *p, const struct metrics_process_start *s)
{
	unsigned long long f[STAT_LAST + 1];
	struct rlimit rl;

	memset(p, 0, sizeof(*p));
	p->start_time_seconds = s->start_time_seconds;
	if (read_stat(f) == 0) {
		p->cpu_seconds = (double)(f[STAT_UTIME] + f[STAT_STIME]) / s->ticks;
		p->threads = (double)f[STAT_THREADS];
		p->virtual_bytes = (double)f[STAT_VSIZE];
		p->resident_bytes = (double)f[STAT_RSS] * s->page;
	}
	p->open_fds = open_fds();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		p->max_fds = rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double)rl.rlim_cur;
}
