/* One libssh session to one host with its resolved ssh config: options, connect, host key, public key auth. */
#include "adapters/ssh/ssh_internal.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

#include <libssh/callbacks.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "util/banned.h"

/*
 * Key exchange is most of a cold connection's cost on the node. OpenSSH's sshd (9.2)
 * computes nistp256 with OpenSSL but curve25519 with a portable reference implementation,
 * and the post-quantum hybrids cost several times more: measured 23 ms of sshd CPU per
 * connection against 25 and 34. A KexAlgorithms line in the ssh config overrides this.
 */
static const char default_kex[] = "ecdh-sha2-nistp256,curve25519-sha256,curve25519-sha256@libssh.org";

static void ssh_log_to_ours(int priority, const char *function, const char *buffer, void *userdata)
{
	log_kv(LOG_DEBUG, "libssh", buffer, "function", function, (const char *)NULL);
}

void sshx_quiet_thread(void)
{
	if (log_enabled(LOG_DEBUG)) {
		ssh_set_log_callback(ssh_log_to_ours);
		ssh_set_log_level(log_enabled(LOG_TRACE) ? SSH_LOG_PROTOCOL : SSH_LOG_WARN);
	} else {
		ssh_set_log_level(SSH_LOG_NOLOG);
	}
}

void sshx_name(const struct sshcfg_host *h, char *buf, size_t len)
{
	if (strchr(h->hostname, ':'))
		snprintf(buf, len, "%s@[%s]:%u", h->user, h->hostname, (unsigned)h->port);
	else
		snprintf(buf, len, "%s@%s:%u", h->user, h->hostname, (unsigned)h->port);
}

int sshx_keepalive(ssh_session s, long alive_s, int64_t idle_ms)
{
	if (alive_s <= 0 || idle_ms < alive_s * 1000)
		return 0;
	ssh_send_ignore(s, "");
	return 1;
}

void sshx_user_timeout(ssh_session s, long alive_s, long count)
{
	int fd = ssh_get_fd(s);
	unsigned int ms;

	if (fd < 0 || alive_s <= 0 || count <= 0)
		return;
	ms = (unsigned int)(alive_s * count * 1000 > 0x7fffffffL ? 0x7fffffffL : alive_s * count * 1000);
	/* a socket pair from a jump host refuses it: that hop's own TCP socket has its own */
	setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms));
}

/* Set one string option that came from the config line AT; libssh refuses bad algorithm lists. */
static int set_listed(ssh_session s, enum ssh_options_e opt, const char *value, const struct sshcfg_origin *at,
		      const char *what, const char *name)
{
	char where[SSHCFG_PATH_MAX + 32];

	if (!value[0] || ssh_options_set(s, opt, value) == 0)
		return 0;
	sshcfg_origin_format(at, where, sizeof(where));
	return err_set(ERR_INVALID, "%s: %s '%.200s'%s%s is refused by libssh: %s", name, what, value,
		       where[0] ? " at " : "", where, ssh_get_error(s));
}

/* Everything but the socket: host, port, user, timeouts and the algorithms of H. */
static int set_options(ssh_session s, const struct sshcfg_host *h, long timeout, const char *name)
{
	unsigned int port = h->port;
	int verbosity = ssh_get_log_level(), nodelay = 1, r;
	bool no = false;

	ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	/* chimera resolved the config itself: libssh must not read ~/.ssh/config behind it */
	ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
	if (ssh_options_set(s, SSH_OPTIONS_HOST, h->hostname) < 0 || ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0 ||
	    ssh_options_set(s, SSH_OPTIONS_USER, h->user) < 0)
		return err_set(ERR_INVALID, "%s: libssh refuses the host, port or user: %s", name, ssh_get_error(s));
	ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay);
	if (h->nknown_hosts)
		ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, h->known_hosts[0]);
	if (h->nglobal_known_hosts)
		ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, h->global_known_hosts[0]);
	if ((r = set_listed(s, SSH_OPTIONS_KEY_EXCHANGE, h->kex[0] ? h->kex : default_kex, &h->kex_at, "KexAlgorithms",
			    name)) < 0 ||
	    (r = set_listed(s, SSH_OPTIONS_CIPHERS_C_S, h->ciphers, &h->ciphers_at, "Ciphers", name)) < 0 ||
	    (r = set_listed(s, SSH_OPTIONS_CIPHERS_S_C, h->ciphers, &h->ciphers_at, "Ciphers", name)) < 0 ||
	    (r = set_listed(s, SSH_OPTIONS_HMAC_C_S, h->macs, &h->macs_at, "MACs", name)) < 0 ||
	    (r = set_listed(s, SSH_OPTIONS_HMAC_S_C, h->macs, &h->macs_at, "MACs", name)) < 0 ||
	    (r = set_listed(s, SSH_OPTIONS_HOSTKEYS, h->hostkeys, &h->hostkeys_at, "HostKeyAlgorithms", name)) < 0 ||
	    (r = set_listed(s, SSH_OPTIONS_PUBLICKEY_ACCEPTED_TYPES, h->pubkey_algos, &h->pubkey_algos_at,
			    "PubkeyAcceptedAlgorithms", name)) < 0 ||
	    (r = set_listed(s, SSH_OPTIONS_BINDADDR, h->bind_address, &h->bind_address_at, "BindAddress", name)) < 0)
		return r;
	if (h->compression >= 0)
		ssh_options_set(s, SSH_OPTIONS_COMPRESSION, h->compression ? "yes" : "no");
	return 0;
}

