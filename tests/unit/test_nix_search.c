/* app/nix/search: the packages' JSON read strictly, matches ranked, the evaluations asked of Nix. */
#include "check.h"

#include <jansson.h>
#include <unistd.h>

#include "app/nix/search.h"
#include "fake_nix_eval.h"

static const char packages[] =
	"{\"cowsay\":{\"description\":\"Talking cow for terminals\",\"pname\":\"cowsay\",\"version\":\"3.7\"},"
	"\"hello\":{\"description\":\"A friendly greeter\",\"pname\":\"hello\",\"version\":\"2.12\"},"
	"\"hello-wayland\":{\"description\":\"Hello world for Wayland\",\"pname\":null,\"version\":null},"
	"\"greeter\":{\"description\":\"Says hello to the cowboys\",\"pname\":\"greeter\",\"version\":\"1\"},"
	"\"plain\":{\"description\":null,\"pname\":null,\"version\":null}}";

static void parsed(struct nix_search_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	assert_int_equal(nix_search_parse(LIT(packages), rep), 0);
	assert_int_equal(rep->packages, 5);
	assert_int_equal(rep->n, 5);
}

static void test_parse(void **state)
{
	struct nix_search_report rep;
	size_t i;

	(void)state;
	parsed(&rep);
	for (i = 0; i < rep.n && strcmp(rep.hits[i].attr, "hello-wayland") != 0; i++)
		;
	assert_true(i < rep.n);
	assert_null(rep.hits[i].version);
	assert_null(rep.hits[i].pname);
	assert_string_equal(rep.hits[i].description, "Hello world for Wayland");
	nix_search_report_release(&rep);

	assert_int_equal(nix_search_parse(LIT("[1]"), &rep), ERR_INVALID);
	assert_contains(err_msg(), "not an attribute set");
	assert_int_equal(nix_search_parse(LIT("{\"a\":1}"), &rep), ERR_INVALID);
	assert_contains(err_msg(), "'a' is not a package");
	assert_int_equal(nix_search_parse(LIT("{\"a\":{\"version\":2}}"), &rep), ERR_INVALID);
	assert_contains(err_msg(), "package 'a': version is neither a string nor null");
	assert_null(rep.hits);
	assert_int_equal(rep.n, 0);
	assert_int_equal(nix_search_parse(LIT("{\"a\":"), &rep), ERR_INVALID);
}

/* Rank the parsed packages by QUERY: the matches must be WANT, "attr:score" each, space separated. */
static void ranked(const char *query, const char *want)
{
	struct nix_search_report rep;
	struct buf got = BUF_INIT(0);
	size_t i;

	parsed(&rep);
	assert_int_equal(nix_search_rank(&rep, query), 0);
	for (i = 0; i < rep.n; i++)
		buf_printf(&got, "%s%s:%u", i ? " " : "", rep.hits[i].attr, rep.hits[i].score);
	if (strcmp(got.data, want) != 0)
		fail_msg("'%s' ranked \"%s\", expected \"%s\"", query, got.data, want);
	buf_release(&got);
	nix_search_report_release(&rep);
}

/* Name equal above name containing, above a description's whole word, above a part of one. */
static void test_rank(void **state)
{
	struct nix_search_report rep;

	(void)state;
	ranked("HELLO", "hello:1000 hello-wayland:100 greeter:10");
	/* "cow": cowsay's name, greeter's description only within "cowboys". */
	ranked("cow", "cowsay:100 greeter:1");
	/* Every word must match: "hello wayland" leaves only hello-wayland; a word nowhere, nothing. */
	ranked("  hello   wayland ", "hello-wayland:200");
	ranked("zebra", "");
	/* No word: every package, by name. */
	ranked("", "cowsay:0 greeter:0 hello:0 hello-wayland:0 plain:0");

	parsed(&rep);
	assert_int_equal(nix_search_rank(&rep, "a b c d e f g h i j k l m n o p q"), ERR_INVALID);
	nix_search_report_release(&rep);
}

/* The run: the system first, then packages.<system> of the flake with the apply function. */
static void test_run(void **state)
{
	struct fake_nix_eval fe;
	struct nix_search_report rep;
	char *doc;
	json_t *j;

	(void)state;
	fake_nix_eval_init(&fe);
	fake_eval_answer(&fe, 0, "\"x86_64-linux\"");
	fake_eval_answer(&fe, 0, packages);
	assert_int_equal(nix_search_run(&fe.base, "path:/srv/fl", "talking", &rep), 0);
	assert_int_equal(fe.evals, 2);
	assert_string_equal(fe.expr[0], "builtins.currentSystem");
	assert_string_equal(fe.installable[1], "path:/srv/fl#packages.x86_64-linux");
	assert_contains(fe.apply[1], "meta.description");
	assert_true(fe.reqs[1].json);
	assert_string_equal(rep.system, "x86_64-linux");
	assert_int_equal(rep.n, 1);
	assert_non_null(doc = nix_search_report_json(&rep));
	assert_non_null(j = json_loads(doc, 0, NULL));
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "attr")), "cowsay");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "version")), "3.7");
	json_decref(j);
	free(doc);
	nix_search_report_release(&rep);

	/* A system name that is not one, and Nix's error, end it. */
	fake_nix_eval_init(&fe);
	fake_eval_answer(&fe, 0, "\"x86 64; rm\"");
	assert_int_equal(nix_search_run(&fe.base, "path:/srv/fl", "x", &rep), ERR_IO);
	fake_nix_eval_init(&fe);
	fake_eval_answer(&fe, 0, "\"x86_64-linux\"");
	fake_eval_answer(&fe, ERR_IO, "flake 'path:/srv/fl' does not provide attribute 'packages.x86_64-linux'");
	assert_int_equal(nix_search_run(&fe.base, "path:/srv/fl", "x", &rep), ERR_IO);
	assert_contains(err_msg(), "does not provide attribute");
	/* A reference with its own attribute is refused before Nix runs. */
	fake_nix_eval_init(&fe);
	assert_int_equal(nix_search_run(&fe.base, "path:/srv/fl#x", "x", &rep), ERR_INVALID);
	assert_int_equal(nix_search_run(&fe.base, "not a ref", "x", &rep), ERR_INVALID);
	assert_int_equal(fe.evals, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_rank),
		cmocka_unit_test(test_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
