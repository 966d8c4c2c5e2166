/* Files and directories: create with parents, remove trees, read and write whole files. */
#include "util/fs.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

static int mkdir_one(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return err_set_errno(ERR_IO, errno, "cannot create directory '%s'", path);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(ERR_IO, "cannot create directory '%s': a file is in the way", path);
	return 0;
}

int fs_mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];
	int r;
	size_t n = strlen(path);
	char *p;

	if (n == 0 || n >= sizeof(tmp))
		return err_set(ERR_INVALID, "bad directory path '%s'", path);
	memcpy(tmp, path, n + 1);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if ((r = mkdir_one(tmp, mode)) < 0)
			return r;
		*p = '/';
	}
	return mkdir_one(tmp, mode);
}

#define RM_MAX_DEPTH 256

/*
 * Remove NAME in DFD and everything under it. Directories are opened up first (Nix makes
 * store directories read-only); other filesystems mounted inside are left alone.
 */
static int rm_at(int dfd, const char *name, const char *top, dev_t dev, int depth)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, r = 0;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : err_set_errno(ERR_IO, errno, "cannot remove '%s'", top);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
			return err_set_errno(ERR_IO, errno, "cannot remove a file under '%s'", top);
		return 0;
	}
	if (st.st_dev != dev)
		return err_set(ERR_BUSY, "cannot remove '%s': another filesystem is mounted inside", top);
	if (depth > RM_MAX_DEPTH)
		return err_set(ERR_LIMIT, "cannot remove '%s': nested deeper than %d", top, RM_MAX_DEPTH);
	if ((st.st_mode & 0700) != 0700)
		fchmodat(dfd, name, (st.st_mode & 07777) | 0700, 0);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		r = err_set_errno(ERR_IO, errno, "cannot read a directory under '%s'", top);
		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((e = readdir(d)) != NULL) {
		int rr;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((rr = rm_at(dirfd(d), e->d_name, top, dev, depth + 1)) < 0 && r == 0)
			r = rr;
	}
	closedir(d);
	if (r == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = err_set_errno(ERR_IO, errno, "cannot remove '%s'", top);
	return r;
}

int fs_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_set_errno(ERR_IO, errno, "cannot remove '%s'", path);
	return rm_at(AT_FDCWD, path, path, st.st_dev, 0);
}

int fs_write_all(int fd, const void *data, size_t len, const char *name)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_set_errno(ERR_IO, errno, "cannot write '%s'", name);
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int fs_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return err_set(ERR_INVALID, "path too long '%s'", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return err_set_errno(ERR_IO, errno, "cannot write '%s'", tmp);
	r = fs_write_all(fd, data, len, tmp);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot chmod '%s'", tmp);
	if (r == 0 && fsync(fd) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot sync '%s'", tmp);
	if (close(fd) < 0 && r == 0)
		r = err_set_errno(ERR_IO, errno, "cannot write '%s'", tmp);
	if (r == 0 && rename(tmp, path) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot rename '%s' to '%s'", tmp, path);
	if (r < 0)
		unlink(tmp);
	return r;
}

int fs_read_file(const char *path, struct buf *out)
{
	char chunk[8192];
	int fd, r = 0;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(ERR_NOTFOUND, "no such file '%s'", path);
		return err_set_errno(ERR_IO, errno, "cannot read '%s'", path);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = err_set_errno(ERR_IO, errno, "cannot read '%s'", path);
			break;
		}
		if ((r = buf_add(out, chunk, (size_t)n)) < 0)
			break;
	}
	close(fd);
	return r;
}

bool fs_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

bool fs_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 0 && dir[n - 1] == '/')
		n--;
	if (n == 0)	/* "/" holds every absolute path */
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
