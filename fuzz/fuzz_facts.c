/* Fuzz target for core/facts: facts_parse, checked field by field and through its own line format. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/facts.h"
#include "core/profile.h"
#include "fuzz.h"
#include "../tests/fixtures/facts_sample.h"
#include "util/buf.h"
#include "util/err.h"

#define QUOTE_LEN 160		/* the parser quotes a line into this many bytes */
#define LOAD_ROUNDTRIP_MAX 1e14	/* larger loads may print with more digits than a load may have */

/* What the facts script (app/facts.c) prints, as the tests and real nodes show it; then near misses. */
const char *const fuzz_seeds[] = {
	FACTS_SAMPLE_DEBIAN,
	"chimera-facts=1\r\nhostname=box\r\nkernel=5.10.0\r\narch=aarch64\r\ncpus=1\r\nmem_total=1000 kB\r\n"
	"uptime=12\r\nload=0.00 0.00 0.00\r\ndisk=/ 100 50 50\r\nnix=\r\nprofile=/nix/var/nix/profiles/system\r\n"
	"end=1\r\n",
	"Welcome to the box!\nmotd=not ours\nchimera-facts=1\nhostname=h\ngpu=none\nprofile=/p/system\n"
	"profile_link=/p/system-12-link\nprofile_target=/nix/store/x\nend=1\nlogout noise\n",
	"chimera-facts=1\nprofile=/nix/var/nix/profiles/system\n"
	"profile_link=/nix/store/abc-system\nprofile_target=/nix/store/abc-system\nend=1\n",
	"chimera-facts=1\nhostname=lab-3\nkernel=6.1.0-28-cloud-amd64\narch=x86_64\nos_id=nixos\n"
	"os_version='24.05'\ncpus=2\nmem_total=4014856 kB\nmem_available=3123456 kB\nuptime=98.02\n"
	"load=1.02 0.51 0.20\ndisk=/ 30830592 1536000 27704576\n"
	"nix=nix-store (Nix) 2.24.10\nprofile=/nix/var/nix/profiles/per-user/root/chimera\n"
	"profile_link=chimera-31-link\nprofile_target=/nix/store/q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6-system\n"
	"session=chimera-deploy-1\nsession=watch\nend=1\n",
	"chimera-facts=1\nos_id=\"opensuse-tumbleweed\"\nos_version=\"20240101\\\"x\\\\\"\nnix=2.18.1\nend=1\n",
	"chimera-facts=1\nend=1\n",
	"\n\nchimera-facts=1\n\n\nend=1",
	/* near misses */
	"",
	"chimera-facts=1\n",
	"chimera-facts=1\nhostname=h\n",
	"chimera-facts=2\nend=1\n",
	"chimera-facts=\nend=1\n",
	"chimera-facts=11\nend=1\n",
	"hostname=h\nend=1\n",
	"chimera-facts=1\nend=2\n",
	"chimera-facts=1\nhostname=a\nhostname=b\nend=1\n",
	"chimera-facts=1\n=x\nend=1\n",
	"chimera-facts=1\nno equals sign\nend=1\n",
	"chimera-facts=1\ncpus=0\nend=1\n",
	"chimera-facts=1\ncpus=-1\nend=1\n",
	"chimera-facts=1\ncpus=1234567890123456\nend=1\n",
	"chimera-facts=1\nmem_total=1000\nend=1\n",
	"chimera-facts=1\nmem_total=1000 MB\nend=1\n",
	"chimera-facts=1\nmem_total=999999999999999 kB\nend=1\n",
	"chimera-facts=1\nmem_total=1000 kB extra\nend=1\n",
	"chimera-facts=1\nuptime=12.\nend=1\n",
	"chimera-facts=1\nuptime=.5\nend=1\n",
	"chimera-facts=1\nuptime=1.1234567890\nend=1\n",
	"chimera-facts=1\nload=0.1 0.2\nend=1\n",
	"chimera-facts=1\nload=0.1 0.2 0.3 0.4\nend=1\n",
	"chimera-facts=1\nload=999999999999999.999999999 0 0\nend=1\n",
	"chimera-facts=1\ndisk=/ 1 2\nend=1\n",
	"chimera-facts=1\ndisk=nix 1 2 3\nend=1\n",
	"chimera-facts=1\ndisk=/ 1 2 3\ndisk=/ 4 5 6\nend=1\n",
	"chimera-facts=1\ndisk=/a 1 2 3\ndisk=/b 1 2 3\ndisk=/c 1 2 3\ndisk=/d 1 2 3\ndisk=/e 1 2 3\n"
	"disk=/f 1 2 3\ndisk=/g 1 2 3\ndisk=/h 1 2 3\ndisk=/i 1 2 3\nend=1\n",
	"chimera-facts=1\nnix=nix-store (Nix) \nend=1\n",
	"chimera-facts=1\nnix=nix-store (Nix) unstable\nend=1\n",
	"chimera-facts=1\nnix=   \nend=1\n",
	"chimera-facts=1\nprofile=relative/system\nend=1\n",
	"chimera-facts=1\nprofile=\nend=1\n",
	"chimera-facts=1\nprofile=/p/system\nprofile_link=system-4294967296-link\nend=1\n",
	"chimera-facts=1\nprofile=/p/system\nprofile_link=/p/system-0-link\nend=1\n",
	"chimera-facts=1\nprofile_target=nix/store/x\nend=1\n",
	"chimera-facts=1\nsession=\nend=1\n",
	"chimera-facts=1\nsession=a\tb\nend=1\n",
	"chimera-facts=1\nhostname=\x01\nend=1\n",
	"chimera-facts=1\nhostname=caf\xc3\xa9\nend=1\n",
	"chimera-facts=1\nos_id=\"\nend=1\n",
	"chimera-facts=1\nos_id='a\nend=1\n",
	"chimera-facts=1\nos_id=\"a\\\"\nend=1\n",
	"chimera-facts=1\nhostname=" FUZZ_X256("h") "\nend=1\n",
	"chimera-facts=1\nos_id=\"" FUZZ_X64("\\\\\\\\") "\"\nend=1\n",
	NULL,
};

