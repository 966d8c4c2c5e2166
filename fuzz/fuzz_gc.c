/* Fuzz target for remote/gc: what a node answers to nix gc's probe and to its collect and dry-run commands, of any bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"
#include "fuzz.h"
#include "remote/gc.h"
#include "util/buf.h"
#include "util/err.h"

#define SP "/nix/store/0c5b8vw40dy178xlpddw65q9gf1h2186-hello-2"
#define DM "/nix/var/chimera/deadman/01J9ZK3M4N5P6Q7R8S9T0V1W2X.a1B2c3D4e5"

/* What the probe, the collect and the dry run print, then near misses. */
const char *const fuzz_seeds[] = {
	"",
	REMOTE_GC_NOW " 1700000000\nlink system-2-link\npath " SP "\ngen 1 1699990000 " SP "\ngen 2 1699999000 " SP
	"\n" REMOTE_GC_DEADMAN "\ndeadman " DM "\nop 01J9ZK3M4N5P6Q7R8S9T0V1W2X\npath " SP
	"\nprofile /nix/var/nix/profiles/system\ngen 1\ndeadline 1700000300\npid 77\nalive\nnow " SP "\nend\n",
	REMOTE_GC_NOW " 5\n" REMOTE_GC_DEADMAN "\n",
	"chimera-gc-deleted\nchimera-gc-dead 4 442368\n4 store paths deleted, 0.38 MiB freed\nchimera-gc-removed 4\n"
	"chimera-gc-freed 4 442368\nchimera-gc-done\n",
	"chimera-gc-dead 3\nchimera-gc-done\n",
	"1 store path deleted, 12 B freed\n",
	"7 store paths deleted, 1.000001 TiB freed\n",
	/* near misses */
	REMOTE_GC_NOW " 17x\n" REMOTE_GC_DEADMAN "\n",
	REMOTE_GC_NOW " 1\ngen 1 1 " SP "\n",
	REMOTE_GC_NOW " 1\n" REMOTE_GC_DEADMAN "\ndeadman " DM "\n",
	"chimera-gc-dead 1 2 3\n",
	"chimera-gc-freed 1\n",
	"chimera-gc-removed " FUZZ_X64("9") "\n",
	"4 store paths deleted, .38 MiB freed\n",
	"99999999999999999999 store paths deleted, 9999999.999999 TiB freed\n",
	NULL,
};

static void fuzz_probe(const struct buf *out)
{
	struct remote_deadman sw[4];
	struct gen_list g;
	int64_t now = 7;
	size_t n = 99, i;
	int r;

	fuzz_err_mark();
	r = remote_gc_probe_parse(out, "system", &now, &g, sw, 4, &n);
	if (r < 0) {
		fuzz_check_failure("remote_gc_probe_parse", r, false);
		FUZZ_CHECK(now == 0 && n == 0 && g.n == 0 && !g.items, "a failed parse left something behind");
		return;
	}
	FUZZ_CHECK(now >= 0 && now < 1000000000000LL, "clock %lld", (long long)now);
	FUZZ_CHECK(n <= 4, "%zu switches", n);
	for (i = 0; i < g.n; i++) {
		FUZZ_CHECK(g.items[i].num > 0, "generation 0");
		FUZZ_CHECK(i == 0 || g.items[i].num >= g.items[i - 1].num, "generations out of order");
		FUZZ_CHECK(storepath_valid(g.items[i].path, strlen(g.items[i].path)), "path '%s'", g.items[i].path);
	}
	gen_list_release(&g);
}

static void fuzz_result(const struct buf *out)
{
	struct remote_gc_result r;
	int rc;

	fuzz_err_mark();
	rc = remote_gc_result_parse(out, &r);
	if (rc < 0) {
		fuzz_check_failure("remote_gc_result_parse", rc, false);
		FUZZ_CHECK(fuzz_all_zero(&r, sizeof(r)), "a failed parse left a result behind");
		FUZZ_CHECK(strncmp(err_msg(), "gc output line ", 15) == 0, "message \"%s\"", err_msg());
		return;
	}
	FUZZ_CHECK(r.measured || (!r.dead_paths && !r.dead_bytes && !r.dead_bytes_known), "dead counts without the line");
	FUZZ_CHECK(r.nix_summary || (!r.nix_paths && !r.nix_bytes), "Nix's figures without its line");
	FUZZ_CHECK(r.counted || !r.removed, "a removed count without its line");
	FUZZ_CHECK(r.freed || (!r.freed_paths && !r.freed_bytes), "freed figures without their line");
}

/* Every line on its own through the summary parser: read or not, never more than it says. */
static void fuzz_summary(const struct buf *out)
{
	const char *p = out->data, *end = out->data + out->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		uint64_t paths = 9, bytes = 9;
		int r = remote_gc_summary_parse(p, len, &paths, &bytes);

		FUZZ_CHECK(r == 0 || r == 1, "returned %d", r);
		FUZZ_CHECK(r == 1 || (paths == 0 && bytes == 0), "a line not read left numbers");
		FUZZ_CHECK(r == 0 || (len > 0 && p[0] >= '0' && p[0] <= '9'), "read a line not starting with a count");
		p = nl ? nl + 1 : end;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT(0);

	fuzz_begin(data, size);
	buf_add(&out, (const char *)data, size);
	fuzz_probe(&out);
	fuzz_result(&out);
	fuzz_summary(&out);
	buf_release(&out);
	return 0;
}
