/* The secrets store's files: whole reads that leave no stray copy, atomic writes, names, lines, events. */
#include "app/fleet/secrets.h"
#include "app/fleet/secrets_internal.h"
#include "app/fleet/fleet.h"
#include "ports/cipher.h"
#include "util/err.h"
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/banned.h"

int secrets_read_fd(int fd, size_t max, uint8_t **out, size_t *len)
{
	uint8_t *p = NULL, *grown;
	size_t cap = 0, n = 0;
	int r = 0;

	*out = NULL;
	*len = 0;
	for (;;) {
		ssize_t got;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4096;

			if (cap > max) {
				r = err_set(ERR_LIMIT, "more than %zu bytes", max);
				goto out;
			}
			/* By hand: realloc would leave the old copy in freed memory. */
			if (!(grown = malloc(ncap))) {
				r = err_set(ERR_NOMEM, "out of memory");
				goto out;
			}
			if (n)
				memcpy(grown, p, n);
			age_free(p, cap);
			p = grown;
			cap = ncap;
		}
		got = read(fd, p + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = err_set_errno(ERR_IO, errno, "cannot read");
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > max) {
		r = err_set(ERR_LIMIT, "more than %zu bytes", max);
		goto out;
	}
	*out = p;
	*len = n;
	p = NULL;
out:
	age_free(p, cap);
	return r;
}

