/* Unit tests for app/nix/flake: flake.lock read (follows, nested inputs, errors) and the use cases on a fake Nix. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app/nix/flake.h"
#include "check.h"
#include "fake_events.h"
#include "fake_ledger.h"
#include "util/err.h"
#include "util/fs.h"

#define HASH_A "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define HASH_B "sha256-BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
#define REV "0123456789abcdef0123456789abcdef01234567"

/* A root with a path input a, a github input gh whose nixpkgs follows a, and c following gh/nixpkgs. */
static const char lock_text[] =
	"{\"nodes\": {"
	"\"a\": {\"locked\": {\"type\": \"path\", \"path\": \"/src/a\", \"narHash\": \"" HASH_A "\", \"lastModified\": 1700000000},"
	"       \"original\": {\"type\": \"path\", \"path\": \"/src/a\"}},"
	"\"gh\": {\"inputs\": {\"nixpkgs\": [\"a\"], \"util\": \"util\"},"
	"        \"locked\": {\"type\": \"github\", \"owner\": \"o\", \"repo\": \"r\", \"rev\": \"" REV "\", \"narHash\": \"" HASH_B "\", \"lastModified\": 1700000001},"
	"        \"original\": {\"type\": \"github\", \"owner\": \"o\", \"repo\": \"r\"}},"
	"\"util\": {\"locked\": {\"type\": \"git\", \"url\": \"https://example.com/u\", \"rev\": \"" REV "\", \"narHash\": \"" HASH_A "\"}},"
	"\"root\": {\"inputs\": {\"a\": \"a\", \"gh\": \"gh\", \"c\": [\"gh\", \"nixpkgs\"], \"me\": []}}"
	"}, \"root\": \"root\", \"version\": 7}";

static void test_lock_direct(void **state)
{
	json_t *direct, *tree;

	assert_int_equal(flake_lock_parse(LIT(lock_text), "flake.lock", &direct, &tree), 0);
	assert_int_equal(json_object_size(direct), 4);
	assert_string_equal(json_string_value(json_object_get(json_object_get(direct, "a"), "narHash")), HASH_A);
	assert_string_equal(json_string_value(json_object_get(json_object_get(direct, "gh"), "rev")), REV);
	/* c follows gh/nixpkgs, which follows a: a's lock. */
	assert_true(json_equal(json_object_get(direct, "c"), json_object_get(direct, "a")));
	/* me follows the flake itself: no lock of its own. */
	assert_true(json_is_null(json_object_get(direct, "me")));
	json_decref(direct);
	json_decref(tree);
}

/* The tree entry at PATH (names joined by '/'), or NULL. */
static json_t *entry(json_t *tree, const char *path)
{
	size_t i;
	json_t *e, *found;

	json_array_foreach(tree, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "path")), path) == 0)
			return e;
		if ((found = entry(json_object_get(e, "inputs"), path)))
			return found;
	}
	return NULL;
}

static void test_lock_tree(void **state)
{
	json_t *direct, *tree, *e;

	assert_int_equal(flake_lock_parse(LIT(lock_text), "flake.lock", &direct, &tree), 0);
	assert_non_null(e = entry(tree, "a"));
	assert_string_equal(json_string_value(json_object_get(e, "url")), "path:/src/a");
	assert_int_equal(json_integer_value(json_object_get(e, "lastModified")), 1700000000);
	assert_true(json_is_null(json_object_get(e, "rev")));
	assert_non_null(e = entry(tree, "gh"));
	assert_string_equal(json_string_value(json_object_get(e, "url")), "github:o/r/" REV);
	assert_non_null(e = entry(tree, "gh/nixpkgs"));
	assert_string_equal(json_string_value(json_object_get(e, "follows")), "a");
	assert_string_equal(json_string_value(json_object_get(e, "node")), "a");
	assert_string_equal(json_string_value(json_object_get(e, "narHash")), HASH_A);
	assert_null(json_object_get(e, "inputs"));
	assert_non_null(e = entry(tree, "gh/util"));
	assert_string_equal(json_string_value(json_object_get(e, "url")), "git+https://example.com/u?rev=" REV);
	assert_non_null(e = entry(tree, "c"));
	assert_string_equal(json_string_value(json_object_get(e, "follows")), "gh/nixpkgs");
	assert_string_equal(json_string_value(json_object_get(e, "node")), "a");
	assert_non_null(e = entry(tree, "me"));
	assert_string_equal(json_string_value(json_object_get(e, "node")), "root");
	json_decref(direct);
	json_decref(tree);
}

