/* Replay driver: runs a fuzz target on its seeds, then on deterministic mutations of them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#define FUZZ_NAME "fuzz"
#endif

#define DEFAULT_ITERATIONS 20000
#define DEFAULT_SEED 0x9e3779b97f4a7c15ull
#define MAX_STACK 4		/* most mutations applied to one input */

/* Bytes that tend to matter to parsers, shells and UTF-8 decoders. */
static const uint8_t interesting[] = {
	0x00, ' ', '\t', '\n', ';', '$', '`', '"', '\\', '@', ':', '[', ']', '.', '/', '#',
	'?', '=', '%', 0x7f, 0x80, 0xc2, 0xd0, 0xef, 0xff,
};

struct input {
	uint8_t b[FUZZ_MAX_LEN];
	size_t n;
};

static uint64_t rng_state;

/* xorshift64: small, fast and the same on every machine. */
static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return x;
}

/* A number in [0, N); 0 when N is 0. */
static size_t below(size_t n)
{
	return n == 0 ? 0 : (size_t)(rng() % n);
}

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static size_t seed_count(void)
{
	size_t n = 0;

	while (fuzz_seeds[n] != NULL)
		n++;
	return n;
}

static void load_seed(struct input *in, size_t i)
{
	in->n = min_size(strlen(fuzz_seeds[i]), FUZZ_MAX_LEN);
	memcpy(in->b, fuzz_seeds[i], in->n);
}

/* A byte to put in: mostly from the interesting set, sometimes any byte. */
static uint8_t pick_byte(void)
{
	if (below(4) == 0)
		return (uint8_t)rng();
	return interesting[below(sizeof(interesting))];
}

static void m_flip(struct input *in)
{
	if (in->n > 0)
		in->b[below(in->n)] ^= (uint8_t)(1u << below(8));
}

/* Replace a byte; half the time with one from elsewhere in the input, same alphabet. */
static void m_replace(struct input *in)
{
	if (in->n == 0)
		return;
	if (below(2) == 0)
		in->b[below(in->n)] = in->b[below(in->n)];
	else
		in->b[below(in->n)] = pick_byte();
}

/* Swap a run of digits for a number near a limit: ports, counts, 32-bit values. */
static void m_number(struct input *in)
{
	static const char *const numbers[] = {
		"0", "1", "9", "10", "00", "01", "-1", "255", "256", "65535", "65536", "99999",
		"100000", "2147483647", "2147483648", "4294967295", "4294967296",
		"9223372036854775807", "9223372036854775808", "18446744073709551616",
	};
	const char *num = numbers[below(sizeof(numbers) / sizeof(numbers[0]))];
	size_t start, end, k = strlen(num), i;

	for (i = 0, start = below(in->n); i < in->n; i++, start = (start + 1) % in->n) {
		if (in->b[start] >= '0' && in->b[start] <= '9')
			break;
	}
	if (i == in->n || in->n + k > FUZZ_MAX_LEN)
		return;
	while (start > 0 && in->b[start - 1] >= '0' && in->b[start - 1] <= '9')
		start--;
	for (end = start; end < in->n && in->b[end] >= '0' && in->b[end] <= '9'; end++)
		;
	memmove(in->b + start + k, in->b + end, in->n - end);
	memcpy(in->b + start, num, k);
	in->n = in->n - (end - start) + k;
}

static void m_insert(struct input *in)
{
	size_t pos, k, i;

	if (in->n >= FUZZ_MAX_LEN)
		return;
	pos = below(in->n + 1);
	k = min_size(1 + below(3), FUZZ_MAX_LEN - in->n);
	memmove(in->b + pos + k, in->b + pos, in->n - pos);
	for (i = 0; i < k; i++)
		in->b[pos + i] = pick_byte();
	in->n += k;
}

static void m_delete(struct input *in)
{
	size_t pos, k;

	if (in->n == 0)
		return;
	pos = below(in->n);
	k = 1 + below(min_size(in->n - pos, 8));
	memmove(in->b + pos, in->b + pos + k, in->n - pos - k);
	in->n -= k;
}

static void m_truncate(struct input *in)
{
	in->n = below(in->n + 1);
}

/* Copy a chunk of the input and insert it somewhere else in it. */
static void m_duplicate(struct input *in)
{
	uint8_t chunk[FUZZ_MAX_LEN];
	size_t from, k, pos;

	if (in->n == 0 || in->n >= FUZZ_MAX_LEN)
		return;
	from = below(in->n);
	k = min_size(1 + below(in->n - from), FUZZ_MAX_LEN - in->n);
	memcpy(chunk, in->b + from, k);
	pos = below(in->n + 1);
	memmove(in->b + pos + k, in->b + pos, in->n - pos);
	memcpy(in->b + pos, chunk, k);
	in->n += k;
}

