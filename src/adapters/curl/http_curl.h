/* The HTTP port on libcurl, with TCP connect checks on plain non-blocking sockets. */
#ifndef CHIMERA_ADAPTERS_CURL_HTTP_CURL_H
#define CHIMERA_ADAPTERS_CURL_HTTP_CURL_H

#include "ports/http.h"

/*
 * Make an HTTP client on libcurl (its global set-up runs once for the process, whoever
 * asks first). Every request uses a fresh handle: no signals (threads), no proxy whatever
 * the environment says, no redirects followed, http and https only, chimera's user agent.
 * *OUT is closed with http_close. Returns 0, or ERR_NOMEM / ERR_IO (*OUT then NULL).
 */
int http_curl_new(struct http **out);

#endif
