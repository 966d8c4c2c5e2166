/* Fuzz target for app/nix/flake_lock_parse: flake.lock read, follows resolved, the tree of inputs. */
#include <jansson.h>
#include <string.h>

#include "app/nix/flake.h"
#include "fuzz.h"
#include "util/err.h"

const char *const fuzz_seeds[] = {
	"{\"nodes\": {\"root\": {}}, \"root\": \"root\", \"version\": 7}",
	"{\"nodes\": {\"a\": {\"locked\": {\"type\": \"path\", \"path\": \"/a\", \"narHash\": \"sha256-x\", \"lastModified\": 1}},"
	" \"root\": {\"inputs\": {\"a\": \"a\"}}}, \"root\": \"root\", \"version\": 7}",
	"{\"nodes\": {\"a\": {\"locked\": {\"type\": \"github\", \"owner\": \"o\", \"repo\": \"r\", \"rev\": \"0123\"}},"
	" \"b\": {\"inputs\": {\"n\": [\"a\"], \"u\": \"u\"}, \"locked\": {\"type\": \"git\", \"url\": \"https://e/x\"}},"
	" \"u\": {\"locked\": {\"type\": \"tarball\", \"url\": \"https://e/t.tar.gz\"}},"
	" \"root\": {\"inputs\": {\"a\": \"a\", \"b\": \"b\", \"c\": [\"b\", \"n\"], \"me\": []}}}, \"root\": \"root\"}",
	"{\"nodes\": {\"root\": {\"inputs\": {\"a\": [\"b\"], \"b\": [\"a\"]}}}, \"root\": \"root\"}",
	"{\"nodes\": {\"root\": {\"inputs\": {\"a\": [\"b\", \"c\"], \"b\": \"b\"}}, \"b\": {}}, \"root\": \"root\"}",
	"{\"nodes\": {\"root\": {\"inputs\": {\"a\": \"nope\"}}}, \"root\": \"root\"}",
	"{\"nodes\": {\"r\": {\"inputs\": {\"x\": \"r\", \"y\": \"r\"}}}, \"root\": \"r\"}",
	"{\"nodes\": {\"r\": {\"inputs\": {\"x\": [\"y\", \"y\"], \"y\": [\"x\", \"x\"]}}}, \"root\": \"r\"}",
	"{\"nodes\": {}, \"root\": \"root\"}",
	"{\"nodes\": ",
	"[]",
	"",
	NULL,
};

/* Every tree entry has its strings, and a follows entry has no inputs of its own. */
static void check_tree(json_t *tree, int depth)
{
	size_t i;
	json_t *e;

	FUZZ_CHECK(json_is_array(tree) && depth < 64, "the tree is no array or too deep");
	json_array_foreach(tree, i, e) {
		FUZZ_CHECK(json_is_string(json_object_get(e, "name")) && json_is_string(json_object_get(e, "path")) &&
			   json_is_string(json_object_get(e, "node")), "entry %zu lacks its name, path or node", i);
		if (json_is_string(json_object_get(e, "follows")))
			FUZZ_CHECK(!json_object_get(e, "inputs"), "a follows entry has inputs");
		else if (json_object_get(e, "inputs"))
			check_tree(json_object_get(e, "inputs"), depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *direct, *tree, *e;
	const char *name;
	size_t i;
	int r;

	fuzz_begin(data, size);
	fuzz_err_mark();
	r = flake_lock_parse((const char *)data, size, "f.lock", &direct, &tree);
	if (r < 0) {
		fuzz_check_failure("flake_lock_parse", r, false);
		FUZZ_CHECK(r == ERR_NOMEM || strncmp(err_msg(), "f.lock: ", 8) == 0, "message does not name the file: %s",
			   err_msg());
		FUZZ_CHECK(!direct && !tree, "a failure left results");
		return 0;
	}
	FUZZ_CHECK(json_is_object(direct), "the direct inputs are no object");
	check_tree(tree, 0);
	/* Each direct input is an entry at the top of the tree, in the same order. */
	FUZZ_CHECK(json_array_size(tree) == json_object_size(direct), "%zu direct inputs, %zu entries",
		   json_object_size(direct), json_array_size(tree));
	i = 0;
	json_object_foreach(direct, name, e) {
		FUZZ_CHECK(strcmp(json_string_value(json_object_get(json_array_get(tree, i), "name")), name) == 0,
			   "entry %zu is not input '%s'", i, name);
		i++;
	}
	json_decref(direct);
	json_decref(tree);
	return 0;
}
