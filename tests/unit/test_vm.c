/*
 * app/vm's logic over a scripted hypervisor (no QEMU here; tests/e2e/test_vm.sh boots real
 * ones): addresses chosen and retried, a failed boot taken back everywhere, the projection
 * folded from vm.* events, labels, the lock. The ledger is the real SQLite one.
 */
#include "check.h"

#include <fcntl.h>
#include <unistd.h>

#include "adapters/qemu/qemu_internal.h"
#include "adapters/sqlite/ledger_sqlite.h"
#include "app/vm/vm_internal.h"
#include "util/banned.h"

/* The scripted hypervisor: what each call does, and what it was asked. */
struct fake {
	struct hypervisor base;
	int busy_starts;	/* the first N starts say the address is taken */
	int ssh_fails;		/* wait_ssh times out */
	bool running;
	char started_at[8][16];	/* the addresses start was asked for */
	int starts, destroys, stops;
	char snaps[256];
};

static int f_probe(struct hypervisor *h, const char *dir, struct vm_accel *out)
{
	(void)h;
	(void)dir;
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "tcg");
	snprintf(out->why, sizeof(out->why), "no kvm in a unit test");
	return 0;
}

static int f_make(struct hypervisor *h, const struct vm_spec *s, struct buf *key)
{
	(void)h;
	fs_mkdir_p(s->dir, 0700);
	return buf_adds(key, "ssh-ed25519 AAAAtest");
}

static int f_start(struct hypervisor *h, const struct vm_spec *s, const char *accel, pid_t *pid)
{
	struct fake *f = (struct fake *)h;

	(void)accel;
	if (f->starts < 8)
		snprintf(f->started_at[f->starts], 16, "%s", s->address);
	if (f->starts++ < f->busy_starts)
		return err_set(ERR_BUSY, "%s:22 is in use", s->address);
	f->running = true;
	*pid = 4242;
	return 0;
}

static int f_wait(struct hypervisor *h, const struct vm_spec *s, long ms)
{
	(void)s;
	(void)ms;
	return ((struct fake *)h)->ssh_fails ? err_set(ERR_TIMEOUT, "did not answer within 1 s") : 0;
}

static int f_stop(struct hypervisor *h, const struct vm_spec *s, long ms, bool *forced)
{
	struct fake *f = (struct fake *)h;

	(void)s;
	(void)ms;
	*forced = false;
	f->stops += f->running;
	f->running = false;
	return 0;
}

static int f_live(struct hypervisor *h, const struct vm_spec *s, struct vm_live *out)
{
	struct fake *f = (struct fake *)h;

	(void)s;
	memset(out, 0, sizeof(*out));
	out->running = f->running;
	out->pid = f->running ? 4242 : 0;
	snprintf(out->status, sizeof(out->status), "%s", f->running ? "running" : "stopped");
	return 0;
}

static int f_snapshot(struct hypervisor *h, const struct vm_spec *s, const char *label)
{
	struct fake *f = (struct fake *)h;
	size_t n = strlen(f->snaps);

	(void)s;
	snprintf(f->snaps + n, sizeof(f->snaps) - n, "%s\n", label);
	return 0;
}

static int f_restore(struct hypervisor *h, const struct vm_spec *s, const char *label)
{
	(void)s;
	return ((struct fake *)h)->running ? err_set(ERR_BUSY, "runs") : (strstr(((struct fake *)h)->snaps, label) ? 0 : ERR_NOTFOUND);
}

static int f_tail(struct hypervisor *h, const struct vm_spec *s, size_t lines, struct buf *out)
{
	(void)h;
	(void)s;
	(void)lines;
	return buf_adds(out, "[ 1.0] last words of the guest");
}

static int f_destroy(struct hypervisor *h, const struct vm_spec *s)
{
	((struct fake *)h)->destroys++;
	return fs_rm_rf(s->dir);
}

static const struct hypervisor_ops fake_ops = {
	.name = "fake", .probe = f_probe, .make = f_make, .start = f_start, .wait_ssh = f_wait, .stop = f_stop,
	.live = f_live, .snapshot = f_snapshot, .restore = f_restore, .console_tail = f_tail, .destroy = f_destroy,
};

