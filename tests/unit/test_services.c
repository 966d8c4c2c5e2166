/*
 * The services use case with a fake ledger and a fake executor that answers systemctl show with
 * the real captures in tests/fixtures/systemd.
 */
#include "check.h"
#include "fake_ledger.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>

#include "app/fleet/services.h"

/* Every command the fake ran, as "HOST: CMD". */
static pthread_mutex_t ran_lock = PTHREAD_MUTEX_INITIALIZER;
static char *ran[256];
static int nran;

static void ran_reset(void)
{
	int i;

	for (i = 0; i < nran; i++)
		free(ran[i]);
	nran = 0;
}

/* How many commands on HOST contained WHAT. */
static int ran_count(const char *host, const char *what)
{
	char prefix[80];
	int i, n = 0;

	snprintf(prefix, sizeof(prefix), "%s: ", host);
	for (i = 0; i < nran; i++) {
		if (strncmp(ran[i], prefix, strlen(prefix)) == 0 && strstr(ran[i], what))
			n++;
	}
	return n;
}

/* Fake executor: the host name says what happens. */
struct fake_session {
	char host[64];
};

static int fake_connect(struct executor *ex, const struct target *t, struct exec_session **out)
{
	struct fake_session *s;

	(void)ex;
	*out = NULL;
	if (strncmp(t->host, "down", 4) == 0)
		return err_set(ERR_IO, "%s: cannot connect: Connection refused", t->host);
	s = calloc(1, sizeof(*s));
	snprintf(s->host, sizeof(s->host), "%s", t->host);
	*out = (struct exec_session *)s;
	return 0;
}

/* What systemctl show prints, from the real captures in tests/fixtures/systemd. */
static struct buf unit_app = BUF_INIT(0), unit_missing = BUF_INIT(0), units_all = BUF_INIT(0);

static int load_captures(void **state)
{
	(void)state;
	read_fixture("systemd/running.txt", &unit_app);
	read_fixture("systemd/not-found.txt", &unit_missing);
	read_fixture("systemd/multi.txt", &units_all);
	return 0;
}

static int release_captures(void **state)
{
	(void)state;
	buf_release(&unit_app);
	buf_release(&unit_missing);
	buf_release(&units_all);
	return 0;
}

