/* The QEMU process of a VM: its command line, starting it, waiting for its sshd, stopping it over QMP, its state. */
#include "adapters/qemu/qemu_internal.h"
#include "formats/qmp.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/banned.h"

void qemu_path(const struct vm_spec *s, const char *name, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", s->dir, name);
}

void qemu_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static int push(char ***argv, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int push(char ***argv, size_t *n, const char *fmt, ...)
{
	char **grown = realloc(*argv, (*n + 2) * sizeof(**argv));
	va_list ap;
	int r;

	if (!grown)
		return -1;
	*argv = grown;
	va_start(ap, fmt);
	r = vasprintf(&grown[*n], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -1;
	grown[++*n] = NULL;
	return 0;
}

char **qemu_argv(const struct qemu_hv *h, const struct vm_spec *s, const char *accel, const char *extra)
{
	char dir[PATH_MAX];
	char **argv = NULL;
	size_t n = 0;
	int bad = 0;

	snprintf(dir, sizeof(dir), "%s", s->dir);
	bad |= push(&argv, &n, "%s", h->qemu);
	bad |= push(&argv, &n, "-name");
	bad |= push(&argv, &n, "chimera-%s,process=chimera-vm-%s", s->name, s->name);
	bad |= push(&argv, &n, "-nodefaults");
	bad |= push(&argv, &n, "-machine");
	bad |= push(&argv, &n, "q35,accel=%s", accel);
	bad |= push(&argv, &n, "-cpu");
	bad |= push(&argv, &n, "%s", strcmp(accel, "kvm") == 0 ? "host" : "max");
	bad |= push(&argv, &n, "-smp");
	bad |= push(&argv, &n, "%d", s->cpus);
	bad |= push(&argv, &n, "-m");
	bad |= push(&argv, &n, "%d", s->memory_mib);
	bad |= push(&argv, &n, "-kernel");
	bad |= push(&argv, &n, "%s", h->kernel);
	bad |= push(&argv, &n, "-initrd");
	bad |= push(&argv, &n, "%s", h->initrd);
	bad |= push(&argv, &n, "-append");
	bad |= push(&argv, &n, "console=ttyS0 panic=-1 quiet chimera.name=%s%s%s", s->name, extra ? " " : "",
		    extra ? extra : "");
	bad |= push(&argv, &n, "-no-reboot");
	bad |= push(&argv, &n, "-display");
	bad |= push(&argv, &n, "none");
	bad |= push(&argv, &n, "-chardev");
	bad |= push(&argv, &n, "socket,id=ser0,path=%s/console.sock,server=on,wait=off,logfile=%s/console.log,logappend=on",
		    dir, dir);
	bad |= push(&argv, &n, "-serial");
	bad |= push(&argv, &n, "chardev:ser0");
	bad |= push(&argv, &n, "-virtfs");
	bad |= push(&argv, &n, "local,path=/usr,mount_tag=usr,security_model=none,readonly=on");
	bad |= push(&argv, &n, "-virtfs");
	bad |= push(&argv, &n, "local,path=/etc,mount_tag=etc,security_model=none,readonly=on");
	bad |= push(&argv, &n, "-drive");
	bad |= push(&argv, &n, "file=%s/disk.qcow2,if=virtio,format=qcow2,id=disk0", dir);
	bad |= push(&argv, &n, "-netdev");
	/* restrict=on: the guest reaches nothing outside; only the forwarded sshd comes in. */
	bad |= push(&argv, &n, "user,id=net0,restrict=on,hostfwd=tcp:%s:%d-:22", s->address, s->port);
	bad |= push(&argv, &n, "-device");
	bad |= push(&argv, &n, "virtio-net-pci,netdev=net0");
	bad |= push(&argv, &n, "-device");
	bad |= push(&argv, &n, "virtio-rng-pci");
	bad |= push(&argv, &n, "-qmp");
	bad |= push(&argv, &n, "unix:%s/qmp.sock,server=on,wait=off", dir);
	bad |= push(&argv, &n, "-pidfile");
	bad |= push(&argv, &n, "%s/qemu.pid", dir);
	bad |= push(&argv, &n, "-daemonize");
	if (bad) {
		qemu_argv_free(argv);
		return NULL;
	}
	return argv;
}

pid_t qemu_pid(const struct vm_spec *s)
{
	char path[PATH_MAX], want[PATH_MAX + 16];
	struct buf b = BUF_INIT(1 << 16);
	long pid = 0;
	size_t i;

	qemu_path(s, "qemu.pid", path);
	if (fs_read_file(path, &b) < 0 || !b.data)
		goto none;
	pid = strtol(b.data, NULL, 10);
	if (pid <= 0 || !proc_alive((pid_t)pid))
		goto none;
	/* Its command line names the VM's own QMP socket: not a pid reused by another process. */
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	buf_reset(&b);
	if (fs_read_file(path, &b) < 0 || !b.data)
		goto none;
	for (i = 0; i < b.len; i++)
		if (b.data[i] == '\0')
			b.data[i] = ' ';
	snprintf(want, sizeof(want), "%s/qmp.sock", s->dir);
	if (!strstr(b.data, want))
		goto none;
	buf_release(&b);
	return (pid_t)pid;
none:
	buf_release(&b);
	return 0;
}

/* Whether ADDRESS:PORT can be bound (nothing listens there). */
static bool port_free(const char *address, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd, one = 1;
	bool ok;

	if (inet_pton(AF_INET, address, &a.sin_addr) != 1)
		return false;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static int qemu_start(struct hypervisor *hv, const struct vm_spec *s, const char *accel, pid_t *pid)
{
	struct qemu_hv *h = (struct qemu_hv *)hv;
	struct buf out = BUF_INIT(1 << 16);
	char path[PATH_MAX];
	char **argv;
	int r, status;

	*pid = 0;
	if (qemu_pid(s))
		return err_set(ERR_BUSY, "VM %s runs already", s->name);
	if ((r = qemu_kit_ensure(h)) < 0)
		return r;
	if (!port_free(s->address, s->port))
		return err_set(ERR_BUSY, "%s:%d is in use: VM %s's sshd cannot be forwarded there (another VM, a lab node or a server holds it)",
			       s->address, s->port, s->name);
	qemu_path(s, "qemu.pid", path);
	unlink(path);
	qemu_path(s, "console.log", path);
	unlink(path);
	if (!(argv = qemu_argv(h, s, accel, NULL)))
		return err_set(ERR_NOMEM, "out of memory");
	r = proc_run(argv, &out, &status);
	qemu_argv_free(argv);
	while (r == 0 && out.len && out.data[out.len - 1] == '\n')
		out.data[--out.len] = '\0';
	if (r == 0 && status != 0)
		r = err_set(strstr(out.data ? out.data : "", "host forwarding") ? ERR_BUSY : ERR_IO,
			    "QEMU did not start VM %s (exit %d): %s", s->name, status, out.data ? out.data : "");
	buf_release(&out);
	if (r == 0 && !(*pid = qemu_pid(s)))
		r = err_set(ERR_IO, "QEMU started VM %s but left no live process in its pid file", s->name);
	return r;
}

/* Whether an sshd greets on the forwarded port within WAIT_MS ("SSH-" first). */
static bool ssh_greets(const struct vm_spec *s, int wait_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)s->port) };
	struct pollfd p;
	char b[8];
	int fd, r;
	ssize_t n;
	bool ok = false;

	if (inet_pton(AF_INET, s->address, &a.sin_addr) != 1)
		return false;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return false;
	r = connect(fd, (struct sockaddr *)&a, sizeof(a));
	if (r < 0 && errno != EINPROGRESS)
		goto out;
	p.fd = fd;
	p.events = POLLIN;
	/*
	 * QEMU accepts at once and hangs up while the guest does not listen; a greeting is the
	 * guest's sshd. A connection still open and silent after WAIT_MS is the guest's: its sshd
	 * is slow to greet (a loaded TCG guest), and gets 10 s more rather than a new try.
	 */
	r = poll(&p, 1, wait_ms);
	if (r == 0)
		r = poll(&p, 1, 10000);
	if (r == 1 && (n = read(fd, b, 4)) == 4 && memcmp(b, "SSH-", 4) == 0)
		ok = true;
out:
	close(fd);
	return ok;
}