struct env {
	char dir[4096], db[4200], toml[4200];
	struct fake hv;
	struct ledger *l;
	struct vm_ctx c;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(scratch_make(e->dir, sizeof(e->dir), "vm"), 0);
	snprintf(e->db, sizeof(e->db), "%s/chimera.db", e->dir);
	snprintf(e->toml, sizeof(e->toml), "%s/chimera.toml", e->dir);
	assert_int_equal(fs_write_file(e->toml, "# mine\n", 7, 0644), 0);
	if (ledger_sqlite_open(e->db, &e->l) < 0)
		fail_msg("open: %s", err_msg());
	e->hv.base.ops = &fake_ops;
	e->c = (struct vm_ctx){ .hv = &e->hv.base, .ledger = e->l, .state_dir = e->dir, .inventory = e->toml,
				.address_prefix = "127.77.0.", .pubkey = "ssh-ed25519 AAAAkey me\n", .key_file = "/k" };
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	ledger_close(e->l);
	fs_rm_rf(e->dir);
	free(e);
	return 0;
}

static void file_text(const char *path, struct buf *b)
{
	buf_reset(b);
	if (fs_read_file(path, b) < 0 || !b->data)
		buf_adds(b, "");
}

static void test_create_and_list(void **state)
{
	struct env *e = *state;
	const char *tags[] = { "web" };
	struct vm_create_opts o = { .name = "a", .tags = tags, .ntags = 1 };
	struct vm_report rep;
	struct vm_list l;
	struct buf b = BUF_INIT(0);

	assert_int_equal(vm_create(&e->c, &o, &rep), 0);
	assert_true(rep.ok);
	assert_string_equal(rep.vm.target, "127.77.0.10");
	assert_string_equal(rep.accel_why, "no kvm in a unit test");
	vm_report_release(&rep);
	file_text(e->toml, &b);
	assert_string_equal(b.data, "# mine\n\n[machines.a]\ntarget = \"127.77.0.10\"\ntags = [\"vm\", \"web\"]\n");
	/* The next VM gets the next address; the ssh files name both. */
	o.name = "b";
	o.ntags = 0;
	assert_int_equal(vm_create(&e->c, &o, &rep), 0);
	assert_string_equal(rep.vm.spec.address, "127.77.0.11");
	vm_report_release(&rep);
	snprintf(e->db, sizeof(e->db), "%s/vm/known_hosts", e->dir);
	file_text(e->db, &b);
	assert_string_equal(b.data, "127.77.0.10 ssh-ed25519 AAAAtest\n127.77.0.11 ssh-ed25519 AAAAtest\n");
	assert_int_equal(vm_list(&e->c, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0].spec.name, "a");
	assert_int_equal(l.items[1].spec.cpus, 1);
	assert_int_equal(l.items[1].spec.memory_mib, 1024);
	assert_int_equal(l.items[1].spec.disk_gib, 8);
	vm_list_release(&l);
	/* A taken name is refused before anything is made. */
	assert_int_equal(vm_create(&e->c, &o, &rep), ERR_EXISTS);
	assert_contains(rep.message, "a VM named 'b' exists already");
	vm_report_release(&rep);
	buf_release(&b);
}

static void test_busy_address_retried(void **state)
{
	struct env *e = *state;
	struct vm_create_opts o = { .name = "c" };
	struct vm_report rep;
	struct buf b = BUF_INIT(0);

	e->hv.busy_starts = 2;
	assert_int_equal(vm_create(&e->c, &o, &rep), 0);
	assert_int_equal(e->hv.starts, 3);
	assert_string_equal(e->hv.started_at[0], "127.77.0.10");
	assert_string_equal(e->hv.started_at[2], "127.77.0.12");
	assert_string_equal(rep.vm.target, "127.77.0.12");
	vm_report_release(&rep);
	file_text(e->toml, &b);
	assert_string_equal(b.data, "# mine\n\n[machines.c]\ntarget = \"127.77.0.12\"\ntags = [\"vm\"]\n");
	/* An address given is not moved: taken is an error. */
	e->hv.busy_starts = 100;
	o.name = "d";
	o.address = "127.77.0.99";
	assert_int_equal(vm_create(&e->c, &o, &rep), ERR_BUSY);
	assert_contains(rep.message, "127.77.0.99:22 is in use");
	vm_report_release(&rep);
	file_text(e->toml, &b);
	assert_null(strstr(b.data, "machines.d"));
	o.address = "10.0.0.1";
	assert_int_equal(vm_create(&e->c, &o, &rep), ERR_INVALID);
	assert_contains(rep.message, "expected a loopback IPv4 address");
	vm_report_release(&rep);
	buf_release(&b);
}

