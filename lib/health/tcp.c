/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp checks: a non-blocking connect; the check passes when the handshake
 * completes, and the socket is closed at once.
 *
 * Every socket has SO_LINGER 0, so close() sends RST and frees the socket
 * at once instead of a FIN and 60 s in TIME_WAIT on our side: at 1000
 * checks/s that would be some 60000 sockets held, and a backend checked
 * often could run its 4-tuples (ephemeral ports) short. The backend sees
 * a reset connection, which servers take as a client gone, not an error.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health_priv.h"

void
hc_sample_errno(struct hc_sample *res, int err)
{
	res->what = HC_ERRNO;
	res->value = err;
}

void
hc_tcp_cancel(struct hc_backend *b)
{
	lb_evloop_del_fd(b->eh);
	b->eh = NULL;
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

static void
tcp_result(struct hc_backend *b, int err, struct hc_sample *res)
{
	res->lat_us = (uint32_t)(hc_now_us() - b->started_us);
	if (err != 0)
		hc_sample_errno(res, err);
	else
		res->what = HC_OK;
}

/* The connect finished, one way or the other: SO_ERROR says which. */
static void
tcp_ready(struct lb_evloop_handle *eh, uint32_t events, void *arg)
{
	struct hc_backend *b = arg;
	struct hc_sample res = { 0 };
	socklen_t len = sizeof(int);
	int err = 0;

	(void)eh;
	(void)events;
	if (getsockopt(b->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	tcp_result(b, err, &res);
	hc_tcp_cancel(b);
	hc_finish(b->owner, b, &res);
}

int
hc_tcp_start(struct lb_health *h, struct hc_backend *b,
	     struct hc_sample *res)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(b->t.port),
		.sin_addr.s_addr = b->t.addr,
	};
	int fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		tcp_result(b, errno, res);
		return 1;
	}
	b->fd = fd;
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0) {
		err = errno;
	} else if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
		err = 0;            /* connected at once */
	} else if (errno != EINPROGRESS) {
		err = errno;
	} else {
		b->eh = lb_evloop_add_fd(h->loop, fd, EPOLLOUT, tcp_ready, b);
		if (b->eh != NULL)
			return 0;
		err = errno;
	}
	tcp_result(b, err, res);
	hc_tcp_cancel(b);
	return 1;
}
