/* What the dashboard's files share. */
#ifndef CHIMERA_APP_DASH_DASH_INTERNAL_H
#define CHIMERA_APP_DASH_DASH_INTERNAL_H

#include "app/dash/dash.h"

/* Add a line of STYLE to F, cut at COLS. */
void dash_put(struct dash_frame *f, int cols, enum term_style style, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A store path as "hash7..-name" into OUT ("-" for ""). */
void dash_short_path(const char *path, char *out, size_t len);

/* How a log line of severity S is shown. */
enum term_style dash_sev_style(enum dash_sev s);

/* The detail's lines (up to ROWS) into F. */
void dash_detail_lines(const struct dash *d, int rows, int cols, struct dash_frame *f);

#endif
