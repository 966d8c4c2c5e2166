/* util/text_list_lines: a list file's lines, comments and blanks dropped, numbered as in the file. */
#include "check.h"

#include <stdio.h>
#include <string.h>

#include "util/text.h"

struct seen {
	char text[512];
	size_t len;
	int stop_at;
};

static int take(char *line, int lineno, void *arg)
{
	struct seen *s = arg;

	s->len += (size_t)snprintf(s->text + s->len, sizeof(s->text) - s->len, "%d:%s|", lineno, line);
	return s->stop_at && lineno >= s->stop_at ? 9 : 0;
}

static void test_lines(void **state)
{
	char text[] = "web-1   # the first\n\n  @db\t\r\n# only a comment\n\t\nall";
	char again[sizeof(text)];
	struct seen s = { .len = 0 };

	(void)state;
	memcpy(again, text, sizeof(text));
	assert_int_equal(text_list_lines(text, take, &s), 0);
	assert_string_equal(s.text, "1:web-1|3:@db|6:all|");
	/* The callback's nonzero return stops the walk and is returned. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 3;
	assert_int_equal(text_list_lines(again, take, &s), 9);
	assert_string_equal(s.text, "1:web-1|3:@db|");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