static void test_failed_boot_taken_back(void **state)
{
	struct env *e = *state;
	struct vm_create_opts o = { .name = "slow" };
	struct vm_report rep;
	struct vm_list l;
	struct buf b = BUF_INIT(0);
	char dir[4200];

	e->hv.ssh_fails = 1;
	assert_int_equal(vm_create(&e->c, &o, &rep), ERR_TIMEOUT);
	assert_contains(rep.message, "did not answer within 1 s");
	assert_string_equal(rep.console, "[ 1.0] last words of the guest");
	vm_report_release(&rep);
	assert_int_equal(e->hv.destroys, 1);
	assert_false(e->hv.running);
	snprintf(dir, sizeof(dir), "%s/vm/slow", e->dir);
	assert_false(fs_exists(dir));
	file_text(e->toml, &b);
	assert_string_equal(b.data, "# mine\n");
	assert_int_equal(vm_fold(&e->c, &l), 0);
	assert_int_equal(l.n, 0);
	vm_list_release(&l);
	buf_release(&b);
}

static void test_snapshots_restore_rm(void **state)
{
	struct env *e = *state;
	struct vm_create_opts o = { .name = "s" };
	struct vm_report rep;
	struct vm_info vi;
	struct buf b = BUF_INIT(0);

	assert_int_equal(vm_create(&e->c, &o, &rep), 0);
	vm_report_release(&rep);
	assert_int_equal(vm_snapshot(&e->c, "s", NULL, &rep), 0);
	assert_string_equal(rep.label, "snap-1");
	vm_report_release(&rep);
	assert_int_equal(vm_snapshot(&e->c, "s", "before-upgrade", &rep), 0);
	vm_report_release(&rep);
	assert_int_equal(vm_snapshot(&e->c, "s", NULL, &rep), 0);
	assert_string_equal(rep.label, "snap-3");
	vm_report_release(&rep);
	assert_int_equal(vm_snapshot(&e->c, "s", "-no", &rep), ERR_INVALID);
	vm_report_release(&rep);
	assert_int_equal(vm_get(&e->c, "s", &vi), 0);
	assert_string_equal(vi.snapshots, "snap-1,before-upgrade,snap-3");
	vm_info_release(&vi);
	/* "snap" is no label of it even though "snap-1" starts so. */
	assert_int_equal(vm_restore(&e->c, "s", "snap", 0, &rep), ERR_NOTFOUND);
	assert_true(e->hv.running);
	vm_report_release(&rep);
	assert_int_equal(vm_restore(&e->c, "s", "before-upgrade", 0, &rep), 0);
	assert_int_equal(e->hv.stops, 1);
	assert_true(e->hv.running);
	assert_string_equal(rep.vm.state, "running");
	vm_report_release(&rep);
	assert_int_equal(vm_remove(&e->c, "s", &rep), 0);
	vm_report_release(&rep);
	assert_int_equal(vm_get(&e->c, "s", &vi), ERR_NOTFOUND);
	assert_contains(err_msg(), "no VM named 's'");
	file_text(e->toml, &b);
	assert_string_equal(b.data, "# mine\n");
	buf_release(&b);
}

static void test_lock(void **state)
{
	struct env *e = *state;
	struct vm_report rep;
	int fd, fd2;

	assert_int_equal(vm_lock(&e->c, "x", &fd), 0);
	/* Another open file description of the same lock: as another process would. */
	assert_int_equal(vm_lock(&e->c, "x", &fd2), ERR_BUSY);
	assert_contains(err_msg(), "VM x is being changed by another chimera operation");
	assert_int_equal(vm_stop(&e->c, "x", 0, &rep), ERR_BUSY);
	vm_report_release(&rep);
	vm_unlock(fd);
	assert_int_equal(vm_lock(&e->c, "x", &fd2), 0);
	vm_unlock(fd2);
}

