/* Small text helpers shared by the parsers and the CLI. */
#include "util/text.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include "util/banned.h"

size_t text_distance(const char *a, size_t an, const char *b, size_t bn)
{
	size_t row[TEXT_DISTANCE_MAX + 1], i, j, prev, cur, best;

	if (an > TEXT_DISTANCE_MAX || bn > TEXT_DISTANCE_MAX)
		return SIZE_MAX;
	for (j = 0; j <= bn; j++)
		row[j] = j;
	/* One row of the table at a time: ROW holds the previous row until overwritten. */
	for (i = 1; i <= an; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= bn; j++) {
			cur = row[j];
			best = prev + (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[bn];
}

int text_list_lines(char *text, int (*fn)(char *line, int lineno, void *arg), void *arg)
{
	char *line, *next, *hash, *end;
	int lineno = 0, r;

	for (line = text; line; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		while (*line == ' ' || *line == '\t' || *line == '\r')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (*line && (r = fn(line, lineno, arg)) != 0)
			return r;
	}
	return 0;
}
