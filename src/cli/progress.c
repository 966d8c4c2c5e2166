/* Progress of a fleet operation on stderr: live lines on a terminal, plain lines otherwise. */
#include "cli/progress.h"
#include "cli/cli.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

#define LIVE_LINES 16	/* most node lines drawn at once */

struct slot {
	const char *name;
	const char *step;
	const _Atomic uint64_t *sent;
	int64_t since;
	int active;
};

struct progress {
	enum progress_mode mode;
	size_t total, done, failed;
	struct slot *slots;
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

/* Redraw the live block; the lock is held. */
static void draw(struct progress *p)
{
	int64_t now = clock_mono_ms();
	size_t i, shown = 0, active = 0;

	if (p->drawn)
		fprintf(stderr, "\033[%dA", p->drawn);
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
	fprintf(stderr, "\r\033[K%zu/%zu done, %zu failed, %zu in flight\n", p->done, p->total, p->failed, active);
	/* Wipe lines left from a taller block. */
	for (i = shown + 1; i < (size_t)p->drawn; i++)
		fprintf(stderr, "\r\033[K\n");
	if ((size_t)p->drawn > shown + 1)
		fprintf(stderr, "\033[%dA", p->drawn - (int)(shown + 1));
	p->drawn = (int)(shown + 1);
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
		fprintf(stderr, "%zu/%zu done, %zu failed\n", p->done, p->total, p->failed);
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p->slots);
	free(p);
}