static void check_lock_refused(const char *text, const char *want)
{
	json_t *direct = (json_t *)1, *tree = (json_t *)1;

	assert_int_equal(flake_lock_parse(text, strlen(text), "/f/flake.lock", &direct, &tree), ERR_INVALID);
	assert_null(direct);
	assert_null(tree);
	assert_contains(err_msg(), want);
}

static void test_lock_refused(void **state)
{
	check_lock_refused("{\"nodes\": ", "/f/flake.lock: not JSON: ");
	check_lock_refused("{\"nodes\": {}, \"root\": \"root\"}", "/f/flake.lock: expected a lock file");
	check_lock_refused("{\"nodes\": {\"root\": {\"inputs\": {\"a\": \"nope\"}}}, \"root\": \"root\"}",
			   "/f/flake.lock: an input names the node 'nope', which is not in \"nodes\"");
	check_lock_refused("{\"nodes\": {\"root\": {\"inputs\": {\"a\": [\"b\", \"c\"], \"b\": \"b\"}}, \"b\": {}}, \"root\": \"root\"}",
			   "the follows 'b/c' lead nowhere: node 'b' has no input 'c'");
	check_lock_refused("{\"nodes\": {\"root\": {\"inputs\": {\"a\": [\"b\"], \"b\": [\"a\"]}}}, \"root\": \"root\"}",
			   "go round in a loop");
	check_lock_refused("{\"nodes\": {\"root\": {\"inputs\": {\"a\": 3}}}, \"root\": \"root\"}",
			   "an input is neither a node's name nor a follows path");
}

/* A Nix whose flake op writes LOCK (a flake.lock) into the flake's directory, or fails. */
struct fake_flake_nix {
	struct nix base;
	const char *lock;	/* written on LOCK and UPDATE; NULL: fail as Nix would */
	int calls;
	char last_input[64];
};

static int fake_flake(struct nix *nx, enum nix_flake_verb verb, const char *ref, const char *input, struct buf *out)
{
	struct fake_flake_nix *f = (struct fake_flake_nix *)nx;
	char path[4096];

	f->calls++;
	snprintf(f->last_input, sizeof(f->last_input), "%s", input ? input : "");
	assert_int_equal(strncmp(ref, "path:/", 6), 0);
	if (!f->lock)
		return err_set(ERR_IO, "nix flake lock failed: cannot fetch 'path:/gone'");
	if (verb == NIX_FLAKE_LOCK || verb == NIX_FLAKE_UPDATE) {
		snprintf(path, sizeof(path), "%s/flake.lock", ref + 5);
		assert_int_equal(fs_write_file(path, f->lock, strlen(f->lock), 0644), 0);
	}
	return 0;
}

static int fake_track(struct nix *nx, const char *dir, char *const *files, size_t n, int *git_init)
{
	*git_init = 1;
	return 0;
}

static const struct nix_ops fake_flake_ops = { .name = "fake", .flake = fake_flake, .flake_track = fake_track };

struct fixture {
	char dir[4096];
	struct fake_flake_nix nix;
	struct fake_ledger fl;
	struct flake_ctx ctx;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(scratch_make(fx->dir, sizeof(fx->dir), "nix-flake"), 0);
	fx->nix.base.ops = &fake_flake_ops;
	fake_ledger_init(&fx->fl);
	fx->ctx = (struct flake_ctx){ &fx->nix.base, &fx->fl.base };
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	fs_rm_rf(fx->dir);
	fake_ledger_release(&fx->fl);
	free(fx);
	return 0;
}

/* Write TEXT as SUB/flake.nix under the fixture's directory; PATH gets SUB's path. */
static void flake_at(struct fixture *fx, const char *sub, const char *text, char *path, size_t len)
{
	char file[4200];

	snprintf(path, len, "%s/%s", fx->dir, sub);
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	snprintf(file, sizeof(file), "%s/flake.nix", path);
	assert_int_equal(fs_write_file(file, text, strlen(text), 0644), 0);
}

