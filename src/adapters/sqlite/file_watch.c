/* Wake when a file is written or made, by inotify on its directory. */
#include "adapters/sqlite/file_watch.h"
#include "util/clock.h"
#include "util/err.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include "util/banned.h"

int file_watch_open(struct file_watch *w, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int e;

	w->fd = -1;
	w->base[0] = '\0';
	if (strlen(slash ? slash + 1 : path) + 1 > sizeof(w->base))
		return err_set(ERR_INVALID, "ledger file name too long to watch: '%s'", path);
	snprintf(w->base, sizeof(w->base), "%s", slash ? slash + 1 : path);
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((w->fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
		return err_set_errno(ERR_UNSUPPORTED, errno, "cannot watch the ledger: inotify");
	/* The directory, not the file: so that its creation wakes too. */
	if (inotify_add_watch(w->fd, dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		e = errno;
		close(w->fd);
		w->fd = -1;
		return err_set_errno(ERR_UNSUPPORTED, e, "cannot watch '%s'", dir);
	}
	return 0;
}

/* Whether NAME is the watched file. */
static int is_ours(const struct file_watch *w, const char *name)
{
	return strcmp(name, w->base) == 0;
}

/* Read the queued events: 1 when one is about our files, 0 when none, ERR_IO on failure. */
static int drain(struct file_watch *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int ours = 0;
	ssize_t len;

	while ((len = read(w->fd, buf, sizeof(buf))) > 0) {
		const char *p = buf;

		while (p < buf + len) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->len && is_ours(w, ev->name))
				ours = 1;
			if (ev->mask & IN_Q_OVERFLOW)
				ours = 1;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (len < 0 && errno != EAGAIN && errno != EINTR)
		return err_set_errno(ERR_IO, errno, "cannot read the ledger's watch");
	return ours;
}

int file_watch_wait(struct file_watch *w, int timeout_ms)
{
	int64_t deadline = timeout_ms >= 0 ? clock_mono_ms() + timeout_ms : 0;
	struct pollfd pfd = { .fd = w->fd, .events = POLLIN };
	int left = timeout_ms, r;

	for (;;) {
		r = poll(&pfd, 1, left);
		if (r < 0)
			return errno == EINTR ? 0 : err_set_errno(ERR_IO, errno, "cannot wait on the ledger's watch");
		if (r == 0)
			return 0;
		if ((r = drain(w)) != 0)
			return r;
		/* Another file of the directory changed: wait on for the rest of the time. */
		if (timeout_ms >= 0) {
			int64_t now = clock_mono_ms();

			if (now >= deadline)
				return 0;
			left = (int)(deadline - now);
		}
	}
}

void file_watch_close(struct file_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}
