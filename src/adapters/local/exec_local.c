/* The executor on the controller itself: each command is /bin/sh -c in its own process group. */
#include "adapters/local/exec_local.h"
#include "util/clock.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "util/banned.h"

/* glibc 2.34 can close every other descriptor in the child; elsewhere O_CLOEXEC has to do. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define LOCAL_HAVE_CLOSEFROM 1
#endif

#define LOCAL_CHUNK 65536	/* bytes of input read and written at a time */
#define LOCAL_NAP_MAX 50	/* ms between checks on a command that closed its output */

struct exec_local {
	struct executor base;
	long timeout_s;
};

struct exec_session {
	struct exec_local *ex;
	char name[8];
};

/* Where the command's stdin stands while it runs. */
struct feed {
	const struct exec_input *in;
	int fd;			/* our end of the stdin pipe; -1 once closed */
	char *chunk;		/* LOCAL_CHUNK bytes read from the input */
	size_t have;		/* bytes in chunk */
	size_t done;		/* of those, bytes written */
	uint64_t read;		/* bytes read from the input so far */
	uint64_t sent;		/* bytes written to the pipe so far */
	int epipe;		/* the command closed its stdin before the end */
};

/* Names as SSH reports them (RFC 4254 6.10): the signal's name without "SIG". */
static const struct {
	int sig;
	const char *name;
} local_signals[] = {
	{ SIGABRT, "ABRT" }, { SIGALRM, "ALRM" }, { SIGBUS, "BUS" }, { SIGCHLD, "CHLD" },
	{ SIGCONT, "CONT" }, { SIGFPE, "FPE" }, { SIGHUP, "HUP" }, { SIGILL, "ILL" },
	{ SIGINT, "INT" }, { SIGKILL, "KILL" }, { SIGPIPE, "PIPE" }, { SIGPROF, "PROF" },
	{ SIGQUIT, "QUIT" }, { SIGSEGV, "SEGV" }, { SIGSTOP, "STOP" }, { SIGSYS, "SYS" },
	{ SIGTERM, "TERM" }, { SIGTRAP, "TRAP" }, { SIGTSTP, "TSTP" }, { SIGTTIN, "TTIN" },
	{ SIGTTOU, "TTOU" }, { SIGURG, "URG" }, { SIGUSR1, "USR1" }, { SIGUSR2, "USR2" },
	{ SIGVTALRM, "VTALRM" }, { SIGWINCH, "WINCH" }, { SIGXCPU, "XCPU" }, { SIGXFSZ, "XFSZ" },
};

/* Write SIG's name without "SIG" into OUT; a signal without a name gets its number. */
static void local_signal_name(int sig, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; i < sizeof(local_signals) / sizeof(local_signals[0]); i++) {
		if (local_signals[i].sig == sig) {
			snprintf(out, outlen, "%s", local_signals[i].name);
			return;
		}
	}
	snprintf(out, outlen, "%d", sig);
}

static void local_close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * Make a pipe into FDS, both ends close-on-exec and above 2 (so the child's dup2 onto
 * 0, 1 and 2 cannot clobber one another), with end OURS non-blocking. Returns 0, or
 * ERR_IO with FDS both -1.
 */
static int local_pipe(struct exec_session *s, int fds[2], int ours)
{
	int i, e;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		e = errno;
		fds[0] = fds[1] = -1;
		return err_set_errno(ERR_IO, e, "%s: cannot make a pipe", s->name);
	}
	for (i = 0; i < 2; i++) {
		if (fds[i] <= 2) {
			int high = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);

			if (high < 0)
				goto fail;
			close(fds[i]);
			fds[i] = high;
		}
	}
	if (fcntl(fds[ours], F_SETFL, O_NONBLOCK) < 0)
		goto fail;
	return 0;
fail:
	e = errno;
	local_close_fd(&fds[0]);
	local_close_fd(&fds[1]);
	return err_set_errno(ERR_IO, e, "%s: cannot make a pipe", s->name);
}

/*
 * Start /bin/sh -c CMD as the leader of a new session, stdin from IN_R (or /dev/null
 * when -1), stdout to OUT_W, stderr to ERR_W, nothing else open, no signal blocked or
 * ignored. posix_spawn does no unsafe work between its fork and exec, so threads may
 * call this at once. Sets *PID; returns 0, or ERR_IO naming "local".
 */
