/*
 * Unit tests for app/nix/gc (chimera nix gc as a use case): each fake node is a directory
 * whose commands run with /bin/sh, fake nix-env and nix-store first on PATH, and its
 * /nix/var/chimera in the directory; the ledger is the fake one.
 */
#include "check.h"
#include "fake_ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/nix/gc.h"
#include "util/fs.h"
#include "util/proc.h"

#define ARMER "01J9ZK3M4N5P6Q7R8S9T0V1W2X"

static char root[4096];

/* A node's session: its directory. */
struct sh_session {
	char dir[4200];
};

static int sh_connect(struct executor *ex, const struct target *t, struct exec_session **out)
{
	struct sh_session *s;

	(void)ex;
	if (strcmp(t->host, "down") == 0)
		return err_set(ERR_IO, "cannot reach %s", t->host);
	assert_non_null(s = calloc(1, sizeof(*s)));
	snprintf(s->dir, sizeof(s->dir), "%s/%s", root, t->host);
	*out = (struct exec_session *)s;
	return 0;
}

/* Replace every FROM in IN by TO, into OUT. */
static void replace(const char *in, const char *from, const char *to, struct buf *out)
{
	const char *p = in, *hit;

	buf_reset(out);
	while ((hit = strstr(p, from))) {
		buf_add(out, p, (size_t)(hit - p));
		buf_adds(out, to);
		p = hit + strlen(from);
	}
	buf_adds(out, p);
}

static int sh_run(struct exec_session *es, const char *cmd, const struct exec_opts *o, struct exec_result *res)
{
	struct sh_session *s = (struct sh_session *)es;
	struct buf full = BUF_INIT(0), body = BUF_INIT(0), mine = BUF_INIT(0), out = BUF_INIT(EXEC_OUTPUT_MAX);
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };

	(void)o;
	/* The node's /nix/var/chimera is its own directory's, in and out. */
	buf_printf(&mine, "%s/chimera", s->dir);
	replace(cmd, "/nix/var/chimera", mine.data, &body);
	buf_printf(&full, "D=%s; export D; PATH=%s/bin:$PATH; export PATH\n%s", s->dir, root, body.data);
	argv[2] = full.data;
	assert_int_equal(proc_run_split(argv, -1, &out, &res->err, &res->status), 0);
	replace(out.data, mine.data, "/nix/var/chimera", &res->out);
	buf_release(&full);
	buf_release(&body);
	buf_release(&mine);
	buf_release(&out);
	return 0;
}

static void sh_disconnect(struct exec_session *es)
{
	free(es);
}

static const struct executor_ops sh_ops = { .name = "sh", .connect = sh_connect, .run = sh_run,
					    .disconnect = sh_disconnect };
static struct executor sh_exec = { &sh_ops };

static void put(const char *path, const char *text, int mode)
{
	FILE *f;

	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, (mode_t)mode), 0);
}

/* NODE's profile path into OUT. */
static void profile_of(const char *node, char *out, size_t len)
{
	snprintf(out, len, "%s/%s/profiles/system", root, node);
}

/* Each node's profile is its own directory's: as chimera.toml's per-machine profile. */
static void node_settings(const struct target *t, struct node_settings *out, void *arg)
{
	static __thread char prof[4300];

	(void)arg;
	profile_of(t->host, prof, sizeof(prof));
	out->profile = prof;
}

