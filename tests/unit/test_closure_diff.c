/* app/nix/closure_diff: names split as Nix splits them, versions ordered, closures compared by package. */
#include "check.h"

#include <jansson.h>

#include "app/nix/closure_diff.h"

/* A store path with a hash made from N (distinct N, distinct hash) and NAME. */
static void mkpath(char *out, unsigned n, const char *name)
{
	static const char nix32[] = "0123456789abcdfghijklmnpqrsvwxyz";
	char hash[NIXHASH_LEN + 1];
	int i;

	for (i = NIXHASH_LEN - 1; i >= 0; i--) {
		hash[i] = nix32[n % 32];
		n /= 32;
	}
	hash[NIXHASH_LEN] = '\0';
	snprintf(out, STOREPATH_MAX, "/nix/store/%s-%s", hash, name);
}

/* A closure of N entries: hash number, name and NAR size each. */
struct item {
	unsigned id;
	const char *name;
	uint64_t size;
};

static struct nix_closure closure_of(const struct item *items, size_t n)
{
	struct nix_closure c = { .items = calloc(n ? n : 1, sizeof(*c.items)), .n = n };
	size_t i;

	assert_non_null(c.items);
	for (i = 0; i < n; i++) {
		mkpath(c.items[i].path, items[i].id, items[i].name);
		c.items[i].nar_size = items[i].size;
		c.bytes += items[i].size;
	}
	return c;
}

/* The diff of A to B, the closures freed. */
static void diff_of(const struct item *a, size_t na, const struct item *b, size_t nb, struct closure_diff *d)
{
	struct nix_closure ca = closure_of(a, na), cb = closure_of(b, nb);

	assert_int_equal(closure_diff(&ca, &cb, d), 0);
	nix_closure_release(&ca);
	nix_closure_release(&cb);
}

static const struct closure_pkg *find_pkg(const struct closure_diff *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->pkgs[i].name, name) == 0)
			return &d->pkgs[i];
	fail_msg("no package '%s' in the diff", name);
	return NULL;
}

static void split_is(const char *s, const char *name, const char *version)
{
	struct closure_name nm;

	size_t from = strncmp(s, STOREPATH_PREFIX, STOREPATH_PREFIX_LEN) == 0 ? STOREPATH_PREFIX_LEN + NIXHASH_LEN + 1 : 0;

	assert_int_equal(closure_name_split(s, strlen(s), &nm), 0);
	if (strlen(name) != nm.name_len || strncmp(s + from, name, nm.name_len) != 0)
		fail_msg("'%s': name '%.*s', expected '%s'", s, (int)nm.name_len, s + from, name);
	assert_string_equal(nm.version, version);
}

static void test_name_split(void **state)
{
	char p[STOREPATH_MAX];
	struct closure_name nm;

	(void)state;
	split_is("hello-2.12.1", "hello", "2.12.1");
	split_is("nixos-system-web1-24.05", "nixos-system-web1", "24.05");
	split_is("python3.10-requests-2.28.1", "python3.10-requests", "2.28.1");
	split_is("source", "source", "");
	split_is("etc-os-release", "etc-os-release", "");
	split_is("openssl-3.0.1-dev", "openssl", "3.0.1-dev");
	/* Nix's rule is "a dash not followed by a letter": not only digits. */
	split_is("a--b", "a", "-b");
	split_is("foo-_bar", "foo", "_bar");
	split_is("trailing-", "trailing-", "");
	mkpath(p, 7, "glibc-2.37-8");
	split_is(p, "glibc", "2.37-8");
	mkpath(p, 8, "user-environment");
	split_is(p, "user-environment", "");

	assert_int_equal(closure_name_split(LIT("/nix/store/short-hello-1.0"), &nm), ERR_INVALID);
	assert_quotes("bad store path", LIT("/nix/store/short-hello-1.0"));
	assert_int_equal(closure_name_split(LIT(""), &nm), ERR_INVALID);
	assert_int_equal(closure_name_split(LIT("a\0b"), &nm), ERR_INVALID);
}

static void test_version_cmp(void **state)
{
	(void)state;
	assert_true(closure_version_cmp("1.9", "1.10") < 0);
	assert_true(closure_version_cmp("1.10", "1.9") > 0);
	assert_true(closure_version_cmp("1.0", "1.0.1") < 0);
	assert_true(closure_version_cmp("2.3a", "2.3.1") < 0);
	assert_true(closure_version_cmp("1.0pre1", "1.0") < 0);
	assert_true(closure_version_cmp("1.0", "1.0pre1") > 0);
	assert_true(closure_version_cmp("2.37-8", "2.37-10") < 0);
	assert_true(closure_version_cmp("007", "7") == 0);
	assert_true(closure_version_cmp("1.0", "1.0") == 0);
	assert_true(closure_version_cmp("", "1") < 0);
	assert_true(closure_version_cmp("b", "a") > 0);
}

