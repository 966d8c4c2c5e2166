/* Logging: levels, text or JSON lines, to stderr or a size-rotated file. */
#include "util/log.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/json.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_config log_cfg = { LOG_WARN, LOG_TEXT, NULL, 0, 3 };
static char *log_path;
static FILE *log_file;
static size_t log_size;

int log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return err_set(ERR_INVALID, "bad log level '%s': expected error, warn, info, debug or trace", s);
}

int log_format_parse(const char *s, enum log_format *out)
{
	if (strcmp(s, "text") == 0)
		*out = LOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_JSON;
	else
		return err_set(ERR_INVALID, "bad log format '%s': expected text or json", s);
	return 0;
}

static int log_open(void)
{
	struct stat st;

	log_file = fopen(log_path, "a");
	if (!log_file)
		return err_set_errno(ERR_IO, errno, "cannot open log file '%s'", log_path);
	log_size = fstat(fileno(log_file), &st) == 0 ? (size_t)st.st_size : 0;
	return 0;
}

void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	free(log_path);
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
}

int log_setup(const struct log_config *cfg)
{
	int r = 0;

	log_close();
	pthread_mutex_lock(&log_lock);
	log_cfg = *cfg;
	log_cfg.path = NULL;
	if (cfg->path) {
		if (!(log_path = strdup(cfg->path)))
			r = err_set(ERR_NOMEM, "out of memory");
		else if ((r = log_open()) < 0) {
			free(log_path);
			log_path = NULL;
		}
	}
	pthread_mutex_unlock(&log_lock);
	return r;
}

int log_enabled(enum log_level lvl)
{
	return lvl <= log_cfg.level;
}

/* Shift path.N-1 to path.N ... path to path.1, dropping the oldest. */
static void log_rotate(void)
{
	char from[4096], to[4096];
	int i;

	fclose(log_file);
	log_file = NULL;
	for (i = log_cfg.keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", log_path);
		else
			snprintf(from, sizeof(from), "%s.%d", log_path, i - 1);
		snprintf(to, sizeof(to), "%s.%d", log_path, i);
		rename(from, to);
	}
	if (log_cfg.keep <= 0)
		unlink(log_path);
	log_open();
}

static void log_write(struct buf *line)
{
	FILE *f;

	pthread_mutex_lock(&log_lock);
	f = log_file ? log_file : stderr;
	fwrite(line->data, 1, line->len, f);
	fflush(f);
	if (log_file) {
		log_size += line->len;
		if (log_cfg.max_size && log_size >= log_cfg.max_size)
			log_rotate();
	}
	pthread_mutex_unlock(&log_lock);
}

/* Append S as a JSON string, first made valid UTF-8. */
static void add_json(struct buf *line, const char *s)
{
	struct buf clean = BUF_INIT(0);

	json_utf8_clean(s, strlen(s), &clean);
	json_add_string(line, clean.data);
	buf_release(&clean);
}

/* Append S with control bytes escaped, so one record stays one line. */
static void add_text(struct buf *line, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\n') {
			buf_adds(line, "\\n");
		} else if (c < 0x20 || c == 0x7f) {
			char esc[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

			buf_add(line, esc, 4);
		} else {
			buf_addc(line, (char)c);
		}
	}
}

static void log_record(enum log_level lvl, const char *component, const char *msg, va_list kv)
{
	char ts[CLOCK_UTC_LEN];
	struct buf line = BUF_INIT(0);
	const char *k, *v;
	int first = 1;

	clock_format_utc(clock_wall_ms(), ts);
	if (log_cfg.format == LOG_JSON) {
		buf_printf(&line, "{\"time\":\"%s\",\"level\":\"%s\",\"component\":", ts, level_names[lvl]);
		add_json(&line, component);
		buf_adds(&line, ",\"message\":");
		add_json(&line, msg);
		buf_adds(&line, ",\"fields\":{");
		while ((k = va_arg(kv, const char *)) != NULL) {
			v = va_arg(kv, const char *);
			if (!first)
				buf_addc(&line, ',');
			first = 0;
			add_json(&line, k);
			buf_addc(&line, ':');
			add_json(&line, v ? v : "");
		}
		buf_adds(&line, "}}\n");
	} else {
		buf_printf(&line, "%s %-5s ", ts, level_names[lvl]);
		add_text(&line, component);
		buf_adds(&line, ": ");
		add_text(&line, msg);
		while ((k = va_arg(kv, const char *)) != NULL) {
			v = va_arg(kv, const char *);
			buf_addc(&line, ' ');
			add_text(&line, k);
			buf_addc(&line, '=');
			add_text(&line, v ? v : "");
		}
		buf_addc(&line, '\n');
	}
	log_write(&line);
	buf_release(&line);
}

void log_kv(enum log_level lvl, const char *component, const char *msg, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, msg);
	log_record(lvl, component, msg, ap);
	va_end(ap);
}

static void log_nofields(enum log_level lvl, const char *component, const char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	log_record(lvl, component, msg, ap);
	va_end(ap);
}

void log_printf(enum log_level lvl, const char *component, const char *fmt, ...)
{
	struct buf msg = BUF_INIT(0);
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	log_nofields(lvl, component, msg.data, (const char *)NULL);
	buf_release(&msg);
}