static int local_spawn(struct exec_session *s, const char *cmd, int in_r, int out_w, int err_w, pid_t *pid)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	int e;

	*pid = -1;
	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		return err_set_errno(ERR_IO, e, "%s: cannot start a command", s->name);
	if ((e = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return err_set_errno(ERR_IO, e, "%s: cannot start a command", s->name);
	}
#ifdef POSIX_SPAWN_SETSID
	flags |= POSIX_SPAWN_SETSID;
#else
	flags |= POSIX_SPAWN_SETPGROUP;	/* process group 0: its own pid */
#endif
	sigemptyset(&none);
	sigfillset(&dflt);
	sigdelset(&dflt, SIGKILL);
	sigdelset(&dflt, SIGSTOP);
	e = posix_spawnattr_setflags(&at, flags);
	if (!e)
		e = posix_spawnattr_setsigmask(&at, &none);
	if (!e)
		e = posix_spawnattr_setsigdefault(&at, &dflt);
	if (!e)
		e = in_r >= 0 ? posix_spawn_file_actions_adddup2(&fa, in_r, 0)
			      : posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, out_w, 1);
	if (!e)
		e = posix_spawn_file_actions_adddup2(&fa, err_w, 2);
#ifdef LOCAL_HAVE_CLOSEFROM
	if (!e)
		e = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	if (!e)
		e = posix_spawn(pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (e) {
		*pid = -1;
		return err_set_errno(ERR_IO, e, "%s: cannot start '/bin/sh'", s->name);
	}
	return 0;
}

/*
 * Read what is waiting on *FD into B, keeping at most B's max and setting RES->truncated
 * past it (or when memory runs out); the rest is read and dropped so the command never
 * blocks. Closes *FD (to -1) at EOF. Returns 0 or ERR_IO.
 */
static int local_drain(struct exec_session *s, int *fd, struct buf *b, struct exec_result *res)
{
	char chunk[32768];
	ssize_t n;
	size_t keep;

	n = read(*fd, chunk, sizeof(chunk));
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		return err_set_errno(ERR_IO, errno, "%s: cannot read the command's output", s->name);
	}
	if (n == 0) {
		local_close_fd(fd);
		return 0;
	}
	keep = (size_t)n;
	if (b->max && keep > b->max - b->len) {
		keep = b->max - b->len;
		res->truncated = 1;
	}
	if (keep && buf_add(b, chunk, keep) < 0)
		res->truncated = 1;
	return 0;
}

/*
 * Write the next bytes of F's input to the command, as many as the pipe takes, and tell
 * the input's sent callback. Closes F->fd (EOF for the command) after the last byte, or
 * when the command closed its stdin (EPIPE: input done, F->epipe set). SIGPIPE must be
 * blocked in this thread. Returns 0, or ERR_IO when the input cannot be read.
 */
static int local_feed(struct exec_session *s, struct feed *f)
{
	uint64_t total = f->in ? f->in->head_len + f->in->len : 0;
	ssize_t n;

	if (f->sent >= total) {
		local_close_fd(&f->fd);
		return 0;
	}
	if (f->done == f->have) {
		size_t want = LOCAL_CHUNK;

		if (want > total - f->read)
			want = (size_t)(total - f->read);
		if (f->read < f->in->head_len) {
			if (want > f->in->head_len - f->read)
				want = (size_t)(f->in->head_len - f->read);
			memcpy(f->chunk, f->in->head + f->read, want);
			n = (ssize_t)want;
		} else {
			do
				n = pread(f->in->fd, f->chunk, want, (off_t)(f->read - f->in->head_len));
			while (n < 0 && errno == EINTR);
		}
		if (n < 0)
			return err_set_errno(ERR_IO, errno, "%s: cannot read the input to send", s->name);
		if (n == 0)
			return err_set(ERR_IO, "%s: cannot read the input to send: file shorter than expected",
				       s->name);
		f->have = (size_t)n;
		f->done = 0;
		f->read += (uint64_t)n;
	}
	do
		n = write(f->fd, f->chunk + f->done, f->have - f->done);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		if (errno == EPIPE) {
			f->epipe = 1;
			local_close_fd(&f->fd);
			return 0;
		}
		return err_set_errno(ERR_IO, errno, "%s: cannot write the command's input", s->name);
	}
	f->done += (size_t)n;
	f->sent += (uint64_t)n;
	if (f->in->sent)
		f->in->sent(f->sent, f->in->arg);
	if (f->sent >= total)
		local_close_fd(&f->fd);
	return 0;
}

/* Kill the process group PID leads with SIGKILL and wait for PID; nothing else waits for it. */
static void local_kill(pid_t pid)
{
	int ws;

	kill(-pid, SIGKILL);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
}

