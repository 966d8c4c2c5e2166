/* The server's host key against the known_hosts files of the ssh config, with messages naming key, file and line. */
#include "adapters/ssh/ssh_internal.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

/* known_hosts files are shared by every thread: read and add to them one at a time. */
static pthread_mutex_t known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

enum verdict { KH_UNKNOWN, KH_OK, KH_CHANGED, KH_OTHER, KH_REVOKED };

/* What the files said about the key: the verdict and the line that decided it. */
struct finding {
	enum verdict v;
	char file[SSHCFG_PATH_MAX];
	unsigned line;
	char other_type[64];	/* KH_OTHER: the type the line holds */
};

/* One line of a known_hosts file against the key: which verdict it gives, if any. */
static enum verdict line_verdict(const char *lookup, char *line, ssh_key key, char *other, size_t olen)
{
	struct ssh_knownhosts_entry *e = NULL;
	bool revoked = false;
	enum verdict v;

	while (*line == ' ' || *line == '\t')
		line++;
	if (!*line || *line == '#' || *line == '\n')
		return KH_UNKNOWN;
	if (*line == '@') {
		if (strncmp(line, "@revoked", 8) != 0 || (line[8] != ' ' && line[8] != '\t'))
			return KH_UNKNOWN;	/* @cert-authority: libssh checks no certificates */
		revoked = true;
		for (line += 8; *line == ' ' || *line == '\t'; line++)
			;
	}
	if (ssh_known_hosts_parse_line(lookup, line, &e) != SSH_OK || !e)
		return KH_UNKNOWN;
	if (ssh_key_cmp(key, e->publickey, SSH_KEY_CMP_PUBLIC) == 0)
		v = revoked ? KH_REVOKED : KH_OK;
	else if (revoked)
		v = KH_UNKNOWN;
	else if (ssh_key_type(key) == ssh_key_type(e->publickey))
		v = KH_CHANGED;
	else {
		snprintf(other, olen, "%s", ssh_key_type_to_char(ssh_key_type(e->publickey)));
		v = KH_OTHER;
	}
	ssh_knownhosts_entry_free(e);
	return v;
}

/* Read FILE (missing is fine) into F: an OK or revoked line decides; else the first changed, else other. */
static int scan(const char *file, const char *lookup, ssh_key key, struct finding *f)
{
	char *line = NULL, other[64];
	size_t cap = 0;
	unsigned n = 0;
	ssize_t got;
	FILE *fp;

	if (!(fp = fopen(file, "re")))
		return errno == ENOENT || errno == ENOTDIR ? 0 : err_set_errno(ERR_IO, errno, "cannot read '%s'", file);

	while ((got = getline(&line, &cap, fp)) >= 0) {
		enum verdict v;

		while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
			line[--got] = '\0';
		v = line_verdict(lookup, line, key, other, sizeof(other));
		n++;
		/* a line with the key decides; else the first changed one, else the first of another type */
		if (v == KH_UNKNOWN || (v == KH_CHANGED && f->v == KH_CHANGED) || (v == KH_OTHER && f->v != KH_UNKNOWN))
			continue;
		f->v = v;
		snprintf(f->file, sizeof(f->file), "%s", file);
		f->line = n;
		if (v == KH_OTHER)
			snprintf(f->other_type, sizeof(f->other_type), "%s", other);
		if (v == KH_OK || v == KH_REVOKED)
			break;
	}
	free(line);
	fclose(fp);
	return 0;
}

