/* A QMP client over a VM's unix socket: connect, negotiate, one command, its answer (formats/qmp does the protocol). */
#include "adapters/qemu/qemu_internal.h"
#include "formats/qmp.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "util/banned.h"

int qemu_unix_connect(const char *path, const char *what, int *fd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	*fd = -1;
	if (strlen(path) >= sizeof(a.sun_path))
		return err_set(ERR_INVALID, "%s '%s' has too long a path for a unix socket (a shorter --state-dir)", what, path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	if ((*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return err_set_errno(ERR_IO, errno, "cannot make a socket");
	if (connect(*fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(*fd);
		*fd = -1;
		return err_set_errno(ERR_IO, e, "cannot reach %s '%s': does the VM run?", what, path);
	}
	return 0;
}

static int send_all(int fd, struct buf *out)
{
	int r = 0;

	if (out->len)
		r = fs_write_all(fd, out->data, out->len, "the QMP socket");
	buf_reset(out);
	return r;
}

/* Read what comes within the deadline into S; ERR_TIMEOUT past it, ERR_IO when QEMU hangs up. */
static int pump(int fd, struct qmp_session *s, struct buf *out, int64_t deadline)
{
	char chunk[8192];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int64_t left = deadline - clock_mono_ms();
	ssize_t n;
	int r;

	if (left <= 0)
		return err_set(ERR_TIMEOUT, "QEMU did not answer on QMP in time");
	if ((r = poll(&p, 1, (int)left)) < 0)
		return errno == EINTR ? 0 : err_set_errno(ERR_IO, errno, "poll on the QMP socket");
	if (r == 0)
		return err_set(ERR_TIMEOUT, "QEMU did not answer on QMP in time");
	n = read(fd, chunk, sizeof(chunk));
	if (n < 0)
		return errno == EINTR ? 0 : err_set_errno(ERR_IO, errno, "read from the QMP socket");
	if (n == 0)
		return err_set(ERR_IO, "QEMU closed its QMP socket");
	if ((r = qmp_session_feed(s, chunk, (size_t)n, out)) < 0)
		return r;
	return send_all(fd, out);
}

int qemu_qmp(const struct vm_spec *spec, const char *cmd, json_t *args, json_t **ret, long timeout_ms)
{
	char path[PATH_MAX], id[QMP_ID_MAX + 1];
	struct qmp_session s;
	struct buf out = BUF_INIT(0);
	int64_t deadline = clock_mono_ms() + timeout_ms;
	json_t *answer = NULL, *val;
	int fd = -1, r;

	*ret = NULL;
	qemu_path(spec, "qmp.sock", path);
	if ((r = qmp_session_init(&s, "chimera", 0)) < 0)
		return r;
	if ((r = qemu_unix_connect(path, "QEMU's QMP socket", &fd)) < 0)
		goto out;
	while (r == 0 && s.state != QMP_READY)
		r = s.state == QMP_FAILED ? err_set(ERR_IO, "QMP negotiation failed") : pump(fd, &s, &out, deadline);
	if (r == 0 && (r = qmp_session_send(&s, &out, cmd, args, id)) == 0)
		r = send_all(fd, &out);
	while (r == 0 && (r = qmp_session_take(&s, id, &answer)) == 1)
		r = pump(fd, &s, &out, deadline);
	if (r == 0 && (r = qmp_answer(answer, cmd, &val)) == 0)
		*ret = json_incref(val);
out:
	json_decref(answer);
	if (fd >= 0)
		close(fd);
	buf_release(&out);
	qmp_session_release(&s);
	return r;
}