static void test_init(void **state)
{
	struct fixture *fx = *state;
	struct flake_init_report rep;
	char dir[4200], file[4300];
	json_t *p;

	snprintf(dir, sizeof(dir), "%s/new/fleet", fx->dir);
	assert_int_equal(flake_init(&fx->ctx, dir, NULL, &rep), 0);
	assert_string_equal(rep.template, "fleet");
	assert_true(rep.git_init);
	snprintf(file, sizeof(file), "%s/machines/web-1.nix", dir);
	assert_true(fs_exists(file));
	assert_non_null(p = events_payload(&fx->fl, "nix.flake.created", NULL));
	assert_string_equal(events_str(p, "dir"), rep.dir);
	assert_int_equal(json_array_size(json_object_get(p, "files")), 4);
	flake_init_report_release(&rep);
	/* A second time: every file there is named, and nothing written. */
	assert_int_equal(flake_init(&fx->ctx, dir, "fleet", &rep), ERR_EXISTS);
	assert_contains(err_msg(), "refusing to overwrite");
	assert_contains(err_msg(), "/new/fleet/flake.nix");
	assert_contains(err_msg(), "/new/fleet/chimera.toml");
	assert_int_equal(flake_init(&fx->ctx, dir, "nope", &rep), ERR_INVALID);
	assert_contains(err_msg(), "unknown template 'nope': expected fleet or offline");
	assert_int_equal(events_count(&fx->fl, "nix.flake.created"), 1);
}

static void test_add_input_locks_and_records(void **state)
{
	struct fixture *fx = *state;
	struct flake_lock_report rep;
	char top[4200], lib[4200], url[4300], lock[8192];
	json_t *p;

	flake_at(fx, "lib", "{ outputs = { self }: { }; }\n", lib, sizeof(lib));
	flake_at(fx, "top", "{\n  # keep me\n  outputs = { self, ... }: { };\n}\n", top, sizeof(top));
	snprintf(url, sizeof(url), "path:%s", lib);
	snprintf(lock, sizeof(lock), "{\"nodes\": {\"lib\": {\"locked\": {\"type\": \"path\", \"path\": \"%s\", \"narHash\": \""
		 HASH_A "\"}}, \"root\": {\"inputs\": {\"lib\": \"lib\"}}}, \"root\": \"root\", \"version\": 7}", lib);
	fx->nix.lock = lock;
	assert_int_equal(flake_add_input(&fx->ctx, top, "lib", url, &rep), 0);
	assert_string_equal(fx->nix.last_input, "lib");
	assert_int_equal(rep.line, 3);
	assert_string_equal(json_string_value(json_array_get(rep.updated, 0)), "lib");
	assert_non_null(p = events_payload(&fx->fl, "nix.flake.input_added", NULL));
	assert_string_equal(events_str(p, "input"), "lib");
	assert_string_equal(events_str(p, "url"), url);
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "locked"), "narHash")), HASH_A);
	flake_lock_report_release(&rep);
}

static void test_add_input_failed_lock_puts_back(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "{\n  inputs = {\n    # none\n  };\n  outputs = _: { };\n}\n";
	struct flake_lock_report rep;
	struct buf now = BUF_INIT(0);
	char top[4200], lib[4200], url[4300], file[4300];

	flake_at(fx, "lib", "{ outputs = _: { }; }", lib, sizeof(lib));
	flake_at(fx, "top", text, top, sizeof(top));
	snprintf(url, sizeof(url), "path:%s", lib);
	fx->nix.lock = NULL;
	assert_int_equal(flake_add_input(&fx->ctx, top, "lib", url, &rep), ERR_IO);
	assert_contains(err_msg(), "nix flake lock failed");
	assert_contains(err_msg(), "(flake.nix is as it was)");
	snprintf(file, sizeof(file), "%s/flake.nix", top);
	assert_int_equal(fs_read_file(file, &now), 0);
	assert_string_equal(now.data, text);
	assert_int_equal(events_count(&fx->fl, "nix.flake.input_added"), 0);
	buf_release(&now);
}

