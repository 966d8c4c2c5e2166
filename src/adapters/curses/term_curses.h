/* The terminal port (ports/term.h) on ncurses. */
#ifndef CHIMERA_ADAPTERS_CURSES_TERM_CURSES_H
#define CHIMERA_ADAPTERS_CURSES_TERM_CURSES_H

#include <stdbool.h>

#include "ports/term.h"

/*
 * Take over the terminal on standard input and output (colours when COLOR and the terminal
 * has them). Until closed, the terminal is given back at exit and on SIGINT or SIGTERM
 * (which then make the next key TERM_KEY_QUIT; a second one exits at once). SIGWINCH makes
 * the next key TERM_KEY_RESIZE. Returns 0 with *OUT set, or ERR_INVALID when standard
 * input or output is not a terminal ncurses can drive; ERR_NOMEM.
 */
int term_curses_open(bool color, struct term **out);

#endif