static int local_connect(struct executor *base, const struct target *t, struct exec_session **out)
{
	struct exec_session *s;

	*out = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return err_set(ERR_NOMEM, "out of memory");
	s->ex = (struct exec_local *)base;
	snprintf(s->name, sizeof(s->name), "local");
	*out = s;
	return 0;
}

/* One run of a command: its pipes, its shell, its input, its deadline, and SIGPIPE held while it is fed. */
struct local_call {
	struct exec_session *s;
	const struct exec_opts *o;
	struct exec_result *res;
	int held;		/* the input waits for the watch to release it */
	long timeout_s;
	int64_t start, deadline;
	size_t seen;		/* output bytes the watch has seen */
	int inp[2], outp[2], errp[2];
	struct feed f;
	sigset_t pipe_set, old_mask;
	int masked, pipe_was_pending;
	pid_t pid;
	int ws, nap;
};

/* A write to a closed pipe raises SIGPIPE in this thread: hold it and take it back after. */
static void call_hold_sigpipe(struct local_call *c)
{
	sigset_t pending;

	sigemptyset(&c->pipe_set);
	sigaddset(&c->pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &c->pipe_set, &c->old_mask);
	c->masked = 1;
	sigemptyset(&pending);
	sigpending(&pending);
	c->pipe_was_pending = sigismember(&pending, SIGPIPE) == 1;
}

/* The pipes and the shell running CMD; with PIPED, a stdin pipe fed from the input. */
static int call_start(struct local_call *c, const char *cmd, int piped)
{
	int r;

	if (piped && !(c->f.chunk = malloc(LOCAL_CHUNK)))
		return err_set(ERR_NOMEM, "out of memory");
	if ((r = local_pipe(c->s, c->outp, 0)) < 0 || (r = local_pipe(c->s, c->errp, 0)) < 0)
		return r;
	if (piped && (r = local_pipe(c->s, c->inp, 1)) < 0)
		return r;
	if ((r = local_spawn(c->s, cmd, c->inp[0], c->outp[1], c->errp[1], &c->pid)) < 0)
		return r;
	local_close_fd(&c->inp[0]);
	local_close_fd(&c->outp[1]);
	local_close_fd(&c->errp[1]);
	c->f.fd = c->inp[1];
	c->inp[1] = -1;
	if (piped)
		call_hold_sigpipe(c);
	return 0;
}

/*
 * How long the next poll may wait (*WAIT, -1: no limit): until the deadline and, once the
 * output is closed, a growing nap between checks on the shell. 1 when the shell was
 * reaped, 0 to poll, or an error (a timeout).
 */
static int call_wait_ms(struct local_call *c, int *wait)
{
	*wait = -1;
	if (c->outp[0] < 0 && c->errp[0] < 0) {
		/* The output is closed: the shell has ended or is about to, or closed it itself. */
		pid_t w = waitpid(c->pid, &c->ws, WNOHANG);

		if (w == c->pid) {
			c->pid = -1;
			return 1;
		}
		if (w < 0 && errno != EINTR)
			return err_set_errno(ERR_IO, errno, "%s: cannot wait for the command", c->s->name);
		c->nap = c->nap ? c->nap * 2 : 1;
		if (c->nap > LOCAL_NAP_MAX)
			c->nap = LOCAL_NAP_MAX;
		*wait = c->nap;
	}
	if (c->deadline) {
		int64_t left = c->deadline - clock_mono_ms();

		if (left <= 0)
			return err_set(ERR_TIMEOUT, "%s: command timed out after %lds", c->s->name, c->timeout_s);
		if (left > 60000)
			left = 60000;
		if (*wait < 0 || left < *wait)
			*wait = (int)left;
	}
	return 0;
}

/* Show the watch what came, if anything did: it may restart the deadline or release the input. */
static void call_watch(struct local_call *c)
{
	const struct exec_opts *o = c->o;
	unsigned flags;

	if (!o || !o->watch || c->res->out.len + c->res->err.len == c->seen)
		return;
	flags = o->watch(c->res, o->watch_arg);
	c->seen = c->res->out.len + c->res->err.len;
	if ((flags & EXEC_WATCH_RESTART) && c->o && c->o->restart_timeout_s && *c->o->restart_timeout_s > 0)
		c->timeout_s = *c->o->restart_timeout_s;
	if ((flags & EXEC_WATCH_RESTART) && c->timeout_s > 0)
		c->deadline = clock_mono_ms() + (int64_t)c->timeout_s * 1000;
	if (flags & EXEC_WATCH_RELEASE)
		c->held = 0;
}

