/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_HTTP_H
#define TEST_HTTP_H

/*
 * A real TCP client for lib/http listeners in unit tests, driven by the
 * test's own event loop (the server runs in it). Include after <cmocka.h>.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lb_evloop.h"

/*
 * Send @p req (a whole request) to 127.0.0.1:@p port, pumping @p loop,
 * and read until the server closes or @p buf is full. @return the answer's
 * status code (-1 if none); the whole answer, headers too, in @p buf.
 */
static inline int
test_http_get(struct lb_evloop *loop, uint16_t port, const char *req,
	      char *buf, size_t n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), status = -1;
	size_t len = 0;
	ssize_t r;
	int i;

	assert_true(fd >= 0);
	assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		    errno == EINPROGRESS);
	for (i = 0; i < 200; i++) {
		lb_evloop_run_once(loop, 5);
		if (send(fd, req, strlen(req), MSG_NOSIGNAL) > 0)
			break;
	}
	for (i = 0; i < 400 && len < n - 1; i++) {
		lb_evloop_run_once(loop, 5);
		r = recv(fd, buf + len, n - 1 - len, 0);
		if (r == 0)
			break;
		if (r > 0)
			len += (size_t)r;
	}
	buf[len] = '\0';
	close(fd);
	sscanf(buf, "HTTP/1.%*d %d", &status);
	return status;
}

#endif