/* Keep a prefix of the input and append a suffix of another seed. */
static void m_splice(struct input *in, size_t nseeds)
{
	struct input other;
	size_t cut, from, k;

	load_seed(&other, below(nseeds));
	cut = below(in->n + 1);
	from = below(other.n + 1);
	k = min_size(other.n - from, FUZZ_MAX_LEN - cut);
	memcpy(in->b + cut, other.b + from, k);
	in->n = cut + k;
}

static void mutate(struct input *in, size_t nseeds)
{
	/* Half the inputs get one mutation, so many stay close to a valid seed. */
	size_t i, rounds = below(2) ? 1 : 1 + below(MAX_STACK);

	for (i = 0; i < rounds; i++) {
		switch (below(8)) {
		case 0: m_flip(in); break;
		case 1: m_replace(in); break;
		case 2: m_insert(in); break;
		case 3: m_delete(in); break;
		case 4: m_truncate(in); break;
		case 5: m_duplicate(in); break;
		case 6: m_number(in); break;
		default: m_splice(in, nseeds); break;
		}
	}
}

/* Run the target on an exact-size heap copy, so reading past the end is caught. */
static void run(const uint8_t *p, size_t n)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);

	if (copy == NULL) {
		fputs(FUZZ_NAME ": out of memory\n", stderr);
		exit(1);
	}
	memcpy(copy, p, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
}

static int run_file(const char *path)
{
	static uint8_t data[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, FUZZ_NAME ": cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(data, 1, sizeof(data), f);
	fclose(f);
	run(data, n);
	return 0;
}

static int write_seeds(const char *dir)
{
	char path[4096];
	size_t i;
	FILE *f;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, FUZZ_NAME ": cannot create '%s': %s\n", dir, strerror(errno));
		return 1;
	}
	for (i = 0; fuzz_seeds[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/seed-%03zu", dir, i);
		if ((f = fopen(path, "wb")) == NULL ||
		    fwrite(fuzz_seeds[i], 1, strlen(fuzz_seeds[i]), f) != strlen(fuzz_seeds[i]) ||
		    fclose(f) != 0) {
			fprintf(stderr, FUZZ_NAME ": cannot write '%s'\n", path);
			return 1;
		}
	}
	printf(FUZZ_NAME ": wrote %zu seeds to %s\n", i, dir);
	return 0;
}

static void usage(FILE *to)
{
	fputs("usage: " FUZZ_NAME "_replay [--iterations N] [--seed S] [FILE...]\n"
	    "       " FUZZ_NAME "_replay --write-seeds DIR\n"
	    "Runs every seed, then N mutated inputs (default 20000) from PRNG seed S;\n"
	    "with FILEs, runs just those inputs (libFuzzer crash files, say).\n", to);
}

static int parse_number(const char *s, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno != 0 || end == s || *end != '\0' || s[0] == '-' ? -1 : 0;
}

int main(int argc, char **argv)
{
	static struct input in;
	unsigned long long iterations = DEFAULT_ITERATIONS, seed = DEFAULT_SEED, i;
	unsigned long count = 0;
	size_t nseeds = seed_count(), k;
	int a, files = 0;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--iterations") == 0 && a + 1 < argc) {
			if (parse_number(argv[++a], &iterations) != 0)
				goto bad;
		} else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc) {
			if (parse_number(argv[++a], &seed) != 0)
				goto bad;
		} else if (strcmp(argv[a], "--write-seeds") == 0 && a + 1 < argc) {
			return write_seeds(argv[a + 1]);
		} else if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (argv[a][0] == '-') {
			goto bad;
		} else {
			if (run_file(argv[a]) != 0)
				return 1;
			count++;
			files = 1;
		}
	}
	if (files)
		goto done;
	if (nseeds == 0) {
		fputs(FUZZ_NAME ": no seeds\n", stderr);
		return 1;
	}
	rng_state = seed != 0 ? seed : DEFAULT_SEED;
	for (k = 0; k < nseeds; k++) {
		load_seed(&in, k);
		run(in.b, in.n);
		count++;
	}
	for (i = 0; i < iterations; i++) {
		/* Mostly start again from a seed; sometimes keep mutating the last input. */
		if (i == 0 || below(4) != 0)
			load_seed(&in, below(nseeds));
		mutate(&in, nseeds);
		run(in.b, in.n);
		count++;
	}
done:
	printf(FUZZ_NAME ": %lu inputs, 0 failures\n", count);
	return 0;
bad:
	usage(stderr);
	return 2;
}
