/* Ledger benchmark: single and batched appends, verify time and file size of the SQLite ledger. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters/openssl/signer_openssl.h"
#include "adapters/sqlite/ledger_sqlite.h"
#include "app/ledger/trusted.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"

#define PAYLOAD_LEN 128

static const char usage[] =
	"usage: bench_ledger [--dir DIR] [--keep] [--single N] [--batch-size N] [--total N] [--json]\n"
	"  --dir DIR       scratch directory (default: a new one under /var/tmp)\n"
	"  --keep          keep the scratch directory and database\n"
	"  --single N      events appended one per transaction (default 2000)\n"
	"  --batch-size N  events per batched append (default 1000)\n"
	"  --total N       events appended in batches (default 1000000)\n"
	"  --opens N       rounds of open + one append + close, bare and with the trust checks\n"
	"                  (head check at open, checkpoint at close), at the end (default 200)\n"
	"  --json          print the figures as one JSON object on stdout (the table goes to stderr)\n";

struct opts {
	const char *dir;
	bool keep;
	bool json;
	int64_t single;
	int64_t batch_size;
	int64_t total;
	int64_t opens;
};

/* One phase's figures. */
struct figure {
	int64_t events;
	int64_t ms;
};

/* Events that look like a deployment's: a few topics and nodes, a small JSON payload. */
struct events {
	struct ledger_new *evs;
	char (*payloads)[PAYLOAD_LEN];
	size_t cap;
};

/* Catalogued topics (core/topics.c): an append of any other is refused. */
static const char *const topics[] = { "node.exec", "node.copy.complete", "node.activate.complete",
				      "node.deploy.complete" };
static const char *const steps[] = { "copy", "build", "switch", "check" };

static int parse_count(const char *arg, const char *name, int64_t min, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < min) {
		fprintf(stderr, "bench_ledger: bad %s '%s': expected a whole number >= %" PRId64 "\n",
			name, arg, min);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'k' },
		{ "single", required_argument, NULL, 's' },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "total", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "opens", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ NULL, false, false, 2000, 1000, 1000000, 200 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->dir = optarg; break;
		case 'k': o->keep = true; break;
		case 'j': o->json = true; break;
		case 's': if (parse_count(optarg, "--single", 0, &o->single) < 0) return -1; break;
		case 'b': if (parse_count(optarg, "--batch-size", 1, &o->batch_size) < 0) return -1; break;
		case 't': if (parse_count(optarg, "--total", 0, &o->total) < 0) return -1; break;
		case 'o': if (parse_count(optarg, "--opens", 0, &o->opens) < 0) return -1; break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bench_ledger: unexpected argument '%s'\n%s", argv[optind], usage);
		return -1;
	}
	return 0;
}

