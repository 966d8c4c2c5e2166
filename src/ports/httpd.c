/* The HTTP server port's helpers: response headers and request look-ups. */
#include "ports/httpd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "util/banned.h"

int httpd_response_header(struct httpd_response *res, const char *name, const char *fmt, ...)
{
	size_t room = sizeof(res->header_store) - res->header_used;
	char *at = res->header_store + res->header_used;
	va_list ap;
	int n;

	if (res->nheaders >= HTTPD_HEADERS_MAX || room == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(at, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return -1;
	res->headers[res->nheaders].name = name;
	res->headers[res->nheaders].value = at;
	res->nheaders++;
	res->header_used += (size_t)n + 1;
	return 0;
}

const char *httpd_request_header(const struct httpd_request *rq, const char *name)
{
	size_t i;

	for (i = 0; i < rq->nheaders; i++)
		if (strcasecmp(rq->headers[i].name, name) == 0)
			return rq->headers[i].value;
	return NULL;
}

const char *httpd_request_query(const struct httpd_request *rq, const char *name)
{
	size_t i;

	for (i = 0; i < rq->nquery; i++)
		if (strcmp(rq->query[i].name, name) == 0)
			return rq->query[i].value;
	return NULL;
}
