/* chimera nix's subcommands, each defined in its own cmd_nix_*.c and listed in cmd_nix.c. */
#ifndef CHIMERA_CLI_CMD_NIX_H
#define CHIMERA_CLI_CMD_NIX_H

#include "cli/cli.h"

extern const struct cmd_entry cmd_nix_flake_entry;
extern const struct cmd_entry cmd_nix_eval_entry;
extern const struct cmd_entry cmd_nix_build_entry;
extern const struct cmd_entry cmd_nix_diff_entry;
extern const struct cmd_entry cmd_nix_search_entry;
extern const struct cmd_entry cmd_nix_gc_entry;
extern const struct cmd_entry cmd_nix_flakes_entry;
extern const struct cmd_entry cmd_nix_builds_entry;
extern const struct cmd_entry cmd_nix_gc_history_entry;
extern const struct cmd_entry cmd_nix_projections_entry;
#endif
