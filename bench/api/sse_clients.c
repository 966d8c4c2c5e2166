/*
 * bench_sse: N subscribers to chimera serve's /api/v1/events/stream, on one thread (plain
 * sockets and epoll), measuring for every frame received the delay from the event's append
 * (its "time", UTC with milliseconds, in the data JSON) to its delivery (CLOCK_REALTIME when
 * the frame's last byte was read), and whether every subscriber got the same events.
 *
 * Prints "ready N" on stdout once every subscriber has its response headers (the server has
 * taken it), and at the end one line of figures as KEY=VALUE words:
 *   subscribers connected dropped failed frames undated p50_ms p99_ms max_ms seqs first
 *   last complete gapped duplicated missing cpu_s
 * frames: frames received by all subscribers together; undated: those whose data has no
 * "time" of that form (the delays, p50_ms p99_ms max_ms, are over the others);
 * seqs: the distinct seqs any subscriber received (up to the last seq, when one is given);
 * complete: subscribers that received exactly those, each once and in order; gapped: those
 * missing one or more; duplicated: those that received a seq twice or out of order;
 * missing: seqs of after+1..last that no subscriber received (with --after and a last seq);
 * cpu_s: this process's user and system time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "util/banned.h"

static const char usage[] =
	"usage: bench_sse URL TOKEN N [--after SEQ] [--duration S] [--grace S] [--topic T]\n"
	"  URL          the server's base URL, http://IPV4:PORT (what serve's --ready-file holds)\n"
	"  TOKEN        a bearer token (role viewer or above)\n"
	"  N            how many subscribers (1 to 60000; raise ulimit -n first)\n"
	"  --after SEQ  every stream starts after SEQ (?after=SEQ), so all expect the same events\n"
	"  --duration S end S seconds after every subscriber is ready; without it, read the last\n"
	"               seq from a line on stdin and end once every subscriber has it, or --grace\n"
	"               seconds after the line came, or at end of input\n"
	"  --grace S    see --duration (default 60)\n"
	"  --topic T    only events of topic T (?topic=T)\n"
	"  --trace FILE the first subscriber's frames, one a line: seq, append and delivery\n"
	"               (UTC ms), delay (ms)\n"
	"SIGINT and SIGTERM end the run early; the figures are printed all the same.\n";

enum sub_state { SUB_CONNECTING, SUB_HEADERS, SUB_BODY, SUB_CLOSED, SUB_FAILED };

/* A growable array of int64. */
struct i64s {
	int64_t *v;
	size_t n, cap;
};

static int i64s_add(struct i64s *a, int64_t x)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		int64_t *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

struct sub {
	int fd;
	enum sub_state state;
	char *in;		/* bytes read, not yet consumed */
	size_t in_len, in_cap;
	bool chunked;
	int64_t chunk_left;	/* body bytes left in the current chunk; -1: at a chunk size line */
	bool chunk_crlf;	/* the CRLF after a chunk's data is due */
	char *line;		/* the SSE line being assembled */
	size_t line_len, line_cap;
	int64_t frame_seq;	/* id: of the frame being assembled, -1 none */
	int64_t frame_time_ms;	/* "time" of its data, -1 none */
	struct i64s seqs;	/* seqs received, in order */
	int64_t last_seq;
};

static volatile sig_atomic_t stop_signal;
static FILE *trace;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int64_t now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_sse: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static long parse_long(const char *what, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "bench_sse: bad %s '%s': expected a whole number from %ld to %ld\n%s", what, s, lo,
			hi, usage);
		exit(2);
	}
	return v;
}

/*
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) as milliseconds since the epoch; -1 if S does not start
 * with that form.
 */
static int64_t parse_utc_ms(const char *s)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, ms, n = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%n", &y, &mo, &d, &h, &mi, &sec, &ms, &n) != 7 || n != 23 ||
	    s[23] != 'Z')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

struct run {
	struct sub *subs;
	long n;
	int ep;
	struct sockaddr_in addr;
	char request[1024];
	size_t request_len;
	long ready;		/* subscribers with their response headers */
	long failed;		/* refused, or answered other than 200 */
	long dropped;		/* closed by the server after a 200 */
	char first_error[256];
	size_t frames;		/* frames with an id: line */
	size_t undated;		/* of them, those whose data had no "time" that parses */
	struct i64s delays;	/* ms, one per dated frame */
	int64_t last;		/* the last seq expected, -1 until known */
};

