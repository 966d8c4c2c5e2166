/* Helpers every executor back end shares. */
#include "ports/executor.h"

#include <string.h>

void exec_result_init(struct exec_result *r)
{
	memset(r, 0, sizeof(*r));
	r->status = -1;
	buf_init(&r->out, EXEC_OUTPUT_MAX);
	buf_init(&r->err, EXEC_OUTPUT_MAX);
}

void exec_result_release(struct exec_result *r)
{
	buf_release(&r->out);
	buf_release(&r->err);
}