/* Wait up to WAIT ms, then read what the shell wrote and feed it what it can take. */
static int call_poll(struct local_call *c, int wait)
{
	struct pollfd p[3];
	int *which[3];
	nfds_t n = 0, i;
	int r;

	if (c->outp[0] >= 0) {
		p[n] = (struct pollfd){ .fd = c->outp[0], .events = POLLIN };
		which[n++] = &c->outp[0];
	}
	if (c->errp[0] >= 0) {
		p[n] = (struct pollfd){ .fd = c->errp[0], .events = POLLIN };
		which[n++] = &c->errp[0];
	}
	if (c->f.fd >= 0 && !c->held) {
		p[n] = (struct pollfd){ .fd = c->f.fd, .events = POLLOUT };
		which[n++] = &c->f.fd;
	}
	if (poll(p, n, wait) < 0) {
		if (errno == EINTR)
			return 0;
		return err_set_errno(ERR_IO, errno, "%s: cannot wait for the command", c->s->name);
	}
	for (i = 0; i < n; i++) {
		if (!p[i].revents)
			continue;
		if (which[i] == &c->f.fd)
			r = local_feed(c->s, &c->f);
		else
			r = local_drain(c->s, which[i], which[i] == &c->outp[0] ? &c->res->out : &c->res->err, c->res);
		if (r < 0)
			return r;
	}
	call_watch(c);
	return 0;
}

/* Kill and reap a shell still running, close every pipe, take back a SIGPIPE we caused, free. */
static void call_end(struct local_call *c)
{
	if (c->pid > 0)
		local_kill(c->pid);
	local_close_fd(&c->inp[0]);
	local_close_fd(&c->inp[1]);
	local_close_fd(&c->outp[0]);
	local_close_fd(&c->outp[1]);
	local_close_fd(&c->errp[0]);
	local_close_fd(&c->errp[1]);
	local_close_fd(&c->f.fd);
	if (c->masked) {
		if (c->f.epipe && !c->pipe_was_pending) {
			struct timespec zero = { 0, 0 };

			while (sigtimedwait(&c->pipe_set, NULL, &zero) < 0 && errno == EINTR)
				;
		}
		pthread_sigmask(SIG_SETMASK, &c->old_mask, NULL);
	}
	free(c->f.chunk);
}

/*
 * The port's run: output is read until both streams reach EOF (so a background job that
 * keeps them open holds the command, as under SSH), then the shell is reaped. On timeout
 * or failure after the start the whole process group is killed and reaped; RES->status
 * stays -1 and RES keeps the output read so far.
 */
static int local_run(struct exec_session *s, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	const struct exec_input *in = o ? o->input : NULL;
	struct local_call c = { .s = s, .o = o, .res = res, .held = o && o->hold_input, .inp = { -1, -1 },
				.outp = { -1, -1 }, .errp = { -1, -1 }, .f = { .in = in, .fd = -1 }, .pid = -1 };
	int piped = c.held || (in && in->head_len + in->len > 0);
	int wait, r;

	c.timeout_s = o && o->timeout_s > 0 ? o->timeout_s : s->ex->timeout_s;
	c.start = clock_mono_ms();
	c.deadline = c.timeout_s > 0 ? c.start + (int64_t)c.timeout_s * 1000 : 0;
	res->status = -1;
	res->signal[0] = '\0';
	if ((r = call_start(&c, cmd, piped)) < 0)
		goto out;
	while ((r = call_wait_ms(&c, &wait)) == 0)
		if ((r = call_poll(&c, wait)) < 0)
			goto out;
	if (r < 0)
		goto out;
	r = 0;
	if (WIFEXITED(c.ws)) {
		res->status = WEXITSTATUS(c.ws);
	} else if (WIFSIGNALED(c.ws)) {
		res->status = -1;
		local_signal_name(WTERMSIG(c.ws), res->signal, sizeof(res->signal));
	}
out:
	call_end(&c);
	res->ms = clock_mono_ms() - c.start;
	return r;
}

static void local_disconnect(struct exec_session *s)
{
	free(s);
}

static void local_close(struct executor *base)
{
	free(base);
}

static const struct executor_ops local_ops = {
	.name = "local",
	.connect = local_connect,
	.run = local_run,
	.disconnect = local_disconnect,
	.close = local_close,
};

int exec_local_new(const struct exec_local_config *cfg, struct executor **out)
{
	struct exec_local *ex;

	*out = NULL;
	if (!(ex = calloc(1, sizeof(*ex))))
		return err_set(ERR_NOMEM, "out of memory");
	ex->base.ops = &local_ops;
	ex->timeout_s = cfg ? cfg->timeout_s : 0;
	*out = &ex->base;
	return 0;
}
