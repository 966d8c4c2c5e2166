/* The heal result, shared by the platform healers. */
#include "platform/heal.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

void heal_result_init(struct heal_result *h, const char *platform)
{
	memset(h, 0, sizeof(*h));
	h->text = (struct buf)BUF_INIT(0);
	sim_report_init(&h->before, platform);
	sim_report_init(&h->after, platform);
}

void heal_result_release(struct heal_result *h)
{
	buf_release(&h->text);
	free(h->actions);
	h->actions = NULL;
	h->n = h->cap = 0;
	sim_report_release(&h->before);
	sim_report_release(&h->after);
}

json_t *heal_report_json(const struct heal_result *h)
{
	json_t *actions = json_array();
	size_t i;

	for (i = 0; actions && i < h->n; i++) {
		const struct heal_action *a = &h->actions[i];

		json_array_append_new(actions, json_pack("{s:s, s:i, s:i, s:s, s:i, s:b, s:s}", "rule", a->rule, "line",
							 a->line, "col", a->col, "fix", a->what, "attempts",
							 a->attempts, "fixed", a->fixed, "why", a->why));
	}
	return actions;
}

struct heal_action *heal_add(struct heal_result *h, const struct sim_issue *is)
{
	struct heal_action *a;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		struct heal_action *m = realloc(h->actions, cap * sizeof(*m));

		if (!m) {
			err_set(ERR_NOMEM, "out of memory");
			return NULL;
		}
		h->actions = m;
		h->cap = cap;
	}
	a = &h->actions[h->n++];
	memset(a, 0, sizeof(*a));
	snprintf(a->rule, sizeof(a->rule), "%s", is->rule);
	a->line = is->line;
	a->col = is->col;
	snprintf(a->what, sizeof(a->what), "%s", is->fix_text);
	return a;
}

size_t heal_offset_at(const char *s, size_t n, int line, int col)
{
	size_t i = 0;
	int l = 1, c = 1;

	if (line < 1 || col < 1)
		return n;
	while (i < n && l < line) {
		if (s[i++] == '\n')
			l++;
	}
	if (l != line)
		return n;
	while (i < n && c < col && s[i] != '\n') {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		c++;
	}
	return c == col ? i : n;
}

size_t heal_line_start(const char *s, size_t off)
{
	while (off > 0 && s[off - 1] != '\n')
		off--;
	return off;
}

size_t heal_line_end(const char *s, size_t n, size_t off)
{
	while (off < n && s[off] != '\n')
		off++;
	return off;
}

int heal_splice(struct buf *out, const char *s, size_t n, size_t off, size_t del, const char *ins, size_t insn)
{
	int r;

	buf_reset(out);
	if ((r = buf_add(out, s, off)) < 0 || (r = buf_add(out, ins, insn)) < 0 ||
	    (r = buf_add(out, s + off + del, n - off - del)) < 0)
		return r;
	return 0;
}

/* Where an issue handled so far was last seen, to tell new issues from old ones. */
struct seen {
	int line, col;
};

static bool moves(const struct heal_ops *ops, const char *rule)
{
	return ops->moves && ops->moves(rule);
}