static void check_text(const char *what, const char *s, size_t cap)
{
	size_t n = strnlen(s, cap), i;

	FUZZ_CHECK(n < cap, "%s is not NUL-terminated within %zu bytes", what, cap);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f, "%s has control byte 0x%02x", what,
			   (unsigned char)s[i]);
}

static bool is_empty(const struct facts *f)
{
	static struct facts empty;
	static bool ready;

	if (!ready) {
		facts_init(&empty);
		ready = true;
	}
	return memcmp(f, &empty, sizeof(*f)) == 0;
}

/* The header's promises about a parsed F. */
static void check_fields(const struct facts *f)
{
	size_t i, j;

	check_text("hostname", f->hostname, sizeof(f->hostname));
	check_text("os_id", f->os_id, sizeof(f->os_id));
	check_text("os_version", f->os_version, sizeof(f->os_version));
	check_text("kernel", f->kernel, sizeof(f->kernel));
	check_text("arch", f->arch, sizeof(f->arch));
	check_text("nix", f->nix_version, sizeof(f->nix_version));
	check_text("profile", f->profile, sizeof(f->profile));
	check_text("profile_link", f->profile_link, sizeof(f->profile_link));
	check_text("profile_target", f->profile_target, sizeof(f->profile_target));
	FUZZ_CHECK(f->cpus == -1 || f->cpus >= 1, "cpus %lld", (long long)f->cpus);
	FUZZ_CHECK(f->mem_total == -1 || (f->mem_total >= 0 && f->mem_total % 1024 == 0), "mem_total %lld",
		   (long long)f->mem_total);
	FUZZ_CHECK(f->mem_available == -1 || (f->mem_available >= 0 && f->mem_available % 1024 == 0),
		   "mem_available %lld", (long long)f->mem_available);
	FUZZ_CHECK(f->uptime >= -1, "uptime %lld", (long long)f->uptime);
	for (i = 0; i < 3; i++)
		FUZZ_CHECK(f->has_load ? f->load[i] >= 0 && isfinite(f->load[i]) : f->load[i] == 0, "load[%zu] %g", i,
			   f->load[i]);
	FUZZ_CHECK(f->ndisks <= FACTS_DISKS_MAX, "%zu disks", f->ndisks);
	for (i = 0; i < f->ndisks; i++) {
		const struct facts_disk *d = &f->disks[i];

		check_text("disk path", d->path, sizeof(d->path));
		FUZZ_CHECK(d->path[0] == '/' && !strchr(d->path, ' '), "disk path '%s'", d->path);
		FUZZ_CHECK(d->size >= 0 && d->used >= 0 && d->avail >= 0 && d->size % 1024 == 0 &&
			   d->used % 1024 == 0 && d->avail % 1024 == 0, "disk '%s' sizes", d->path);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(d->path, f->disks[j].path) != 0, "disk '%s' twice", d->path);
	}
	FUZZ_CHECK(!f->nix_version[0] || (f->nix_version[0] >= '0' && f->nix_version[0] <= '9' &&
					  !strchr(f->nix_version, ' ')), "nix version '%s'", f->nix_version);
	FUZZ_CHECK(!f->profile[0] || f->profile[0] == '/', "profile '%s'", f->profile);
	FUZZ_CHECK(!f->profile_target[0] || f->profile_target[0] == '/', "profile_target '%s'", f->profile_target);
	if (f->profile[0] && f->profile_link[0]) {
		const char *base = strrchr(f->profile, '/') + 1;

		FUZZ_CHECK(f->generation == profile_link_generation(base, f->profile_link, strlen(f->profile_link)),
			   "generation %u for '%s' -> '%s'", f->generation, f->profile, f->profile_link);
	} else {
		FUZZ_CHECK(f->generation == 0, "generation %u without a profile and its link", f->generation);
	}
	FUZZ_CHECK(f->nsessions <= FACTS_SESSIONS_MAX, "%zu sessions", f->nsessions);
	FUZZ_CHECK((f->nsessions == 0) == (f->sessions == NULL), "%zu sessions at %p", f->nsessions,
		   (void *)f->sessions);
	for (i = 0; i < f->nsessions; i++) {
		check_text("session", f->sessions[i], FACTS_TEXT_MAX);
		FUZZ_CHECK(f->sessions[i][0] != '\0', "session %zu is empty", i);
	}
}

