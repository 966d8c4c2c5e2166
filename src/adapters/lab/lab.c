/* The lab: real sshd nodes on loopback addresses, each with private /nix, /root, /tmp and /run. */
#include "adapters/lab/lab_internal.h"
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
#include "util/banned.h"

#define LAB_FORMAT_VERSION 1
#define LAB_STOP_WAIT_MS 5000

static int lab_path(char *out, size_t len, const char *a, const char *b)
{
	if (snprintf(out, len, "%s/%s", a, b) >= (int)len)
		return err_set(ERR_INVALID, "path too long: '%s/%s'", a, b);
	return 0;
}

void lab_node_dir(const struct lab *lab, int i, char *out, size_t len)
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

int lab_save(const struct lab *lab)
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

int lab_read_pid(const char *dir, pid_t *pid)
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
bool lab_sshd_alive(pid_t pid)
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
bool lab_pid_in_node(pid_t pid, const char *dir)
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
	lab_node_dir(lab, i, dir, sizeof(dir));
	if (lab_read_pid(dir, &pid) == 0 && lab_sshd_alive(pid) && lab_pid_in_node(pid, dir))
		pid_mntns(pid, ns, len);
	if (ns[0])
		return;
	snprintf(path, sizeof(path), "%s/mntns", dir);
	if (fs_read_file(path, &rec) == 0)
		snprintf(ns, len, "%.*s", (int)strcspn(rec.data, "\n"), rec.data);
	buf_release(&rec);
}

/* Remember node I's namespace, so its processes can be found even after its sshd is gone. */
void lab_node_record_mntns(const struct lab *lab, int i)
{
	char dir[PATH_MAX], path[PATH_MAX], ns[48];
	pid_t pid;

	lab_node_dir(lab, i, dir, sizeof(dir));
	if (lab_read_pid(dir, &pid) < 0)
		return;
	pid_mntns(pid, ns, sizeof(ns));
	snprintf(path, sizeof(path), "%s/mntns", dir);
	if (ns[0])
		fs_write_file(path, ns, strlen(ns), 0644);
}

/* Kill every process in the namespaces of the nodes numbered in IDX, and wait for them. */
int lab_stop_nodes(const struct lab *lab, const int *idx, size_t count)
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
		lab_node_dir(lab, idx[i], dir, sizeof(dir));
		if (!ns[0] || strcmp(ns, host_ns) == 0)
			continue;	/* never touch the controller's own namespace */
		/*
		 * A pid or namespace id may have been reused: the namespace is this node's when one
		 * of its processes sees the node's /nix. Not only the first one: a process that is
		 * exiting (a session just ended) has no root to look at, and breaking off on it left
		 * the whole node running.
		 */
		for (j = 0; j < np && !checked; j++)
			checked = strcmp(procs[j].ns, ns) == 0 && lab_pid_in_node(procs[j].pid, dir);
		for (j = 0; j < np && checked; j++) {
			if (strcmp(procs[j].ns, ns) != 0)
				continue;
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

int lab_write_client_files(const struct lab *lab)
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
	r = lab_stop_nodes(lab, idx, (size_t)lab->nodes);
	free(idx);
	if (r < 0)
		return r;
	for (i = 0; i < lab->nodes; i++) {
		lab_node_dir(lab, i, dir, sizeof(dir));
		if ((r = fs_rm_rf(dir)) < 0)
			return r;
	}
	lab->nodes = 0;
	if ((r = lab_save(lab)) < 0)
		return r;
	return lab_write_client_files(lab);
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
		lab_node_dir(lab, i, dir, sizeof(dir));
		v[i].index = i;
		snprintf(v[i].name, sizeof(v[i].name), "node-%04d", i);
		lab_node_addr(lab, i, v[i].addr);
		lab_read_pid(dir, &v[i].pid);
		v[i].alive = lab_sshd_alive(v[i].pid) && lab_pid_in_node(v[i].pid, dir);
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

