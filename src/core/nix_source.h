/* What to build with Nix: a file [-A ATTR] [args], or a flake REF#ATTR; and its checks. */
#ifndef CHIMERA_CORE_NIX_SOURCE_H
#define CHIMERA_CORE_NIX_SOURCE_H

#include <stddef.h>

#define NIX_ARGS_MAX 64

/* One --arg or --argstr. */
struct nix_arg {
	int is_str;		/* --argstr when set, else --arg (VALUE is a Nix expression) */
	const char *name;
	const char *value;
};

/* What to build: FILE [-A ATTR] [args], or a flake REF#ATTR. */
struct nix_source {
	const char *file;	/* NULL when FLAKE is set */
	const char *attr;	/* may be NULL */
	struct nix_arg args[NIX_ARGS_MAX];
	size_t nargs;
	const char *flake;	/* NULL when FILE is set */
};

/*
 * Check a source before anything runs: exactly one of file and flake; the file exists; the
 * attribute path, flake reference and argument names are well formed. Returns 0 or
 * ERR_INVALID naming the bad part.
 */
int nix_source_check(const struct nix_source *src);

#endif