static int fake_run(struct exec_session *es, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	struct fake_session *s = (struct fake_session *)es;
	char *line;

	(void)o;
	line = malloc(strlen(s->host) + strlen(cmd) + 3);
	sprintf(line, "%s: %s", s->host, cmd);
	pthread_mutex_lock(&ran_lock);
	if (nran < 256)
		ran[nran++] = line;
	else
		free(line);
	pthread_mutex_unlock(&ran_lock);
	res->status = 0;
	if (strstr(cmd, "/run/systemd/system")) {
		if (strncmp(s->host, "nosd", 4) == 0)
			buf_adds(&res->out, "none\n");
		else if (strncmp(s->host, "odd", 3) == 0)
			buf_adds(&res->out, "upstart?\n");
		else
			buf_adds(&res->out, "systemd\n");
	} else if (strstr(cmd, "systemctl --no-ask-password ")) {
		if (strncmp(s->host, "sdbad", 5) == 0) {
			buf_adds(&res->err, "Failed to start app.service: Access denied\n");
			res->status = 4;
		}
	} else if (strstr(cmd, "systemctl show ")) {
		if (strncmp(s->host, "sdslow", 6) == 0)
			return err_set(ERR_TIMEOUT, "%s: command timed out after 1s", s->host);
		if (strncmp(s->host, "sdgarbage", 9) == 0)
			buf_adds(&res->out, "Id=x.service\nthis is not systemd\n");
		else if (strstr(cmd, "'*.service'"))
			buf_add(&res->out, units_all.data, units_all.len);
		else if (strstr(cmd, "nosuch.service"))
			buf_add(&res->out, unit_missing.data, unit_missing.len);
		else
			buf_add(&res->out, unit_app.data, unit_app.len);
	} else {
		res->status = 127;
	}
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

static const struct executor_ops fake_exec_ops = {
	.name = "fake", .connect = fake_connect, .run = fake_run, .disconnect = fake_disconnect, .close = fake_close,
};
static struct executor fake_executor = { &fake_exec_ops };

static const json_t *node_event(struct fake_ledger *fl, const char *node)
{
	int i;

	for (i = 0; i < fl->n; i++) {
		if (strcmp(fl->topic[i], "node.services") == 0 && strcmp(fl->node[i], node) == 0)
			return fl->payload[i];
	}
	return NULL;
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "(null)";
}

struct run {
	struct fake_ledger fl;
	struct target_list targets;
	struct services_report rep;
};

static void run_action(struct run *r, const char *targets, enum services_action a, const char *unit, int parallel)
{
	struct services_ctx ctx = { 0 };

	ran_reset();
	fake_ledger_init(&r->fl);
	executor_set_add(&ctx.fleet.executors, "ssh", &fake_executor);
	ctx.fleet.ledger = &r->fl.base;
	ctx.fleet.parallel = parallel;
	assert_int_equal(target_list_parse(&r->targets, targets, strlen(targets)), 0);
	if (services_run(&ctx, &r->targets, a, unit, &r->rep) < 0)
		fail_msg("services_run: %s", err_msg());
}

static void run_release(struct run *r)
{
	services_report_release(&r->rep);
	target_list_release(&r->targets);
	fake_ledger_release(&r->fl);
	ran_reset();
}

static void test_no_service_manager(void **state)
{
	struct run r;
	size_t i;

	(void)state;
	run_action(&r, "nosd1,nosd2", SERVICES_START, "app", 4);
	assert_int_equal(r.rep.n, 2);
	assert_int_equal(r.rep.ok, 0);
	assert_int_equal(r.rep.failed, 2);
	assert_int_equal(r.rep.no_manager, 2);
	for (i = 0; i < 2; i++) {
		const struct services_node *n = &r.rep.nodes[i];
		char want[128];

		assert_false(services_node_ok(n));
		assert_true(services_node_no_manager(n));
		assert_string_equal(n->manager, "none");
		assert_string_equal(n->step, "detect");
		assert_int_equal(n->err, ERR_UNSUPPORTED);
		snprintf(want, sizeof(want), "no service manager on %s (systemd is not running)", n->name);
		assert_string_equal(n->message, want);
		assert_int_equal(n->units.n, 0);
		assert_int_equal(n->action_exit, -1);
	}
	/* Only the probe ran: nothing was started, nothing shown in its place. */
	assert_int_equal(ran_count("nosd1", "systemctl"), 0);
	assert_int_equal(ran_count("nosd2", "systemctl"), 0);
	assert_int_equal(ran_count("nosd1", "/run/systemd/system"), 1);
	/* Events: services.action, two node.services, services.complete. */
	assert_int_equal(r.fl.n, 4);
	assert_string_equal(r.fl.topic[0], "services.action");
	assert_string_equal(jstr(r.fl.payload[0], "action"), "start");
	assert_string_equal(jstr(r.fl.payload[0], "unit"), "app.service");
	assert_string_equal(r.fl.topic[3], "services.complete");
	assert_int_equal(json_integer_value(json_object_get(r.fl.payload[3], "no_service_manager")), 2);
	assert_string_equal(jstr(node_event(&r.fl, "root@nosd1:22"), "service_manager"), "none");
	assert_false(json_is_true(json_object_get(node_event(&r.fl, "root@nosd1:22"), "ok")));
	assert_contains(jstr(node_event(&r.fl, "root@nosd2:22"), "error"), "no service manager on root@nosd2:22");
	run_release(&r);
}

static void test_mixed_start(void **state)
{
	struct run r;
	const struct services_node *n;
	const json_t *p;
	int i;

	(void)state;
	run_action(&r, "sd1,down1,nosd1,sdbad1,sdslow1,odd1,sdgarbage1", SERVICES_START, "app", 3);
	assert_int_equal(r.rep.n, 7);
	assert_int_equal(r.rep.ok, 1);
	assert_int_equal(r.rep.failed, 6);
	assert_int_equal(r.rep.no_manager, 1);
	assert_int_equal(r.rep.ledger_err, 0);
	assert_string_equal(r.rep.unit, "app.service");

	n = &r.rep.nodes[0];
	assert_true(services_node_ok(n));
	assert_null(n->step);
	assert_int_equal(n->action_exit, 0);
	assert_int_equal(n->units.n, 1);
	assert_string_equal(n->units.items[0].id, "app.service");
	assert_int_equal(n->units.items[0].main_pid, 46);
	assert_int_equal(ran_count("sd1", "systemctl --no-ask-password start -- app.service"), 1);
	assert_int_equal(ran_count("sd1", "TZ=UTC0 LC_ALL=C systemctl show --no-pager --all -p Id,"), 1);

	n = &r.rep.nodes[1];
	assert_string_equal(n->step, "connect");
	assert_int_equal(n->err, ERR_IO);
	assert_null(n->manager);
	assert_contains(n->message, "Connection refused");

	assert_true(services_node_no_manager(&r.rep.nodes[2]));

	/* The action failed: its stderr is in the message, and the state it left is still read. */
	n = &r.rep.nodes[3];
	assert_string_equal(n->step, "start");
	assert_int_equal(n->action_exit, 4);
	assert_contains(n->message, "systemctl start 'app.service' failed on root@sdbad1:22 (exit 4)");
	assert_contains(n->message, "Access denied");
	assert_int_equal(n->units.n, 1);

	n = &r.rep.nodes[4];
	assert_string_equal(n->step, "show");
	assert_int_equal(n->err, ERR_TIMEOUT);

	n = &r.rep.nodes[5];
	assert_string_equal(n->step, "detect");
	assert_int_equal(n->err, ERR_IO);
	assert_contains(n->message, "unexpected answer 'upstart?'");
	assert_false(services_node_no_manager(n));

	n = &r.rep.nodes[6];
	assert_string_equal(n->step, "show");
	assert_int_equal(n->err, ERR_INVALID);
	assert_contains(n->message, "root@sdgarbage1:22: systemctl show line 2");
	assert_int_equal(n->units.n, 0);

	/* Every event belongs to this run; the failures carry their step. */
	assert_int_equal(r.fl.n, 9);
	for (i = 0; i < r.fl.n; i++)
		assert_string_equal(r.fl.run[i], r.rep.run_id);
	p = node_event(&r.fl, "root@sd1:22");
	assert_true(json_is_true(json_object_get(p, "ok")));
	assert_int_equal(json_integer_value(json_object_get(p, "action_exit")), 0);
	assert_string_equal(jstr(json_object_get(p, "state"), "active_state"), "active");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "state"), "since")), 1795401236);
	p = node_event(&r.fl, "root@down1:22");
	assert_string_equal(jstr(p, "step"), "connect");
	assert_true(json_is_null(json_object_get(p, "service_manager")));
	p = node_event(&r.fl, "root@sdbad1:22");
	assert_string_equal(jstr(p, "step"), "start");
	assert_int_equal(json_integer_value(json_object_get(p, "action_exit")), 4);
	run_release(&r);
}

