/* The local executor against real processes: status, signals, timeouts, stdin, caps, threads, descriptors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/local/exec_local.h"
#include "check.h"
#include "util/clock.h"
#include "util/err.h"

#define BIG_INPUT (5 * 1024 * 1024)

/* An executor and one session, torn down by the test. */
struct local {
	struct executor *ex;
	struct exec_session *s;
};

static void local_open(struct local *l, long timeout_s)
{
	struct exec_local_config cfg = { timeout_s };
	struct target t;

	assert_int_equal(exec_local_new(&cfg, &l->ex), 0);
	assert_non_null(l->ex);
	assert_string_equal(l->ex->ops->name, "local");
	assert_int_equal(target_parse(&t, "local", 5), 0);
	assert_int_equal(l->ex->ops->connect(l->ex, &t, &l->s), 0);
	assert_non_null(l->s);
}

static void local_done(struct local *l)
{
	l->ex->ops->disconnect(l->s);
	l->ex->ops->close(l->ex);
}

static int run(struct local *l, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	exec_result_init(res);
	return l->ex->ops->run(l->s, cmd, o, res);
}

/* A temporary file of LEN bytes from a fixed pseudo-random sequence; closed by the caller. */
static int temp_input(size_t len)
{
	FILE *f = tmpfile();
	uint32_t x = 0x12345678u;
	char block[4096];
	size_t i, done = 0;
	int fd;

	assert_non_null(f);
	fd = dup(fileno(f));
	fclose(f);
	assert_true(fd >= 0);
	while (done < len) {
		size_t n = len - done < sizeof(block) ? len - done : sizeof(block);

		for (i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			block[i] = (char)(x >> 16);
		}
		assert_int_equal(pwrite(fd, block, n, (off_t)done), (ssize_t)n);
		done += n;
	}
	return fd;
}

static void sha256_of_fd(int fd, size_t len, char hex[65])
{
	unsigned char *p = malloc(len), md[32];
	unsigned int mdlen = 0, i;

	assert_non_null(p);
	assert_int_equal(pread(fd, p, len, 0), (ssize_t)len);
	assert_int_equal(EVP_Digest(p, len, md, &mdlen, EVP_sha256(), NULL), 1);
	assert_int_equal(mdlen, 32);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	free(p);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own descriptor */
}

static int sigpipe_pending(void)
{
	sigset_t set;

	sigemptyset(&set);
	assert_int_equal(sigpending(&set), 0);
	return sigismember(&set, SIGPIPE) == 1;
}

static void test_exit_zero(void **state)
{
	struct local l;
	struct exec_result res;

	local_open(&l, 0);
	assert_int_equal(run(&l, "echo hello; echo world", NULL, &res), 0);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.signal, "");
	assert_string_equal(res.out.data, "hello\nworld\n");
	assert_int_equal(res.err.len, 0);
	assert_false(res.truncated);
	assert_true(res.ms >= 0 && res.ms < 5000);
	exec_result_release(&res);
	local_done(&l);
}

static void test_exit_nonzero(void **state)
{
	struct local l;
	struct exec_result res;

	local_open(&l, 0);
	assert_int_equal(run(&l, "exit 7", NULL, &res), 0);
	assert_int_equal(res.status, 7);
	assert_string_equal(res.signal, "");
	exec_result_release(&res);
	assert_int_equal(run(&l, "/nonexistent/program", NULL, &res), 0);
	assert_int_equal(res.status, 127);
	assert_contains(res.err.data, "/nonexistent/program");
	exec_result_release(&res);
	local_done(&l);
}

static void test_stdout_stderr_apart(void **state)
{
	struct local l;
	struct exec_result res;

	local_open(&l, 0);
	assert_int_equal(run(&l, "echo out1; echo err1 >&2; echo out2; printf 'err2' >&2; exit 3", NULL, &res), 0);
	assert_int_equal(res.status, 3);
	assert_string_equal(res.out.data, "out1\nout2\n");
	assert_string_equal(res.err.data, "err1\nerr2");
	exec_result_release(&res);
	local_done(&l);
}

