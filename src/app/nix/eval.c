/* Use case: chimera nix eval, an expression or a file's attribute evaluated strictly, and its event. */
#include "app/nix/eval.h"
#include "app/fleet/fleet.h"
#include "core/attrpath.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"

#define NIX_FILE_MAX (64u * 1024 * 1024)	/* the most of a file read for its digest */

/* The hex SHA3-256 of N bytes at P into HEX. */
static int digest_hex(const void *p, size_t n, char hex[SHA3_256_HEX])
{
	uint8_t d[SHA3_256_LEN];
	int r;

	if ((r = sha3_256(p, n, d)) < 0)
		return r;
	hex_encode(d, sizeof(d), hex);
	return 0;
}

/* The options checked, the file's real path into REP->file. */
static int check_opts(const struct nix_eval_opts *o, struct nix_eval_report *rep)
{
	struct attrpath ap;
	char q[128];

	if (o->attr && !o->file)
		return err_set(ERR_INVALID, "-A ATTR goes with -f FILE (an expression selects its own attributes)");
	if (!!o->expr == !!o->file)
		return err_set(ERR_INVALID, "give either an expression or -f FILE");
	if (o->expr && !*o->expr)
		return err_set(ERR_INVALID, "the expression is empty");
	if (o->attr && attrpath_parse(&ap, o->attr, strlen(o->attr)) < 0)
		return err_set(ERR_INVALID, "bad -A '%s': expected an attribute path such as a.b.\"c d\"",
			       err_quote(q, sizeof(q), o->attr, strlen(o->attr)));
	if (o->file && !realpath(o->file, rep->file))
		return err_set(ERR_INVALID, "bad -f '%s': %s; expected a .nix file, or a directory with default.nix",
			       err_quote(q, sizeof(q), o->file, strlen(o->file)), strerror(errno));
	return 0;
}

/* expression_sha256: of the expression, or of "FILE\nATTR" with FILE its content's digest. */
static int expression_digest(const struct nix_eval_opts *o, struct nix_eval_report *rep)
{
	struct buf b = BUF_INIT(NIX_FILE_MAX), text = BUF_INIT(0);
	char path[PATH_MAX + 16], hex[SHA3_256_HEX];
	struct stat st;
	int r;

	if (o->expr)
		return digest_hex(o->expr, strlen(o->expr), rep->expression_sha256);
	snprintf(path, sizeof(path), "%s%s", rep->file, stat(rep->file, &st) == 0 && S_ISDIR(st.st_mode) ? "/default.nix" : "");
	if ((r = fs_read_file(path, &b)) < 0)
		goto out;
	if ((r = digest_hex(b.data, b.len, hex)) < 0)
		goto out;
	if (buf_printf(&text, "%s\n%s", hex, o->attr ? o->attr : "") < 0) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	r = digest_hex(text.data, text.len, rep->expression_sha256);
out:
	buf_release(&b);
	buf_release(&text);
	return r;
}

/* result_sha256: of the value as JSON, evaluated again as JSON when it was printed as Nix prints it. */
static int result_digest(const struct nix_eval_ctx *ctx, const struct nix_eval_req *req, struct nix_eval_report *rep)
{
	struct nix_eval_req jr = *req;
	struct buf json = BUF_INIT(NIX_EVAL_VALUE_MAX);
	int r;

	rep->result_form = "json";
	if (req->json)
		return digest_hex(rep->value, strlen(rep->value), rep->result_sha256);
	jr.json = 1;
	if (ctx->nix->ops->eval(ctx->nix, &jr, &json) == 0) {
		r = digest_hex(json.data, json.len, rep->result_sha256);
	} else {
		err_clear();
		rep->result_form = "text";
		r = digest_hex(rep->value, strlen(rep->value), rep->result_sha256);
	}
	buf_release(&json);
	return r;
}

static void record(const struct nix_eval_ctx *ctx, struct nix_eval_report *rep)
{
	json_t *p;
	int r;

	if (!ctx->ledger)
		return;
	p = json_pack("{s:s, s:s, s:s, s:o, s:o, s:b, s:I}", "expression_sha256", rep->expression_sha256,
		      "result_sha256", rep->result_sha256, "result_form", rep->result_form, "file",
		      rep->file[0] ? json_utf8_string(rep->file, strlen(rep->file)) : json_null(), "attr",
		      rep->attr ? json_string(rep->attr) : json_null(), "json", rep->json, "ms", (json_int_t)rep->ms);
	if ((r = fleet_record(ctx->ledger, "nix.expression.evaluated", NULL, NULL, p, NULL)) < 0)
		fleet_keep_ledger_error(r, &rep->ledger_err, rep->ledger_msg, sizeof(rep->ledger_msg));
}