static void test_list_and_status(void **state)
{
	struct run r;
	const json_t *p;

	(void)state;
	run_action(&r, "sd1,sd2", SERVICES_LIST, NULL, 1);
	assert_int_equal(r.rep.ok, 2);
	assert_int_equal(r.rep.nodes[0].units.n, 10);
	/* Sorted by name, whatever order systemctl printed (multi.txt starts with dbus.service). */
	assert_string_equal(r.rep.nodes[0].units.items[0].id, "app-metrics.service");
	assert_string_equal(r.rep.nodes[0].units.items[1].id, "app.service");
	assert_string_equal(r.rep.nodes[0].units.items[9].id, "worker@a\\x2db.service");
	assert_int_equal(ran_count("sd1", "--no-ask-password"), 0);
	assert_int_equal(ran_count("sd1", "-- '*.service'"), 1);
	p = node_event(&r.fl, "root@sd2:22");
	assert_int_equal(json_integer_value(json_object_get(p, "units")), 10);
	assert_int_equal(json_array_size(json_object_get(p, "failed_units")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "failed_units"), 0)), "broken.service");
	assert_true(json_is_null(json_object_get(r.fl.payload[0], "unit")));
	run_release(&r);

	/* status changes nothing; a unit that does not exist is a failure naming it. */
	run_action(&r, "sd1", SERVICES_STATUS, "nosuch", 1);
	assert_int_equal(r.rep.ok, 0);
	assert_int_equal(r.rep.failed, 1);
	assert_int_equal(r.rep.no_manager, 0);
	assert_int_equal(r.rep.nodes[0].err, ERR_NOTFOUND);
	assert_string_equal(r.rep.nodes[0].message, "unit 'nosuch.service' not found on root@sd1:22");
	assert_int_equal(r.rep.nodes[0].units.n, 1);
	assert_int_equal(ran_count("sd1", "--no-ask-password"), 0);
	run_release(&r);

	run_action(&r, "sd1", SERVICES_STATUS, "app.service", 1);
	assert_int_equal(r.rep.ok, 1);
	assert_int_equal(r.rep.nodes[0].units.items[0].memory, 180224);
	run_release(&r);
}

