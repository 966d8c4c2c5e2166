/* The nix-cli adapter's build: nix-build or `nix build` with Nix's structured log read as it comes. */
#include "adapters/nix/nix_cli_internal.h"
#include "formats/nixlog.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/proc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

#define NIX_TAIL 700		/* bytes of Nix's own errors quoted in a message */
#define NIX_FAILED_MAX 2600	/* bytes of a failed derivation's lines quoted in a message */
#define NIX_QUOTE_LINE 160	/* bytes of each such line */
#define NIX_ERRORS_MAX (1024 * 1024)

int nix_fail(const char *what, int status, const struct buf *log)
{
	size_t len = log->len, from;

	while (len && (log->data[len - 1] == '\n' || log->data[len - 1] == ' '))
		len--;
	from = len > NIX_TAIL ? len - NIX_TAIL : 0;
	/* Start the tail at a line. */
	if (from) {
		const char *nl = memchr(log->data + from, '\n', len - from);

		if (nl)
			from = (size_t)(nl + 1 - log->data);
	}
	return err_set(ERR_IO, "%s failed (exit %d)%s%.*s", what, status, len ? ":\n" : "", (int)(len - from),
		       log->data + from);
}

/* Take the single store path from nix-build's stdout. */
static int nix_take_path(const struct buf *out, char path[STOREPATH_MAX])
{
	const char *p = out->data, *end = out->data + out->len, *nl;
	size_t n = 0, len;

	while (end > p && end[-1] == '\n')
		end--;
	for (nl = p; nl < end; nl++)
		if (*nl == '\n')
			n++;
	if (end == p)
		return err_set(ERR_IO, "the build printed no store path");
	if (n)
		return err_set(ERR_INVALID, "the build produced %zu store paths; choose one with -A ATTR", n + 1);
	len = (size_t)(end - p);
	if (!storepath_valid(p, len))
		return err_set(ERR_IO, "the build printed '%.*s', not a store path", (int)(len > 200 ? 200 : len), p);
	memcpy(path, p, len);
	path[len] = 0;
	return 0;
}

/* Take outputs.out of `nix build --json`. */
static int nix_take_json(const struct buf *out, char path[STOREPATH_MAX])
{
	json_error_t jerr;
	json_t *doc = json_loadb(out->data, out->len, 0, &jerr), *outs;
	const char *s;
	int r = 0;

	if (!doc || !json_is_array(doc) || json_array_size(doc) != 1) {
		r = err_set(ERR_IO, "cannot read `nix build --json` output%s%s", doc ? "" : ": ", doc ? "" : jerr.text);
		goto out;
	}
	outs = json_object_get(json_array_get(doc, 0), "outputs");
	if (json_object_size(outs) != 1 || !(s = json_string_value(json_object_iter_value(json_object_iter(outs))))) {
		r = err_set(ERR_INVALID, "the flake attribute has %zu outputs; expected one", json_object_size(outs));
		goto out;
	}
	if (!storepath_valid(s, strlen(s))) {
		r = err_set(ERR_IO, "`nix build` reported '%s', not a store path", s);
		goto out;
	}
	snprintf(path, STOREPATH_MAX, "%s", s);
out:
	json_decref(doc);
	return r;
}

/* One run of the build: Nix's stderr through the structured-log reader. */
struct build_run {
	struct nix_cli *nx;
	const struct nix_source *src;
	struct nixlog *reader;
	struct buf *log;	/* the caller's, or NULL */
	struct buf errors;	/* Nix's errors and its lines that are not "@nix" JSON */
	struct buf failed;	/* the first failed derivation: its name and last lines */
	size_t done, total;
	int r;			/* the reader's first error */
};