/* Node NODE: generations 1..N (made N..1 days ago), the last current; DEAD paths (files of 1000*i bytes) dead. */
static void node_make(const char *node, uint32_t n, const char *dead)
{
	char dir[4300], path[4400], target[128], list[8192] = "";
	struct timespec ts[2];
	time_t now = time(NULL);
	uint32_t i;
	const char *p;

	snprintf(dir, sizeof(dir), "%s/%s/profiles", root, node);
	assert_int_equal(fs_mkdir_p(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/%s/store", root, node);
	assert_int_equal(fs_mkdir_p(dir, 0755), 0);
	for (i = 1; i <= n; i++) {
		snprintf(path, sizeof(path), "%s/%s/profiles/system-%u-link", root, node, i);
		snprintf(target, sizeof(target), "/nix/store/%032u-sys-%u", i, i);
		assert_int_equal(symlink(target, path), 0);
		ts[0].tv_sec = ts[1].tv_sec = now - (time_t)(n + 1 - i) * 86400;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
	}
	snprintf(path, sizeof(path), "%s/%s/profiles/system", root, node);
	snprintf(target, sizeof(target), "system-%u-link", n);
	assert_int_equal(symlink(target, path), 0);
	for (p = dead, i = 1; *p; p += strcspn(p, " "), p += *p == ' ', i++) {
		char name[64], *text;
		size_t len = 1000 * i;

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(p, " "), p);
		snprintf(path, sizeof(path), "%s/%s/store/%s", root, node, name);
		assert_non_null(text = calloc(1, len + 1));
		memset(text, 'x', len);
		put(path, text, 0644);
		free(text);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\n", path);
	}
	snprintf(path, sizeof(path), "%s/%s/dead.list", root, node);
	put(path, list, 0644);
	snprintf(path, sizeof(path), "%s/%s/roots.list", root, node);
	put(path, "", 0644);
}

/* An armed dead-man switch on NODE, going back to generation GEN of PROFILE, its process this one. */
static void switch_make(const char *node, uint32_t gen, const char *profile)
{
	char dir[4400], path[4500], text[8192];

	snprintf(dir, sizeof(dir), "%s/%s/chimera/deadman/" ARMER ".a1B2c3D4e5", root, node);
	assert_int_equal(fs_mkdir_p(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/info", dir);
	snprintf(text, sizeof(text), "op " ARMER "\npath /nix/store/%032u-sys-%u\nprofile %s\ngen %u\ndeadline %lld\n", 9u,
		 9u, profile, gen, (long long)time(NULL) + 600);
	put(path, text, 0644);
	snprintf(path, sizeof(path), "%s/pid", dir);
	snprintf(text, sizeof(text), "%d\n", (int)getpid());
	put(path, text, 0644);
}

static void fakes_make(void)
{
	char path[4300];

	assert_int_equal(scratch_make(root, sizeof(root), "nix-gc"), 0);
	snprintf(path, sizeof(path), "%s/bin", root);
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bin/nix-env", root);
	put(path, "#!/bin/sh\np=$2; shift 3; for n in \"$@\"; do rm -f \"$p-$n-link\"; done\n", 0755);
	snprintf(path, sizeof(path), "%s/bin/nix-store", root);
	put(path,
	    "#!/bin/sh\n"
	    "case \"$1 $2\" in\n"
	    "'--gc --print-dead') cat \"$D/dead.list\";;\n"
	    "'--gc --print-roots') cat \"$D/roots.list\";;\n"
	    "'--gc ') k=0; while read -r x; do [ -e \"$x\" ] || continue; rm -f \"$x\"; k=$((k + 1));"
	    " echo \"deleting '/nix/store/${x##*/}'\" >&2; done <\"$D/dead.list\"; echo \"$k store paths deleted, 0.01 MiB freed\";;\n"
	    "-qR*) shift; for x in \"$@\"; do echo \"$x\"; done;;\n"
	    "*) exit 99;;\n"
	    "esac\n",
	    0755);
}

static void fakes_release(void)
{
	char *argv[] = { "/bin/rm", "-rf", root, NULL };
	int status;

	proc_run(argv, NULL, &status);
}

/* The fleet: the sh executor as "ssh", the fake ledger, each node's own profile. */
static void fleet_make(struct fleet *f, struct fake_ledger *fl)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(executor_set_add(&f->executors, "ssh", &sh_exec), 0);
	fake_ledger_init(fl);
	f->ledger = &fl->base;
	f->parallel = 4;
	f->step_timeout_s = 30;
	f->node_settings = node_settings;
}

/* du's count of node NODE's store files NAMES, in bytes. */
static uint64_t du_of(const char *node, const char *names)
{
	struct buf out = BUF_INIT(0);
	char cmd[8192];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	int status;

	snprintf(cmd, sizeof(cmd), "cd '%s/%s/store' && du -s -B1 -c %s | tail -n 1 | cut -f1", root, node, names);
	assert_int_equal(proc_run_split(argv, -1, &out, NULL, &status), 0);
	assert_int_equal(status, 0);
	{
		uint64_t v = strtoull(out.data, NULL, 10);

		buf_release(&out);
		return v;
	}
}

static bool link_exists(const char *node, uint32_t gen)
{
	char path[4400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/profiles/system-%u-link", root, node, gen);
	return lstat(path, &st) == 0;
}

/* The event of NODE in FL: its payload. */
static json_t *event_of(struct fake_ledger *fl, const char *node)
{
	int i;

	for (i = 0; i < fl->n; i++)
		if (strcmp(fl->topic[i], "nix.gc.completed") == 0 && strcmp(fl->node[i], node) == 0)
			return fl->payload[i];
	fail_msg("no nix.gc.completed for %s", node);
	return NULL;
}

static const char *dumps(const json_t *v)
{
	static char out[1024];
	char *s = json_dumps(v, JSON_COMPACT);

	snprintf(out, sizeof(out), "%s", s ? s : "");
	free(s);
	return out;
}

static void test_gc(void **state)
{
	struct fleet f;
	struct fake_ledger fl;
	struct target_list tl;
	struct gc_report rep;
	struct gc_opts o = { .profile = "/nix/var/nix/profiles/system", .older_than_s = 0, .older_than = "0d", .keep = 2 };
	char prof2[4300];
	uint64_t want1, want2;
	json_t *doc, *e;
	char *text;

	(void)state;
	fakes_make();
	node_make("web1", 5, "a b c");
	node_make("web2", 5, "a");
	profile_of("web2", prof2, sizeof(prof2));
	switch_make("web2", 2, prof2);
	want1 = du_of("web1", "a b c");
	want2 = du_of("web2", "a");
	fleet_make(&f, &fl);
	target_list_init(&tl);
	assert_int_equal(target_list_parse(&tl, LIT("web1,web2,down")), 0);
	assert_int_equal(gc_run(&f, &tl, &o, &rep), 0);
	assert_int_equal(rep.n, 3);
	assert_int_equal(rep.ok, 2);
	assert_int_equal(rep.failed, 1);
	/* web1: 1 to 3 went, 4 (newest) and 5 (current) stayed; what du measured was freed. */
	assert_true(!link_exists("web1", 1) && !link_exists("web1", 3) && link_exists("web1", 4) && link_exists("web1", 5));
	assert_true(rep.nodes[0].ok && rep.nodes[0].deleted && rep.nodes[0].collected);
	assert_int_equal(rep.nodes[0].current, 5);
	assert_int_equal(rep.nodes[0].measure, GC_MEASURE_DU);
	assert_int_equal(rep.nodes[0].freed_bytes, want1);
	assert_int_equal(rep.nodes[0].paths_removed, 3);
	assert_int_equal(rep.nodes[0].nix_freed_bytes, 10486);
	/* web2: its armed switch goes back to 2: kept, the switch left alone. */
	assert_true(!link_exists("web2", 1) && link_exists("web2", 2) && !link_exists("web2", 3));
	assert_int_equal(rep.nodes[1].switches, 1);
	assert_int_equal(rep.nodes[1].plan.items[1].why, GC_WHY_DEADMAN);
	assert_string_equal(rep.nodes[1].plan.items[1].by, ARMER);
	assert_int_equal(rep.nodes[1].freed_bytes, want2);
	/* down: failed at connect, nothing planned. */
	assert_false(rep.nodes[2].ok);
	assert_string_equal(rep.nodes[2].fail.step, "connect");
	assert_int_equal(rep.generations_deleted, 5);
	assert_int_equal(rep.freed_bytes, want1 + want2);
	/* One event per node, the report's node object. */
	assert_int_equal(fl.n, 3);
	e = event_of(&fl, "root@web1:22");
	assert_string_equal(dumps(json_object_get(e, "generations_deleted")), "[1,2,3]");
	assert_string_equal(dumps(json_object_get(e, "generations_kept")), "[4,5]");
	assert_int_equal(json_integer_value(json_object_get(e, "freed_bytes")), (json_int_t)want1);
	assert_true(json_is_false(json_object_get(e, "dry_run")));
	e = event_of(&fl, "root@web2:22");
	assert_string_equal(dumps(json_object_get(e, "generations_kept")), "[2,4,5]");
	{
		json_t *k = json_array_get(json_object_get(e, "kept"), 0);

		assert_int_equal(json_integer_value(json_object_get(k, "generation")), 2);
		assert_string_equal(json_string_value(json_object_get(k, "by")), ARMER);
		assert_string_equal(dumps(json_object_get(k, "why")), "[\"deadman\"]");
		assert_string_equal(json_string_value(json_object_get(k, "path")),
				    "/nix/store/00000000000000000000000000000002-sys-2");
	}
	assert_int_equal(json_integer_value(json_object_get(e, "switches")), 1);
	e = event_of(&fl, "root@down:22");
	assert_true(json_is_false(json_object_get(e, "ok")));
	assert_string_equal(json_string_value(json_object_get(e, "step")), "connect");
	assert_string_equal(dumps(json_object_get(e, "generations_deleted")), "[]");
	assert_true(json_is_null(json_object_get(e, "freed_bytes")));
	/* The report's JSON. */
	assert_non_null(text = gc_report_json(&rep));
	assert_non_null(doc = json_loads(text, 0, NULL));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "generations_deleted")), 5);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "failed")), 1);
	assert_string_equal(json_string_value(json_object_get(doc, "older_than")), "0d");
	assert_int_equal(json_array_size(json_object_get(doc, "nodes")), 3);
	json_decref(doc);
	free(text);
	gc_report_release(&rep);
	target_list_release(&tl);
	fake_ledger_release(&fl);
	fakes_release();
}