/* A failed evaluation (R, its message Nix's): into REP, with the position Nix named. */
static int eval_failed(struct nix_eval_report *rep, int r)
{
	const char *msg = err_msg();

	if (r != ERR_IO)
		return r;
	if (!(rep->error = strdup(msg)))
		return err_set(ERR_NOMEM, "out of memory");
	nix_errpos_find(msg, strlen(msg), &rep->pos);
	return 0;
}

int nix_eval_run(const struct nix_eval_ctx *ctx, const struct nix_eval_opts *o, struct nix_eval_report *rep)
{
	struct nix_eval_req req = { .expr = o->expr, .attr = o->attr, .json = o->json };
	struct buf value = BUF_INIT(NIX_EVAL_VALUE_MAX);
	int64_t t0 = clock_mono_ms();
	int r;

	memset(rep, 0, sizeof(*rep));
	rep->json = o->json;
	rep->result_form = "json";
	if ((r = check_opts(o, rep)) < 0)
		goto out;
	if (!ctx->nix->ops->eval) {
		r = err_set(ERR_UNSUPPORTED, "this nix back end (%s) cannot evaluate", ctx->nix->ops->name);
		goto out;
	}
	if ((o->expr && !(rep->expr = strdup(o->expr))) || (o->attr && !(rep->attr = strdup(o->attr)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	req.file = o->file ? rep->file : NULL;
	if ((r = expression_digest(o, rep)) < 0)
		goto out;
	if ((r = ctx->nix->ops->eval(ctx->nix, &req, &value)) < 0) {
		r = eval_failed(rep, r);
		goto out;
	}
	if (!(rep->value = buf_detach(&value, NULL))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = result_digest(ctx, &req, rep)) < 0)
		goto out;
	rep->ok = true;
	rep->ms = clock_mono_ms() - t0;
	record(ctx, rep);
out:
	if (!rep->ok)
		rep->ms = clock_mono_ms() - t0;
	buf_release(&value);
	return r;
}

void nix_eval_report_release(struct nix_eval_report *rep)
{
	free(rep->value);
	free(rep->error);
	free(rep->expr);
	free(rep->attr);
	memset(rep, 0, sizeof(*rep));
}

static json_t *position_json(const struct nix_errpos *pos)
{
	if (!pos->set)
		return json_null();
	return json_pack("{s:o, s:b, s:I, s:I}", "file", pos->expr ? json_null() : json_utf8_string(pos->file, strlen(pos->file)),
			 "expression", pos->expr, "line", (json_int_t)pos->line, "column", (json_int_t)pos->column);
}

/* The value: its JSON when it was printed as JSON, else Nix's text as a string. */
static json_t *value_json(const struct nix_eval_report *rep)
{
	json_t *v;

	if (rep->json && (v = json_loads(rep->value, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)))
		return v;
	return json_utf8_string(rep->value, strlen(rep->value));
}

char *nix_eval_report_json(const struct nix_eval_report *rep)
{
	json_t *doc = json_pack("{s:b, s:b, s:o, s:o, s:o, s:s, s:I}", "ok", rep->ok, "json", rep->json, "expression",
				rep->expr ? json_utf8_string(rep->expr, strlen(rep->expr)) : json_null(), "file",
				rep->file[0] ? json_utf8_string(rep->file, strlen(rep->file)) : json_null(), "attr",
				rep->attr ? json_string(rep->attr) : json_null(), "expression_sha256",
				rep->expression_sha256, "ms", (json_int_t)rep->ms);

	if (!doc)
		return NULL;
	if (rep->ok) {
		json_object_set_new(doc, "value", value_json(rep));
		json_object_set_new(doc, "result_sha256", json_string(rep->result_sha256));
		json_object_set_new(doc, "result_form", json_string(rep->result_form));
	} else {
		json_object_set_new(doc, "error", json_utf8_string(rep->error ? rep->error : "", strlen(rep->error ? rep->error : "")));
		json_object_set_new(doc, "position", position_json(&rep->pos));
	}
	return json_render(doc);
}