static void test_killed_by_signal(void **state)
{
	struct local l;
	struct exec_result res;

	local_open(&l, 0);
	assert_int_equal(run(&l, "echo before; kill -TERM $$; echo after", NULL, &res), 0);
	assert_int_equal(res.status, -1);
	assert_string_equal(res.signal, "TERM");
	assert_string_equal(res.out.data, "before\n");
	exec_result_release(&res);
	assert_int_equal(run(&l, "kill -KILL $$", NULL, &res), 0);
	assert_int_equal(res.status, -1);
	assert_string_equal(res.signal, "KILL");
	exec_result_release(&res);
	/* An ignored signal in the controller is not ignored in the command. */
	signal(SIGUSR1, SIG_IGN);
	assert_int_equal(run(&l, "kill -USR1 $$; sleep 1", NULL, &res), 0);
	signal(SIGUSR1, SIG_DFL);
	assert_int_equal(res.status, -1);
	assert_string_equal(res.signal, "USR1");
	exec_result_release(&res);
	local_done(&l);
}

/* Reap orphans handed to us as subreaper until the group PGID is gone or 3 s pass. */
static int group_gone(pid_t pgid)
{
	int64_t until = clock_mono_ms() + 3000;

	do {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) < 0 && errno == ESRCH)
			return 1;
		usleep(10000);
	} while (clock_mono_ms() < until);
	return 0;
}

static void test_timeout_kills_group(void **state)
{
	struct local l;
	struct exec_result res;
	struct exec_opts o = { .timeout_s = 1 };
	int64_t t0, took;
	long pid, pgid;
	char *end;

	/* The killed shell's child goes to us rather than to an init that may not reap it. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	local_open(&l, 0);
	t0 = clock_mono_ms();
	assert_int_equal(run(&l, "echo $$ $(cut -d' ' -f5 /proc/$$/stat); sleep 5; echo never", &o, &res),
			 ERR_TIMEOUT);
	took = clock_mono_ms() - t0;
	assert_string_equal(err_msg(), "local: command timed out after 1s");
	assert_true(took >= 950 && took < 2500);
	assert_true(res.ms >= 950 && res.ms < 2500);
	assert_int_equal(res.status, -1);
	/* What came before the cut is kept: the shell's pid, which leads its own group. */
	pid = strtol(res.out.data, &end, 10);
	pgid = strtol(end, NULL, 10);
	assert_true(pid > 1);
	assert_int_equal(pgid, pid);
	assert_true(pgid != getpgrp());
	assert_true(group_gone((pid_t)pgid));
	assert_null(strstr(res.out.data, "never"));
	exec_result_release(&res);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	local_done(&l);
}

static void test_timeout_default_and_override(void **state)
{
	struct local l;
	struct exec_result res;
	struct exec_opts o = { .timeout_s = 5 };
	int64_t t0;

	local_open(&l, 1);
	t0 = clock_mono_ms();
	assert_int_equal(run(&l, "sleep 5", NULL, &res), ERR_TIMEOUT);
	assert_true(clock_mono_ms() - t0 < 2500);
	assert_contains(err_msg(), "timed out after 1s");
	exec_result_release(&res);
	/* The per-command timeout wins over the executor's. */
	assert_int_equal(run(&l, "sleep 1.5; echo done", &o, &res), 0);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.out.data, "done\n");
	exec_result_release(&res);
	local_done(&l);
}

struct sent_seen {
	uint64_t last;
	size_t calls;
	int monotonic;
};

static void on_sent(uint64_t bytes, void *arg)
{
	struct sent_seen *s = arg;

	if (bytes <= s->last)
		s->monotonic = 0;
	s->last = bytes;
	s->calls++;
}

