/* The lab: real sshd nodes on loopback addresses, each with private /nix, /root, /tmp and /run. */
#include "adapters/lab/lab.h"
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
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LAB_FORMAT_VERSION 1
#define LAB_STOP_WAIT_MS 5000
#define LAB_START_WAIT_MS 15000

/* Programs the lab runs, found once by lab_preflight. */
struct lab_tools {
	char unshare[PATH_MAX];
	char sshd[PATH_MAX];
	char mount[PATH_MAX];
	char keygen[PATH_MAX];
	char nix_store[PATH_MAX];
};

static int lab_path(char *out, size_t len, const char *a, const char *b)
{
	if (snprintf(out, len, "%s/%s", a, b) >= (int)len)
		return err_set(ERR_INVALID, "path too long: '%s/%s'", a, b);
	return 0;
}

static void node_dir(const struct lab *lab, int i, char *out, size_t len)
{
	snprintf(out, len, "%s/node-%04d", lab->root, i);
}

void lab_node_addr(const struct lab *lab, int i, char out[16])
{
	snprintf(out, 16, "127.%d.%d.%d", lab->base, i / 200, i % 200 + 10);
}

const char *lab_ssh_config(const struct lab *lab, char *out, size_t len)
{
	if (!lab->exists || lab_path(out, len, lab->dir, "ssh_config") < 0)
		out[0] = '\0';
	return out;
}

static unsigned int fnv1a(const char *s)
{
	unsigned int h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * Nodes replace /nix, /root, /tmp and /run in their namespace, so whatever sshd reads must
 * live elsewhere: beside the state dir when that is outside them, else under /var/lib.
 */
static void lab_choose_root(struct lab *lab, const char *state_dir)
{
	static const char *const hidden[] = { "/root", "/tmp", "/run", "/nix", "/var/run" };
	size_t i;

	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		if (fs_path_under(lab->dir, hidden[i])) {
			snprintf(lab->root, sizeof(lab->root), "/var/lib/chimera/lab-%08x", fnv1a(state_dir));
			return;
		}
	}
	snprintf(lab->root, sizeof(lab->root), "%s/nodes", lab->dir);
}

int lab_open(struct lab *lab, const char *state_dir)
{
	char path[PATH_MAX];
	json_error_t jerr;
	json_t *doc = NULL;
	const char *root = NULL;
	int version = 0, r = 0;

	memset(lab, 0, sizeof(*lab));
	/* Leave room for every file name the lab puts under its directories. */
	if (strlen(state_dir) > PATH_MAX - 128)
		return err_set(ERR_INVALID, "state dir path too long for a lab: '%.64s...'", state_dir);
	if ((r = lab_path(lab->dir, sizeof(lab->dir), state_dir, "lab")) < 0)
		return r;
	lab_choose_root(lab, state_dir);
	lab->base = 64 + (int)(fnv1a(state_dir) % 180);
	if ((r = lab_path(path, sizeof(path), lab->dir, "lab.json")) < 0)
		return r;
	if (!fs_exists(path))
		return 0;
	doc = json_load_file(path, 0, &jerr);
	if (!doc || json_unpack(doc, "{s:i, s:i, s:i, s:s}", "version", &version, "base", &lab->base,
				"nodes", &lab->nodes, "root", &root) < 0 ||
	    version != LAB_FORMAT_VERSION || lab->base < 2 || lab->base > 254 || lab->nodes < 0 ||
	    lab->nodes > LAB_MAX_NODES) {
		r = err_set(ERR_CORRUPT, "bad lab record '%s': remove it and run 'chimera lab up' again", path);
		goto out;
	}
	if (strlen(root) > PATH_MAX - 128 || root[0] != '/') {
		r = err_set(ERR_CORRUPT, "bad lab root '%.64s' in '%s'", root, path);
		goto out;
	}
	snprintf(lab->root, sizeof(lab->root), "%s", root);
	lab->exists = true;
out:
	json_decref(doc);
	return r;
}

static int lab_save(const struct lab *lab)
{
	char path[PATH_MAX];
	json_t *doc;
	char *text;
	int r;

	if ((r = lab_path(path, sizeof(path), lab->dir, "lab.json")) < 0)
		return r;
	doc = json_pack("{s:i, s:i, s:i, s:s}", "version", LAB_FORMAT_VERSION, "base", lab->base,
			"nodes", lab->nodes, "root", lab->root);
	text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	r = text ? fs_write_file(path, text, strlen(text), 0600) : err_set(ERR_NOMEM, "out of memory");
	free(text);
	json_decref(doc);
	return r;
}

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

/* S as a process id (digits, optionally followed by a newline), or 0 when it is none. */
static pid_t pid_parse(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (end == s || errno || v <= 0 || v > INT_MAX || (*end && *end != '\n'))
		return 0;
	return (pid_t)v;
}

