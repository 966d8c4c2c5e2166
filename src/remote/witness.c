/* The node-side commands that write and read the witness file. */
#include "remote/witness.h"
#include "util/err.h"
#include "util/shell.h"

#include <string.h>
#include "util/banned.h"

/* Write "$w" to WITNESS_PATH: a temporary file beside it, then mv; 0644 (a subshell's umask). */
#define WRITE_W "( umask 022; { [ -d " WITNESS_DIR " ] || mkdir -p " WITNESS_DIR "; } &&" \
		" printf '%s' \"$w\" >" WITNESS_PATH ".$$ && mv -f " WITNESS_PATH ".$$ " WITNESS_PATH " )"

int remote_witness_write(struct buf *cmd, const char *text)
{
	int r;

	if (strlen(text) > 4096)
		return err_set(ERR_INVALID, "a witness over 4096 bytes");
	/* printf '%s': the text is data, never a format. */
	if ((r = buf_adds(cmd, "w=")) < 0 || (r = shell_quote(cmd, text)) < 0 || (r = buf_adds(cmd, "; " WRITE_W)) < 0)
		return r;
	return 0;
}

int remote_witness_take(struct buf *cmd)
{
	/* The newline inside the quotes keeps each line's end; IFS= keeps its spaces. */
	return buf_adds(cmd, "w=; while IFS= read -r l && [ \"$l\" != " WITNESS_END " ]; do w=\"$w$l\n\"; done;"
			     " if [ -n \"$w\" ]; then " WRITE_W " || echo " WITNESS_FAILED "; fi\n");
}

int remote_witness_read(struct buf *cmd)
{
	return buf_adds(cmd, "if [ -e " WITNESS_PATH " ]; then cat " WITNESS_PATH "; else printf '%s\\n' '"
			     WITNESS_NONE "'; fi");
}