static int qemu_wait_ssh(struct hypervisor *hv, const struct vm_spec *s, long timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	struct buf tail = BUF_INIT(1 << 16);
	int r;

	for (;;) {
		int64_t left = deadline - clock_mono_ms();

		/*
		 * While the guest does not listen, QEMU hangs up at once; once it does, its sshd
		 * re-executes itself for the connection, which a loaded TCG guest may take seconds
		 * to do: the greeting is waited for, not retried (a retry would start it over).
		 */
		if (ssh_greets(s, (int)(left < 1000 ? 1000 : left > 20000 ? 20000 : left)))
			return 0;
		if (!qemu_pid(s)) {
			qemu_console_tail(hv, s, 12, &tail);
			r = err_set(ERR_IO, "VM %s stopped before its sshd answered; its console's last lines:\n%s", s->name,
				    tail.len ? tail.data : "(nothing yet)");
			break;
		}
		if (clock_mono_ms() >= deadline) {
			qemu_console_tail(hv, s, 12, &tail);
			r = err_set(ERR_TIMEOUT, "VM %s's sshd did not answer on %s:%d within %ld s; its console's last lines:\n%s",
				    s->name, s->address, s->port, timeout_ms / 1000, tail.len ? tail.data : "(nothing yet)");
			break;
		}
		clock_sleep_ms(200);
	}
	buf_release(&tail);
	return r;
}