static int read_pid(const char *dir, pid_t *pid)
{
	char path[PATH_MAX];
	struct buf b = BUF_INIT(64);
	int r;

	*pid = 0;
	if ((r = lab_path(path, sizeof(path), dir, "run/sshd.pid")) < 0)
		return r;
	if ((r = fs_read_file(path, &b)) == 0)
		*pid = pid_parse(b.data);
	buf_release(&b);
	return r;
}

/* True when PID is alive and is an sshd. */
static bool sshd_alive(pid_t pid)
{
	char path[64];
	struct buf comm = BUF_INIT(64);
	bool ok = false;

	if (!proc_alive(pid))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (fs_read_file(path, &comm) == 0)
		ok = strncmp(comm.data, "sshd", 4) == 0;
	buf_release(&comm);
	return ok;
}

/* Prepare node I's directories and files, and start its sshd without waiting. */
static int node_spawn(const struct lab *lab, const struct lab_tools *t, int i, const char *pubkey, pid_t *child)
{
	char dir[PATH_MAX], path[PATH_MAX], addr[16];
	static const char *const subdirs[] = { "nix/store", "nix/var/nix", "nix/etc/nix", "home/.ssh", "tmp",
						"run/sshd" };
	/* Single-user Nix as root, offline: no build users group, no binary cache. */
	static const char nix_conf[] = "build-users-group =\nsubstituters =\n";
	struct buf cfg = BUF_INIT(0), script = BUF_INIT(0);
	size_t k;
	pid_t pid;
	int r = 0;

	*child = 0;
	node_dir(lab, i, dir, sizeof(dir));
	lab_node_addr(lab, i, addr);
	for (k = 0; k < sizeof(subdirs) / sizeof(subdirs[0]); k++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[k]);
		if ((r = fs_mkdir_p(path, 0755)) < 0)
			goto out;
	}
	snprintf(path, sizeof(path), "%s/tmp", dir);
	chmod(path, 01777);
	snprintf(path, sizeof(path), "%s/run/sshd.pid", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/nix/etc/nix/nix.conf", dir);
	if ((r = fs_write_file(path, nix_conf, sizeof(nix_conf) - 1, 0644)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/home/.ssh/authorized_keys", dir);
	if ((r = fs_write_file(path, pubkey, strlen(pubkey), 0600)) < 0)
		goto out;
	buf_printf(&cfg,
		   "# chimera lab node %d\n"
		   "ListenAddress %s:22\n"
		   "PidFile /run/sshd.pid\n"
		   "HostKey %s/host_ed25519\n"
		   "UsePAM no\n"
		   "StrictModes no\n"
		   "PasswordAuthentication no\n"
		   "KbdInteractiveAuthentication no\n"
		   "PermitRootLogin prohibit-password\n"
		   "AuthorizedKeysFile .ssh/authorized_keys\n"
		   "PrintMotd no\n"
		   "UseDNS no\n"
		   "MaxSessions 128\n"
		   "MaxStartups 256:30:512\n"
		   "Subsystem sftp internal-sftp\n"
		   "SetEnv NIX_CONF_DIR=/nix/etc/nix\n",
		   i, addr, lab->root);
	snprintf(path, sizeof(path), "%s/sshd_config", dir);
	if ((r = fs_write_file(path, cfg.data, cfg.len, 0644)) < 0)
		goto out;
	/* The node's own /nix, /root, /run and /tmp, seen only by its sshd and what it starts. */
	buf_adds(&script, "set -e");
	static const char *const binds[][2] = { { "nix", "/nix" }, { "home", "/root" },
						{ "run", "/run" }, { "tmp", "/tmp" } };
	for (k = 0; k < 4; k++) {
		buf_adds(&script, "; ");
		shell_quote(&script, t->mount);
		buf_adds(&script, " --bind ");
		snprintf(path, sizeof(path), "%s/%s", dir, binds[k][0]);
		shell_quote(&script, path);
		buf_printf(&script, " %s", binds[k][1]);
	}
	/* -D: sshd stays this process, so its pid is known and its death seen at once. */
	buf_adds(&script, "; exec ");
	shell_quote(&script, t->sshd);
	buf_adds(&script, " -D -f ");
	snprintf(path, sizeof(path), "%s/sshd_config", dir);
	shell_quote(&script, path);
	buf_adds(&script, " -E ");
	snprintf(path, sizeof(path), "%s/sshd.log", dir);
	shell_quote(&script, path);

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
	buf_release(&cfg);
	buf_release(&script);
	return r;
}

/* The mount namespace of PID as "mnt:[N]", or "" when it is gone. */
static void pid_mntns(pid_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
	n = readlink(path, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
}

/*
 * True when PID is inside node DIR: the /nix it sees is DIR/nix itself (same device and
 * inode), which no other node or lab can share.
 */
static bool pid_in_node(pid_t pid, const char *dir)
{
	char seen[64], mine[PATH_MAX];
	struct stat a, b;

	snprintf(seen, sizeof(seen), "/proc/%d/root/nix", (int)pid);
	snprintf(mine, sizeof(mine), "%s/nix", dir);
	return stat(seen, &a) == 0 && stat(mine, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

struct proc_ns {
	pid_t pid;
	char ns[48];
};

/* Every live process with its mount namespace. */
static int scan_procs(struct proc_ns **out, size_t *n)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	struct proc_ns *v = NULL;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (!d)
		return err_set_errno(ERR_IO, errno, "cannot read /proc");
	while ((e = readdir(d)) != NULL) {
		pid_t pid = pid_parse(e->d_name);

		if (pid <= 0)
			continue;
		if (*n == cap) {
			struct proc_ns *nv = realloc(v, (cap = cap ? cap * 2 : 256) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				return err_set(ERR_NOMEM, "out of memory");
			}
			v = nv;
		}
		v[*n].pid = pid;
		pid_mntns(pid, v[*n].ns, sizeof(v[*n].ns));
		if (v[*n].ns[0])
			(*n)++;
	}
	closedir(d);
	*out = v;
	return 0;
}

/* Node I's mount namespace: its live sshd's, else the one recorded when it started. */
static void node_mntns(const struct lab *lab, int i, char *ns, size_t len)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct buf rec = BUF_INIT(64);
	pid_t pid;

	ns[0] = '\0';
	node_dir(lab, i, dir, sizeof(dir));
	if (read_pid(dir, &pid) == 0 && sshd_alive(pid) && pid_in_node(pid, dir))
		pid_mntns(pid, ns, len);
	if (ns[0])
		return;
	snprintf(path, sizeof(path), "%s/mntns", dir);
	if (fs_read_file(path, &rec) == 0)
		snprintf(ns, len, "%.*s", (int)strcspn(rec.data, "\n"), rec.data);
	buf_release(&rec);
}

/* Remember node I's namespace, so its processes can be found even after its sshd is gone. */
static void node_record_mntns(const struct lab *lab, int i)
{
	char dir[PATH_MAX], path[PATH_MAX], ns[48];
	pid_t pid;

	node_dir(lab, i, dir, sizeof(dir));
	if (read_pid(dir, &pid) < 0)
		return;
	pid_mntns(pid, ns, sizeof(ns));
	snprintf(path, sizeof(path), "%s/mntns", dir);
	if (ns[0])
		fs_write_file(path, ns, strlen(ns), 0644);
}

/* Kill every process in the namespaces of the nodes numbered in IDX, and wait for them. */
static int stop_nodes(const struct lab *lab, const int *idx, size_t count)
{
	struct proc_ns *procs = NULL;
	size_t np = 0, i, j;
	char host_ns[48], dir[PATH_MAX];
	pid_t *victims = NULL;
	size_t nv = 0;
	int64_t deadline;
	int r;

	pid_mntns(getpid(), host_ns, sizeof(host_ns));
	if ((r = scan_procs(&procs, &np)) < 0)
		return r;
	if (!(victims = calloc(np ? np : 1, sizeof(*victims)))) {
		free(procs);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < count; i++) {
		char ns[48];
		bool checked = false;

		node_mntns(lab, idx[i], ns, sizeof(ns));
		node_dir(lab, idx[i], dir, sizeof(dir));
		if (!ns[0] || strcmp(ns, host_ns) == 0)
			continue;	/* never touch the controller's own namespace */
		for (j = 0; j < np; j++) {
			if (strcmp(procs[j].ns, ns) != 0)
				continue;
			/* A pid or namespace id may have been reused: check it is this node's. */
			if (!checked && !pid_in_node(procs[j].pid, dir))
				break;
			checked = true;
			kill(procs[j].pid, SIGKILL);
			victims[nv++] = procs[j].pid;
		}
	}
	deadline = clock_mono_ms() + LAB_STOP_WAIT_MS;
	for (i = 0; i < nv; i++) {
		while (proc_alive(victims[i]) && clock_mono_ms() < deadline)
			usleep(2000);
		if (proc_alive(victims[i]))
			r = err_set(ERR_BUSY, "process %d of the lab did not stop", (int)victims[i]);
	}
	free(victims);
	free(procs);
	return r;
}

static int write_client_files(const struct lab *lab)
{
	char path[PATH_MAX], addr[16];
	struct buf kh = BUF_INIT(0), cfg = BUF_INIT(0), hostkey = BUF_INIT(16384);
	int i, r;

	snprintf(path, sizeof(path), "%s/host_ed25519.pub", lab->root);
	if ((r = fs_read_file(path, &hostkey)) < 0)
		goto out;
	while (hostkey.len && (hostkey.data[hostkey.len - 1] == '\n'))
		hostkey.data[--hostkey.len] = '\0';
	/* Drop the comment: "type base64". */
	{
		char *sp = strchr(hostkey.data, ' ');

		if (sp && (sp = strchr(sp + 1, ' ')))
			*sp = '\0';
	}
	for (i = 0; i < lab->nodes; i++) {
		lab_node_addr(lab, i, addr);
		buf_printf(&kh, "%s %s\n", addr, hostkey.data);
	}
	snprintf(path, sizeof(path), "%s/known_hosts", lab->dir);
	if ((r = fs_write_file(path, kh.data, kh.len, 0644)) < 0)
		goto out;
	buf_printf(&cfg,
		   "# chimera lab: ssh -F %s/ssh_config 127.%d.0.10\n"
		   "Host 127.%d.*\n"
		   "\tUser root\n"
		   "\tPort 22\n"
		   "\tIdentityFile %s/id_ed25519\n"
		   "\tIdentitiesOnly yes\n"
		   "\tUserKnownHostsFile %s/known_hosts\n"
		   "\tStrictHostKeyChecking yes\n"
		   "\tLogLevel ERROR\n",
		   lab->dir, lab->base, lab->base, lab->dir, lab->dir);
	snprintf(path, sizeof(path), "%s/ssh_config", lab->dir);
	r = fs_write_file(path, cfg.data, cfg.len, 0644);
out:
	buf_release(&kh);
	buf_release(&cfg);
	buf_release(&hostkey);
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
			node_dir(lab, i, dir, sizeof(dir));
			if (read_pid(dir, &pid) == 0 && pid == children[i])
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
	r = stop_nodes(lab, idx, (size_t)(old_n - n));
	free(idx);
	if (r < 0)
		return r;
	for (i = n; i < old_n; i++) {
		node_dir(lab, i, dir, sizeof(dir));
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

		node_dir(lab, i, dir, sizeof(dir));
		if (read_pid(dir, &pid) == 0 && sshd_alive(pid) && pid_in_node(pid, dir))
			continue;
		idx[(*started)++] = i;
	}
	if (*started && (r = stop_nodes(lab, idx, (size_t)*started)) < 0) {
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
		node_dir(lab, i, dir, sizeof(dir));
		fs_rm_rf(dir);
	}
	lab->nodes = old_n < n ? old_n : n;
	lab_save(lab);
	write_client_files(lab);
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
	if ((r = lab_save(lab)) < 0 || (r = write_client_files(lab)) < 0)
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
			node_record_mntns(lab, i);
	}
	log_info("lab", "%d nodes up (%d started) on 127.%d.x.y", n, started, lab->base);
out:
	buf_release(&pubkey);
	free(children);
	return r;
}

int lab_down(struct lab *lab)
{
	char dir[PATH_MAX];
	int *idx;
	int i, r;

	if (!lab->exists)
		return 0;
	if (!(idx = calloc((size_t)(lab->nodes ? lab->nodes : 1), sizeof(*idx))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < lab->nodes; i++)
		idx[i] = i;
	r = stop_nodes(lab, idx, (size_t)lab->nodes);
	free(idx);
	if (r < 0)
		return r;
	for (i = 0; i < lab->nodes; i++) {
		node_dir(lab, i, dir, sizeof(dir));
		if ((r = fs_rm_rf(dir)) < 0)
			return r;
	}
	lab->nodes = 0;
	if ((r = lab_save(lab)) < 0)
		return r;
	return write_client_files(lab);
}

int lab_status(const struct lab *lab, struct lab_node **out, size_t *n)
{
	struct lab_node *v;
	char dir[PATH_MAX];
	int i;

	*out = NULL;
	*n = 0;
	if (!(v = calloc((size_t)(lab->nodes ? lab->nodes : 1), sizeof(*v))))
		return err_set(ERR_NOMEM, "out of memory");
	for (i = 0; i < lab->nodes; i++) {
		node_dir(lab, i, dir, sizeof(dir));
		v[i].index = i;
		snprintf(v[i].name, sizeof(v[i].name), "node-%04d", i);
		lab_node_addr(lab, i, v[i].addr);
		read_pid(dir, &v[i].pid);
		v[i].alive = sshd_alive(v[i].pid) && pid_in_node(v[i].pid, dir);
	}
	*out = v;
	*n = (size_t)lab->nodes;
	return 0;
}

int lab_targets(const struct lab *lab, struct target_list *l)
{
	char addr[16];
	int i, r;

	for (i = 0; i < lab->nodes; i++) {
		struct target t;

		lab_node_addr(lab, i, addr);
		if ((r = target_parse(&t, addr, strlen(addr))) < 0 || (r = target_list_add(l, &t)) < 0)
			return r;
	}
	return 0;
}
