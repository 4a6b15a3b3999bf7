/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libmicrohttpd in "external" epoll mode: no thread of its own. Its epoll
 * descriptor sits in the management loop; MHD_run() is called when that
 * descriptor is readable and when a one-shot timer, re-armed after every
 * run from MHD_get_timeout(), says MHD has work (timeouts, data it already
 * read). MHD_run() never blocks in this mode.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <rte_common.h>

#include "lb_http.h"

struct route {
	char path[64];
	lb_http_handler fn;
	void *arg;
};

struct lb_http {
	struct MHD_Daemon *d;
	struct lb_evloop_handle *fd_h;
	struct lb_evloop_timer *timer;
	struct route routes[LB_HTTP_MAX_ROUTES];
	unsigned int n_routes;
};

static enum MHD_Result
queue(struct MHD_Connection *c, unsigned int status, const char *type,
      char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
		MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	if (r == NULL) {
		free(body);
		return MHD_NO;      /* MHD closes the connection */
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
queue_text(struct MHD_Connection *c, unsigned int status, const char *text)
{
	char *body = strdup(text);

	return body != NULL ? queue(c, status, "text/plain; charset=utf-8",
				    body, strlen(body)) : MHD_NO;
}

static const struct route *
route_of(const struct lb_http *h, const char *url)
{
	unsigned int i;

	for (i = 0; i < h->n_routes; i++)
		if (strcmp(h->routes[i].path, url) == 0)
			return &h->routes[i];
	return NULL;
}

/* Called once the headers are in: answer at once (a body, if any, is
 * not wanted; MHD discards it and closes). */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
	   const char *method, const char *version, const char *upload,
	   size_t *upload_len, void **state)
{
	struct lb_http *h = cls;
	struct lb_http_reply r = { .status = MHD_HTTP_OK };
	const struct route *rt;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "only GET and HEAD\n");
	rt = route_of(h, url);
	if (rt == NULL)
		return queue_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
	if (rt->fn(&r, rt->arg) != 0) {
		free(r.body);
		return queue_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "internal error\n");
	}
	return queue(c, r.status, r.content_type != NULL ? r.content_type :
		     "text/plain; charset=utf-8", r.body, r.len);
}

/* Run MHD, then wake again when it says it has work: at once (1 ms) if
 * it holds data already read, at the next connection timeout, or never
 * while it holds no connection (the listening socket wakes us). */
static void
run(struct lb_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;

	MHD_run(h->d);
	if (MHD_get_timeout(h->d, &ms) != MHD_YES) {
		lb_evloop_timer_set(h->timer, 0, 0);
		return;
	}
	lb_evloop_timer_set(h->timer, RTE_MAX(ms, 1ULL), 0);
}

static void
on_fd(struct lb_evloop_handle *fh, uint32_t events, void *arg)
{
	(void)fh;
	(void)events;
	run(arg);
}

static void
on_timer(struct lb_evloop_timer *t, void *arg)
{
	(void)t;
	run(arg);
}

/* No MHD_OPTION_LISTENING_ADDRESS_REUSE: on Linux it is SO_REUSEPORT, and
 * a second daemon on the same port must fail, not share it. */
static struct MHD_Daemon *
start(struct lb_http *h, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port),
				   .sin_addr.s_addr = addr };

	return MHD_start_daemon(MHD_USE_EPOLL, port, NULL, NULL, on_request, h,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)LB_HTTP_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)LB_HTTP_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)LB_HTTP_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)LB_HTTP_CONN_MEMORY,
		MHD_OPTION_END);
}

struct lb_http *
lb_http_create(struct lb_evloop *loop, uint32_t addr, uint16_t port,
	       char *err, size_t errlen)
{
	struct lb_http *h = calloc(1, sizeof(*h));
	const union MHD_DaemonInfo *info;
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if (h == NULL) {
		snprintf(err, errlen, "listen on %s:%u: out of memory", a, port);
		return NULL;
	}
	h->d = start(h, addr, port);
	if (h->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s:%u: %s", a, port,
			 errno != 0 ? strerror(errno) : "libmicrohttpd failed");
		free(h);
		return NULL;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	h->timer = lb_evloop_timer_add(loop, 0, 0, on_timer, h);
	h->fd_h = info != NULL && h->timer != NULL ?
		lb_evloop_add_fd(loop, info->epoll_fd, EPOLLIN, on_fd, h) :
		NULL;
	if (h->fd_h == NULL) {
		snprintf(err, errlen, "listen on %s:%u: event loop: %s", a,
			 port, strerror(errno));
		lb_http_destroy(h);
		return NULL;
	}
	return h;
}

int
lb_http_route(struct lb_http *h, const char *path, lb_http_handler fn,
	      void *arg)
{
	struct route *r;

	if (route_of(h, path) != NULL)
		return -EEXIST;
	if (h->n_routes == LB_HTTP_MAX_ROUTES ||
	    strlen(path) >= sizeof(r->path))
		return -ENOSPC;
	r = &h->routes[h->n_routes++];
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->fn = fn;
	r->arg = arg;
	return 0;
}

uint16_t
lb_http_port(const struct lb_http *h)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);

	return info != NULL ? info->port : 0;
}

void
lb_http_destroy(struct lb_http *h)
{
	if (h == NULL)
		return;
	lb_evloop_del_fd(h->fd_h);
	lb_evloop_timer_cancel(h->timer);
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	free(h);
}
