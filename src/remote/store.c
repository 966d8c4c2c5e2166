/* The shell commands that look after a node's Nix store itself; every value is validated by the caller and quoted here. */
#include "remote/store.h"
#include "util/err.h"
#include "util/shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

static int add_quoted(struct buf *cmd, const char *before, const char *word, const char *after)
{
	if (buf_adds(cmd, before) < 0 || shell_quote(cmd, word) < 0 || buf_adds(cmd, after) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_probe_present(struct buf *cmd, const char *profile)
{
	/* cd -P succeeds only on a directory that is there; otherwise readlink -f, and a look. */
	return add_quoted(cmd, "p=", profile,
			  "; if cd -P -- \"$p\" 2>/dev/null; then pwd; else r=$(readlink -f -- \"$p\");"
			  " if [ -z \"$r\" ] || ! [ -e \"$r\" ]; then echo " REMOTE_ABSENT "; fi;"
			  " printf '%s\\n' \"$r\"; fi\n");
}

bool remote_absent_take(struct buf *out)
{
	static const char line[] = REMOTE_ABSENT "\n";
	const size_t len = sizeof(line) - 1;
	size_t i;

	for (i = 0; i + len <= out->len; i++)
		if ((i == 0 || out->data[i - 1] == '\n') && memcmp(out->data + i, line, len) == 0) {
			memmove(out->data + i, out->data + i + len, out->len - i - len);
			out->len -= len;
			out->data[out->len] = 0;
			return true;
		}
	return false;
}

int remote_store_scan(struct buf *cmd)
{
	/* Store path names have no blanks, quotes or backslashes: xargs takes them as they are. */
	if (buf_adds(cmd, "L=$(while IFS= read -r q; do"
			  " if [ -e \"$q\" ] || [ -L \"$q\" ]; then printf '%s\\n' \"$q\"; fi; done)\n"
			  "[ -n \"$L\" ] || exit 0\n"
			  "if printf '%s\\n' \"$L\" | xargs nix-store --verify-path >/dev/null 2>&1; then exit 0; fi\n"
			  "printf '%s\\n' \"$L\" | while IFS= read -r q; do"
			  " nix-store --check-validity \"$q\" </dev/null >/dev/null 2>&1 || continue;"
			  " nix-store --verify-path \"$q\" </dev/null >/dev/null 2>&1 || printf 'modified %s\\n' \"$q\"; done\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

int remote_store_scan_parse(const struct buf *out, char ***paths, size_t *n)
{
	const char *p = out->data, *end = out->data + out->len;
	char **list = NULL, q[128];
	size_t count = 0;
	int r = 0;

	*paths = NULL;
	*n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char **m;

		if (len == 0) {
			p++;
			continue;
		}
		if (len <= 9 || memcmp(p, "modified ", 9) != 0 || !storepath_valid(p + 9, len - 9)) {
			r = err_set(ERR_INVALID, "unexpected line '%s' from the node's store check",
				    err_quote(q, sizeof(q), p, len));
			break;
		}
		if (!(m = realloc(list, (count + 1) * sizeof(*m))) || !(m[count] = strndup(p + 9, len - 9))) {
			if (m)
				list = m;
			r = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		list = m;
		count++;
		p += len + 1;
	}
	if (r < 0) {
		while (count)
			free(list[--count]);
		free(list);
		return r;
	}
	*paths = list;
	*n = count;
	return 0;
}

/*
 * The repair itself, run as `sh -c BODY chimera-repair PATH`. Its temporary directory is in
 * the store (the same filesystem, so the last step is a rename) and removed on any exit.
 */
static const char restore_body[] =
	"q=$1; umask 022\n"
	"h=$(nix-store -q --hash \"$q\" 2>/dev/null) || { echo " REMOTE_REPAIR_UNREGISTERED "; exit 77; }\n"
	"t=$(mktemp -d /nix/store/.chimera-repair-XXXXXXXXXX) || exit 1\n"
	"trap 'chmod -R u+w \"$t\" 2>/dev/null; rm -rf \"$t\"' EXIT\n"
	"nix-store --restore \"$t/new\" || exit 1\n"
	"g=sha256:$(nix-hash --type sha256 --base32 \"$t/new\") || exit 1\n"
	"if [ \"$g\" != \"$h\" ]; then echo \"" REMOTE_REPAIR_MISMATCH " $h $g\"; exit 76; fi\n"
	"find \"$t/new\" ! -type l -exec chmod a-w {} + || exit 1\n"
	"find \"$t/new\" -exec touch -h -d @1 {} + || exit 1\n"
	"if [ -e \"$q\" ] || [ -L \"$q\" ]; then mv -T -- \"$q\" \"$t/old\" || exit 1; fi\n"
	"mv -T -- \"$t/new\" \"$q\" || exit 1\n"
	"touch -h -d @1 \"$q\"\n"
	"nix-store --verify-path \"$q\" || exit 1\n"
	"echo " REMOTE_REPAIR_DONE "\n";

int remote_store_restore(struct buf *cmd, const char *path)
{
	if (add_quoted(cmd, "B=", restore_body, "; Q=") < 0 || add_quoted(cmd, "", path, "\n") < 0)
		return ERR_NOMEM;
	/* A read-only store (NixOS bind-mounts it so): writable in a mount namespace of our own, as Nix makes it. */
	if (buf_adds(cmd, "if [ -w /nix/store ]; then exec sh -c \"$B\" chimera-repair \"$Q\"; fi\n"
			  "exec unshare -m --propagation private sh -c 'mount -o remount,bind,rw /nix/store 2>/dev/null ||"
			  " { echo " REMOTE_REPAIR_READONLY "; exit 78; }; exec sh -c \"$1\" chimera-repair \"$2\"'"
			  " chimera-repair \"$B\" \"$Q\"\n") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

/* Copy the LEN bytes at S into OUT when they are a plausible hash ("sha256:" and base32 or hex); "" otherwise. */
static void take_hash(char out[REMOTE_HASH_MAX], const char *s, size_t len)
{
	size_t i;

	out[0] = 0;
	if (len == 0 || len >= REMOTE_HASH_MAX)
		return;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == ':' || s[i] == '-'))
			return;
	memcpy(out, s, len);
	out[len] = 0;
}

enum remote_repair_result remote_store_restore_parse(const struct buf *out, char registered[REMOTE_HASH_MAX],
						     char got[REMOTE_HASH_MAX])
{
	static const char mismatch[] = REMOTE_REPAIR_MISMATCH " ";
	const char *p = out->data, *end = out->data + out->len;
	enum remote_repair_result res = REPAIR_UNKNOWN;

	registered[0] = got[0] = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

#define IS(lit) (len == sizeof(lit) - 1 && memcmp(p, lit, len) == 0)
		if (IS(REMOTE_REPAIR_DONE)) {
			res = REPAIR_DONE;
		} else if (IS(REMOTE_REPAIR_UNREGISTERED)) {
			res = REPAIR_UNREGISTERED;
		} else if (IS(REMOTE_REPAIR_READONLY)) {
			res = REPAIR_READONLY;
		} else if (len > sizeof(mismatch) - 1 && memcmp(p, mismatch, sizeof(mismatch) - 1) == 0) {
			const char *a = p + sizeof(mismatch) - 1, *sp = memchr(a, ' ', (size_t)(p + len - a));

			res = REPAIR_MISMATCH;
			if (sp) {
				take_hash(registered, a, (size_t)(sp - a));
				take_hash(got, sp + 1, (size_t)(p + len - sp - 1));
			}
		}
#undef IS
		p += len + 1;
	}
	/* The last word counts: hashes only when it is the mismatch (fuzz_store found one kept after another word). */
	if (res != REPAIR_MISMATCH)
		registered[0] = got[0] = 0;
	return res;
}