/* One package at another version, one path shared: only the changed one is listed. */
static void test_changed_version(void **state)
{
	const struct item a[] = { { 1, "hello-1.0", 100 }, { 2, "glibc-2.37", 1000 } };
	const struct item b[] = { { 2, "glibc-2.37", 1000 }, { 3, "hello-2.0", 150 } };
	struct closure_diff d;
	const struct closure_pkg *p;

	(void)state;
	diff_of(a, 2, b, 2, &d);
	assert_int_equal(d.n, 1);
	p = find_pkg(&d, "hello");
	assert_int_equal(p->change, CLOSURE_CHANGED);
	assert_int_equal(p->na, 1);
	assert_int_equal(p->nb, 1);
	assert_string_equal(closure_path_version(&p->a[0]), "1.0");
	assert_string_equal(closure_path_version(&p->b[0]), "2.0");
	assert_false(p->a[0].shared);
	assert_int_equal(p->bytes_a, 100);
	assert_int_equal(p->bytes_b, 150);
	assert_int_equal(d.count[CLOSURE_CHANGED], 1);
	assert_int_equal(d.count[CLOSURE_ADDED] + d.count[CLOSURE_REMOVED] + d.count[CLOSURE_REBUILT], 0);
	assert_int_equal(d.paths_a, 2);
	assert_int_equal(d.paths_b, 2);
	assert_int_equal(d.bytes_a, 1100);
	assert_int_equal(d.bytes_b, 1150);
	assert_int_equal(d.paths_added, 1);
	assert_int_equal(d.paths_removed, 1);
	assert_int_equal(d.bytes_added, 150);
	assert_int_equal(d.bytes_removed, 100);
	closure_diff_release(&d);
	assert_null(d.pkgs);
}

/* Several versions of one name: sorted as versions, the shared one marked. */
static void test_several_versions(void **state)
{
	const struct item a[] = { { 10, "lib-1.10", 30 }, { 11, "lib-1.9", 20 }, { 12, "app-1", 5 } };
	const struct item b[] = { { 11, "lib-1.9", 20 }, { 13, "lib-2.0", 40 }, { 12, "app-1", 5 } };
	struct closure_diff d;
	const struct closure_pkg *p;

	(void)state;
	diff_of(a, 3, b, 3, &d);
	assert_int_equal(d.n, 1);
	p = find_pkg(&d, "lib");
	assert_int_equal(p->change, CLOSURE_CHANGED);
	assert_int_equal(p->na, 2);
	assert_string_equal(closure_path_version(&p->a[0]), "1.9");
	assert_true(p->a[0].shared);
	assert_string_equal(closure_path_version(&p->a[1]), "1.10");
	assert_false(p->a[1].shared);
	assert_int_equal(p->nb, 2);
	assert_string_equal(closure_path_version(&p->b[0]), "1.9");
	assert_string_equal(closure_path_version(&p->b[1]), "2.0");
	assert_int_equal(p->bytes_a, 50);
	assert_int_equal(p->bytes_b, 60);
	assert_int_equal(d.paths_added, 1);
	assert_int_equal(d.paths_removed, 1);
	closure_diff_release(&d);
}

/* Paths only in one side: whole packages added and removed; the listing is by name. */
static void test_added_removed(void **state)
{
	const struct item a[] = { { 1, "zlib-1.3", 70 }, { 2, "old-tool-0.1", 9 }, { 3, "bash-5.2", 800 } };
	const struct item b[] = { { 1, "zlib-1.3", 70 }, { 3, "bash-5.2", 800 }, { 4, "new-tool-3", 11 },
				  { 5, "new-tool-3-man", 2 }, { 6, "etc", 1 } };
	struct closure_diff d;
	const struct closure_pkg *p;

	(void)state;
	diff_of(a, 3, b, 5, &d);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.pkgs[0].name, "etc");
	assert_string_equal(d.pkgs[1].name, "new-tool");
	assert_string_equal(d.pkgs[2].name, "old-tool");
	assert_int_equal(d.pkgs[0].change, CLOSURE_ADDED);
	p = find_pkg(&d, "new-tool");
	assert_int_equal(p->change, CLOSURE_ADDED);
	assert_int_equal(p->na, 0);
	assert_int_equal(p->nb, 2);
	assert_int_equal(p->bytes_b, 13);
	p = find_pkg(&d, "old-tool");
	assert_int_equal(p->change, CLOSURE_REMOVED);
	assert_int_equal(p->na, 1);
	assert_int_equal(p->nb, 0);
	assert_int_equal(p->bytes_a, 9);
	assert_int_equal(d.count[CLOSURE_ADDED], 2);
	assert_int_equal(d.count[CLOSURE_REMOVED], 1);
	assert_int_equal(d.bytes_added, 14);
	assert_int_equal(d.bytes_removed, 9);
	assert_int_equal(d.bytes_b - d.bytes_a, 5);
	closure_diff_release(&d);
}

