/* A VM's serial console: the log QEMU keeps of it, and joining it through its unix socket. */
#include "adapters/qemu/qemu_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "util/banned.h"

int qemu_console_tail(struct hypervisor *hv, const struct vm_spec *s, size_t lines, struct buf *out)
{
	char path[PATH_MAX];
	struct buf b = BUF_INIT(64u << 20);
	size_t i, seen = 0, from = 0;
	int r;

	(void)hv;
	qemu_path(s, "console.log", path);
	if ((r = fs_read_file(path, &b)) < 0) {
		buf_release(&b);
		return r == ERR_NOTFOUND ? 0 : r;
	}
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.len--;
	for (i = b.len; i > 0; i--) {
		if (b.data[i - 1] == '\n' && ++seen == lines) {
			from = i;
			break;
		}
	}
	/* Carriage returns and other control bytes of a terminal do not belong in a message. */
	for (i = from; i < b.len && r == 0; i++) {
		unsigned char c = (unsigned char)b.data[i];

		if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f))
			r = buf_addc(out, (char)c);
	}
	buf_release(&b);
	return r;
}

static int console_connect(const struct vm_spec *s, int *fd)
{
	char path[PATH_MAX];

	qemu_path(s, "console.sock", path);
	return qemu_unix_connect(path, "the VM's console socket", fd);
}

/* Copy what is readable on FROM to TO; 0 at the end of FROM, 1 after a copy, 2 after ESCAPE, or an error. */
static int relay(int from, int to, int escape)
{
	char b[4096];
	ssize_t n = read(from, b, sizeof(b));
	char *esc;
	int r;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : err_set_errno(ERR_IO, errno, "console read");
	if (n == 0)
		return 0;
	esc = escape >= 0 ? memchr(b, escape, (size_t)n) : NULL;
	if ((r = fs_write_all(to, b, esc ? (size_t)(esc - b) : (size_t)n, "the console")) < 0)
		return r;
	return esc ? 2 : 1;
}

int qemu_console(struct hypervisor *hv, const struct vm_spec *s, int in_fd, int out_fd, int escape, long idle_ms)
{
	struct pollfd p[2];
	bool in_open = true;
	int64_t quiet_until = 0;
	int fd, r;

	(void)hv;
	if ((r = console_connect(s, &fd)) < 0)
		return r;
	p[0].fd = fd;
	p[0].events = POLLIN;
	for (;;) {
		int timeout = -1;

		p[1].fd = in_open ? in_fd : -1;
		p[1].events = POLLIN;
		if (!in_open) {
			int64_t left = quiet_until - clock_mono_ms();

			if (left <= 0)
				break;
			timeout = (int)left;
		}
		if (poll(p, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			r = err_set_errno(ERR_IO, errno, "poll on the console");
			break;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((r = relay(fd, out_fd, -1)) <= 0)
				break;
			quiet_until = clock_mono_ms() + idle_ms;
		}
		if (in_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			if ((r = relay(in_fd, fd, escape)) == 2) {
				r = 0;
				break;
			}
			if (r < 0)
				break;
			if (r == 0) {
				/* The input ended: what the guest still says comes until it is quiet for IDLE_MS. */
				in_open = false;
				quiet_until = clock_mono_ms() + idle_ms;
			}
		}
	}
	close(fd);
	return r < 0 ? r : 0;
}
