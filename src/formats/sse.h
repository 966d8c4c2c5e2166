/*
 * Server-Sent Events (the text/event-stream format of the HTML standard), read as it comes:
 * bytes in pieces of any size, frames out. A frame is the lines up to a blank line: "id:",
 * "event:" and "data:" fields (a space after the colon is dropped; several data lines are
 * joined by "\n"), ":" comments, other fields ignored; lines end with "\n", "\r\n" or "\r".
 * A frame with no data line is not dispatched (the standard's rule); its id still counts.
 */
#ifndef CHIMERA_FORMATS_SSE_H
#define CHIMERA_FORMATS_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define SSE_LINE_MAX (1024 * 1024)	/* a longer line fails the stream (ERR_LIMIT) */
#define SSE_ID_MAX 64			/* bytes of an id kept; a longer one is cut */

struct sse_frame {
	const char *id;		/* the last id seen in the stream so far ("" when none) */
	const char *event;	/* "message" when the frame named none */
	const char *data;	/* the data lines joined, NUL-terminated */
	size_t data_len;
};

/* FN(FRAME, ARG) for each frame; a nonzero return stops sse_feed, which returns it. */
typedef int (*sse_frame_fn)(const struct sse_frame *frame, void *arg);

struct sse_parser {
	struct buf line;	/* the line being read */
	struct buf data;
	char event[128];
	char id[SSE_ID_MAX + 1];
	bool has_data;
	bool after_cr;		/* the last byte was '\r': a '\n' next ends nothing more */
};

void sse_init(struct sse_parser *p);
void sse_release(struct sse_parser *p);

/*
 * Read LEN bytes of the stream, calling FN for each frame they complete. Returns 0, FN's
 * nonzero return, ERR_LIMIT for a line past SSE_LINE_MAX, or ERR_NOMEM.
 */
int sse_feed(struct sse_parser *p, const char *data, size_t len, sse_frame_fn fn, void *arg);

#endif
