/* Growing arrays by doubling. */
#include "util/grow.h"
#include "util/err.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/banned.h"

void *grow_array(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t want;
	void *nv;

	if (n < *cap)
		return v;
	want = *cap ? *cap * 2 : first;
	if (want <= n || want > SIZE_MAX / size || !(nv = realloc(v, want * size))) {
		err_set(ERR_NOMEM, "out of memory");
		return NULL;
	}
	*cap = want;
	return nv;
}