/* N bytes at S cut to at most MAX, before a character. */
static size_t cut(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* The first failed derivation, for the message: its name and as many of its last lines as fit. */
static void note_failed(struct build_run *run, const struct nixlog_event *ev)
{
	size_t i, from = ev->ntail, used = 0;

	if (run->failed.len)
		return;
	while (from > 0) {
		size_t n = cut(ev->tail[from - 1], strlen(ev->tail[from - 1]), NIX_QUOTE_LINE) + 3;

		if (used + n > NIX_FAILED_MAX)
			break;
		used += n;
		from--;
	}
	if (from == ev->ntail) {
		buf_printf(&run->failed, "%s failed; its builder printed nothing", ev->name);
		return;
	}
	buf_printf(&run->failed, "%s failed; the last %zu line%s of its log:", ev->name, ev->ntail - from,
		   ev->ntail - from == 1 ? "" : "s");
	for (i = from; i < ev->ntail; i++) {
		size_t n = cut(ev->tail[i], strlen(ev->tail[i]), NIX_QUOTE_LINE);

		buf_printf(&run->failed, "\n> %.*s%s", (int)n, ev->tail[i], n < strlen(ev->tail[i]) ? "..." : "");
	}
}

/* The port's event for the reader's EV, when it has one. */
static bool port_event(const struct nixlog_event *ev, struct nix_build_event *pe)
{
	static const int ok[] = { [NIXLOG_BUILT] = 1, [NIXLOG_FAILED] = 0, [NIXLOG_STOPPED] = -1 };

	switch (ev->kind) {
	case NIXLOG_BUILD_START: pe->what = NIX_BUILD_STARTED; break;
	case NIXLOG_BUILD_LINE: pe->what = NIX_BUILD_LOG; break;
	case NIXLOG_BUILD_PHASE: pe->what = NIX_BUILD_PHASE; break;
	case NIXLOG_BUILD_DONE: pe->what = NIX_BUILD_FINISHED; break;
	case NIXLOG_COUNTS: pe->what = NIX_BUILD_COUNTS; break;
	default: return false;
	}
	pe->drv = ev->drv;
	pe->name = ev->name;
	pe->text = ev->text;
	pe->ok = ev->kind == NIXLOG_BUILD_DONE ? ok[ev->result] : 0;
	pe->ms = ev->ms;
	return true;
}

static void on_event(const struct nixlog_event *ev, void *arg)
{
	struct build_run *run = arg;
	struct nix_build_event pe = { .src = run->src };

	if (ev->plain && run->log) {
		buf_adds(run->log, ev->plain);
		buf_addc(run->log, '\n');
	}
	/* Nix's errors, and what is not its JSON (a crash, a program that could not run). */
	if (ev->kind == NIXLOG_TEXT && ev->plain && ev->level <= 0) {
		buf_adds(&run->errors, ev->plain);
		buf_addc(&run->errors, '\n');
	}
	if (ev->kind == NIXLOG_BUILD_DONE && ev->result == NIXLOG_FAILED)
		note_failed(run, ev);
	run->done = ev->done;
	run->total = ev->total;
	if (run->nx->base.watch.fn && port_event(ev, &pe)) {
		pe.done = ev->done;
		pe.total = ev->total;
		run->nx->base.watch.fn(&pe, run->nx->base.watch.arg);
	}
}

static void on_chunk(const char *data, size_t len, void *arg)
{
	struct build_run *run = arg;
	int r;

	if (run->r == 0 && (r = nixlog_feed(run->reader, data, len, clock_mono_ms())) < 0)
		run->r = r;
}

/* The command line for SRC into ARGV (room for 24 + 3 * NIX_ARGS_MAX). */
static int build_argv(const struct nix_cli *nx, const struct nix_source *src, char **argv)
{
	size_t a = 0, i;

	if (src->file) {
		argv[a++] = (char *)nx->nix_build;
		argv[a++] = (char *)src->file;
		argv[a++] = "--no-out-link";
		if (src->attr) {
			argv[a++] = "-A";
			argv[a++] = (char *)src->attr;
		}
		for (i = 0; i < src->nargs; i++) {
			argv[a++] = src->args[i].is_str ? "--argstr" : "--arg";
			argv[a++] = (char *)src->args[i].name;
			argv[a++] = (char *)src->args[i].value;
		}
	} else {
		if (!nx->nix[0])
			return err_set(ERR_NOTFOUND, "--flake needs the `nix` command, not found on PATH (Debian: nix-bin)");
		argv[a++] = (char *)nx->nix;
		argv[a++] = "--extra-experimental-features";
		argv[a++] = "nix-command flakes";
		argv[a++] = "build";
		argv[a++] = (char *)src->flake;
		argv[a++] = "--no-link";
		argv[a++] = "--json";
	}
	if (!nx->plain_log) {
		argv[a++] = "--log-format";
		argv[a++] = "internal-json";
	}
	if (nx->no_build_users) {
		argv[a++] = "--option";
		argv[a++] = "build-users-group";
		argv[a++] = "";
	}
	argv[a] = NULL;
	return 0;
}

/* Run the build once; *STATUS its exit status. */
static int build_once(struct build_run *run, char **argv, struct buf *so, int *status)
{
	struct nix_build_event end = { .what = NIX_BUILD_END, .src = run->src };
	int r;

	if (!(run->reader = nixlog_new(on_event, run)))
		return err_set(ERR_NOMEM, "out of memory");
	log_kv(LOG_DEBUG, "nix", "building", "tool", argv[0], "source", run->src->file ? run->src->file : run->src->flake,
	       (const char *)NULL);
	/* Evaluating comes first, with nothing to say until derivations are known: the build began. */
	if (run->nx->base.watch.fn) {
		struct nix_build_event begin = { .what = NIX_BUILD_COUNTS, .src = run->src };

		run->nx->base.watch.fn(&begin, run->nx->base.watch.arg);
	}
	if ((r = proc_run_stream(argv, so, on_chunk, run, status)) < 0)
		return r;
	if (run->r < 0 || (r = nixlog_end(run->reader, clock_mono_ms())) < 0)
		return run->r < 0 ? run->r : r;
	if (run->nx->base.watch.fn) {
		end.ok = *status == 0;
		end.done = run->done;
		end.total = run->total;
		run->nx->base.watch.fn(&end, run->nx->base.watch.arg);
	}
	return 0;
}

/* The message of a failed build: Nix's errors, the failed derivation's lines, what to set. */
static int build_failed(const struct build_run *run, int status)
{
	const char *what = run->src->file ? "nix-build" : "nix build";
	char hint[600];
	struct buf msg = BUF_INIT(0);
	int r;

	nix_fail(what, status, &run->errors);
	buf_adds(&msg, err_msg());
	if (run->failed.len)
		buf_printf(&msg, "\n%s", run->failed.data);
	if (nixlog_hint(run->errors.data, run->errors.len, hint, sizeof(hint)))
		buf_printf(&msg, "\n%s", hint);
	r = err_set(ERR_IO, "%s", msg.data);
	buf_release(&msg);
	return r;
}

static void run_reset(struct build_run *run, struct buf *so)
{
	nixlog_free(run->reader);
	run->reader = NULL;
	buf_reset(&run->errors);
	buf_reset(&run->failed);
	buf_reset(so);
	if (run->log)
		buf_reset(run->log);
	run->r = 0;
}

int nix_cli_build(struct nix *base, const struct nix_source *src, char out[STOREPATH_MAX], struct buf *log)
{
	struct nix_cli *nx = (struct nix_cli *)base;
	struct build_run run = { .nx = nx, .src = src, .log = log, .errors = BUF_INIT(NIX_ERRORS_MAX),
				 .failed = BUF_INIT(0) };
	char *argv[24 + 3 * NIX_ARGS_MAX];
	struct buf so = BUF_INIT(1024 * 1024);
	int r, status;

	out[0] = 0;
	if ((r = nix_source_check(src)) < 0)
		return r;
	if (nx->no_build_users)
		log_kv(LOG_INFO, "nix", "root without a nixbld group or a daemon: building without build users",
		       (const char *)NULL);
	if ((r = build_argv(nx, src, argv)) < 0 || (r = build_once(&run, argv, &so, &status)) < 0)
		goto out;
	/* A Nix without --log-format: once more, reading what it prints as is. */
	if (status != 0 && !nx->plain_log && !nixlog_structured(run.reader) && strstr(run.errors.data, "log-format")) {
		nx->plain_log = true;
		run_reset(&run, &so);
		if ((r = build_argv(nx, src, argv)) < 0 || (r = build_once(&run, argv, &so, &status)) < 0)
			goto out;
	}
	if (status != 0) {
		r = build_failed(&run, status);
		goto out;
	}
	r = src->file ? nix_take_path(&so, out) : nix_take_json(&so, out);
out:
	nixlog_free(run.reader);
	buf_release(&run.errors);
	buf_release(&run.failed);
	buf_release(&so);
	return r;
}