static bool load_close(double a, double b)
{
	return fabs(a - b) <= 1e-6 * (fabs(a) > 1 ? fabs(a) : 1);
}

/* A and B hold the same facts; loads within rounding when LOAD_EXACT is false. */
static void check_same(const struct facts *a, const struct facts *b, bool load_exact, const char *how)
{
	size_t i;

	FUZZ_CHECK(!strcmp(a->hostname, b->hostname) && !strcmp(a->os_id, b->os_id) &&
		   !strcmp(a->os_version, b->os_version) && !strcmp(a->kernel, b->kernel) &&
		   !strcmp(a->arch, b->arch) && !strcmp(a->nix_version, b->nix_version) &&
		   !strcmp(a->profile, b->profile) && !strcmp(a->profile_link, b->profile_link) &&
		   !strcmp(a->profile_target, b->profile_target), "%s: a text field differs", how);
	FUZZ_CHECK(a->cpus == b->cpus && a->mem_total == b->mem_total && a->mem_available == b->mem_available &&
		   a->uptime == b->uptime && a->generation == b->generation, "%s: a number differs", how);
	FUZZ_CHECK(a->has_load == b->has_load, "%s: has_load differs", how);
	for (i = 0; i < 3; i++)
		FUZZ_CHECK(load_exact ? a->load[i] == b->load[i] : load_close(a->load[i], b->load[i]),
			   "%s: load[%zu] %.17g, then %.17g", how, i, a->load[i], b->load[i]);
	FUZZ_CHECK(a->ndisks == b->ndisks, "%s: %zu disks, then %zu", how, a->ndisks, b->ndisks);
	for (i = 0; i < a->ndisks; i++)
		FUZZ_CHECK(!strcmp(a->disks[i].path, b->disks[i].path) && a->disks[i].size == b->disks[i].size &&
			   a->disks[i].used == b->disks[i].used && a->disks[i].avail == b->disks[i].avail,
			   "%s: disk %zu differs", how, i);
	FUZZ_CHECK(a->nsessions == b->nsessions, "%s: %zu sessions, then %zu", how, a->nsessions, b->nsessions);
	for (i = 0; i < a->nsessions; i++)
		FUZZ_CHECK(!strcmp(a->sessions[i], b->sessions[i]), "%s: session %zu differs", how, i);
}

