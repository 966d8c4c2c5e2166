/* Netlify's row in the platform registry. */
#include "platform/netlify/netlify.h"
#include "platform/netlify/rules.h"
#include "util/banned.h"

const struct platform platform_netlify = PLATFORM_TEXT_ROW(netlify, "netlify.toml", NTL_TOML_1);