static int events_init(struct events *e, size_t cap)
{
	e->cap = cap;
	e->evs = calloc(cap, sizeof(*e->evs));
	e->payloads = calloc(cap, sizeof(*e->payloads));
	return e->evs && e->payloads ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static void events_free(struct events *e)
{
	free(e->evs);
	free(e->payloads);
}

/* Fill the first N events, numbered from FIRST so that payloads vary across the run. */
static void events_fill(struct events *e, size_t n, int64_t first)
{
	static char nodes[16][32];
	size_t i;

	if (!nodes[0][0]) {
		for (i = 0; i < 16; i++)
			snprintf(nodes[i], sizeof(nodes[i]), "root@10.0.0.%zu:22", i + 1);
	}
	for (i = 0; i < n; i++) {
		int64_t k = first + (int64_t)i;

		snprintf(e->payloads[i], PAYLOAD_LEN,
			 "{\"node\":\"%s\",\"step\":\"%s\",\"ms\":%" PRId64 ",\"ok\":%s}",
			 nodes[k % 16], steps[k % 4], 50 + k % 5000, k % 97 ? "true" : "false");
		e->evs[i].topic = topics[k % 4];
		e->evs[i].deployment = "d-20261122-0001";
		e->evs[i].node = nodes[k % 16];
		e->evs[i].payload = e->payloads[i];
	}
}

static int bench_single(struct ledger *l, struct events *e, int64_t n, struct figure *fig)
{
	int64_t i, t0 = clock_mono_ms();
	int r;

	for (i = 0; i < n; i++) {
		events_fill(e, 1, i);
		if ((r = ledger_append(l, e->evs, 1, NULL)) < 0)
			return r;
	}
	fig->events = n;
	fig->ms = clock_mono_ms() - t0;
	return 0;
}

static int bench_batched(struct ledger *l, struct events *e, int64_t first, int64_t total,
			 struct figure *fig)
{
	int64_t done = 0, t0 = clock_mono_ms();
	int r;

	while (done < total) {
		size_t n = (size_t)(total - done < (int64_t)e->cap ? total - done : (int64_t)e->cap);

		events_fill(e, n, first + done);
		if ((r = ledger_append(l, e->evs, n, NULL)) < 0)
			return r;
		done += (int64_t)n;
	}
	fig->events = total;
	fig->ms = clock_mono_ms() - t0;
	return 0;
}

/*
 * ROUNDS of what every command does to the ledger: open, one append, close. TRUSTED adds
 * the head check at open and the checkpoint (an event, a signature, the sidecar) at close.
 * FIG->ms is the total; the per-round cost is what must not grow with the ledger.
 */
static int bench_opens(const char *dir, const char *db, int64_t rounds, bool trusted, struct figure *fig)
{
	char sidecar[4200];
	int64_t i, t0 = clock_mono_ms();
	int r;

	snprintf(sidecar, sizeof(sidecar), "%s.checkpoint", db);
	for (i = 0; i < rounds; i++) {
		struct ledger *l = NULL;
		struct signer *s = NULL;

		if ((r = ledger_sqlite_open(db, &l)) < 0)
			return r;
		if (trusted && ((r = signer_openssl_new(dir, &s)) < 0 || (r = trusted_ledger_open(l, s, sidecar, "bench", &l)) < 0))
			return r;
		if ((r = ledger_writable(l)) < 0 || (r = ledger_append1(l, "node.exec", NULL, NULL, "{}", NULL)) < 0) {
			ledger_close(l);
			return r;
		}
		ledger_close(l);
	}
	fig->events = rounds;
	fig->ms = clock_mono_ms() - t0;
	return 0;
}

static double rate(const struct figure *f)
{
	return f->ms > 0 ? (double)f->events * 1000.0 / (double)f->ms : 0.0;
}

/* Bytes of the database and its WAL, if one is left. */
static int64_t db_size(const char *db)
{
	char wal[4096];
	struct stat st;
	int64_t n = 0;

	if (stat(db, &st) == 0)
		n += st.st_size;
	snprintf(wal, sizeof(wal), "%s-wal", db);
	if (stat(wal, &st) == 0)
		n += st.st_size;
	return n;
}

static void print_table(FILE *f, const char *db, const struct opts *o, const struct figure *single,
			const struct figure *batched, const struct figure *verify, int64_t bytes)
{
	fprintf(f, "ledger benchmark: sqlite, %s\n", db);
	fprintf(f, "  %-16s %10s %10s %12s\n", "phase", "events", "seconds", "events/s");
	fprintf(f, "  %-16s %10" PRId64 " %10.3f %12.0f\n", "single appends", single->events,
		single->ms / 1000.0, rate(single));
	fprintf(f, "  %-16s %10" PRId64 " %10.3f %12.0f   (%" PRId64 " per append)\n", "batched appends",
		batched->events, batched->ms / 1000.0, rate(batched), o->batch_size);
	fprintf(f, "  %-16s %10" PRId64 " %10.3f %12.0f   (chain intact)\n", "verify", verify->events,
		verify->ms / 1000.0, rate(verify));
	fprintf(f, "  database file    %.1f MiB, %.0f bytes/event\n", bytes / 1048576.0,
		verify->events ? (double)bytes / (double)verify->events : 0.0);
}

static double per_round(const struct figure *f)
{
	return f->events ? (double)f->ms / (double)f->events : 0.0;
}

static void print_json(const struct opts *o, const struct figure *single, const struct figure *batched,
		       const struct figure *verify, int64_t bytes, const struct figure *bare, const struct figure *trusted)
{
	printf("{\"backend\":\"sqlite\","
	       "\"single\":{\"events\":%" PRId64 ",\"seconds\":%.3f,\"events_per_second\":%.1f},"
	       "\"batched\":{\"events\":%" PRId64 ",\"batch_size\":%" PRId64 ",\"seconds\":%.3f,"
	       "\"events_per_second\":%.1f},"
	       "\"verify\":{\"events\":%" PRId64 ",\"intact\":true,\"seconds\":%.3f,\"events_per_second\":%.1f},"
	       "\"open_append_close_ms\":{\"rounds\":%" PRId64 ",\"bare\":%.3f,\"trusted\":%.3f},"
	       "\"db_bytes\":%" PRId64 ",\"bytes_per_event\":%.1f}\n",
	       single->events, single->ms / 1000.0, rate(single),
	       batched->events, o->batch_size, batched->ms / 1000.0, rate(batched),
	       verify->events, verify->ms / 1000.0, rate(verify),
	       bare->events, per_round(bare), per_round(trusted),
	       bytes, verify->events ? (double)bytes / (double)verify->events : 0.0);
}

/* Set up DIR: the one given (created if missing), or a new one under /var/tmp. */
static int scratch_open(const struct opts *o, char *dir, size_t dirlen, bool *created)
{
	*created = false;
	if (!o->dir) {
		snprintf(dir, dirlen, "/var/tmp/chimera-bench-ledger-XXXXXX");
		if (!mkdtemp(dir))
			return err_set_errno(ERR_IO, errno, "cannot create a scratch directory under '/var/tmp'");
		*created = true;
		return 0;
	}
	if ((size_t)snprintf(dir, dirlen, "%s", o->dir) >= dirlen)
		return err_set(ERR_INVALID, "directory path too long '%s'", o->dir);
	*created = !fs_exists(dir);
	return fs_mkdir_p(dir, 0755);
}

/* Remove what the run made: the whole directory if it made it, else only the database files. */
static void scratch_close(const char *dir, const char *db, bool created)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal", ".checkpoint", ".checkpoint.lock" };
	char path[4096];
	size_t i;

	if (created) {
		fs_rm_rf(dir);
		return;
	}
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db, suffixes[i]);
		unlink(path);
	}
}

