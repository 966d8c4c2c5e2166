/* The dashboard's terminal: the ncurses adapter, colours as NO_COLOR says. */
#include "runtime/term.h"
#include "adapters/curses/term_curses.h"

#include <stdlib.h>
#include "util/banned.h"

int world_open_term(bool color, struct term **out)
{
	const char *no = getenv("NO_COLOR");

	return term_curses_open(color && !(no && *no), out);
}
