/* Use cases: `chimera machines add` and `rm`, edits of chimera.toml that keep every other byte. */
#include "app/config/machines.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <sys/stat.h>
#include "util/banned.h"

/* Write TEXT over PATH atomically (keeping its mode), after checking it still parses as an inventory. */
static int write_checked(const char *path, const struct buf *text)
{
	struct inventory check;
	struct stat st;
	int r;

	inventory_init(&check);
	r = inventory_parse(path, text->data ? text->data : "", text->len, &check);
	inventory_release(&check);
	if (r < 0)
		return r;
	return fs_write_file(path, text->data ? text->data : "", text->len,
			     stat(path, &st) == 0 ? st.st_mode & 07777 : 0644);
}

int machines_add(const char *path, const char *name, const char *target, const char *const *tags, size_t ntags)
{
	struct buf text = BUF_INIT(0), out = BUF_INIT(0);
	int r = 0;

	if (fs_exists(path))
		r = fs_read_file(path, &text);
	if (r == 0 && (r = inventory_edit_add(path, text.data ? text.data : "", text.len, name, target, tags, ntags,
					      &out)) == 0)
		r = write_checked(path, &out);
	buf_release(&text);
	buf_release(&out);
	return r;
}

int machines_rm(const char *path, const char *name)
{
	struct buf text = BUF_INIT(0), out = BUF_INIT(0);
	int r;

	if ((r = fs_read_file(path, &text)) == 0 &&
	    (r = inventory_edit_rm(path, text.data ? text.data : "", text.len, name, &out)) == 0)
		r = write_checked(path, &out);
	buf_release(&text);
	buf_release(&out);
	return r;
}
