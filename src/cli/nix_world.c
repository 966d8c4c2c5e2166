/* What chimera nix eval, build, diff and search open: the world's Nix, and the ledger for those that record. */
#include "cli/nix_world.h"
#include "util/err.h"

#include <stddef.h>
#include "util/banned.h"

enum cmd_status nix_world_open(struct cli *cli, struct nix **nx, struct ledger **l)
{
	*nx = NULL;
	if (l)
		*l = NULL;
	if (world_open_nix(&cli->world, nx) < 0)
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	if (l && cli_open_ledger(cli, l) < 0) {
		(*nx)->ops->close(*nx);
		*nx = NULL;
		return cli_fail(cli, CMD_ERROR, "%s", err_msg());
	}
	return CMD_OK;
}

void nix_world_close(struct nix *nx, struct ledger *l)
{
	if (l)
		ledger_close(l);
	if (nx)
		nx->ops->close(nx);
}