/* Append the session's "host key" line to FILE, creating it (and its directory) when needed. */
static int add_key(ssh_session s, const char *file)
{
	char *entry = NULL, dir[SSHCFG_PATH_MAX];
	struct stat st;
	int fd, r = 0;

	snprintf(dir, sizeof(dir), "%s", file);
	if ((r = fs_mkdir_p(dirname(dir), 0700)) < 0)
		return r;
	if (ssh_session_export_known_hosts_entry(s, &entry) != SSH_OK)
		return err_set(ERR_IO, "cannot write the host key: %s", ssh_get_error(s));
	if ((fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		r = err_set_errno(ERR_IO, errno, "cannot open '%s'", file);
	} else {
		/* a last line without its newline would swallow ours */
		if (fstat(fd, &st) == 0 && st.st_size > 0) {
			char last = '\n';
			int rfd = open(file, O_RDONLY | O_CLOEXEC);

			if (rfd >= 0) {
				if (pread(rfd, &last, 1, st.st_size - 1) != 1)
					last = '\n';
				close(rfd);
			}
			if (last != '\n')
				r = fs_write_all(fd, "\n", 1, file);
		}
		if (r == 0)
			r = fs_write_all(fd, entry, strlen(entry), file);
		close(fd);
	}
	ssh_string_free_char(entry);
	return r;
}

/* "ssh-ed25519 SHA256:..." of KEY into BUF (the fingerprint as ssh-keygen -l prints it). */
static void describe(ssh_key key, char *buf, size_t len)
{
	unsigned char *hash = NULL;
	size_t hlen = 0;
	char *fp = NULL;

	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
	snprintf(buf, len, "%s %s", ssh_key_type_to_char(ssh_key_type(key)), fp ? fp : "(no fingerprint)");
	ssh_clean_pubkey_hash(&hash);
	ssh_string_free_char(fp);
}

/* The user's known_hosts files, comma-separated, for the message about an unknown key. */
static void file_list(const struct sshcfg_host *h, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < h->nknown_hosts && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", h->known_hosts[i]);
	if (!h->nknown_hosts)
		snprintf(buf, len, "any known_hosts file (UserKnownHostsFile none)");
}

static int unknown_key(ssh_session s, const struct sshcfg_host *h, bool accept, const char *name, const char *key,
		       const char *lookup)
{
	char files[4 * SSHCFG_PATH_MAX], at[SSHCFG_PATH_MAX + 32] = "";
	int r;

	if (!accept) {
		file_list(h, files, sizeof(files));
		if (h->strict_at.file)
			snprintf(at, sizeof(at), " (StrictHostKeyChecking at %s:%u)", h->strict_at.file, h->strict_at.line);
		return err_set(ERR_AUTH, "%s: host key %s for %s is not in %s%s: add it, pass --accept-new-host-keys, or "
			       "set StrictHostKeyChecking accept-new", name, key, lookup, files, at);
	}
	if (!h->nknown_hosts)
		return err_set(ERR_AUTH, "%s: host key %s is unknown, and UserKnownHostsFile none leaves nowhere to add it",
			       name, key);
	if ((r = add_key(s, h->known_hosts[0])) < 0) {
		char msg[1024];

		snprintf(msg, sizeof(msg), "%s", err_msg());
		return err_set(ERR_IO, "%s: cannot add host key %s to %s: %s", name, key, h->known_hosts[0], msg);
	}
	log_kv(LOG_INFO, "ssh", "accepted a new host key", "node", name, "key", key, "file", h->known_hosts[0],
	       (const char *)NULL);
	return 0;
}

int sshx_hostkey_check(ssh_session s, const struct sshcfg_host *h, bool accept_new, const char *name)
{
	char lookup[TARGET_HOST_MAX + 16], key_text[256];
	struct finding *f = calloc(1, sizeof(*f));
	ssh_key key = NULL;
	size_t i;
	int r = 0;

	if (!f)
		return err_set(ERR_NOMEM, "out of memory");
	if (ssh_get_server_publickey(s, &key) != SSH_OK) {
		free(f);
		return err_set(ERR_AUTH, "%s: no host key from the server: %s", name, ssh_get_error(s));
	}
	if (h->port == 22)
		snprintf(lookup, sizeof(lookup), "%s", h->hostname);
	else
		snprintf(lookup, sizeof(lookup), "[%s]:%u", h->hostname, (unsigned)h->port);
	describe(key, key_text, sizeof(key_text));
	pthread_mutex_lock(&known_hosts_lock);
	for (i = 0; i < h->nknown_hosts && r == 0 && f->v != KH_OK && f->v != KH_REVOKED; i++)
		r = scan(h->known_hosts[i], lookup, key, f);
	for (i = 0; i < h->nglobal_known_hosts && r == 0 && f->v != KH_OK && f->v != KH_REVOKED; i++)
		r = scan(h->global_known_hosts[i], lookup, key, f);
	if (r < 0)
		r = err_set(ERR_IO, "%s: %s", name, err_msg());
	else if (f->v == KH_REVOKED)
		r = err_set(ERR_AUTH, "%s: host key %s is marked @revoked in %s:%u", name, key_text, f->file, f->line);
	else if (f->v == KH_CHANGED)
		r = err_set(ERR_AUTH, "%s: host key %s does not match the one %s:%u holds for %s (possible impostor; if the "
			    "host's key changed on purpose, remove that line)", name, key_text, f->file, f->line, lookup);
	else if (f->v == KH_OTHER)
		r = err_set(ERR_AUTH, "%s: host key %s is not the %s key %s:%u holds for %s (possible impostor)", name,
			    key_text, f->other_type, f->file, f->line, lookup);
	else if (f->v == KH_UNKNOWN)
		r = unknown_key(s, h, accept_new, name, key_text, lookup);
	pthread_mutex_unlock(&known_hosts_lock);
	ssh_key_free(key);
	free(f);
	return r;
}
