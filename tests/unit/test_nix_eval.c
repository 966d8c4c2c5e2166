/* app/nix/eval: options checked, digests of the expression and the value, Nix's error and its position, the event. */
#include "check.h"

#include <jansson.h>
#include <unistd.h>

#include "app/nix/eval.h"
#include "fake_events.h"
#include "fake_ledger.h"
#include "fake_nix_eval.h"
#include "util/hash.h"

struct fx {
	struct fake_nix_eval fe;
	struct fake_ledger fl;
	struct nix_eval_ctx ctx;
	char dir[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fake_nix_eval_init(&f->fe);
	fake_ledger_init(&f->fl);
	f->ctx = (struct nix_eval_ctx){ &f->fe.base, &f->fl.base };
	assert_int_equal(scratch_make(f->dir, sizeof(f->dir), "nix-eval"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fs_rm_rf(f->dir);
	fake_ledger_release(&f->fl);
	free(f);
	return 0;
}

static void hex_of(const char *s, size_t n, char hex[SHA3_256_HEX])
{
	uint8_t d[SHA3_256_LEN];

	assert_int_equal(sha3_256(s, n, d), 0);
	hex_encode(d, sizeof(d), hex);
}

/* An expression with --json: one evaluation, digests of the expression and the JSON printed. */
static void test_expression_json(void **state)
{
	struct fx *f = *state;
	struct nix_eval_report rep;
	char want[SHA3_256_HEX];
	json_t *p;

	fake_eval_answer(&f->fe, 0, "{\"a\":1}");
	assert_int_equal(nix_eval_run(&f->ctx, &(struct nix_eval_opts){ .expr = "{ a = 1; }", .json = true }, &rep), 0);
	assert_true(rep.ok);
	assert_string_equal(rep.value, "{\"a\":1}");
	assert_int_equal(f->fe.evals, 1);
	assert_string_equal(f->fe.expr[0], "{ a = 1; }");
	assert_true(f->fe.reqs[0].json);
	assert_int_equal(events_count(&f->fl, "nix.expression.evaluated"), 1);
	p = events_payload(&f->fl, "nix.expression.evaluated", NULL);
	hex_of(LIT("{ a = 1; }"), want);
	assert_string_equal(events_str(p, "expression_sha256"), want);
	hex_of(LIT("{\"a\":1}"), want);
	assert_string_equal(events_str(p, "result_sha256"), want);
	assert_string_equal(events_str(p, "result_form"), "json");
	assert_true(json_is_null(json_object_get(p, "file")));
	assert_true(json_is_null(json_object_get(p, "attr")));
	nix_eval_report_release(&rep);
}

/* As Nix prints it: a second evaluation, as JSON, gives the result's digest; without JSON, the text's. */
static void test_text_digest(void **state)
{
	struct fx *f = *state;
	struct nix_eval_report rep;
	char want[SHA3_256_HEX];

	fake_eval_answer(&f->fe, 0, "{ a = 1; }");
	fake_eval_answer(&f->fe, 0, "{\"a\":1}");
	assert_int_equal(nix_eval_run(&f->ctx, &(struct nix_eval_opts){ .expr = "{ a = 1; }" }, &rep), 0);
	assert_string_equal(rep.value, "{ a = 1; }");
	assert_int_equal(f->fe.evals, 2);
	assert_false(f->fe.reqs[0].json);
	assert_true(f->fe.reqs[1].json);
	hex_of(LIT("{\"a\":1}"), want);
	assert_string_equal(rep.result_sha256, want);
	assert_string_equal(rep.result_form, "json");
	nix_eval_report_release(&rep);

	fake_eval_answer(&f->fe, 0, "<LAMBDA>");
	fake_eval_answer(&f->fe, ERR_IO, "cannot convert a function to JSON");
	assert_int_equal(nix_eval_run(&f->ctx, &(struct nix_eval_opts){ .expr = "x: x" }, &rep), 0);
	assert_true(rep.ok);
	hex_of(LIT("<LAMBDA>"), want);
	assert_string_equal(rep.result_sha256, want);
	assert_string_equal(rep.result_form, "text");
	assert_string_equal(events_str(f->fl.payload[1], "result_form"), "text");
	nix_eval_report_release(&rep);
}

/* A file and its attribute: the file's real path goes to Nix; the digest is of its content and ATTR. */
static void test_file_attr(void **state)
{
	struct fx *f = *state;
	struct nix_eval_report rep;
	char file[600], sub[600], real[PATH_MAX], content_hex[SHA3_256_HEX], text[200], want[SHA3_256_HEX];
	static const char content[] = "{ x.y = 3; }\n";

	snprintf(file, sizeof(file), "%s/f.nix", f->dir);
	assert_int_equal(fs_write_file(file, content, sizeof(content) - 1, 0644), 0);
	assert_non_null(realpath(file, real));
	assert_int_equal(chdir(f->dir), 0);
	fake_eval_answer(&f->fe, 0, "3");
	fake_eval_answer(&f->fe, 0, "3");
	assert_int_equal(nix_eval_run(&f->ctx, &(struct nix_eval_opts){ .file = "f.nix", .attr = "x.y" }, &rep), 0);
	assert_string_equal(f->fe.file[0], real);
	assert_string_equal(rep.file, real);
	hex_of(content, sizeof(content) - 1, content_hex);
	snprintf(text, sizeof(text), "%s\nx.y", content_hex);
	hex_of(text, strlen(text), want);
	assert_string_equal(rep.expression_sha256, want);
	assert_string_equal(events_str(f->fl.payload[0], "file"), real);
	assert_string_equal(events_str(f->fl.payload[0], "attr"), "x.y");
	nix_eval_report_release(&rep);

	/* A directory means its default.nix. */
	snprintf(sub, sizeof(sub), "%s/d", f->dir);
	assert_int_equal(fs_mkdir_p(sub, 0755), 0);
	snprintf(file, sizeof(file), "%s/d/default.nix", f->dir);
	assert_int_equal(fs_write_file(file, content, sizeof(content) - 1, 0644), 0);
	fake_eval_answer(&f->fe, 0, "{ y = 3; }");
	fake_eval_answer(&f->fe, 0, "{\"y\":3}");
	assert_int_equal(nix_eval_run(&f->ctx, &(struct nix_eval_opts){ .file = sub, .attr = "x.y" }, &rep), 0);
	assert_string_equal(rep.expression_sha256, want);
	nix_eval_report_release(&rep);
}

/* Nix refused it: the report carries its error and position, no event, no second evaluation. */
static void test_nix_error(void **state)
{
	struct fx *f = *state;
	struct nix_eval_report rep;
	char *doc;
	json_t *j;

	fake_eval_answer(&f->fe, ERR_IO,
		    "syntax error, unexpected end of file\n\n       at \xc2\xabstring\xc2\xbb:1:9:\n\n            1| { a = 1;");
	assert_int_equal(nix_eval_run(&f->ctx, &(struct nix_eval_opts){ .expr = "{ a = 1;" }, &rep), 0);
	assert_false(rep.ok);
	assert_contains(rep.error, "syntax error, unexpected end of file");
	assert_true(rep.pos.set);
	assert_true(rep.pos.expr);
	assert_int_equal(rep.pos.line, 1);
	assert_int_equal(rep.pos.column, 9);
	assert_int_equal(f->fe.evals, 1);
	assert_int_equal(f->fl.n, 0);
	assert_non_null(doc = nix_eval_report_json(&rep));
	assert_non_null(j = json_loads(doc, 0, NULL));
	assert_true(json_is_false(json_object_get(j, "ok")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "position"), "column")), 9);
	assert_true(json_is_null(json_object_get(json_object_get(j, "position"), "file")));
	json_decref(j);
	free(doc);
	nix_eval_report_release(&rep);

	/* Not Nix's refusal (Nix missing): the error itself. */
	fake_eval_answer(&f->fe, ERR_NOTFOUND, "nix-instantiate is needed on PATH");
	assert_int_equal(nix_eval_run(&f->ctx, &(struct nix_eval_opts){ .expr = "1" }, &rep), ERR_NOTFOUND);
	nix_eval_report_release(&rep);
}

static void bad_opts(struct fx *f, const struct nix_eval_opts *o, const char *msg)
{
	struct nix_eval_report rep;

	assert_int_equal(nix_eval_run(&f->ctx, o, &rep), ERR_INVALID);
	assert_contains(err_msg(), msg);
	nix_eval_report_release(&rep);
}

static void test_bad_options(void **state)
{
	struct fx *f = *state;

	bad_opts(f, &(struct nix_eval_opts){ 0 }, "give either an expression or -f FILE");
	bad_opts(f, &(struct nix_eval_opts){ .expr = "1", .file = "/" }, "give either an expression or -f FILE");
	bad_opts(f, &(struct nix_eval_opts){ .expr = "1", .attr = "a" }, "-A ATTR goes with -f FILE");
	bad_opts(f, &(struct nix_eval_opts){ .expr = "" }, "the expression is empty");
	bad_opts(f, &(struct nix_eval_opts){ .file = "/", .attr = "a..b" }, "bad -A 'a..b'");
	bad_opts(f, &(struct nix_eval_opts){ .file = "/no/such/file.nix" }, "bad -f '/no/such/file.nix'");
	assert_int_equal(f->fe.evals, 0);
	assert_int_equal(f->fl.n, 0);
}

static void test_errpos(void **state)
{
	struct nix_errpos p;
	static const char inline_at[] = "attribute 'system' already defined at /a/flake.nix:6:14\n\n       at /a/flake.nix:7:7:\n";

	(void)state;
	assert_true(nix_errpos_find(LIT("error\n   at /tmp/x y.nix:12:34:\n   at /other:1:1:\n"), &p));
	assert_string_equal(p.file, "/tmp/x y.nix");
	assert_false(p.expr);
	assert_int_equal(p.line, 12);
	assert_int_equal(p.column, 34);
	assert_true(nix_errpos_find(LIT(inline_at), &p));
	assert_int_equal(p.line, 7);
	assert_int_equal(p.column, 7);
	assert_true(nix_errpos_find(LIT("at C:\\dir:3:4:"), &p));
	assert_string_equal(p.file, "C:\\dir");
	assert_false(nix_errpos_find(LIT("attribute 'nope' in selection path 'nope' not found"), &p));
	assert_false(p.set);
	assert_false(nix_errpos_find(LIT("   at /x:0:1:\n   at /x:1:\n   at :1:1:\n"), &p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_expression_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_attr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nix_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
		cmocka_unit_test(test_errpos),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
