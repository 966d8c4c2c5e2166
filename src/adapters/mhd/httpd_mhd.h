/* The HTTP server port on libmicrohttpd (Debian's libmicrohttpd-dev 0.9.75). */
#ifndef CHIMERA_ADAPTERS_MHD_HTTPD_MHD_H
#define CHIMERA_ADAPTERS_MHD_HTTPD_MHD_H

#include "ports/httpd.h"

/*
 * Listen on CFG->host:CFG->port (TLS when CFG names a certificate and key) and serve each
 * whole request to CFG->handler on one of CFG->threads worker threads (4 when 0). CFG is
 * copied; its strings need only last for the call. *OUT is closed with (*OUT)->ops->close.
 * Returns 0, or ERR_INVALID (a bad address, only one of cert and key), ERR_IO ("cannot
 * listen on 127.0.0.1:8470: Address already in use"; a TLS file that cannot be read or
 * used, named), ERR_NOMEM; *OUT is then NULL.
 */
int httpd_mhd_new(const struct httpd_config *cfg, struct httpd **out);

#endif
