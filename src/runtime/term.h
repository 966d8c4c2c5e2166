/* The terminal a dashboard draws on (ports/term.h), chosen here like every other adapter. */
#ifndef CHIMERA_RUNTIME_TERM_H
#define CHIMERA_RUNTIME_TERM_H

#include <stdbool.h>

#include "ports/term.h"

/*
 * The terminal on standard input and output, taken over (ncurses), with colours unless
 * NO_COLOR is set to anything but "" (no-color.org) or COLOR is false. The caller closes it
 * (it is also given back at exit and on SIGINT/SIGTERM). Returns 0, or ERR_INVALID when
 * there is no terminal to take.
 */
int world_open_term(bool color, struct term **out);

#endif
