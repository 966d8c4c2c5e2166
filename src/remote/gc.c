/* Garbage collection on a node: the probe, deleting generations and collecting, the dry run, and their output read back. */
#include "remote/gc.h"
#include "remote/nix.h"
#include "util/err.h"
#include "util/shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

/* A failed step's last lines on stderr, and its status as the command's. */
#define FAIL_TAIL "|| { s=$?; tail -n 20 \"$t/err\" >&2; exit $s; }\n"

/*
 * The shell function that prints "chimera-gc-dead PATHS BYTES" for the list of paths in
 * file $1: BYTES as du counts the disk they hold, one du for them all (so a hard link counts
 * once, at its first path), each path's share kept in $t/sizes ("BYTES<tab>PATH"); BYTES
 * left out when du printed nothing.
 */
#define MEASURE                                                                                              \
	"m() { mn=0; mb=0; : >\"$t/sizes\"; if [ -s \"$1\" ]; then mn=$(wc -l <\"$1\"); tr '\\n' '\\0' <\"$1\" |" \
	" du -s -B1 --files0-from=- >\"$t/sizes\" 2>/dev/null; mb=;"                                           \
	" while read -r z q; do mb=$((${mb:-0} + z)); done <\"$t/sizes\"; fi;"                                  \
	" printf 'chimera-gc-dead %s%s\\n' $((mn)) \"${mb:+ $mb}\"; }\n"

/*
 * $t/dead: what the collector takes, judged by the roots rather than by the moment. The
 * closures of the generations going ($t/gone) and what Nix calls dead now, less the closures
 * of every root but the links in $G and the runtime ones (a process holding a store path
 * open: on lab nodes, which share /proc, another node's du or collector). --print-dead alone
 * misses a path such a process holds for that instant, which the collector then deletes
 * unmeasured; one held through the collection stays, and the freed figure leaves it out.
 */
#define DEAD                                                                                                 \
	"nix-store --gc --print-roots >\"$t/roots\" 2>\"$t/err\" " FAIL_TAIL                                     \
	"while IFS= read -r r; do k=${r%% -> *}; case \"$k\" in /proc/*|'{'*) continue;; esac;"                 \
	" case \"$G\n\" in *\"\n$k\n\"*) continue;; esac; printf '%s\\n' \"${r##* -> }\";"                     \
	" done <\"$t/roots\" >\"$t/keep\"\n"                                                                     \
	"xargs -r nix-store -qR <\"$t/keep\" >\"$t/live\" 2>\"$t/err\" " FAIL_TAIL                               \
	"{ xargs -r nix-store -qR <\"$t/gone\" && nix-store --gc --print-dead; } >\"$t/cand\" 2>\"$t/err\" "      \
	FAIL_TAIL "sort -u \"$t/live\" >\"$t/l\" && sort -u \"$t/cand\" >\"$t/c\" &&"                            \
	" comm -23 \"$t/c\" \"$t/l\" >\"$t/dead\" || exit $?\n"

/* After the collector: "chimera-gc-freed PATHS BYTES" for the measured paths that are gone, when any were measured. */
#define FREED                                                                                                \
	"if [ -s \"$t/sizes\" ]; then fn=0; fb=0; while read -r z q; do [ -e \"$q\" ] ||"                      \
	" { fn=$((fn + 1)); fb=$((fb + z)); }; done <\"$t/sizes\"; printf 'chimera-gc-freed %s %s\\n' $fn $fb; fi\n"

/*
 * A dead path the collector left was in use at that moment (a runtime root: some process had
 * it open); once, a second later, the collector runs again for what is dead then.
 */
#define AGAIN                                                                                                \
	"if [ $s -eq 0 ] && [ -s \"$t/sizes\" ]; then k=; while read -r z q; do [ -e \"$q\" ] && k=1; done"    \
	" <\"$t/sizes\"; if [ -n \"$k\" ]; then sleep 1; nix-store --gc >\"$t/out\" 2>>\"$t/err\"; s=$?;"          \
	" cat \"$t/out\"; fi; fi\n"

