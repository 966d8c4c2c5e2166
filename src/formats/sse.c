/* Server-Sent Events read piece by piece (sse.h). */
#include "formats/sse.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include "util/banned.h"

void sse_init(struct sse_parser *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->line, SSE_LINE_MAX);
	buf_init(&p->data, SSE_LINE_MAX);
}

void sse_release(struct sse_parser *p)
{
	buf_release(&p->line);
	buf_release(&p->data);
	memset(p, 0, sizeof(*p));
}

/* The blank line: dispatch the frame gathered, then start the next one (the id stays). */
static int dispatch(struct sse_parser *p, sse_frame_fn fn, void *arg)
{
	struct sse_frame f;
	int r = 0;

	if (p->has_data) {
		if (buf_addc(&p->data, '\0') < 0)
			return err_set(ERR_NOMEM, "out of memory");
		f.id = p->id;
		f.event = p->event[0] ? p->event : "message";
		f.data = p->data.data;
		f.data_len = p->data.len - 1;
		r = fn(&f, arg);
	}
	p->data.len = 0;
	p->has_data = false;
	p->event[0] = '\0';
	return r;
}

/* One whole line (without its end) of LEN bytes at S. */
static int take_line(struct sse_parser *p, const char *s, size_t len, sse_frame_fn fn, void *arg)
{
	const char *colon, *value;
	size_t name_len, value_len;

	if (len == 0)
		return dispatch(p, fn, arg);
	if (s[0] == ':')
		return 0;
	colon = memchr(s, ':', len);
	name_len = colon ? (size_t)(colon - s) : len;
	value = colon ? colon + 1 : s + len;
	value_len = (size_t)(s + len - value);
	if (value_len && value[0] == ' ') {
		value++;
		value_len--;
	}
	if (name_len == 4 && memcmp(s, "data", 4) == 0) {
		if ((p->has_data && buf_addc(&p->data, '\n') < 0) || buf_add(&p->data, value, value_len) < 0)
			return err_set(ERR_LIMIT, "an event's data is longer than %d bytes", SSE_LINE_MAX);
		p->has_data = true;
	} else if (name_len == 5 && memcmp(s, "event", 5) == 0) {
		snprintf(p->event, sizeof(p->event), "%.*s", (int)value_len, value);
	} else if (name_len == 2 && memcmp(s, "id", 2) == 0 && !memchr(value, '\0', value_len)) {
		snprintf(p->id, sizeof(p->id), "%.*s", (int)value_len, value);
	}
	return 0;
}

int sse_feed(struct sse_parser *p, const char *data, size_t len, sse_frame_fn fn, void *arg)
{
	size_t i = 0, start;
	int r;

	while (i < len) {
		/* "\r\n" is one line end: the '\n' after a '\r' that ended a line is skipped. */
		if (p->after_cr) {
			p->after_cr = false;
			if (data[i] == '\n') {
				i++;
				continue;
			}
		}
		start = i;
		while (i < len && data[i] != '\n' && data[i] != '\r')
			i++;
		if (buf_add(&p->line, data + start, i - start) < 0)
			return err_set(ERR_LIMIT, "an event stream line is longer than %d bytes", SSE_LINE_MAX);
		if (i == len)
			break;	/* the line goes on in the next piece */
		p->after_cr = data[i] == '\r';
		i++;
		r = take_line(p, p->line.data ? p->line.data : "", p->line.len, fn, arg);
		p->line.len = 0;
		if (r != 0)
			return r;
	}
	return 0;
}
