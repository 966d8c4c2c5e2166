/* Quoting for POSIX shell command lines. */
#ifndef CHIMERA_UTIL_SHELL_H
#define CHIMERA_UTIL_SHELL_H

#include "util/buf.h"

/* Append S to OUT as one shell word: bare when it is made of safe characters, else single-quoted. */
int shell_quote(struct buf *out, const char *s);

#endif
