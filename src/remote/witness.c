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
	/*
	 * The newline inside the quotes keeps each line's end; IFS= keeps its spaces. Input
	 * that ends before WITNESS_END (the controller gone) ends the command: nothing written,
	 * nothing changed.
	 */
	return buf_adds(cmd, "w=; e=; while IFS= read -r l; do if [ \"$l\" = " WITNESS_END " ]; then e=1; break; fi;"
			     " w=\"$w$l\n\"; done; [ -n \"$e\" ] || exit 0;"
			     " if [ -n \"$w\" ]; then " WRITE_W " || echo " WITNESS_FAILED "; fi\n");
}

int remote_witness_read(struct buf *cmd)
{
	return buf_adds(cmd, "if [ -e " WITNESS_PATH " ]; then cat " WITNESS_PATH "; else printf '%s\\n' '"
			     WITNESS_NONE "'; fi");
}