static void sub_fail(struct run *r, struct sub *s, const char *why)
{
	if (!r->first_error[0])
		snprintf(r->first_error, sizeof(r->first_error), "%s", why);
	if (s->state == SUB_BODY) {
		r->dropped++;
		s->state = SUB_CLOSED;
	} else {
		r->failed++;
		s->state = SUB_FAILED;
	}
	if (s->fd >= 0) {
		epoll_ctl(r->ep, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
		s->fd = -1;
	}
}

/* A whole frame: its delay and seq recorded. */
static void frame_end(struct run *r, struct sub *s, int64_t now)
{
	if (s->frame_seq >= 0) {
		if (i64s_add(&s->seqs, s->frame_seq) < 0)
			die("out of memory");
		if (s->frame_seq > s->last_seq)
			s->last_seq = s->frame_seq;
		r->frames++;
		if (s->frame_time_ms < 0)
			r->undated++;
		else if (i64s_add(&r->delays, now - s->frame_time_ms) < 0)
			die("out of memory");
		if (trace && s == r->subs)
			fprintf(trace, "%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 "\n", s->frame_seq, s->frame_time_ms,
				now, now - s->frame_time_ms);
	}
	s->frame_seq = -1;
	s->frame_time_ms = -1;
}

/* One SSE line (without its end of line). */
static void sse_line(struct run *r, struct sub *s, const char *line, size_t len, int64_t now)
{
	if (len == 0) {
		frame_end(r, s, now);
		return;
	}
	if (line[0] == ':')
		return; /* a comment: the keepalive */
	if (len > 3 && memcmp(line, "id:", 3) == 0) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(line + 3, &end, 10);
		if (!errno && end != line + 3)
			s->frame_seq = v;
	} else if (len > 5 && memcmp(line, "data:", 5) == 0) {
		const char *t = strstr(line, "\"time\":\"");

		if (t)
			s->frame_time_ms = parse_utc_ms(t + 8);
	}
}

/* Body bytes (after any chunked framing is taken off), split into SSE lines. */
static void sse_bytes(struct run *r, struct sub *s, const char *p, size_t len, int64_t now)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n') {
			size_t l = s->line_len;

			if (l && s->line[l - 1] == '\r')
				l--;
			if (s->line)
				s->line[l] = '\0';
			sse_line(r, s, s->line ? s->line : "", l, now);
			s->line_len = 0;
			continue;
		}
		if (s->line_len + 2 > s->line_cap) {
			size_t cap = s->line_cap ? s->line_cap * 2 : 1024;
			char *nl = realloc(s->line, cap);

			if (!nl)
				die("out of memory");
			s->line = nl;
			s->line_cap = cap;
		}
		s->line[s->line_len++] = p[i];
	}
}

/* Consumes what it can of s->in: the headers, then the body (chunked or not). */
static void sub_parse(struct run *r, struct sub *s, int64_t now)
{
	size_t off = 0;

	if (s->state == SUB_HEADERS) {
		char *end;
		int status;

		s->in[s->in_len] = '\0'; /* for strcasestr: sub_read keeps a byte past in_cap */
		end = memmem(s->in, s->in_len, "\r\n\r\n", 4);
		if (!end)
			return;
		*end = '\0';
		if (sscanf(s->in, "HTTP/1.%*d %d", &status) != 1 || status != 200) {
			char why[200];
			char *eol = strchr(s->in, '\r');

			if (eol)
				*eol = '\0';
			snprintf(why, sizeof(why), "answered '%.150s', not 200", s->in);
			sub_fail(r, s, why);
			return;
		}
		s->chunked = strcasestr(s->in, "\r\ntransfer-encoding: chunked") != NULL;
		s->chunk_left = -1;
		s->state = SUB_BODY;
		r->ready++;
		off = (size_t)(end + 4 - s->in);
	}
	while (s->state == SUB_BODY && off < s->in_len) {
		char *p = s->in + off;
		size_t avail = s->in_len - off;

		if (!s->chunked) {
			sse_bytes(r, s, p, avail, now);
			off += avail;
		} else if (s->chunk_crlf) {
			if (avail < 2)
				break;
			if (p[0] != '\r' || p[1] != '\n') {
				sub_fail(r, s, "a chunk's data is not followed by CRLF");
				return;
			}
			s->chunk_crlf = false;
			off += 2;
		} else if (s->chunk_left < 0) {
			char *eol = memmem(p, avail, "\r\n", 2);
			char *hexend;
			unsigned long long size;

			if (!eol)
				break;
			errno = 0;
			size = strtoull(p, &hexend, 16);
			if (errno || hexend == p) {
				sub_fail(r, s, "a bad chunk size line");
				return;
			}
			off += (size_t)(eol + 2 - p);
			if (size == 0) {
				sub_fail(r, s, "the stream ended (last chunk)");
				return;
			}
			s->chunk_left = (int64_t)size;
		} else {
			size_t take = avail < (uint64_t)s->chunk_left ? avail : (size_t)s->chunk_left;

			sse_bytes(r, s, p, take, now);
			off += take;
			s->chunk_left -= (int64_t)take;
			if (s->chunk_left == 0) {
				s->chunk_left = -1;
				s->chunk_crlf = true;
			}
		}
	}
	if (off) {
		memmove(s->in, s->in + off, s->in_len - off);
		s->in_len -= off;
	}
}