static void test_cycle_and_bad_reference(void **state)
{
	struct fixture *fx = *state;
	struct flake_lock_report rep;
	char a[4200], b[4200], text[9000];

	snprintf(a, sizeof(a), "%s/a", fx->dir);
	snprintf(b, sizeof(b), "%s/b", fx->dir);
	snprintf(text, sizeof(text), "{ inputs.b.url = \"path:%s\"; outputs = _: { }; }", b);
	flake_at(fx, "a", text, a, sizeof(a));
	snprintf(text, sizeof(text), "{ inputs.back.url = \"path:%s\"; outputs = _: { }; }", a);
	flake_at(fx, "b", text, b, sizeof(b));
	fx->nix.lock = "{}";
	assert_int_equal(flake_lock(&fx->ctx, a, false, NULL, &rep), ERR_INVALID);
	assert_contains(err_msg(), "inputs form a cycle: ");
	assert_contains(err_msg(), "-> input 'b' (path:");
	assert_contains(err_msg(), "-> input 'back' (path:");
	assert_int_equal(fx->nix.calls, 0);
	snprintf(text, sizeof(text), "{ inputs.gone.url = \"path:%s/nowhere\"; outputs = _: { }; }", fx->dir);
	flake_at(fx, "a", text, a, sizeof(a));
	assert_int_equal(flake_lock(&fx->ctx, a, true, NULL, &rep), ERR_INVALID);
	assert_contains(err_msg(), "input 'gone' (path:");
	assert_contains(err_msg(), "bad reference: no directory");
	assert_int_equal(flake_lock(&fx->ctx, a, true, "other", &rep), ERR_INVALID);
	assert_contains(err_msg(), "no input 'other' in ");
	assert_int_equal(fx->nix.calls, 0);
	assert_int_equal(fx->fl.n, 0);
}

static void test_update_lists_changed(void **state)
{
	struct fixture *fx = *state;
	struct flake_lock_report rep;
	char top[4200], before[512];
	static const char after[] = "{\"nodes\": {\"x\": {\"locked\": {\"type\": \"github\", \"owner\": \"o\", \"repo\": \"x\", \"rev\": \"" REV "\"}},"
				    "\"y\": {\"locked\": {\"type\": \"github\", \"owner\": \"o\", \"repo\": \"y\"}},"
				    "\"root\": {\"inputs\": {\"x\": \"x\", \"y\": \"y\"}}}, \"root\": \"root\"}";
	char file[4300];
	json_t *p;

	flake_at(fx, "top", "{ inputs.x.url = \"github:o/x\"; inputs.y.url = \"github:o/y\"; outputs = _: { }; }", top,
		 sizeof(top));
	snprintf(before, sizeof(before), "{\"nodes\": {\"x\": {\"locked\": {\"type\": \"github\", \"owner\": \"o\", \"repo\": \"x\"}},"
		 "\"y\": {\"locked\": {\"type\": \"github\", \"owner\": \"o\", \"repo\": \"y\"}},"
		 "\"root\": {\"inputs\": {\"x\": \"x\", \"y\": \"y\"}}}, \"root\": \"root\"}");
	snprintf(file, sizeof(file), "%s/flake.lock", top);
	assert_int_equal(fs_write_file(file, before, strlen(before), 0644), 0);
	fx->nix.lock = after;
	assert_int_equal(flake_lock(&fx->ctx, top, true, NULL, &rep), 0);
	assert_int_equal(json_array_size(rep.updated), 1);
	assert_string_equal(json_string_value(json_array_get(rep.updated, 0)), "x");
	assert_non_null(p = events_payload(&fx->fl, "nix.flake.updated", NULL));
	assert_int_equal(json_array_size(json_object_get(p, "updated")), 1);
	assert_int_equal(json_object_size(json_object_get(p, "inputs")), 2);
	flake_lock_report_release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_direct),
		cmocka_unit_test(test_lock_tree),
		cmocka_unit_test(test_lock_refused),
		cmocka_unit_test_setup_teardown(test_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_input_locks_and_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_input_failed_lock_puts_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cycle_and_bad_reference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_lists_changed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
