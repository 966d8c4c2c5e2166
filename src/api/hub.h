/*
 * The hub: one thread follows the ledger (woken by ledger_wait, never polling), keeps the
 * newest events formatted as SSE frames in a ring, hands each event to the metrics, and
 * wakes the server's streams. A subscriber is an httpd stream: it starts after a seq (its
 * Last-Event-ID, or the head), reads what it missed from the ledger itself, then from the
 * ring, so nothing is skipped or sent twice, and gets a comment line every 15 s.
 */
#ifndef CHIMERA_API_HUB_H
#define CHIMERA_API_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "ports/httpd.h"
#include "ports/ledger.h"

struct api_hub;
struct api_metrics;

#define HUB_RING 8192			/* events kept in memory for subscribers */
#define HUB_KEEPALIVE_MS 15000		/* a comment line after this long without a frame */
#define HUB_RING_BYTES (8u << 20)	/* and at most this many bytes of frames (older ones are read from the ledger) */

/* Opens a ledger handle for the hub's thread or a subscriber's catch-up; NULL with err_msg() on failure. */
typedef struct ledger *(*hub_ledger_fn)(void *arg);

/*
 * Start following the ledger from its current head: each new event goes to METRICS (may
 * be NULL) in seq order, then the server H (may be NULL) is woken. OPEN/ARG give ledger
 * handles (the hub's own thread keeps one). Returns 0 or an error.
 */
int hub_start(struct api_hub **out, hub_ledger_fn open, void *arg, struct api_metrics *metrics);

/* The server whose streams the hub wakes (set once it listens). */
void hub_set_server(struct api_hub *h, struct httpd *server);

/* The newest seq the hub has seen. */
int64_t hub_head(struct api_hub *h);

/*
 * A new subscriber stream: events with seq > AFTER (AFTER < 0: from the current head on),
 * of TOPIC (NULL: any; a trailing ".*" matches a prefix) and NODE (NULL: any). Freed by
 * its close. NULL when out of memory.
 */
struct httpd_stream *hub_subscribe(struct api_hub *h, int64_t after, const char *topic, const char *node);

/* Subscribers now open. */
unsigned hub_subscribers(struct api_hub *h);

/* The keepalive period for every stream (HUB_KEEPALIVE_MS unless set; tests shorten it). */
void hub_set_keepalive_ms(struct api_hub *h, long ms);

/* The bytes the ring's frames take now (their text, topic and node), and how many frames (*FRAMES, if not NULL). */
size_t hub_ring_bytes(struct api_hub *h, size_t *frames);

/* Stop the thread; every stream ends at its next read. Frees H after the last stream closes. */
void hub_stop(struct api_hub *h);

#endif
