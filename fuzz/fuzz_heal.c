/* Fuzz target for platform/netlify (heal): any bytes as netlify.toml, healed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/heal.h"
#include "platform/netlify/netlify.h"
#include "formats/toml.h"
#include "fuzz.h"
#include "util/err.h"

const char *const fuzz_seeds[] = {
	"[[build]]\n  command = \"hugo\"\n  publish = \"public\"\n",
	"[[redirects]]\n  from = \"old/*\"\n  to = \"/new/:splat\"\n  force = \"true\"\n",
	"[[redirects]]\nfrom = \"/*\"\nto = \"/index.html\"\nstatus = 200\n[[redirects]]\nfrom = \"/a\"\nto = \"/b\"\n",
	"[build]\n  base = \"site\"\n  publish = \"site/dist\"\n  public = \"x\"\n  environment = \"A=1 B=2\"\n",
	"[context.production.environment]\nA = \"1\"\n[context.production]\ncommand = \"y\"\n[[redirects]]\nfrom=\"/a\"\nto=\"/b\"\n",
	"[redirects]\nfrom = \"/a\"\nto = \"/b\"\n",
	"a = null\nb = $X\nc = \"^/a\\.b\"\n",
	"",
	NULL,
};

static bool has_healable(const struct sim_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->issues[i].fix == SIM_FIX_HEAL && r->issues[i].severity <= SIM_HIGH)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct heal_result h;
	size_t i;
	int r;

	fuzz_begin(data, size);
	heal_result_init(&h, "netlify");
	r = heal_netlify_text("netlify.toml", (const char *)data, size, NULL, &h);
	FUZZ_CHECK(r == 0 || r == ERR_NOMEM, "heal_netlify_text returned %d: %s", r, err_msg());
	if (r == 0) {
		/* Nothing to heal: not a byte changes. */
		if (!has_healable(&h.before))
			FUZZ_CHECK(h.text.len == size && memcmp(h.text.data, data, size) == 0 && h.n == 0,
				   "a file with nothing to heal was changed");
		for (i = 0; i < h.n; i++) {
			FUZZ_CHECK(h.actions[i].attempts >= 0 && h.actions[i].attempts <= HEAL_MAX_ATTEMPTS,
				   "action %zu made %d attempts", i, h.actions[i].attempts);
			FUZZ_CHECK(h.actions[i].fixed || h.actions[i].why[0], "action %zu failed without a reason", i);
		}
	}
	heal_result_release(&h);
	return 0;
}
