/*
 * Fuzz target for app/nix/search: nix_search_parse of any bytes after the first line as the
 * flake's packages, then nix_search_rank with that first line as the query.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "app/nix/search.h"
#include "fuzz.h"
#include "util/err.h"

const char *const fuzz_seeds[] = {
	"hello\n{\"hello\":{\"description\":\"A friendly greeter\",\"pname\":\"hello\",\"version\":\"2.12\"},"
	"\"cowsay\":{\"description\":\"Talking cow\",\"pname\":null,\"version\":null}}",
	"cow boy\n{\"a\":{\"description\":\"cowboy\"},\"cow\":{},\"b\":{\"description\":\"the cow boy\"}}",
	"\n{}",
	"x\n{\"a\":1}",
	"x\n{\"a\":{\"version\":2}}",
	"x\n[]",
	"x\n{\"\\u0000\":{\"description\":\"x\\u0000y\"}}",
	"a b c d e f g h i j k l m n o p q\n{}",
	NULL,
};

/* True when H's name or description holds WORD (lowercase), case aside. */
static bool holds(const char *s, const char *word)
{
	size_t n = strlen(word), i;

	for (; s && *s; s++) {
		for (i = 0; i < n && s[i] && tolower((unsigned char)s[i]) == word[i]; i++)
			;
		if (i == n)
			return true;
	}
	return false;
}

static void check_ranked(const struct nix_search_report *rep, const char *query)
{
	char *q = strdup(query), *w, *save = NULL;
	size_t i, k;

	if (!q)
		abort();
	for (i = 0; q[i]; i++)
		q[i] = (char)tolower((unsigned char)q[i]);
	FUZZ_CHECK(rep->n <= rep->packages, "%zu matches of %zu packages", rep->n, rep->packages);
	for (i = 0; i < rep->n; i++) {
		const struct nix_search_hit *h = &rep->hits[i];

		FUZZ_CHECK(h->attr != NULL, "a match without its attribute");
		if (i)
			FUZZ_CHECK(h[-1].score > h->score || (h[-1].score == h->score && strcmp(h[-1].attr, h->attr) <= 0),
				   "matches out of order");
	}
	for (w = strtok_r(q, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
		for (k = 0; k < rep->n; k++)
			FUZZ_CHECK(holds(rep->hits[k].attr, w) || holds(rep->hits[k].description, w),
				   "'%s' matched without the word '%s'", rep->hits[k].attr, w);
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl = memchr(s, '\n', size);
	size_t qlen = nl ? (size_t)(nl - s) : size;
	struct nix_search_report rep;
	char *query = fuzz_strndup(data, qlen);
	int r;

	fuzz_begin(data, size);
	memset(&rep, 0, sizeof(rep));
	fuzz_err_mark();
	r = nix_search_parse(nl ? nl + 1 : s + size, nl ? size - qlen - 1 : 0, &rep);
	if (r < 0) {
		fuzz_check_failure("nix_search_parse", r, false);
		FUZZ_CHECK(!rep.hits && rep.n == 0, "a failed parse left packages");
		free(query);
		return 0;
	}
	FUZZ_CHECK(rep.n == rep.packages, "%zu hits for %zu packages", rep.n, rep.packages);
	r = nix_search_rank(&rep, query);
	if (r == 0)
		check_ranked(&rep, query);
	else
		fuzz_check_failure("nix_search_rank", r, false);
	nix_search_report_release(&rep);
	free(query);
	return 0;
}
