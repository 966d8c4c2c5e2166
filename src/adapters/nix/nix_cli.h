/* The nix port on the Nix command-line tools (nix-build, nix build, nix-store). */
#ifndef CHIMERA_ADAPTERS_NIX_NIX_CLI_H
#define CHIMERA_ADAPTERS_NIX_NIX_CLI_H

#include "ports/nix.h"

/*
 * Make a nix back end that runs the tools found on PATH. Returns 0, ERR_NOTFOUND naming the
 * missing tool (with the Debian package that has it), or ERR_NOMEM. Close with ops->close.
 */
int nix_cli_new(struct nix **out);

#endif