int main(int argc, char **argv)
{
	struct figure single = { 0 }, batched = { 0 }, verify = { 0 }, opens_bare = { 0 }, opens_trusted = { 0 };
	struct ledger_verify_report rep;
	struct events ev = { 0 };
	struct ledger *l = NULL;
	char dir[4096], db[4096 + 16];
	bool created = false, have_dir = false;
	int64_t t0, bytes;
	int r, rc = 1;
	struct opts o;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if ((r = scratch_open(&o, dir, sizeof(dir), &created)) < 0)
		goto out;
	have_dir = true;
	snprintf(db, sizeof(db), "%s/chimera.db", dir);
	if (fs_exists(db)) {
		r = err_set(ERR_INVALID, "'%s' already exists: give an empty --dir", db);
		have_dir = false;	/* not ours to remove */
		goto out;
	}
	if ((r = events_init(&ev, (size_t)o.batch_size)) < 0 || (r = ledger_sqlite_open(db, &l)) < 0)
		goto out;

	fprintf(stderr, "appending %" PRId64 " events one at a time...\n", o.single);
	if ((r = bench_single(l, &ev, o.single, &single)) < 0)
		goto out;
	fprintf(stderr, "appending %" PRId64 " events in batches of %" PRId64 "...\n", o.total, o.batch_size);
	if ((r = bench_batched(l, &ev, o.single, o.total, &batched)) < 0)
		goto out;
	/* Reopen so verify starts from a checkpointed database, as a later run would. */
	ledger_close(l);
	l = NULL;
	if ((r = ledger_sqlite_open(db, &l)) < 0)
		goto out;

	fprintf(stderr, "verifying %" PRId64 " events...\n", o.single + o.total);
	t0 = clock_mono_ms();
	if ((r = ledger_verify(l, &rep)) < 0)
		goto out;
	verify.ms = clock_mono_ms() - t0;
	verify.events = rep.checked;
	if (rep.broken_seq != 0 || rep.checked != o.single + o.total) {
		r = err_set(ERR_CORRUPT, "verify checked %" PRId64 " of %" PRId64 " events; broken at %" PRId64 ": %s",
			    rep.checked, o.single + o.total, rep.broken_seq, rep.reason);
		goto out;
	}
	ledger_close(l);
	l = NULL;
	bytes = db_size(db);
	fprintf(stderr, "%" PRId64 " rounds of open + append + close, bare then trusted...\n", o.opens);
	if ((r = bench_opens(dir, db, o.opens, false, &opens_bare)) < 0 ||
	    (r = bench_opens(dir, db, o.opens, true, &opens_trusted)) < 0)
		goto out;

	print_table(o.json ? stderr : stdout, db, &o, &single, &batched, &verify, bytes);
	fprintf(o.json ? stderr : stdout, "  open+append+close  bare %.3f ms, with trust checks %.3f ms per round (%" PRId64
		" rounds, ledger of %" PRId64 " events)\n", per_round(&opens_bare), per_round(&opens_trusted), o.opens,
		o.single + o.total);
	if (o.json)
		print_json(&o, &single, &batched, &verify, bytes, &opens_bare, &opens_trusted);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "bench_ledger: %s\n", err_msg());
	ledger_close(l);
	events_free(&ev);
	if (have_dir && !o.keep)
		scratch_close(dir, db, created);
	else if (have_dir)
		fprintf(stderr, "kept %s\n", dir);
	return rc;
}
