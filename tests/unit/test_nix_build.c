/* app/nix/build: installables normalised (files, flake directories), out-links only when asked, the event. */
#include "check.h"

#include <jansson.h>
#include <unistd.h>

#include "app/nix/build.h"
#include "fake_events.h"
#include "fake_ledger.h"
#include "fake_nix_eval.h"

#define BUILT "/nix/store/r66mxzhcias4zcf5mfrdlgc05a5d3hrp-hello-1.0"

struct fx {
	struct fake_nix_eval fe;
	struct fake_ledger fl;
	struct nix_build_ctx ctx;
	char dir[512], real[PATH_MAX];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[700];

	assert_non_null(f);
	fake_nix_eval_init(&f->fe);
	snprintf(f->fe.path, sizeof(f->fe.path), "%s", BUILT);
	fake_ledger_init(&f->fl);
	f->ctx = (struct nix_build_ctx){ &f->fe.base, &f->fl.base };
	assert_int_equal(scratch_make(f->dir, sizeof(f->dir), "nix-build"), 0);
	assert_non_null(realpath(f->dir, f->real));
	snprintf(path, sizeof(path), "%s/pkg.nix", f->dir);
	assert_int_equal(fs_write_file(path, LIT("{ hello = 1; }\n"), 0644), 0);
	snprintf(path, sizeof(path), "%s/fl", f->dir);
	assert_int_equal(fs_mkdir_p(path, 0755), 0);
	assert_int_equal(chdir(f->dir), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	assert_int_equal(chdir("/"), 0);
	fs_rm_rf(f->dir);
	fake_ledger_release(&f->fl);
	free(f);
	return 0;
}

/* A file and its attribute, no out-link: built as its real path, no root, the event. */
static void test_file(void **state)
{
	struct fx *f = *state;
	struct nix_build_report rep;
	char want[PATH_MAX + 16];
	json_t *p;

	assert_int_equal(nix_build_run(&f->ctx, &(struct nix_build_opts){ .installable = "pkg.nix", .attr = "hello" }, &rep), 0);
	snprintf(want, sizeof(want), "%s/pkg.nix", f->real);
	assert_string_equal(rep.installable, want);
	assert_false(rep.flake);
	assert_string_equal(f->fe.built.file, want);
	assert_string_equal(f->fe.built.attr, "hello");
	assert_null(f->fe.built.flake);
	assert_string_equal(rep.path, BUILT);
	assert_string_equal(rep.out_link, "");
	assert_int_equal(f->fe.roots, 0);
	assert_int_equal(events_count(&f->fl, "nix.package.built"), 1);
	p = events_payload(&f->fl, "nix.package.built", NULL);
	assert_string_equal(events_str(p, "installable"), want);
	assert_string_equal(events_str(p, "attr"), "hello");
	assert_string_equal(events_str(p, "path"), BUILT);
	assert_true(json_is_null(json_object_get(p, "out_link")));
	assert_true(json_is_integer(json_object_get(p, "ms")));
}

/* A flake whose reference is a directory: path:REALDIR#ATTR; the out-link made absolute and rooted. */
static void test_flake_dir_out_link(void **state)
{
	struct fx *f = *state;
	struct nix_build_report rep;
	char want[PATH_MAX + 32];

	assert_int_equal(nix_build_run(&f->ctx, &(struct nix_build_opts){ .installable = "./fl/#hello", .out_link = "res" },
				       &rep), 0);
	snprintf(want, sizeof(want), "path:%s/fl#hello", f->real);
	assert_string_equal(rep.installable, want);
	assert_true(rep.flake);
	assert_string_equal(f->fe.built.flake, want);
	snprintf(want, sizeof(want), "%s/res", f->real);
	assert_string_equal(rep.out_link, want);
	assert_int_equal(f->fe.roots, 1);
	assert_string_equal(f->fe.root, want);
	assert_string_equal(events_str(events_payload(&f->fl, "nix.package.built", NULL), "out_link"), want);

	/* Other references are taken as written. */
	assert_int_equal(nix_build_run(&f->ctx, &(struct nix_build_opts){ .installable = "path:/x/y#pkgs.a" }, &rep), 0);
	assert_string_equal(f->fe.built.flake, "path:/x/y#pkgs.a");
	assert_int_equal(events_count(&f->fl, "nix.package.built"), 2);
}

static void bad(struct fx *f, const struct nix_build_opts *o, int code, const char *msg)
{
	struct nix_build_report rep;

	assert_int_equal(nix_build_run(&f->ctx, o, &rep), code);
	assert_contains(err_msg(), msg);
}

static void test_refused(void **state)
{
	struct fx *f = *state;

	bad(f, &(struct nix_build_opts){ .installable = "" }, ERR_INVALID, "no installable");
	bad(f, &(struct nix_build_opts){ .installable = "nope.nix" }, ERR_INVALID, "bad installable 'nope.nix'");
	bad(f, &(struct nix_build_opts){ .installable = "path:/x" }, ERR_INVALID, "needs its attribute, REF#ATTR");
	bad(f, &(struct nix_build_opts){ .installable = "./fl#a", .attr = "b" }, ERR_INVALID, "-A ATTR goes with a file");
	bad(f, &(struct nix_build_opts){ .installable = "./pkg.nix#a" }, ERR_INVALID, "not a directory");
	bad(f, &(struct nix_build_opts){ .installable = "pkg.nix", .attr = "a..b" }, ERR_INVALID, "a..b");
	bad(f, &(struct nix_build_opts){ .installable = "pkg.nix", .out_link = "no/such/dir/x" }, ERR_INVALID,
	    "bad --out-link 'no/such/dir/x'");
	bad(f, &(struct nix_build_opts){ .installable = "pkg.nix", .out_link = "fl/" }, ERR_INVALID, "expected a file name");
	assert_int_equal(f->fe.builds, 0);
	f->fe.build_err = ERR_IO;
	bad(f, &(struct nix_build_opts){ .installable = "pkg.nix", .out_link = "r" }, ERR_IO, "attribute 'nope' missing");
	assert_int_equal(f->fe.builds, 1);
	assert_int_equal(f->fe.roots, 0);
	assert_int_equal(f->fl.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flake_dir_out_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