static int add_profile(struct buf *cmd, const char *profile)
{
	if (buf_adds(cmd, "export LC_ALL=C; p=") < 0 || shell_quote(cmd, profile) < 0 ||
	    buf_adds(cmd, "; d=${p%/*}; b=${p##*/}\n"
			  "t=$(mktemp -d) || exit 1; trap 'rm -rf \"$t\"' EXIT\n" MEASURE) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int add_gens(struct buf *cmd, const uint32_t *gens, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (buf_printf(cmd, " %u", gens[i]) < 0)
			return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* G: the links of generations GENS, one a line; $t/gone: their store paths (read before any goes). */
static int add_gone(struct buf *cmd, const uint32_t *gens, size_t n)
{
	if (buf_adds(cmd, ": >\"$t/gone\"; G=; for n in") < 0 || add_gens(cmd, gens, n) < 0 ||
	    buf_adds(cmd, "; do l=\"$d/$b-$n-link\"; G=\"$G\n$l\"; x=$(readlink \"$l\") &&"
			  " printf '%s\\n' \"$x\" >>\"$t/gone\"; done\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_gc_probe(struct buf *cmd, const char *profile)
{
	if (buf_adds(cmd, "printf '" REMOTE_GC_NOW " %s\\n' \"$(date +%s)\"\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	if (remote_probe_generations(cmd, profile) < 0)
		return ERR_NOMEM;
	if (buf_adds(cmd, "echo " REMOTE_GC_DEADMAN "\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return remote_deadman_list(cmd);
}

int remote_gc_collect(struct buf *cmd, const char *profile, const uint32_t *gens, size_t n)
{
	if (add_profile(cmd, profile) < 0 || add_gone(cmd, gens, n) < 0)
		return ERR_NOMEM;
	if (n && (buf_adds(cmd, "nix-env -p \"$p\" --delete-generations") < 0 || add_gens(cmd, gens, n) < 0 ||
		  buf_adds(cmd, " >/dev/null 2>\"$t/err\" " FAIL_TAIL "echo chimera-gc-deleted\n") < 0))
		return err_set(ERR_NOMEM, "out of memory");
	/* The links are gone by now: G is emptied so that no root is passed over. */
	if (buf_adds(cmd, "G=\n" DEAD "m \"$t/dead\"\n"
			  "nix-store --gc >\"$t/out\" 2>\"$t/err\"; s=$?; cat \"$t/out\"\n" AGAIN
			  "printf 'chimera-gc-removed %s\\n' \"$(grep -c \"^deleting '/nix/store/\" \"$t/err\")\"\n" FREED
			  "if [ $s -ne 0 ]; then tail -n 20 \"$t/err\" >&2; exit $s; fi\n"
			  "echo chimera-gc-done\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_gc_dry(struct buf *cmd, const char *profile, const uint32_t *gens, size_t n)
{
	if (add_profile(cmd, profile) < 0)
		return ERR_NOMEM;
	if (add_gone(cmd, gens, n) < 0 || buf_adds(cmd, DEAD "m \"$t/dead\"\necho chimera-gc-done\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* The line at P (to END) that is exactly WORD, or NULL; *AFTER the start of the next line. */
static const char *find_line(const char *p, const char *end, const char *word, const char **after)
{
	size_t wlen = strlen(word);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (len == wlen && memcmp(p, word, wlen) == 0) {
			*after = nl ? nl + 1 : end;
			return p;
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

/* The decimal number of LEN bytes at P (1 to MAXD digits, nothing else) into *V. 0, or -1. */
static int take_u64(const char *p, size_t len, size_t maxd, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (len == 0 || len > maxd)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	}
	return 0;
}

int remote_gc_probe_parse(const struct buf *out, const char *base, int64_t *now, struct gen_list *gens,
			  struct remote_deadman *sw, size_t max, size_t *nsw)
{
	static const char head[] = REMOTE_GC_NOW " ";
	const char *p = out->data, *end = out->data + out->len, *nl, *mark, *after = end;
	struct buf rest;
	uint64_t v;
	int r;

	*now = 0;
	*nsw = 0;
	gen_list_init(gens);
	nl = memchr(p, '\n', out->len);
	if (!nl || (size_t)(nl - p) < sizeof(head) || memcmp(p, head, sizeof(head) - 1) != 0)
		return err_set(ERR_INVALID, "gc probe: the first line is not '" REMOTE_GC_NOW " EPOCH'");
	if (take_u64(p + sizeof(head) - 1, (size_t)(nl - p) - (sizeof(head) - 1), 12, &v) < 0)
		return err_set(ERR_INVALID, "gc probe: the node's clock is not a number of seconds");
	/* The marker line: the generations come before it, the switches after. */
	if (!(mark = find_line(nl + 1, end, REMOTE_GC_DEADMAN, &after)))
		return err_set(ERR_INVALID, "gc probe: no '" REMOTE_GC_DEADMAN "' line");
	if ((r = gen_list_parse(gens, base, nl + 1, (size_t)(mark - (nl + 1)))) < 0)
		return r;
	rest = (struct buf){ (char *)after, (size_t)(end - after), 0, 0 };
	if ((r = remote_deadman_parse(&rest, sw, max, nsw)) < 0) {
		gen_list_release(gens);
		return r;
	}
	*now = (int64_t)v;
	return 0;
}

/* When the bytes at *P (to END) begin with WORD: past it, and true. */
static bool skip(const char **p, const char *end, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0)
		return false;
	*p += n;
	return true;
}

int remote_gc_summary_parse(const char *line, size_t len, uint64_t *paths, uint64_t *bytes)
{
	static const struct { const char *name; uint64_t size; } units[] = {
		{ "B", 1 }, { "KiB", 1ULL << 10 }, { "MiB", 1ULL << 20 }, { "GiB", 1ULL << 30 }, { "TiB", 1ULL << 40 },
	};
	static const char tail[] = " freed";
	const char *p = line, *end = line + len, *sp;
	uint64_t n, whole, frac = 0, scale = 1;
	size_t i, k;

	*paths = *bytes = 0;
	/* "N store path(s) deleted, " */
	if (!(sp = memchr(p, ' ', len)) || take_u64(p, (size_t)(sp - p), 15, &n) < 0)
		return 0;
	p = sp + 1;
	if (!skip(&p, end, "store paths deleted, ") && !skip(&p, end, "store path deleted, "))
		return 0;
	/* "X[.Y] UNIT freed" */
	if ((size_t)(end - p) < sizeof(tail) || memcmp(end - (sizeof(tail) - 1), tail, sizeof(tail) - 1) != 0)
		return 0;
	end -= sizeof(tail) - 1;
	if (!(sp = memchr(p, ' ', (size_t)(end - p))))
		return 0;
	for (k = 0; k < sizeof(units) / sizeof(units[0]); k++)
		if ((size_t)(end - sp - 1) == strlen(units[k].name) && memcmp(sp + 1, units[k].name, (size_t)(end - sp - 1)) == 0)
			break;
	if (k == sizeof(units) / sizeof(units[0]))
		return 0;
	for (i = 0; p + i < sp && p[i] != '.'; i++)
		;
	if (take_u64(p, i, 7, &whole) < 0)
		return 0;
	if (p + i < sp) {
		if (take_u64(p + i + 1, (size_t)(sp - p - i - 1), 6, &frac) < 0)
			return 0;
		for (i = (size_t)(sp - p - i - 1); i > 0; i--)
			scale *= 10;
	}
	*paths = n;
	*bytes = whole * units[k].size + (frac * units[k].size + scale / 2) / scale;
	return 1;
}

/* "WORD N[ M]" lines of remote_gc_result_parse: the numbers after WORD into A and B (B may be absent: *HAS_B 0). */
static int take_counts(const char *p, size_t len, uint64_t *a, uint64_t *b, int *has_b)
{
	const char *sp = memchr(p, ' ', len);

	*has_b = 0;
	*b = 0;
	if (!sp)
		return take_u64(p, len, 19, a);
	if (take_u64(p, (size_t)(sp - p), 19, a) < 0)
		return -1;
	*has_b = (size_t)(p + len - sp - 1) > 0;
	return *has_b ? take_u64(sp + 1, (size_t)(p + len - sp - 1), 19, b) : -1;
}

int remote_gc_result_parse(const struct buf *out, struct remote_gc_result *r)
{
	const char *p = out->data, *end = out->data + out->len;
	char q[96];
	int num = 0;

	memset(r, 0, sizeof(*r));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p, *sp;
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p), klen, rlen;
		uint64_t a, b;
		int has_b;

		p = nl ? nl + 1 : end;
		num++;
		/* The line's first word picks its kind; what follows the space is the rest. */
		sp = memchr(line, ' ', len);
		klen = sp ? (size_t)(sp - line) : len;
		rlen = sp ? len - klen - 1 : 0;
		if (klen == 18 && memcmp(line, "chimera-gc-deleted", 18) == 0 && !sp) {
			r->deleted = true;
		} else if (klen == 15 && memcmp(line, "chimera-gc-done", 15) == 0 && !sp) {
			r->done = true;
		} else if (klen == 15 && memcmp(line, "chimera-gc-dead", 15) == 0) {
			if (!sp || take_counts(sp + 1, rlen, &a, &b, &has_b) < 0)
				goto bad;
			r->measured = true;
			r->dead_paths = a;
			r->dead_bytes = has_b ? b : 0;
			r->dead_bytes_known = has_b;
		} else if (klen == 16 && memcmp(line, "chimera-gc-freed", 16) == 0) {
			if (!sp || take_counts(sp + 1, rlen, &a, &b, &has_b) < 0 || !has_b)
				goto bad;
			r->freed = true;
			r->freed_paths = a;
			r->freed_bytes = b;
		} else if (klen == 18 && memcmp(line, "chimera-gc-removed", 18) == 0) {
			if (!sp || take_u64(sp + 1, rlen, 19, &a) < 0)
				goto bad;
			r->counted = true;
			r->removed = a;
		} else if (klen > 11 && memcmp(line, "chimera-gc-", 11) == 0) {
			goto bad;
		} else if (remote_gc_summary_parse(line, len, &a, &b)) {
			/* The collector may have run twice: both count. */
			r->nix_summary = true;
			r->nix_paths += a;
			r->nix_bytes += b;
		}
		continue;
bad:
		memset(r, 0, sizeof(*r));
		return err_set(ERR_INVALID, "gc output line %d '%s': expected chimera-gc-dead PATHS [BYTES], "
			       "chimera-gc-freed PATHS BYTES, chimera-gc-removed PATHS, chimera-gc-deleted or "
			       "chimera-gc-done",
			       num, err_quote(q, sizeof(q), line, len));
	}
	return 0;
}
