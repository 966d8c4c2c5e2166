/* A bounded pool of threads working through numbered jobs. */
#ifndef CHIMERA_UTIL_POOL_H
#define CHIMERA_UTIL_POOL_H

#include <stddef.h>

typedef void (*pool_job_fn)(size_t index, void *arg);

/*
 * Call FN(i, ARG) for every i in [0, N) on at most PARALLEL threads, and return when all
 * are done. Jobs start in index order. Returns 0, or ERR_IO when not even one thread could
 * be started (then no job ran).
 */
int pool_run(size_t n, int parallel, pool_job_fn fn, void *arg);

#endif
