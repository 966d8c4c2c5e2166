/* Fuzz target for remote/closure: remote_closure_parse of any bytes as a node's answer. */
#include <stdio.h>
#include <string.h>

#include "core/storepath.h"
#include "fuzz.h"
#include "remote/closure.h"
#include "util/err.h"

#define P1 "/nix/store/ll7vishp6x7swpxc8wfa5zayff99fzkx-libdep-1.0"
#define P2 "/nix/store/i0faw047fsdm0f5j0y5zyh4d10d2llmg-app-1"

const char *const fuzz_seeds[] = {
	P1 "\n" P2 "\n" REMOTE_SIZES_MARK "\n288\n392\n",
	P1 "\n" REMOTE_SIZES_MARK "\n288",
	REMOTE_SIZES_MARK "\n",
	/* near misses */
	"",
	P1 "\n",
	P1 "\n" REMOTE_SIZES_MARK "\n",
	P1 "\n" REMOTE_SIZES_MARK "\n288\n1\n",
	P1 "\n" REMOTE_SIZES_MARK "\n-1\n",
	P1 "\n" REMOTE_SIZES_MARK "\n99999999999999999999\n",
	"/nix/store/short\n" REMOTE_SIZES_MARK "\n1\n",
	P1 "\n\n" REMOTE_SIZES_MARK "\n1\n",
	NULL,
};

struct seen {
	size_t n;
	uint64_t total;
};

static int on_path(const char *path, uint64_t nar_size, void *arg)
{
	struct seen *s = arg;

	FUZZ_CHECK(storepath_valid(path, strlen(path)), "'%s' handed on, not a store path", path);
	FUZZ_CHECK(nar_size <= 9999999999999999999ull, "size %llu", (unsigned long long)nar_size);
	s->n++;
	s->total += nar_size;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0 };
	const char *p = (const char *)data, *end = p + size;
	size_t before = 0;
	int r;

	fuzz_begin(data, size);
	fuzz_err_mark();
	r = remote_closure_parse((const char *)data, size, on_path, &s);
	if (r < 0) {
		fuzz_check_failure("remote_closure_parse", r, false);
		FUZZ_CHECK(s.n == 0, "a failed parse handed %zu paths on", s.n);
		FUZZ_CHECK(strncmp(err_msg(), "the node's closure", 18) == 0, "message \"%s\"", err_msg());
		return 0;
	}
	FUZZ_CHECK(r == 0, "returned %d", r);
	/* As many paths handed on as lines before the mark. */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n == strlen(REMOTE_SIZES_MARK) && memcmp(p, REMOTE_SIZES_MARK, n) == 0)
			break;
		before++;
		p += n + 1;
	}
	FUZZ_CHECK(s.n == before, "%zu paths handed on for %zu lines", s.n, before);
	return 0;
}
