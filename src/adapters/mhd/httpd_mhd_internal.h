/* What httpd_mhd.c (the daemon, connections, the ticker) and httpd_mhd_request.c (requests, workers, streams) share. */
#ifndef CHIMERA_ADAPTERS_MHD_HTTPD_MHD_INTERNAL_H
#define CHIMERA_ADAPTERS_MHD_HTTPD_MHD_INTERNAL_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ports/httpd.h"
#include "util/buf.h"

#define MHD_IO_THREADS 2		/* epoll threads moving bytes (MHD's thread pool); handlers never run there */
#define MHD_WORKERS_DEFAULT 4		/* handler threads when the config says 0 */
#define MHD_TICK_MS 250			/* how often the ticker looks for slow headers */
#define MHD_RESUME_MS 1000		/* a waiting stream is asked again at least this often */
#define MHD_STREAM_BLOCK 4096		/* a stream's read buffer */
#define MHD_DROP_MAX (8u * HTTPD_BODY_MAX)	/* a refused body is read and dropped up to this, then the connection is cut */

/* One connection (MHD's socket context), in struct httpd_mhd's list; fields under its lock. */
struct mhd_conn {
	struct mhd_conn *prev, *next;
	struct MHD_Connection *c;
	int fd;
	int64_t deadline_ms;	/* a request's headers must be whole by then (monotonic); 0: not waiting for headers */
	bool over_cap;		/* came past max_connections: its request is answered 503 and it is closed */
	bool waiting;		/* a stream with nothing to send, suspended until wake() or the next second */
	bool gone;		/* the client of a waiting stream hung up */
	bool ended;		/* its stream said it is over: the connection ends once the response is out */
};

enum mhd_req_state {
	RQ_READING,	/* headers whole, body coming */
	RQ_TOO_BIG,	/* body past HTTPD_BODY_MAX: dropped, answered 413 at its end */
	RQ_RUNNING,	/* on a worker; the connection is suspended */
	RQ_DONE,	/* the answer is in res */
};

/* One request (MHD's con_cls): freed when MHD says it completed. */
struct mhd_req {
	struct httpd_mhd *h;
	struct MHD_Connection *c;
	struct mhd_conn *conn;
	enum mhd_req_state state;
	const char *method;
	const char *path;
	struct buf body;
	size_t dropped;
	struct httpd_kv *kv;	/* the query arguments, then the headers */
	size_t nkv, kvcap, nquery;
	char client[INET6_ADDRSTRLEN];
	struct httpd_response res;
	struct mhd_req *next;	/* in the workers' queue */
};

/* The workers: a queue of whole requests and the threads that answer them. */
struct mhd_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct mhd_req *head, *tail;
	bool stopping;		/* no new requests; the threads leave once the queue is empty */
	pthread_t *threads;
	unsigned nthreads;
};

struct httpd_mhd {
	struct httpd base;
	struct httpd_config cfg;
	struct MHD_Daemon *d;
	int port;
	bool tls;
	int quiesced_fd;	/* the listening socket MHD_quiesce_daemon handed back; -1 */
	pthread_mutex_t lock;	/* the connections, their flags, the counters below */
	struct mhd_conn *conns;
	unsigned nconns;
	unsigned wake_gen;	/* bumped by every wake: a stream that read 0 before it does not sleep */
	bool closing;
	pthread_cond_t tick_cond;
	pthread_t ticker;
	bool ticker_started, ticker_stop;
	int64_t last_resume_ms;
	struct pollfd *pfd;	/* the ticker's scratch */
	size_t pfd_cap;
	struct mhd_pool pool;
	char *cert, *key;	/* PEM text, kept while the daemon lives */
	bool starting;
	char start_log[256];	/* what MHD said while starting (its reason for failing) */
};

/* httpd_mhd_request.c */
enum MHD_Result mhd_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *data, size_t *data_size, void **con_cls);
void mhd_on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe);
/* Start N worker threads. Returns 0 or ERR_IO. */
int mhd_pool_start(struct httpd_mhd *h, unsigned n);
/* Take no more requests, let the queued ones finish, join the threads. */
void mhd_pool_stop(struct httpd_mhd *h);

/* httpd_mhd.c */
/* The connection's entry (NULL when it could not be made). */
struct mhd_conn *mhd_conn_of(struct MHD_Connection *c);
/* Resume every waiting stream (under h->lock). */
void mhd_resume_waiting(struct httpd_mhd *h);

#endif
