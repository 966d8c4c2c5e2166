/* chimera lab up: the tools and keys the nodes need, and starting (or shrinking to) N nodes, all or none. */
#include "adapters/lab/lab_internal.h"
#include "core/sshd_node.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proc.h"
#include "util/shell.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/banned.h"

#define LAB_START_WAIT_MS 15000

/* Programs the lab runs, found once by lab_preflight. */
struct lab_tools {
	char unshare[PATH_MAX];
	char sshd[PATH_MAX];
	char mount[PATH_MAX];
	char keygen[PATH_MAX];
	char nix_store[PATH_MAX];
	char sudo[PATH_MAX];		/* "" when sudo is not installed: no login for LAB_USER then */
	uid_t user_uid;			/* LAB_USER's, when it could be made */
	gid_t user_gid;
	bool user;
};
static int find_tool(const char *name, char *out, const char *hint)
{
	if (proc_which(name, out, PATH_MAX) < 0)
		return err_set(ERR_UNSUPPORTED, "the lab needs '%s', which is not installed: %s", name, hint);
	return 0;
}

static int lab_tools_find(struct lab_tools *t)
{
	int r;

	if (geteuid() != 0)
		return err_set(ERR_UNSUPPORTED,
			       "the lab needs root: it mounts private /nix, /root, /tmp and /run for each node");
	if ((r = find_tool("unshare", t->unshare, "apt-get install util-linux")) < 0 ||
	    (r = find_tool("mount", t->mount, "apt-get install mount")) < 0 ||
	    (r = find_tool("sshd", t->sshd, "apt-get install openssh-server")) < 0 ||
	    (r = find_tool("ssh-keygen", t->keygen, "apt-get install openssh-client")) < 0 ||
	    (r = find_tool("nix-store", t->nix_store, "apt-get install nix-bin")) < 0)
		return r;
	if (proc_which("sudo", t->sudo, sizeof(t->sudo)) < 0)
		t->sudo[0] = '\0';
	return 0;
}

/*
 * The lab's non-root login, LAB_USER, with passwordless sudo (for --sudo): a system user of
 * this machine (the nodes share its /etc) whose home is /run/LAB_USER, private to each node
 * as /run is. Its password field is "*" (no password, not locked: sshd with UsePAM no refuses
 * a locked account's keys). NIX_CONF_DIR survives sudo, so root's Nix is the node's own. Left
 * out, with a warning, when sudo is not installed.
 */
static void ensure_user(struct lab_tools *t)
{
	static const char sudoers[] = "/etc/sudoers.d/" LAB_USER;
	static const char rules[] = "# chimera lab: the nodes' non-root login, root through sudo\n" LAB_USER
				    " ALL=(root) NOPASSWD: ALL\nDefaults:" LAB_USER " env_keep += \"NIX_CONF_DIR\"\n";
	char useradd[PATH_MAX], usermod[PATH_MAX];
	char *add[] = { useradd, "--system", "--no-create-home", "--home-dir", "/run/" LAB_USER, "--shell", "/bin/sh",
			LAB_USER, NULL };
	char *unlock[] = { usermod, "-p", "*", LAB_USER, NULL };
	struct buf out = BUF_INIT(4096);
	struct passwd *pw;
	int status;

	t->user = false;
	if (!t->sudo[0] || proc_which("useradd", useradd, sizeof(useradd)) < 0 ||
	    proc_which("usermod", usermod, sizeof(usermod)) < 0) {
		log_kv(LOG_WARN, "lab",
		       "sudo, useradd or usermod is not installed: the nodes have no non-root login (apt-get install sudo "
		       "passwd)",
		       (const char *)NULL);
		return;
	}
	if (!getpwnam(LAB_USER) && (proc_run(add, &out, &status) < 0 || status != 0))
		log_kv(LOG_WARN, "lab", "cannot add the lab's user", "user", LAB_USER, "output", out.data, (const char *)NULL);
	buf_reset(&out);
	if ((pw = getpwnam(LAB_USER)) == NULL) {
		buf_release(&out);
		return;
	}
	t->user_uid = pw->pw_uid;
	t->user_gid = pw->pw_gid;
	if (proc_run(unlock, &out, &status) < 0 || status != 0)
		log_kv(LOG_WARN, "lab", "cannot unlock the lab's user", "user", LAB_USER, "output", out.data,
		       (const char *)NULL);
	buf_release(&out);
	if (fs_write_file(sudoers, rules, sizeof(rules) - 1, 0440) < 0) {
		log_kv(LOG_WARN, "lab", "cannot write the lab user's sudo rule", "file", sudoers, "error", err_msg(),
		       (const char *)NULL);
		return;
	}
	t->user = true;
}