static void test_bad_calls(void **state)
{
	struct services_ctx ctx = { 0 };
	struct fake_ledger fl;
	struct target_list targets;
	struct services_report rep;

	(void)state;
	fake_ledger_init(&fl);
	executor_set_add(&ctx.fleet.executors, "ssh", &fake_executor);
	ctx.fleet.ledger = &fl.base;
	ctx.fleet.parallel = 2;
	assert_int_equal(target_list_parse(&targets, "sd1", 3), 0);
	assert_int_equal(services_run(&ctx, &targets, SERVICES_START, NULL, &rep), ERR_INVALID);
	assert_contains(err_msg(), "services start needs a unit name");
	assert_int_equal(services_run(&ctx, &targets, SERVICES_LIST, "x", &rep), ERR_INVALID);
	assert_int_equal(services_run(&ctx, &targets, SERVICES_STOP, "a;reboot", &rep), ERR_INVALID);
	assert_contains(err_msg(), "bad unit name 'a;reboot'");
	/* Nothing was recorded for calls refused up front. */
	assert_int_equal(fl.n, 0);
	target_list_release(&targets);
	fake_ledger_release(&fl);
}

static void test_unit_names(void **state)
{
	char out[SD_NAME_MAX + 1];
	char longname[300];
	enum services_action a;

	(void)state;
	assert_int_equal(services_unit_name("nginx", out, sizeof(out)), 0);
	assert_string_equal(out, "nginx.service");
	assert_int_equal(services_unit_name("getty@tty1", out, sizeof(out)), 0);
	assert_string_equal(out, "getty@tty1.service");
	assert_int_equal(services_unit_name("ssh.socket", out, sizeof(out)), 0);
	assert_string_equal(out, "ssh.socket");
	assert_int_equal(services_unit_name("nginx.service", out, sizeof(out)), 0);
	assert_string_equal(out, "nginx.service");
	/* A dot that is not a unit type: systemctl would add .service, so do we. */
	assert_int_equal(services_unit_name("php8.2-fpm", out, sizeof(out)), 0);
	assert_string_equal(out, "php8.2-fpm.service");
	assert_int_equal(services_unit_name("user:1000_x", out, sizeof(out)), 0);

	assert_int_equal(services_unit_name("", out, sizeof(out)), ERR_INVALID);
	assert_int_equal(services_unit_name("a b", out, sizeof(out)), ERR_INVALID);
	assert_quotes("bad unit name", LIT("a b"));
	assert_contains(err_msg(), "expected letters, digits and :_.@-");
	assert_int_equal(services_unit_name("-x", out, sizeof(out)), ERR_INVALID);
	assert_int_equal(services_unit_name(".service", out, sizeof(out)), ERR_INVALID);
	assert_int_equal(services_unit_name("x.", out, sizeof(out)), ERR_INVALID);
	assert_int_equal(services_unit_name("$(reboot)", out, sizeof(out)), ERR_INVALID);
	assert_int_equal(services_unit_name("a/b", out, sizeof(out)), ERR_INVALID);
	assert_int_equal(services_unit_name("caf\xc3\xa9", out, sizeof(out)), ERR_INVALID);
	memset(longname, 'a', sizeof(longname));
	longname[250] = '\0';	/* 250 + ".service" is past 256 */
	assert_int_equal(services_unit_name(longname, out, sizeof(out)), ERR_INVALID);
	assert_contains(err_msg(), "longer than 256 bytes");
	longname[248] = '\0';
	assert_int_equal(services_unit_name(longname, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 256);

	assert_int_equal(services_action_parse("restart", &a), 0);
	assert_int_equal(a, SERVICES_RESTART);
	assert_int_equal(services_action_parse("reload", &a), ERR_INVALID);
	assert_quotes("unknown services subcommand", LIT("reload"));
	assert_true(services_action_changes(SERVICES_DISABLE));
	assert_false(services_action_changes(SERVICES_STATUS));
	assert_false(services_action_takes_unit(SERVICES_LIST));
}

static void test_remote_commands(void **state)
{
	struct buf b = BUF_INIT(0);

	(void)state;
	assert_int_equal(services_remote_action(&b, SERVICES_ENABLE, "getty@tty1.service"), 0);
	assert_string_equal(b.data, "LC_ALL=C systemctl --no-ask-password enable -- getty@tty1.service");
	buf_reset(&b);
	assert_int_equal(services_remote_show(&b, NULL), 0);
	assert_string_equal(b.data, "TZ=UTC0 LC_ALL=C systemctl show --no-pager --all -p " SYSTEMD_SHOW_PROPERTIES
				    " -- '*.service'");
	buf_reset(&b);
	assert_int_equal(services_remote_detect(&b), 0);
	assert_non_null(strstr(b.data, "[ -d /run/systemd/system ]"));
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_service_manager),
		cmocka_unit_test(test_mixed_start),
		cmocka_unit_test(test_list_and_status),
		cmocka_unit_test(test_bad_calls),
		cmocka_unit_test(test_unit_names),
		cmocka_unit_test(test_remote_commands),
	};

	return cmocka_run_group_tests(tests, load_captures, release_captures);
}