static void sub_read(struct run *r, struct sub *s)
{
	for (;;) {
		ssize_t got;

		if (s->in_cap - s->in_len < 4096) {
			size_t cap = s->in_cap ? s->in_cap * 2 : 16384;
			char *in = realloc(s->in, cap + 1);

			if (!in)
				die("out of memory");
			s->in = in;
			s->in_cap = cap;
		}
		got = read(s->fd, s->in + s->in_len, s->in_cap - s->in_len);
		if (got > 0) {
			s->in_len += (size_t)got;
			sub_parse(r, s, now_ms(CLOCK_REALTIME));
			if (s->state != SUB_HEADERS && s->state != SUB_BODY)
				return;
			continue;
		}
		if (got == 0) {
			sub_fail(r, s, "the server closed the connection");
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			char why[128];

			snprintf(why, sizeof(why), "read: %s", strerror(errno));
			sub_fail(r, s, why);
		}
		return;
	}
}

static int sub_connect(struct run *r, long i)
{
	struct sub *s = &r->subs[i];
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.u64 = (uint64_t)i };
	int one = 1;

	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s->fd, (const struct sockaddr *)&r->addr, sizeof(r->addr)) < 0 && errno != EINPROGRESS) {
		char why[128];

		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		sub_fail(r, s, why);
		return 0;
	}
	s->state = SUB_CONNECTING;
	if (epoll_ctl(r->ep, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		return -1;
	return 0;
}

/* The socket is writable: the connection is made; send the request (small: one write). */
static void sub_send(struct run *r, struct sub *s, long i)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
	int err = 0;
	socklen_t el = sizeof(err);
	ssize_t w;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		char why[128];

		snprintf(why, sizeof(why), "connect: %s", strerror(err ? err : errno));
		sub_fail(r, s, why);
		return;
	}
	w = write(s->fd, r->request, r->request_len);
	if (w != (ssize_t)r->request_len) {
		sub_fail(r, s, "the request could not be sent in one write");
		return;
	}
	s->state = SUB_HEADERS;
	epoll_ctl(r->ep, EPOLL_CTL_MOD, s->fd, &ev);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank P-th percentile of sorted V (N > 0). */
