/* Child processes: find programs on PATH, run them and collect their output. */
#ifndef CHIMERA_UTIL_PROC_H
#define CHIMERA_UTIL_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"

/*
 * Find NAME on $PATH (the usual system directories when PATH is unset). Writes the absolute path into OUT.
 * Only absolute PATH entries and executable regular files count. Returns 0, ERR_NOTFOUND,
 * or ERR_INVALID for an empty name or one with a '/'.
 */
int proc_which(const char *name, char *out, size_t outlen);

/*
 * Run ARGV (argv[0] an absolute path) with stdin from /dev/null and stdout and stderr
 * into OUT (may be NULL to discard; capped by OUT's max). Waits for it. *STATUS gets the
 * exit code, or 128 + signal. Returns 0 when it ran, ERR_IO when it could not start.
 */
int proc_run(char *const argv[], struct buf *out, int *status);

/*
 * Like proc_run, with stdout and stderr apart: stdout goes to the file descriptor OUT_FD
 * when it is >= 0, else into OUT (NULL to discard); stderr into ERR (NULL to discard).
 * Both buffers keep what fits under their max.
 */
int proc_run_split(char *const argv[], int out_fd, struct buf *out, struct buf *err, int *status);

/* Called with each piece of a child's output as it is read (any size, not cut at lines). */
typedef void (*proc_chunk_fn)(const char *data, size_t len, void *arg);

/*
 * Like proc_run_split with stdout into OUT: stderr goes to ON_ERR (with ARG) as it comes,
 * while the child runs, and, when the program could not be run (127, nothing on stderr),
 * "cannot run 'ARGV0'\n" once.
 */
int proc_run_stream(char *const argv[], struct buf *out, proc_chunk_fn on_err, void *arg, int *status);

/*
 * Start ARGV (ARGV[0] a path) detached: its own session and process group, stdin /dev/null, stdout and stderr
 * appended to LOG, not a child of this process (it is forked twice, so nothing here has to
 * reap it). *PID its pid. Returns 0, or ERR_IO naming what failed (the log, a fork); a
 * program that cannot be run exits 127 at once.
 */
int proc_spawn_detached(char *const argv[], const char *log, pid_t *pid);

/* True when PID exists and is not a zombie. */
bool proc_alive(pid_t pid);

/*
 * PID's start time (field 22 of /proc/PID/stat: clock ticks after boot) into *START, so a
 * pid reused by another process is told apart. Returns 0, or ERR_NOTFOUND (*START 0) when
 * there is no such process, or only its zombie.
 */
int proc_start_time(pid_t pid, int64_t *start);

#endif