/* Read PATH whole with secrets_read_fd. ERR_NOTFOUND when it does not exist. */
int secrets_read_path(const char *path, size_t max, uint8_t **out, size_t *len)
{
	char why[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return err_set_errno(errno == ENOENT ? ERR_NOTFOUND : ERR_IO, errno, "cannot read '%s'", path);
	r = secrets_read_fd(fd, max, out, len);
	close(fd);
	if (r < 0) {
		SAVE_MSG(why);
		return err_set(r, "'%s': %s", path, why);
	}
	return 0;
}

int secrets_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return err_set_errno(ERR_IO, errno, "cannot open '%s'", dir);
	if (fsync(fd) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot sync '%s'", dir);
	close(fd);
	return r;
}

/* Write LEN bytes to a new private temporary file in DIR, synced; its name goes to TMP. */
int secrets_write_temp(const char *dir, const void *data, size_t len, char tmp[PATH_MAX])
{
	int fd, r = 0;

	if (snprintf(tmp, PATH_MAX, "%s/.tmp-XXXXXX", dir) >= PATH_MAX)
		return err_set(ERR_INVALID, "path too long '%s'", dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		r = err_set_errno(ERR_IO, errno, "cannot create a file in '%s'", dir);
		tmp[0] = '\0';
		return r;
	}
	if (fchmod(fd, 0600) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot chmod '%s'", tmp);
	if (r == 0)
		r = fs_write_all(fd, data, len, tmp);
	if (r == 0 && fsync(fd) < 0)
		r = err_set_errno(ERR_IO, errno, "cannot sync '%s'", tmp);
	if (close(fd) < 0 && r == 0)
		r = err_set_errno(ERR_IO, errno, "cannot write '%s'", tmp);
	if (r < 0) {
		unlink(tmp);
		tmp[0] = '\0';
	}
	return r;
}

int secrets_commit(const char *tmp, const char *path)
{
	if (rename(tmp, path) < 0)
		return err_set_errno(ERR_IO, errno, "cannot rename '%s' to '%s'", tmp, path);
	return 0;
}

/* Write PATH (in DIR) atomically, 0600. */
int secrets_write_atomic(const char *dir, const char *path, const void *data, size_t len)
{
	char tmp[PATH_MAX];
	int r;

	if ((r = secrets_write_temp(dir, data, len, tmp)) < 0)
		return r;
	if ((r = secrets_commit(tmp, path)) < 0) {
		unlink(tmp);
		return r;
	}
	return secrets_sync_dir(dir);
}

int secrets_path_of(const struct secrets_store *st, const char *name, const char *ext, char *out, size_t len)
{
	if (snprintf(out, len, "%s/%s%s", st->dir, name, ext) >= (int)len)
		return err_set(ERR_INVALID, "path too long for secret '%s'", name);
	return 0;
}

bool secrets_exists(const struct secrets_store *st, const char *name)
{
	char path[PATH_MAX];

	return secrets_path_of(st, name, ".age", path, sizeof(path)) == 0 && fs_exists(path);
}

/* Ledger */

int secrets_record(const struct secrets_store *st, const char *topic, json_t *payload)
{
	char why[512];
	int r;

	if (!payload)
		return err_set(ERR_NOMEM, "out of memory");
	if (!st->ledger) {
		json_decref(payload);
		return 0;
	}
	if (st->by && json_object_set_new(payload, "by", json_string(st->by)) < 0) {
		json_decref(payload);
		return err_set(ERR_NOMEM, "out of memory");
	}
	if ((r = fleet_record(st->ledger, topic, NULL, NULL, payload, NULL)) < 0) {
		SAVE_MSG(why);
		return err_set(r, "done, but the ledger did not take the %s event: %s", topic, why);
	}
	return 0;
}

/* Names and lists */

void secrets_strv_sort(char **v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

void secrets_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int secrets_strv_add(char ***v, size_t *n, const char *s)
{
	char **grown = realloc(*v, (*n + 1) * sizeof(**v));

	if (!grown)
		return err_set(ERR_NOMEM, "out of memory");
	*v = grown;
	if (!(grown[*n] = strdup(s)))
		return err_set(ERR_NOMEM, "out of memory");
	(*n)++;
	return 0;
}

bool secrets_strv_has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/* The names of every secret (files NAME.age with a good NAME), sorted. */
int secrets_names(const struct secrets_store *st, char ***names, size_t *n)
{
	DIR *d = opendir(st->dir);
	struct dirent *e;
	int r = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return err_set_errno(ERR_IO, errno, "cannot read '%s'", st->dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char name[SECRETS_NAME_MAX + 1];

		if (len <= 4 || len - 4 > SECRETS_NAME_MAX || strcmp(e->d_name + len - 4, ".age") != 0)
			continue;
		memcpy(name, e->d_name, len - 4);
		name[len - 4] = '\0';
		if (secrets_name_check(name) < 0)
			continue;
		if ((r = secrets_strv_add(names, n, name)) < 0)
			break;
	}
	closedir(d);
	err_clear();
	if (r < 0) {
		secrets_strv_free(*names, *n);
		*names = NULL;
		*n = 0;
		return err_set(ERR_NOMEM, "out of memory");
	}
	secrets_strv_sort(*names, *n);
	return 0;
}

/* Lines of a text file that are not blank or '#' comments (trailing spaces and CR dropped). */
int secrets_read_lines(const char *path, char ***lines, size_t **linenos, size_t *n)
{
	uint8_t *text;
	size_t len, off = 0, line = 0;
	int r;

	*lines = NULL;
	*n = 0;
	if (linenos)
		*linenos = NULL;
	if ((r = secrets_read_path(path, SECRETS_TEXT_MAX, &text, &len)) < 0)
		return r == ERR_NOTFOUND ? (err_clear(), 0) : r;
	while (off < len) {
		const char *p = (const char *)text + off, *nl = memchr(p, '\n', len - off);
		size_t l = nl ? (size_t)(nl - p) : len - off;
		char *s;

		off += l + (nl ? 1 : 0);
		line++;
		while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == ' ' || p[l - 1] == '\t'))
			l--;
		if (l == 0 || p[0] == '#')
			continue;
		if (!(s = strndup(p, l)) || (r = secrets_strv_add(lines, n, s)) < 0) {
			free(s);
			r = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		free(s);
		if (linenos) {
			size_t *g = realloc(*linenos, *n * sizeof(**linenos));

			if (!g) {
				r = err_set(ERR_NOMEM, "out of memory");
				break;
			}
			*linenos = g;
			g[*n - 1] = line;
		}
	}
	age_free(text, len);
	if (r < 0) {
		secrets_strv_free(*lines, *n);
		*lines = NULL;
		*n = 0;
		if (linenos) {
			free(*linenos);
			*linenos = NULL;
		}
	}
	return r;
}
