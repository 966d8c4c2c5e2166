/* Progress of a fleet operation on stderr: live lines on a terminal, plain lines otherwise. */
#include "cli/progress.h"
#include "cli/cli.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "util/banned.h"

#define LIVE_LINES 16	/* most node lines drawn at once */
#define BUILDS 8	/* builds followed at once (one per configuration) */

struct slot {
	const char *name;
	const char *step;
	const _Atomic uint64_t *sent;
	int64_t since;
	int active;
};

/* A build running through the nix port: its derivations built and to build. */
struct build {
	const void *src;	/* the port's nix_source: which build */
	size_t done, total;
};

struct progress {
	enum progress_mode mode;
	size_t total, done, failed;
	struct slot *slots;
	struct build builds[BUILDS];	/* src NULL: free */
	const void *build_src;		/* the build it belongs to */
	char build_name[128];		/* the derivation last heard of */
	char build_line[512];		/* its last log line */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t ticker;
	int stop;
	int drawn;		/* lines on screen from the last draw */
};

enum progress_mode progress_mode_for(int json, int quiet)
{
	if (json || quiet)
		return PROGRESS_OFF;
	return isatty(2) ? PROGRESS_LIVE : PROGRESS_LINES;
}

/* The terminal's width, 80 when stderr has none. */
static size_t columns(void)
{
	struct winsize ws;

	return ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

/* Cut S to at most COLS characters (UTF-8), so that the line never wraps. */
static void fit(char *s, size_t cols)
{
	size_t i, n = 0;

	for (i = 0; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && ++n > cols) {
			s[i] = 0;
			return;
		}
}

/* The build status line into LINE (LEN bytes); false when no build runs. The lock is held. */
static bool build_status(const struct progress *p, char *line, size_t len)
{
	size_t i, done = 0, total = 0, n = 0;

	for (i = 0; i < BUILDS; i++)
		if (p->builds[i].src) {
			done += p->builds[i].done;
			total += p->builds[i].total;
			n++;
		}
	if (!n)
		return false;
	if (!p->build_name[0] && !total)
		snprintf(line, len, "building: evaluating the configuration");
	else if (!p->build_name[0])
		snprintf(line, len, "building %zu/%zu", done, total);
	else
		snprintf(line, len, "building %zu/%zu: %s%s%s", done, total, p->build_name,
			 p->build_line[0] ? " \u2014 " : "", p->build_line);
	fit(line, columns() - 1);
	return true;
}

/* Redraw the live block; the lock is held. */
static void draw(struct progress *p)
{
	int64_t now = clock_mono_ms();
	size_t i, shown = 0, active = 0, lines;
	char status[1024];

	if (p->drawn)
		fprintf(stderr, "\033[%dA", p->drawn);
	lines = build_status(p, status, sizeof(status));
	if (lines)
		fprintf(stderr, "\r\033[K%s\n", status);
	for (i = 0; i < p->total; i++) {
		struct slot *s = &p->slots[i];
		char bytes[32] = "";

		if (!s->active)
			continue;
		active++;
		if (shown == LIVE_LINES)
			continue;
		if (s->sent && *s->sent)
			cli_bytes(*s->sent, bytes, sizeof(bytes));
		fprintf(stderr, "\r\033[K  %-28s %-9s %5.1fs %s\n", s->name, s->step, (now - s->since) / 1000.0, bytes);
		shown++;
	}
	if (active > shown)
		fprintf(stderr, "\r\033[K  ... and %zu more in flight\n", active - shown), shown++;
	lines += shown;
	if (p->total) {
		fprintf(stderr, "\r\033[K%zu/%zu done, %zu failed, %zu in flight\n", p->done, p->total, p->failed,
			active);
		lines++;
	}
	/* Wipe lines left from a taller block. */
	for (i = lines; i < (size_t)p->drawn; i++)
		fprintf(stderr, "\r\033[K\n");
	if ((size_t)p->drawn > lines)
		fprintf(stderr, "\033[%dA", p->drawn - (int)lines);
	p->drawn = (int)lines;
	fflush(stderr);
}

static void *tick(void *arg)
{
	struct progress *p = arg;
	struct timespec ts;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		draw(p);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->wake, &p->lock, &ts);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct progress *progress_start(enum progress_mode mode, size_t total)
{
	struct progress *p;

	if (mode == PROGRESS_OFF || !(p = calloc(1, sizeof(*p))))
		return NULL;
	if (!(p->slots = calloc(total ? total : 1, sizeof(*p->slots)))) {
		free(p);
		return NULL;
	}
	p->mode = mode;
	p->total = total;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	if (mode == PROGRESS_LIVE && pthread_create(&p->ticker, NULL, tick, p) != 0)
		p->mode = PROGRESS_LINES;
	return p;
}

void progress_step(struct progress *p, size_t slot, const char *name, const char *step, const _Atomic uint64_t *sent)
{
	if (!p || slot >= p->total)
		return;
	pthread_mutex_lock(&p->lock);
	p->slots[slot] = (struct slot){ name, step, sent, clock_mono_ms(), 1 };
	if (p->mode == PROGRESS_LINES)
		fprintf(stderr, "%s: %s\n", name, step);
	pthread_mutex_unlock(&p->lock);
}

void progress_done(struct progress *p, size_t slot, const char *name, int ok, const char *what)
{
	if (!p || slot >= p->total)
		return;
	pthread_mutex_lock(&p->lock);
	p->slots[slot].active = 0;
	p->done++;
	if (!ok)
		p->failed++;
	if (p->mode == PROGRESS_LINES)
		fprintf(stderr, "%s: %s (%zu/%zu)\n", name, what, p->done, p->total);
	pthread_mutex_unlock(&p->lock);
}

/* The slot of the build SRC, taken when new (NULL when all are taken). The lock is held. */
static struct build *build_slot(struct progress *p, const void *src)
{
	size_t i;

	for (i = 0; i < BUILDS; i++)
		if (p->builds[i].src == src)
			return &p->builds[i];
	for (i = 0; i < BUILDS; i++)
		if (!p->builds[i].src) {
			p->builds[i] = (struct build){ src, 0, 0 };
			return &p->builds[i];
		}
	return NULL;
}

/* A finished derivation's plain line. */
static void build_finished(const struct nix_build_event *ev)
{
	const char *how = ev->ok > 0 ? "built in" : ev->ok == 0 ? "FAILED after" : "stopped after";

	fprintf(stderr, "build: %s %s %.2fs (%zu/%zu)\n", ev->name, how, ev->ms / 1000.0, ev->done, ev->total);
}

void progress_build(const struct nix_build_event *ev, void *arg)
{
	struct progress *p = arg;
	struct build *b;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if ((b = build_slot(p, ev->src))) {
		b->done = ev->done;
		b->total = ev->total;
	}
	switch (ev->what) {
	case NIX_BUILD_STARTED:
		p->build_src = ev->src;
		snprintf(p->build_name, sizeof(p->build_name), "%s", ev->name);
		p->build_line[0] = 0;
		if (p->mode == PROGRESS_LINES)
			fprintf(stderr, "build: %s started\n", ev->name);
		break;
	case NIX_BUILD_LOG:
	case NIX_BUILD_PHASE:
		p->build_src = ev->src;
		snprintf(p->build_name, sizeof(p->build_name), "%s", ev->name);
		snprintf(p->build_line, sizeof(p->build_line), "%s%s", ev->what == NIX_BUILD_PHASE ? "phase " : "",
			 ev->text);
		break;
	case NIX_BUILD_FINISHED:
		if (p->mode == PROGRESS_LINES)
			build_finished(ev);
		break;
	case NIX_BUILD_COUNTS:
		break;
	case NIX_BUILD_END:
		if (b)
			b->src = NULL;
		if (p->build_src == ev->src)
			p->build_name[0] = p->build_line[0] = 0;
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

void progress_stop(struct progress *p)
{
	if (!p)
		return;
	if (p->mode == PROGRESS_LIVE) {
		pthread_mutex_lock(&p->lock);
		p->stop = 1;
		pthread_cond_signal(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->ticker, NULL);
		/* Leave only the counter line. */
		if (p->drawn)
			fprintf(stderr, "\033[%dA\r\033[J", p->drawn);
		if (p->total)
			fprintf(stderr, "%zu/%zu done, %zu failed\n", p->done, p->total, p->failed);
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p->slots);
	free(p);
}