/* The agent to ask, or NULL: IdentityAgent, else $SSH_AUTH_SOCK; none with IdentitiesOnly. */
static const char *agent_socket(const struct sshcfg_host *h)
{
	const char *env = getenv("SSH_AUTH_SOCK");

	if (h->identities_only || strcmp(h->agent, "none") == 0)
		return NULL;
	if (h->agent[0])
		return h->agent;
	return env && env[0] ? env : NULL;
}

/* Try one key file; 1 when the server took it, 0 when not (TRIED says why), or an error. */
static int try_file(ssh_session s, const struct sshcfg_host *h, const char *path, struct buf *tried, const char *name)
{
	ssh_key key = NULL;
	int rc;

	if (access(path, R_OK) != 0) {
		if (!h->identity_default)
			buf_printf(tried, "%s%s (%s)", tried->len ? ", " : "", path, strerror(errno));
		return 0;
	}
	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK) {
		buf_printf(tried, "%s%s (not a key libssh reads without a passphrase)", tried->len ? ", " : "", path);
		return 0;
	}
	rc = ssh_userauth_publickey(s, NULL, key);
	ssh_key_free(key);
	if (rc == SSH_AUTH_SUCCESS)
		return 1;
	if (rc == SSH_AUTH_ERROR)
		return err_set(ERR_AUTH, "%s: public key authentication failed: %s", name, ssh_get_error(s));
	buf_printf(tried, "%s%s", tried->len ? ", " : "", path);
	return 0;
}

/* The agent's keys (unless IdentitiesOnly), then each IdentityFile in order. */
static int authenticate(ssh_session s, const struct sshcfg_host *h, const char *name)
{
	struct buf tried = BUF_INIT(2048);
	const char *agent = agent_socket(h);
	size_t i;
	int rc;

	if (agent) {
		if (h->agent[0])
			ssh_options_set(s, SSH_OPTIONS_IDENTITY_AGENT, h->agent);
		rc = ssh_userauth_agent(s, NULL);
		if (rc == SSH_AUTH_SUCCESS)
			goto ok;
		if (rc == SSH_AUTH_ERROR && !ssh_is_connected(s)) {
			buf_release(&tried);
			return err_set(ERR_AUTH, "%s: public key authentication failed: %s", name, ssh_get_error(s));
		}
		buf_printf(&tried, "the keys of ssh-agent %s", agent);
	}
	for (i = 0; i < h->nidentity; i++) {
		if ((rc = try_file(s, h, h->identity[i], &tried, name)) < 0) {
			buf_release(&tried);
			return rc;
		}
		if (rc == 1)
			goto ok;
	}
	rc = err_set(ERR_AUTH, "%s: public key authentication refused (tried: %s)", name,
		     tried.len ? tried.data : "no key: no agent, and no IdentityFile exists");
	buf_release(&tried);
	return rc;
ok:
	buf_release(&tried);
	return 0;
}

static int connect_error(ssh_session s, long timeout, const char *name)
{
	const char *why = ssh_get_error(s);

	if (strstr(why, "imeout") || strstr(why, "timed out"))
		return err_set(ERR_TIMEOUT, "%s: connect timed out after %lds", name, timeout);
	return err_set(ERR_IO, "%s: cannot connect: %s", name, why);
}

int sshx_session_open(const struct exec_ssh *ex, const struct sshcfg_host *h, int fd, const char *name,
		      ssh_session *out)
{
	long timeout = ex->connect_timeout_s > 0 ? ex->connect_timeout_s : 10;
	bool accept = ex->accept_new_host_keys || h->strict == SSHCFG_STRICT_ACCEPT_NEW || h->strict == SSHCFG_STRICT_NO;
	ssh_session s;
	int r;

	*out = NULL;
	if (!ex->connect_timeout_set && h->connect_timeout > 0)
		timeout = h->connect_timeout;
	sshx_quiet_thread();
	if (!(s = ssh_new())) {
		if (fd >= 0)
			close(fd);
		return err_set(ERR_NOMEM, "out of memory");
	}
	if ((r = set_options(s, h, timeout, name)) < 0) {
		if (fd >= 0)
			close(fd);
		ssh_free(s);
		return r;
	}
	/* from ssh_connect on, the session owns FD and closes it */
	if (fd >= 0)
		ssh_options_set(s, SSH_OPTIONS_FD, &fd);
	if (ssh_connect(s) != SSH_OK)
		r = connect_error(s, timeout, name);
	else if ((r = sshx_hostkey_check(s, h, accept, name)) == 0)
		r = authenticate(s, h, name);
	if (r < 0) {
		ssh_disconnect(s);
		ssh_free(s);
		return r;
	}
	if (fd < 0)
		sshx_user_timeout(s, h->alive_interval, h->alive_count_max);
	*out = s;
	return 0;
}