static int64_t pct(const int64_t *v, size_t n, double p)
{
	size_t k = (size_t)(p * (double)n + 0.999999);

	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static bool all_have_last(const struct run *r)
{
	long i;

	for (i = 0; i < r->n; i++)
		if (r->subs[i].state == SUB_BODY && r->subs[i].last_seq < r->last)
			return false;
	return true;
}

static void report(struct run *r, int64_t after)
{
	struct i64s uni = { 0 };
	size_t nu = 0, k;
	long i, complete = 0, gapped = 0, duplicated = 0;
	int64_t missing = 0, p50 = 0, p99 = 0, mx = 0;
	struct rusage ru;

	/* The distinct seqs any subscriber got (up to the last one expected, when known). */
	for (i = 0; i < r->n; i++)
		for (k = 0; k < r->subs[i].seqs.n; k++)
			if (r->last < 0 || r->subs[i].seqs.v[k] <= r->last)
				if (i64s_add(&uni, r->subs[i].seqs.v[k]) < 0)
					die("out of memory");
	if (uni.n) {
		qsort(uni.v, uni.n, sizeof(*uni.v), cmp_i64);
		for (k = 0; k < uni.n; k++)
			if (nu == 0 || uni.v[k] != uni.v[nu - 1])
				uni.v[nu++] = uni.v[k];
	}
	for (i = 0; i < r->n; i++) {
		const struct sub *s = &r->subs[i];
		size_t u = 0;
		int64_t prev = -1;
		bool dup = false, gap = false;

		for (k = 0; k < s->seqs.n; k++) {
			int64_t q = s->seqs.v[k];

			if (r->last >= 0 && q > r->last)
				continue;
			if (q <= prev)
				dup = true;
			prev = q;
			while (u < nu && uni.v[u] < q) {
				gap = true;
				u++;
			}
			if (u < nu && uni.v[u] == q)
				u++;
		}
		if (u < nu)
			gap = true;
		duplicated += dup;
		gapped += gap;
		complete += !dup && !gap && s->state == SUB_BODY;
	}
	if (after >= 0 && r->last > after) {
		missing = r->last - after;
		for (k = 0; k < nu; k++)
			if (uni.v[k] > after && uni.v[k] <= r->last)
				missing--;
	}
	if (r->delays.n) {
		qsort(r->delays.v, r->delays.n, sizeof(*r->delays.v), cmp_i64);
		p50 = pct(r->delays.v, r->delays.n, 0.50);
		p99 = pct(r->delays.v, r->delays.n, 0.99);
		mx = r->delays.v[r->delays.n - 1];
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("subscribers=%ld connected=%ld dropped=%ld failed=%ld frames=%zu undated=%zu p50_ms=%" PRId64 " p99_ms=%" PRId64
	       " max_ms=%" PRId64 " seqs=%zu first=%" PRId64 " last=%" PRId64
	       " complete=%ld gapped=%ld duplicated=%ld missing=%" PRId64 " cpu_s=%.2f\n",
	       r->n, r->ready, r->dropped, r->failed, r->frames, r->undated, p50, p99, mx, nu, nu ? uni.v[0] : (int64_t)-1,
	       nu ? uni.v[nu - 1] : (int64_t)-1, complete, gapped, duplicated, missing,
	       (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	if (r->first_error[0])
		fprintf(stderr, "bench_sse: first error: %s\n", r->first_error);
	free(uni.v);
}

/* stdin is readable: the last seq, on a line; at end of input, -2. */
static int64_t read_last(void)
{
	static char buf[64];
	static size_t len;
	ssize_t got = read(0, buf + len, sizeof(buf) - 1 - len);
	char *nl, *end;
	long long v;

	if (got <= 0)
		return got == 0 || (errno != EAGAIN && errno != EINTR) ? -2 : -1;
	len += (size_t)got;
	buf[len] = '\0';
	if (!(nl = strchr(buf, '\n'))) {
		if (len == sizeof(buf) - 1)
			die("stdin: expected a seq on a line");
		return -1;
	}
	*nl = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf || *end || v < 0)
		die("stdin: '%s' is not a seq (decimal digits)", buf);
	return v;
}

int main(int argc, char **argv)
{
	struct run r = { .last = -1 };
	const char *url, *token, *topic = NULL, *hostport;
	char host[64];
	long port, duration = -1, grace = 60, i;
	int64_t after = -1, deadline = -1;
	bool started = false;
	struct sigaction sa = { .sa_handler = on_signal };
	int a;

	if (argc < 4) {
		fputs(usage, stderr);
		return 2;
	}
	url = argv[1];
	token = argv[2];
	r.n = parse_long("N", argv[3], 1, 60000);
	for (a = 4; a < argc; a++) {
		if (a + 1 >= argc)
			die("%s needs a value", argv[a]);
		if (strcmp(argv[a], "--after") == 0)
			after = parse_long("--after", argv[++a], 0, 0x7fffffffL);
		else if (strcmp(argv[a], "--duration") == 0)
			duration = parse_long("--duration", argv[++a], 1, 86400);
		else if (strcmp(argv[a], "--grace") == 0)
			grace = parse_long("--grace", argv[++a], 1, 86400);
		else if (strcmp(argv[a], "--topic") == 0)
			topic = argv[++a];
		else if (strcmp(argv[a], "--trace") == 0) {
			if (!(trace = fopen(argv[++a], "w")))
				die("--trace %s: %s", argv[a], strerror(errno));
		}
		else
			die("unknown option '%s'", argv[a]);
	}
	if (strncmp(url, "http://", 7) != 0)
		die("URL '%s': expected http://IPV4:PORT", url);
	hostport = url + 7;
	{
		const char *colon = strchr(hostport, ':');
		size_t hl = colon ? (size_t)(colon - hostport) : 0;
		const char *p = colon ? colon + 1 : "";
		size_t pl = strcspn(p, "/");
		char ps[16];

		if (!colon || hl == 0 || hl >= sizeof(host) || pl == 0 || pl >= sizeof(ps) || (p[pl] && strcmp(p + pl, "/")))
			die("URL '%s': expected http://IPV4:PORT", url);
		memcpy(host, hostport, hl);
		host[hl] = '\0';
		memcpy(ps, p, pl);
		ps[pl] = '\0';
		port = parse_long("port", ps, 1, 65535);
	}
	r.addr.sin_family = AF_INET;
	r.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &r.addr.sin_addr) != 1)
		die("URL: '%s' is not an IPv4 address", host);
	{
		char q[200] = "";
		int len;

		if (after >= 0 && topic)
			snprintf(q, sizeof(q), "?after=%" PRId64 "&topic=%s", after, topic);
		else if (after >= 0)
			snprintf(q, sizeof(q), "?after=%" PRId64, after);
		else if (topic)
			snprintf(q, sizeof(q), "?topic=%s", topic);
		len = snprintf(r.request, sizeof(r.request),
			       "GET /api/v1/events/stream%s HTTP/1.1\r\nHost: %s:%ld\r\nAccept: text/event-stream\r\n"
			       "Authorization: Bearer %s\r\n\r\n",
			       q, host, port, token);
		if (len < 0 || (size_t)len >= sizeof(r.request))
			die("the token or topic is too long");
		r.request_len = (size_t)len;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((r.ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1: %s", strerror(errno));
	if (!(r.subs = calloc((size_t)r.n, sizeof(*r.subs))))
		die("out of memory");
	for (i = 0; i < r.n; i++) {
		r.subs[i].fd = -1;
		r.subs[i].frame_seq = -1;
		r.subs[i].frame_time_ms = -1;
		r.subs[i].last_seq = -1;
		if (sub_connect(&r, i) < 0)
			die("socket: %s (raise ulimit -n)", strerror(errno));
	}

	while (!stop_signal) {
		struct epoll_event evs[256];
		int64_t mono = now_ms(CLOCK_MONOTONIC);
		int timeout = 1000, n, e;

		if (!started && r.ready + r.failed == r.n) {
			started = true;
			printf("ready %ld\n", r.ready);
			fflush(stdout);
			if (r.ready == 0)
				break;
			if (duration > 0) {
				deadline = mono + duration * 1000;
			} else {
				struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UINT64_MAX };

				fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
				if (epoll_ctl(r.ep, EPOLL_CTL_ADD, 0, &ev) < 0)
					die("stdin: %s (give --duration, or the last seq through a pipe)", strerror(errno));
			}
		}
		if (deadline >= 0 && mono >= deadline)
			break;
		if (r.last >= 0 && all_have_last(&r))
			break;
		if (started && r.ready - r.dropped == 0)
			break;
		if (deadline >= 0 && deadline - mono < timeout)
			timeout = (int)(deadline - mono);
		n = epoll_wait(r.ep, evs, 256, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait: %s", strerror(errno));
		}
		for (e = 0; e < n; e++) {
			struct sub *s;

			if (evs[e].data.u64 == UINT64_MAX) {
				int64_t last = read_last();

				if (last == -1)
					continue;
				epoll_ctl(r.ep, EPOLL_CTL_DEL, 0, NULL);
				if (last == -2) {
					deadline = mono; /* end of input without a seq: end now */
					continue;
				}
				r.last = last;
				deadline = mono + grace * 1000;
				continue;
			}
			s = &r.subs[evs[e].data.u64];
			if (s->state == SUB_CONNECTING)
				sub_send(&r, s, (long)evs[e].data.u64);
			else if (s->state == SUB_HEADERS || s->state == SUB_BODY)
				sub_read(&r, s);
		}
	}
	if (!started) {
		printf("ready %ld\n", r.ready);
		fflush(stdout);
	}
	report(&r, after);
	for (i = 0; i < r.n; i++) {
		if (r.subs[i].fd >= 0)
			close(r.subs[i].fd);
		free(r.subs[i].in);
		free(r.subs[i].line);
		free(r.subs[i].seqs.v);
	}
	free(r.subs);
	free(r.delays.v);
	if (trace)
		fclose(trace);
	return r.ready == r.n && r.dropped == 0 ? 0 : 1;
}