/* Same version, another store path: rebuilt; identical closures: nothing. */
static void test_rebuilt_and_same(void **state)
{
	const struct item a[] = { { 1, "conf-1.0", 10 }, { 2, "hello-1.0", 100 } };
	const struct item b[] = { { 7, "conf-1.0", 12 }, { 2, "hello-1.0", 100 } };
	struct closure_diff d;

	(void)state;
	diff_of(a, 2, b, 2, &d);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.pkgs[0].change, CLOSURE_REBUILT);
	assert_int_equal(d.count[CLOSURE_REBUILT], 1);
	assert_int_equal(d.pkgs[0].bytes_b - d.pkgs[0].bytes_a, 2);
	closure_diff_release(&d);

	diff_of(a, 2, a, 2, &d);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.paths_a, 2);
	assert_int_equal(d.paths_b, 2);
	assert_int_equal(d.paths_added + d.paths_removed, 0);
	closure_diff_release(&d);
}

/* Empty closures, and a path listed twice. */
static void test_empty_and_repeats(void **state)
{
	const struct item b[] = { { 4, "x-1", 3 }, { 4, "x-1", 3 }, { 5, "y", 4 } };
	struct closure_diff d;

	(void)state;
	diff_of(NULL, 0, NULL, 0, &d);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.paths_a + d.paths_b, 0);
	assert_int_equal(d.bytes_a + d.bytes_b, 0);
	closure_diff_release(&d);

	diff_of(NULL, 0, b, 3, &d);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.paths_b, 2);
	assert_int_equal(d.bytes_b, 7);
	assert_int_equal(d.paths_added, 2);
	assert_int_equal(find_pkg(&d, "x")->nb, 1);
	closure_diff_release(&d);

	diff_of(b, 3, NULL, 0, &d);
	assert_int_equal(d.count[CLOSURE_REMOVED], 2);
	assert_int_equal(d.bytes_removed, 7);
	closure_diff_release(&d);
}

static void test_bad_path(void **state)
{
	struct nix_closure a = { .items = calloc(1, sizeof(*a.items)), .n = 1 }, b = { 0 };
	struct closure_diff d;

	(void)state;
	snprintf(a.items[0].path, sizeof(a.items[0].path), "/nix/store/not-a-hash-x");
	assert_int_equal(closure_diff(&a, &b, &d), ERR_INVALID);
	assert_quotes("bad store path", LIT("/nix/store/not-a-hash-x"));
	assert_null(d.pkgs);
	assert_int_equal(d.n, 0);
	nix_closure_release(&a);
}

static void test_json(void **state)
{
	const struct item a[] = { { 1, "hello-1.0", 100 }, { 2, "gone", 7 } };
	const struct item b[] = { { 3, "hello-2.0", 150 } };
	struct closure_diff d;
	json_t *doc, *pkg, *path;

	(void)state;
	diff_of(a, 2, b, 1, &d);
	doc = closure_diff_json(&d);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "a"), "bytes")), 107);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "b"), "paths")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "delta")), 43);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "summary"), "removed")), 1);
	assert_int_equal(json_array_size(json_object_get(doc, "packages")), 2);
	pkg = json_array_get(json_object_get(doc, "packages"), 1);
	assert_string_equal(json_string_value(json_object_get(pkg, "name")), "hello");
	assert_string_equal(json_string_value(json_object_get(pkg, "change")), "changed");
	assert_string_equal(json_string_value(json_array_get(json_object_get(pkg, "versions_a"), 0)), "1.0");
	assert_string_equal(json_string_value(json_array_get(json_object_get(pkg, "versions_b"), 0)), "2.0");
	assert_int_equal(json_integer_value(json_object_get(pkg, "delta")), 50);
	path = json_array_get(json_object_get(pkg, "paths_b"), 0);
	assert_int_equal(json_integer_value(json_object_get(path, "nar_size")), 150);
	assert_true(json_is_false(json_object_get(path, "shared")));
	assert_string_equal(json_string_value(json_object_get(path, "path")), d.pkgs[1].b[0].path);
	json_decref(doc);
	closure_diff_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_split),
		cmocka_unit_test(test_version_cmp),
		cmocka_unit_test(test_changed_version),
		cmocka_unit_test(test_several_versions),
		cmocka_unit_test(test_added_removed),
		cmocka_unit_test(test_rebuilt_and_same),
		cmocka_unit_test(test_empty_and_repeats),
		cmocka_unit_test(test_bad_path),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