static void test_stdin_streams_big_file(void **state)
{
	struct local l;
	struct exec_result res;
	struct sent_seen seen = { 0, 0, 1 };
	struct exec_input in;
	struct exec_opts o = { .timeout_s = 30, .input = &in };
	char want[65], line[128];
	int fd = temp_input(BIG_INPUT);

	in = (struct exec_input){ .fd = fd, .len = BIG_INPUT, .sent = on_sent, .arg = &seen };
	sha256_of_fd(fd, BIG_INPUT, want);
	local_open(&l, 0);
	assert_int_equal(run(&l, "sha256sum", &o, &res), 0);
	assert_int_equal(res.status, 0);
	snprintf(line, sizeof(line), "%s  -\n", want);
	assert_string_equal(res.out.data, line);
	assert_int_equal(seen.last, BIG_INPUT);
	assert_true(seen.calls > 1);
	assert_true(seen.monotonic);
	exec_result_release(&res);

	seen = (struct sent_seen){ 0, 0, 1 };
	assert_int_equal(run(&l, "wc -c", &o, &res), 0);
	assert_int_equal(strtol(res.out.data, NULL, 10), BIG_INPUT);
	assert_int_equal(seen.last, BIG_INPUT);
	exec_result_release(&res);

	/* Only LEN bytes go, from offset 0, whatever the descriptor's position. */
	assert_int_equal(lseek(fd, 1000, SEEK_SET), 1000);
	in.len = 10;
	in.sent = NULL;
	assert_int_equal(run(&l, "wc -c", &o, &res), 0);
	assert_int_equal(strtol(res.out.data, NULL, 10), 10);
	exec_result_release(&res);
	close(fd);
	local_done(&l);
}

static void test_stdin_not_read(void **state)
{
	struct local l;
	struct exec_result res;
	struct sent_seen seen = { 0, 0, 1 };
	struct exec_input in;
	struct exec_opts o = { .timeout_s = 20, .input = &in };
	int fd = temp_input(BIG_INPUT);
	int64_t t0;

	in = (struct exec_input){ .fd = fd, .len = BIG_INPUT, .sent = on_sent, .arg = &seen };
	local_open(&l, 0);
	/* SIGPIPE keeps its default action: a write that raised it would end this test. */
	signal(SIGPIPE, SIG_DFL);
	t0 = clock_mono_ms();
	assert_int_equal(run(&l, "true", &o, &res), 0);
	assert_true(clock_mono_ms() - t0 < 5000);
	assert_int_equal(res.status, 0);
	assert_true(seen.last < BIG_INPUT);
	assert_false(sigpipe_pending());
	exec_result_release(&res);

	/* Reads a little, then leaves with most of the input unsent. */
	assert_int_equal(run(&l, "head -c 10 >/dev/null; echo read", &o, &res), 0);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.out.data, "read\n");
	assert_false(sigpipe_pending());
	exec_result_release(&res);

	/* Without input, stdin is /dev/null: cat ends at once. */
	assert_int_equal(run(&l, "cat; echo eof", NULL, &res), 0);
	assert_string_equal(res.out.data, "eof\n");
	exec_result_release(&res);
	in.len = 0;
	assert_int_equal(run(&l, "cat; echo eof", &o, &res), 0);
	assert_string_equal(res.out.data, "eof\n");
	exec_result_release(&res);
	close(fd);
	local_done(&l);
}

static void test_input_shorter_than_len(void **state)
{
	struct local l;
	struct exec_result res;
	struct exec_input in;
	struct exec_opts o = { .timeout_s = 10, .input = &in };
	int fd = temp_input(1000);
	int64_t t0;

	in = (struct exec_input){ .fd = fd, .len = 500000, .sent = NULL, .arg = NULL };
	local_open(&l, 0);
	t0 = clock_mono_ms();
	assert_int_equal(run(&l, "cat >/dev/null; sleep 5", &o, &res), ERR_IO);
	assert_true(clock_mono_ms() - t0 < 3000);
	assert_contains(err_msg(), "local: cannot read the input to send");
	assert_int_equal(res.status, -1);
	exec_result_release(&res);
	close(fd);
	local_done(&l);
}

/* The watch of a conversation: releases the input once "ready" is out, and counts its calls. */
struct talk {
	struct exec_input *in;
	int fd;
	int calls;
	int released;
};

static unsigned on_ready(const struct exec_result *res, void *arg)
{
	struct talk *t = arg;

	t->calls++;
	if (!t->released && res->out.len >= 6 && memcmp(res->out.data, "ready\n", 6) == 0) {
		t->released = 1;
		if (t->fd >= 0) {
			t->in->fd = t->fd;
			t->in->len = 1000;
		}
		return EXEC_WATCH_RELEASE;
	}
	return 0;
}

