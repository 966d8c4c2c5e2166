/* Helpers every HTTP back end shares: the response's life cycle. */
#include "ports/http.h"

#include <stdlib.h>
#include <string.h>
#include "util/banned.h"

void http_response_init(struct http_response *res)
{
	memset(res, 0, sizeof(*res));
}

void http_response_release(struct http_response *res)
{
	free(res->body);
	memset(res, 0, sizeof(*res));
}

void http_close(struct http *h)
{
	if (h)
		h->ops->close(h);
}
