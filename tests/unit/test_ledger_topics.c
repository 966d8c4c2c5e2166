/* The event topic catalog (core/topics.c): its rows, the check every append goes through, and docs/events.md kept equal to it. */
#include "check.h"

#include <stdlib.h>

#include "core/chain.h"
#include "core/topics.h"

#ifndef CHIMERA_SOURCE_DIR
#define CHIMERA_SOURCE_DIR "."
#endif

#define BEGIN_MARK "<!-- topics:begin -->\n"
#define END_MARK "<!-- topics:end -->\n"

static void test_rows(void **state)
{
	const struct topic *t;
	size_t n, i, j;

	(void)state;
	t = topics_all(&n);
	assert_true(n >= 50);
	for (i = 0; i < n; i++) {
		size_t len = strlen(t[i].name);
		int ns = len > 2 && strcmp(t[i].name + len - 2, ".*") == 0;
		char exact[LEDGER_TOPIC_MAX + 8];

		snprintf(exact, sizeof(exact), "%.*s%s", (int)(ns ? len - 2 : len), t[i].name, ns ? ".x" : "");
		if (!chain_topic_ok(exact))
			fail_msg("row %zu: '%s' is not shaped like a topic", i, t[i].name);
		if (i && strcmp(t[i - 1].name, t[i].name) >= 0)
			fail_msg("rows out of order: '%s' before '%s'", t[i - 1].name, t[i].name);
		assert_true(t[i].version >= 1);
		assert_non_null(t[i].meaning);
		assert_non_null(t[i].fields);
		assert_non_null(t[i].fields[0]);
		/* Table cells: no '|' nor newline anywhere. */
		assert_null(strpbrk(t[i].meaning, "|\n"));
		for (j = 0; t[i].fields[j]; j++)
			assert_null(strpbrk(t[i].fields[j], "|\n`"));
		assert_ptr_equal(topics_find(exact), &t[i]);
	}
}

static void test_check(void **state)
{
	(void)state;
	assert_int_equal(topics_check("node.exec"), 0);
	assert_int_equal(topics_check("watch.node.heal_failed"), 0);
	assert_int_equal(topics_check("secret.push"), 0);
	assert_int_equal(topics_check("test.anything.goes"), 0);
	assert_int_equal(topics_check("node.nope"), ERR_INVALID);
	assert_string_equal(err_msg(), "unknown topic 'node.nope': not in the event catalog (docs/events.md)");
	assert_int_equal(topics_check("test"), ERR_INVALID);
	assert_int_equal(topics_check("test."), ERR_INVALID);
	assert_int_equal(topics_check("tests.x"), ERR_INVALID);
	assert_int_equal(topics_check("node.exec.more"), ERR_INVALID);
	assert_int_equal(topics_check("Bad Topic"), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "bad topic 'Bad Topic'"));
	assert_int_equal(topics_check(NULL), ERR_INVALID);
	assert_null(topics_find(NULL));
	assert_null(topics_find("node"));
}

/* The block of docs/events.md between the markers, in OUT. */
static void doc_block(struct buf *out)
{
	struct buf doc = BUF_INIT(0);
	const char *a, *b;

	if (fs_read_file(CHIMERA_SOURCE_DIR "/docs/events.md", &doc) < 0)
		fail_msg("cannot read docs/events.md: %s", err_msg());
	a = strstr(doc.data, BEGIN_MARK);
	b = a ? strstr(a, END_MARK) : NULL;
	if (!a || !b)
		fail_msg("docs/events.md has no %s...%s block", BEGIN_MARK, END_MARK);
	a += strlen(BEGIN_MARK);
	assert_int_equal(buf_add(out, a, (size_t)(b - a)), 0);
	buf_release(&doc);
}

static void test_doc_equals_catalog(void **state)
{
	struct buf want = BUF_INIT(0), have = BUF_INIT(0);

	(void)state;
	assert_int_equal(topics_markdown(&want), 0);
	doc_block(&have);
	if (want.len != have.len || memcmp(want.data, have.data, want.len) != 0) {
		size_t i = 0;

		while (i < want.len && i < have.len && want.data[i] == have.data[i])
			i++;
		fail_msg("docs/events.md and the catalog differ from byte %zu of the table (near '%.60s');"
			 " print the catalog's table with `test_ledger_topics --print`", i, want.data + (i > 20 ? i - 20 : 0));
	}
	buf_release(&want);
	buf_release(&have);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_doc_equals_catalog),
	};

	if (argc == 2 && strcmp(argv[1], "--print") == 0) {
		struct buf md = BUF_INIT(0);

		if (topics_markdown(&md) < 0)
			return 1;
		fwrite(md.data, 1, md.len, stdout);
		buf_release(&md);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