/* A running VM another operation holds (a deploy's node lease) is not stopped under it. */
static void test_node_lease(void **state)
{
	struct env *e = *state;
	struct vm_create_opts o = { .name = "l" };
	struct vm_report rep;
	struct fleet f = { .ledger = e->l };
	struct fleet_op op;
	struct fleet_failure fail = { 0 };
	struct target t;

	assert_int_equal(vm_create(&e->c, &o, &rep), 0);
	vm_report_release(&rep);
	assert_int_equal(target_parse(&t, LIT("127.77.0.10")), 0);
	assert_int_equal(fleet_op_begin(&op, &f, "deploy", "01TESTDEPLOYMENT0000000000"), 0);
	assert_int_equal(fleet_node_begin(&op, &t, "root@127.77.0.10:22", NULL, NULL, NULL, &fail), 0);
	assert_int_equal(vm_stop(&e->c, "l", 0, &rep), ERR_BUSY);
	assert_contains(rep.message, "01TESTDEPLOYMENT0000000000");
	assert_true(e->hv.running);
	assert_int_equal(e->hv.stops, 0);
	vm_report_release(&rep);
	assert_int_equal(vm_restore(&e->c, "l", "x", 0, &rep), ERR_BUSY);
	vm_report_release(&rep);
	fleet_node_end(&op, &t, "root@127.77.0.10:22", NULL, NULL);
	fleet_op_end(&op);
	/* Given back: the stop goes through, and leaves no lease behind. */
	assert_int_equal(vm_stop(&e->c, "l", 0, &rep), 0);
	assert_int_equal(e->hv.stops, 1);
	vm_report_release(&rep);
	assert_int_equal(vm_start(&e->c, "l", 0, false, &rep), 0);
	vm_report_release(&rep);
	assert_int_equal(vm_remove(&e->c, "l", &rep), 0);
	vm_report_release(&rep);
}

static void test_labels(void **state)
{
	(void)state;
	assert_int_equal(vm_label_check("v1.2_rc-3"), 0);
	assert_int_equal(vm_label_check(""), ERR_INVALID);
	assert_int_equal(vm_label_check(".x"), ERR_INVALID);
	assert_int_equal(vm_label_check("a b"), ERR_INVALID);
	assert_contains(err_msg(), "bad snapshot label 'a b'");
	assert_int_equal(vm_label_check("0123456789012345678901234567890123456789012345678901234567890123"), 0);
	assert_int_equal(vm_label_check("01234567890123456789012345678901234567890123456789012345678901234"), ERR_INVALID);
}

/* QEMU's command line: no default devices, the network restricted, sshd only on the loopback address. */
static void test_qemu_argv(void **state)
{
	struct qemu_hv h = { 0 };
	struct vm_spec s = { .name = "n", .cpus = 2, .memory_mib = 512, .address = "127.9.0.1", .port = 22, .dir = "/s/vm/n" };
	char **argv, line[8192] = "";
	size_t i, used = 0;

	(void)state;
	snprintf(h.qemu, sizeof(h.qemu), "/usr/bin/qemu-system-x86_64");
	snprintf(h.kernel, sizeof(h.kernel), "/boot/vmlinuz-6");
	snprintf(h.initrd, sizeof(h.initrd), "/k/initrd.gz");
	assert_non_null(argv = qemu_argv(&h, &s, "tcg", NULL));
	for (i = 0; argv[i]; i++)
		used += (size_t)snprintf(line + used, sizeof(line) - used, "%s ", argv[i]);
	qemu_argv_free(argv);
	assert_contains(line, "-nodefaults -machine q35,accel=tcg -cpu max -smp 2 -m 512 ");
	assert_contains(line, "-netdev user,id=net0,restrict=on,hostfwd=tcp:127.9.0.1:22-:22 ");
	assert_contains(line, "local,path=/usr,mount_tag=usr,security_model=none,readonly=on");
	assert_contains(line, "-qmp unix:/s/vm/n/qmp.sock,server=on,wait=off ");
	assert_contains(line, "console=ttyS0 panic=-1 quiet chimera.name=n ");
	assert_null(strstr(line, "0.0.0.0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_address_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_boot_taken_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshots_restore_rm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_lease, setup, teardown),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_qemu_argv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
