/* Wake when a file is written or made, by inotify on its directory. */
#ifndef CHIMERA_ADAPTERS_SQLITE_FILE_WATCH_H
#define CHIMERA_ADAPTERS_SQLITE_FILE_WATCH_H

/* A watch on one file; zero-initialise or file_watch_open it, file_watch_close it. */
struct file_watch {
	int fd;			/* the inotify descriptor, -1 when none */
	char base[256];		/* the file's name in its directory */
};

/*
 * Start watching PATH (created, written, moved in). Returns 0, or
 * ERR_UNSUPPORTED when inotify cannot be had here (W->fd is -1 then; the caller falls
 * back to its timeout), or ERR_INVALID when PATH's name is too long.
 */
int file_watch_open(struct file_watch *w, const char *path);

/*
 * Wait up to TIMEOUT_MS (negative: no limit) for a change to the watched files. Returns
 * 1 after one, 0 on timeout or when a signal interrupted the wait, ERR_IO when the
 * watch failed.
 */
int file_watch_wait(struct file_watch *w, int timeout_ms);

void file_watch_close(struct file_watch *w);

#endif
