/*
 * Use case: `chimera nix search QUERY [--flake REF]`: the packages a flake gives the current
 * system (packages.<system>), evaluated offline by the nix port, matched and ranked by the
 * words of the query against their attribute names and descriptions.
 */
#ifndef CHIMERA_APP_NIX_SEARCH_H
#define CHIMERA_APP_NIX_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "app/nix/build.h"
#include "ports/nix.h"

#define NIX_SEARCH_WORDS_MAX 16
#define NIX_SEARCH_SYSTEM_MAX 64

/* One package of the flake, and how well it matches. */
struct nix_search_hit {
	char *attr;		/* its attribute name under packages.<system>; owned */
	char *pname;		/* or NULL; owned */
	char *version;		/* or NULL; owned */
	char *description;	/* meta.description, or NULL; owned */
	unsigned score;		/* see nix_search_rank */
};

struct nix_search_report {
	char flake[NIX_INSTALLABLE_MAX];	/* the reference evaluated (a directory as path:DIR) */
	char system[NIX_SEARCH_SYSTEM_MAX];
	char query[1024];
	size_t packages;			/* how many the flake has */
	struct nix_search_hit *hits;		/* the matches, best first; owned */
	size_t n;
};

/*
 * The packages of TEXT (LEN bytes: the JSON object the search's evaluation prints, attribute
 * name -> {pname, version, description}, each a string or null) into REP's hits, unranked,
 * REP->packages their count. Returns 0, or ERR_INVALID naming what is not as expected (a
 * value that is not an object, a field that is neither string nor null), or ERR_NOMEM;
 * REP holds no hit on failure.
 */
int nix_search_parse(const char *text, size_t len, struct nix_search_report *rep);

/*
 * Keep the hits of REP that every word of QUERY (split at blanks, compared without case)
 * matches, in the attribute name or the description, and sort them best first: per word,
 * an attribute name equal to the word scores 1000, one containing it 100, a description
 * with it as a whole word 10, containing it 1; ties by attribute name. An empty QUERY
 * keeps every package. Returns 0, or ERR_INVALID for more than NIX_SEARCH_WORDS_MAX words
 * or a word longer than 255 bytes.
 */
int nix_search_rank(struct nix_search_report *rep, const char *query);

/*
 * Search FLAKE (a reference without '#'; a directory means its path: flake; NULL: the
 * working directory) with NX for QUERY into REP (release it with nix_search_report_release).
 * Nothing is fetched that is not already there and no lock file is written. Returns 0;
 * ERR_INVALID for a bad reference or query; the nix's error (Nix's message) when the flake
 * cannot be evaluated; ERR_UNSUPPORTED when the nix cannot evaluate.
 */
int nix_search_run(struct nix *nx, const char *flake, const char *query, struct nix_search_report *rep);

void nix_search_report_release(struct nix_search_report *rep);

/*
 * REP as `chimera nix search --json` prints it: the matches, best first, as an array of
 * {attr, version, description, pname} (each null when the package has none). The text
 * (the caller frees it), or NULL.
 */
char *nix_search_report_json(const struct nix_search_report *rep);

#endif