/* An os-release value in double quotes, escaped as the parser unescapes it. */
static void put_os(struct buf *b, const char *key, const char *v)
{
	if (!v[0])
		return;
	buf_printf(b, "%s=\"", key);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *v);
	}
	buf_adds(b, "\"\n");
}

static void put_text(struct buf *b, const char *key, const char *v)
{
	if (v[0])
		buf_printf(b, "%s=%s\n", key, v);
}

/* F in the script's line format, so that parsing it gives F again. */
static void format_facts(const struct facts *f, struct buf *b, bool *with_load)
{
	size_t i;

	buf_adds(b, "chimera-facts=1\n");
	put_text(b, "hostname", f->hostname);
	put_text(b, "kernel", f->kernel);
	put_text(b, "arch", f->arch);
	put_os(b, "os_id", f->os_id);
	put_os(b, "os_version", f->os_version);
	if (f->cpus >= 0)
		buf_printf(b, "cpus=%lld\n", (long long)f->cpus);
	if (f->mem_total >= 0)
		buf_printf(b, "mem_total=%lld kB\n", (long long)(f->mem_total / 1024));
	if (f->mem_available >= 0)
		buf_printf(b, "mem_available=%lld kB\n", (long long)(f->mem_available / 1024));
	if (f->uptime >= 0)
		buf_printf(b, "uptime=%lld\n", (long long)f->uptime);
	*with_load = f->has_load && f->load[0] < LOAD_ROUNDTRIP_MAX && f->load[1] < LOAD_ROUNDTRIP_MAX &&
		     f->load[2] < LOAD_ROUNDTRIP_MAX;
	if (*with_load)
		buf_printf(b, "load=%.9f %.9f %.9f\n", f->load[0], f->load[1], f->load[2]);
	for (i = 0; i < f->ndisks; i++)
		buf_printf(b, "disk=%s %lld %lld %lld\n", f->disks[i].path, (long long)(f->disks[i].size / 1024),
			   (long long)(f->disks[i].used / 1024), (long long)(f->disks[i].avail / 1024));
	if (f->nix_version[0])
		buf_printf(b, "nix=nix-store (Nix) %s\n", f->nix_version);
	put_text(b, "profile", f->profile);
	put_text(b, "profile_link", f->profile_link);
	put_text(b, "profile_target", f->profile_target);
	for (i = 0; i < f->nsessions; i++)
		buf_printf(b, "session=%s\n", f->sessions[i]);
	buf_adds(b, "end=1\n");
}

/* Line NUM of S (1-based, as the parser counts, without its '\r'); false when there is none. */
static bool find_line(const char *s, size_t len, int num, const char **line, size_t *n)
{
	const char *p = s, *end = s + len, *nl;
	int i;

	for (i = 1; p < end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		*line = p;
		*n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl ? nl + 1 : end;
		if (i == num) {
			if (*n && (*line)[*n - 1] == '\r')
				(*n)--;
			return true;
		}
	}
	return false;
}

