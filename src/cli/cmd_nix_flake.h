/* chimera nix flake's verbs, shared by its files (cmd_nix_flake.c dispatches, cmd_nix_flake_*.c run them). */
#ifndef CHIMERA_CLI_CMD_NIX_FLAKE_H
#define CHIMERA_CLI_CMD_NIX_FLAKE_H

#include <getopt.h>

#include "app/nix/flake.h"
#include "cli/cli.h"

/* Each verb: ARGV[0] is the verb's name; CLI->cmd is the verb's own entry (its usage, for cli_usage). */
enum cmd_status nix_flake_init(struct cli *cli, int argc, char **argv);
enum cmd_status nix_flake_add_input(struct cli *cli, int argc, char **argv);
enum cmd_status nix_flake_lock(struct cli *cli, int argc, char **argv);
enum cmd_status nix_flake_update(struct cli *cli, int argc, char **argv);
enum cmd_status nix_flake_metadata(struct cli *cli, int argc, char **argv);
enum cmd_status nix_flake_show(struct cli *cli, int argc, char **argv);
enum cmd_status nix_flake_check(struct cli *cli, int argc, char **argv);

/*
 * The operands of a verb that takes options OPTS (getopt_long's, may be only the NULL entry)
 * handled by ON_OPT (may be NULL): *FIRST gets the index of the first operand. Returns
 * CMD_OK, or the usage error printed.
 */
enum cmd_status nix_flake_args(struct cli *cli, int argc, char **argv, const struct option *opts,
			       enum cmd_status (*on_opt)(struct cli *cli, int c, void *arg), void *arg, int *first);

/* The world's Nix (and, with LEDGER, the ledger) into CTX: CMD_OK, or the error printed. */
enum cmd_status nix_flake_open(struct cli *cli, struct flake_ctx *ctx, bool ledger);

void nix_flake_close(struct flake_ctx *ctx);

/* An error of a use case (err_msg()) printed: exit status 1, the arguments having been checked. */
enum cmd_status nix_flake_fail(struct cli *cli);

#endif
