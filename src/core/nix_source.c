/* The checks of a Nix source, before anything runs. */
#include "core/nix_source.h"
#include "core/attrpath.h"
#include "core/flakeref.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/banned.h"

/* A Nix identifier: [A-Za-z_][A-Za-z0-9_'-]*. */
static int nix_ident_ok(const char *s)
{
	size_t i;

	if (!s || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return 0;
	for (i = 1; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '\'' || c == '-'))
			return 0;
	}
	return i <= 256;
}

int nix_source_check(const struct nix_source *src)
{
	char q[128];
	size_t i;

	if (!!src->file == !!src->flake)
		return err_set(ERR_INVALID, "give either -c FILE.nix or --flake REF#ATTR");
	if (src->file) {
		struct stat st;

		if (stat(src->file, &st) < 0)
			return err_set(ERR_INVALID, "configuration '%s' does not exist",
				       err_quote(q, sizeof(q), src->file, strlen(src->file)));
		if (src->attr) {
			struct attrpath ap;
			int r = attrpath_parse(&ap, src->attr, strlen(src->attr));

			if (r < 0)
				return r;
		}
	} else {
		struct flakeref *f = malloc(sizeof(*f));
		int r;

		if (!f)
			return err_set(ERR_NOMEM, "out of memory");
		r = flakeref_parse(f, src->flake, strlen(src->flake));
		if (r == 0 && !f->has_attr)
			r = err_set(ERR_INVALID, "flake reference '%s' names no attribute; expected REF#ATTR",
				    err_quote(q, sizeof(q), src->flake, strlen(src->flake)));
		free(f);
		if (r < 0)
			return r;
		if (src->nargs)
			return err_set(ERR_INVALID, "--arg and --argstr go with -c FILE.nix, not --flake");
	}
	for (i = 0; i < src->nargs; i++)
		if (!nix_ident_ok(src->args[i].name))
			return err_set(ERR_INVALID, "argument name '%s' is not a Nix identifier",
				       err_quote(q, sizeof(q), src->args[i].name ? src->args[i].name : "",
						 src->args[i].name ? strlen(src->args[i].name) : 0));
	return 0;
}
