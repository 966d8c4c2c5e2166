/* Child processes: find programs on PATH, run them and collect their output. */
#include "util/proc.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/banned.h"

int proc_which(const char *name, char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	char dirs[8192];
	char *save = NULL, *d;
	struct stat st;

	out[0] = '\0';
	if (!*name || strchr(name, '/'))
		return err_set(ERR_INVALID, "bad program name '%s': expected a name without '/'", name);

	snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	for (d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if (d[0] != '/')	/* relative entries would give a relative path */
			continue;
		if (snprintf(out, outlen, "%s/%s", d, name) >= (int)outlen)
			continue;
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
	}
	out[0] = '\0';
	return err_set(ERR_NOTFOUND, "'%s' not found on PATH", name);
}

int proc_run(char *const argv[], struct buf *out, int *status)
{
	int fds[2];
	pid_t pid;
	int st;

	*status = -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_set_errno(ERR_IO, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_set_errno(ERR_IO, errno, "cannot start '%s'", argv[0]);
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		execv(argv[0], argv);
		fprintf(stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		char chunk[4096];
		ssize_t n = read(fds[0], chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out)
			buf_add(out, chunk, (size_t)n);	/* past the cap, the rest is dropped */
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return err_set_errno(ERR_IO, errno, "waitpid");
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

/* Where a child's stream goes: into B (capped; NULL: dropped), or to FN as it comes. */
struct proc_sink {
	struct buf *b;
	proc_chunk_fn fn;
	void *arg;
	size_t seen;		/* bytes read */
};

/* Read what is there on FD into S. Returns 0 at end of file, 1 otherwise. */
static int proc_drain(int fd, struct proc_sink *s)
{
	char chunk[8192];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	s->seen += (size_t)n;
	if (s->fn)
		s->fn(chunk, (size_t)n, s->arg);
	else if (s->b)
		buf_add(s->b, chunk, (size_t)n);	/* past the cap, the rest is dropped */
	return 1;
}

/* proc_run_split and proc_run_stream: stdout to OUT_FD or OUT, stderr to ERR. */
static int proc_run_sinks(char *const argv[], int out_fd, struct buf *out, struct proc_sink *err, int *status)
{
	struct proc_sink osink = { out, NULL, NULL, 0 };
	int ofd[2] = { -1, -1 }, efd[2];
	struct pollfd pfd[2];
	pid_t pid;
	int st;

	*status = -1;
	if (pipe2(efd, O_CLOEXEC) < 0)
		return err_set_errno(ERR_IO, errno, "pipe");
	if (out_fd < 0 && pipe2(ofd, O_CLOEXEC) < 0) {
		close(efd[0]);
		close(efd[1]);
		return err_set_errno(ERR_IO, errno, "pipe");
	}
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(efd[0]);
		close(efd[1]);
		if (ofd[0] >= 0) {
			close(ofd[0]);
			close(ofd[1]);
		}
		return err_set_errno(ERR_IO, e, "cannot start '%s'", argv[0]);
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul >= 0)
			dup2(nul, 0);
		dup2(out_fd >= 0 ? out_fd : ofd[1], 1);
		dup2(efd[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(efd[1]);
	if (ofd[1] >= 0)
		close(ofd[1]);
	pfd[0].fd = efd[0];
	pfd[1].fd = ofd[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		int i;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd >= 0 && pfd[i].revents && !proc_drain(pfd[i].fd, i == 0 ? err : &osink)) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
	}
	if (pfd[0].fd >= 0)
		close(pfd[0].fd);
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return err_set_errno(ERR_IO, errno, "waitpid");
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (*status == 127 && err->seen == 0) {
		char msg[4200];	/* "cannot run 'ARGV0'\n", any path */
		int n = snprintf(msg, sizeof(msg), "cannot run '%s'\n", argv[0]);

		if (err->fn)
			err->fn(msg, n < (int)sizeof(msg) ? (size_t)n : sizeof(msg) - 1, err->arg);
		else if (err->b)
			buf_add(err->b, msg, n < (int)sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	}
	return 0;
}

int proc_run_split(char *const argv[], int out_fd, struct buf *out, struct buf *err, int *status)
{
	struct proc_sink esink = { err, NULL, NULL, 0 };

	return proc_run_sinks(argv, out_fd, out, &esink, status);
}

int proc_run_stream(char *const argv[], struct buf *out, proc_chunk_fn on_err, void *arg, int *status)
{
	struct proc_sink esink = { NULL, on_err, arg, 0 };

	return proc_run_sinks(argv, -1, out, &esink, status);
}

bool proc_alive(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	bool alive = false;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f)) {
		char *p = strrchr(line, ')');

		alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	}
	fclose(f);
	return alive;
}

int proc_start_time(pid_t pid, int64_t *start)
{
	char path[64], line[1024];
	const char *p;
	FILE *f;
	int field;

	*start = 0;
	if (pid <= 0)
		return err_set(ERR_NOTFOUND, "no process %d", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return err_set(ERR_NOTFOUND, "no process %d", (int)pid);
	p = fgets(line, sizeof(line), f) ? strrchr(line, ')') : NULL;
	fclose(f);
	/* After "pid (comm)" come the fields from 3 (state) on; the start time is field 22. */
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return err_set(ERR_NOTFOUND, "no process %d", (int)pid);
	for (field = 2, p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field != 22 || !*p)
		return err_set(ERR_NOTFOUND, "no start time for process %d", (int)pid);
	*start = strtoll(p, NULL, 10);
	return 0;
}

int proc_spawn_detached(char *const argv[], const char *log, pid_t *pid)
{
	int fds[2], lfd, nfd, status;
	pid_t mid, got = 0;
	ssize_t n;

	*pid = 0;
	if ((lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot open the log '%s'", log);
	if ((nfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 || pipe2(fds, O_CLOEXEC) < 0) {
		if (nfd >= 0)
			close(nfd);
		close(lfd);
		return err_set_errno(ERR_IO, errno, "cannot start '%s'", argv[0]);
	}
	if ((mid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		close(nfd);
		close(lfd);
		return err_set_errno(ERR_IO, errno, "cannot fork to start '%s'", argv[0]);
	}
	if (mid == 0) {
		/* Between the forks: only async-signal-safe calls (this process may have had threads). */
		pid_t g;

		if ((g = fork()) == 0) {
			/* Its own session and process group (a kill of -PID reaches what it starts). */
			setsid();
			if (dup2(nfd, 0) < 0 || dup2(lfd, 1) < 0 || dup2(lfd, 2) < 0)
				_exit(127);
			execv(argv[0], argv);
			_exit(127);
		}
		n = write(fds[1], &g, sizeof(g));
		_exit(n == (ssize_t)sizeof(g) && g > 0 ? 0 : 1);
	}
	close(fds[1]);
	close(nfd);
	close(lfd);
	do
		n = read(fds[0], &got, sizeof(got));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(got) || got <= 0)
		return err_set(ERR_IO, "cannot fork to start '%s'", argv[0]);
	*pid = got;
	return 0;
}
