/* The node-side commands that write and read the witness file. */
#include "remote/witness.h"
#include "util/err.h"
#include "util/shell.h"

#include <string.h>
#include "util/banned.h"

int remote_witness_write(struct buf *cmd, const char *text)
{
	int r;

	if (strlen(text) > 4096)
		return err_set(ERR_INVALID, "a witness over 4096 bytes");
	/* printf '%s': the text is data, never a format; the umask gives 0644 to the new file. */
	if ((r = buf_adds(cmd, "{ umask 022; [ -d " WITNESS_DIR " ] || mkdir -p " WITNESS_DIR " &&"
			       " printf '%s' ")) < 0 ||
	    (r = shell_quote(cmd, text)) < 0 ||
	    (r = buf_adds(cmd, " >" WITNESS_PATH ".$$ && mv -f " WITNESS_PATH ".$$ " WITNESS_PATH "; }")) < 0)
		return r;
	return 0;
}

int remote_witness_read(struct buf *cmd)
{
	return buf_adds(cmd, "if [ -e " WITNESS_PATH " ]; then cat " WITNESS_PATH "; else printf '%s\\n' '"
			     WITNESS_NONE "'; fi");
}
