/* Use case: chimera nix search, a flake's packages matched and ranked by the words of a query. */
#include "app/nix/search.h"
#include "util/err.h"
#include "util/json.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

#define SEARCH_VALUE_MAX (256u * 1024 * 1024)

/*
 * Applied to packages.<system>: each package's pname, version and meta.description, a string
 * or null; a package whose attribute throws gets null there instead of failing the search.
 */
static const char search_apply[] =
	"ps: builtins.mapAttrs (n: p: let\n"
	"  get = f: let t = builtins.tryEval (if builtins.isAttrs p then f p else null);\n"
	"    in if t.success && builtins.isString t.value && t.value != \"\" then t.value else null;\n"
	"  name = p: builtins.parseDrvName (p.name or \"\");\n"
	"in {\n"
	"  pname = get (p: p.pname or (name p).name);\n"
	"  version = get (p: p.version or (name p).version);\n"
	"  description = get (p: p.meta.description or null);\n"
	"}) ps";

static void hit_release(struct nix_search_hit *h)
{
	free(h->attr);
	free(h->pname);
	free(h->version);
	free(h->description);
	memset(h, 0, sizeof(*h));
}

/* Field KEY of the package object O (a string, null or absent) into *OUT. */
static int take_field(const json_t *o, const char *attr, const char *key, char **out)
{
	const json_t *v = json_object_get(o, key);
	char q[96];

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_set(ERR_INVALID, "package '%s': %s is neither a string nor null",
			       err_quote(q, sizeof(q), attr, strlen(attr)), key);
	if (!(*out = strdup(json_string_value(v))))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int nix_search_parse(const char *text, size_t len, struct nix_search_report *rep)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, 0, &jerr), *v;
	const char *key;
	int r = 0;

	rep->hits = NULL;
	rep->n = rep->packages = 0;
	if (!json_is_object(doc)) {
		char q[200];

		r = err_set(ERR_INVALID, "the flake's packages: %s",
			    doc ? "not an attribute set" : err_quote(q, sizeof(q), jerr.text, strlen(jerr.text)));
		goto out;
	}
	if (!(rep->hits = calloc(json_object_size(doc) + 1, sizeof(*rep->hits)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	json_object_foreach(doc, key, v) {
		struct nix_search_hit *h = &rep->hits[rep->n++];

		if (!json_is_object(v)) {
			char q[96];

			r = err_set(ERR_INVALID, "the flake's packages: '%s' is not a package",
				    err_quote(q, sizeof(q), key, strlen(key)));
			goto out;
		}
		if (!(h->attr = strdup(key))) {
			r = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		if ((r = take_field(v, key, "pname", &h->pname)) < 0 || (r = take_field(v, key, "version", &h->version)) < 0 ||
		    (r = take_field(v, key, "description", &h->description)) < 0)
			goto out;
	}
	rep->packages = rep->n;
out:
	json_decref(doc);
	if (r < 0)
		nix_search_report_release(rep);
	return r;
}

/* Where the lowercase WORD (N bytes) first starts in S, compared without case; NULL when nowhere. */
static const char *find_word(const char *s, const char *word, size_t n)
{
	size_t i;

	for (; *s; s++) {
		for (i = 0; i < n && s[i] && tolower((unsigned char)s[i]) == word[i]; i++)
			;
		if (i == n)
			return s;
	}
	return NULL;
}

/* How well the lowercase WORD (N bytes) matches H (0: not at all). */
static unsigned word_score(const struct nix_search_hit *h, const char *word, size_t n)
{
	const char *d = h->description, *at;
	unsigned best = 0;

	if (strlen(h->attr) == n && find_word(h->attr, word, n) == h->attr)
		return 1000;
	if (find_word(h->attr, word, n))
		return 100;
	for (at = d ? find_word(d, word, n) : NULL; at; at = find_word(at + 1, word, n)) {
		bool whole = (at == d || !isalnum((unsigned char)at[-1])) && !isalnum((unsigned char)at[n]);

		best = whole ? 10 : best > 1 ? best : 1;
		if (whole)
			break;
	}
	return best;
}

static int hit_cmp(const void *x, const void *y)
{
	const struct nix_search_hit *a = x, *b = y;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return strcmp(a->attr, b->attr);
}

int nix_search_rank(struct nix_search_report *rep, const char *query)
{
	char words[NIX_SEARCH_WORDS_MAX][256];
	size_t nw = 0, i, k, kept = 0;
	const char *p = query;

	while (*p) {
		size_t n = strcspn(p, " \t\n");

		if (n) {
			if (nw == NIX_SEARCH_WORDS_MAX)
				return err_set(ERR_INVALID, "bad query: more than %d words", NIX_SEARCH_WORDS_MAX);
			if (n >= sizeof(words[0]))
				return err_set(ERR_INVALID, "bad query: a word of %zu bytes; expected words of at most %zu",
					       n, sizeof(words[0]) - 1);
			for (i = 0; i < n; i++)
				words[nw][i] = (char)tolower((unsigned char)p[i]);
			words[nw++][i] = '\0';
		}
		p += n + (p[n] ? 1 : 0);
	}
	for (i = 0; i < rep->n; i++) {
		struct nix_search_hit *h = &rep->hits[i];
		unsigned s, total = 0;

		for (k = 0; k < nw && (s = word_score(h, words[k], strlen(words[k]))); k++)
			total += s;
		if (k < nw) {
			hit_release(h);
			continue;
		}
		h->score = total;
		rep->hits[kept++] = *h;
	}
	rep->n = kept;
	qsort(rep->hits, rep->n, sizeof(*rep->hits), hit_cmp);
	return 0;
}

/* The current system, as Nix names it ("x86_64-linux"), into REP. */
static int current_system(struct nix *nx, struct nix_search_report *rep)
{
	struct buf out = BUF_INIT(4096);
	json_t *v = NULL;
	const char *s;
	int r;

	if ((r = nx->ops->eval(nx, &(struct nix_eval_req){ .expr = "builtins.currentSystem", .json = 1 }, &out)) < 0)
		goto out;
	v = json_loadb(out.data, out.len, JSON_DECODE_ANY, NULL);
	s = json_string_value(v);
	if (!s || !*s || strlen(s) >= sizeof(rep->system) || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s)) {
		r = err_set(ERR_IO, "Nix named the current system '%.60s', not a system such as x86_64-linux", out.data);
		goto out;
	}
	snprintf(rep->system, sizeof(rep->system), "%s", s);
out:
	json_decref(v);
	buf_release(&out);
	return r;
}

/* FLAKE (NULL: the working directory) resolved into REP->flake. */
static int search_flake(const char *flake, struct nix_search_report *rep)
{
	char cwd[PATH_MAX], q[128];

	if (!flake) {
		if (!getcwd(cwd, sizeof(cwd)))
			return err_set_errno(ERR_IO, errno, "cannot read the working directory");
		flake = cwd;
	}
	if (strchr(flake, '#'))
		return err_set(ERR_INVALID, "bad --flake '%s': the search names the attributes itself; leave out '#...'",
			       err_quote(q, sizeof(q), flake, strlen(flake)));
	return nix_flake_resolve(flake, strlen(flake), rep->flake, sizeof(rep->flake));
}

int nix_search_run(struct nix *nx, const char *flake, const char *query, struct nix_search_report *rep)
{
	char installable[NIX_INSTALLABLE_MAX + NIX_SEARCH_SYSTEM_MAX + 16];
	struct flakeref *ref = NULL;
	struct buf out = BUF_INIT(SEARCH_VALUE_MAX);
	int r;

	memset(rep, 0, sizeof(*rep));
	snprintf(rep->query, sizeof(rep->query), "%s", query);
	if (!nx->ops->eval)
		return err_set(ERR_UNSUPPORTED, "this nix back end (%s) cannot evaluate", nx->ops->name);
	if ((r = search_flake(flake, rep)) < 0)
		goto out;
	if (!(ref = malloc(sizeof(*ref)))) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((r = flakeref_parse(ref, rep->flake, strlen(rep->flake))) < 0 || (r = current_system(nx, rep)) < 0)
		goto out;
	snprintf(installable, sizeof(installable), "%s#packages.%s", rep->flake, rep->system);
	if ((r = nx->ops->eval(nx, &(struct nix_eval_req){ .installable = installable, .apply = search_apply, .json = 1 },
			       &out)) < 0)
		goto out;
	if ((r = nix_search_parse(out.data, out.len, rep)) == 0)
		r = nix_search_rank(rep, query);
out:
	free(ref);
	buf_release(&out);
	return r;
}

void nix_search_report_release(struct nix_search_report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++)
		hit_release(&rep->hits[i]);
	free(rep->hits);
	rep->hits = NULL;
	rep->n = 0;
}

static json_t *opt_string(const char *s)
{
	return s ? json_utf8_string(s, strlen(s)) : json_null();
}

char *nix_search_report_json(const struct nix_search_report *rep)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < rep->n; i++)
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:o}", "attr", opt_string(rep->hits[i].attr), "version",
						     opt_string(rep->hits[i].version), "description",
						     opt_string(rep->hits[i].description), "pname", opt_string(rep->hits[i].pname)));
	return json_render(arr);
}
