/*
 * Adding a target transport (docs/internals/adding-a-target-transport.md), followed once: a
 * fake "vm" executor in a fleet's executor set is reached by vm:NAME targets, ssh targets
 * still reach theirs, and a transport nobody registered fails at connect, naming it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/openssl/cipher_openssl.h"
#include "app/fleet/exec.h"
#include "fake_ledger.h"
#include "app/fleet/fleet.h"
#include "runtime/transports.h"
#include "runtime/world.h"
#include "util/err.h"

/* A fake executor per transport: each session says which executor ran the command. */
struct fake_ex {
	struct executor base;
	const char *label;
	int connects;
};

struct fake_session {
	struct fake_ex *ex;
	char host[64];
};

static int fake_connect(struct executor *ex, const struct target *t, struct exec_session **out)
{
	struct fake_ex *fx = (struct fake_ex *)ex;
	struct fake_session *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->ex = fx;
	snprintf(s->host, sizeof(s->host), "%s", t->host);
	__atomic_add_fetch(&fx->connects, 1, __ATOMIC_SEQ_CST);
	*out = (struct exec_session *)s;
	return 0;
}

static int fake_run(struct exec_session *es, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	struct fake_session *s = (struct fake_session *)es;

	(void)o;
	buf_printf(&res->out, "%s on %s: %s", s->ex->label, s->host, cmd);
	res->status = 0;
	return 0;
}

static void fake_disconnect(struct exec_session *s)
{
	free(s);
}

static void fake_close(struct executor *ex)
{
	(void)ex;
}

static const struct executor_ops fake_ops = { "fake", fake_connect, fake_run, fake_disconnect, fake_close };

static void test_exec_by_transport(void **state)
{
	struct fake_ex vm = { { &fake_ops }, "vm", 0 }, ssh = { { &fake_ops }, "ssh", 0 };
	struct executor_set set = { 0 };
	struct exec_ctx ctx = { &set, NULL, 2, { NULL, NULL }, cipher_openssl(), false, NULL };
	struct target_list targets;
	struct exec_report rep;
	struct fake_ledger fl;
	const char *spec = "vm:alpha,root@web-1:22,vm:beta,qemu:gamma";

	(void)state;
	fake_ledger_init(&fl);
	ctx.ledger = &fl.base;
	assert_int_equal(executor_set_add(&set, "ssh", &ssh.base), 0);
	assert_int_equal(executor_set_add(&set, "vm", &vm.base), 0);
	assert_int_equal(target_list_parse(&targets, spec, strlen(spec)), 0);
	assert_int_equal(exec_run(&ctx, &targets, "uptime", &rep), 0);
	assert_int_equal(rep.n, 4);
	assert_string_equal(rep.nodes[0].name, "vm:alpha");
	assert_string_equal(rep.nodes[0].res.out.data, "vm on alpha: uptime");
	assert_string_equal(rep.nodes[1].name, "root@web-1:22");
	assert_string_equal(rep.nodes[1].res.out.data, "ssh on web-1: uptime");
	assert_string_equal(rep.nodes[2].res.out.data, "vm on beta: uptime");
	assert_int_equal(rep.nodes[3].err, ERR_UNSUPPORTED);
	assert_string_equal(rep.nodes[3].step, "connect");
	assert_non_null(strstr(rep.nodes[3].message, "no transport 'qemu'"));
	assert_int_equal(vm.connects, 2);
	assert_int_equal(ssh.connects, 1);
	assert_int_equal(rep.ok, 3);
	exec_report_release(&rep);
	target_list_release(&targets);
	fake_ledger_release(&fl);
}

static void test_fleet_executor(void **state)
{
	struct fake_ex vm = { { &fake_ops }, "vm", 0 };
	struct fleet f = { 0 };
	struct target t;

	(void)state;
	assert_int_equal(executor_set_add(&f.executors, "vm", &vm.base), 0);
	assert_int_equal(target_parse(&t, "vm:alpha", 8), 0);
	assert_ptr_equal(fleet_executor(&f, &t), &vm.base);
	assert_int_equal(target_parse(&t, "web-1", 5), 0);
	assert_null(fleet_executor(&f, &t));
	assert_string_equal(err_msg(), "no transport 'ssh' to reach 'root@web-1:22': expected one of: vm");
	assert_false(fleet_is_local(&t));
	assert_int_equal(target_parse(&t, "local", 5), 0);
	assert_true(fleet_is_local(&t));
}

/* The runtime's registry: one row per transport; what a row opens is an executor. */
static void test_registry(void **state)
{
	struct transport_params p = { .timeout_s = 5 };
	struct executor_set set;

	(void)state;
	assert_non_null(transport_find("ssh"));
	assert_non_null(transport_find("local"));
	assert_null(transport_find("qemu"));
	assert_string_equal(world_transport_names(), "ssh, local");
	assert_int_equal(transport_open_all(&p, &set), 0);
	assert_int_equal(set.n, 2);
	assert_non_null(executor_set_find(&set, ""));
	assert_ptr_equal(executor_set_find(&set, ""), executor_set_find(&set, "ssh"));
	assert_non_null(executor_set_find(&set, "local"));
	assert_null(executor_set_find(&set, "qemu"));
	transport_close_all(&set);
	assert_int_equal(set.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_by_transport),
		cmocka_unit_test(test_fleet_executor),
		cmocka_unit_test(test_registry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