static void test_conversation(void **state)
{
	struct local l;
	struct exec_result res;
	struct exec_input in = { .head = "go on\n", .head_len = 6, .fd = -1 };
	int fd = temp_input(1000);
	struct talk t = { .in = &in, .fd = fd };
	struct exec_opts o = { .timeout_s = 10, .input = &in, .hold_input = 1, .watch = on_ready, .watch_arg = &t };
	char want[65], line[128];

	(void)state;
	local_open(&l, 0);
	/* Nothing reaches stdin before the command asked: the first read would see "go on". */
	assert_int_equal(run(&l, "echo ready; read -r w; echo \"read $w\"; sha256sum | cut -c1-64", &o, &res), 0);
	assert_int_equal(res.status, 0);
	sha256_of_fd(fd, 1000, want);
	snprintf(line, sizeof(line), "ready\nread go on\n%s\n", want);
	assert_string_equal(res.out.data, line);
	assert_true(t.released);
	assert_true(t.calls >= 2);
	exec_result_release(&res);

	/* Released with nothing to send: the command sees EOF at once. */
	in = (struct exec_input){ .fd = -1 };
	t = (struct talk){ .in = &in, .fd = -1 };
	assert_int_equal(run(&l, "echo ready; if read -r w; then echo \"line $w\"; else echo eof; fi", &o, &res), 0);
	assert_string_equal(res.out.data, "ready\neof\n");
	exec_result_release(&res);
	close(fd);
	local_done(&l);
}

static unsigned on_any_output(const struct exec_result *res, void *arg)
{
	(void)res;
	(*(int *)arg)++;
	return EXEC_WATCH_RESTART;
}

/* A watch that restarts the clock gives each stage its own timeout; without it the whole is cut. */
static void test_watch_restarts_timeout(void **state)
{
	static const char cmd[] = "sleep 0.7; echo a; sleep 0.7; echo b; sleep 0.7; echo c";
	struct local l;
	struct exec_result res;
	int calls = 0;
	struct exec_opts o = { .timeout_s = 1, .watch = on_any_output, .watch_arg = &calls };

	(void)state;
	local_open(&l, 0);
	assert_int_equal(run(&l, cmd, &o, &res), 0);
	assert_string_equal(res.out.data, "a\nb\nc\n");
	assert_true(calls >= 3);
	exec_result_release(&res);
	o.watch = NULL;
	assert_int_equal(run(&l, cmd, &o, &res), ERR_TIMEOUT);
	exec_result_release(&res);
	local_done(&l);
}

static void test_output_capped(void **state)
{
	struct local l;
	struct exec_result res;

	local_open(&l, 0);
	/* Three times the cap on stdout, then a line on stderr: all read, the first cap kept. */
	assert_int_equal(run(&l, "head -c 3145728 /dev/zero; echo end >&2", NULL, &res), 0);
	assert_int_equal(res.status, 0);
	assert_int_equal(res.out.len, EXEC_OUTPUT_MAX);
	assert_true(res.truncated);
	assert_string_equal(res.err.data, "end\n");
	exec_result_release(&res);

	/* A smaller cap set by the caller, on stderr. */
	exec_result_init(&res);
	res.err.max = 100;
	assert_int_equal(l.ex->ops->run(l.s, "seq 1000 >&2; echo ok", NULL, &res), 0);
	assert_int_equal(res.err.len, 100);
	assert_int_equal(memcmp(res.err.data, "1\n2\n3\n", 6), 0);
	assert_string_equal(res.out.data, "ok\n");
	assert_true(res.truncated);
	exec_result_release(&res);

	/* Exactly the cap is not cut. */
	exec_result_init(&res);
	res.out.max = 4;
	assert_int_equal(l.ex->ops->run(l.s, "printf abcd", NULL, &res), 0);
	assert_string_equal(res.out.data, "abcd");
	assert_false(res.truncated);
	exec_result_release(&res);
	local_done(&l);
}

/* Each thread runs commands on its own session with its own input and checks what comes back. */
struct worker {
	struct executor *ex;
	int id;
	int ok;
};

