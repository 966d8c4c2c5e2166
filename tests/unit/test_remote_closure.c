/* remote/closure.h: the closure query run with /bin/sh against a stand-in nix-store, and its answer read back. */
#include "check.h"

#include "core/storepath.h"
#include "remote/closure.h"
#include "util/proc.h"

#define TOP "/nix/store/i0faw047fsdm0f5j0y5zyh4d10d2llmg-app-1"
#define DEP "/nix/store/ll7vishp6x7swpxc8wfa5zayff99fzkx-lib?dep=1.0"

/* A nix-store that knows TOP's closure (DEP, TOP), sizes each path by its length, and refuses any other path. */
static const char fake_nix_store[] =
	"#!/bin/sh\n"
	"case \"$1 $2\" in\n"
	"'-q --requisites') [ \"$3\" = '" TOP "' ] || { echo \"error: path '$3' is not valid\" >&2; exit 1; }\n"
	"  printf '%s\\n' '" DEP "' '" TOP "';;\n"
	"'-q --size') shift 2; echo \"$#\" > \"${0%/*}/args\"; for p; do echo ${#p}; done;;\n"
	"*) exit 2;;\n"
	"esac\n";

struct seen {
	char paths[4][STOREPATH_MAX];
	uint64_t sizes[4];
	size_t n;
};

static int on_path(const char *path, uint64_t nar_size, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 4);
	snprintf(s->paths[s->n], STOREPATH_MAX, "%s", path);
	s->sizes[s->n++] = nar_size;
	return 0;
}

/* Run the query for PATH with the stand-in first on PATH; its status, stdout in OUT. */
static int run_query(const char *dir, const char *path, struct buf *out)
{
	struct buf cmd = BUF_INIT(0);
	char *argv[] = { "/bin/sh", "-c", NULL, NULL };
	int status;

	assert_int_equal(buf_printf(&cmd, "PATH='%s':$PATH; ", dir), 0);
	assert_int_equal(remote_closure_query(&cmd, path), 0);
	argv[2] = cmd.data;
	assert_int_equal(proc_run_split(argv, -1, out, NULL, &status), 0);
	buf_release(&cmd);
	return status;
}

static void test_query(void **state)
{
	char dir[512], file[600];
	struct buf out = BUF_INIT(0), args = BUF_INIT(0);
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(scratch_make(dir, sizeof(dir), "remote-closure"), 0);
	snprintf(file, sizeof(file), "%s/nix-store", dir);
	assert_int_equal(fs_write_file(file, fake_nix_store, sizeof(fake_nix_store) - 1, 0755), 0);

	assert_int_equal(run_query(dir, TOP, &out), 0);
	assert_int_equal(remote_closure_parse(out.data, out.len, on_path, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.paths[0], DEP);
	assert_int_equal(s.sizes[0], strlen(DEP));
	assert_string_equal(s.paths[1], TOP);
	assert_int_equal(s.sizes[1], strlen(TOP));
	/* One nix-store for every size, the path with '?' in it passed whole. */
	snprintf(file, sizeof(file), "%s/args", dir);
	assert_int_equal(fs_read_file(file, &args), 0);
	assert_string_equal(args.data, "2\n");

	/* A path the node does not have: Nix's status, and no sizes asked for. */
	buf_reset(&out);
	assert_int_equal(run_query(dir, "/nix/store/00000000000000000000000000000000-gone", &out), 1);
	assert_int_equal(out.len, 0);
	fs_rm_rf(dir);
	buf_release(&out);
	buf_release(&args);
}

static void test_parse_refused(void **state)
{
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(remote_closure_parse(LIT(TOP "\n" REMOTE_SIZES_MARK "\n"), on_path, &s), ERR_INVALID);
	assert_contains(err_msg(), "1 paths but 0 sizes");
	assert_int_equal(remote_closure_parse(LIT(TOP "\n"), on_path, &s), ERR_INVALID);
	assert_contains(err_msg(), "no line '" REMOTE_SIZES_MARK "'");
	assert_int_equal(remote_closure_parse(LIT("/nix/store/x\n" REMOTE_SIZES_MARK "\n1\n"), on_path, &s), ERR_INVALID);
	assert_contains(err_msg(), "line 1 '/nix/store/x': expected a store path");
	assert_int_equal(remote_closure_parse(LIT(TOP "\n" REMOTE_SIZES_MARK "\n1x\n"), on_path, &s), ERR_INVALID);
	assert_contains(err_msg(), "line 3 '1x': expected a NAR size");
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_parse_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
