/* Helpers every signer back end shares. */
#include "ports/signer.h"
#include "util/banned.h"

void signer_close(struct signer *s)
{
	if (s)
		s->ops->close(s);
}