#define WORKERS 8
#define WORKER_RUNS 15

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct exec_session *s = NULL;
	struct target t;
	char cmd[128], want_out[128], want_err[64];
	FILE *f = NULL;
	int run_i, fd;

	w->ok = 0;
	if (target_parse(&t, "local", 5) < 0 || w->ex->ops->connect(w->ex, &t, &s) < 0)
		return NULL;
	if (!(f = tmpfile()))
		goto out;
	fd = fileno(f);
	for (run_i = 0; run_i < WORKER_RUNS; run_i++) {
		struct exec_result res;
		struct exec_input in;
		struct exec_opts o = { .timeout_s = 20, .input = &in };
		int n = snprintf(want_out, sizeof(want_out), "thread %d run %d\n", w->id, run_i);

		if (pwrite(fd, want_out, (size_t)n, 0) != n)
			goto out;
		in = (struct exec_input){ .fd = fd, .len = (uint64_t)n, .sent = NULL, .arg = NULL };
		snprintf(cmd, sizeof(cmd), "cat; echo err %d >&2; exit %d", w->id, w->id + run_i);
		snprintf(want_err, sizeof(want_err), "err %d\n", w->id);
		exec_result_init(&res);
		if (w->ex->ops->run(s, cmd, run_i % 3 == 2 ? NULL : &o, &res) != 0 ||
		    res.status != w->id + run_i || strcmp(res.err.data, want_err) != 0 ||
		    strcmp(res.out.data, run_i % 3 == 2 ? "" : want_out) != 0) {
			fprintf(stderr, "thread %d run %d: status %d out '%s' err '%s'\n", w->id, run_i,
				res.status, res.out.data, res.err.data);
			exec_result_release(&res);
			goto out;
		}
		exec_result_release(&res);
	}
	w->ok = 1;
out:
	if (f)
		fclose(f);
	w->ex->ops->disconnect(s);
	return NULL;
}

static void test_threads(void **state)
{
	struct exec_local_config cfg = { 0 };
	struct executor *ex;
	struct worker w[WORKERS];
	pthread_t th[WORKERS];
	int i;

	assert_int_equal(exec_local_new(&cfg, &ex), 0);
	for (i = 0; i < WORKERS; i++) {
		w[i] = (struct worker){ ex, i, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < WORKERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_true(w[i].ok);
	}
	ex->ops->close(ex);
}

static void test_no_descriptor_leaks(void **state)
{
	struct local l;
	struct exec_result res;
	struct exec_input in;
	struct exec_opts o = { .timeout_s = 1, .input = &in };
	int before, fd = temp_input(200000), stray;

	local_open(&l, 0);
	/* A descriptor the controller left inheritable is not handed to the command. */
	stray = dup2(fd, 100);
	assert_int_equal(stray, 100);
	assert_int_equal(run(&l, "ls /proc/self/fd", NULL, &res), 0);
	assert_string_equal(res.out.data, "0\n1\n2\n3\n");
	exec_result_release(&res);
	close(stray);

	before = count_fds();
	in = (struct exec_input){ .fd = fd, .len = 200000, .sent = NULL, .arg = NULL };
	assert_int_equal(run(&l, "wc -c", &o, &res), 0);
	exec_result_release(&res);
	assert_int_equal(run(&l, "true", &o, &res), 0);
	exec_result_release(&res);
	assert_int_equal(run(&l, "sleep 3", &o, &res), ERR_TIMEOUT);
	exec_result_release(&res);
	assert_int_equal(run(&l, "echo x", NULL, &res), 0);
	exec_result_release(&res);
	assert_int_equal(count_fds(), before);
	close(fd);
	local_done(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_zero),
		cmocka_unit_test(test_exit_nonzero),
		cmocka_unit_test(test_stdout_stderr_apart),
		cmocka_unit_test(test_killed_by_signal),
		cmocka_unit_test(test_timeout_kills_group),
		cmocka_unit_test(test_timeout_default_and_override),
		cmocka_unit_test(test_stdin_streams_big_file),
		cmocka_unit_test(test_stdin_not_read),
		cmocka_unit_test(test_input_shorter_than_len),
		cmocka_unit_test(test_conversation),
		cmocka_unit_test(test_watch_restarts_timeout),
		cmocka_unit_test(test_output_capped),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_no_descriptor_leaks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
