/* A fake Nix for the nix use cases' unit tests: evaluations answered from a script, builds of a fixed path. */
#ifndef CHIMERA_TESTS_FAKE_NIX_EVAL_H
#define CHIMERA_TESTS_FAKE_NIX_EVAL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ports/nix.h"

#define FAKE_EVALS_MAX 8

/* One scripted answer: ERR (0 or an error code with MSG) or the value TEXT. */
struct fake_answer {
	int err;
	const char *text;
};

struct fake_nix_eval {
	struct nix base;
	struct fake_answer answers[FAKE_EVALS_MAX];	/* in the order the evaluations come */
	size_t nanswers;
	/* What was asked. */
	struct nix_eval_req reqs[FAKE_EVALS_MAX];
	char expr[FAKE_EVALS_MAX][512];			/* copies of the requests' strings */
	char file[FAKE_EVALS_MAX][512];
	char installable[FAKE_EVALS_MAX][512];
	char apply[FAKE_EVALS_MAX][2048];
	size_t evals;
	/* build: PATH, or ERR; add_root: where roots were made. */
	char path[STOREPATH_MAX];
	int build_err;
	struct nix_source built;
	int builds;
	char root[512];
	int roots;
};

static inline void fake_copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

static inline int fake_eval(struct nix *nx, const struct nix_eval_req *req, struct buf *out)
{
	struct fake_nix_eval *fe = (struct fake_nix_eval *)nx;
	size_t i = fe->evals++;
	const struct fake_answer *a;

	buf_reset(out);
	if (i >= FAKE_EVALS_MAX || i >= fe->nanswers)
		fail_msg("evaluation %zu was not scripted", i + 1);
	fe->reqs[i] = *req;
	fake_copy(fe->expr[i], sizeof(fe->expr[i]), req->expr);
	fake_copy(fe->file[i], sizeof(fe->file[i]), req->file);
	fake_copy(fe->installable[i], sizeof(fe->installable[i]), req->installable);
	fake_copy(fe->apply[i], sizeof(fe->apply[i]), req->apply);
	a = &fe->answers[i];
	if (a->err)
		return err_set(a->err, "%s", a->text);
	return buf_adds(out, a->text);
}

static inline int fake_eval_build(struct nix *nx, const struct nix_source *src, char out[STOREPATH_MAX], struct buf *log)
{
	struct fake_nix_eval *fe = (struct fake_nix_eval *)nx;

	(void)log;
	fe->builds++;
	fe->built = *src;
	if (fe->build_err)
		return err_set(fe->build_err, "nix build failed: error: attribute 'nope' missing");
	snprintf(out, STOREPATH_MAX, "%s", fe->path);
	return 0;
}

static inline int fake_add_root(struct nix *nx, const char *path, const char *link)
{
	struct fake_nix_eval *fe = (struct fake_nix_eval *)nx;

	assert_string_equal(path, fe->path);
	fe->roots++;
	fake_copy(fe->root, sizeof(fe->root), link);
	return 0;
}

static inline void fake_eval_close(struct nix *nx)
{
	(void)nx;
}

static const struct nix_ops fake_nix_eval_ops = {
	.name = "fake-eval",
	.build = fake_eval_build,
	.eval = fake_eval,
	.add_root = fake_add_root,
	.close = fake_eval_close,
};

static inline void fake_nix_eval_init(struct fake_nix_eval *fe)
{
	memset(fe, 0, sizeof(*fe));
	fe->base.ops = &fake_nix_eval_ops;
}

/* Script the next answer: a value (ERR 0) or an error with that message. */
static inline void fake_eval_answer(struct fake_nix_eval *fe, int err, const char *text)
{
	assert_true(fe->nanswers < FAKE_EVALS_MAX);
	fe->answers[fe->nanswers++] = (struct fake_answer){ err, text };
}

#endif