/* --dry-run: nothing changes, the report and the events say what would go. */
static void test_dry_run(void **state)
{
	struct fleet f;
	struct fake_ledger fl;
	struct target_list tl;
	struct gc_report rep;
	struct gc_opts o = { .profile = "/nix/var/nix/profiles/system", .older_than_s = 3 * 86400 + 60, .older_than = "3d",
			     .keep = 1, .dry_run = true };
	uint64_t want;

	(void)state;
	fakes_make();
	node_make("web1", 6, "a b");
	want = du_of("web1", "a b");
	fleet_make(&f, &fl);
	target_list_init(&tl);
	assert_int_equal(target_list_parse(&tl, LIT("web1")), 0);
	assert_int_equal(gc_run(&f, &tl, &o, &rep), 0);
	assert_true(rep.nodes[0].ok && !rep.nodes[0].deleted && !rep.nodes[0].collected);
	/* Made 6..1 days ago, older than 3 days: 1, 2 and 3 would go; 4 and 5 are younger. */
	assert_int_equal(rep.nodes[0].plan.ndelete, 3);
	assert_int_equal(rep.nodes[0].plan.items[3].why, GC_WHY_YOUNGER);
	assert_true(link_exists("web1", 1) && link_exists("web1", 3));
	assert_int_equal(du_of("web1", "a b"), want);
	/* Dead now (a, b) and the three generations' paths (this fake's closures: themselves). */
	assert_int_equal(rep.nodes[0].paths_removed, 5);
	assert_int_equal(rep.nodes[0].measure, GC_MEASURE_DU);
	assert_int_equal(rep.nodes[0].freed_bytes, want);
	assert_int_equal(rep.generations_deleted, 3);
	assert_true(json_is_true(json_object_get(event_of(&fl, "root@web1:22"), "dry_run")));
	assert_string_equal(dumps(json_object_get(event_of(&fl, "root@web1:22"), "generations_deleted")), "[1,2,3]");
	gc_report_release(&rep);
	target_list_release(&tl);
	fake_ledger_release(&fl);
	fakes_release();
}

static void test_refused(void **state)
{
	struct fleet f;
	struct fake_ledger fl;
	struct target_list tl;
	struct gc_report rep;

	(void)state;
	fleet_make(&f, &fl);
	target_list_init(&tl);
	assert_int_equal(target_list_parse(&tl, LIT("web1")), 0);
	assert_int_equal(gc_run(&f, &tl, &(struct gc_opts){ .profile = "/nix/var/nix/profiles/system", .keep = 0 }, &rep),
			 ERR_INVALID);
	assert_contains(err_msg(), "bad keep 0");
	assert_int_equal(gc_run(&f, &tl, &(struct gc_opts){ .profile = "relative", .keep = 2 }, &rep), ERR_INVALID);
	assert_contains(err_msg(), "profile path 'relative'");
	assert_int_equal(fl.n, 0);
	target_list_release(&tl);
	fake_ledger_release(&fl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gc),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