/* True when S has a line (without its '\r') starting with PREFIX, whole when EXACT. */
static bool has_line(const char *s, size_t len, const char *prefix, bool exact)
{
	const char *line;
	size_t n, k = strlen(prefix);
	int i;

	for (i = 1; find_line(s, len, i, &line, &n); i++)
		if (n >= k && memcmp(line, prefix, k) == 0 && (!exact || n == k))
			return true;
	return false;
}

static void check_failure(const char *s, size_t len, int r)
{
	const char *msg = err_msg(), *line;
	char q[QUOTE_LEN], want[QUOTE_LEN + 32];
	size_t n;
	int num;

	fuzz_check_failure("facts_parse", r, true);
	if (sscanf(msg, "facts line %d '", &num) == 1) {
		FUZZ_CHECK(find_line(s, len, num, &line, &n), "message names line %d of a shorter input", num);
		err_quote(q, sizeof(q), line, n);
		snprintf(want, sizeof(want), "facts line %d '%s': ", num, q);
		FUZZ_CHECK(strncmp(msg, want, strlen(want)) == 0, "message \"%s\" does not start \"%s\"", msg, want);
		FUZZ_CHECK(has_line(s, len, "chimera-facts=", false), "a bad line but no header line");
	} else if (strncmp(msg, "no 'chimera-facts=1' line in the output (", 41) == 0) {
		FUZZ_CHECK(r == ERR_INVALID && !has_line(s, len, "chimera-facts=", false),
			   "no header reported, but the input has one");
	} else {
		FUZZ_CHECK(sscanf(msg, "facts output ends after line %d without its 'end=1' line", &num) == 1 &&
			   r == ERR_INVALID, "message \"%s\" names no line", msg);
		FUZZ_CHECK(has_line(s, len, "chimera-facts=1", true), "cut short, but there is no header");
		FUZZ_CHECK(!find_line(s, len, num + 1, &line, &n), "cut short after line %d of more", num);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct facts used;
	static bool used_ready;
	const char *s = (const char *)data;
	struct facts f, g;
	struct buf text = BUF_INIT(0);
	bool with_load;
	int r, r2;

	fuzz_begin(data, size);
	if (!used_ready) {
		facts_init(&used);
		used_ready = true;
	}
	facts_init(&f);
	fuzz_err_mark();
	r = facts_parse(s, size, &f);
	/* F is released first: parsing over an earlier result gives the same. */
	r2 = facts_parse(fuzz_seeds[0], strlen(fuzz_seeds[0]), &used);
	FUZZ_CHECK(r2 == 0 && used.nsessions == 2, "the first seed does not parse: %s", err_msg());
	fuzz_err_mark();
	r2 = facts_parse(s, size, &used);
	FUZZ_CHECK(r2 == r, "over an earlier result: %d, fresh: %d", r2, r);
	if (r < 0) {
		check_failure(s, size, r);
		FUZZ_CHECK(is_empty(&f) && is_empty(&used), "a failed parse left facts behind");
		return 0;
	}
	FUZZ_CHECK(r == 0, "facts_parse returned %d", r);
	FUZZ_CHECK(has_line(s, size, "chimera-facts=1", true) && has_line(s, size, "end=1", true),
		   "parsed without its header or end line");
	check_fields(&f);
	check_same(&f, &used, true, "over an earlier result");
	facts_release(&used);
	/* Written out in the script's format and read back, the facts are the same. */
	format_facts(&f, &text, &with_load);
	facts_init(&g);
	r = facts_parse(text.data, text.len, &g);
	FUZZ_CHECK(r == 0, "the facts written out do not parse: %s", err_msg());
	if (!with_load) {
		memcpy(g.load, f.load, sizeof(g.load));
		g.has_load = f.has_load;
	}
	check_same(&f, &g, false, "written out and read back");
	facts_release(&g);
	facts_release(&f);
	buf_release(&text);
	FUZZ_CHECK(is_empty(&f), "facts_release left facts behind");
	return 0;
}
