/* Open the ledger a URL names: one registry row per back end, chosen by the URL's scheme. */
#include "runtime/ledger_open.h"
#include "adapters/sqlite/ledger_sqlite.h"
#include "util/err.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "util/banned.h"

static int sqlite_open_url(const char *rest, const char *state_dir, struct ledger **out)
{
	(void)state_dir;
	if (!rest[0])
		return err_set(ERR_INVALID, "bad ledger 'sqlite:': expected sqlite:PATH");
	return ledger_sqlite_open(rest, out);
}

static int sqlite_scratch_url(const char *dir, char *url, size_t len)
{
	if ((size_t)snprintf(url, len, "sqlite:%s/chimera.db", dir) >= len)
		return err_set(ERR_LIMIT, "ledger directory path too long: '%s'", dir);
	return 0;
}

/* A new back end is one adapter folder and one row here (docs/internals/adding-a-ledger-back-end.md). */
static const struct ledger_backend backends[] = {
	{ "sqlite", "sqlite:PATH", sqlite_open_url, sqlite_scratch_url },
};

#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

const struct ledger_backend *ledger_backends(size_t *n)
{
	*n = NBACKENDS;
	return backends;
}

/* The forms every back end takes, for the unknown-scheme message: "sqlite:PATH or ...". */
static void expected_forms(char *out, size_t len)
{
	size_t i, at = 0;

	out[0] = '\0';
	for (i = 0; i < NBACKENDS && at < len; i++)
		at += (size_t)snprintf(out + at, len - at, "%s%s", i == 0 ? "" : i + 1 == NBACKENDS ? " or " : ", ",
				       backends[i].form);
}

int ledger_open_url(const char *url, const char *state_dir, struct ledger **out)
{
	char path[PATH_MAX], forms[256], q[160];
	size_t i, n;

	*out = NULL;
	if (!url || !url[0]) {
		if (!state_dir)
			return err_set(ERR_INVALID, "no ledger: neither a URL nor a state directory");
		if ((size_t)snprintf(path, sizeof(path), "%s/chimera.db", state_dir) >= sizeof(path))
			return err_set(ERR_LIMIT, "state directory path too long: '%s'", state_dir);
		return ledger_sqlite_open(path, out);
	}
	/* The scheme: what comes before the first ':' ("postgres://..." has "postgres"). */
	n = strcspn(url, ":");
	for (i = 0; url[n] == ':' && i < NBACKENDS; i++)
		if (strlen(backends[i].scheme) == n && strncmp(url, backends[i].scheme, n) == 0)
			return backends[i].open(url + n + 1, state_dir, out);
	expected_forms(forms, sizeof(forms));
	return err_set(ERR_INVALID, "unknown ledger '%s': expected %s", err_quote(q, sizeof(q), url, strlen(url)), forms);
}

int ledger_sidecar_path(const char *url, const char *state_dir, char *buf, size_t len)
{
	int n;

	if (url && strncmp(url, "sqlite:", 7) == 0 && url[7])
		n = snprintf(buf, len, "%s.checkpoint", url + 7);
	else if (!url || !url[0])
		n = state_dir ? snprintf(buf, len, "%s/chimera.db.checkpoint", state_dir) : -1;
	else
		n = state_dir ? snprintf(buf, len, "%s/ledger.checkpoint", state_dir) : -1;
	if (n < 0)
		return err_set(ERR_INVALID, "no state directory for the ledger's checkpoint file");
	if ((size_t)n >= len)
		return err_set(ERR_LIMIT, "ledger path too long");
	return 0;
}
