/* What chimera nix eval, build, diff and search open: the world's Nix, and the ledger for those that record. */
#ifndef CHIMERA_CLI_NIX_WORLD_H
#define CHIMERA_CLI_NIX_WORLD_H

#include "cli/cli.h"
#include "ports/ledger.h"
#include "ports/nix.h"

/*
 * The world's Nix into *NX and, when L is not NULL, a new handle on the ledger into *L.
 * Returns CMD_OK, or CMD_ERROR with the error printed and nothing left open.
 */
enum cmd_status nix_world_open(struct cli *cli, struct nix **nx, struct ledger **l);

/* Close what nix_world_open opened (either may be NULL). */
void nix_world_close(struct nix *nx, struct ledger *l);

#endif
