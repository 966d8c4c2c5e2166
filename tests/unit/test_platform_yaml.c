/* Unit tests for the YAML port on libfyaml (adapters/yaml): tree, positions, documents, errors; render without it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "adapters/yaml/yaml_fy.h"
#include "platform/platform.h"
#include "platform/render/render.h"
#include "ports/yaml.h"
#include "util/err.h"

static void parse(const char *text, struct yaml_doc *doc)
{
	assert_int_equal(yaml_fy_parser.parse(text, strlen(text), doc), 0);
}

static bool scalar_is(const struct yaml_node *n, const char *want)
{
	size_t len;
	const char *s = yaml_scalar(n, &len);

	return s && len == strlen(want) && memcmp(s, want, len) == 0;
}

/* Mappings keep every pair in order, duplicates too; sequences their items; scalars their style and place. */
static void test_tree(void **state)
{
	struct yaml_doc doc;
	struct yaml_pair *p;
	struct yaml_node *seq, *e;
	void *it = NULL;
	size_t n = 0;

	(void)state;
	parse("a: 1\nb:\n  - 'x'\n  - \"y\"\n  - [z]\na: 2\nc:\n", &doc);
	assert_false(doc.failed);
	assert_false(doc.has_next);
	assert_true(yaml_is_mapping(doc.root));
	assert_int_equal(yaml_mapping_count(doc.root), 4);
	while ((p = yaml_mapping_iterate(doc.root, &it)))
		n++;
	assert_int_equal(n, 4);
	p = yaml_mapping_at(doc.root, 2);
	assert_true(scalar_is(yaml_pair_key(p), "a"));
	assert_true(scalar_is(yaml_pair_value(p), "2"));
	assert_int_equal(yaml_style(yaml_pair_value(p)), YAML_STYLE_PLAIN);
	assert_int_equal(yaml_pair_key(p)->line, 5);	/* 0-based, as the parser counts */
	assert_int_equal(yaml_pair_key(p)->col, 0);
	assert_true(scalar_is(yaml_pair_key(yaml_mapping_at(doc.root, 3)), "c"));
	seq = yaml_pair_value(yaml_mapping_at(doc.root, 1));
	assert_true(yaml_is_sequence(seq));
	assert_int_equal(seq->nitems, 3);
	e = yaml_sequence_at(seq, 0);
	assert_int_equal(yaml_style(e), YAML_STYLE_SINGLE_QUOTED);
	assert_true(scalar_is(e, "x"));
	assert_int_equal(e->line, 2);
	assert_int_equal(e->col, 5);		/* past the quote */
	assert_int_equal(yaml_style(yaml_sequence_at(seq, 1)), YAML_STYLE_DOUBLE_QUOTED);
	assert_true(yaml_is_sequence(yaml_sequence_at(seq, 2)));
	assert_null(yaml_sequence_at(seq, 3));
	it = NULL;
	n = 0;
	while ((e = yaml_sequence_iterate(seq, &it)))
		n++;
	assert_int_equal(n, 3);
	assert_true(yaml_pair_key(yaml_mapping_at(doc.root, 0))->pos < yaml_pair_key(yaml_mapping_at(doc.root, 1))->pos);
	yaml_fy_parser.release(&doc);
}

static void test_aliases_documents_errors(void **state)
{
	struct yaml_doc doc;
	struct yaml_node *v;

	(void)state;
	parse("a: &x 1\nb: *x\nc: *nope\n", &doc);
	assert_false(doc.failed);
	{
		v = yaml_pair_value(yaml_mapping_at(doc.root, 1));
		assert_true(yaml_is_alias(v) && v->resolves);
		assert_true(scalar_is(v, "x"));
		v = yaml_pair_value(yaml_mapping_at(doc.root, 2));
		assert_true(yaml_is_alias(v) && !v->resolves);
	}
	yaml_fy_parser.release(&doc);

	parse("a: 1\n---\nb: 2\n", &doc);
	assert_false(doc.failed);
	assert_true(doc.has_next);
	assert_true(yaml_is_mapping(doc.next_root));
	yaml_fy_parser.release(&doc);

	parse("a: [1, 2\nb: 3\n", &doc);
	assert_true(doc.failed);
	assert_null(doc.root);
	assert_true(doc.err_line >= 1 && doc.err_col >= 1);
	assert_true(doc.err_msg[0] != '\0');
	yaml_fy_parser.release(&doc);

	parse("", &doc);
	assert_false(doc.failed);
	assert_null(doc.root);
	yaml_fy_parser.release(&doc);
	yaml_fy_parser.release(&doc);	/* twice is harmless */
}

/* render.yaml without a parser wired: an error that says so, not a crash. */
static void test_render_needs_a_parser(void **state)
{
	struct sim_report rep;

	(void)state;
	platform_use_yaml(NULL);
	sim_report_init(&rep, "render");
	assert_int_equal(sim_render_text("render.yaml", "services: []\n", 13, NULL, &rep), ERR_UNSUPPORTED);
	assert_non_null(strstr(err_msg(), "no YAML parser"));
	sim_report_release(&rep);
	platform_use_yaml(&yaml_fy_parser);
	sim_report_init(&rep, "render");
	assert_int_equal(sim_render_text("render.yaml", "services: []\n", 13, NULL, &rep), 0);
	assert_ptr_equal(platform_yaml(), &yaml_fy_parser);
	sim_report_release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_aliases_documents_errors),
		cmocka_unit_test(test_render_needs_a_parser),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