bool qemu_wait_exit(pid_t pid, long timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;

	while (proc_alive(pid)) {
		/* A child of ours (never with -daemonize, but a probe's) is reaped here. */
		waitpid(pid, NULL, WNOHANG);
		if (clock_mono_ms() >= deadline)
			return !proc_alive(pid);
		clock_sleep_ms(50);
	}
	return true;
}

static int qemu_stop(struct hypervisor *hv, const struct vm_spec *s, long timeout_ms, bool *forced)
{
	pid_t pid = qemu_pid(s);
	json_t *ret = NULL;
	int r;

	(void)hv;
	*forced = false;
	if (!pid)
		return 0;
	/* A guest whose sshd does not greet has not reached its second init: no one hears the button. */
	if (ssh_greets(s, 3000)) {
		r = qemu_qmp(s, "system_powerdown", NULL, &ret, 5000);
		json_decref(ret);
		if (r == 0 && qemu_wait_exit(pid, timeout_ms))
			return 0;
	}
	/* The guest did not go down by itself: QEMU quits (its disk is flushed), and only then a signal. */
	*forced = true;
	qemu_qmp(s, "quit", NULL, &ret, 5000);
	json_decref(ret);
	if (qemu_wait_exit(pid, 5000))
		return 0;
	kill(pid, SIGKILL);
	if (qemu_wait_exit(pid, 5000))
		return 0;
	return err_set(ERR_IO, "VM %s's QEMU (pid %d) did not exit", s->name, (int)pid);
}

static int qemu_live(struct hypervisor *hv, const struct vm_spec *s, struct vm_live *out)
{
	struct qmp_status st;
	json_t *ret = NULL;

	(void)hv;
	memset(out, 0, sizeof(*out));
	out->pid = qemu_pid(s);
	out->running = out->pid != 0;
	snprintf(out->status, sizeof(out->status), "%s", out->running ? "unknown" : "stopped");
	if (out->running && qemu_qmp(s, "query-status", NULL, &ret, 3000) == 0 && qmp_parse_status(ret, &st) == 0)
		snprintf(out->status, sizeof(out->status), "%s", st.status);
	json_decref(ret);
	return 0;
}

static int qemu_destroy(struct hypervisor *hv, const struct vm_spec *s)
{
	(void)hv;
	if (qemu_pid(s))
		return err_set(ERR_BUSY, "VM %s runs: stop it first", s->name);
	return fs_rm_rf(s->dir);
}

static void qemu_close(struct hypervisor *hv)
{
	free(hv);
}

static const struct hypervisor_ops qemu_ops = {
	.name = "qemu",
	.probe = qemu_probe,
	.make = qemu_make,
	.start = qemu_start,
	.wait_ssh = qemu_wait_ssh,
	.stop = qemu_stop,
	.live = qemu_live,
	.snapshot = qemu_snapshot,
	.restore = qemu_restore,
	.snapshots = qemu_snapshots,
	.console_tail = qemu_console_tail,
	.console = qemu_console,
	.destroy = qemu_destroy,
	.close = qemu_close,
};

int qemu_open(const char *kit_dir, struct hypervisor **out)
{
	struct qemu_hv *h;
	int r;

	*out = NULL;
	if (!(h = calloc(1, sizeof(*h))))
		return err_set(ERR_NOMEM, "out of memory");
	h->base.ops = &qemu_ops;
	snprintf(h->kit_dir, sizeof(h->kit_dir), "%s", kit_dir);
	if ((r = qemu_tool("qemu-system-x86_64", "qemu-system-x86", h->qemu, sizeof(h->qemu))) < 0 ||
	    (r = qemu_tool("qemu-img", "qemu-utils", h->qemu_img, sizeof(h->qemu_img))) < 0) {
		free(h);
		return r;
	}
	*out = &h->base;
	return 0;
}
