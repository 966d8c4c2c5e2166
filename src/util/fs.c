/* Files and directories: create with parents, remove trees, read and write whole files. */
#include "util/fs.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t n = strlen(path);
	char *p;

	if (n == 0 || n >= sizeof(tmp))
		return err_set(ERR_INVALID, "bad directory path '%s'", path);
	memcpy(tmp, path, n + 1);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return err_set_errno(ERR_IO, errno, "cannot create directory '%s'", tmp);
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return err_set_errno(ERR_IO, errno, "cannot create directory '%s'", tmp);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	if (flag == FTW_D || flag == FTW_DNR) {
		/* Nix makes store directories read-only; open them so they can be emptied. */
		chmod(path, 0700);
		return 0;
	}
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int fs_rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : err_set_errno(ERR_IO, errno, "cannot remove '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return err_set_errno(ERR_IO, errno, "cannot remove '%s'", path);
		return 0;
	}
	if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		return err_set_errno(ERR_IO, errno, "cannot remove '%s'", path);
	return 0;
}

int fs_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[4096];
	const char *p = data;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return err_set(ERR_INVALID, "path too long '%s'", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return err_set_errno(ERR_IO, errno, "cannot write '%s'", tmp);
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = err_set_errno(ERR_IO, errno, "cannot write '%s'", tmp);
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (r == 0 && fchmod(fd, mode) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot chmod '%s'", tmp);
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

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
