/* The terminal port on ncurses: styled lines, keys with a wake descriptor, the terminal given back on any exit. */
#include "adapters/curses/term_curses.h"
#include "util/err.h"

#include <curses.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "util/banned.h"

struct term_curses {
	struct term base;
	bool color;
};

/* One screen per process: what the exit and signal paths restore. */
static struct {
	bool open;
	bool have_tios;
	struct termios tios;		/* the terminal's settings before initscr */
	struct sigaction old_int, old_term;
} screen;

static volatile sig_atomic_t interrupted;

/* Terminal modes back and the alternate screen left, with async-signal-safe calls only. */
static void restore_raw(void)
{
	static const char reset[] = "\033[0m\033[?25h\033[?1049l\r\n";

	if (screen.have_tios)
		tcsetattr(STDIN_FILENO, TCSANOW, &screen.tios);
	if (write(STDOUT_FILENO, reset, sizeof(reset) - 1) < 0) {
		/* nothing more to do on a broken terminal */
	}
}

/* SIGINT, SIGTERM: the next key is TERM_KEY_QUIT; a second one restores the terminal and exits at once. */
static void on_signal(int sig)
{
	if (interrupted) {
		restore_raw();
		_exit(128 + sig);
	}
	interrupted = 1;
}

static void restore_screen(void)
{
	if (!screen.open)
		return;
	screen.open = false;
	endwin();
	sigaction(SIGINT, &screen.old_int, NULL);
	sigaction(SIGTERM, &screen.old_term, NULL);
	if (screen.have_tios)
		tcsetattr(STDIN_FILENO, TCSANOW, &screen.tios);
}

static void at_exit(void)
{
	restore_screen();
}

static void tc_size(struct term *t, int *rows, int *cols)
{
	getmaxyx(stdscr, *rows, *cols);
}

static attr_t style_attr(const struct term_curses *tc, enum term_style s)
{
	switch (s) {
	case TERM_BAR:
	case TERM_SELECTED: return A_REVERSE;
	case TERM_GOOD: return tc->color ? COLOR_PAIR(1) : A_NORMAL;
	case TERM_WARN: return tc->color ? COLOR_PAIR(2) : A_BOLD;
	case TERM_BAD: return (tc->color ? COLOR_PAIR(3) : A_NORMAL) | A_BOLD;
	case TERM_DIM: return A_DIM;
	case TERM_PLAIN: break;
	}
	return A_NORMAL;
}

static void tc_draw(struct term *t, const struct term_line *lines, int n)
{
	struct term_curses *tc = (struct term_curses *)t;
	int rows, cols, i, len;

	getmaxyx(stdscr, rows, cols);
	erase();
	for (i = 0; i < n && i < rows; i++) {
		attrset(style_attr(tc, lines[i].style));
		len = (int)strlen(lines[i].text);
		mvaddnstr(i, 0, lines[i].text, cols);
		/* A reversed bar runs the width of the screen. */
		if ((lines[i].style == TERM_BAR || lines[i].style == TERM_SELECTED) && len < cols)
			hline(' ', cols - len);
	}
	attrset(A_NORMAL);
	refresh();
}

static int tc_key(struct term *t, int wake_fd, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = wake_fd, .events = POLLIN } };
	int c;

	if (interrupted)
		return TERM_KEY_QUIT;
	/* A key ncurses has read ahead is not on the descriptor any more. */
	if ((c = getch()) == ERR) {
		if (poll(p, wake_fd >= 0 ? 2 : 1, timeout_ms) < 0 && errno != EINTR)
			return TERM_KEY_NONE;
		/* The terminal is gone (its window closed): nobody is left to press q. */
		if (interrupted || ((p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) && !(p[0].revents & POLLIN)))
			return TERM_KEY_QUIT;
		c = getch();
	}
	switch (c) {
	case ERR: return TERM_KEY_NONE;
	case KEY_RESIZE: return TERM_KEY_RESIZE;
	case KEY_UP: return TERM_KEY_UP;
	case KEY_DOWN: return TERM_KEY_DOWN;
	case KEY_ENTER:
	case '\r': return TERM_KEY_ENTER;
	case KEY_BACKSPACE:
	case 8: return TERM_KEY_BACKSPACE;
	default: return c >= 0 && c < 256 ? c : TERM_KEY_NONE;
	}
}

static void tc_close(struct term *t)
{
	restore_screen();
	free(t);
}

static const struct term_ops tc_ops = { tc_size, tc_draw, tc_key, tc_close };

int term_curses_open(bool color, struct term **out)
{
	static bool registered;
	struct sigaction sa = { 0 };
	struct term_curses *tc;

	*out = NULL;
	if (screen.open)
		return err_set(ERR_INVALID, "the terminal is already open");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return err_set(ERR_INVALID, "the dashboard needs a terminal on standard input and output");
	if (!(tc = calloc(1, sizeof(*tc))))
		return err_set(ERR_NOMEM, "out of memory");
	screen.have_tios = tcgetattr(STDIN_FILENO, &screen.tios) == 0;
	interrupted = 0;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &screen.old_int);
	sigaction(SIGTERM, &sa, &screen.old_term);
	if (!registered && atexit(at_exit) == 0)
		registered = true;
	if (!newterm(NULL, stdout, stdin)) {
		sigaction(SIGINT, &screen.old_int, NULL);
		sigaction(SIGTERM, &screen.old_term, NULL);
		free(tc);
		return err_set(ERR_INVALID, "ncurses cannot drive this terminal (TERM '%s')",
			       getenv("TERM") ? getenv("TERM") : "");
	}
	screen.open = true;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	tc->color = color && has_colors();
	if (tc->color) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_GREEN, -1);
		init_pair(2, COLOR_YELLOW, -1);
		init_pair(3, COLOR_RED, -1);
	}
	tc->base.ops = &tc_ops;
	*out = &tc->base;
	return 0;
}
