/* Fuzz target for app/hostfactory's files: chimeraprov_templates.json and chimeraprov_config.json. */
#include <stdlib.h>
#include <string.h>

#include "app/hostfactory/hostfactory.h"
#include "fuzz.h"
#include "util/err.h"

const char *const fuzz_seeds[] = {
	"{\"templates\": [{\"templateId\": \"vm\", \"maxNumber\": 4, \"provider\": \"qemu\", \"cpus\": 2,"
	" \"memory\": 1024, \"disk\": 4, \"config\": \"hello.nix\", \"attr\": \"system\","
	" \"attributes\": {\"type\": [\"String\", \"X86_64\"], \"ncpus\": [\"Numeric\", \"2\"], \"nram\": [\"Numeric\", \"1024\"]}}]}",
	"{\"templates\": [{\"templateId\": \"lab\", \"maxNumber\": 1, \"provider\": \"lab\", \"flake\": \"path:/f#web\"}]}",
	"{\"templates\": [{\"templateId\": \"a\", \"maxNumber\": 1, \"provider\": \"lab\", \"flake\": \"f\"},"
	" {\"templateId\": \"a\", \"maxNumber\": 1, \"provider\": \"lab\", \"flake\": \"f\"}]}",
	"{\"templates\": [{\"templateId\": \"\\u0001\", \"maxNumber\": 1, \"provider\": \"lab\", \"config\": \"/x\", \"bad\": 1}]}",
	"{\"stateDir\": \"/var/lib/chimera\", \"inventory\": \"/etc/chimera.toml\", \"bootTimeout\": 300,"
	" \"gracePeriod\": 60, \"logLevel\": \"debug\"}",
	"{\"logLevel\": \"loud\"}",
	"{\"templates\": []}",
	"[]",
	"",
	NULL,
};

static void check_templates(const char *text, size_t size)
{
	struct hf_templates t;
	size_t i;
	int r;

	fuzz_err_mark();
	r = hf_templates_parse("/conf/chimeraprov_templates.json", text, size, &t);
	if (r < 0) {
		fuzz_check_failure("hf_templates_parse", r, false);
		FUZZ_CHECK(t.n == 0 && t.items == NULL, "a failure left templates");
		return;
	}
	for (i = 0; i < t.n; i++) {
		const struct hf_tmpl *m = &t.items[i];

		FUZZ_CHECK(m->id[0] && m->max_number >= 1 && m->max_number <= 1000, "template %zu: id or maxNumber", i);
		FUZZ_CHECK(!m->config != !m->flake, "template '%s': not exactly one of config and flake", m->id);
		FUZZ_CHECK(!m->config || m->config[0] == '/', "template '%s': config '%s' not absolute", m->id, m->config);
		FUZZ_CHECK(hf_templates_find(&t, m->id) == m, "template '%s' is not found first", m->id);
	}
	hf_templates_release(&t);
}

static void check_config(const char *text, size_t size)
{
	struct hf_config c;
	int r;

	hf_config_init(&c);
	fuzz_err_mark();
	r = hf_config_parse("/conf/chimeraprov_config.json", text, size, &c);
	if (r < 0) {
		fuzz_check_failure("hf_config_parse", r, false);
		return;
	}
	FUZZ_CHECK(c.boot_timeout_s >= 1 && c.grace_period_s >= 0, "timeouts out of range");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	fuzz_begin(data, size);
	check_templates(text, size);
	check_config(text, size);
	return 0;
}
