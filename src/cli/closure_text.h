/* A closure difference as text, aligned: shared by chimera nix diff and deploy --dry-run --diff. */
#ifndef CHIMERA_CLI_CLOSURE_TEXT_H
#define CHIMERA_CLI_CLOSURE_TEXT_H

#include "app/nix/closure_diff.h"

/*
 * Print D on stdout, each line after INDENT: the packages changed, added, removed and
 * rebuilt (name, versions, sizes, the size's change), each with the paths only one side
 * has and their NAR sizes, then the totals.
 */
void closure_text_print(const struct closure_diff *d, const char *indent);

#endif
