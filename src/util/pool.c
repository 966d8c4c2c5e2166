/* A bounded pool of threads working through numbered jobs. */
#include "util/pool.h"
#include "util/err.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "util/banned.h"

#define POOL_STACK (1024 * 1024)

struct pool {
	atomic_size_t next;
	size_t n;
	pool_job_fn fn;
	void *arg;
};

static void *pool_worker(void *p)
{
	struct pool *pool = p;
	size_t i;

	while ((i = atomic_fetch_add(&pool->next, 1)) < pool->n)
		pool->fn(i, pool->arg);
	return NULL;
}

int pool_run(size_t n, int parallel, pool_job_fn fn, void *arg)
{
	struct pool pool = { .n = n, .fn = fn, .arg = arg };
	pthread_attr_t attr;
	pthread_t *threads;
	size_t want, started = 0, i;

	atomic_init(&pool.next, 0);
	if (n == 0)
		return 0;
	want = parallel < 1 ? 1 : (size_t)parallel;
	if (want > n)
		want = n;
	if (!(threads = calloc(want, sizeof(*threads))))
		return err_set(ERR_NOMEM, "out of memory");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, POOL_STACK);
	for (i = 0; i < want; i++) {
		if (pthread_create(&threads[i], &attr, pool_worker, &pool) != 0)
			break;
		started++;
	}
	pthread_attr_destroy(&attr);
	if (started == 0) {
		free(threads);
		return err_set(ERR_IO, "cannot start worker threads");
	}
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	return 0;
}
