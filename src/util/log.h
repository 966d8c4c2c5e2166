/* Logging: levels, text or JSON lines, to stderr or a size-rotated file. */
#ifndef CHIMERA_UTIL_LOG_H
#define CHIMERA_UTIL_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };
enum log_format { LOG_TEXT, LOG_JSON };

struct log_config {
	enum log_level level;
	enum log_format format;
	const char *path;	/* NULL: stderr */
	size_t max_size;	/* rotate the file past this many bytes; 0: never */
	int keep;		/* rotated files kept: path.1 .. path.keep */
};

/* Apply CFG. Returns 0, or ERR_IO when the log file cannot be opened (stderr is kept). */
int log_setup(const struct log_config *cfg);
void log_close(void);

/* Parse "error|warn|info|debug|trace" and "text|json". Return 0 or ERR_INVALID. */
int log_level_parse(const char *s, enum log_level *out);
int log_format_parse(const char *s, enum log_format *out);

int log_enabled(enum log_level lvl);

/*
 * Write one record: MSG plus fields given as NULL-terminated key, value string pairs.
 * Thread-safe.
 */
void log_kv(enum log_level lvl, const char *component, const char *msg, ...)
	__attribute__((sentinel));

/* printf-style record without fields. */
void log_printf(enum log_level lvl, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(comp, ...) log_printf(LOG_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_printf(LOG_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...) log_printf(LOG_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...) log_printf(LOG_DEBUG, comp, __VA_ARGS__)

#endif
