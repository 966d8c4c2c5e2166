/* What metrics.c and metrics_process.c share: the process figures read from /proc/self. */
#ifndef CHIMERA_API_METRICS_INTERNAL_H
#define CHIMERA_API_METRICS_INTERNAL_H

/* Read once, when the metrics are made. */
struct metrics_process_start {
	double start_time_seconds;	/* since the Unix epoch; 0 when /proc could not be read */
	double ticks;			/* clock ticks a second */
	double page;			/* bytes a page */
};

/* Read at each render; a figure /proc could not give is 0 (max_fds: +Inf when unlimited). */
struct metrics_process {
	double cpu_seconds, resident_bytes, virtual_bytes, open_fds, max_fds, start_time_seconds, threads;
};

void metrics_process_start(struct metrics_process_start *s);
void metrics_process_read(struct metrics_process *p, const struct metrics_process_start *s);

#endif
