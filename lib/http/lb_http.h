/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef LB_HTTP_H
#define LB_HTTP_H

/**
 * @file
 * A small HTTP/1.1 listener inside the management event loop: GET (and
 * HEAD) on registered paths, for the Prometheus endpoint and the status
 * page.
 *
 * libmicrohttpd runs without a thread of its own: its epoll descriptor is
 * registered with the loop (lb_evloop.h) and MHD_run() is called when it is
 * readable and when MHD's own timeout is due. So every handler runs on the
 * management lcore, between other events, and may read what management
 * owns (the runtime, the health checker) like any other callback.
 *
 * Abuse is bounded, not trusted away: at most LB_HTTP_MAX_CONNECTIONS at
 * once (LB_HTTP_PER_IP from one address), each idle one closed after
 * LB_HTTP_TIMEOUT_S, and a request whose headers exceed
 * LB_HTTP_CONN_MEMORY is answered with an error by libmicrohttpd and
 * closed. Paths nobody registered answer 404, methods other than GET and
 * HEAD 405.
 */

#include <stddef.h>
#include <stdint.h>

#include "lb_evloop.h"

#define LB_HTTP_MAX_CONNECTIONS 16
#define LB_HTTP_PER_IP 8
#define LB_HTTP_TIMEOUT_S 5
#define LB_HTTP_CONN_MEMORY (32 * 1024)
/** Most paths one listener serves. */
#define LB_HTTP_MAX_ROUTES 8

struct lb_http;

/** What a handler answers. */
struct lb_http_reply {
	unsigned int status;        /**< 200 unless set */
	const char *content_type;   /**< static string */
	char *body;                 /**< malloc'd; the listener frees it */
	size_t len;
};

/**
 * Answer a GET of the registered path. Management lcore, inside the
 * loop; must not block. Fill @p r (status, content type, a malloc'd body).
 * @return 0, or -1 to answer 500 (nothing in @p r is kept).
 */
typedef int (*lb_http_handler)(struct lb_http_reply *r, void *arg);

/**
 * Listen on @p addr (IPv4, network order):@p port (0: any free port) and
 * serve from @p loop.
 * Management lcore; allocates.
 * @return the listener, or NULL with @p err set ("cannot listen on
 * A:P: reason").
 */
struct lb_http *lb_http_create(struct lb_evloop *loop, uint32_t addr,
			       uint16_t port, char *err, size_t errlen);

/**
 * Serve GET @p path (exact match, query string ignored) with @p fn.
 * @return 0, -EEXIST (already served) or -ENOSPC (LB_HTTP_MAX_ROUTES).
 */
int lb_http_route(struct lb_http *h, const char *path, lb_http_handler fn,
		  void *arg);

/** The TCP port it listens on: @p port, or the one the kernel chose for
 *  port 0 (tests). */
uint16_t lb_http_port(const struct lb_http *h);

/**
 * Close every connection and the listening socket, leave the loop.
 * Management lcore, not from a handler. NULL-safe.
 */
void lb_http_destroy(struct lb_http *h);

#endif
