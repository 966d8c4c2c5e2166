/* The terminal port: a full-screen display of styled lines and a keyboard, behind one handle. */
#ifndef CHIMERA_PORTS_TERM_H
#define CHIMERA_PORTS_TERM_H

/* How a line is shown; without colour (NO_COLOR) the bad, warn and good ones differ by weight only. */
enum term_style {
	TERM_PLAIN,
	TERM_BAR,	/* reversed: the title and column headings */
	TERM_SELECTED,	/* reversed: the chosen row */
	TERM_GOOD,	/* green */
	TERM_WARN,	/* yellow */
	TERM_BAD,	/* red, bold */
	TERM_DIM,
};

/* What term_ops.key returns besides a character (printable keys are their ASCII code). */
enum {
	TERM_KEY_NONE = -1,	/* the time ran out, or WAKE_FD became readable */
	TERM_KEY_RESIZE = -2,	/* the window changed size (SIGWINCH): draw again */
	TERM_KEY_UP = -3,
	TERM_KEY_DOWN = -4,
	TERM_KEY_QUIT = -5,	/* SIGINT or SIGTERM arrived, or the terminal hung up */
	TERM_KEY_ENTER = '\n',
	TERM_KEY_ESC = 27,
	TERM_KEY_BACKSPACE = 127,
};

struct term_line {
	const char *text;	/* cut at the screen's width */
	enum term_style style;
};

struct term;

struct term_ops {
	/* The screen's size now. */
	void (*size)(struct term *t, int *rows, int *cols);
	/* Show N lines from the top, replacing what was there (the rest of the screen blank). */
	void (*draw)(struct term *t, const struct term_line *lines, int n);
	/*
	 * The next key, waiting up to TIMEOUT_MS (negative: no limit) or until WAKE_FD (-1:
	 * none) is readable. Returns a character or a TERM_KEY_* value.
	 */
	int (*key)(struct term *t, int wake_fd, int timeout_ms);
	/* Give the terminal back as it was (also done at exit and on SIGINT/SIGTERM); frees T. */
	void (*close)(struct term *t);
};

struct term {
	const struct term_ops *ops;
};

#endif