/* Compare fix texts, digits ignored when LOOSE (line numbers move when blocks move). */
static bool same_text(const char *a, const char *b, bool loose)
{
	if (!loose)
		return strcmp(a, b) == 0;
	for (;;) {
		while (isdigit((unsigned char)*a))
			a++;
		while (isdigit((unsigned char)*b))
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

/* True when IS was handled already: the same fix text where it was last seen (anywhere, when it moves). */
static bool handled(const struct heal_ops *ops, const struct heal_result *res, const struct seen *seen,
		    const struct sim_issue *is)
{
	bool mv = moves(ops, is->rule);
	size_t i;

	for (i = 0; i < res->n; i++) {
		if (strcmp(res->actions[i].rule, is->rule) != 0 || !same_text(res->actions[i].what, is->fix_text, mv))
			continue;
		if (!res->actions[i].fixed || mv || (seen[i].line == is->line && seen[i].col == is->col))
			return true;
	}
	return false;
}

static const struct sim_issue *next_issue(const struct heal_ops *ops, const struct heal_result *res,
					  const struct seen *seen, const struct sim_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		if (ops->wanted(&rep->issues[i]) && !handled(ops, res, seen, &rep->issues[i]))
			return &rep->issues[i];
	return NULL;
}

/* IS in another simulation, or NULL. */
static const struct sim_issue *find_again(const struct heal_ops *ops, const struct sim_report *rep,
					  const struct sim_issue *is)
{
	bool mv = moves(ops, is->rule);
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct sim_issue *a = &rep->issues[i];

		if (strcmp(a->rule, is->rule) == 0 && same_text(a->fix_text, is->fix_text, mv) &&
		    (mv || (a->line == is->line && a->col == is->col)))
			return a;
	}
	return NULL;
}

static int simulate(const struct heal_ops *ops, struct heal_step *st, const struct buf *text, struct sim_report *rep)
{
	sim_report_release(rep);
	sim_report_init(rep, ops->platform);
	return ops->simulate(st, text, rep);
}

int heal_run(const struct heal_ops *ops, struct heal_step *st, const char *text, size_t len, struct heal_result *res)
{
	struct sim_report rep, again;
	struct buf keep = BUF_INIT(0);
	struct seen seen[HEAL_MAX_ISSUES];
	const struct sim_issue *is, *found;
	struct sim_issue target;
	struct heal_action *a;
	/* The report of the text as it stands (st->cur): the original's at first. */
	const struct sim_report *now = &res->before;
	size_t i;
	int r, rc = 0;

	sim_report_init(&rep, ops->platform);
	sim_report_init(&again, ops->platform);
	/* actions RES already holds were seen where they were found; the rest is not read before written */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < res->n && i < HEAL_MAX_ISSUES; i++)
		seen[i] = (struct seen){ res->actions[i].line, res->actions[i].col };
	st->cur = &res->text;
	buf_reset(&res->text);
	if ((r = buf_add(&res->text, text, len)) < 0 || (r = simulate(ops, st, &res->text, &res->before)) < 0)
		return r;
	while (res->n < HEAL_MAX_ISSUES) {
		if (!(is = next_issue(ops, res, seen, now)))
			break;
		target = *is;
		if (!(a = heal_add(res, &target))) {
			rc = ERR_NOMEM;
			goto out;
		}
		seen[res->n - 1].line = target.line;
		seen[res->n - 1].col = target.col;
		buf_reset(&keep);
		if ((rc = buf_add(&keep, st->cur->data, st->cur->len)) < 0)
			goto out;
		while (a->attempts < HEAL_MAX_ATTEMPTS) {
			st->why[0] = '\0';
			buf_reset(&st->out);
			if ((r = ops->apply(st, &target)) < 0) {
				rc = r;
				goto out;
			}
			if (r == HEAL_NOT_APPLIED) {
				snprintf(a->why, sizeof(a->why), "%s", st->why);
				break;
			}
			a->attempts++;
			buf_reset(st->cur);
			if ((rc = buf_add(st->cur, st->out.data, st->out.len)) < 0 ||
			    (rc = simulate(ops, st, st->cur, &again)) < 0)
				goto out;
			if (!(found = find_again(ops, &again, &target))) {
				/* AGAIN is the report of the text now: no need to simulate it twice. */
				struct sim_report t = rep;

				rep = again;
				again = t;
				now = &rep;
				a->fixed = true;
				break;
			}
			target = *found;
			seen[res->n - 1].line = target.line;
			seen[res->n - 1].col = target.col;
		}
		if (!a->fixed) {
			if (!a->why[0])
				snprintf(a->why, sizeof(a->why), "the simulator still reports it after %d attempt%s",
					 a->attempts, a->attempts == 1 ? "" : "s");
			/* An edit that did not fix its issue is taken back: NOW describes it again. */
			buf_reset(st->cur);
			if ((rc = buf_add(st->cur, keep.data, keep.len)) < 0)
				goto out;
		}
	}
	/* The last report is the healed text's: moved, not made again. */
	if (now == &res->before) {
		rc = simulate(ops, st, st->cur, &res->after);
	} else {
		sim_report_release(&res->after);
		res->after = rep;
		sim_report_init(&rep, ops->platform);
	}
out:
	buf_release(&keep);
	sim_report_release(&rep);
	sim_report_release(&again);
	return rc;
}

int heal_diff(const char *file, const struct buf *a, const struct buf *b, struct buf *out)
{
	char diff[PATH_MAX], pa[] = "/tmp/chimera-heal-a.XXXXXX", pb[] = "/tmp/chimera-heal-b.XXXXXX";
	char la[SIM_FILE_MAX + 3], lb[SIM_FILE_MAX + 3];
	int fa = -1, fb = -1, status = 0, r;

	if (proc_which("diff", diff, sizeof(diff)) < 0)
		return err_set(ERR_UNSUPPORTED, "diff (Debian's diffutils) is needed to show the change");
	snprintf(la, sizeof(la), "a/%s", file);
	snprintf(lb, sizeof(lb), "b/%s", file);
	if ((fa = mkstemp(pa)) < 0 || (fb = mkstemp(pb)) < 0 || write(fa, a->data, a->len) != (ssize_t)a->len ||
	    write(fb, b->data, b->len) != (ssize_t)b->len) {
		r = err_set_errno(ERR_IO, errno, "cannot write a temporary file for the diff");
		goto out;
	}
	{
		char *argv[] = { diff, "-u", "--label", la, "--label", lb, pa, pb, NULL };

		r = proc_run_split(argv, -1, out, NULL, &status);
	}
	if (r == 0 && status != 0 && status != 1)
		r = err_set(ERR_IO, "diff failed with status %d", status);
out:
	if (fa >= 0) {
		close(fa);
		unlink(pa);
	}
	if (fb >= 0) {
		close(fb);
		unlink(pb);
	}
	return r;
}

int heal_write(const char *path, const struct buf *orig, const struct buf *healed)
{
	char bak[PATH_MAX + 8];
	struct stat st;

	if (stat(path, &st) < 0)
		return err_set_errno(ERR_IO, errno, "cannot stat '%s'", path);
	/* The original is kept beside it first; then the new text replaces it atomically. */
	snprintf(bak, sizeof(bak), "%s.bak", path);
	if (fs_write_file(bak, orig->data, orig->len, st.st_mode & 07777) < 0 ||
	    fs_write_file(path, healed->data, healed->len, st.st_mode & 07777) < 0)
		return ERR_IO;
	return 0;
}