/* Node DIR's home for LAB_USER, with the client's key PUBKEY, owned by that user. */
static int user_home(const struct lab_tools *t, const char *dir, const char *pubkey)
{
	char path[PATH_MAX];
	int r;

	if (!t->user)
		return 0;
	snprintf(path, sizeof(path), "%s/run/%s/.ssh", dir, LAB_USER);
	if ((r = fs_mkdir_p(path, 0700)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/run/%s/.ssh/authorized_keys", dir, LAB_USER);
	if ((r = fs_write_file(path, pubkey, strlen(pubkey), 0600)) < 0)
		return r;
	if (chown(path, t->user_uid, t->user_gid) < 0)
		return err_set_errno(ERR_IO, errno, "cannot give '%s' to %s", path, LAB_USER);
	snprintf(path, sizeof(path), "%s/run/%s/.ssh", dir, LAB_USER);
	if (chown(path, t->user_uid, t->user_gid) < 0)
		return err_set_errno(ERR_IO, errno, "cannot give '%s' to %s", path, LAB_USER);
	snprintf(path, sizeof(path), "%s/run/%s", dir, LAB_USER);
	if (chown(path, t->user_uid, t->user_gid) < 0)
		return err_set_errno(ERR_IO, errno, "cannot give '%s' to %s", path, LAB_USER);
	return 0;
}

int lab_preflight(void)
{
	struct lab_tools t;

	return lab_tools_find(&t);
}

static int ensure_key(const struct lab_tools *t, const char *path, const char *comment)
{
	char *argv[] = { (char *)t->keygen, "-q", "-t", "ed25519", "-N", "", "-C", (char *)comment,
			 "-f", (char *)path, NULL };
	struct buf out = BUF_INIT(4096);
	int status, r;

	if (fs_exists(path))
		return 0;
	if ((r = proc_run(argv, &out, &status)) == 0 && status != 0)
		r = err_set(ERR_IO, "ssh-keygen failed for '%s': %s", path, out.data);
	buf_release(&out);
	return r;
}

/* Node I's directories (in DIR) and files: its Nix settings, the client's key PUBKEY, its sshd_config. */
static int node_files(const struct lab *lab, int i, const char *dir, const char *pubkey)
{
	static const char *const subdirs[] = { "nix/store", "nix/var/nix", "nix/etc/nix", "home/.ssh", "tmp",
					       "run/sshd" };
	/* Single-user Nix as root, offline: no build users group, no binary cache. */
	static const char nix_conf[] = "build-users-group =\nsubstituters =\n";
	char path[PATH_MAX], addr[16];
	struct buf cfg = BUF_INIT(0);
	size_t k;
	int r;

	lab_node_addr(lab, i, addr);
	for (k = 0; k < sizeof(subdirs) / sizeof(subdirs[0]); k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[k]);
		if ((r = fs_mkdir_p(path, 0755)) < 0)
			return r;
	}
	snprintf(path, sizeof(path), "%s/tmp", dir);
	chmod(path, 01777);
	snprintf(path, sizeof(path), "%s/run/sshd.pid", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nix/etc/nix/nix.conf", dir);
	if ((r = fs_write_file(path, nix_conf, sizeof(nix_conf) - 1, 0644)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/home/.ssh/authorized_keys", dir);
	if ((r = fs_write_file(path, pubkey, strlen(pubkey), 0600)) < 0)
		return r;
	buf_printf(&cfg,
		   "# chimera lab node %d\n"
		   "ListenAddress %s:22\n"
		   "PidFile /run/sshd.pid\n"
		   "HostKey %s/host_ed25519\n" SSHD_NODE_OPTIONS,
		   i, addr, lab->root);
	snprintf(path, sizeof(path), "%s/sshd_config", dir);
	r = fs_write_file(path, cfg.data, cfg.len, 0644);
	buf_release(&cfg);
	return r;
}

/* Into SCRIPT: the node's own /nix, /root, /run and /tmp (from DIR), seen only by its sshd and what it starts. */
static void node_script(const struct lab_tools *t, const char *dir, struct buf *script)
{
	static const char *const binds[][2] = { { "nix", "/nix" }, { "home", "/root" },
						{ "run", "/run" }, { "tmp", "/tmp" } };
	char path[PATH_MAX];
	size_t k;

	buf_adds(script, "set -e");
	for (k = 0; k < 4; k++) {
		buf_adds(script, "; ");
		shell_quote(script, t->mount);
		buf_adds(script, " --bind ");
		snprintf(path, sizeof(path), "%s/%s", dir, binds[k][0]);
		shell_quote(script, path);
		buf_printf(script, " %s", binds[k][1]);
	}
	/* -D: sshd stays this process, so its pid is known and its death seen at once. */
	buf_adds(script, "; exec ");
	shell_quote(script, t->sshd);
	buf_adds(script, " -D -f ");
	snprintf(path, sizeof(path), "%s/sshd_config", dir);
	shell_quote(script, path);
	buf_adds(script, " -E ");
	snprintf(path, sizeof(path), "%s/sshd.log", dir);
	shell_quote(script, path);
}

/* Prepare node I's directories and files, and start its sshd without waiting. */
static int node_spawn(const struct lab *lab, const struct lab_tools *t, int i, const char *pubkey, pid_t *child)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct buf script = BUF_INIT(0);
	pid_t pid;
	int r = 0;

	*child = 0;
	lab_node_dir(lab, i, dir, sizeof(dir));
	if ((r = node_files(lab, i, dir, pubkey)) < 0)
		goto out;
	if ((r = user_home(t, dir, pubkey)) < 0)
		goto out;
	node_script(t, dir, &script);
	snprintf(path, sizeof(path), "%s/start.log", dir);
	pid = fork();
	if (pid < 0) {
		r = err_set_errno(ERR_IO, errno, "node-%04d: cannot fork", i);
		goto out;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY), log = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (nul >= 0)
			dup2(nul, 0);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
		}
		setsid();
		execl(t->unshare, "unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
		      script.data, (char *)NULL);
		_exit(127);
	}
	*child = pid;
out:
	buf_release(&script);
	return r;
}

static void log_tail(const char *dir, const char *file, char *out, size_t len)
{
	char path[PATH_MAX];
	struct buf b = BUF_INIT(1 << 20);
	const char *p;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	out[0] = '\0';
	if (fs_read_file(path, &b) < 0)
		return;
	while (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	p = b.len > len - 1 ? b.data + b.len - (len - 1) : b.data;
	snprintf(out, len, "%s", p);
	buf_release(&b);
}

/*
 * Wait until every started node listens: sshd writes its PidFile only after it has bound its
 * address, and a node whose sshd exits (address taken, bad config) has failed.
 */
static int wait_listening(const struct lab *lab, const pid_t *children, int n, int *failed)
{
	char dir[PATH_MAX], why[512];
	int64_t deadline = clock_mono_ms() + LAB_START_WAIT_MS;
	int i, pending;

	*failed = -1;
	for (;;) {
		pending = 0;
		for (i = 0; i < n; i++) {
			pid_t pid;
			int st;

			if (!children[i])
				continue;
			lab_node_dir(lab, i, dir, sizeof(dir));
			if (lab_read_pid(dir, &pid) == 0 && pid == children[i])
				continue;
			if (waitpid(children[i], &st, WNOHANG) == children[i]) {
				log_tail(dir, "sshd.log", why, sizeof(why));
				if (!why[0])
					log_tail(dir, "start.log", why, sizeof(why));
				*failed = i;
				return err_set(ERR_IO, "node-%04d did not start: %s", i, why[0] ? why : "no output");
			}
			pending++;
		}
		if (!pending)
			return 0;
		if (clock_mono_ms() > deadline) {
			for (i = 0; i < n && *failed < 0; i++) {
				if (children[i])
					*failed = i;
			}
			return err_set(ERR_TIMEOUT, "%d nodes did not start listening within %d s", pending,
				       LAB_START_WAIT_MS / 1000);
		}
		usleep(2000);
	}
}

/* lab_up's checks and what every node needs: the tools, the directories, the keys; *PUBKEY the client's key. */
static int up_prepare(struct lab *lab, int n, int base, struct lab_tools *t, struct buf *pubkey)
{
	char path[PATH_MAX];
	int r;

	if (n < 0 || n > LAB_MAX_NODES)
		return err_set(ERR_INVALID, "bad node count %d: expected 0 to %d", n, LAB_MAX_NODES);
	if (base && (base < 2 || base > 254))
		return err_set(ERR_INVALID, "bad base %d: expected 2 to 254 (nodes get 127.BASE.x.y)", base);
	if ((r = lab_tools_find(t)) < 0)
		return r;
	ensure_user(t);
	if (base && lab->exists && base != lab->base && lab->nodes > 0)
		return err_set(ERR_BUSY, "the lab runs on 127.%d.x.y; run 'chimera lab down' before moving it to 127.%d",
			       lab->base, base);
	if (base)
		lab->base = base;
	if ((r = fs_mkdir_p(lab->dir, 0700)) < 0 || (r = fs_mkdir_p(lab->root, 0755)) < 0)
		return r;
	/* Each node's /nix is a bind mount, which needs the mount point on the host. */
	if (!fs_exists("/nix") && mkdir("/nix", 0755) < 0 && errno != EEXIST)
		return err_set_errno(ERR_IO, errno, "cannot create /nix for the nodes' stores");
	snprintf(path, sizeof(path), "%s/id_ed25519", lab->dir);
	if ((r = ensure_key(t, path, "chimera-lab")) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/host_ed25519", lab->root);
	if ((r = ensure_key(t, path, "chimera-lab-host")) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/id_ed25519.pub", lab->dir);
	return fs_read_file(path, pubkey);
}

/* Shrink: the nodes from N to OLD_N go away, directories and all. */
static int up_shrink(struct lab *lab, int n, int old_n)
{
	char dir[PATH_MAX];
	int *idx, i, r;

	if (old_n <= n)
		return 0;
	if (!(idx = calloc((size_t)(old_n - n), sizeof(*idx))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = n; i < old_n; i++)
		idx[i - n] = i;
	r = lab_stop_nodes(lab, idx, (size_t)(old_n - n));
	free(idx);
	if (r < 0)
		return r;
	for (i = n; i < old_n; i++) {
		lab_node_dir(lab, i, dir, sizeof(dir));
		fs_rm_rf(dir);
	}
	return 0;
}

/*
 * (Re)start the nodes of N that are not running (what is left of a dead node's namespace
 * goes first): CHILDREN[i] the sshd started for node i, *STARTED how many, *FAILED the
 * first that could not be spawned (left as it was when all were).
 */
static int up_start(struct lab *lab, const struct lab_tools *t, int n, const char *pubkey, pid_t *children,
		    int *started, int *failed)
{
	char dir[PATH_MAX];
	int *idx, i, k, r = 0;

	if (!(idx = calloc((size_t)(n ? n : 1), sizeof(*idx))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		pid_t pid;

		lab_node_dir(lab, i, dir, sizeof(dir));
		if (lab_read_pid(dir, &pid) == 0 && lab_sshd_alive(pid) && lab_pid_in_node(pid, dir))
			continue;
		idx[(*started)++] = i;
	}
	if (*started && (r = lab_stop_nodes(lab, idx, (size_t)*started)) < 0) {
		free(idx);
		return r;
	}
	for (k = 0; k < *started; k++) {
		if ((r = node_spawn(lab, t, idx[k], pubkey, &children[idx[k]])) < 0) {
			*failed = idx[k];
			break;
		}
	}
	free(idx);
	return r;
}

/*
 * Take back what this call started (our own children, with no sessions yet) and the nodes
 * it added, keeping the first error's message; returns R with it.
 */
static int up_undo(struct lab *lab, const pid_t *children, int n, int old_n, int r)
{
	char msg[1024], dir[PATH_MAX];
	int i;

	snprintf(msg, sizeof(msg), "%s", err_msg());
	for (i = 0; i < n; i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			while (waitpid(children[i], NULL, 0) < 0 && errno == EINTR)
				;
		}
	}
	for (i = old_n; i < n; i++) {
		lab_node_dir(lab, i, dir, sizeof(dir));
		fs_rm_rf(dir);
	}
	lab->nodes = old_n < n ? old_n : n;
	lab_save(lab);
	lab_write_client_files(lab);
	return err_set(r, "%s", msg);
}

int lab_up(struct lab *lab, int n, int base)
{
	struct lab_tools t;
	struct buf pubkey = BUF_INIT(16384);
	pid_t *children = NULL;
	int i, r, started = 0, old_n = lab->nodes, failed = -1;

	if ((r = up_prepare(lab, n, base, &t, &pubkey)) < 0) {
		buf_release(&pubkey);
		return r;
	}
	if ((r = up_shrink(lab, n, old_n)) < 0)
		goto out;
	lab->nodes = n;
	lab->exists = true;
	if ((r = lab_save(lab)) < 0 || (r = lab_write_client_files(lab)) < 0)
		goto out;
	children = calloc((size_t)(n ? n : 1), sizeof(*children));
	if (!children) {
		r = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	r = up_start(lab, &t, n, pubkey.data, children, &started, &failed);
	if (r < 0 && failed < 0)
		goto out;
	if (failed < 0)
		r = wait_listening(lab, children, n, &failed);
	if (failed >= 0) {
		r = up_undo(lab, children, n, old_n, r);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (children[i])
			lab_node_record_mntns(lab, i);
	}
	log_info("lab", "%d nodes up (%d started) on 127.%d.x.y", n, started, lab->base);
out:
	buf_release(&pubkey);
	free(children);
	return r;
}
